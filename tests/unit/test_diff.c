/* test_diff.c: line diffs: a table of small cases, escaping, folding,
 * CRLF, a 20,000-line worst case and random texts against an LCS. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "extern.h"
#include "unit.h"

/* Occurrences of needle in hay. */
static size_t
count_of(const char *hay, const char *needle)
{
	size_t n = 0, len = strlen(needle);

	while ((hay = strstr(hay, needle)) != NULL) {
		n++;
		hay += len;
	}
	return n;
}

/* Runs diff_html on two NUL-terminated texts; the HTML is malloc'd in
 * *html (the caller frees). */
static int
run(const char *a, const char *b, char **html)
{
	struct buf out;
	int rc;

	buf_init(&out, 0);
	rc = diff_html(&out, a, strlen(a), b, strlen(b));
	*html = out.data != NULL ? out.data : strdup("");
	return rc;
}

static void
test_diff_table(void)
{
	static const struct {
		const char *a, *b;
		int want;
		const char *has[3]; /* strings the HTML must hold */
	} cases[] = {
	    {"", "", 0, {NULL}},
	    {"a\nb\nc\n", "a\nb\nc\n", 0, {"<tr class=\"same\">"}},
	    {"a\nb\nc", "a\nb\nc\n", 0, {NULL}}, /* final newline */
	    {"a\r\nb\r\n", "a\nb\n", 0, {NULL}}, /* CRLF is a line end */
	    {"a\nb\nc\n", "a\nB\nc\n", 2,
		{"<del>b</del>", "<ins>B</ins>", "<tr class=\"del\">"}},
	    {"b\nc\n", "a\nb\nc\n", 1,
		{"<tr class=\"add\"><td class=\"n\"></td>"
		 "<td class=\"n\">1</td><td><ins>a</ins>"}},
	    {"a\nb\n", "a\nb\nc", 1,
		{"<td class=\"n\">3</td><td><ins>c</ins>"}},
	    {"a\nb\nc\n", "a\nc\n", 1,
		{"<tr class=\"del\"><td class=\"n\">2</td>"
		 "<td class=\"n\"></td><td><del>b</del>"}},
	    {"", "x\ny\n", 2, {"<ins>x</ins>", "<ins>y</ins>"}},
	    {"x\ny\n", "", 2, {"<del>x</del>", "<del>y</del>"}},
	    {"\n\n", "", 2, {"<del></del>"}},
	    {"a\n<script>alert(1)</script>\n", "a\n", 1,
		{"<del>&lt;script&gt;alert(1)&lt;/script&gt;</del>"}},
	    {"x & y\n", "x &amp; y\n", 2,
		{"<del>x &amp; y</del>", "<ins>x &amp;amp; y</ins>"}},
	    {"a\r\nb\r\nc\r\n", "a\r\nB\r\nc\r\n", 2,
		{"<del>b</del>", "<ins>B</ins>"}},
	    {"one\ntwo\n", "one\r\ntwo\r\nthree\r\n", 1, {"<ins>three</ins>"}},
	    {"a\nb\nc\nd\n", "d\nc\nb\na\n", 6, {NULL}},
	    {"a\nx\nb\ny\nc\n", "a\nb\nc\n", 2, {NULL}},
	};
	static const char head[] =
	    "<table class=\"diff\">\n<thead><tr>"
	    "<th scope=\"col\">Old</th><th scope=\"col\">New</th>"
	    "<th scope=\"col\">Line</th></tr></thead>";
	char *html;
	size_t i, j;
	int rc;

	for (i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		rc = run(cases[i].a, cases[i].b, &html);
		CHECK(rc == cases[i].want, "case %zu: %d changes, want %d", i,
		    rc, cases[i].want);
		CHECK(strncmp(html, head, strlen(head)) == 0,
		    "case %zu: head of \"%s\"", i, html);
		CHECK(strstr(html, "</table>") != NULL, "case %zu: no end", i);
		for (j = 0; j < 3 && cases[i].has[j] != NULL; j++)
			CHECK(strstr(html, cases[i].has[j]) != NULL,
			    "case %zu: no \"%s\" in\n%s", i, cases[i].has[j],
			    html);
		if (cases[i].want == 0)
			CHECK(strstr(html, "<del>") == NULL &&
				strstr(html, "<ins>") == NULL,
			    "case %zu: del or ins in\n%s", i, html);
		CHECK(count_of(html, "<del>") + count_of(html, "<ins>") ==
			(size_t)cases[i].want,
		    "case %zu: del/ins rows", i);
		free(html);
	}
}

