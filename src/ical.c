/* ical.c: iCalendar (RFC 5545) files: one per event, and one calendar of
 * every published event to subscribe to. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "extern.h"

#define ICAL_COLUMNS                                                           \
	"i.id, i.slug, i.title, i.summary, i.body, i.updated_at, e.starts, "   \
	"e.ends, e.all_day, e.timezone, e.start_utc, e.end_utc, e.venue, "     \
	"e.city, e.country"

void
ical_text(struct buf *b, const char *s, size_t len)
{
	size_t i;
	unsigned char c;

	for (i = 0; i < len; i++) {
		c = (unsigned char)s[i];
		if (c == '\\' || c == ';' || c == ',') {
			buf_putc(b, '\\');
			buf_putc(b, c);
		} else if (c == '\n')
			buf_puts(b, "\\n");
		else if (c == '\t')
			buf_putc(b, ' ');
		else if (c >= 0x20 && c != 0x7F)
			buf_putc(b, c);
		/* CR and other controls are dropped */
	}
}

void
ical_fold(struct buf *b, const char *s, size_t len)
{
	size_t i = 0, n, room = 75, cl;

	while (i < len) {
		/* how much of the rest fits in this physical line */
		n = 0;
		while (i + n < len) {
			cl = buf_utf8_len(
			    (const unsigned char *)s + i + n, len - i - n);
			if (cl == 0)
				cl = 1; /* malformed: a byte on its own */
			if (n + cl > room)
				break;
			n += cl;
		}
		buf_append(b, s + i, n);
		buf_puts(b, "\r\n");
		i += n;
		if (i < len)
			buf_putc(b, ' '); /* a continuation line */
		room = 74;
	}
	if (len == 0)
		buf_puts(b, "\r\n");
}

/* The lines of the calendar being written: each is built in line, then
 * folded into out. */
struct ical {
	struct req *r;
	struct buf *out;
	struct buf line;
	const char *host;
	/* time zones met: name and offset in seconds; a zone met again with
	 * another offset makes that event's times UTC */
	struct {
		const char *name;
		long long off;
	} zones[64];
	size_t nzones;
};

static void
ical_end_line(struct ical *c)
{
	ical_fold(c->out, c->line.data ? c->line.data : "", c->line.len);
	buf_reset(&c->line);
}

/* Writes "NAME:value" with a TEXT value. */
static void
ical_prop_text(struct ical *c, const char *name, const char *v)
{
	buf_puts(&c->line, name);
	buf_putc(&c->line, ':');
	ical_text(&c->line, v, strlen(v));
	ical_end_line(c);
}

/* Writes "NAME:value" for a value that is no TEXT (dates, URIs): only line
 * breaks are dropped. */
static void
ical_prop_raw(struct ical *c, const char *name, const char *v)
{
	buf_puts(&c->line, name);
	buf_putc(&c->line, ':');
	for (; *v; v++)
		if ((unsigned char)*v >= 0x20)
			buf_putc(&c->line, *v);
	ical_end_line(c);
}

/* "20141008T100000Z" for Unix time t. */
static const char *
ical_utc(struct req *r, long long t)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (gmtime_r(&tt, &tm) == NULL)
		memset(&tm, 0, sizeof(tm));
	return arena_printf(r->a, "%04d%02d%02dT%02d%02d%02dZ",
	    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
	    tm.tm_sec);
}

/* Parses "YYYY-MM-DD[THH:MM[:SS]]" as written (the loader's form, no
 * offset) into tm; 0 or -1. */
static int
ical_parse(const char *s, struct tm *tm)
{
	int off, has_time, has_off;

	if (load_parse_date(s, tm, &off, &has_time, &has_off) == -1 || has_off)
		return -1;
	return 0;
}

/* The offset (seconds east of UTC) of the local time written in s whose
 * UTC time is utc; -1 in *ok when s does not parse. */
static long long
ical_offset(const char *s, long long utc, int *ok)
{
	struct tm tm;

	*ok = ical_parse(s, &tm) == 0;
	return *ok ? (long long)timegm(&tm) - utc : 0;
}

/* "+0200" */
static const char *
ical_off_str(struct req *r, long long off)
{
	long long a = off < 0 ? -off : off;

	return arena_printf(
	    r->a, "%c%02lld%02lld", off < 0 ? '-' : '+', a / 3600, a / 60 % 60);
}

/* 1 when zone may be named with the offset off: the first time it is
 * met, or met again with the same offset. */
