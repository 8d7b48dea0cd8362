/* search.c: full-text search: the user's words into a safe FTS5 query,
 * ranked results with highlighted snippets, filters and pages. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "extern.h"

/* Snippet highlight markers: control bytes the index text never shows. */
#define SEARCH_HL_OPEN "\x02"
#define SEARCH_HL_CLOSE "\x03"
#define SEARCH_FILTER_MAX 128 /* bytes of a filter value */

static const struct {
	const char *value;
	const char *label;
} search_kinds[] = {
    {"news", "News"},
    {"press-release", "Press releases"},
    {"statement", "Statements"},
    {"event", "Events"},
    {"page", "Pages"},
    {"member", "Member organisations"},
    {"publication", "Publications"},
};

/*
 * Everything a result row needs, for the count and for the page: the
 * match, only public things (a published item whose time has come, a
 * member, a publication), and the filters. Parameters: ?1 the FTS5 query,
 * ?2 now, ?3 kind, ?4 region slug, ?5 tag slug, ?6 year ("2014"); a NULL
 * filter is no filter.
 */
#define SEARCH_FROM                                                            \
	" FROM search"                                                         \
	" LEFT JOIN item i ON search.kind NOT IN ('member', 'publication')"    \
	"  AND i.id = search.ref"                                              \
	" LEFT JOIN member m ON search.kind = 'member' AND m.id = search.ref"  \
	" LEFT JOIN publication p ON search.kind = 'publication' AND"          \
	"  p.id = search.ref"                                                  \
	" WHERE search MATCH ?1"                                               \
	" AND ((i.status = 'published' AND i.published_at <= ?2) OR"           \
	"  m.id IS NOT NULL OR p.id IS NOT NULL)"                              \
	" AND (?3 IS NULL OR search.kind = ?3)"                                \
	" AND (?4 IS NULL OR i.id IN (SELECT ir.item_id FROM item_region"      \
	"  ir JOIN region g ON g.id = ir.region_id WHERE g.slug = ?4) OR"      \
	"  m.region_id IN (SELECT id FROM region WHERE slug = ?4))"            \
	" AND (?5 IS NULL OR i.id IN (SELECT it.item_id FROM item_tag it"      \
	"  JOIN tag t ON t.id = it.tag_id WHERE t.slug = ?5))"                 \
	" AND (?6 IS NULL OR strftime('%Y', i.published_at +"                  \
	"  i.tz_offset * 60, 'unixepoch') = ?6 OR"                             \
	"  CAST(p.year AS TEXT) = ?6)"

int
search_query(const char *q, size_t n, const char *lang, struct buf *out)
{
	char word[STEM_WORD_MAX];
	size_t pos = 0, start, end, wlen, i;
	int terms = 0;

	/* the marker carries lang as it is: only a plain code may go */
	if (lang == NULL || *lang == '\0' || strlen(lang) > 12 ||
	    strspn(lang,
		"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
		"-_") != strlen(lang))
		lang = "en";
	while ((wlen = stem_next(
		    q, n, &pos, &start, &end, word, sizeof(word))) > 0) {
		if (++terms > SEARCH_TERMS_MAX)
			return -1;
		if (terms > 1)
			buf_puts(out, " AND ");
		/* a quoted FTS5 string: the marker, the word; words have no
		 * '"' but double any anyway */
		buf_printf(out, "\"%c%s%c", STEM_MARK, lang, STEM_MARK);
		for (i = 0; i < wlen; i++) {
			if (word[i] == '"')
				buf_putc(out, '"');
			buf_putc(out, word[i]);
		}
		buf_putc(out, '"');
		if (pos < n && q[pos] == '*')
			buf_putc(out, '*');
	}
	return terms;
}

/* md_find_emails callback: keeps each address found. */
struct search_emails {
	struct arena *a;
	const char *found[16];
	size_t n;
};

