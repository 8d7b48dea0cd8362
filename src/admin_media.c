/* admin_media.c: images in the admin: upload (checked by content,
 * resized into a few widths and WebP, metadata stripped), alt text
 * required, the Markdown to use them, and deletion. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "extern.h"

#define MEDIA_ALT_MAX 300
#define MEDIA_NAME_MAX 200
#define MEDIA_LIST_MAX 200

static int
media_list(struct req *r, struct auth_user *u, struct val *v)
{
	struct val *rows;
	size_t i;

	if (db_query(r->db, r->a, &rows,
		"SELECT m.id, m.alt, m.name, m.width, m.height, m.bytes, "
		"(SELECT min(width) FROM media_variant x WHERE x.media_id = "
		"m.id AND x.format = 'webp') AS thumb FROM media m "
		"ORDER BY m.id DESC LIMIT ?",
		"i", (long long)MEDIA_LIST_MAX) == -1)
		return r->status = 500;
	for (i = 0; i < rows->u.list.n; i++) {
		struct val *o = rows->u.list.items[i];

		val_set_str(r->a, o, "thumb_url",
		    arena_printf(r->a, "/media/%lld-%lld.webp",
			page_int(o, "id"), page_int(o, "thumb")));
		val_set_str(r->a, o, "markdown",
		    arena_printf(r->a, "![%s](/media/%lld)", page_str(o, "alt"),
			page_int(o, "id")));
	}
	val_set(r->a, v, "images", rows);
	admin_render(r, u, "media", v);
	if (val_get(v, "errors") != NULL)
		r->status = 422;
	return r->status;
}

/* POST /admin/media: an upload. */
static int
media_upload(
    struct req *r, struct auth_user *u, const struct form *f, struct val *v)
{
	const struct form_field *file = form_field(f, "file");
	const char *alt, *name;
	struct media_img img;
	struct db *w = http_db_rw(r->site);
	char err[256];
	long long id;
	size_t i;

	if (w == NULL)
		return r->status = 503;
	alt = admin_field(r, f, "alt", "Alt text", MEDIA_ALT_MAX, 0, v);
	if (alt != NULL && *alt == '\0')
		admin_error(r, v, "alt",
		    "Alt text is required: describe the image for people who "
		    "cannot see it.");
	if (file == NULL || file->filename == NULL || file->len == 0)
		admin_error(r, v, "file", "Choose an image file.");
	if (val_get(v, "errors") != NULL)
		return media_list(r, u, v);
	if (file->len > MEDIA_MAX_BYTES) {
		val_set_str(r->a, v, "error",
		    arena_printf(r->a,
			"The image is too large: at most %zu MB.",
			MEDIA_MAX_BYTES >> 20));
		r->status = 413;
		media_list(r, u, v);
		return r->status = 413;
	}
	memset(&img, 0, sizeof(img));
	if (media_process(file->value, file->len, &img, err, sizeof(err)) ==
	    -1) {
		val_set_str(r->a, v, "error", arena_strdup(r->a, err));
		media_list(r, u, v);
		return r->status = 422;
	}
	name = file->filename;
	if (strlen(name) > MEDIA_NAME_MAX)
		name = arena_strndup(r->a, name, MEDIA_NAME_MAX);
	if (db_begin(w) == -1)
		goto fail;
	id = db_exec(w,
	    "INSERT INTO media(alt, name, ctype, width, height, bytes, "
	    "user_id, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
	    "tttiiiii", alt, name, img.ctype, (long long)img.width,
	    (long long)img.height, (long long)file->len, u->id,
	    (long long)r->now);
	if (id < 0)
		goto fail;
	for (i = 0; i < img.nv; i++)
		if (db_exec(w,
			"INSERT INTO media_variant(media_id, width, height, "
			"format, ctype, data) VALUES (?, ?, ?, ?, ?, ?)",
			"iiittb", id, (long long)img.v[i].width,
			(long long)img.v[i].height, img.v[i].format,
			img.v[i].ctype, img.v[i].data, img.v[i].len) < 0)
			goto fail;
	if (admin_audit(r, u, "media.upload", alt,
		arena_printf(r->a, "id %lld, %dx%d %s", id, img.width,
		    img.height, img.ctype)) == -1 ||
	    db_commit(w) == -1)
		goto fail;
	media_img_free(&img);
	return admin_redirect(
	    r, arena_printf(r->a, "/admin/media/%lld?done=uploaded", id));
fail:
	db_rollback(w);
	media_img_free(&img);
	return r->status = 500;
}

