/* page_list.c: listings: per kind, per tag, per region, and the indexes
 * of tags and regions. */
#include <string.h>

#include "extern.h"

#define LIST_COLUMNS                                                       \
	"i.id, i.kind, i.slug, i.title, i.summary, i.published_at, "       \
	"i.tz_offset, e.starts, e.ends, e.all_day, e.venue, e.city, "     \
	"e.country"
#define LIST_LIVE "i.status = 'published' AND i.published_at <= ?"
/* A page of a listing is chosen by its ids from the index item_live (id,
 * kind, status, published_at) alone, and only its ten rows are read: an
 * item's row holds its whole text, and a deep page (OFFSET 5000) would
 * otherwise read every row before it. */

static void
list_items(struct req *r, struct val *rows)
{
	size_t i;

	for (i = 0; i < rows->u.list.n; i++)
		page_item_val(r, rows->u.list.items[i]);
}

/* Renders one page of a listing: heading, the items and the pager; its
 * Atom feed (base + "feed.atom") in the head and as a visible link. */
static int
list_show(struct req *r, struct val *v, const char *heading,
    struct val *rows, const char *base, long long page, long long total)
{
	const char *feed = arena_printf(r->a, "%sfeed.atom", base);

	page_feed(r, v,
	    arena_printf(r->a, "%s — %s", page_str(val_get(v, "site"), "name"),
	        heading),
	    feed, 0);
	val_set_str(r->a, v, "subscribe", feed);
	list_items(r, rows);
	val_set_str(r->a, v, "heading", heading);
	val_set(r->a, v, "items", rows);
	val_set(r->a, v, "pager", page_pager(r, base, page, total));
	page_render(r, "list", v);
	return r->status;
}

static const char *
list_kind_folder(const char *kind)
{
	if (strcmp(kind, "press-release") == 0)
		return "press-releases";
	if (strcmp(kind, "statement") == 0)
		return "statements";
	return kind;
}

int
page_list_kind(struct req *r, const char *kind, long long page)
{
	struct val *v, *rows = NULL;
	long long total;
	const char *base, *label;

	total = db_int(r->db,
	    "SELECT count(*) FROM item i WHERE i.kind = ? AND " LIST_LIVE, "ti",
	    kind, (long long)r->now);
	if (page_beyond(total, page))
		return r->status = 404;
	if (db_query(r->db, r->a, &rows,
	        "SELECT " LIST_COLUMNS " FROM item i LEFT JOIN event e ON "
	        "e.item_id = i.id WHERE i.id IN (SELECT i.id FROM item i "
	        "INDEXED BY item_live WHERE i.kind = ? AND " LIST_LIVE
	        " ORDER BY i.published_at DESC, i.id DESC LIMIT ? OFFSET ?) "
	        "ORDER BY i.published_at DESC, i.id DESC",
	        "tiii", kind, (long long)r->now, (long long)PAGE_SIZE,
	        (page - 1) * PAGE_SIZE) == -1)
		return r->status = 500;
	label = strcmp(kind, "news") == 0            ? "News"
	    : strcmp(kind, "press-release") == 0     ? "Press releases"
	                                             : "Statements";
	base = arena_printf(r->a, "/%s/", list_kind_folder(kind));
	v = page_base(r, page > 1 ? arena_printf(r->a, "%s, page %lld", label,
	                                  page)
	                          : label);
	val_set_str(r->a, v, "description",
	    arena_printf(r->a, "%s from %s, newest first.", label,
	        page_str(val_get(v, "site"), "name")));
	return list_show(r, v, label, rows, base, page, total);
}

int
page_list_tag(struct req *r, const char *slug, long long page)
{
	struct val *v, *rows = NULL, *tag;
	const char *heading;
	long long total;

	tag = db_query_one(r->db, r->a,
	    "SELECT id, name FROM tag WHERE slug = ?", "t", slug);
	if (tag == NULL)
		return r->status = 404;
	total = db_int(r->db,
	    "SELECT count(*) FROM item_tag it JOIN item i INDEXED BY item_live "
	    "ON i.id = it.item_id WHERE it.tag_id = ? AND " LIST_LIVE,
	    "ii", page_int(tag, "id"), (long long)r->now);
	if (page_beyond(total, page))
		return r->status = 404;
	if (db_query(r->db, r->a, &rows,
	        "SELECT " LIST_COLUMNS " FROM item i LEFT JOIN event e ON "
	        "e.item_id = i.id WHERE i.id IN (SELECT i.id FROM item_tag it "
	        "JOIN item i INDEXED BY item_live ON i.id = it.item_id "
	        "WHERE it.tag_id = ? AND " LIST_LIVE
	        " ORDER BY i.published_at DESC, i.id DESC LIMIT ? OFFSET ?) "
	        "ORDER BY i.published_at DESC, i.id DESC",
	        "iiii", page_int(tag, "id"), (long long)r->now,
	        (long long)PAGE_SIZE, (page - 1) * PAGE_SIZE) == -1)
		return r->status = 500;
	heading = arena_printf(r->a, "Tagged “%s”", page_str(tag, "name"));
	v = page_base(r, heading);
	val_set_str(r->a, v, "description",
	    arena_printf(r->a, "What %s has published about %s, newest first.",
	        page_str(val_get(v, "site"), "name"), page_str(tag, "name")));
	val_set_str(r->a, v, "up", "/tags/");
	val_set_str(r->a, v, "up_label", "All tags");
	return list_show(r, v, heading, rows,
	    arena_printf(r->a, "/tags/%s/", slug), page, total);
}

