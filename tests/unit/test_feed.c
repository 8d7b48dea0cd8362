/* test_feed.c: RFC 3339 dates and XML text (feed.c), iCalendar text and
 * line folding (ical.c), the sitemap split arithmetic (sitemap.c). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "extern.h"
#include "unit.h"

static void
test_rfc3339(void)
{
	static const struct {
		long long t, off;
		const char *want;
	} cases[] = {
	    {0, 0, "1970-01-01T00:00:00Z"},
	    {1418176800, 420, "2014-12-10T09:00:00+07:00"},
	    {1418176800, -300, "2014-12-09T21:00:00-05:00"},
	    {1418176800, 330, "2014-12-10T07:30:00+05:30"},
	    {1418176800, -570, "2014-12-09T16:30:00-09:30"},
	    {1412755200, 120, "2014-10-08T10:00:00+02:00"},
	    {951782400, 0, "2000-02-29T00:00:00Z"},
	    {1418176799, 0, "2014-12-10T01:59:59Z"},
	};
	struct buf b;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		buf_init(&b, 256);
		feed_rfc3339(&b, cases[i].t, cases[i].off);
		CHECK(b.len && strcmp(buf_cstr(&b), cases[i].want) == 0,
		    "rfc3339(%lld, %lld) = %s, want %s", cases[i].t,
		    cases[i].off, buf_cstr(&b), cases[i].want);
		buf_free(&b);
	}
}

static void
test_xml_text(void)
{
	static const struct {
		const char *in, *want;
	} cases[] = {
	    {"", ""},
	    {"plain", "plain"},
	    {"a & b < c > d \"e\" 'f'",
		"a &amp; b &lt; c &gt; d &quot;e&quot; &#39;f&#39;"},
	    {"tab\there\nnl\rcr", "tab\there\nnl\rcr"},
	    {"bell\a esc\x1b nul-free\x01", "bell esc nul-free"},
	    {"caf\xc3\xa9 \xe2\x80\x94 \xf0\x9f\x98\x80",
		"caf\xc3\xa9 \xe2\x80\x94 \xf0\x9f\x98\x80"},
	    {"bad \xff byte", "bad \xef\xbf\xbd byte"},
	    {"cut \xe2\x80", "cut \xef\xbf\xbd\xef\xbf\xbd"},
	    {"nonchar \xef\xbf\xbe", "nonchar \xef\xbf\xbd"},
	    {"&amp;", "&amp;amp;"},
	};
	struct buf b;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		buf_init(&b, 256);
		feed_xml_text(&b, cases[i].in, strlen(cases[i].in));
		CHECK(strcmp(buf_cstr(&b), cases[i].want) == 0,
		    "xml_text(%s) = %s, want %s", cases[i].in, buf_cstr(&b),
		    cases[i].want);
		buf_free(&b);
	}
}

static void
test_ical_text(void)
{
	static const struct {
		const char *in, *want;
	} cases[] = {
	    {"", ""},
	    {"Bangkok, Thailand", "Bangkok\\, Thailand"},
	    {"a;b", "a\\;b"},
	    {"back\\slash", "back\\\\slash"},
	    {"two\nlines", "two\\nlines"},
	    {"crlf\r\nline", "crlf\\nline"},
	    {"ctl\x01\x7f", "ctl"},
	    {"tab\tx", "tab x"},
	    {"Beijing+20: \xe2\x80\x9cyes\xe2\x80\x9d",
		"Beijing+20: \xe2\x80\x9cyes\xe2\x80\x9d"},
	};
	struct buf b;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		buf_init(&b, 256);
		ical_text(&b, cases[i].in, strlen(cases[i].in));
		CHECK(strcmp(buf_cstr(&b), cases[i].want) == 0,
		    "ical_text(%s) = %s, want %s", cases[i].in, buf_cstr(&b),
		    cases[i].want);
		buf_free(&b);
	}
}

/* Checks a folded text: CRLF line ends only, each line at most 75 octets,
 * continuation lines start with a space, no line starts or ends inside a
 * UTF-8 character, and unfolding gives the input back. */
static void
fold_check(const char *in, const char *what)
{
	struct buf b, u;
	const char *p, *e, *s;
	size_t n, lines = 0;
	int ok = 1;

	buf_init(&b, 1 << 20);
	buf_init(&u, 1 << 20);
	ical_fold(&b, in, strlen(in));
	s = buf_cstr(&b);
	CHECK(b.len >= 2 && memcmp(s + b.len - 2, "\r\n", 2) == 0,
	    "%s: no final CRLF", what);
	for (p = s; *p; p = e + 2) {
		if ((e = strstr(p, "\r\n")) == NULL) {
			ok = 0;
			break;
		}
		n = (size_t)(e - p);
		if (n > 75 || memchr(p, '\n', n) || memchr(p, '\r', n))
			ok = 0;
		if (lines > 0) {
			if (*p != ' ')
				ok = 0;
			p++, n--;
		}
		/* a line never starts on a continuation byte */
		if (n > 0 && ((unsigned char)*p & 0xC0) == 0x80)
			ok = 0;
		buf_append(&u, p, n);
		lines++;
	}
	CHECK(ok, "%s: badly folded:\n%s", what, s);
	CHECK(strcmp(buf_cstr(&u), in) == 0, "%s: unfolds to %s", what,
	    buf_cstr(&u));
	buf_free(&b);
	buf_free(&u);
}

