/* page.c: routing of public paths to pages, the values every page shares,
 * and the error pages. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "extern.h"

/*
 * 1 when the discovery endpoints (search, feeds, calendars) answer: the
 * visible search form, "Subscribe" and "Add to calendar" links show only
 * then. The <link rel="alternate"> feeds in page heads are always there.
 */
#ifndef PAGE_DISCOVERY
#define PAGE_DISCOVERY 1
#endif

/* The kinds with a listing of their own: URL folder, kind, label. */
static const struct {
	const char *folder;
	const char *kind;
	const char *label;
	const char *plural;
} page_kinds[] = {
	{"news", "news", "News", "News"},
	{"press-releases", "press-release", "Press release", "Press releases"},
	{"statements", "statement", "Statement", "Statements"},
	{"events", "event", "Event", "Events"},
};

static const struct {
	const char *href;
	const char *label;
} page_nav[] = {
	{"/news/", "News"},
	{"/press-releases/", "Press releases"},
	{"/statements/", "Statements"},
	{"/events/", "Events"},
	{"/publications/", "Publications"},
	{"/members/", "Members"},
	{"/about", "About us"},
};

const char *
page_str(const struct val *o, const char *key)
{
	const struct val *v = val_get(o, key);

	return v && (v->type == VAL_STR || v->type == VAL_HTML) ? v->u.str.s
	                                                        : "";
}

long long
page_int(const struct val *o, const char *key)
{
	const struct val *v = val_get(o, key);

	return v && v->type == VAL_NUM ? (long long)v->u.n : 0;
}

const char *
page_setting(struct req *r, const char *key)
{
	struct val *row;

	if (r->db == NULL || strcmp(key, "secret") == 0)
		return "";
	row = db_query_one(r->db, r->a,
	    "SELECT value FROM setting WHERE key = ?", "t", key);
	return row ? page_str(row, "value") : "";
}

const char *
page_item_path(struct req *r, const char *kind, const char *slug)
{
	size_t i;

	for (i = 0; i < sizeof(page_kinds) / sizeof(*page_kinds); i++)
		if (strcmp(kind, page_kinds[i].kind) == 0)
			return arena_printf(r->a, "/%s/%s", page_kinds[i].folder,
			    slug);
	return arena_printf(r->a, "/%s", slug); /* a page */
}

const char *
page_date(struct req *r, long long t, long long off)
{
	static const char *const months[] = {"January", "February", "March",
	    "April", "May", "June", "July", "August", "September", "October",
	    "November", "December"};
	time_t tt = (time_t)(t + off * 60);
	struct tm tm;

	gmtime_r(&tt, &tm);
	return arena_printf(r->a, "%d %s %d", tm.tm_mday, months[tm.tm_mon],
	    tm.tm_year + 1900);
}

const char *
page_iso(struct req *r, long long t, long long off)
{
	time_t tt = (time_t)(t + off * 60);
	struct tm tm;
	long long a = off < 0 ? -off : off;

	gmtime_r(&tt, &tm);
	return arena_printf(r->a, "%04d-%02d-%02dT%02d:%02d:%02d%c%02lld:%02lld",
	    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
	    tm.tm_sec, off < 0 ? '-' : '+', a / 60, a % 60);
}

/* Writes the token of addr for md.c (the server never writes addresses). */
static int
page_email_token(void *arg, const char *addr, char *tok, size_t toklen)
{
	struct req *r = arg;

	if (toklen < EMAIL_TOKEN_LEN + 1)
		return -1;
	email_token(r->site->key, addr, tok);
	return 0;
}

struct val *
page_md(struct req *r, const char *md, int inline_only)
{
	struct md_opts o;
	struct buf b;
	struct val *v;

	memset(&o, 0, sizeof(o));
	o.hashtag_base = "/tags/";
	o.email_token = page_email_token;
	o.email_arg = r;
	o.image = page_media_img;
	o.inline_only = inline_only;
	o.heading_min = 2; /* the page's title is its only h1 */
	buf_init(&b, (size_t)4 << 20);
	if (md_to_html(md, strlen(md), &o, &b) == -1) {
		buf_reset(&b);
		buf_puts(&b, "<p>This text cannot be shown.</p>");
	}
	v = val_html(r->a, buf_cstr(&b), b.len);
	buf_free(&b);
	return v;
}