static void
search_email_seen(void *arg, const char *addr)
{
	struct search_emails *e = arg;

	if (e->n < sizeof(e->found) / sizeof(*e->found))
		e->found[e->n++] = arena_strdup(e->a, addr);
}

/* Where in s the first of the addresses of e starts (case folded), its
 * length in *len; NULL when none is there. */
static const char *
search_email_at(const char *s, const struct search_emails *e, size_t *len)
{
	const char *best = NULL, *p;
	size_t i, l;

	for (i = 0; i < e->n; i++) {
		l = strlen(e->found[i]);
		if (l == 0)
			continue;
		for (p = s; *p; p++)
			if (strncasecmp(p, e->found[i], l) == 0)
				break;
		if (*p &&
		    (best == NULL || p < best || (p == best && l > *len))) {
			best = p;
			*len = l;
		}
	}
	return best;
}

/* The index of the closing byte of a language marker ("\x01en\x01")
 * starting at snip[i], or i when none starts there. */
static size_t
search_marker_end(const char *snip, size_t n, size_t i)
{
	size_t j;

	if (snip[i] != STEM_MARK)
		return i;
	for (j = i + 1; j < n && snip[j] != STEM_MARK && j - i < 16; j++)
		;
	return j < n && snip[j] == STEM_MARK ? j : i;
}

/* 1 for a control byte a snippet drops (all but newline and tab). */
static int
search_ctl(char c)
{
	return (unsigned char)c < 0x20 && c != '\n' && c != '\t';
}

/*
 * The trusted HTML of an FTS5 snippet: language markers and other control
 * bytes dropped, e-mail addresses replaced, the rest escaped, and the
 * highlight markers turned into <mark>. In the arena.
 */
static struct val *
search_snippet(struct req *r, const char *snip)
{
	struct search_emails e;
	struct buf clean, out;
	size_t *map, n = strlen(snip), i, j, k, len = 0;
	const char *at;
	char *hide;
	struct val *v;
	int open = 0;

	/* clean: the text without control bytes; map: its bytes' places
	 * in snip */
	buf_init(&clean, n + 16);
	map = arena_alloc(r->a, (n + 1) * sizeof(*map));
	for (i = 0; i < n; i++) {
		if ((j = search_marker_end(snip, n, i)) != i) {
			i = j;
			continue;
		}
		if (search_ctl(snip[i]))
			continue;
		map[clean.len] = i;
		buf_putc(&clean, snip[i]);
	}
	/* hide: the bytes of snip inside an e-mail address */
	hide = arena_alloc(r->a, n + 1);
	memset(&e, 0, sizeof(e));
	e.a = r->a;
	if (clean.len) {
		const char *c = buf_cstr(&clean);

		md_find_emails(c, clean.len, search_email_seen, &e);
		/* an address not written as found ("x [at] y.org"), or too
		 * many of them: no snippet rather than a leak */
		for (i = 0; i < e.n; i++) {
			struct search_emails one = {.a = r->a, .n = 1};

			one.found[0] = e.found[i];
			if (search_email_at(c, &one, &len) == NULL)
				break;
		}
		if (i < e.n || e.n == sizeof(e.found) / sizeof(*e.found)) {
			buf_free(&clean);
			return val_html(r->a, "", 0);
		}
		for (k = 0; (at = search_email_at(c + k, &e, &len)) != NULL;) {
			size_t s0 = map[at - c], s1 = map[at - c + len - 1];

			for (j = s0; j <= s1; j++)
				hide[j] = j == s0 ? 2 : 1;
			k = (size_t)(at - c) + len;
			if (k >= clean.len)
				break;
		}
	}
	buf_init(&out, 8 * n + 64);
	for (i = 0; i < n; i++) {
		if (snip[i] == SEARCH_HL_OPEN[0] && !open) {
			buf_puts(&out, "<mark>");
			open = 1;
		} else if (snip[i] == SEARCH_HL_CLOSE[0] && open) {
			buf_puts(&out, "</mark>");
			open = 0;
		} else if (hide[i] == 2)
			buf_puts(&out, "[e-mail address removed]");
		else if (hide[i] == 0) {
			/* the language marker and control bytes once more */
			if ((j = search_marker_end(snip, n, i)) != i) {
				i = j;
				continue;
			}
			if (search_ctl(snip[i]))
				continue;
			html_text(&out, snip + i, 1);
		}
	}
	if (open)
		buf_puts(&out, "</mark>");
	v = out.err ? val_html(r->a, "", 0)
		    : val_html(r->a, buf_cstr(&out), out.len);
	buf_free(&out);
	buf_free(&clean);
	return v;
}