int
page_list_tags(struct req *r)
{
	struct val *v, *rows = NULL;
	size_t i;

	if (db_query(r->db, r->a, &rows,
	        "SELECT t.slug, t.name, count(*) AS count FROM tag t "
	        "JOIN item_tag it ON it.tag_id = t.id JOIN item i ON "
	        "i.id = it.item_id WHERE " LIST_LIVE " GROUP BY t.id "
	        "ORDER BY t.name COLLATE NOCASE",
	        "i", (long long)r->now) == -1)
		return r->status = 500;
	for (i = 0; i < rows->u.list.n; i++)
		val_set_str(r->a, rows->u.list.items[i], "url",
		    arena_printf(r->a, "/tags/%s",
		        page_str(rows->u.list.items[i], "slug")));
	v = page_base(r, "Tags");
	val_set_str(r->a, v, "description",
	    arena_printf(r->a, "The topics %s writes about.",
	        page_str(val_get(v, "site"), "name")));
	val_set_str(r->a, v, "heading", "Tags");
	val_set(r->a, v, "terms", rows);
	page_render(r, "terms", v);
	return r->status;
}

int
page_list_regions(struct req *r)
{
	struct val *v, *rows = NULL;
	size_t i;

	if (db_query(r->db, r->a, &rows,
	        "SELECT g.slug, g.name, "
	        "(SELECT count(*) FROM item_region ir JOIN item i ON "
	        "i.id = ir.item_id WHERE ir.region_id = g.id AND " LIST_LIVE
	        ") AS count, "
	        "(SELECT count(*) FROM member m WHERE m.region_id = g.id) "
	        "AS members FROM region g ORDER BY g.position",
	        "i", (long long)r->now) == -1)
		return r->status = 500;
	for (i = 0; i < rows->u.list.n; i++)
		val_set_str(r->a, rows->u.list.items[i], "url",
		    arena_printf(r->a, "/regions/%s",
		        page_str(rows->u.list.items[i], "slug")));
	v = page_base(r, "Regions");
	val_set_str(r->a, v, "description",
	    arena_printf(r->a, "The work of %s and its members, region by "
	                       "region.",
	        page_str(val_get(v, "site"), "name")));
	val_set_str(r->a, v, "heading", "Regions");
	val_set_str(r->a, v, "intro",
	    "See what is happening in your region: news, statements and "
	    "events, and the member organisations working there.");
	val_set(r->a, v, "terms", rows);
	val_set_bool(r->a, v, "regions", 1);
	page_render(r, "terms", v);
	return r->status;
}

int
page_list_region(struct req *r, const char *slug, long long page)
{
	struct val *v, *rows = NULL, *members = NULL, *g;
	long long total;

	g = db_query_one(r->db, r->a,
	    "SELECT id, name FROM region WHERE slug = ?", "t", slug);
	if (g == NULL)
		return r->status = 404;
	total = db_int(r->db,
	    "SELECT count(*) FROM item_region ir JOIN item i INDEXED BY "
	    "item_live ON i.id = ir.item_id WHERE ir.region_id = ? AND "
	    LIST_LIVE,
	    "ii", page_int(g, "id"), (long long)r->now);
	if (page_beyond(total, page))
		return r->status = 404;
	if (db_query(r->db, r->a, &rows,
	        "SELECT " LIST_COLUMNS " FROM item i LEFT JOIN event e ON "
	        "e.item_id = i.id WHERE i.id IN (SELECT i.id FROM item_region "
	        "ir JOIN item i INDEXED BY item_live ON i.id = ir.item_id "
	        "WHERE ir.region_id = ? AND " LIST_LIVE
	        " ORDER BY i.published_at DESC, i.id DESC LIMIT ? OFFSET ?) "
	        "ORDER BY i.published_at DESC, i.id DESC",
	        "iiii", page_int(g, "id"), (long long)r->now,
	        (long long)PAGE_SIZE, (page - 1) * PAGE_SIZE) == -1 ||
	    db_query(r->db, r->a, &members,
	        "SELECT name, acronym, country, slug FROM member WHERE "
	        "region_id = ? ORDER BY country, name COLLATE NOCASE",
	        "i", page_int(g, "id")) == -1)
		return r->status = 500;
	v = page_base(r, page_str(g, "name"));
	val_set_str(r->a, v, "description",
	    arena_printf(r->a, "News, statements and events of %s in %s.",
	        page_str(val_get(v, "site"), "name"), page_str(g, "name")));
	if (page == 1 && members->u.list.n)
		val_set(r->a, v, "members", members);
	val_set_str(r->a, v, "up", "/regions/");
	val_set_str(r->a, v, "up_label", "All regions");
	return list_show(r, v, page_str(g, "name"), rows,
	    arena_printf(r->a, "/regions/%s/", slug), page, total);
}
