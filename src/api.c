/* api.c: the read-only JSON API for partner sites: published items,
 * filtered and paged with an opaque cursor (README.md, "API"). */
#include <stdio.h>
#include <string.h>

#include "extern.h"

#define API_LIMIT_DEFAULT 20
#define API_LIMIT_MAX 100
#define API_ARG_MAX 200 /* bytes of a tag, region or lang value */
#define API_CURSOR_MAX 64 /* hex characters of a cursor */

static const char *const api_kinds[] = {"news", "press-release", "statement",
    "event", "page"};

#define API_COLUMNS                                                        \
	"i.id, i.kind, i.slug, i.title, i.summary, i.body, i.lang, "       \
	"i.published_at, i.tz_offset, i.updated_at, e.starts, e.ends, "    \
	"e.all_day, e.timezone, e.venue, e.city, e.country, e.start_utc, " \
	"e.end_utc"

/* Makes v the JSON answer with status; cacheable when 200 (content
 * changes drop it; answers that read the query never are). */
static int
api_send(struct req *r, int status, const struct val *v)
{
	buf_reset(&r->out);
	json_write(&r->out, v);
	buf_putc(&r->out, '\n');
	r->status = status;
	r->ctype = "application/json; charset=utf-8";
	r->cache = status == 200;
	return status;
}

/* {"error": msg} with status: the page layer keeps a body it is given. */
static int
api_error(struct req *r, int status, const char *msg)
{
	struct val *o = val_obj(r->a);

	val_set_str(r->a, o, "error", msg);
	return api_send(r, status, o);
}

/* [{slug, name}] of the tags or regions of item id. */
static struct val *
api_terms(struct req *r, struct val *rows)
{
	struct val *list = val_list(r->a), *o;
	size_t i;

	for (i = 0; i < rows->u.list.n; i++) {
		o = val_obj(r->a);
		val_set_str(r->a, o, "slug",
		    page_str(rows->u.list.items[i], "slug"));
		val_set_str(r->a, o, "name",
		    page_str(rows->u.list.items[i], "name"));
		val_push(r->a, list, o);
	}
	return list;
}

/* The API object of an item row (API_COLUMNS). */
static struct val *
api_item(struct req *r, struct val *row)
{
	struct val *o = val_obj(r->a);
	const char *kind = page_str(row, "kind");
	long long id = page_int(row, "id"), off = page_int(row, "tz_offset");
	long long allday = page_int(row, "all_day");

	val_set_int(r->a, o, "id", id);
	val_set_str(r->a, o, "kind", kind);
	val_set_str(r->a, o, "slug", page_str(row, "slug"));
	val_set_str(r->a, o, "url",
	    arena_printf(r->a, "%s%s", r->site->conf.base_url,
	        page_item_path(r, kind, page_str(row, "slug"))));
	val_set_str(r->a, o, "title", page_str(row, "title"));
	val_set_str(r->a, o, "summary", page_plain(r, page_str(row, "summary")));
	/* addresses in it are reveal buttons, as on the page */
	val_set(r->a, o, "content_html", page_md(r, page_str(row, "body"), 0));
	val_set_str(r->a, o, "language", page_str(row, "lang"));
	val_set_str(r->a, o, "published",
	    page_iso(r, page_int(row, "published_at"), off));
	val_set_str(r->a, o, "updated",
	    page_iso(r, page_int(row, "updated_at"), off));
	val_set(r->a, o, "tags", api_terms(r, page_item_tags(r, id)));
	val_set(r->a, o, "regions", api_terms(r, page_item_regions(r, id)));
	if (strcmp(kind, "event") == 0 && *page_str(row, "starts")) {
		val_set_str(r->a, o, "start",
		    page_event_iso(r, page_str(row, "starts"),
		        page_int(row, "start_utc"), allday));
		val_set_str(r->a, o, "end",
		    page_event_iso(r, page_str(row, "ends"),
		        page_int(row, "end_utc"), allday));
		val_set_bool(r->a, o, "all_day", allday != 0);
		val_set_str(r->a, o, "timezone", page_str(row, "timezone"));
		val_set_str(r->a, o, "venue", page_str(row, "venue"));
		val_set_str(r->a, o, "city", page_str(row, "city"));
		val_set_str(r->a, o, "country", page_str(row, "country"));
	}
	return o;
}

/* A whole decimal number without sign or leading zero, at most 18
 * digits, into *n; 0 or -1. */
static int
api_number(const char *s, long long *n)
{
	long long v = 0;
	size_t len = strlen(s);

	if (len == 0 || len > 18 || (s[0] == '0' && len > 1))
		return -1;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return -1;
		v = v * 10 + (*s - '0');
	}
	*n = v;
	return 0;
}

/* The cursor of the item after which the next page starts: lowercase hex
 * of "published_at:id" (in the arena). */
static const char *
api_cursor_make(struct req *r, long long t, long long id)
{
	char s[64], *hex;
	size_t i, n;

	n = (size_t)snprintf(s, sizeof(s), "%lld:%lld", t, id);
	hex = arena_alloc(r->a, n * 2 + 1);
	for (i = 0; i < n; i++)
		snprintf(hex + i * 2, 3, "%02x", (unsigned char)s[i]);
	return hex;
}

/* Reads a cursor made by api_cursor_make (lowercase hex only); 0, or -1
 * when malformed. */