/* The fields of a result: url, kind label, date, snippet. */
static void
search_result(struct req *r, struct val *row)
{
	const char *kind = page_str(row, "kind");

	if (strcmp(kind, "member") == 0) {
		val_set_str(r->a, row, "url",
		    arena_printf(r->a, "/members/%s", page_str(row, "slug")));
		val_set_str(r->a, row, "kind_label", "Member organisation");
	} else if (strcmp(kind, "publication") == 0) {
		val_set_str(r->a, row, "url",
		    arena_printf(
			r->a, "/publications/%s", page_str(row, "slug")));
		val_set_str(r->a, row, "kind_label", "Publication");
		if (page_int(row, "year") > 0)
			val_set_str(r->a, row, "year_text",
			    arena_printf(r->a, "%lld", page_int(row, "year")));
	} else
		page_item_val(r, row);
	val_set(r->a, row, "snippet_html",
	    search_snippet(r, page_str(row, "snip")));
}

/* 1 when the whole of s (n bytes) is valid UTF-8. */
static int
search_utf8(const char *s, size_t n)
{
	size_t i = 0, l;

	while (i < n) {
		if ((l = buf_utf8_len((const unsigned char *)s + i, n - i)) ==
		    0)
			return 0;
		i += l;
	}
	return 1;
}

/* value when it is a usable filter value (non-empty, not too long), else
 * NULL. */
static const char *
search_filter(struct req *r, const char *key)
{
	const char *v = req_arg(r, key);
	size_t n;

	if (v == NULL || (n = strlen(v)) == 0 || n > SEARCH_FILTER_MAX ||
	    !search_utf8(v, n))
		return NULL;
	return v;
}

/* "/search?q=...&kind=..." with the page number when page > 1. */
static const char *
search_url(struct req *r, const char *q, const char *kind, const char *region,
    const char *tag, const char *year, long long page)
{
	static const char *const names[] = {"kind", "region", "tag", "year"};
	const char *vals[] = {kind, region, tag, year};
	struct buf b;
	const char *s;
	size_t i;

	buf_init(&b, 8192);
	buf_puts(&b, "/search?q=");
	html_pct(&b, q, strlen(q));
	for (i = 0; i < sizeof(names) / sizeof(*names); i++)
		if (vals[i] != NULL) {
			buf_printf(&b, "&%s=", names[i]);
			html_pct(&b, vals[i], strlen(vals[i]));
		}
	if (page > 1)
		buf_printf(&b, "&page=%lld", page);
	s = arena_strdup(r->a, b.err ? "/search" : buf_cstr(&b));
	buf_free(&b);
	return s;
}

