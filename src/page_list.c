/* page_list.c: listings: per kind, per tag, per region, and the indexes
 * of tags and regions. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "extern.h"

#define LIST_COLUMNS                                                       \
	"i.id, i.kind, i.slug, i.title, i.summary, i.published_at, "       \
	"i.tz_offset, e.starts, e.ends, e.all_day, e.venue, e.city, "     \
	"e.country"
#define LIST_LIVE "i.status = 'published' AND i.published_at <= ?"

/*
 * The order of each listing (a kind, a tag, a region) is kept per content
 * revision: every published item's id and time, newest first. A page then
 * costs a binary search and the read of its ten rows, where SQL for one
 * page sorted the whole listing again (a tag of 2,000 items: some 25,000
 * steps of SQLite's machine for each of its 200 pages) and counted it.
 * Items published with a time still to come are kept and skipped until
 * their time, so an order stays right until the content changes.
 */
#define LIST_KEPT_MAX ((size_t)4 << 20) /* ids kept in all */

struct list_order {
	struct list_order *next;
	char key[48];
	long long rev;
	size_t n;
	long long *v; /* n pairs (id, published_at), newest first */
};

/* A short text a revision determines (list_memo_get) */
struct list_memo {
	struct list_memo *next;
	char key[48];
	long long rev;
	char *value;
};

struct list_cache {
	pthread_mutex_t lock;
	struct list_order *head;
	size_t kept; /* ids, over all orders */
	struct list_memo *memos;
};

struct list_cache *
list_cache_new(void)
{
	struct list_cache *c;

	if ((c = calloc(1, sizeof(*c))) == NULL)
		return NULL;
	pthread_mutex_init(&c->lock, NULL);
	return c;
}

static void
list_order_free(struct list_order *o)
{
	if (o != NULL)
		free(o->v);
	free(o);
}

/* Drops the orders made before rev (all of them when rev is -1). */
static void
list_cache_drop_locked(struct list_cache *c, long long rev)
{
	struct list_order **pp = &c->head, *o;

	while ((o = *pp) != NULL)
		if (rev == -1 || o->rev < rev) {
			*pp = o->next;
			c->kept -= o->n;
			list_order_free(o);
		} else
			pp = &o->next;
}

/* Drops the memos made before rev (all of them when rev is -1) and the
 * one of key (when not NULL). */
static void
list_memo_drop_locked(struct list_cache *c, long long rev, const char *key)
{
	struct list_memo **pp = &c->memos, *m;

	while ((m = *pp) != NULL)
		if (rev == -1 || m->rev < rev ||
		    (key != NULL && strcmp(m->key, key) == 0)) {
			*pp = m->next;
			free(m->value);
			free(m);
		} else
			pp = &m->next;
}

void
list_cache_free(struct list_cache *c)
{
	if (c == NULL)
		return;
	list_cache_drop_locked(c, -1);
	list_memo_drop_locked(c, -1, NULL);
	pthread_mutex_destroy(&c->lock);
	free(c);
}

/* The content revision r reads. */
static long long
list_rev(struct req *r)
{
	return db_int(r->db,
	    "SELECT CAST(value AS INTEGER) FROM meta WHERE key = 'rev'", "");
}

const char *
list_memo_get(struct req *r, const char *key, long long *rev)
{
	struct list_cache *c = r->site ? r->site->lists : NULL;
	struct list_memo *m;
	const char *s = NULL;

	*rev = list_rev(r);
	if (c == NULL || *rev < 0)
		return NULL;
	pthread_mutex_lock(&c->lock);
	for (m = c->memos; m != NULL; m = m->next)
		if (m->rev == *rev && strcmp(m->key, key) == 0) {
			s = arena_strdup(r->a, m->value);
			break;
		}
	pthread_mutex_unlock(&c->lock);
	return s;
}

void
list_memo_put(struct req *r, const char *key, long long rev, const char *value)
{
	struct list_cache *c = r->site ? r->site->lists : NULL;
	struct list_memo *m;

	if (c == NULL || rev < 0 || strlen(key) >= sizeof(m->key) ||
	    (m = calloc(1, sizeof(*m))) == NULL)
		return;
	snprintf(m->key, sizeof(m->key), "%s", key);
	m->rev = rev;
	if ((m->value = strdup(value)) == NULL) {
		free(m);
		return;
	}
	pthread_mutex_lock(&c->lock);
	list_memo_drop_locked(c, rev, key);
	m->next = c->memos;
	c->memos = m;
	pthread_mutex_unlock(&c->lock);
}