const char *
page_kind_folder(const char *kind)
{
	size_t i;

	for (i = 0; i < sizeof(page_kinds) / sizeof(*page_kinds); i++)
		if (strcmp(kind, page_kinds[i].kind) == 0)
			return page_kinds[i].folder;
	return NULL;
}

const char *
page_plain(struct req *r, const char *md)
{
	struct buf b;
	const char *s;

	buf_init(&b, (size_t)1 << 20);
	md_to_text(md, strlen(md), &b);
	s = arena_strdup(r->a, b.err ? "" : buf_cstr(&b));
	buf_free(&b);
	return s;
}

void
page_feed(struct req *r, struct val *view, const char *title,
    const char *href, int json)
{
	struct val *list = val_get(view, "feeds"), *f = val_obj(r->a);

	if (list == NULL || list->type != VAL_LIST) {
		list = val_list(r->a);
		val_set(r->a, view, "feeds", list);
	}
	val_set_str(r->a, f, "title", title);
	val_set_str(r->a, f, "href", href);
	val_set_str(r->a, f, "type",
	    json ? "application/feed+json" : "application/atom+xml");
	val_push(r->a, list, f);
}

void
page_jsonld(struct req *r, struct val *view, const struct val *data)
{
	struct buf b;

	buf_init(&b, (size_t)1 << 20);
	buf_puts(&b, "<script type=\"application/ld+json\">");
	json_write(&b, data); /* escapes < > &: it cannot end the element */
	buf_puts(&b, "</script>");
	if (!b.err)
		val_set(r->a, view, "jsonld", val_html(r->a, b.data, b.len));
	buf_free(&b);
}

const char *
page_kind_label(const char *kind, int plural)
{
	size_t i;

	for (i = 0; i < sizeof(page_kinds) / sizeof(*page_kinds); i++)
		if (strcmp(kind, page_kinds[i].kind) == 0)
			return plural ? page_kinds[i].plural
			              : page_kinds[i].label;
	return "Page";
}

struct val *
page_item_val(struct req *r, struct val *row)
{
	const char *kind = page_str(row, "kind");
	long long t = page_int(row, "published_at");
	long long off = page_int(row, "tz_offset");
	struct buf b;

	val_set_str(r->a, row, "url",
	    page_item_path(r, kind, page_str(row, "slug")));
	val_set_str(r->a, row, "kind_label", page_kind_label(kind, 0));
	val_set_str(r->a, row, "date", page_date(r, t, off));
	val_set_str(r->a, row, "date_iso", page_iso(r, t, off));
	if (*page_str(row, "summary"))
		val_set(r->a, row, "summary_html",
		    page_md(r, page_str(row, "summary"), 1));
	if (val_get(row, "starts") && val_get(row, "starts")->type == VAL_STR) {
		/* an event: its dates and place */
		buf_init(&b, 4096);
		val_set_str(r->a, row, "when",
		    page_event_when(r, page_str(row, "starts"),
		        page_str(row, "ends"), page_int(row, "all_day")));
		if (*page_str(row, "venue"))
			buf_printf(&b, "%s, ", page_str(row, "venue"));
		if (*page_str(row, "city"))
			buf_printf(&b, "%s, ", page_str(row, "city"));
		buf_puts(&b, page_str(row, "country"));
		while (b.len >= 2 && b.data[b.len - 2] == ',')
			b.len -= 2;
		val_set_str(r->a, row, "where", buf_cstr(&b));
		buf_free(&b);
	}
	return row;
}

/* Lists of {name, url} for the tags or regions of an item. */
struct val *
page_item_tags(struct req *r, long long id)
{
	struct val *rows = NULL;
	size_t i;

	if (db_query(r->db, r->a, &rows,
	        "SELECT t.name, t.slug FROM tag t JOIN item_tag it ON "
	        "it.tag_id = t.id WHERE it.item_id = ? ORDER BY t.name "
	        "COLLATE NOCASE",
	        "i", id) == -1)
		return val_list(r->a);
	for (i = 0; i < rows->u.list.n; i++)
		val_set_str(r->a, rows->u.list.items[i], "url",
		    arena_printf(r->a, "/tags/%s",
		        page_str(rows->u.list.items[i], "slug")));
	return rows;
}

