/* diff.c: line differences between two texts (Myers' O(ND) algorithm,
 * linear space), rendered as an HTML table. */
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "extern.h"

/* Past this many edits (D) the texts compare as a whole block replaced:
 * the search costs O((N+M)D) time and O(D) memory, and a longer script
 * is no help to a reader anyway. */
#define DIFF_D_MAX 2000
#define DIFF_CONTEXT 3 /* unchanged lines kept around a change */

/* One line: where it starts in its text, its length (no "\n" or "\r\n")
 * and a hash to compare quickly. */
struct diff_line {
	const char *s;
	size_t len;
	uint64_t h;
};

/* A run of n lines with the same op; the edit script is a list of runs. */
struct diff_run {
	enum diff_op op;
	size_t n;
};

struct diff_ctx {
	const struct diff_line *a, *b;
	struct diff_run *runs; /* the script so far (malloc'd) */
	size_t nruns, runcap;
	int *v; /* scratch of the bisection: 2 * vlen ints */
	size_t vlen;
	int err; /* out of memory */
};

/* Reads the line at *pos of s (len bytes) into *line and *n, moving *pos
 * past its end ("\n" or "\r\n"). Returns 0, or -1 at the end of s. The
 * text after the last "\n" is a line only when not empty. */
static int
diff_next(const char *s, size_t len, size_t *pos, const char **line, size_t *n)
{
	const char *nl;
	size_t start = *pos, end;

	if (start >= len)
		return -1;
	if ((nl = memchr(s + start, '\n', len - start)) != NULL) {
		end = (size_t)(nl - s);
		*pos = end + 1;
	} else
		end = *pos = len;
	if (end > start && s[end - 1] == '\r')
		end--;
	*line = s + start;
	*n = end - start;
	return 0;
}

/* The number of lines of s (len bytes). */
static size_t
diff_count(const char *s, size_t len)
{
	const char *line;
	size_t pos = 0, n, count = 0;

	while (diff_next(s, len, &pos, &line, &n) == 0)
		count++;
	return count;
}

/* Splits s into count lines (count from diff_count); malloc'd array the
 * caller frees, or NULL (also when count is 0). */
static struct diff_line *
diff_split(const char *s, size_t len, size_t count)
{
	struct diff_line *l;
	size_t pos = 0, i, j;
	uint64_t h;

	if (count == 0 || (l = calloc(count, sizeof(*l))) == NULL)
		return NULL;
	for (i = 0; i < count; i++) {
		diff_next(s, len, &pos, &l[i].s, &l[i].len);
		/* FNV-1a, 64 bits: equal hashes are still compared bytewise. */
		h = 0xcbf29ce484222325ULL;
		for (j = 0; j < l[i].len; j++) {
			h ^= (unsigned char)l[i].s[j];
			h *= 0x100000001b3ULL;
		}
		l[i].h = h;
	}
	return l;
}

static int
diff_eq(const struct diff_line *x, const struct diff_line *y)
{
	return x->h == y->h && x->len == y->len &&
	    memcmp(x->s, y->s, x->len) == 0;
}

/* Appends n lines of op to the script, merging with the last run. Within
 * a change deletions go before additions (they touch different texts, so
 * their order is free): a reader sees the old lines, then the new. */
static void
diff_emit(struct diff_ctx *c, enum diff_op op, size_t n)
{
	struct diff_run *p;
	size_t ncap;
	int before = 0;

	if (n == 0 || c->err)
		return;
	if (c->nruns > 0 && c->runs[c->nruns - 1].op == op) {
		c->runs[c->nruns - 1].n += n;
		return;
	}
	if (op == DIFF_DEL && c->nruns > 0 &&
	    c->runs[c->nruns - 1].op == DIFF_ADD) {
		if (c->nruns > 1 && c->runs[c->nruns - 2].op == DIFF_DEL) {
			c->runs[c->nruns - 2].n += n;
			return;
		}
		before = 1;
	}
	if (c->nruns == c->runcap) {
		ncap = c->runcap ? c->runcap * 2 : 64;
		if ((p = realloc(c->runs, ncap * sizeof(*p))) == NULL) {
			c->err = 1;
			return;
		}
		c->runs = p;
		c->runcap = ncap;
	}
	if (before) {
		c->runs[c->nruns] = c->runs[c->nruns - 1];
		c->runs[c->nruns - 1].op = op;
		c->runs[c->nruns - 1].n = n;
	} else {
		c->runs[c->nruns].op = op;
		c->runs[c->nruns].n = n;
	}
	c->nruns++;
}

/*
 * Finds where a shortest edit script from a[a0..a1) to b[b0..b1) crosses
 * its middle (Myers' bisection, searching from both ends at once) and
 * stores that point in *xp, *yp (relative to a0, b0). The ends must differ
 * (common prefix and suffix trimmed) and neither range be empty. Returns
 * 0, or -1 when D would pass DIFF_D_MAX.
 */