/* A text of n lines "line i", with line k replaced by repl if k < n. */
static char *
lines(size_t n, size_t k, const char *repl)
{
	struct buf b;
	size_t i;

	buf_init(&b, 0);
	for (i = 0; i < n; i++) {
		if (i == k)
			buf_printf(&b, "%s\n", repl);
		else
			buf_printf(&b, "line %zu\n", i);
	}
	if (b.data == NULL)
		return strdup("");
	return b.data;
}

static void
test_diff_fold(void)
{
	char *a, *b, *html;
	int rc;

	a = lines(100, 100, NULL);
	b = lines(100, 50, "changed");
	rc = run(a, b, &html);
	CHECK(rc == 2, "one change: %d", rc);
	CHECK(count_of(html, "<tr class=\"fold\"><td colspan=\"3\">") == 2,
	    "folds: %zu", count_of(html, "class=\"fold\""));
	CHECK(strstr(html, "\xe2\x80\xa6 47 unchanged lines \xe2\x80\xa6") !=
		NULL,
	    "fold of 47 lines");
	CHECK(count_of(html, "<tr") < 20, "%zu rows", count_of(html, "<tr"));
	/* Three lines of context either side, with their numbers. */
	CHECK(strstr(html,
		  "<td class=\"n\">48</td><td class=\"n\">48</td>"
		  "<td>line 47</td>") != NULL,
	    "context before");
	CHECK(strstr(html,
		  "<td class=\"n\">54</td><td class=\"n\">54</td>"
		  "<td>line 53</td>") != NULL,
	    "context after");
	CHECK(strstr(html, "line 46<") == NULL, "line 46 not folded");
	CHECK(strstr(html, "<del>line 50</del>") != NULL &&
		strstr(html, "<ins>changed</ins>") != NULL,
	    "the change");
	free(html);

	/* Identical: one fold, no rows of lines. */
	rc = run(a, a, &html);
	CHECK(rc == 0 && count_of(html, "class=\"fold\"") == 1 &&
		strstr(html, "100 unchanged lines") != NULL &&
		count_of(html, "class=\"same\"") == 0,
	    "identical 100 lines: %d\n%s", rc, html);
	free(html);
	free(b);

	/* Seven unchanged lines between two changes: one folded. */
	b = lines(100, 100, NULL);
	memcpy(strstr(b, "line 5\n"), "LINE", 4);
	memcpy(strstr(b, "line 13\n"), "LINE", 4);
	rc = run(a, b, &html);
	CHECK(rc == 4, "two changes: %d", rc);
	CHECK(
	    strstr(html, "\xe2\x80\xa6 1 unchanged line \xe2\x80\xa6") != NULL,
	    "fold of 1 line:\n%s", html);
	free(html);
	free(b);

	/* Six unchanged lines between two changes: none folded. */
	b = lines(14, 14, NULL);
	free(a);
	a = lines(14, 14, NULL);
	a[0] = 'X';
	memcpy(strstr(a, "line 7\n"), "LINE", 4);
	rc = run(a, b, &html);
	CHECK(rc == 4 && strstr(html, "class=\"fold\"") == NULL &&
		strstr(html, "<td>line 1</td>") != NULL &&
		strstr(html, "<td>line 6</td>") != NULL,
	    "6 lines between changes folded: %d\n%s", rc, html);
	free(html);
	free(a);
	free(b);
}