static int
ical_zone_ok(struct ical *c, const char *zone, long long off)
{
	size_t i;

	for (i = 0; i < c->nzones; i++)
		if (strcmp(c->zones[i].name, zone) == 0)
			return c->zones[i].off == off;
	if (c->nzones == sizeof(c->zones) / sizeof(*c->zones))
		return 0;
	c->zones[c->nzones].name = zone;
	c->zones[c->nzones].off = off;
	c->nzones++;
	return 1;
}

/* "Venue, City, Country" without the empty parts. */
static const char *
ical_where(struct req *r, struct val *e)
{
	static const char *const keys[] = {"venue", "city", "country"};
	const char *s = "", *p;
	size_t i;

	for (i = 0; i < 3; i++)
		if (*(p = page_str(e, keys[i])))
			s = *s ? arena_printf(r->a, "%s, %s", s, p) : p;
	return s;
}

/* A local date-time as written: "20141008T100000". */
static const char *
ical_local(struct req *r, const char *s)
{
	struct tm tm;

	if (ical_parse(s, &tm) == -1)
		return NULL;
	return arena_printf(r->a, "%04d%02d%02dT%02d%02d%02d",
	    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
	    tm.tm_sec);
}

/* DTSTART and DTEND of an event. */
static void
ical_dates(struct ical *c, struct val *e)
{
	struct req *r = c->r;
	const char *tz = page_str(e, "timezone"), *ls, *le;
	long long su = page_int(e, "start_utc"), eu = page_int(e, "end_utc");
	long long so, eo;
	struct tm tm;
	time_t t;
	int ok1, ok2;

	if (page_int(e, "all_day") &&
	    ical_parse(page_str(e, "starts"), &tm) == 0) {
		ical_prop_raw(c, "DTSTART;VALUE=DATE",
		    arena_printf(r->a, "%04d%02d%02d", tm.tm_year + 1900,
			tm.tm_mon + 1, tm.tm_mday));
		/* the end is exclusive: the day after the last day */
		if (ical_parse(page_str(e, "ends"), &tm) == -1)
			ical_parse(page_str(e, "starts"), &tm);
		tm.tm_mday++;
		t = timegm(&tm);
		gmtime_r(&t, &tm);
		ical_prop_raw(c, "DTEND;VALUE=DATE",
		    arena_printf(r->a, "%04d%02d%02d", tm.tm_year + 1900,
			tm.tm_mon + 1, tm.tm_mday));
		return;
	}
	so = ical_offset(page_str(e, "starts"), su, &ok1);
	eo = ical_offset(page_str(e, "ends"), eu, &ok2);
	ls = ical_local(r, page_str(e, "starts"));
	le = ical_local(r, page_str(e, "ends"));
	if (!ok1 || ls == NULL || *tz == '\0' || strcmp(tz, "UTC") == 0 ||
	    strchr(tz, ':') || strchr(tz, ';') || strchr(tz, '"') ||
	    !ical_zone_ok(c, tz, so)) {
		ical_prop_raw(c, "DTSTART", ical_utc(r, su));
		ical_prop_raw(c, "DTEND", ical_utc(r, eu));
		return;
	}
	ical_prop_raw(c, arena_printf(r->a, "DTSTART;TZID=%s", tz), ls);
	/* an end across a change of offset cannot use the zone's one
	 * offset: it is given in UTC */
	if (ok2 && le != NULL && eo == so)
		ical_prop_raw(c, arena_printf(r->a, "DTEND;TZID=%s", tz), le);
	else
		ical_prop_raw(c, "DTEND", ical_utc(r, eu));
}

static void
ical_event(struct ical *c, struct val *e)
{
	struct req *r = c->r;
	const char *s = page_str(e, "summary"), *where;
	struct buf d;

	ical_prop_raw(c, "BEGIN", "VEVENT");
	ical_prop_raw(c, "UID",
	    arena_printf(r->a, "event-%s@%s", page_str(e, "slug"), c->host));
	ical_prop_raw(c, "DTSTAMP", ical_utc(r, page_int(e, "updated_at")));
	ical_prop_raw(
	    c, "LAST-MODIFIED", ical_utc(r, page_int(e, "updated_at")));
	ical_dates(c, e);
	ical_prop_text(c, "SUMMARY", page_str(e, "title"));
	if (*(where = ical_where(r, e)))
		ical_prop_text(c, "LOCATION", where);
	buf_init(&d, (size_t)1 << 20);
	if (*s == '\0')
		s = page_str(e, "body");
	md_to_text(s, strlen(s), &d);
	if (d.len > 0 && !d.err)
		ical_prop_text(c, "DESCRIPTION", buf_cstr(&d));
	buf_free(&d);
	ical_prop_raw(c, "URL",
	    arena_printf(r->a, "%s/events/%s", r->site->conf.base_url,
		page_str(e, "slug")));
	ical_prop_raw(c, "END", "VEVENT");
}