struct val *
page_item_regions(struct req *r, long long id)
{
	struct val *rows = NULL;
	size_t i;

	if (db_query(r->db, r->a, &rows,
	        "SELECT g.name, g.slug FROM region g JOIN item_region ir ON "
	        "ir.region_id = g.id WHERE ir.item_id = ? ORDER BY g.position",
	        "i", id) == -1)
		return val_list(r->a);
	for (i = 0; i < rows->u.list.n; i++)
		val_set_str(r->a, rows->u.list.items[i], "url",
		    arena_printf(r->a, "/regions/%s",
		        page_str(rows->u.list.items[i], "slug")));
	return rows;
}

struct val *
page_pager(struct req *r, const char *base, long long page, long long total)
{
	struct val *p = val_obj(r->a);
	long long pages = (total + PAGE_SIZE - 1) / PAGE_SIZE;

	if (pages <= 1)
		return val_bool(r->a, 0);
	val_set_int(r->a, p, "page", page);
	val_set_int(r->a, p, "pages", pages);
	if (page > 1)
		val_set_str(r->a, p, "prev",
		    page == 2 ? base
		              : arena_printf(r->a, "%spage/%lld", base,
		                    page - 1));
	if (page < pages)
		val_set_str(r->a, p, "next",
		    arena_printf(r->a, "%spage/%lld", base, page + 1));
	return p;
}

int
page_beyond(long long total, long long page)
{
	return total < 0 || (page > 1 && (page - 1) * PAGE_SIZE >= total);
}

long long
page_number(const char *s)
{
	long long n = 0;

	if (*s == '0' || *s == '\0' || strlen(s) > 9)
		return 0;
	for (; *s; s++) {
		if (!isdigit((unsigned char)*s))
			return 0;
		n = n * 10 + (*s - '0');
	}
	return n >= 2 ? n : 0;
}

/* "en" -> "en", "pt-BR" -> "pt_BR": OpenGraph's locale form. */
static const char *
page_locale(struct req *r, const char *lang)
{
	char *s = arena_strdup(r->a, *lang ? lang : "en"), *p;

	for (p = s; *p; p++)
		if (*p == '-')
			*p = '_';
	return s;
}

struct val *
page_base(struct req *r, const char *title)
{
	struct val *v = val_obj(r->a), *site = val_obj(r->a), *nav, *n;
	struct val *rows = NULL;
	const char *name = r->site->name;
	size_t i;
	time_t now = r->now;
	struct tm tm;

	if (r->db != NULL &&
	    db_query(r->db, r->a, &rows,
	        "SELECT key, value FROM setting WHERE key <> 'secret'", "") == 0)
		for (i = 0; i < rows->u.list.n; i++)
			val_set_str(r->a, site,
			    page_str(rows->u.list.items[i], "key"),
			    page_str(rows->u.list.items[i], "value"));
	if (*page_str(site, "name") == '\0')
		val_set_str(r->a, site, "name", name);
	if (*page_str(site, "language") == '\0')
		val_set_str(r->a, site, "language", "en");
	name = page_str(site, "name");
	val_set_str(r->a, site, "base_url", r->site->conf.base_url);
	gmtime_r(&now, &tm);
	val_set_int(r->a, site, "year", tm.tm_year + 1900);
	val_set(r->a, v, "site", site);
	val_set_str(r->a, v, "lang", page_str(site, "language"));
	val_set_str(r->a, v, "og_locale",
	    page_locale(r, page_str(site, "language")));
	val_set_str(r->a, v, "title",
	    title ? arena_printf(r->a, "%s — %s", title, name) : name);
	val_set_str(r->a, v, "og_title", title ? title : name);
	val_set_str(r->a, v, "og_type", "website");
	val_set_bool(r->a, v, "discovery", PAGE_DISCOVERY);
	val_set_str(r->a, v, "description", page_str(site, "description"));
	page_feed(r, v, name, "/feed.atom", 0);
	page_feed(r, v, name, "/feed.json", 1);
	val_set_str(r->a, v, "css", r->site->css_path);
	if (r->site->icon_path[0])
		val_set_str(r->a, v, "icon", r->site->icon_path);
	val_set_str(r->a, v, "path", r->path);
	val_set_str(r->a, v, "canonical",
	    arena_printf(r->a, "%s%s", r->site->conf.base_url, r->path));
	nav = val_list(r->a);
	for (i = 0; i < sizeof(page_nav) / sizeof(*page_nav); i++) {
		n = val_obj(r->a);
		val_set_str(r->a, n, "href", page_nav[i].href);
		val_set_str(r->a, n, "label", page_nav[i].label);
		if (strncmp(r->path, page_nav[i].href,
		        strlen(page_nav[i].href)) == 0)
			val_set_bool(r->a, n, "current",
			    strcmp(r->path, page_nav[i].href) == 0);
		if (strncmp(r->path, page_nav[i].href,
		        strlen(page_nav[i].href)) == 0)
			val_set_bool(r->a, n, "section", 1);
		val_push(r->a, nav, n);
	}
	val_set(r->a, v, "nav", nav);
	rows = NULL;
	if (r->db != NULL &&
	    db_query(r->db, r->a, &rows,
	        "SELECT network, handle, url FROM social ORDER BY position",
	        "") == 0) {
		for (i = 0; i < rows->u.list.n; i++) {
			n = rows->u.list.items[i];
			val_set_str(r->a, n, "label",
			    strcmp(page_str(n, "network"), "twitter") == 0
			        ? "Twitter"
			    : strcmp(page_str(n, "network"), "facebook") == 0
			        ? "Facebook"
			        : page_str(n, "network"));
			if (strcmp(page_str(n, "network"), "twitter") == 0 &&
			    *page_str(n, "handle"))
				val_set_str(r->a, v, "twitter_site",
				    arena_printf(r->a, "%s%s",
				        *page_str(n, "handle") == '@' ? "" : "@",
				        page_str(n, "handle")));
		}
		val_set(r->a, v, "social", rows);
	}
	/* the subscription form of every page; its token says when the
	 * page was made, so a kept page is made anew within the hour */
	n = val_obj(r->a);
	val_set_str(r->a, n, "token", news_form_token(r));
	val_set_str(r->a, n, "consent", news_consent_text(r));
	val_set(r->a, n, "languages", news_languages(r, NULL));
	val_set(r->a, v, "newsletter_form", n);
	if (r->expires == 0 || r->expires > r->now + 3600)
		r->expires = r->now + 3600;
	return v;
}