static void
test_diff_big(void)
{
	struct buf a, b, c, out;
	clock_t t0;
	double secs;
	size_t i;
	int rc;

	/* DIFF_MAX_LINES lines, every one different: the search gives up
	 * and the whole block is replaced. */
	buf_init(&a, 0);
	buf_init(&b, 0);
	for (i = 0; i < DIFF_MAX_LINES; i++) {
		buf_printf(&a, "old %zu\n", i);
		buf_printf(&b, "new %zu\n", i);
	}
	buf_init(&out, 0);
	t0 = clock();
	rc = diff_html(&out, a.data, a.len, b.data, b.len);
	secs = (double)(clock() - t0) / CLOCKS_PER_SEC;
	CHECK(rc == 2 * DIFF_MAX_LINES, "all different: %d", rc);
	CHECK(secs < 1.0, "all different took %.2f s", secs);
	CHECK(out.data != NULL && count_of(out.data, "<del>") == DIFF_MAX_LINES,
	    "del rows");
	free(out.data);

	/* A change every 100 lines (D = 400), then the first line dropped. */
	buf_init(&c, 0);
	for (i = 0; i < DIFF_MAX_LINES; i++)
		buf_printf(&c, i % 100 == 0 ? "changed %zu\n" : "old %zu\n", i);
	buf_init(&out, 0);
	t0 = clock();
	rc = diff_html(&out, a.data, a.len, c.data, c.len);
	secs = (double)(clock() - t0) / CLOCKS_PER_SEC;
	CHECK(rc == 2 * DIFF_MAX_LINES / 100, "a change every 100: %d", rc);
	CHECK(secs < 1.0, "a change every 100 took %.2f s", secs);
	CHECK(out.data != NULL &&
		count_of(out.data, "class=\"fold\"") == DIFF_MAX_LINES / 100,
	    "folds");
	free(out.data);
	free(c.data);
	buf_init(&out, 0);
	rc = diff_html(&out, a.data, a.len, a.data + 6, a.len - 6);
	CHECK(rc == 1, "first line dropped: %d", rc);
	free(out.data);

	/* Past DIFF_MAX_LINES: a whole block, even when nearly the same. */
	buf_puts(&b, "one more\n");
	buf_init(&out, 0);
	rc = diff_html(&out, b.data, b.len - 9, b.data, b.len);
	CHECK(rc == 2 * DIFF_MAX_LINES + 1, "past the limit: %d", rc);
	free(out.data);

	/* A capped buffer overflows: -1. */
	buf_init(&out, 1000);
	rc = diff_html(&out, a.data, a.len, b.data, b.len);
	CHECK(rc == -1 && out.err, "overflow: %d", rc);
	free(out.data);
	free(a.data);
	free(b.data);
}

/* The length of a longest common subsequence of x[0..n) and y[0..m). */
static size_t
lcs(const char *x, size_t n, const char *y, size_t m)
{
	size_t t[17][17], i, j;

	for (i = 0; i <= n; i++)
		for (j = 0; j <= m; j++) {
			if (i == 0 || j == 0)
				t[i][j] = 0;
			else if (x[i - 1] == y[j - 1])
				t[i][j] = t[i - 1][j - 1] + 1;
			else
				t[i][j] = t[i - 1][j] > t[i][j - 1]
				    ? t[i - 1][j]
				    : t[i][j - 1];
		}
	return t[n][m];
}

static void
test_diff_random(void)
{
	char x[17], y[17], ta[64], tb[64], *html;
	size_t n, m, i, k, bad = 0;
	unsigned int seed = 12345;
	int rc;

	/* Lines of one letter from "abc": many ties and repeats. */
	for (k = 0; k < 2000; k++) {
		seed = seed * 1103515245u + 12345u;
		n = (seed >> 16) % 17;
		seed = seed * 1103515245u + 12345u;
		m = (seed >> 16) % 17;
		for (i = 0; i < n; i++) {
			seed = seed * 1103515245u + 12345u;
			x[i] = (char)('a' + (seed >> 16) % 3);
			ta[2 * i] = x[i];
			ta[2 * i + 1] = '\n';
		}
		for (i = 0; i < m; i++) {
			seed = seed * 1103515245u + 12345u;
			y[i] = (char)('a' + (seed >> 16) % 3);
			tb[2 * i] = y[i];
			tb[2 * i + 1] = '\n';
		}
		ta[2 * n] = tb[2 * m] = '\0';
		rc = run(ta, tb, &html);
		if (rc != (int)(n + m - 2 * lcs(x, n, y, m)) ||
		    count_of(html, "<del>") + count_of(html, "<ins>") !=
			(size_t)rc)
			bad++;
		free(html);
	}
	CHECK(bad == 0, "%zu random diffs not shortest", bad);
}

void
test_diff(void)
{
	test_diff_table();
	test_diff_fold();
	test_diff_big();
	test_diff_random();
}
