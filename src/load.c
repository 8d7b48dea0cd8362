/* load.c: reads a content tree of Markdown files with front matter (the
 * demo site, or a directory) into the database, all in one transaction. */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "embed.h"
#include "extern.h"

#define LOAD_MAX_FILES 100000
#define LOAD_MAX_FILE ((size_t)8 << 20)
#define LOAD_MAX_TITLE 500
#define LOAD_MAX_SLUG 200

struct load {
	struct db *db;
	struct arena *a;
	const struct load_file *files;
	size_t nfiles;
	unsigned char key[EMAIL_KEY_LEN];
	const char *lang;
	time_t now;
	char *err;
	size_t errlen;
	const char *path; /* the file being loaded, for messages */
	int bad_email;
};

/* The kinds of item, by folder name. */
static const struct {
	const char *folder;
	const char *kind;
} load_kinds[] = {
	{"news", "news"},
	{"press-releases", "press-release"},
	{"statements", "statement"},
	{"events", "event"},
	{"pages", "page"},
};

static int
load_fail(struct load *l, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static int
load_fail(struct load *l, const char *fmt, ...)
{
	va_list ap;
	int n;

	n = snprintf(l->err, l->errlen, "%s: ", l->path ? l->path : "content");
	if (n < 0 || (size_t)n >= l->errlen)
		return -1;
	va_start(ap, fmt);
	vsnprintf(l->err + n, l->errlen - (size_t)n, fmt, ap);
	va_end(ap);
	return -1;
}

/* The string value of key in meta, or def when absent or not a string. */
static const char *
load_str(const struct val *meta, const char *key, const char *def)
{
	const struct val *v = val_get(meta, key);

	if (v == NULL || v->type != VAL_STR)
		return def;
	return v->u.str.s;
}

static int
load_bool(const struct val *meta, const char *key)
{
	const char *s = load_str(meta, key, "");

	return strcmp(s, "true") == 0 || strcmp(s, "yes") == 0 ||
	    strcmp(s, "1") == 0;
}

/* Parses an ISO 8601 date ("2014-12-10"), or date and time with optional
 * seconds and offset ("2014-12-10T09:00:00+07:00", "...Z"). Fills tm (the
 * local fields as written), *off (minutes east of UTC; 0 when none given)
 * and *has_time. Returns 0 or -1. */
int
load_parse_date(const char *s, struct tm *tm, int *off, int *has_time,
    int *has_off)
{
	int y, mo, d, h = 0, mi = 0, se = 0, oh, om, n = 0;
	char sign;

	*off = 0;
	*has_time = 0;
	*has_off = 0;
	if (sscanf(s, "%4d-%2d-%2d%n", &y, &mo, &d, &n) != 3 || n != 10)
		return -1;
	s += n;
	if (*s == 'T' || *s == ' ') {
		n = 0;
		if (sscanf(s + 1, "%2d:%2d%n", &h, &mi, &n) != 2 || n != 5)
			return -1;
		s += 1 + n;
		if (*s == ':') {
			n = 0;
			if (sscanf(s + 1, "%2d%n", &se, &n) != 1 || n != 2)
				return -1;
			s += 1 + n;
			if (*s == '.') /* fractions of a second: ignored */
				for (s++; isdigit((unsigned char)*s); s++)
					;
		}
		*has_time = 1;
		if (*s == 'Z') {
			*has_off = 1;
			s++;
		} else if (*s == '+' || *s == '-') {
			sign = *s;
			n = 0;
			if (sscanf(s + 1, "%2d:%2d%n", &oh, &om, &n) != 2 ||
			    n != 5) {
				n = 0;
				if (sscanf(s + 1, "%2d%2d%n", &oh, &om, &n) !=
				        2 ||
				    n != 4)
					return -1;
			}
			if (oh > 14 || om > 59)
				return -1;
			*off = (oh * 60 + om) * (sign == '-' ? -1 : 1);
			*has_off = 1;
			s += 1 + n;
		}
	}
	if (*s != '\0' || y < 1900 || y > 9999 || mo < 1 || mo > 12 ||
	    d < 1 || d > 31 || h > 23 || mi > 59 || se > 60)
		return -1;
	memset(tm, 0, sizeof(*tm));
	tm->tm_year = y - 1900;
	tm->tm_mon = mo - 1;
	tm->tm_mday = d;
	tm->tm_hour = h;
	tm->tm_min = mi;
	tm->tm_sec = se;
	return 0;
}

/* The UTC time of a local time in the IANA zone tz (load is single-threaded,
 * so changing TZ here is safe). */
static time_t
load_zone_time(struct tm *tm, const char *tz)
{
	char *old = getenv("TZ"), *save = old ? strdup(old) : NULL;
	time_t t;

	setenv("TZ", tz, 1);
	tzset();
	tm->tm_isdst = -1;
	t = mktime(tm);
	if (save) {
		setenv("TZ", save, 1);
		free(save);
	} else
		unsetenv("TZ");
	tzset();
	return t;
}

/* Ensures a name from a list of meta key is a list of strings: accepts a
 * list, or a comma-separated string. Returns a list (maybe empty). */
static struct val *
load_list(struct load *l, const struct val *meta, const char *key)
{
	struct val *v = val_get(meta, key), *list;
	const char *s, *e;

	if (v != NULL && v->type == VAL_LIST)
		return v;
	list = val_list(l->a);
	if (v == NULL || v->type != VAL_STR)
		return list;
	for (s = v->u.str.s; *s; s = *e ? e + 1 : e) {
		e = strchr(s, ',');
		if (e == NULL)
			e = s + strlen(s);
		while (s < e && isspace((unsigned char)*s))
			s++;
		if (e > s)
			val_push(l->a, list, val_strn(l->a, s, (size_t)(e - s)));
	}
	return list;
}

int
load_slug_ok(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > LOAD_MAX_SLUG || s[0] == '-')
		return 0;
	for (; *s; s++)
		if (!(islower((unsigned char)*s) || isdigit((unsigned char)*s) ||
		        *s == '-' || *s == '_'))
			return 0;
	return 1;
}

