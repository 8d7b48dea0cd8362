/* feed.c: Atom 1.0 and JSON Feed 1.1 of the latest items: the whole site,
 * each kind, each tag and each region; and the XML helpers of sitemap.c. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "extern.h"

#define FEED_ENTRIES 20

#define FEED_COLUMNS                                                           \
	"i.id, i.kind, i.slug, i.title, i.summary, i.body, i.published_at, "   \
	"i.tz_offset, i.updated_at"
#define FEED_LIVE "i.status = 'published' AND i.published_at <= ?"
#define FEED_ORDER " ORDER BY i.published_at DESC, i.id DESC LIMIT ?"

/* The kinds with a feed of their own: URL folder, kind, label. */
static const struct {
	const char *folder;
	const char *kind;
	const char *label;
} feed_kinds[] = {
    {"news", "news", "News"},
    {"press-releases", "press-release", "Press releases"},
    {"statements", "statement", "Statements"},
    {"events", "event", "Events"},
};

void
feed_rfc3339(struct buf *b, long long t, long long off)
{
	time_t tt = (time_t)(t + off * 60);
	long long a = off < 0 ? -off : off;
	struct tm tm;

	if (gmtime_r(&tt, &tm) == NULL)
		memset(&tm, 0, sizeof(tm));
	buf_printf(b, "%04d-%02d-%02dT%02d:%02d:%02d", tm.tm_year + 1900,
	    tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
	if (off == 0)
		buf_putc(b, 'Z');
	else
		buf_printf(
		    b, "%c%02lld:%02lld", off < 0 ? '-' : '+', a / 60, a % 60);
}

void
feed_xml_text(struct buf *b, const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, n, start;

	while (i < len) {
		start = i;
		/* a run of characters that need nothing */
		while (i < len && p[i] >= 0x20 && p[i] < 0x80 &&
		    strchr("&<>\"'", p[i]) == NULL)
			i++;
		buf_append(b, s + start, i - start);
		if (i == len)
			break;
		switch (p[i]) {
		case '&':
			buf_puts(b, "&amp;");
			i++;
			continue;
		case '<':
			buf_puts(b, "&lt;");
			i++;
			continue;
		case '>':
			buf_puts(b, "&gt;");
			i++;
			continue;
		case '"':
			buf_puts(b, "&quot;");
			i++;
			continue;
		case '\'':
			buf_puts(b, "&#39;");
			i++;
			continue;
		case '\t':
		case '\n':
		case '\r':
			buf_putc(b, p[i]);
			i++;
			continue;
		default:
			break;
		}
		if (p[i] < 0x20) { /* not allowed in XML 1.0 */
			i++;
			continue;
		}
		n = buf_utf8_len(p + i, len - i);
		if (n == 0) { /* malformed: the replacement character */
			buf_utf8(b, 0xFFFD);
			i++;
			continue;
		}
		/* U+FFFE and U+FFFF are not XML characters either */
		if (n == 3 && p[i] == 0xEF && p[i + 1] == 0xBF &&
		    p[i + 2] >= 0xBE)
			buf_utf8(b, 0xFFFD);
		else
			buf_append(b, s + i, n);
		i += n;
	}
}

static void
feed_xs(struct buf *b, const char *s)
{
	feed_xml_text(b, s, strlen(s));
}

/* The host of base_url for tag: URIs ("example.org"), in the arena. */
static const char *
feed_host(struct req *r)
{
	const char *s = r->site->conf.base_url, *e;

	if ((e = strstr(s, "://")) != NULL)
		s = e + 3;
	if (*s == '[') {
		e = strchr(s, ']');
		return e ? arena_strndup(r->a, s + 1, (size_t)(e - s - 1)) : s;
	}
	e = s + strcspn(s, ":/");
	return *s ? arena_strndup(r->a, s, (size_t)(e - s)) : "localhost";
}

/* What a feed covers, from its path. */
struct feed {
	const char *title;     /* "Site — Press releases" */
	const char *self;      /* "/news/feed.atom" */
	const char *html;      /* "/news/" */
	const char *kind;      /* NULL: every kind */
	long long tag, region; /* 0: any */
	const char *name;      /* the site name */
	struct val *rows;
};

/* The latest items of f into f->rows. Returns 0, or -1 (r->status set). */
static int
feed_query(struct req *r, struct feed *f)
{
	long long now = (long long)r->now, lim = FEED_ENTRIES;
	int rc;

	if (f->kind)
		rc = db_query(r->db, r->a, &f->rows,
		    "SELECT " FEED_COLUMNS
		    " FROM item i WHERE i.kind = ? AND " FEED_LIVE FEED_ORDER,
		    "tii", f->kind, now, lim);
	else if (f->tag)
		/* the tag's items through the index item_live, then only
		 * the rows shown: walking every item by date and looking
		 * for the tag read every text for a tag of few items */
		rc = db_query(r->db, r->a, &f->rows,
		    "SELECT " FEED_COLUMNS " FROM item i WHERE i.id IN "
		    "(SELECT i.id FROM item_tag it JOIN item i INDEXED BY "
		    "item_live ON i.id = it.item_id WHERE it.tag_id = ? AND "
		    "i.kind <> 'page' AND " FEED_LIVE FEED_ORDER ")"
		    " ORDER BY i.published_at DESC, i.id DESC",
		    "iii", f->tag, now, lim);
	else if (f->region)
		rc = db_query(r->db, r->a, &f->rows,
		    "SELECT " FEED_COLUMNS " FROM item i WHERE i.id IN "
		    "(SELECT i.id FROM item_region ir JOIN item i INDEXED BY "
		    "item_live ON i.id = ir.item_id WHERE ir.region_id = ? "
		    "AND i.kind <> 'page' AND " FEED_LIVE FEED_ORDER ")"
		    " ORDER BY i.published_at DESC, i.id DESC",
		    "iii", f->region, now, lim);
	else
		rc = db_query(r->db, r->a, &f->rows,
		    "SELECT " FEED_COLUMNS
		    " FROM item i WHERE i.kind <> 'page' "
		    "AND " FEED_LIVE FEED_ORDER,
		    "ii", now, lim);
	if (rc == -1) {
		r->status = 500;
		return -1;
	}
	return 0;
}

/* Fills f from the path; -1 (404) for a feed that does not exist. */
static int
feed_parse(struct req *r, const char *path, struct feed *f)
{
	struct val *t;
	size_t i, n;
	char slug[256];

	memset(f, 0, sizeof(*f));
	f->name = page_setting(r, "name");
	if (*f->name == '\0')
		f->name = r->site->name;
	f->self = path;
	if (strcmp(path, "/feed.atom") == 0 ||
	    strcmp(path, "/feed.json") == 0) {
		f->title = f->name;
		f->html = "/";
		return 0;
	}
	for (i = 0; i < sizeof(feed_kinds) / sizeof(*feed_kinds); i++) {
		n = strlen(feed_kinds[i].folder);
		if (path[0] == '/' &&
		    strncmp(path + 1, feed_kinds[i].folder, n) == 0 &&
		    strcmp(path + 1 + n, "/feed.atom") == 0) {
			f->kind = feed_kinds[i].kind;
			f->html =
			    arena_printf(r->a, "/%s/", feed_kinds[i].folder);
			f->title = arena_printf(
			    r->a, "%s — %s", f->name, feed_kinds[i].label);
			return 0;
		}
	}
	/* /tags/SLUG/feed.atom and /regions/SLUG/feed.atom */
	if (sscanf(path, "/tags/%255[^/]/feed.atom", slug) == 1 &&
	    strcmp(path + 6 + strlen(slug), "/feed.atom") == 0) {
		t = db_query_one(r->db, r->a,
		    "SELECT id, name FROM tag WHERE slug = ?", "t", slug);
		if (t == NULL)
			return -1;
		f->tag = page_int(t, "id");
		f->html = arena_printf(r->a, "/tags/%s", slug);
		f->title = arena_printf(
		    r->a, "%s — Tagged “%s”", f->name, page_str(t, "name"));
		return 0;
	}
	if (sscanf(path, "/regions/%255[^/]/feed.atom", slug) == 1 &&
	    strcmp(path + 9 + strlen(slug), "/feed.atom") == 0) {
		t = db_query_one(r->db, r->a,
		    "SELECT id, name FROM region WHERE slug = ?", "t", slug);
		if (t == NULL)
			return -1;
		f->region = page_int(t, "id");
		f->html = arena_printf(r->a, "/regions/%s", slug);
		f->title =
		    arena_printf(r->a, "%s — %s", f->name, page_str(t, "name"));
		return 0;
	}
	return -1;
}

/* Plain text of the item's summary, or of the start of its body. */
static const char *
feed_summary(struct req *r, struct val *it)
{
	const char *s = page_str(it, "summary");
	struct buf b;
	const char *out;
	size_t n;

	buf_init(&b, (size_t)1 << 20);
	if (*s)
		md_to_text(s, strlen(s), &b);
	else {
		s = page_str(it, "body");
		md_to_text(s, strlen(s), &b);
		if (b.len > 300) { /* cut on a character boundary */
			n = 300;
			while (
			    n > 0 && ((unsigned char)b.data[n] & 0xC0) == 0x80)
				n--;
			b.len = n;
			buf_puts(&b, "…");
		}
	}
	out = b.err ? "" : arena_strdup(r->a, buf_cstr(&b));
	buf_free(&b);
	return out;
}

/* The body as HTML (addresses replaced by reveal buttons), with the
 * About-us block after a press release, as on its page. */
static const char *
feed_content(struct req *r, struct val *it)
{
	struct val *h, *block;
	struct buf b;
	const char *out;

	buf_init(&b, (size_t)4 << 20);
	h = page_md(r, page_str(it, "body"), 0);
	buf_append(&b, h->u.str.s, h->u.str.len);
	if (strcmp(page_str(it, "kind"), "press-release") == 0 &&
	    (block = db_query_one(r->db, r->a,
		 "SELECT title, body FROM block WHERE slug = ?", "t",
		 page_setting(r, "about_block"))) != NULL) {
		buf_puts(&b, "<h2>");
		html_text(&b, page_str(block, "title"),
		    strlen(page_str(block, "title")));
		buf_puts(&b, "</h2>");
		h = page_md(r, page_str(block, "body"), 0);
		buf_append(&b, h->u.str.s, h->u.str.len);
	}
	out = b.err ? "" : arena_strdup(r->a, buf_cstr(&b));
	buf_free(&b);
	return out;
}

/* The stable id of an item: tag:HOST,YEAR:/path (year of publication). */
static const char *
feed_item_id(struct req *r, struct val *it, const char *path)
{
	time_t t = (time_t)page_int(it, "published_at");
	struct tm tm;

	if (gmtime_r(&t, &tm) == NULL)
		tm.tm_year = 70;
	return arena_printf(
	    r->a, "tag:%s,%d:%s", feed_host(r), tm.tm_year + 1900, path);
}

static const char *
feed_date(struct req *r, long long t, long long off)
{
	struct buf b;
	const char *s;

	buf_init(&b, 64);
	feed_rfc3339(&b, t, off);
	s = arena_strdup(r->a, buf_cstr(&b));
	buf_free(&b);
	return s;
}

static void
feed_atom(struct req *r, struct feed *f)
{
	const char *base = r->site->conf.base_url, *tagline, *path;
	struct buf *b = &r->out;
	struct val *it;
	long long updated = 0;
	size_t i;

	for (i = 0; i < f->rows->u.list.n; i++)
		if (page_int(f->rows->u.list.items[i], "updated_at") > updated)
			updated =
			    page_int(f->rows->u.list.items[i], "updated_at");
	if (updated == 0)
		updated = (long long)r->lastmod;
	buf_puts(b,
	    "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n"
	    "<feed xmlns=\"http://www.w3.org/2005/Atom\" xml:lang=\"");
	feed_xs(b,
	    *page_setting(r, "language") ? page_setting(r, "language") : "en");
	buf_puts(b, "\">\n<id>");
	feed_xs(b, arena_printf(r->a, "tag:%s,2014:%s", feed_host(r), f->self));
	buf_puts(b, "</id>\n<title>");
	feed_xs(b, f->title);
	buf_puts(b, "</title>\n");
	if (*(tagline = page_setting(r, "tagline"))) {
		buf_puts(b, "<subtitle>");
		feed_xs(b, tagline);
		buf_puts(b, "</subtitle>\n");
	}
	buf_puts(b, "<updated>");
	feed_rfc3339(b, updated, 0);
	buf_puts(b,
	    "</updated>\n<link rel=\"self\" "
	    "type=\"application/atom+xml\" href=\"");
	feed_xs(b, base);
	feed_xs(b, f->self);
	buf_puts(b, "\"/>\n<link rel=\"alternate\" type=\"text/html\" href=\"");
	feed_xs(b, base);
	feed_xs(b, f->html);
	buf_puts(b, "\"/>\n<author><name>");
	feed_xs(b, f->name);
	buf_puts(b, "</name></author>\n");
	if (r->site->icon_path[0]) {
		buf_puts(b, "<icon>");
		feed_xs(b, base);
		feed_xs(b, r->site->icon_path);
		buf_puts(b, "</icon>\n");
	}
	buf_printf(b, "<generator version=\"%s\">Herald</generator>\n",
	    HERALD_VERSION);
	for (i = 0; i < f->rows->u.list.n; i++) {
		it = f->rows->u.list.items[i];
		path = page_item_path(
		    r, page_str(it, "kind"), page_str(it, "slug"));
		buf_puts(b, "<entry>\n<id>");
		feed_xs(b, feed_item_id(r, it, path));
		buf_puts(b, "</id>\n<title>");
		feed_xs(b, page_str(it, "title"));
		buf_puts(b,
		    "</title>\n<link rel=\"alternate\" "
		    "type=\"text/html\" href=\"");
		feed_xs(b, base);
		feed_xs(b, path);
		buf_puts(b, "\"/>\n<published>");
		feed_rfc3339(
		    b, page_int(it, "published_at"), page_int(it, "tz_offset"));
		buf_puts(b, "</published>\n<updated>");
		feed_rfc3339(
		    b, page_int(it, "updated_at"), page_int(it, "tz_offset"));
		buf_puts(b, "</updated>\n<author><name>");
		feed_xs(b, f->name);
		buf_puts(b, "</name></author>\n<summary type=\"text\">");
		feed_xs(b, feed_summary(r, it));
		/* relative links of the body resolve against the site */
		buf_puts(b, "</summary>\n<content type=\"html\" xml:base=\"");
		feed_xs(b, base);
		buf_puts(b, "/\">");
		feed_xs(b, feed_content(r, it));
		buf_puts(b, "</content>\n</entry>\n");
	}
	buf_puts(b, "</feed>\n");
	r->ctype = "application/atom+xml; charset=utf-8";
}

static void
feed_json(struct req *r, struct feed *f)
{
	const char *base = r->site->conf.base_url, *path;
	struct val *v = val_obj(r->a), *items = val_list(r->a), *it, *o;
	struct val *authors = val_list(r->a), *author = val_obj(r->a);
	size_t i;

	val_set_str(r->a, author, "name", f->name);
	val_set_str(r->a, author, "url", arena_printf(r->a, "%s/", base));
	val_push(r->a, authors, author);
	val_set_str(r->a, v, "version", "https://jsonfeed.org/version/1.1");
	val_set_str(r->a, v, "title", f->title);
	val_set_str(r->a, v, "home_page_url",
	    arena_printf(r->a, "%s%s", base, f->html));
	val_set_str(
	    r->a, v, "feed_url", arena_printf(r->a, "%s%s", base, f->self));
	if (*page_setting(r, "tagline"))
		val_set_str(r->a, v, "description", page_setting(r, "tagline"));
	if (r->site->icon_path[0])
		val_set_str(r->a, v, "favicon",
		    arena_printf(r->a, "%s%s", base, r->site->icon_path));
	val_set_str(r->a, v, "language",
	    *page_setting(r, "language") ? page_setting(r, "language") : "en");
	val_set(r->a, v, "authors", authors);
	for (i = 0; i < f->rows->u.list.n; i++) {
		it = f->rows->u.list.items[i];
		path = page_item_path(
		    r, page_str(it, "kind"), page_str(it, "slug"));
		o = val_obj(r->a);
		val_set_str(r->a, o, "id", feed_item_id(r, it, path));
		val_set_str(
		    r->a, o, "url", arena_printf(r->a, "%s%s", base, path));
		val_set_str(r->a, o, "title", page_str(it, "title"));
		val_set_str(r->a, o, "content_html", feed_content(r, it));
		val_set_str(r->a, o, "summary", feed_summary(r, it));
		val_set_str(r->a, o, "date_published",
		    feed_date(r, page_int(it, "published_at"),
			page_int(it, "tz_offset")));
		val_set_str(r->a, o, "date_modified",
		    feed_date(r, page_int(it, "updated_at"),
			page_int(it, "tz_offset")));
		val_set(r->a, o, "authors", authors);
		val_push(r->a, items, o);
	}
	val_set(r->a, v, "items", items);
	json_write(&r->out, v);
	buf_putc(&r->out, '\n');
	r->ctype = "application/feed+json; charset=utf-8";
}

int
feed_answer(struct req *r, const char *path)
{
	struct feed f;

	if (feed_parse(r, path, &f) == -1)
		return r->status = 404;
	if (feed_query(r, &f) == -1)
		return r->status;
	/* a tag no public item carries is not public (a draft's tags stay
	 * unseen), as its page */
	if (f.tag != 0 && f.rows->u.list.n == 0)
		return r->status = 404;
	buf_reset(&r->out);
	if (strcmp(path, "/feed.json") == 0)
		feed_json(r, &f);
	else
		feed_atom(r, &f);
	r->status = 200;
	r->cache = 1;
	return r->status;
}