static int
media_one(
    struct req *r, struct auth_user *u, long long id, const struct form *f)
{
	struct val *v = admin_view(r, "Image"), *m, *rows;
	struct db *w = http_db_rw(r->site);
	const char *action = form_get(f, "action"), *alt;
	size_t i;
	int may;

	if (w == NULL)
		return r->status = 503;
	m = db_query_one(w, r->a,
	    "SELECT id, alt, name, ctype, width, height, bytes, user_id "
	    "FROM media WHERE id = ?",
	    "i", id);
	if (m == NULL)
		return r->status = 404;
	may = u->role <= USER_EDITOR || page_int(m, "user_id") == u->id;
	if (strcmp(r->method, "POST") == 0) {
		if (!may || action == NULL)
			return r->status = 403;
		if (strcmp(action, "delete") == 0) {
			if (db_begin(w) == -1 ||
			    db_exec(w, "DELETE FROM media WHERE id = ?", "i",
				id) < 0 ||
			    admin_audit(r, u, "media.delete",
				page_str(m, "alt"),
				arena_printf(r->a, "id %lld", id)) == -1 ||
			    db_commit(w) == -1) {
				db_rollback(w);
				return r->status = 500;
			}
			return admin_redirect(r, "/admin/media?done=deleted");
		}
		if (strcmp(action, "alt") != 0)
			return r->status = 400;
		alt = admin_field(r, f, "alt", "Alt text", MEDIA_ALT_MAX, 0, v);
		if (alt != NULL && *alt != '\0') {
			if (db_begin(w) == -1 ||
			    db_exec(w, "UPDATE media SET alt = ? WHERE id = ?",
				"ti", alt, id) < 0 ||
			    admin_audit(r, u, "media.alt", alt,
				arena_printf(r->a, "id %lld", id)) == -1 ||
			    db_commit(w) == -1) {
				db_rollback(w);
				return r->status = 500;
			}
			return admin_redirect(r,
			    arena_printf(
				r->a, "/admin/media/%lld?done=saved", id));
		}
		if (alt != NULL)
			val_set_str(r->a, v, "error", "Alt text is required.");
		r->status = 422;
	}
	if (db_query(w, r->a, &rows,
		"SELECT width, height, format, length(data) AS bytes "
		"FROM media_variant WHERE media_id = ? ORDER BY format, width",
		"i", id) == -1)
		return r->status = 500;
	for (i = 0; i < rows->u.list.n; i++) {
		struct val *o = rows->u.list.items[i];

		val_set_str(r->a, o, "url",
		    arena_printf(r->a, "/media/%lld-%lld.%s", id,
			page_int(o, "width"),
			strcmp(page_str(o, "format"), "jpeg") == 0
			    ? "jpg"
			    : page_str(o, "format")));
	}
	val_set(r->a, v, "variants", rows);
	val_set(r->a, v, "image", m);
	val_set(r->a, v, "picture",
	    page_md(r, arena_printf(r->a, "![](/media/%lld)", id), 1));
	val_set_str(r->a, v, "markdown",
	    arena_printf(r->a, "![%s](/media/%lld)", page_str(m, "alt"), id));
	val_set_bool(r->a, v, "may", may);
	{
		int st = r->status;

		admin_render(r, u, "media_one", v);
		if (st == 422)
			r->status = 422;
	}
	return r->status;
}

int
admin_media(struct req *r, struct auth_user *u, const char **part, int n,
    const struct form *f)
{
	struct val *v = admin_view(r, "Images");
	long long id;
	char *end;

	if (n == 0 || (n == 1 && *part[0] == '\0')) {
		if (strcmp(r->method, "POST") == 0)
			return media_upload(r, u, f, v);
		return media_list(r, u, v);
	}
	id = strtoll(part[0], &end, 10);
	if (n != 1 || *end != '\0' || end == part[0] || id <= 0)
		return r->status = 404;
	return media_one(r, u, id, f);
}