/* The slug from front matter, or made from fallback (a title or a file
 * name). Returns NULL (error set) when it is not a valid slug. */
static const char *
load_slug(struct load *l, const struct val *meta, const char *fallback)
{
	const char *s = load_str(meta, "slug", NULL);
	struct buf b;

	if (s == NULL) {
		buf_init(&b, 4096);
		html_slug(&b, fallback, strlen(fallback));
		s = arena_strdup(l->a, buf_cstr(&b));
		buf_free(&b);
	}
	if (!load_slug_ok(s)) {
		load_fail(l, "bad slug \"%s\" (lowercase letters, digits and "
		             "dashes, at most %d)", s, LOAD_MAX_SLUG);
		return NULL;
	}
	return s;
}

/* Registers an address seen in content: stores its token so the reveal
 * form can answer. */
static void
load_email_seen(void *arg, const char *addr)
{
	struct load *l = arg;
	char tok[EMAIL_TOKEN_LEN + 1];

	email_token(l->key, addr, tok);
	if (db_exec(l->db,
	        "INSERT OR IGNORE INTO email_token(token, address) "
	        "VALUES (?, ?)",
	        "tt", tok, addr) < 0)
		l->bad_email = 1;
}

static int
load_email_token(void *arg, const char *addr, char *tok, size_t toklen)
{
	struct load *l = arg;

	if (toklen < EMAIL_TOKEN_LEN + 1)
		return -1;
	email_token(l->key, addr, tok);
	return 0;
}

/* Checks a Markdown text renders, and registers the addresses in it. */
static int
load_markdown(struct load *l, const char *what, const char *md)
{
	struct md_opts o;
	struct buf b;
	int rc;

	memset(&o, 0, sizeof(o));
	o.hashtag_base = "/tags/";
	o.email_token = load_email_token;
	o.email_seen = load_email_seen;
	o.email_arg = l;
	buf_init(&b, 0);
	rc = md_to_html(md, strlen(md), &o, &b);
	buf_free(&b);
	if (rc == -1)
		return load_fail(l, "%s: cannot render the Markdown", what);
	if (l->bad_email)
		return load_fail(l, "cannot store an e-mail token");
	return 0;
}

int
load_emails(struct db *db, const unsigned char key[EMAIL_KEY_LEN],
    const char *md)
{
	struct load l;
	char err[256];
	int rc;

	memset(&l, 0, sizeof(l));
	l.db = db;
	l.a = arena_new();
	l.err = err;
	l.errlen = sizeof(err);
	memcpy(l.key, key, EMAIL_KEY_LEN);
	rc = load_markdown(&l, "text", md);
	/* and what the renderer would not see, such as a bare address */
	md_find_emails(md, strlen(md), load_email_seen, &l);
	if (l.bad_email)
		rc = -1;
	email_key_wipe(l.key);
	arena_free(l.a);
	return rc;
}

/* Tag ids for an item: front matter tags, plus the #hashtags of its body
 * (which the renderer links to /tags/NAME). */