static int
diff_bisect(struct diff_ctx *c, size_t a0, size_t a1, size_t b0, size_t b1,
    size_t *xp, size_t *yp)
{
	const struct diff_line *a = c->a + a0, *b = c->b + b0;
	long n = (long)(a1 - a0), m = (long)(b1 - b0), delta = n - m;
	long maxd = (n + m + 1) / 2, off, d, k1, k2, x1, y1, x2, y2, ko;
	long k1start = 0, k1end = 0, k2start = 0, k2end = 0;
	int *v1, *v2, front = (delta & 1) != 0;
	size_t i;

	if (maxd > DIFF_D_MAX / 2 + 1)
		maxd = DIFF_D_MAX / 2 + 1;
	off = maxd;
	v1 = c->v;
	v2 = c->v + c->vlen;
	for (i = 0; i < (size_t)(2 * maxd + 2); i++)
		v1[i] = v2[i] = -1;
	v1[off + 1] = v2[off + 1] = 0;
	for (d = 0; d < maxd; d++) {
		/* Forward: the furthest reaching path on each diagonal k1. */
		for (k1 = -d + k1start; k1 <= d - k1end; k1 += 2) {
			ko = off + k1;
			if (k1 == -d || (k1 != d && v1[ko - 1] < v1[ko + 1]))
				x1 = v1[ko + 1];
			else
				x1 = v1[ko - 1] + 1;
			y1 = x1 - k1;
			while (x1 < n && y1 < m && diff_eq(&a[x1], &b[y1])) {
				x1++;
				y1++;
			}
			v1[ko] = (int)x1;
			if (x1 > n)
				k1end += 2; /* ran off the right */
			else if (y1 > m)
				k1start += 2; /* ran off the bottom */
			else if (front) {
				ko = off + delta - k1;
				if (ko >= 0 && ko < 2 * maxd + 2 &&
				    v2[ko] != -1 && x1 >= n - v2[ko]) {
					*xp = (size_t)x1;
					*yp = (size_t)y1;
					return 0;
				}
			}
		}
		/* Backward, from the ends of both ranges. */
		for (k2 = -d + k2start; k2 <= d - k2end; k2 += 2) {
			ko = off + k2;
			if (k2 == -d || (k2 != d && v2[ko - 1] < v2[ko + 1]))
				x2 = v2[ko + 1];
			else
				x2 = v2[ko - 1] + 1;
			y2 = x2 - k2;
			while (x2 < n && y2 < m &&
			    diff_eq(&a[n - x2 - 1], &b[m - y2 - 1])) {
				x2++;
				y2++;
			}
			v2[ko] = (int)x2;
			if (x2 > n)
				k2end += 2;
			else if (y2 > m)
				k2start += 2;
			else if (!front) {
				ko = off + delta - k2;
				if (ko >= 0 && ko < 2 * maxd + 2 &&
				    v1[ko] != -1) {
					x1 = v1[ko];
					y1 = x1 - (ko - off);
					if (x1 >= n - x2) {
						*xp = (size_t)x1;
						*yp = (size_t)y1;
						return 0;
					}
				}
			}
		}
	}
	return -1;
}

/* Appends to the script the edits from a[a0..a1) to b[b0..b1); a range
 * too different (D past DIFF_D_MAX) comes out as deleted and re-added. */
static void
diff_range(struct diff_ctx *c, size_t a0, size_t a1, size_t b0, size_t b1)
{
	size_t pre = 0, suf = 0, x, y;

	while (a0 + pre < a1 && b0 + pre < b1 &&
	    diff_eq(&c->a[a0 + pre], &c->b[b0 + pre]))
		pre++;
	diff_emit(c, DIFF_SAME, pre);
	a0 += pre;
	b0 += pre;
	while (a1 - suf > a0 && b1 - suf > b0 &&
	    diff_eq(&c->a[a1 - suf - 1], &c->b[b1 - suf - 1]))
		suf++;
	a1 -= suf;
	b1 -= suf;
	if (a0 == a1 || b0 == b1 ||
	    diff_bisect(c, a0, a1, b0, b1, &x, &y) == -1) {
		diff_emit(c, DIFF_DEL, a1 - a0);
		diff_emit(c, DIFF_ADD, b1 - b0);
	} else {
		/* Each half is strictly smaller: the split is inside. */
		diff_range(c, a0, a0 + x, b0, b0 + y);
		diff_range(c, a0 + x, a1, b0 + y, b1);
	}
	diff_emit(c, DIFF_SAME, suf);
}

/* Appends one table row of line s (n bytes) with op; old and new are the
 * line numbers (0: none). */