/* The choices of the filter form, with the current one selected. */
static void
search_form(struct req *r, struct val *v, const char *kind, const char *region,
    const char *tag)
{
	struct val *list = val_list(r->a), *o, *rows = NULL;
	size_t i;

	for (i = 0; i < sizeof(search_kinds) / sizeof(*search_kinds); i++) {
		o = val_obj(r->a);
		val_set_str(r->a, o, "value", search_kinds[i].value);
		val_set_str(r->a, o, "label", search_kinds[i].label);
		val_set_bool(r->a, o, "selected",
		    kind && strcmp(kind, search_kinds[i].value) == 0);
		val_push(r->a, list, o);
	}
	val_set(r->a, v, "kinds", list);
	if (db_query(r->db, r->a, &rows,
		"SELECT slug AS value, name AS label FROM region "
		"ORDER BY position",
		"") == 0) {
		for (i = 0; i < rows->u.list.n; i++)
			val_set_bool(r->a, rows->u.list.items[i], "selected",
			    region &&
				strcmp(region,
				    page_str(rows->u.list.items[i], "value")) ==
				    0);
		val_set(r->a, v, "regions", rows);
	}
	rows = NULL;
	if (db_query(r->db, r->a, &rows,
		"SELECT t.slug AS value, t.name AS label FROM tag t WHERE "
		"EXISTS (SELECT 1 FROM item_tag it JOIN item i ON i.id = "
		"it.item_id WHERE it.tag_id = t.id AND i.status = "
		"'published' AND i.published_at <= ?) ORDER BY t.name "
		"COLLATE NOCASE",
		"i", (long long)r->now) == 0) {
		for (i = 0; i < rows->u.list.n; i++)
			val_set_bool(r->a, rows->u.list.items[i], "selected",
			    tag &&
				strcmp(tag,
				    page_str(rows->u.list.items[i], "value")) ==
				    0);
		val_set(r->a, v, "tags", rows);
	}
}

/* Renders the search page; a status >= 400 keeps the page, with message. */
static int
search_show(struct req *r, struct val *v, int status, const char *message)
{
	if (message)
		val_set_str(r->a, v, "message", message);
	page_render(r, "search", v);
	if (r->out.err == 0 && status != 200)
		r->status = status;
	r->cache = 0;
	return r->status;
}