static int
load_tags(struct load *l, long long item, const struct val *meta,
    const char *body)
{
	struct val *tags = load_list(l, meta, "tags");
	struct buf slug;
	const char *p, *q, *name;
	size_t i;
	long long tag;
	int rc = -1;

	buf_init(&slug, 4096);
	for (i = 0; i < tags->u.list.n; i++) {
		if (tags->u.list.items[i]->type != VAL_STR)
			continue;
		name = tags->u.list.items[i]->u.str.s;
		buf_reset(&slug);
		html_slug(&slug, name, strlen(name));
		if (slug.len == 0)
			continue;
		if (db_exec(l->db,
		        "INSERT INTO tag(slug, name) VALUES (?, ?) "
		        "ON CONFLICT(slug) DO NOTHING",
		        "tt", buf_cstr(&slug), name) < 0)
			goto done;
		tag = db_int(l->db, "SELECT id FROM tag WHERE slug = ?", "t",
		    buf_cstr(&slug));
		if (tag < 0 || db_exec(l->db,
		                   "INSERT OR IGNORE INTO item_tag(item_id, "
		                   "tag_id) VALUES (?, ?)",
		                   "ii", item, tag) < 0)
			goto done;
	}
	/* Same rule as md.c: '#' at the start or after space or '(',
	 * then a letter, then letters, digits and '_'. */
	for (p = body; (p = strchr(p, '#')) != NULL; p++) {
		if ((p > body && !isspace((unsigned char)p[-1]) &&
		        p[-1] != '(') ||
		    !isalpha((unsigned char)p[1]))
			continue;
		for (q = p + 1; isalnum((unsigned char)*q) || *q == '_'; q++)
			;
		buf_reset(&slug);
		for (name = p + 1; name < q; name++)
			buf_putc(&slug, tolower((unsigned char)*name));
		name = arena_strndup(l->a, p + 1, (size_t)(q - p - 1));
		if (db_exec(l->db,
		        "INSERT INTO tag(slug, name) VALUES (?, ?) "
		        "ON CONFLICT(slug) DO NOTHING",
		        "tt", buf_cstr(&slug), arena_printf(l->a, "#%s", name)) <
		        0 ||
		    (tag = db_int(l->db, "SELECT id FROM tag WHERE slug = ?",
		         "t", buf_cstr(&slug))) < 0 ||
		    db_exec(l->db,
		        "INSERT OR IGNORE INTO item_tag(item_id, tag_id) "
		        "VALUES (?, ?)",
		        "ii", item, tag) < 0)
			goto done;
	}
	rc = 0;
done:
	buf_free(&slug);
	if (rc == -1)
		load_fail(l, "cannot store the tags");
	return rc;
}

static long long
load_region_id(struct load *l, const char *slug)
{
	long long id = db_int(l->db, "SELECT id FROM region WHERE slug = ?",
	    "t", slug);

	if (id < 0)
		load_fail(l, "unknown region \"%s\" (regions are listed in "
		             "site.md)", slug);
	return id;
}

static int
load_regions(struct load *l, long long item, const struct val *meta)
{
	struct val *regions = load_list(l, meta, "regions");
	size_t i;
	long long id;

	for (i = 0; i < regions->u.list.n; i++) {
		if (regions->u.list.items[i]->type != VAL_STR)
			continue;
		if ((id = load_region_id(l,
		         regions->u.list.items[i]->u.str.s)) < 0)
			return -1;
		if (db_exec(l->db,
		        "INSERT OR IGNORE INTO item_region(item_id, region_id) "
		        "VALUES (?, ?)",
		        "ii", item, id) < 0)
			return load_fail(l, "cannot store the regions");
	}
	return 0;
}

static int
load_event(struct load *l, long long item, const struct val *meta)
{
	const char *start = load_str(meta, "start", NULL);
	const char *end = load_str(meta, "end", NULL);
	const char *tz = load_str(meta, "timezone", "UTC");
	struct tm ts, te;
	int off, has_time, has_off, end_time, all_day;
	time_t su, eu;

	if (start == NULL)
		return load_fail(l, "an event needs a start");
	if (end == NULL)
		end = start;
	if (load_parse_date(start, &ts, &off, &has_time, &has_off) == -1 ||
	    has_off)
		return load_fail(l, "bad start \"%s\" (want 2014-11-14 or "
		                    "2014-11-14T09:00, local to timezone)",
		    start);
	all_day = !has_time;
	if (load_parse_date(end, &te, &off, &end_time, &has_off) == -1 ||
	    has_off || end_time != has_time)
		return load_fail(l, "bad end \"%s\" (same form as start)", end);
	if (strlen(tz) > 64 || strstr(tz, "..") || tz[0] == '/')
		return load_fail(l, "bad timezone \"%s\"", tz);
	if (all_day) /* an all-day event ends at the end of its last day */
		te.tm_mday++;
	su = load_zone_time(&ts, tz);
	eu = load_zone_time(&te, tz);
	if (eu < su)
		return load_fail(l, "the event ends before it starts");
	if (db_exec(l->db,
	        "INSERT INTO event(item_id, starts, ends, all_day, timezone, "
	        "start_utc, end_utc, venue, city, country) "
	        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
	        "ittitiittt", item, start, end, (long long)all_day, tz,
	        (long long)su, (long long)eu, load_str(meta, "venue", ""),
	        load_str(meta, "city", ""), load_str(meta, "country", "")) < 0)
		return load_fail(l, "cannot store the event");
	return 0;
}