/* The host of base_url for UIDs ("example.org"), in the arena. */
static const char *
ical_host(struct req *r)
{
	const char *s = r->site->conf.base_url, *e;

	if ((e = strstr(s, "://")) != NULL)
		s = e + 3;
	e = s + strcspn(s, "/");
	return e > s ? arena_strndup(r->a, s, (size_t)(e - s)) : "localhost";
}

int
ical_answer(struct req *r, const char *path)
{
	struct val *rows = NULL;
	struct ical c;
	struct buf ev;
	const char *name, *slug = NULL;
	size_t i, k = strlen(path);
	int rc;

	if (strcmp(path, "/events.ics") != 0) {
		if (strncmp(path, "/events/", 8) != 0 || k <= 12 ||
		    strchr(path + 8, '/') != NULL)
			return r->status = 404;
		slug = arena_strndup(r->a, path + 8, k - 8 - 4);
	}
	if (slug)
		rc = db_query(r->db, r->a, &rows,
		    "SELECT " ICAL_COLUMNS " FROM item i JOIN event e ON "
		    "e.item_id = i.id WHERE i.kind = 'event' AND i.slug = ? "
		    "AND "
		    "i.status = 'published' AND i.published_at <= ?",
		    "ti", slug, (long long)r->now);
	else
		rc = db_query(r->db, r->a, &rows,
		    "SELECT " ICAL_COLUMNS " FROM item i JOIN event e ON "
		    "e.item_id = i.id WHERE i.kind = 'event' AND "
		    "i.status = 'published' AND i.published_at <= ? "
		    "ORDER BY e.start_utc, i.id",
		    "i", (long long)r->now);
	if (rc == -1)
		return r->status = 500;
	if (slug && rows->u.list.n == 0)
		return r->status = 404;
	if (slug)
		r->dep_item = page_int(rows->u.list.items[0], "id");

	memset(&c, 0, sizeof(c));
	c.r = r;
	c.host = ical_host(r);
	buf_init(&c.line, (size_t)2 << 20);
	buf_init(&ev, (size_t)8 << 20);
	/* the events first, into ev: they name the zones to describe */
	c.out = &ev;
	for (i = 0; i < rows->u.list.n; i++)
		ical_event(&c, rows->u.list.items[i]);

	buf_reset(&r->out);
	c.out = &r->out;
	name = page_setting(r, "name");
	if (*name == '\0')
		name = r->site->name;
	ical_prop_raw(&c, "BEGIN", "VCALENDAR");
	ical_prop_raw(&c, "VERSION", "2.0");
	ical_prop_raw(&c, "PRODID", "-//Herald//EN");
	ical_prop_raw(&c, "CALSCALE", "GREGORIAN");
	ical_prop_raw(&c, "METHOD", "PUBLISH");
	ical_prop_text(&c, "X-WR-CALNAME",
	    slug ? arena_printf(r->a, "%s — %s", name,
		       page_str(rows->u.list.items[0], "title"))
		 : arena_printf(r->a, "%s — Events", name));
	for (i = 0; i < c.nzones; i++) {
		/* one rule: the offset the zone has at the events that use
		 * it (a zone met with two offsets gave UTC times) */
		ical_prop_raw(&c, "BEGIN", "VTIMEZONE");
		ical_prop_raw(&c, "TZID", c.zones[i].name);
		ical_prop_raw(&c, "BEGIN", "STANDARD");
		ical_prop_raw(&c, "DTSTART", "19700101T000000");
		ical_prop_raw(
		    &c, "TZOFFSETFROM", ical_off_str(r, c.zones[i].off));
		ical_prop_raw(
		    &c, "TZOFFSETTO", ical_off_str(r, c.zones[i].off));
		ical_prop_raw(&c, "END", "STANDARD");
		ical_prop_raw(&c, "END", "VTIMEZONE");
	}
	buf_append(&r->out, ev.data ? ev.data : "", ev.len);
	if (ev.err || c.line.err)
		r->out.err = 1;
	ical_prop_raw(&c, "END", "VCALENDAR");
	buf_free(&ev);
	buf_free(&c.line);
	r->status = 200;
	r->ctype = "text/calendar; charset=utf-8";
	r->cache = 1;
	return r->status;
}