static int list_kind_page(struct req *, const char *, long long,
    long long *, const char **);
static int list_tag_page(struct req *, long long, long long, long long *,
    const char **);
static int list_region_page(struct req *, long long, long long, long long *,
    const char **);

/* The ids of one page of order o as a JSON array (for json_each), and the
 * number of items live at r->now in *total. */
static const char *
list_slice(struct req *r, const struct list_order *o, long long page,
    long long *total)
{
	size_t lo = 0, hi = o->n, mid, i, from;
	struct buf b;
	const char *s;

	/* the first item whose time has come (times never grow) */
	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (o->v[2 * mid + 1] <= (long long)r->now)
			hi = mid;
		else
			lo = mid + 1;
	}
	*total = (long long)(o->n - lo);
	buf_init(&b, 4096);
	buf_putc(&b, '[');
	from = page >= 1 && page <= (long long)(o->n / PAGE_SIZE + 1)
	    ? lo + (size_t)((page - 1) * PAGE_SIZE)
	    : o->n; /* no such page: no ids */
	for (i = from; i < o->n && i < from + PAGE_SIZE; i++)
		buf_printf(&b, "%s%lld", i > from ? "," : "", o->v[2 * i]);
	buf_putc(&b, ']');
	s = arena_strdup(r->a, b.err ? "[]" : buf_cstr(&b));
	buf_free(&b);
	return s;
}

/*
 * One page of the listing key, whose order sql (bound to the text targ when
 * fmt is "t", else to iarg) gives as (id, published_at) rows, newest
 * first: its ids in *ids and the live total in *total. 0 or -1.
 */
static int
list_page(struct req *r, const char *key, const char *sql, const char *fmt,
    const char *targ, long long iarg, long long page, long long *total,
    const char **ids)
{
	struct list_cache *c = r->site ? r->site->lists : NULL;
	struct list_order *o, *mine;
	long long rev;
	int rc;

	/* the revision is read before the order: an order read after a
	 * change and kept under the older number is only ever refreshed */
	rev = list_rev(r);
	if (c != NULL) {
		pthread_mutex_lock(&c->lock);
		for (o = c->head; o != NULL; o = o->next)
			if (o->rev == rev && strcmp(o->key, key) == 0) {
				*ids = list_slice(r, o, page, total);
				pthread_mutex_unlock(&c->lock);
				goto done;
			}
		pthread_mutex_unlock(&c->lock);
	}
	if ((mine = calloc(1, sizeof(*mine))) == NULL)
		return -1;
	snprintf(mine->key, sizeof(mine->key), "%s", key);
	mine->rev = rev;
	rc = fmt[0] == 't' ? db_pairs(r->db, &mine->v, &mine->n, sql, fmt, targ)
	                   : db_pairs(r->db, &mine->v, &mine->n, sql, fmt, iarg);
	if (rc == -1) {
		list_order_free(mine);
		return -1;
	}
	*ids = list_slice(r, mine, page, total);
	if (c == NULL || rev < 0 || strlen(key) >= sizeof(mine->key)) {
		list_order_free(mine);
		goto done;
	}
	pthread_mutex_lock(&c->lock);
	list_cache_drop_locked(c, rev);
	if (c->kept + mine->n > LIST_KEPT_MAX)
		list_cache_drop_locked(c, -1);
	mine->next = c->head;
	c->head = mine;
	c->kept += mine->n;
	pthread_mutex_unlock(&c->lock);
done:
	r->list_key = arena_strdup(r->a, key);
	r->list_ids = *ids;
	r->list_total = *total;
	return 0;
}

int
list_ids_at(struct req *r, const char *key, long long page, long long *total,
    const char **ids)
{
	const char *colon = strchr(key, ':');
	long long id;
	char *end;

	if (colon == NULL)
		return -1;
	if (strncmp(key, "kind:", 5) == 0)
		return list_kind_page(r, colon + 1, page, total, ids);
	id = strtoll(colon + 1, &end, 10);
	if (*end != '\0' || id <= 0)
		return -1;
	if (strncmp(key, "tag:", 4) == 0)
		return list_tag_page(r, id, page, total, ids);
	if (strncmp(key, "region:", 7) == 0)
		return list_region_page(r, id, page, total, ids);
	return -1;
}