/* The file name without folder and ".md", in the arena. */
static const char *
load_basename(struct load *l, const char *path)
{
	const char *b = strrchr(path, '/');
	size_t n;

	b = b ? b + 1 : path;
	n = strlen(b);
	if (n > 3 && strcmp(b + n - 3, ".md") == 0)
		n -= 3;
	return arena_strndup(l->a, b, n);
}

/* Stores an item: a new one when *idp is 0 (then its id in *idp), else
 * item *idp with its tags, regions and event made anew. */
static int
load_item(struct load *l, const char *kind, const struct val *meta,
    const char *body, long long *idp)
{
	const char *title = load_str(meta, "title", NULL), *slug, *date;
	const char *status;
	struct tm tm;
	int off = 0, uoff, has_time, has_off;
	time_t t, updated;
	long long id;

	if (title == NULL || *title == '\0')
		return load_fail(l, "no title");
	if (strlen(title) > LOAD_MAX_TITLE)
		return load_fail(l, "title longer than %d bytes",
		    LOAD_MAX_TITLE);
	if ((slug = load_slug(l, meta, title)) == NULL)
		return -1;
	date = load_str(meta, "date", NULL);
	if (date == NULL && strcmp(kind, "page") != 0)
		return load_fail(l, "no date");
	if (date == NULL)
		t = l->now;
	else if (load_parse_date(date, &tm, &off, &has_time, &has_off) ==
	    -1)
		return load_fail(l, "bad date \"%s\" (want ISO 8601, "
		                    "2014-12-10T09:00:00+07:00)", date);
	else
		t = timegm(&tm) - (time_t)off * 60;
	status = load_bool(meta, "draft") ? "draft"
	                                  : load_str(meta, "status",
	                                        "published");
	if (strcmp(status, "draft") != 0 && strcmp(status, "review") != 0 &&
	    strcmp(status, "scheduled") != 0 &&
	    strcmp(status, "published") != 0 && strcmp(status, "archived") != 0)
		return load_fail(l, "bad status \"%s\" (draft, review, "
		                    "scheduled, published or archived)",
		    status);
	if (db_int(l->db, "SELECT count(*) FROM item WHERE kind = ? AND "
	                  "slug = ? AND id <> ?",
	        "tti", kind, slug, *idp) != 0)
		return load_fail(l, "the slug \"%s\" is used twice", slug);
	/* "updated" as written, else the publication time: loading the same
	 * files again gives the same dates (feeds and sitemaps rely on it);
	 * an edit is an update now */
	updated = *idp ? l->now : t;
	if (updated < t)
		updated = t;
	if ((date = load_str(meta, "updated", NULL)) != NULL) {
		if (load_parse_date(date, &tm, &uoff, &has_time, &has_off) == -1)
			return load_fail(l, "bad updated \"%s\" (want ISO "
			                    "8601)", date);
		updated = timegm(&tm) - (time_t)uoff * 60;
		if (updated < t)
			return load_fail(l, "updated before its date");
	}
	if (load_markdown(l, "body", body) == -1 ||
	    load_markdown(l, "summary", load_str(meta, "summary", "")) == -1)
		return -1;
	if (*idp == 0)
		id = db_exec(l->db,
		    "INSERT INTO item(kind, slug, title, summary, body, lang, "
		    "status, published_at, tz_offset, created_at, updated_at) "
		    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
		    "tttttttiiii", kind, slug, title,
		    load_str(meta, "summary", ""), body,
		    load_str(meta, "lang", l->lang), status, (long long)t,
		    (long long)off, (long long)l->now, (long long)updated);
	else if ((id = db_exec(l->db,
	              "UPDATE item SET kind = ?, slug = ?, title = ?, "
	              "summary = ?, body = ?, lang = ?, status = ?, "
	              "published_at = ?, tz_offset = ?, updated_at = ? "
	              "WHERE id = ?",
	              "tttttttiiii", kind, slug, title,
	              load_str(meta, "summary", ""), body,
	              load_str(meta, "lang", l->lang), status, (long long)t,
	              (long long)off, (long long)updated, *idp)) >= 0) {
		id = *idp;
		if (db_exec(l->db, "DELETE FROM item_tag WHERE item_id = ?",
		        "i", id) < 0 ||
		    db_exec(l->db, "DELETE FROM item_region WHERE item_id = ?",
		        "i", id) < 0 ||
		    db_exec(l->db, "DELETE FROM event WHERE item_id = ?", "i",
		        id) < 0)
			id = -1;
	}
	if (id < 0)
		return load_fail(l, "cannot store the item \"%s\"", slug);
	*idp = id;
	if (load_tags(l, id, meta, body) == -1 ||
	    load_regions(l, id, meta) == -1)
		return -1;
	if (strcmp(kind, "event") == 0 && load_event(l, id, meta) == -1)
		return -1;
	return 0;
}