/* Adds has_K (a boolean) beside every list K of every object in the tree,
 * so a theme can wrap a list in markup only when it has items: mustache
 * iterates a list section, it cannot test one. */
static void
page_has_flags(struct req *r, struct val *v, int depth)
{
	size_t i, n;

	if (v == NULL || depth > 16)
		return;
	if (v->type == VAL_LIST)
		for (i = 0; i < v->u.list.n; i++)
			page_has_flags(r, v->u.list.items[i], depth + 1);
	if (v->type != VAL_OBJ)
		return;
	n = v->u.obj.n; /* the flags added below need no visit */
	for (i = 0; i < n; i++) {
		if (v->u.obj.kv[i].v->type == VAL_LIST)
			val_set_bool(r->a, v,
			    arena_printf(r->a, "has_%s", v->u.obj.kv[i].key),
			    v->u.obj.kv[i].v->u.list.n > 0);
		page_has_flags(r, v->u.obj.kv[i].v, depth + 1);
	}
}

void
page_render(struct req *r, const char *name, struct val *view)
{
	val_set_str(r->a, view, "og_locale",
	    page_locale(r, page_str(view, "lang")));
	page_has_flags(r, view, 0);
	buf_reset(&r->out);
	if (tmpl_render(r->site->theme, name, view, TMPL_STRICT, &r->out) ==
	    -1) {
		r->out.err = 1; /* http.c turns this into the 500 page */
		return;
	}
	r->status = 200;
	r->ctype = "text/html; charset=utf-8";
	r->cache = 1;
}

static const struct {
	int status;
	const char *title;
	const char *message;
} page_errors[] = {
	{400, "Bad request",
	    "The server could not understand this request."},
	{404, "Page not found",
	    "There is no page at this address. It may have moved, or the "
	    "address may be mistyped."},
	{405, "Method not allowed",
	    "This address does not accept that kind of request."},
	{413, "Request too large", "What was sent is larger than we accept."},
	{414, "Address too long", "The address asked for is too long."},
	{429, "Too many requests",
	    "You have made too many requests in a short time. Please wait a "
	    "few minutes and try again."},
	{500, "Server error",
	    "Something went wrong on our side. Please try again later."},
	{503, "Service unavailable",
	    "The site is busy or under maintenance. Please try again in a "
	    "moment."},
};

