/* page_pubs.c: the publication library, one publication, and its file. */
#include <string.h>

#include "extern.h"

int
page_pubs(struct req *r)
{
	struct val *v, *rows = NULL, *p;
	size_t i;

	if (db_query(r->db, r->a, &rows,
	        "SELECT slug, title, year, lang, summary, file_name IS NOT NULL "
	        "AS has_file FROM publication ORDER BY year DESC, title "
	        "COLLATE NOCASE",
	        "") == -1)
		return r->status = 500;
	for (i = 0; i < rows->u.list.n; i++) {
		p = rows->u.list.items[i];
		val_set_str(r->a, p, "url",
		    arena_printf(r->a, "/publications/%s", page_str(p, "slug")));
		if (*page_str(p, "summary"))
			val_set(r->a, p, "summary_html",
			    page_md(r, page_str(p, "summary"), 1));
	}
	v = page_base(r, "Publications");
	val_set_str(r->a, v, "description",
	    arena_printf(r->a, "Research, reports and guides published by %s.",
	        page_str(val_get(v, "site"), "name")));
	val_set_str(r->a, v, "heading", "Publications");
	val_set(r->a, v, "publications", rows);
	page_render(r, "publications", v);
	return r->status;
}

int
page_pub(struct req *r, const char *slug)
{
	struct val *v, *p;

	p = db_query_one(r->db, r->a,
	    "SELECT slug, title, year, lang, summary, body, file_name, "
	    "length(file_data) AS file_size FROM publication WHERE slug = ?",
	    "t", slug);
	if (p == NULL)
		return r->status = 404;
	val_set(r->a, p, "body_html", page_md(r, page_str(p, "body"), 0));
	if (*page_str(p, "summary"))
		val_set(r->a, p, "summary_html",
		    page_md(r, page_str(p, "summary"), 1));
	if (*page_str(p, "file_name")) {
		val_set_str(r->a, p, "file_url",
		    arena_printf(r->a, "/publications/%s.pdf", slug));
		val_set_str(r->a, p, "file_kb",
		    arena_printf(r->a, "%lld KB",
		        (page_int(p, "file_size") + 1023) / 1024));
	}
	v = page_base(r, page_str(p, "title"));
	if (*page_str(p, "summary"))
		val_set_str(r->a, v, "description",
		    page_plain(r, page_str(p, "summary")));
	val_set(r->a, v, "publication", p);
	val_set_str(r->a, v, "lang", page_str(p, "lang"));
	page_render(r, "publication", v);
	return r->status;
}

int
page_pub_file(struct req *r, const char *slug)
{
	struct val *p, *data;
	char hex[FILES_HEX + 1] = "";

	p = db_query_one(r->db, r->a,
	    "SELECT id, file_data, file_type FROM publication WHERE slug = ? "
	    "AND file_name IS NOT NULL",
	    "t", slug);
	if (p == NULL || (data = val_get(p, "file_data"))->type != VAL_STR)
		return r->status = 404;
	r->ctype = "application/pdf";
	r->status = 200;
	r->cache = 1;
	r->upload = 1;
	buf_reset(&r->out);
	/* the file's name carries the hash of its bytes: a replaced PDF is
	 * a new file, never the old one */
	if (r->files != NULL) {
		r->fd = files_pub(r->files, page_int(p, "id"), data->u.str.s,
		    data->u.str.len, hex);
		r->hash = hex[0] ? arena_strdup(r->a, hex) : NULL;
		if ((r->has_fd = r->fd != -1)) {
			r->fd_len = data->u.str.len;
			return r->status;
		}
	}
	buf_append(&r->out, data->u.str.s, data->u.str.len);
	return r->status;
}