static int
load_site(struct load *l, const struct val *meta)
{
	static const char *const keys[] = {"name", "short_name", "tagline",
	    "description", "language", "about_block", "media_contact"};
	struct val *list, *v;
	struct buf langs;
	size_t i;
	const char *slug, *name;

	for (i = 0; i < sizeof(keys) / sizeof(*keys); i++)
		if (db_exec(l->db,
		        "INSERT OR REPLACE INTO setting(key, value) "
		        "VALUES (?, ?)",
		        "tt", keys[i], load_str(meta, keys[i], "")) < 0)
			return load_fail(l, "cannot store the settings");
	if (*load_str(meta, "name", "") == '\0')
		return load_fail(l, "the site needs a name");
	l->lang = arena_strdup(l->a, load_str(meta, "language", "en"));
	list = load_list(l, meta, "languages");
	buf_init(&langs, 4096);
	for (i = 0; i < list->u.list.n; i++)
		if (list->u.list.items[i]->type == VAL_STR)
			buf_printf(&langs, "%s%s", i ? "," : "",
			    list->u.list.items[i]->u.str.s);
	if (db_exec(l->db,
	        "INSERT OR REPLACE INTO setting(key, value) "
	        "VALUES ('languages', ?)",
	        "t", langs.len ? buf_cstr(&langs) : l->lang) < 0) {
		buf_free(&langs);
		return load_fail(l, "cannot store the settings");
	}
	buf_free(&langs);
	list = load_list(l, meta, "social");
	for (i = 0; i < list->u.list.n; i++) {
		v = list->u.list.items[i];
		if (!html_url_ok(load_str(v, "url", ""),
		        strlen(load_str(v, "url", ""))))
			return load_fail(l, "social account with a bad url");
		if (db_exec(l->db,
		        "INSERT INTO social(network, handle, url, position) "
		        "VALUES (?, ?, ?, ?)",
		        "ttti", load_str(v, "network", ""),
		        load_str(v, "handle", ""), load_str(v, "url", ""),
		        (long long)i) < 0)
			return load_fail(l, "cannot store a social account");
	}
	list = load_list(l, meta, "regions");
	for (i = 0; i < list->u.list.n; i++) {
		v = list->u.list.items[i];
		slug = load_str(v, "slug", "");
		name = load_str(v, "name", "");
		if (!load_slug_ok(slug) || *name == '\0')
			return load_fail(l, "a region needs a slug and a name");
		if (db_exec(l->db,
		        "INSERT INTO region(slug, name, position) "
		        "VALUES (?, ?, ?)",
		        "tti", slug, name, (long long)i) < 0)
			return load_fail(l, "cannot store region %s", slug);
	}
	return 0;
}

/* The bytes of another file of the tree (a publication's PDF). */
static const struct load_file *
load_find(struct load *l, const char *dir, const char *rel)
{
	char *want = arena_printf(l->a, "%s/%s", dir, rel);
	size_t i;

	for (i = 0; i < l->nfiles; i++)
		if (strcmp(l->files[i].path, want) == 0)
			return &l->files[i];
	return NULL;
}

