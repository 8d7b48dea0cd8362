/* sitemap.c: /sitemap.xml of every public page (a sitemap index with
 * /sitemap-N.xml parts past SITEMAP_MAX URLs) and /robots.txt. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "extern.h"

#define SITEMAP_LIVE "status = 'published' AND published_at <= ?"

int
sitemap_split(long long total, long long per, long long part, long long *first,
    long long *count)
{
	long long parts;

	if (total < 0 || per <= 0 || part < 0)
		return -1;
	parts = total <= per ? 0 : (total + per - 1) / per;
	if (part == 0) {
		*first = 0;
		*count = parts == 0 ? total : parts;
		return 0;
	}
	if (part > parts)
		return -1;
	*first = (part - 1) * per;
	*count = total - *first < per ? total - *first : per;
	return 0;
}

/* One URL of the sitemap: its path and when it last changed. */
struct sitemap_url {
	const char *path;
	long long lastmod, off;
};

struct sitemap {
	struct req *r;
	struct sitemap_url *urls;
	size_t n, cap;
};

static void
sitemap_add(
    struct sitemap *s, const char *path, long long lastmod, long long off)
{
	struct sitemap_url *u;

	if (s->n == s->cap) {
		s->cap = s->cap ? s->cap * 2 : 256;
		u = arena_alloc(s->r->a, s->cap * sizeof(*u));
		if (s->n)
			memcpy(u, s->urls, s->n * sizeof(*u));
		s->urls = u;
	}
	s->urls[s->n].path = path;
	s->urls[s->n].lastmod = lastmod;
	s->urls[s->n].off = off;
	s->n++;
}

/* base and its pages /page/2 ... for total items, PAGE_SIZE a page. */
static void
sitemap_listing(struct sitemap *s, const char *base, long long total)
{
	struct req *r = s->r;
	long long p, pages = (total + PAGE_SIZE - 1) / PAGE_SIZE;
	const char *sep = base[strlen(base) - 1] == '/' ? "" : "/";

	sitemap_add(s, base, (long long)r->lastmod, 0);
	for (p = 2; p <= pages; p++)
		sitemap_add(s,
		    arena_printf(r->a, "%s%spage/%lld", base, sep, p),
		    (long long)r->lastmod, 0);
}

/* Every public page, in the order a reader meets them. -1 on a query
 * failure. */
static int
sitemap_collect(struct sitemap *s)
{
	static const struct {
		const char *kind, *base;
	} kinds[] = {
	    {"news", "/news/"},
	    {"press-release", "/press-releases/"},
	    {"statement", "/statements/"},
	};
	struct req *r = s->r;
	struct val *rows = NULL, *o;
	long long now = (long long)r->now, lm = (long long)r->lastmod;
	size_t i;

	sitemap_add(s, "/", lm, 0);
	for (i = 0; i < sizeof(kinds) / sizeof(*kinds); i++)
		sitemap_listing(s, kinds[i].base,
		    db_int(r->db,
			"SELECT count(*) FROM item WHERE kind = ? "
			"AND " SITEMAP_LIVE,
			"ti", kinds[i].kind, now));
	/* the events pages page through the past events */
	sitemap_listing(s, "/events/",
	    db_int(r->db,
		"SELECT count(*) FROM event e JOIN item i INDEXED BY item_live "
		"ON i.id = e.item_id "
		"WHERE i.status = 'published' AND i.published_at <= ? AND "
		"e.end_utc < ?",
		"ii", now, now));
	if (db_query(r->db, r->a, &rows,
		"SELECT kind, slug, updated_at, tz_offset FROM item "
		"INDEXED BY item_sitemap WHERE " SITEMAP_LIVE
		" ORDER BY kind, published_at DESC, id DESC",
		"i", now) == -1)
		return -1;
	for (i = 0; i < rows->u.list.n; i++) {
		o = rows->u.list.items[i];
		sitemap_add(s,
		    page_item_path(r, page_str(o, "kind"), page_str(o, "slug")),
		    page_int(o, "updated_at"), page_int(o, "tz_offset"));
	}
	sitemap_add(s, "/tags/", lm, 0);
	if (db_query(r->db, r->a, &rows,
		"SELECT t.slug, count(*) AS n FROM tag t JOIN item_tag it ON "
		"it.tag_id = t.id JOIN item i INDEXED BY item_live ON "
		"i.id = it.item_id WHERE "
		"i.status = 'published' AND i.published_at <= ? GROUP BY t.id "
		"ORDER BY t.slug",
		"i", now) == -1)
		return -1;
	for (i = 0; i < rows->u.list.n; i++) {
		o = rows->u.list.items[i];
		sitemap_listing(s,
		    arena_printf(r->a, "/tags/%s", page_str(o, "slug")),
		    page_int(o, "n"));
	}
	sitemap_add(s, "/regions/", lm, 0);
	if (db_query(r->db, r->a, &rows,
		"SELECT g.slug, (SELECT count(*) FROM item_region ir JOIN item "
		"i INDEXED BY item_live ON i.id = ir.item_id WHERE "
		"ir.region_id = g.id AND "
		"i.status = 'published' AND i.published_at <= ?) AS n "
		"FROM region g ORDER BY g.position",
		"i", now) == -1)
		return -1;
	for (i = 0; i < rows->u.list.n; i++) {
		o = rows->u.list.items[i];
		sitemap_listing(s,
		    arena_printf(r->a, "/regions/%s", page_str(o, "slug")),
		    page_int(o, "n"));
	}
	sitemap_add(s, "/publications/", lm, 0);
	if (db_query(r->db, r->a, &rows,
		"SELECT slug, updated_at FROM publication ORDER BY slug",
		"") == -1)
		return -1;
	for (i = 0; i < rows->u.list.n; i++) {
		o = rows->u.list.items[i];
		sitemap_add(s,
		    arena_printf(r->a, "/publications/%s", page_str(o, "slug")),
		    page_int(o, "updated_at"), 0);
	}
	sitemap_add(s, "/members/", lm, 0);
	if (db_query(r->db, r->a, &rows,
		"SELECT slug FROM member ORDER BY slug", "") == -1)
		return -1;
	for (i = 0; i < rows->u.list.n; i++)
		sitemap_add(s,
		    arena_printf(r->a, "/members/%s",
			page_str(rows->u.list.items[i], "slug")),
		    lm, 0);
	return 0;
}

