/* page_members.c: the member directory by region and country, with the
 * count per region drawn as a bar chart. */
#include <string.h>

#include "extern.h"

int
page_members(struct req *r)
{
	struct val *v, *rows = NULL, *regions, *reg = NULL, *countries = NULL;
	struct val *country = NULL, *members = NULL, *m, *chart, *bar;
	const char *rname = NULL, *cname = NULL;
	long long max = 1, n;
	size_t i;

	if (db_query(r->db, r->a, &rows,
	        "SELECT m.slug, m.name, m.acronym, m.country, m.country_code, "
	        "m.website, m.body, g.name AS region, g.slug AS region_slug "
	        "FROM member m LEFT JOIN region g ON g.id = m.region_id "
	        "ORDER BY g.position IS NULL, g.position, m.country, "
	        "m.name COLLATE NOCASE",
	        "") == -1)
		return r->status = 500;
	regions = val_list(r->a);
	for (i = 0; i < rows->u.list.n; i++) {
		m = rows->u.list.items[i];
		if (rname == NULL || strcmp(rname, page_str(m, "region")) != 0) {
			rname = page_str(m, "region");
			reg = val_obj(r->a);
			val_set_str(r->a, reg, "name", *rname ? rname : "Other");
			val_set_str(r->a, reg, "slug", page_str(m, "region_slug"));
			val_set_int(r->a, reg, "count", 0);
			countries = val_list(r->a);
			val_set(r->a, reg, "countries", countries);
			val_push(r->a, regions, reg);
			cname = NULL;
		}
		if (cname == NULL || strcmp(cname, page_str(m, "country")) != 0) {
			cname = page_str(m, "country");
			country = val_obj(r->a);
			val_set_str(r->a, country, "name", cname);
			members = val_list(r->a);
			val_set(r->a, country, "members", members);
			val_push(r->a, countries, country);
		}
		if (*page_str(m, "body"))
			val_set(r->a, m, "body_html",
			    page_md(r, page_str(m, "body"), 1));
		val_push(r->a, members, m);
		n = page_int(reg, "count") + 1;
		val_set_int(r->a, reg, "count", n);
		if (n > max)
			max = n;
	}
	/* An SVG bar chart, 480 units wide, one 44-unit row per region: the
	 * label above its bar. CSP allows no inline style, and SVG
	 * attributes need none. */
	chart = val_list(r->a);
	for (i = 0; i < regions->u.list.n; i++) {
		reg = regions->u.list.items[i];
		n = page_int(reg, "count");
		bar = val_obj(r->a);
		val_set_str(r->a, bar, "name", page_str(reg, "name"));
		val_set_int(r->a, bar, "count", n);
		val_set_int(r->a, bar, "ty", (long long)i * 44 + 14);
		val_set_int(r->a, bar, "by", (long long)i * 44 + 20);
		val_set_int(r->a, bar, "width", n * 400 / max);
		val_set_int(r->a, bar, "cx", n * 400 / max + 6);
		val_set_int(r->a, bar, "cy", (long long)i * 44 + 33);
		val_push(r->a, chart, bar);
	}
	v = page_base(r, "Members");
	val_set_str(r->a, v, "description",
	    arena_printf(r->a, "The member organisations of %s, by region and "
	                       "country.",
	        page_str(val_get(v, "site"), "name")));
	val_set_str(r->a, v, "heading", "Member organisations");
	val_set(r->a, v, "regions", regions);
	val_set(r->a, v, "chart", chart);
	val_set_int(r->a, v, "chart_height", (long long)regions->u.list.n * 44);
	val_set_int(r->a, v, "total", (long long)rows->u.list.n);
	page_render(r, "members", v);
	return r->status;
}

int
page_member(struct req *r, const char *slug)
{
	struct val *v, *m;

	m = db_query_one(r->db, r->a,
	    "SELECT m.slug, m.name, m.acronym, m.country, m.website, m.body, "
	    "g.name AS region, g.slug AS region_slug FROM member m LEFT JOIN "
	    "region g ON g.id = m.region_id WHERE m.slug = ?",
	    "t", slug);
	if (m == NULL)
		return r->status = 404;
	if (*page_str(m, "body"))
		val_set(r->a, m, "body_html", page_md(r, page_str(m, "body"), 0));
	if (*page_str(m, "region_slug"))
		val_set_str(r->a, m, "region_url",
		    arena_printf(r->a, "/regions/%s", page_str(m, "region_slug")));
	v = page_base(r, page_str(m, "name"));
	val_set_str(r->a, v, "description",
	    arena_printf(r->a, "%s, %s: a member organisation of %s.",
	        page_str(m, "name"), page_str(m, "country"),
	        page_str(val_get(v, "site"), "name")));
	val_set(r->a, v, "member", m);
	page_render(r, "member", v);
	return r->status;
}