static int
load_publication(struct load *l, const struct val *meta, const char *body)
{
	const char *title = load_str(meta, "title", NULL), *slug;
	const char *file = load_str(meta, "file", NULL), *type = NULL;
	const struct load_file *f = NULL;
	const char *year = load_str(meta, "year", NULL);
	char *end;
	long y = 0;

	if (title == NULL || *title == '\0')
		return load_fail(l, "no title");
	if ((slug = load_slug(l, meta, title)) == NULL)
		return -1;
	if (year != NULL) {
		errno = 0;
		y = strtol(year, &end, 10);
		if (errno || *end || y < 1900 || y > 9999)
			return load_fail(l, "bad year \"%s\"", year);
	}
	if (file != NULL) {
		if (strstr(file, "..") || file[0] == '/' ||
		    (f = load_find(l, "publications", file)) == NULL)
			return load_fail(l, "file \"%s\" not found beside it",
			    file);
		if (f->len < 5 || memcmp(f->data, "%PDF-", 5) != 0)
			return load_fail(l, "file \"%s\" is not a PDF", file);
		type = "application/pdf";
	}
	if (load_markdown(l, "body", body) == -1 ||
	    load_markdown(l, "summary", load_str(meta, "summary", "")) == -1)
		return -1;
	if (db_exec(l->db,
	        "INSERT INTO publication(slug, title, year, lang, summary, body, "
	        "file_name, file_type, file_data, created_at, updated_at) "
	        "VALUES (?, ?, NULLIF(?, 0), ?, ?, ?, ?, ?, ?, ?, ?)",
	        "ttitttttbii", slug, title, (long long)y,
	        load_str(meta, "lang", l->lang), load_str(meta, "summary", ""),
	        body, file ? load_basename(l, file) : NULL, type,
	        f ? (const void *)f->data : (const void *)"",
	        f ? f->len : (size_t)0, (long long)l->now,
	        (long long)l->now) < 0)
		return load_fail(l, "cannot store the publication \"%s\"",
		    slug);
	return 0;
}

static int
load_member(struct load *l, const struct val *meta, const char *body)
{
	const char *name = load_str(meta, "name", NULL), *slug;
	const char *country = load_str(meta, "country", NULL);
	const char *region = load_str(meta, "region", NULL);
	const char *web = load_str(meta, "website", "");
	long long rid = 0;

	if (name == NULL || *name == '\0' || country == NULL)
		return load_fail(l, "a member needs a name and a country");
	if ((slug = load_slug(l, meta, name)) == NULL)
		return -1;
	if (region != NULL && (rid = load_region_id(l, region)) < 0)
		return -1;
	if (*web && !html_url_ok(web, strlen(web)))
		return load_fail(l, "bad website \"%s\"", web);
	if (load_markdown(l, "body", body) == -1)
		return -1;
	if (db_exec(l->db,
	        "INSERT INTO member(slug, name, acronym, country, country_code, "
	        "region_id, website, body) VALUES (?, ?, ?, ?, ?, NULLIF(?, 0), "
	        "?, ?)",
	        "tttttitt", slug, name, load_str(meta, "acronym", ""), country,
	        load_str(meta, "country_code", ""), rid, web, body) < 0)
		return load_fail(l, "cannot store the member \"%s\"", slug);
	return 0;
}

static int
load_contact(struct load *l, const struct val *meta, const char *base)
{
	const char *name = load_str(meta, "name", NULL), *slug;
	const char *email = load_str(meta, "email", "");

	if (name == NULL || *name == '\0')
		return load_fail(l, "a contact needs a name");
	if ((slug = load_slug(l, meta, base)) == NULL)
		return -1;
	if (*email && email_valid(email) == -1)
		return load_fail(l, "bad e-mail address");
	if (*email)
		load_email_seen(l, arena_strdup(l->a, email));
	if (db_exec(l->db,
	        "INSERT INTO contact(slug, name, role, phone, email, intro) "
	        "VALUES (?, ?, ?, ?, ?, ?)",
	        "tttttt", slug, name, load_str(meta, "role", ""),
	        load_str(meta, "phone", ""), email,
	        load_str(meta, "intro", "")) < 0 ||
	    l->bad_email)
		return load_fail(l, "cannot store the contact \"%s\"", slug);
	return 0;
}

static int
load_block(struct load *l, const struct val *meta, const char *body,
    const char *base)
{
	const char *slug;

	if ((slug = load_slug(l, meta, base)) == NULL)
		return -1;
	if (load_markdown(l, "body", body) == -1)
		return -1;
	if (db_exec(l->db,
	        "INSERT INTO block(slug, title, body) VALUES (?, ?, ?)", "ttt",
	        slug, load_str(meta, "title", ""), body) < 0)
		return load_fail(l, "cannot store the block \"%s\"", slug);
	return 0;
}