static void
diff_row(struct buf *out, enum diff_op op, size_t old, size_t new,
    const char *s, size_t n)
{
	static const char *const cls[DIFF_OP__MAX] = {"same", "del", "add"};

	buf_printf(out, "<tr class=\"%s\"><td class=\"n\">", cls[op]);
	if (old)
		buf_printf(out, "%zu", old);
	buf_puts(out, "</td><td class=\"n\">");
	if (new)
		buf_printf(out, "%zu", new);
	buf_puts(out, "</td><td>");
	if (op == DIFF_DEL)
		buf_puts(out, "<del>");
	else if (op == DIFF_ADD)
		buf_puts(out, "<ins>");
	html_text(out, s, n);
	if (op == DIFF_DEL)
		buf_puts(out, "</del>");
	else if (op == DIFF_ADD)
		buf_puts(out, "</ins>");
	buf_puts(out, "</td></tr>\n");
}

/* Renders the script runs[0..nruns) over texts a and b, folding long
 * unchanged runs. Returns the number of deleted and added lines. */
static size_t
diff_render(struct buf *out, const struct diff_run *runs, size_t nruns,
    const char *a, size_t alen, const char *b, size_t blen)
{
	size_t apos = 0, bpos = 0, ano = 0, bno = 0, changed = 0, i, j;
	size_t head, tail, n, ln;
	const char *line;

	buf_puts(out,
	    "<table class=\"diff\">\n<thead><tr>"
	    "<th scope=\"col\">Old</th><th scope=\"col\">New</th>"
	    "<th scope=\"col\">Line</th></tr></thead>\n<tbody>\n");
	for (i = 0; i < nruns && !out->err; i++) {
		n = runs[i].n;
		if (runs[i].op == DIFF_DEL) {
			for (j = 0; j < n; j++) {
				diff_next(a, alen, &apos, &line, &ln);
				diff_row(out, DIFF_DEL, ++ano, 0, line, ln);
			}
			changed += n;
			continue;
		}
		if (runs[i].op == DIFF_ADD) {
			for (j = 0; j < n; j++) {
				diff_next(b, blen, &bpos, &line, &ln);
				diff_row(out, DIFF_ADD, 0, ++bno, line, ln);
			}
			changed += n;
			continue;
		}
		/* Unchanged: keep context after the change before it and
		 * before the change after it, fold the middle. */
		head = i > 0 ? DIFF_CONTEXT : 0;
		tail = i + 1 < nruns ? DIFF_CONTEXT : 0;
		if (n <= 2 * DIFF_CONTEXT || n <= head + tail) {
			head = n;
			tail = 0;
		}
		for (j = 0; j < n; j++) {
			diff_next(a, alen, &apos, &line, &ln);
			diff_next(b, blen, &bpos, &line, &ln);
			ano++;
			bno++;
			if (j < head || j >= n - tail)
				diff_row(out, DIFF_SAME, ano, bno, line, ln);
			else if (j == head)
				buf_printf(out,
				    "<tr class=\"fold\"><td colspan=\"3\">"
				    "\xe2\x80\xa6 %zu unchanged line%s "
				    "\xe2\x80\xa6</td></tr>\n",
				    n - head - tail,
				    n - head - tail == 1 ? "" : "s");
		}
	}
	buf_puts(out, "</tbody>\n</table>\n");
	return changed;
}

int
diff_html(
    struct buf *out, const char *a, size_t alen, const char *b, size_t blen)
{
	struct diff_ctx c;
	struct diff_run whole[2];
	struct diff_line *la = NULL, *lb = NULL;
	size_t na, nb, changed, nwhole = 0;
	int rc = -1;

	memset(&c, 0, sizeof(c));
	if (a == NULL)
		alen = 0;
	if (b == NULL)
		blen = 0;
	na = diff_count(a, alen);
	nb = diff_count(b, blen);
	if (na <= DIFF_MAX_LINES && nb <= DIFF_MAX_LINES) {
		la = diff_split(a, alen, na);
		lb = diff_split(b, blen, nb);
		c.vlen = 2 * (DIFF_D_MAX / 2 + 1) + 2;
		c.v = malloc(2 * c.vlen * sizeof(*c.v));
		if ((na && la == NULL) || (nb && lb == NULL) || c.v == NULL)
			c.err = 1;
		else {
			c.a = la;
			c.b = lb;
			diff_range(&c, 0, na, 0, nb);
		}
	}
	if (na > DIFF_MAX_LINES || nb > DIFF_MAX_LINES || c.err) {
		/* Too long (or no memory for the search): all replaced. */
		if (na)
			whole[nwhole++] = (struct diff_run){DIFF_DEL, na};
		if (nb)
			whole[nwhole++] = (struct diff_run){DIFF_ADD, nb};
		changed = diff_render(out, whole, nwhole, a, alen, b, blen);
	} else
		changed = diff_render(out, c.runs, c.nruns, a, alen, b, blen);
	if (!out->err)
		rc = changed > INT_MAX ? INT_MAX : (int)changed;
	free(c.runs);
	free(c.v);
	free(la);
	free(lb);
	return rc;
}
