/* page_events.c: the events page: those to come, then those past. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "extern.h"

/* "YYYY-MM-DD[THH:MM...]" (as the loader stored it) into its parts, hours
 * and minutes -1 for a date alone; 0 or -1. */
static int
events_parse(const char *s, int *y, int *m, int *d, int *hh, int *mm)
{
	struct tm tm;
	int off, has_time, has_off;

	if (load_parse_date(s, &tm, &off, &has_time, &has_off) == -1)
		return -1;
	*y = tm.tm_year + 1900;
	*m = tm.tm_mon + 1;
	*d = tm.tm_mday;
	*hh = has_time ? tm.tm_hour : -1;
	*mm = has_time ? tm.tm_min : -1;
	return 0;
}

const char *
page_event_when(struct req *r, const char *starts, const char *ends,
    long long all_day)
{
	static const char *const mon[] = {"January", "February", "March",
	    "April", "May", "June", "July", "August", "September", "October",
	    "November", "December"};
	int y1, m1, d1, h1, n1, y2, m2, d2, h2, n2;

	if (events_parse(starts, &y1, &m1, &d1, &h1, &n1) == -1)
		return starts;
	if (events_parse(ends, &y2, &m2, &d2, &h2, &n2) == -1)
		y2 = y1, m2 = m1, d2 = d1, h2 = h1, n2 = n1;
	if (!all_day && h1 >= 0) {
		if (y1 == y2 && m1 == m2 && d1 == d2)
			return arena_printf(r->a, "%d %s %d, %02d:%02d–%02d:%02d",
			    d1, mon[m1 - 1], y1, h1, n1, h2, n2);
		return arena_printf(r->a, "%d %s %d, %02d:%02d – %d %s %d, "
		                          "%02d:%02d",
		    d1, mon[m1 - 1], y1, h1, n1, d2, mon[m2 - 1], y2, h2, n2);
	}
	if (y1 == y2 && m1 == m2 && d1 == d2)
		return arena_printf(r->a, "%d %s %d", d1, mon[m1 - 1], y1);
	if (y1 == y2 && m1 == m2)
		return arena_printf(r->a, "%d–%d %s %d", d1, d2, mon[m1 - 1],
		    y1);
	if (y1 == y2)
		return arena_printf(r->a, "%d %s – %d %s %d", d1, mon[m1 - 1],
		    d2, mon[m2 - 1], y1);
	return arena_printf(r->a, "%d %s %d – %d %s %d", d1, mon[m1 - 1], y1,
	    d2, mon[m2 - 1], y2);
}

const char *
page_event_iso(struct req *r, const char *when, long long utc,
    long long all_day)
{
	int y, m, d, hh, mm;
	struct tm tm;
	long long local;

	if (events_parse(when, &y, &m, &d, &hh, &mm) == -1)
		return when;
	if (all_day || hh < 0)
		return arena_printf(r->a, "%04d-%02d-%02d", y, m, d);
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = y - 1900;
	tm.tm_mon = m - 1;
	tm.tm_mday = d;
	tm.tm_hour = hh;
	tm.tm_min = mm;
	local = (long long)timegm(&tm);
	/* the offset of the place at that time, in whole minutes */
	return page_iso(r, utc, (local - (utc - utc % 60)) / 60);
}

#define EVENT_COLUMNS                                                      \
	"i.id, i.kind, i.slug, i.title, i.summary, i.published_at, "       \
	"i.tz_offset, e.starts, e.ends, e.all_day, e.venue, e.city, "     \
	"e.country"

/*
 * The past events' ids, newest first, as "NOW:id,id,...": kept per
 * revision and time (every page of the listing needs them; counting and
 * skipping to each page in SQL read the whole list again per page).
 * NULL on a failure.
 */