/* Loads one Markdown file; folder names the kind (first path part). */
static int
load_one(struct load *l, const struct load_file *f, const char *folder,
    int pass)
{
	struct val *meta;
	const char *body, *base, *kind = NULL;
	size_t blen, i;
	long long id;
	char ferr[256];
	int want;

	/* pass 0: site.md; 1: blocks, contacts, members, publications;
	 * 2: items. Later passes refer to what earlier ones made. */
	if (strcmp(folder, "") == 0)
		want = 0;
	else if (strcmp(folder, "blocks") == 0 ||
	    strcmp(folder, "contacts") == 0 ||
	    strcmp(folder, "members") == 0 ||
	    strcmp(folder, "publications") == 0)
		want = 1;
	else
		want = 2;
	if (want != pass)
		return 0;
	base = load_basename(l, f->path);
	if (want == 0 && strcmp(base, "site") != 0)
		return 0; /* README.md and such at the top */
	l->path = f->path;
	if (fm_parse(l->a, f->data, f->len, &meta, &body, &blen, ferr,
	        sizeof(ferr)) == -1)
		return load_fail(l, "%s", ferr);
	body = arena_strndup(l->a, body, blen);
	if (strlen(body) != blen)
		return load_fail(l, "NUL byte in the text");
	if (want == 0)
		return load_site(l, meta);
	if (strcmp(folder, "blocks") == 0)
		return load_block(l, meta, body, base);
	if (strcmp(folder, "contacts") == 0)
		return load_contact(l, meta, base);
	if (strcmp(folder, "members") == 0)
		return load_member(l, meta, body);
	if (strcmp(folder, "publications") == 0)
		return load_publication(l, meta, body);
	for (i = 0; i < sizeof(load_kinds) / sizeof(*load_kinds); i++)
		if (strcmp(folder, load_kinds[i].folder) == 0)
			kind = load_kinds[i].kind;
	if (load_str(meta, "kind", NULL) != NULL) {
		kind = NULL;
		for (i = 0; i < sizeof(load_kinds) / sizeof(*load_kinds); i++)
			if (strcmp(load_str(meta, "kind", ""),
			        load_kinds[i].kind) == 0 ||
			    strcmp(load_str(meta, "kind", ""),
			        load_kinds[i].folder) == 0)
				kind = load_kinds[i].kind;
	}
	if (kind == NULL)
		return load_fail(l, "unknown kind of content (folder \"%s\")",
		    folder);
	id = 0;
	return load_item(l, kind, meta, body, &id);
}

int
load_item_save(struct db *db, const unsigned char key[EMAIL_KEY_LEN],
    const char *kind, const struct val *meta, const char *body,
    long long *idp, char *err, size_t errlen)
{
	struct load l;
	struct val *lang;
	int rc;

	memset(&l, 0, sizeof(l));
	l.db = db;
	l.a = arena_new();
	l.err = err;
	l.errlen = errlen;
	l.now = time(NULL);
	l.path = "item";
	memcpy(l.key, key, EMAIL_KEY_LEN);
	lang = db_query_one(db, l.a,
	    "SELECT value FROM setting WHERE key = 'language'", "");
	l.lang = lang && *page_str(lang, "value")
	    ? page_str(lang, "value")
	    : "en";
	rc = load_item(&l, kind, meta, body, idp);
	email_key_wipe(l.key);
	arena_free(l.a);
	return rc;
}

int
load_files(struct db *db, const struct load_file *files, size_t n, char *err,
    size_t errlen)
{
	struct load l;
	const char *slash;
	char folder[64], secret[EMAIL_KEY_LEN * 2 + 1];
	size_t i, len;
	int pass, rc = -1;

	memset(&l, 0, sizeof(l));
	l.db = db;
	l.a = arena_new();
	l.files = files;
	l.nfiles = n;
	l.err = err;
	l.errlen = errlen;
	l.lang = "en";
	l.now = time(NULL);
	snprintf(err, errlen, "content: cannot write the database");
	if (db_begin(db) == -1)
		goto done;
	email_key_new(l.key);
	email_key_hex(l.key, secret);
	if (db_exec(db,
	        "INSERT OR REPLACE INTO setting(key, value) "
	        "VALUES ('secret', ?)",
	        "t", secret) < 0)
		goto done;
	for (pass = 0; pass < 3; pass++)
		for (i = 0; i < n; i++) {
			len = strlen(files[i].path);
			if (len < 3 || strcmp(files[i].path + len - 3, ".md"))
				continue;
			slash = strchr(files[i].path, '/');
			len = slash ? (size_t)(slash - files[i].path) : 0;
			if (len >= sizeof(folder) ||
			    (slash && strchr(slash + 1, '/'))) {
				l.path = files[i].path;
				load_fail(&l, "unexpected folder");
				goto done;
			}
			memcpy(folder, files[i].path, len);
			folder[len] = '\0';
			if (load_one(&l, &files[i], folder, pass) == -1)
				goto done;
		}
	if (db_int(db, "SELECT count(*) FROM setting WHERE key = 'name' AND "
	               "value <> ''", "") != 1) {
		l.path = "site.md";
		load_fail(&l, "missing: it names the site");
		goto done;
	}
	if (db_commit(db) == -1)
		goto done;
	rc = 0;
done:
	if (rc == -1)
		db_rollback(db);
	email_key_wipe(l.key);
	arena_free(l.a);
	return rc;
}