static int
api_cursor_parse(const char *hex, long long *t, long long *id)
{
	static const char digits[] = "0123456789abcdef";
	char s[API_CURSOR_MAX / 2 + 1], *colon;
	const char *p, *q;
	size_t i, n = strlen(hex);
	int neg;

	if (n == 0 || n > API_CURSOR_MAX || n % 2)
		return -1;
	for (i = 0; i < n / 2; i++) {
		if ((p = strchr(digits, hex[2 * i])) == NULL || *p == '\0' ||
		    (q = strchr(digits, hex[2 * i + 1])) == NULL || *q == '\0')
			return -1;
		s[i] = (char)((p - digits) << 4 | (q - digits));
	}
	s[n / 2] = '\0';
	if (strlen(s) != n / 2 || (colon = strchr(s, ':')) == NULL)
		return -1;
	*colon = '\0';
	neg = s[0] == '-'; /* a date before 1970 */
	if (api_number(s + neg, t) == -1 || api_number(colon + 1, id) == -1)
		return -1;
	if (neg)
		*t = -*t;
	return 0;
}

/* A filter value: NULL when absent or empty; *bad when too long. */
static const char *
api_filter(struct req *r, const char *key, int *bad)
{
	const char *v = req_arg(r, key);

	if (v == NULL || *v == '\0')
		return NULL;
	if (strlen(v) > API_ARG_MAX)
		*bad = 1;
	return v;
}

/* GET /api/v1/items?kind=&tag=&region=&lang=&limit=&cursor= */
static int
api_items(struct req *r)
{
	const char *kind, *tag, *region, *lang, *s;
	struct val *rows = NULL, *items, *o, *last;
	long long limit = API_LIMIT_DEFAULT, ct = 0, cid = 0;
	size_t i, n;
	int bad = 0, known = 0;

	kind = api_filter(r, "kind", &bad);
	tag = api_filter(r, "tag", &bad);
	region = api_filter(r, "region", &bad);
	lang = api_filter(r, "lang", &bad);
	if (bad)
		return api_error(r, 400, "a filter value is too long");
	for (i = 0; kind && i < sizeof(api_kinds) / sizeof(*api_kinds); i++)
		known |= strcmp(kind, api_kinds[i]) == 0;
	if (kind && !known)
		return api_error(r, 400,
		    "unknown kind (news, press-release, statement, event, page)");
	if ((s = req_arg(r, "limit")) != NULL &&
	    (api_number(s, &limit) == -1 || limit < 1 ||
	        limit > API_LIMIT_MAX))
		return api_error(r, 400, "limit must be a number from 1 to 100");
	if ((s = req_arg(r, "cursor")) != NULL &&
	    api_cursor_parse(s, &ct, &cid) == -1)
		return api_error(r, 400, "malformed cursor");
	if (db_query(r->db, r->a, &rows,
	        "SELECT " API_COLUMNS " FROM item i LEFT JOIN event e ON "
	        "e.item_id = i.id WHERE i.status = 'published' AND "
	        "i.published_at <= ?1 AND (?2 IS NULL OR i.kind = ?2) AND "
	        "(?3 IS NULL OR i.lang = ?3) AND (?4 IS NULL OR EXISTS "
	        "(SELECT 1 FROM item_tag it JOIN tag t ON t.id = it.tag_id "
	        "WHERE it.item_id = i.id AND t.slug = ?4)) AND (?5 IS NULL OR "
	        "EXISTS (SELECT 1 FROM item_region ir JOIN region g ON "
	        "g.id = ir.region_id WHERE ir.item_id = i.id AND "
	        "g.slug = ?5)) AND (?6 = 0 OR i.published_at < ?7 OR "
	        "(i.published_at = ?7 AND i.id < ?8)) ORDER BY "
	        "i.published_at DESC, i.id DESC LIMIT ?9",
	        "ittttiiii", (long long)r->now, kind, lang, tag, region,
	        (long long)(s != NULL), ct, cid, limit + 1) == -1)
		return api_error(r, 500, "the store failed");
	/* one row more than asked says whether a next page exists */
	n = rows->u.list.n > (size_t)limit ? (size_t)limit : rows->u.list.n;
	items = val_list(r->a);
	for (i = 0; i < n; i++)
		val_push(r->a, items, api_item(r, rows->u.list.items[i]));
	o = val_obj(r->a);
	val_set(r->a, o, "items", items);
	if (rows->u.list.n > n) {
		last = rows->u.list.items[n - 1];
		val_set_str(r->a, o, "next_cursor",
		    api_cursor_make(r, page_int(last, "published_at"),
		        page_int(last, "id")));
	} else
		val_set(r->a, o, "next_cursor", val_null(r->a));
	return api_send(r, 200, o);
}

/* GET /api/v1/items/ID */
static int
api_item_one(struct req *r, const char *ids)
{
	struct val *row;
	long long id;

	if (api_number(ids, &id) == -1)
		return api_error(r, 404, "not found");
	row = db_query_one(r->db, r->a,
	    "SELECT " API_COLUMNS " FROM item i LEFT JOIN event e ON "
	    "e.item_id = i.id WHERE i.id = ? AND i.status = 'published' AND "
	    "i.published_at <= ?",
	    "ii", id, (long long)r->now);
	if (row == NULL)
		return api_error(r, 404, "not found");
	return api_send(r, 200, api_item(r, row));
}

int
api_answer(struct req *r, const char *path)
{
	if (strcmp(path, "/api/v1/items") == 0)
		return api_items(r);
	if (strncmp(path, "/api/v1/items/", 14) == 0)
		return api_item_one(r, path + 14);
	return api_error(r, 404, "not found");
}