static void
sitemap_loc(struct req *r, const char *path)
{
	buf_puts(&r->out, "<loc>");
	feed_xml_text(
	    &r->out, r->site->conf.base_url, strlen(r->site->conf.base_url));
	feed_xml_text(&r->out, path, strlen(path));
	buf_puts(&r->out, "</loc>");
}

static void
sitemap_lastmod(struct req *r, long long t, long long off)
{
	buf_puts(&r->out, "<lastmod>");
	feed_rfc3339(&r->out, t, off);
	buf_puts(&r->out, "</lastmod>");
}

int
sitemap_write(struct req *r, long long part, long long per)
{
	struct sitemap s;
	long long first, count, k, pc, latest;
	struct sitemap_url *u;

	memset(&s, 0, sizeof(s));
	s.r = r;
	if (sitemap_collect(&s) == -1)
		return r->status = 500;
	if (sitemap_split((long long)s.n, per, part, &first, &count) == -1)
		return r->status = 404;
	buf_reset(&r->out);
	/* a full sitemap file is larger than a page: room for it */
	if (r->out.max < (size_t)64 << 20)
		r->out.max = (size_t)64 << 20;
	buf_puts(&r->out, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
	if (part == 0 && (long long)s.n > per) {
		buf_puts(&r->out,
		    "<sitemapindex xmlns=\"http://www.sitemaps.org/"
		    "schemas/sitemap/0.9\">\n");
		for (k = 1; k <= count; k++) {
			sitemap_split((long long)s.n, per, k, &first, &pc);
			latest = 0;
			for (u = s.urls + first; u < s.urls + first + pc; u++)
				if (u->lastmod > latest)
					latest = u->lastmod;
			buf_puts(&r->out, "<sitemap>");
			sitemap_loc(
			    r, arena_printf(r->a, "/sitemap-%lld.xml", k));
			sitemap_lastmod(r, latest, 0);
			buf_puts(&r->out, "</sitemap>\n");
		}
		buf_puts(&r->out, "</sitemapindex>\n");
	} else {
		buf_puts(&r->out,
		    "<urlset xmlns=\"http://www.sitemaps.org/"
		    "schemas/sitemap/0.9\">\n");
		for (u = s.urls + first; u < s.urls + first + count; u++) {
			buf_puts(&r->out, "<url>");
			sitemap_loc(r, u->path);
			sitemap_lastmod(r, u->lastmod, u->off);
			buf_puts(&r->out, "</url>\n");
		}
		buf_puts(&r->out, "</urlset>\n");
	}
	r->status = 200;
	r->ctype = "application/xml; charset=utf-8";
	r->cache = 1;
	return r->status;
}

/* "N" of "/sitemap-N.xml"; 0 when it is no such name. */
static long long
sitemap_part(const char *path)
{
	const char *p = path + 9;
	long long n = 0;

	if (*p < '1' || *p > '9')
		return 0;
	for (; *p >= '0' && *p <= '9' && n < 1000000; p++)
		n = n * 10 + (*p - '0');
	return strcmp(p, ".xml") == 0 ? n : 0;
}

static int
sitemap_robots(struct req *r)
{
	buf_reset(&r->out);
	buf_printf(&r->out,
	    "User-agent: *\n"
	    "Allow: /\n"
	    "Disallow: /email\n"
	    "Disallow: /search\n"
	    "\n"
	    "Sitemap: %s/sitemap.xml\n",
	    r->site->conf.base_url);
	r->status = 200;
	r->ctype = "text/plain; charset=utf-8";
	r->cache = 1;
	return r->status;
}

int
sitemap_answer(struct req *r, const char *path)
{
	long long n;

	if (strcmp(path, "/robots.txt") == 0)
		return sitemap_robots(r);
	if (strcmp(path, "/sitemap.xml") == 0)
		return sitemap_write(r, 0, SITEMAP_MAX);
	if (strncmp(path, "/sitemap-", 9) == 0 && (n = sitemap_part(path)) > 0)
		return sitemap_write(r, n, SITEMAP_MAX);
	return r->status = 404;
}
