/* page_home.c: the home page: the latest of each kind and the events to
 * come. */
#include <string.h>

#include "extern.h"

#define HOME_LATEST 3

/* The site as a schema.org Organization, its social accounts as sameAs. */
static void
home_jsonld(struct req *r, struct val *v)
{
	struct val *d = val_obj(r->a), *same = val_list(r->a);
	const struct val *social = val_get(v, "social");
	const char *desc = page_str(v, "description");
	size_t i;

	val_set_str(r->a, d, "@context", "https://schema.org");
	val_set_str(r->a, d, "@type", "Organization");
	val_set_str(r->a, d, "name", page_str(val_get(v, "site"), "name"));
	val_set_str(r->a, d, "url",
	    arena_printf(r->a, "%s/", r->site->conf.base_url));
	if (*desc)
		val_set_str(r->a, d, "description", desc);
	for (i = 0; social && social->type == VAL_LIST &&
	     i < social->u.list.n; i++)
		if (*page_str(social->u.list.items[i], "url"))
			val_push(r->a, same,
			    val_str(r->a,
			        page_str(social->u.list.items[i], "url")));
	val_set(r->a, d, "sameAs", same);
	page_jsonld(r, v, d);
}

int
page_home(struct req *r)
{
	static const struct {
		const char *kind;
		const char *key;
	} kinds[] = {
		{"press-release", "press_releases"},
		{"news", "news"},
		{"statement", "statements"},
	};
	struct val *v, *rows = NULL;
	size_t k, i;

	v = page_base(r, NULL);
	val_set_bool(r->a, v, "home", 1);
	home_jsonld(r, v);
	for (k = 0; k < sizeof(kinds) / sizeof(*kinds); k++) {
		if (db_query(r->db, r->a, &rows,
		        "SELECT id, kind, slug, title, summary, published_at, "
		        "tz_offset FROM item WHERE kind = ? AND status = "
		        "'published' AND published_at <= ? ORDER BY "
		        "published_at DESC, id DESC LIMIT ?",
		        "tii", kinds[k].kind, (long long)r->now,
		        (long long)HOME_LATEST) == -1)
			return r->status = 500;
		for (i = 0; i < rows->u.list.n; i++)
			page_item_val(r, rows->u.list.items[i]);
		val_set(r->a, v, kinds[k].key, rows);
	}
	if (db_query(r->db, r->a, &rows,
	        "SELECT i.id, i.kind, i.slug, i.title, i.summary, "
	        "i.published_at, i.tz_offset, e.starts, e.ends, e.all_day, "
	        "e.venue, e.city, e.country FROM item i JOIN event e ON "
	        "e.item_id = i.id WHERE i.status = 'published' AND "
	        "i.published_at <= ? AND e.end_utc >= ? ORDER BY e.start_utc "
	        "LIMIT 5",
	        "ii", (long long)r->now, (long long)r->now) == -1)
		return r->status = 500;
	for (i = 0; i < rows->u.list.n; i++)
		page_item_val(r, rows->u.list.items[i]);
	val_set(r->a, v, "upcoming", rows);
	page_render(r, "home", v);
	/* "upcoming" moves with the clock, not only with the content */
	r->expires = r->now + 300;
	return r->status;
}