static void
test_ical_fold(void)
{
	struct buf b;
	char line[1024];
	size_t i, k;
	/* 1, 2, 3 and 4 octet characters */
	static const char *const chars[] = {
	    "a", "\xc3\xa9", "\xe2\x80\x94", "\xf0\x9f\x98\x80"};

	buf_init(&b, 256);
	ical_fold(&b, "SHORT:x", 7);
	CHECK(strcmp(buf_cstr(&b), "SHORT:x\r\n") == 0, "short line: %s",
	    buf_cstr(&b));
	buf_free(&b);

	/* exactly 75 octets: one line; 76: two */
	memset(line, 'x', 76);
	line[75] = '\0';
	buf_init(&b, 256);
	ical_fold(&b, line, 75);
	CHECK(b.len == 77, "75 octets folded into %zu", b.len);
	buf_free(&b);
	line[75] = 'y';
	line[76] = '\0';
	buf_init(&b, 256);
	ical_fold(&b, line, 76);
	CHECK(b.len == 81 && memcmp(b.data + 75, "\r\n y\r\n", 6) == 0,
	    "76 octets: %s", buf_cstr(&b));
	buf_free(&b);

	/* every character width at every offset of the fold */
	for (k = 0; k < 4; k++)
		for (i = 0; i < 8; i++) {
			size_t j, n = 0;

			memcpy(line, "DESCRIPTION:", 12);
			n = 12;
			for (j = 0; j < i; j++)
				line[n++] = 'x';
			while (n + 4 < 600) {
				memcpy(line + n, chars[k], strlen(chars[k]));
				n += strlen(chars[k]);
			}
			line[n] = '\0';
			fold_check(line, "utf-8 line");
		}
	fold_check("SUMMARY:Asia Pacific Civil Society Forum on Beijing+20 — "
		   "14–16 November 2014, Bangkok, Thailand — "
		   "Forum de la société civile Asie-Pacifique sur Pékin+20",
	    "mixed line");
}

static void
test_sitemap_split(void)
{
	static const struct {
		long long total, per, part;
		int rc;
		long long first, count;
	} cases[] = {
	    /* part 0 without split: the whole list */
	    {0, 5, 0, 0, 0, 0},
	    {3, 5, 0, 0, 0, 3},
	    {5, 5, 0, 0, 0, 5},
	    {5, 5, 1, -1, 0, 0}, /* no parts when it fits */
	    /* past the threshold: an index of parts */
	    {6, 5, 0, 0, 0, 2},
	    {6, 5, 1, 0, 0, 5},
	    {6, 5, 2, 0, 5, 1},
	    {6, 5, 3, -1, 0, 0},
	    {10, 5, 0, 0, 0, 2},
	    {10, 5, 2, 0, 5, 5},
	    {11, 5, 0, 0, 0, 3},
	    {11, 5, 3, 0, 10, 1},
	    {100001, 50000, 0, 0, 0, 3},
	    {100001, 50000, 3, 0, 100000, 1},
	    {50000, 50000, 0, 0, 0, 50000},
	    {50001, 50000, 2, 0, 50000, 1},
	    /* nonsense */
	    {10, 0, 0, -1, 0, 0},
	    {-1, 5, 0, -1, 0, 0},
	    {10, 5, -1, -1, 0, 0},
	};
	size_t i;
	long long first, count;
	int rc;

	for (i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		first = count = -7;
		rc = sitemap_split(cases[i].total, cases[i].per, cases[i].part,
		    &first, &count);
		CHECK(rc == cases[i].rc, "split(%lld, %lld, %lld) = %d",
		    cases[i].total, cases[i].per, cases[i].part, rc);
		if (rc == 0 && cases[i].rc == 0)
			CHECK(
			    first == cases[i].first && count == cases[i].count,
			    "split(%lld, %lld, %lld): first %lld count %lld, "
			    "want %lld %lld",
			    cases[i].total, cases[i].per, cases[i].part, first,
			    count, cases[i].first, cases[i].count);
		if (rc == -1)
			CHECK(first == -7 && count == -7,
			    "split(%lld, %lld, %lld) touched its outputs",
			    cases[i].total, cases[i].per, cases[i].part);
	}
	/* the parts of a split cover every URL once, in order */
	for (i = 1; i < 40; i++) {
		long long per = 7, parts, k, next = 0;

		sitemap_split((long long)i, per, 0, &first, &parts);
		if ((long long)i <= per) {
			CHECK(parts == (long long)i, "%zu URLs: whole", i);
			continue;
		}
		for (k = 1; k <= parts; k++) {
			CHECK(sitemap_split(
				  (long long)i, per, k, &first, &count) == 0 &&
				first == next && count >= 1 && count <= per,
			    "%zu URLs part %lld", i, k);
			next = first + count;
		}
		CHECK(next == (long long)i, "%zu URLs: parts cover %lld", i,
		    next);
	}
}