int
load_embedded(struct db *db, char *err, size_t errlen)
{
	struct load_file *files;
	size_t i, n = 0;
	int rc;

	for (i = 0; embed_files[i].path != NULL; i++)
		;
	if ((files = calloc(i + 1, sizeof(*files))) == NULL)
		return -1;
	for (i = 0; embed_files[i].path != NULL; i++)
		if (strncmp(embed_files[i].path, "content/", 8) == 0) {
			files[n].path = embed_files[i].path + 8;
			files[n].data = embed_files[i].data;
			files[n].len = embed_files[i].len;
			n++;
		}
	rc = load_files(db, files, n, err, errlen);
	free(files);
	return rc;
}

/* Reads dir/rel (recursively) into the growing array; file data is
 * malloc'd. Returns 0 or -1 (err set). */
static int
load_walk(const char *dir, const char *rel, struct load_file **files,
    size_t *n, size_t *cap, char *err, size_t errlen)
{
	char path[8192], sub[4096];
	struct dirent *de;
	struct stat st;
	DIR *d;
	FILE *f;
	char *data;
	struct load_file *nf;
	int rc = -1;

	snprintf(path, sizeof(path), "%s%s%s", dir, *rel ? "/" : "", rel);
	if ((d = opendir(path)) == NULL) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		if ((size_t)snprintf(sub, sizeof(sub), "%s%s%s", rel,
		        *rel ? "/" : "", de->d_name) >= sizeof(sub) ||
		    (size_t)snprintf(path, sizeof(path), "%s/%s", dir, sub) >=
		        sizeof(path)) {
			snprintf(err, errlen, "%s/%s: path too long", dir, rel);
			goto done;
		}
		if (stat(path, &st) == -1) {
			snprintf(err, errlen, "%s: %s", path, strerror(errno));
			goto done;
		}
		if (S_ISDIR(st.st_mode)) {
			if (load_walk(dir, sub, files, n, cap, err, errlen) ==
			    -1)
				goto done;
			continue;
		}
		if (!S_ISREG(st.st_mode))
			continue;
		if ((size_t)st.st_size > LOAD_MAX_FILE || *n >= LOAD_MAX_FILES) {
			snprintf(err, errlen, "%s: too big (or too many files)",
			    path);
			goto done;
		}
		if (*n == *cap) {
			*cap = *cap ? *cap * 2 : 64;
			if ((nf = realloc(*files, *cap * sizeof(**files))) ==
			    NULL)
				goto done;
			*files = nf;
		}
		if ((data = malloc((size_t)st.st_size + 1)) == NULL)
			goto done;
		if ((f = fopen(path, "rb")) == NULL ||
		    fread(data, 1, (size_t)st.st_size, f) !=
		        (size_t)st.st_size) {
			snprintf(err, errlen, "%s: cannot read", path);
			if (f)
				fclose(f);
			free(data);
			goto done;
		}
		fclose(f);
		data[st.st_size] = '\0';
		(*files)[*n].path = strdup(sub);
		(*files)[*n].data = data;
		(*files)[*n].len = (size_t)st.st_size;
		if ((*files)[*n].path == NULL) {
			free(data);
			goto done;
		}
		(*n)++;
	}
	rc = 0;
done:
	closedir(d);
	return rc;
}

int
load_dir(struct db *db, const char *dir, char *err, size_t errlen)
{
	struct load_file *files = NULL;
	size_t n = 0, cap = 0, i;
	int rc;

	rc = load_walk(dir, "", &files, &n, &cap, err, errlen);
	if (rc == 0)
		rc = load_files(db, files, n, err, errlen);
	for (i = 0; i < n; i++) {
		free((char *)files[i].path);
		free((char *)files[i].data);
	}
	free(files);
	return rc;
}