static const char *
events_past(struct req *r)
{
	struct val *rows;
	const char *s;
	long long rev;
	struct buf b;
	size_t i;
	char *end;

	if ((s = list_memo_get(r, "events:past", &rev)) != NULL &&
	    strtoll(s, &end, 10) == (long long)r->now && *end == ':')
		return end + 1;
	if (db_query(r->db, r->a, &rows,
		"SELECT e.item_id AS id FROM event e JOIN item i INDEXED BY "
		"item_live ON i.id = e.item_id WHERE i.status = 'published' "
		"AND i.published_at <= ? AND e.end_utc < ? ORDER BY "
		"e.start_utc DESC, e.item_id DESC",
		"ii", (long long)r->now, (long long)r->now) == -1)
		return NULL;
	buf_init(&b, (size_t)64 << 20);
	buf_printf(&b, "%lld:", (long long)r->now);
	for (i = 0; i < rows->u.list.n; i++)
		buf_printf(&b, "%s%lld", i > 0 ? "," : "",
		    page_int(rows->u.list.items[i], "id"));
	s = b.err ? NULL : arena_strdup(r->a, buf_cstr(&b));
	buf_free(&b);
	if (s == NULL)
		return NULL;
	list_memo_put(r, "events:past", rev, s);
	return strchr(s, ':') + 1;
}

int
page_events(struct req *r, long long page)
{
	struct val *v, *up = NULL, *past = NULL;
	const char *ids, *p;
	long long total = 0, skip;
	struct buf b;
	size_t i;

	if ((ids = events_past(r)) == NULL)
		return r->status = 500;
	for (p = ids; *p != '\0'; p++)
		total += *p == ',';
	total += *ids != '\0';
	if (page_beyond(total, page))
		return r->status = 404;
	/* the page's ids as a JSON array, for json_each */
	buf_init(&b, 4096);
	buf_putc(&b, '[');
	for (p = ids, skip = (page - 1) * PAGE_SIZE; skip > 0 && p != NULL;
	     skip--)
		if ((p = strchr(p, ',')) != NULL)
			p++;
	for (i = 0; p != NULL && *p != '\0' && i < PAGE_SIZE; i++) {
		if (i > 0)
			buf_putc(&b, ',');
		buf_append(&b, p, strcspn(p, ","));
		if ((p = strchr(p, ',')) != NULL)
			p++;
	}
	buf_putc(&b, ']');
	if ((page == 1 &&
	        db_query(r->db, r->a, &up,
	            "SELECT " EVENT_COLUMNS " FROM item i JOIN event e ON "
	            "e.item_id = i.id WHERE i.status = 'published' AND "
	            "i.published_at <= ? AND e.end_utc >= ? ORDER BY "
	            "e.start_utc",
	            "ii", (long long)r->now, (long long)r->now) == -1) ||
	    b.err ||
	    db_query(r->db, r->a, &past,
	        /* the ten ids, then their columns from item_card */
	        "SELECT " EVENT_COLUMNS " FROM json_each(?) j CROSS JOIN "
	        "item i INDEXED BY item_card ON i.id = j.value JOIN event e "
	        "ON e.item_id = i.id ORDER BY e.start_utc DESC, e.item_id "
	        "DESC",
	        "t", buf_cstr(&b)) == -1) {
		buf_free(&b);
		return r->status = 500;
	}
	buf_free(&b);
	for (i = 0; up && i < up->u.list.n; i++)
		page_item_val(r, up->u.list.items[i]);
	for (i = 0; i < past->u.list.n; i++)
		page_item_val(r, past->u.list.items[i]);
	v = page_base(r, page > 1 ? arena_printf(r->a, "Events, page %lld",
	                                  page)
	                          : "Events");
	val_set_str(r->a, v, "heading", "Events");
	val_set_str(r->a, v, "description",
	    arena_printf(r->a, "Events of %s: those to come and those past.",
	        page_str(val_get(v, "site"), "name")));
	page_feed(r, v,
	    arena_printf(r->a, "%s — Events",
	        page_str(val_get(v, "site"), "name")),
	    "/events/feed.atom", 0);
	val_set_str(r->a, v, "subscribe", "/events/feed.atom");
	val_set_str(r->a, v, "calendar", "/events.ics");
	val_set_bool(r->a, v, "first", page == 1);
	if (up)
		val_set(r->a, v, "upcoming", up);
	val_set(r->a, v, "past", past);
	val_set(r->a, v, "pager", page_pager(r, "/events/", page, total));
	page_render(r, "events", v);
	r->expires = r->now + 300;
	return r->status;
}
