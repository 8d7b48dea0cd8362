/* page_media.c: uploaded images for the public: each size at its own
 * address (/media/ID-WIDTH.webp, .jpg, .png), and the <img> attributes
 * (srcset, sizes, width, height) for an image written "/media/ID" in
 * Markdown. */
#include <stdlib.h>
#include <string.h>

#include "extern.h"

static const char *
media_ext(const char *format)
{
	return strcmp(format, "jpeg") == 0 ? "jpg" : format;
}

int
page_media(struct req *r, const char *name)
{
	long long id, width;
	char *end, *dot, hex[FILES_HEX + 1] = "";
	const char *format;
	struct val *row, *data;

	id = strtoll(name, &end, 10);
	if (end == name || *end != '-' || id <= 0)
		return r->status = 404;
	width = strtoll(end + 1, &dot, 10);
	if (dot == end + 1 || *dot != '.' || width <= 0)
		return r->status = 404;
	if (strcmp(dot, ".webp") == 0)
		format = "webp";
	else if (strcmp(dot, ".jpg") == 0)
		format = "jpeg";
	else if (strcmp(dot, ".png") == 0)
		format = "png";
	else
		return r->status = 404;
	row = db_query_one(r->db, r->a,
	    "SELECT ctype, data FROM media_variant WHERE media_id = ? AND "
	    "width = ? AND format = ?",
	    "iit", id, width, format);
	if (row == NULL || (data = val_get(row, "data")) == NULL ||
	    data->type != VAL_STR)
		return r->status = 404;
	r->status = 200;
	r->ctype = arena_strdup(r->a, page_str(row, "ctype"));
	r->cache = 1;
	r->upload = 1;
	/* an address never changes its bytes: a new upload is a new id */
	r->cache_control = "public, max-age=31536000, immutable";
	buf_reset(&r->out);
	if (r->files != NULL) {
		r->fd = files_media(r->files, id, width, format, data->u.str.s,
		    data->u.str.len, hex);
		r->hash = hex[0] ? arena_strdup(r->a, hex) : NULL;
		if ((r->has_fd = r->fd != -1)) {
			r->fd_len = data->u.str.len;
			return 200;
		}
	}
	buf_append(&r->out, data->u.str.s, data->u.str.len);
	return 200;
}

int
page_media_img(
    void *arg, const char *src, size_t len, struct buf *attrs, struct buf *alt)
{
	struct req *r = arg;
	struct val *m, *rows, *v;
	long long id;
	size_t i;
	char *end;
	const char *fallback = NULL, *s;

	if (len < 8 || strncmp(src, "/media/", 7) != 0)
		return 0;
	id = strtoll(src + 7, &end, 10);
	if (end != src + len || id <= 0)
		return 0;
	m = db_query_one(r->db, r->a,
	    "SELECT alt, width, height FROM media WHERE id = ?", "i", id);
	if (m == NULL ||
	    db_query(r->db, r->a, &rows,
		"SELECT width, height, format FROM media_variant "
		"WHERE media_id = ? ORDER BY width",
		"i", id) == -1 ||
	    rows->u.list.n == 0)
		return 0;
	buf_puts(attrs, " srcset=\"");
	for (i = 0; i < rows->u.list.n; i++) {
		v = rows->u.list.items[i];
		if (strcmp(page_str(v, "format"), "webp") != 0) {
			/* the middle size in the original's format, for
			 * browsers without srcset or WebP */
			if (fallback == NULL || page_int(v, "width") <= 960)
				fallback =
				    arena_printf(r->a, "/media/%lld-%lld.%s",
					id, page_int(v, "width"),
					media_ext(page_str(v, "format")));
			continue;
		}
		s = arena_printf(r->a, "%s/media/%lld-%lld.webp %lldw",
		    attrs->data[attrs->len - 1] == '"' ? "" : ", ", id,
		    page_int(v, "width"), page_int(v, "width"));
		html_attr(attrs, s, strlen(s));
	}
	buf_puts(attrs, "\" sizes=\"(max-width: 48rem) 100vw, 48rem\"");
	if (fallback == NULL)
		fallback = arena_printf(r->a, "/media/%lld-%lld.webp", id,
		    page_int(rows->u.list.items[0], "width"));
	buf_puts(attrs, " src=\"");
	html_attr(attrs, fallback, strlen(fallback));
	buf_printf(attrs, "\" width=\"%lld\" height=\"%lld\"",
	    page_int(m, "width"), page_int(m, "height"));
	buf_puts(alt, page_str(m, "alt"));
	return 1;
}