int
page_search(struct req *r)
{
	const char *q0, *kind, *region, *tag, *year, *lang, *pg;
	struct val *v, *rows = NULL, *pager;
	long long total, page = 1;
	size_t qn, i;
	struct buf fq;
	char *q;
	int terms;

	q0 = req_arg(r, "q");
	kind = search_filter(r, "kind");
	region = search_filter(r, "region");
	tag = search_filter(r, "tag");
	year = search_filter(r, "year");
	pg = req_arg(r, "page");
	if (kind) {
		for (i = 0; i < sizeof(search_kinds) / sizeof(*search_kinds);
		     i++)
			if (strcmp(kind, search_kinds[i].value) == 0)
				break;
		if (i == sizeof(search_kinds) / sizeof(*search_kinds))
			kind = NULL;
	}
	if (year && (strlen(year) != 4 || strspn(year, "0123456789") != 4))
		year = NULL;
	if (pg && strlen(pg) <= 6 && strspn(pg, "0123456789") == strlen(pg) &&
	    atoll(pg) > 1)
		page = atoll(pg);

	/* trim the query */
	if (q0 == NULL)
		q0 = "";
	while (*q0 == ' ' || *q0 == '\t' || *q0 == '\n' || *q0 == '\r')
		q0++;
	qn = strlen(q0);
	while (qn > 0 &&
	    (q0[qn - 1] == ' ' || q0[qn - 1] == '\t' || q0[qn - 1] == '\n' ||
		q0[qn - 1] == '\r'))
		qn--;
	q = arena_strndup(r->a, q0, qn);
	for (i = 0; i < qn; i++) /* control bytes are no words, nor text */
		if ((unsigned char)q[i] < 0x20 || q[i] == 0x7f)
			q[i] = ' ';

	v = page_base(r, qn ? "Search results" : "Search");
	val_set_bool(r->a, v, "noindex", 1);
	search_form(r, v, kind, region, tag);
	if (year)
		val_set_str(r->a, v, "year", year);
	if (!search_utf8(q, qn))
		return search_show(r, v, 400,
		    "The search words are not valid text (UTF-8). Please "
		    "type them again.");
	val_set_str(r->a, v, "q", q);
	if (qn > SEARCH_QUERY_MAX)
		return search_show(r, v, 400,
		    "The query is too long: please use at most 512 "
		    "characters.");
	if (qn == 0)
		return search_show(r, v, 200, NULL);

	lang = page_setting(r, "language");
	if (*lang == '\0')
		lang = "en";
	buf_init(&fq, 64 * 1024);
	terms = search_query(q, qn, lang, &fq);
	if (terms == -1 || fq.err) {
		buf_free(&fq);
		return search_show(r, v, 400,
		    "The query has too many words: please use at most 32.");
	}
	if (terms == 0) {
		buf_free(&fq);
		val_set_bool(r->a, v, "searched", 1);
		val_set_int(r->a, v, "total", 0);
		return search_show(r, v, 200, NULL);
	}
	q0 = arena_strdup(r->a, buf_cstr(&fq));
	buf_free(&fq);

	/* rank every match (keeping only rowid and score), count them,
	 * then fetch titles and make snippets for the page's rows only */
	if (db_query(r->db, r->a, &rows,
		"WITH hit AS MATERIALIZED (SELECT search.rowid AS rid, "
		"bm25(search, 10.0, 4.0, 1.0, 3.0) AS score" SEARCH_FROM "), "
		"top AS MATERIALIZED (SELECT rid, score, (SELECT count(*) "
		"FROM hit) AS total FROM hit ORDER BY score, rid "
		"LIMIT ?7 OFFSET ?8) "
		"SELECT search.kind AS kind, search.ref AS id, "
		"coalesce(i.slug, m.slug, p.slug) AS slug, coalesce(i.title, "
		"m.name, p.title) AS title, i.published_at, i.tz_offset, "
		"p.year, top.total, snippet(search, -1, char(2), char(3), "
		"'…', 24) AS snip FROM top JOIN search ON search.rowid = "
		"top.rid LEFT JOIN item i ON search.kind NOT IN ('member', "
		"'publication') AND i.id = search.ref LEFT JOIN member m ON "
		"search.kind = 'member' AND m.id = search.ref LEFT JOIN "
		"publication p ON search.kind = 'publication' AND p.id = "
		"search.ref WHERE search MATCH ?1 ORDER BY top.score, top.rid",
		"tittttii", q0, (long long)r->now, kind, region, tag, year,
		(long long)PAGE_SIZE, (page - 1) * PAGE_SIZE) == -1)
		return search_show(
		    r, v, 400, "The server could not understand the query.");
	if (rows->u.list.n > 0)
		total = page_int(rows->u.list.items[0], "total");
	else if (page == 1)
		total = 0;
	else if ((total = db_int(r->db, "SELECT count(*)" SEARCH_FROM, "titttt",
		      q0, (long long)r->now, kind, region, tag, year)) < 0)
		return search_show(
		    r, v, 400, "The server could not understand the query.");
	for (i = 0; i < rows->u.list.n; i++)
		search_result(r, rows->u.list.items[i]);
	val_set_bool(r->a, v, "searched", 1);
	val_set_bool(r->a, v, "found", total > 0);
	val_set_int(r->a, v, "total", total);
	val_set_str(r->a, v, "total_text",
	    total == 1 ? "1 result"
		       : arena_printf(r->a, "%lld results", total));
	val_set(r->a, v, "results", rows);
	pager = page_pager(r, "/search", page, total);
	if (pager->type == VAL_OBJ) {
		/* page_pager makes ".../page/N" links: ours take ?page=N */
		if (page > 1)
			val_set_str(r->a, pager, "prev",
			    search_url(
				r, q, kind, region, tag, year, page - 1));
		if (page * PAGE_SIZE < total)
			val_set_str(r->a, pager, "next",
			    search_url(
				r, q, kind, region, tag, year, page + 1));
		if (page > (total + PAGE_SIZE - 1) / PAGE_SIZE) {
			/* past the last page: no "Page 5 of 3" */
			pager = val_bool(r->a, 0);
		}
	}
	val_set(r->a, v, "pager", pager);
	return search_show(r, v, 200, NULL);
}