static int
list_kind_page(struct req *r, const char *kind, long long page,
    long long *total, const char **ids)
{
	return list_page(r, arena_printf(r->a, "kind:%s", kind),
	    "SELECT id, published_at FROM item INDEXED BY item_live "
	    "WHERE kind = ? AND status = 'published' "
	    "ORDER BY published_at DESC, id DESC",
	    "t", kind, 0, page, total, ids);
}

static int
list_tag_page(struct req *r, long long tag, long long page,
    long long *total, const char **ids)
{
	return list_page(r, arena_printf(r->a, "tag:%lld", tag),
	    "SELECT i.id, i.published_at FROM item_tag it JOIN item i "
	    "INDEXED BY item_live ON i.id = it.item_id WHERE it.tag_id = ? "
	    "AND "
	    "i.status = 'published' "
	    "ORDER BY i.published_at DESC, i.id DESC",
	    "i", NULL, tag, page, total, ids);
}

static int
list_region_page(struct req *r, long long region, long long page,
    long long *total, const char **ids)
{
	return list_page(r, arena_printf(r->a, "region:%lld", region),
	    "SELECT i.id, i.published_at FROM item_region ir JOIN item i "
	    "INDEXED BY item_live ON i.id = ir.item_id WHERE "
	    "ir.region_id = ? AND "
	    "i.status = 'published' "
	    "ORDER BY i.published_at DESC, i.id DESC",
	    "i", NULL, region, page, total, ids);
}

/* The rows of a page whose ids list_page gave, newest first; still only
 * what is live, should the content have changed in between. */
static int
list_rows(struct req *r, const char *ids, struct val **rows)
{
	/* CROSS JOIN keeps SQLite to this order: the ten ids, then their
	 * rows by rowid (with IN it chose to walk an index of every item
	 * and test each against the list, 90,000 steps a page) */
	return db_query(r->db, r->a, rows,
	    "SELECT " LIST_COLUMNS " FROM json_each(?) j CROSS JOIN item i "
	    "INDEXED BY item_card ON i.id = j.value LEFT JOIN event e ON "
	    "e.item_id = i.id WHERE " LIST_LIVE " ORDER BY i.published_at "
	    "DESC, i.id DESC",
	    "ti", ids, (long long)r->now);
}

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
	const char *base, *label, *ids;

	if (list_kind_page(r, kind, page, &total, &ids) == -1)
		return r->status = 500;
	if (page_beyond(total, page))
		return r->status = 404;
	if (list_rows(r, ids, &rows) == -1)
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
	const char *heading, *ids;
	long long total;

	tag = db_query_one(r->db, r->a,
	    "SELECT id, name FROM tag WHERE slug = ?", "t", slug);
	if (tag == NULL)
		return r->status = 404;
	if (list_tag_page(r, page_int(tag, "id"), page, &total, &ids) == -1)
		return r->status = 500;
	/* a tag no public item carries is not public: a draft's tags stay
	 * unseen, and no page stays behind that nothing links to */
	if (total == 0 || page_beyond(total, page))
		return r->status = 404;
	if (list_rows(r, ids, &rows) == -1)
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
	        "JOIN item_tag it ON it.tag_id = t.id JOIN item i INDEXED BY "
	        "item_live ON i.id = it.item_id WHERE " LIST_LIVE " GROUP BY t.id "
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
	        "(SELECT count(*) FROM item_region ir JOIN item i INDEXED BY "
	        "item_live ON i.id = ir.item_id WHERE ir.region_id = g.id AND "
	        LIST_LIVE
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
	const char *ids;
	long long total;

	g = db_query_one(r->db, r->a,
	    "SELECT id, name FROM region WHERE slug = ?", "t", slug);
	if (g == NULL)
		return r->status = 404;
	if (list_region_page(r, page_int(g, "id"), page, &total, &ids) == -1)
		return r->status = 500;
	if (page_beyond(total, page))
		return r->status = 404;
	if (list_rows(r, ids, &rows) == -1 ||
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