void
page_error(struct req *r)
{
	struct val *v;
	const char *title = "Error", *msg = "The request failed.";
	size_t i;
	int status = r->status ? r->status : 500;

	for (i = 0; i < sizeof(page_errors) / sizeof(*page_errors); i++)
		if (page_errors[i].status == status) {
			title = page_errors[i].title;
			msg = page_errors[i].message;
		}
	v = page_base(r, title);
	val_set_int(r->a, v, "status", status);
	val_set_str(r->a, v, "heading", title);
	val_set_str(r->a, v, "message", msg);
	val_set_bool(r->a, v, "noindex", 1);
	buf_reset(&r->out);
	r->out.err = 0;
	if (tmpl_render(r->site->theme, "error", v, TMPL_STRICT, &r->out) ==
	    -1) {
		/* the theme failed us: a plain page still says what happened */
		buf_reset(&r->out);
		buf_printf(&r->out, "<!doctype html><html lang=\"en\"><title>");
		html_text(&r->out, title, strlen(title));
		buf_printf(&r->out, "</title><main><h1>");
		html_text(&r->out, title, strlen(title));
		buf_printf(&r->out, "</h1></main></html>\n");
	}
	r->status = status;
	r->ctype = "text/html; charset=utf-8";
	r->cache = 0;
}

int
page_split(struct req *r, const char *path, const char **parts, int max)
{
	const char *p = path + 1, *e;
	int n = 0;

	for (;;) {
		if (n == max)
			return -1;
		if ((e = strchr(p, '/')) == NULL) {
			parts[n++] = arena_strdup(r->a, p);
			return n;
		}
		parts[n++] = arena_strndup(r->a, p, (size_t)(e - p));
		p = e + 1;
	}
}

static int
page_static(struct req *r)
{
	const struct asset *a = site_asset(r->site, r->path);

	if (a == NULL)
		return r->status = 404;
	buf_reset(&r->out);
	buf_append(&r->out, a->data, a->len);
	r->status = 200;
	r->ctype = a->ctype;
	r->cache = 1;
	r->lastmod = r->site->started;
	r->cache_control = "public, max-age=31536000, immutable";
	return 200;
}

/* A 301 answer to location, with a short page for clients that do not
 * follow it. */
static void
page_redirect(struct req *r, const char *location)
{
	r->status = 301;
	r->location = location;
	r->cache = 0;
	r->cache_control = "public, max-age=300";
	buf_reset(&r->out);
	buf_puts(&r->out, "<!doctype html><title>Moved</title><p>Moved to <a "
	                  "href=\"");
	html_attr(&r->out, r->location, strlen(r->location));
	buf_puts(&r->out, "\">");
	html_text(&r->out, r->location, strlen(r->location));
	buf_puts(&r->out, "</a>.</p>\n");
	r->ctype = "text/html; charset=utf-8";
}

/* "/news/x/" (a link in the style of other generators, Hugo's among
 * them): 301 to "/news/x", where the page is. */
static void
page_unslash(struct req *r)
{
	size_t n = strlen(r->path);

	if (strstr(r->path, "//") == NULL) /* never to "//host" */
		page_redirect(r, arena_strndup(r->a, r->path, n - 1));
}

/* A path an item had before it was renamed: 301 to where it is now
 * (while it is public). */
static void
page_moved(struct req *r)
{
	struct val *row;

	if (strcmp(r->method, "POST") == 0)
		return;
	row = db_query_one(r->db, r->a,
	    "SELECT i.kind, i.slug FROM redirect d JOIN item i "
	    "ON i.id = d.item_id WHERE d.path = ? AND i.status = 'published' "
	    "AND i.published_at <= ?",
	    "ti", r->path, (long long)r->now);
	if (row == NULL)
		return;
	page_redirect(r, page_item_path(r, page_str(row, "kind"),
	    page_str(row, "slug")));
}