/* Counts the occurrences of needle in hay. */
static size_t
count_of(const char *hay, const char *needle)
{
	size_t n = 0;

	while ((hay = strstr(hay, needle)) != NULL) {
		n++;
		hay += strlen(needle);
	}
	return n;
}

/* Renders part of the demo site's sitemap split per URLs a file into out
 * (malloc'd, the caller frees it); returns the status. */
static int
sitemap_render(struct db *db, long long part, long long per, char **out)
{
	static struct site site;
	struct req r;
	int st;

	memset(&r, 0, sizeof(r));
	snprintf(site.conf.base_url, sizeof(site.conf.base_url),
	    "https://example.org");
	snprintf(site.name, sizeof(site.name), "Test");
	r.a = arena_new();
	r.site = &site;
	r.db = db;
	r.method = "GET";
	r.path = "/sitemap.xml";
	r.now = time(NULL);
	r.lastmod = 1418176800;
	buf_init(&r.out, (size_t)8 << 20);
	st = sitemap_write(&r, part, per);
	*out = st == 200 ? strdup(buf_cstr(&r.out)) : NULL;
	buf_free(&r.out);
	arena_free(r.a);
	return st;
}

static void
test_sitemap_index(void)
{
	char path[UNIT_DB_PATH], err[512];
	char *whole = NULL, *index = NULL, *part = NULL, *p, *e;
	struct db *db;
	size_t n, parts, k, seen = 0;
	struct buf cat, all;

	buf_init(&cat, (size_t)1 << 20);
	buf_init(&all, (size_t)1 << 20);
	err[0] = '\0';
	db = unit_db_new(path);
	CHECK(db != NULL && load_embedded(db, err, sizeof(err)) == 0,
	    "the demo database: %s", err);
	if (db == NULL) {
		buf_free(&cat);
		buf_free(&all);
		return;
	}
	CHECK(sitemap_render(db, 0, SITEMAP_MAX, &whole) == 200 && whole,
	    "the whole sitemap");
	if (whole == NULL)
		goto done;
	n = count_of(whole, "<url>");
	CHECK(n > 20 && count_of(whole, "<urlset ") == 1 &&
		count_of(whole, "<sitemapindex") == 0,
	    "the whole sitemap has %zu URLs", n);
	CHECK(strstr(whole, "<loc>https://example.org/</loc>") != NULL,
	    "the home page is listed");
	CHECK(sitemap_render(db, 1, SITEMAP_MAX, &part) == 404,
	    "no part 1 when it fits");
	/* split 7 a file: an index of parts that cover the same URLs */
	parts = (n + 6) / 7;
	CHECK(sitemap_render(db, 0, 7, &index) == 200 && index, "the index");
	if (index == NULL)
		goto done;
	CHECK(count_of(index, "<sitemapindex ") == 1 &&
		count_of(index, "<sitemap>") == parts &&
		count_of(index, "<url>") == 0,
	    "the index lists %zu parts:\n%s", parts, index);
	for (k = 1; k <= parts; k++) {
		char want[64];

		snprintf(want, sizeof(want),
		    "<loc>https://example.org/sitemap-%zu.xml</loc>", k);
		CHECK(strstr(index, want) != NULL, "index names part %zu", k);
		free(part);
		part = NULL;
		CHECK(sitemap_render(db, (long long)k, 7, &part) == 200 && part,
		    "part %zu", k);
		if (part == NULL)
			continue;
		CHECK(count_of(part, "<url>") ==
			(k < parts ? 7 : n - 7 * (parts - 1)),
		    "part %zu has %zu URLs", k, count_of(part, "<url>"));
		/* each URL of the part is the next one of the whole list */
		for (p = part; (p = strstr(p, "<url>")) != NULL; p = e) {
			e = strstr(p, "</url>");
			if (e == NULL)
				break;
			e += 6;
			buf_append(&cat, p, (size_t)(e - p));
			seen++;
		}
	}
	CHECK(seen == n, "the parts hold %zu of %zu URLs", seen, n);
	/* in the order of the whole list */
	for (p = whole; (p = strstr(p, "<url>")) != NULL; p = e) {
		if ((e = strstr(p, "</url>")) == NULL)
			break;
		e += 6;
		buf_append(&all, p, (size_t)(e - p));
	}
	CHECK(cat.len == all.len && cat.len > 0 &&
		memcmp(cat.data, all.data, cat.len) == 0,
	    "the parts are the whole list in order");
	free(part);
	part = NULL;
	CHECK(sitemap_render(db, (long long)parts + 1, 7, &part) == 404,
	    "no part past the last");
done:
	free(whole);
	free(index);
	free(part);
	buf_free(&cat);
	buf_free(&all);
	unit_db_drop(db, path);
}

void
test_feed(void)
{
	test_rfc3339();
	test_xml_text();
	test_ical_text();
	test_ical_fold();
	test_sitemap_split();
	test_sitemap_index();
}