int
page_dispatch(struct req *r)
{
	const char *part[5] = {0};
	long long pg = 0;
	int n, i;
	size_t k;

	r->status = 404;
	if (strncmp(r->path, "/admin/", 7) == 0 ||
	    strcmp(r->path, "/admin") == 0) {
		admin_dispatch(r);
		goto done;
	}
	if (strcmp(r->path, "/subscribe") == 0 ||
	    strcmp(r->path, "/subscribe/confirm") == 0 ||
	    strcmp(r->path, "/unsubscribe") == 0) {
		news_page(r, r->path);
		goto done;
	}
	if (strcmp(r->path, "/email") == 0) {
		if (strcmp(r->method, "POST") != 0) {
			r->allow = "POST";
			r->status = 405;
		} else
			page_email(r);
		goto done;
	}
	if (strcmp(r->method, "POST") == 0) {
		r->allow = "GET, HEAD";
		r->status = 405;
		goto done;
	}
	if (strcmp(r->path, "/") == 0) {
		page_home(r);
		goto done;
	}
	if (strncmp(r->path, "/static/", 8) == 0) {
		page_static(r);
		goto done;
	}
	if (strncmp(r->path, "/media/", 7) == 0) {
		page_media(r, r->path + 7);
		goto done;
	}
	/* discovery: search, feeds, calendars, sitemap, API */
	k = strlen(r->path);
	if (strcmp(r->path, "/search") == 0) {
		page_search(r);
		goto done;
	}
	if (strcmp(r->path, "/feed.json") == 0 ||
	    (k >= 10 && strcmp(r->path + k - 10, "/feed.atom") == 0)) {
		feed_answer(r, r->path);
		goto done;
	}
	if (k > 4 && strcmp(r->path + k - 4, ".ics") == 0) {
		ical_answer(r, r->path);
		goto done;
	}
	if (strcmp(r->path, "/sitemap.xml") == 0 ||
	    strncmp(r->path, "/sitemap-", 9) == 0 ||
	    strcmp(r->path, "/robots.txt") == 0) {
		sitemap_answer(r, r->path);
		goto done;
	}
	if (strncmp(r->path, "/api/", 5) == 0) {
		api_answer(r, r->path);
		goto done;
	}
	n = page_split(r, r->path, part, 4);
	if (n <= 0)
		goto done;
	/* ".../page/N" */
	if (n >= 3 && strcmp(part[n - 2], "page") == 0) {
		if ((pg = page_number(part[n - 1])) == 0)
			goto done;
		n -= 2;
		part[n] = "";
		n++;
	}
	for (k = 0; k < sizeof(page_kinds) / sizeof(*page_kinds); k++) {
		if (strcmp(part[0], page_kinds[k].folder) != 0)
			continue;
		if (n == 1 || (n == 2 && *part[1] == '\0'))
			strcmp(page_kinds[k].kind, "event") == 0
			    ? page_events(r, pg ? pg : 1)
			    : page_list_kind(r, page_kinds[k].kind, pg ? pg : 1);
		else if (n == 2 && pg == 0)
			page_item(r, page_kinds[k].kind, part[1]);
		else if (n == 3 && *part[2] == '\0' && pg == 0)
			page_unslash(r);
		goto done;
	}
	i = (n == 1 || (n == 2 && *part[1] == '\0'));
	if (strcmp(part[0], "tags") == 0) {
		if (i && pg == 0)
			page_list_tags(r);
		else if (n == 2 || (n == 3 && *part[2] == '\0'))
			page_list_tag(r, part[1], pg ? pg : 1);
	} else if (strcmp(part[0], "regions") == 0) {
		if (i && pg == 0)
			page_list_regions(r);
		else if (n == 2 || (n == 3 && *part[2] == '\0'))
			page_list_region(r, part[1], pg ? pg : 1);
	} else if (strcmp(part[0], "publications") == 0 && pg == 0) {
		k = n == 2 ? strlen(part[1]) : 0;
		if (i)
			page_pubs(r);
		else if (n == 2 && k > 4 && strcmp(part[1] + k - 4, ".pdf") == 0)
			page_pub_file(r,
			    arena_strndup(r->a, part[1], k - 4));
		else if (n == 2)
			page_pub(r, part[1]);
	} else if (strcmp(part[0], "members") == 0 && pg == 0) {
		if (i)
			page_members(r);
		else if (n == 2)
			page_member(r, part[1]);
	} else if (n == 1 && pg == 0)
		page_item(r, "page", part[0]);
	else if (n == 2 && *part[1] == '\0' && pg == 0)
		page_unslash(r);
done:
	if (r->status == 404 && r->out.len == 0)
		page_moved(r);
	if (r->status >= 400 && r->out.len == 0)
		page_error(r);
	return r->status;
}
