/* fm.c: front matter, a strict subset of YAML, at the top of content files. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "extern.h"

/*
 * What is parsed: a block mapping at column 0 whose values are scalars
 * (plain, 'single' or "double" quoted, | literal or > folded blocks), flow
 * lists [a, "b"] and indented block lists or mappings, nested at most
 * FM_MAXDEPTH deep.  Anything outside the subset (anchors, tags, flow maps,
 * "a: b: c") is rejected rather than guessed at, so that a file accepted
 * here means the same to a YAML 1.2 parser (with every scalar a string).
 *
 * The front matter is first cut into lines (struct fm_line); the parser
 * then walks them with one recursive function per kind of node.  Every
 * node function leaves p->i at the first line it did not use.
 */

#define FM_MAXLINES 10000
#define FM_MAXBYTES ((size_t)1 << 20)
#define FM_MAXDEPTH 8
#define FM_FIRSTLINE 2 /* file line number of lines[0], after "---" */

struct fm_line {
	const char *s; /* points into the source */
	size_t len;    /* without the line break and a CR before it */
	size_t indent; /* leading spaces */
	int blank;     /* nothing but spaces and tabs */
	int comment;   /* the first other character is '#' */
};

struct fm_parser {
	struct arena *a;
	const struct fm_line *lines;
	size_t n;      /* number of lines */
	size_t i;      /* the next line to parse */
	struct buf sb; /* the scalar being decoded */
	char *err;
	size_t errlen;
};

static int fm_value(struct fm_parser *, size_t, size_t, int, int,
    struct val **);

static void fm_verr(char *, size_t, size_t, const char *, va_list)
    __attribute__((format(printf, 4, 0)));
static void fm_errline(char *, size_t, size_t, const char *, ...)
    __attribute__((format(printf, 4, 5)));
static int fm_err(struct fm_parser *, size_t, const char *, ...)
    __attribute__((format(printf, 3, 4)));

/* Writes "line N: message" into err (when there is room for it). */
static void
fm_verr(char *err, size_t errlen, size_t lineno, const char *fmt,
    va_list ap)
{
	int n;

	if (err == NULL || errlen == 0)
		return;
	n = snprintf(err, errlen, "line %zu: ", lineno);
	if (n < 0 || (size_t)n >= errlen)
		return;
	vsnprintf(err + n, errlen - (size_t)n, fmt, ap);
}

static void
fm_errline(char *err, size_t errlen, size_t lineno, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fm_verr(err, errlen, lineno, fmt, ap);
	va_end(ap);
}

/* Reports an error on front matter line idx (0-based); returns -1. */
static int
fm_err(struct fm_parser *p, size_t idx, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fm_verr(p->err, p->errlen, idx + FM_FIRSTLINE, fmt, ap);
	va_end(ap);
	return -1;
}

static int
fm_isws(char c)
{
	return c == ' ' || c == '\t';
}

/* 1 when s[c] starts a comment: '#' at a line start or after a blank. */
static int
fm_iscomment(const char *s, size_t c)
{
	return s[c] == '#' && (c == 0 || fm_isws(s[c - 1]));
}

/* 1 when l has a "- " list item indicator at column c. */
static int
fm_isitemat(const struct fm_line *l, size_t c)
{
	return c < l->len && l->s[c] == '-' &&
	    (c + 1 == l->len || fm_isws(l->s[c + 1]));
}

static int
fm_isitem(const struct fm_line *l)
{
	return fm_isitemat(l, l->indent);
}

/* Appends c n times. */
static void
fm_putn(struct buf *b, char c, size_t n)
{
	while (n-- > 0)
		buf_append(b, &c, 1);
}

/* Drops the end of b after len bytes. */
static void
fm_truncate(struct buf *b, size_t len)
{
	if (len < b->len) {
		b->len = len;
		b->data[len] = '\0';
	}
}

/*
 * Skips empty and comment lines; *lp is the next line with content, or
 * NULL at the end.  Returns -1 when that line is indented with a tab.
 */
static int
fm_peek(struct fm_parser *p, const struct fm_line **lp)
{
	const struct fm_line *l;

	while (p->i < p->n && (p->lines[p->i].blank || p->lines[p->i].comment))
		p->i++;
	if (p->i == p->n) {
		*lp = NULL;
		return 0;
	}
	l = &p->lines[p->i];
	if (l->s[l->indent] == '\t')
		return fm_err(p, p->i, "tab used for indentation");
	*lp = l;
	return 0;
}

/* Reads n hex digits at s[*c] (line end at len) into *cp. */
static int
fm_hex(const char *s, size_t len, size_t *c, int n, unsigned long *cp)
{
	unsigned long v = 0;
	int d, k;

	for (k = 0; k < n; k++) {
		if (*c >= len)
			return -1;
		d = s[*c];
		if (d >= '0' && d <= '9')
			d -= '0';
		else if (d >= 'a' && d <= 'f')
			d -= 'a' - 10;
		else if (d >= 'A' && d <= 'F')
			d -= 'A' - 10;
		else
			return -1;
		v = v << 4 | (unsigned long)d;
		(*c)++;
	}
	*cp = v;
	return 0;
}

/*
 * Decodes the escape at l->s[*c] (a backslash, not at the line end) into
 * p->sb and moves *c past it.  li is the line's index, for messages.
 */
static int
fm_escape(struct fm_parser *p, const struct fm_line *l, size_t li, size_t *c)
{
	unsigned long cp, lo;
	char e = l->s[*c + 1];
	size_t at;

	*c += 2;
	switch (e) {
	case 'a':
		cp = 0x07;
		break;
	case 'b':
		cp = 0x08;
		break;
	case 't':
	case '\t':
		cp = 0x09;
		break;
	case 'n':
		cp = 0x0a;
		break;
	case 'v':
		cp = 0x0b;
		break;
	case 'f':
		cp = 0x0c;
		break;
	case 'r':
		cp = 0x0d;
		break;
	case 'e':
		cp = 0x1b;
		break;
	case ' ':
	case '"':
	case '/':
	case '\\':
		cp = (unsigned char)e;
		break;
	case 'N':
		cp = 0x85;
		break;
	case '_':
		cp = 0xa0;
		break;
	case 'L':
		cp = 0x2028;
		break;
	case 'P':
		cp = 0x2029;
		break;
	case 'x':
	case 'u':
	case 'U':
		if (fm_hex(l->s, l->len, c, e == 'x' ? 2 : e == 'u' ? 4 : 8,
		    &cp) == -1)
			return fm_err(p, li, "bad escape \\%c: too few hex "
			    "digits", e);
		if (cp >= 0xd800 && cp <= 0xdbff && e == 'u') {
			/* A UTF-16 surrogate pair, as in JSON. */
			at = *c + 2;
			if (*c + 1 < l->len && l->s[*c] == '\\' &&
			    l->s[*c + 1] == 'u' &&
			    fm_hex(l->s, l->len, &at, 4, &lo) == 0 &&
			    lo >= 0xdc00 && lo <= 0xdfff) {
				cp = 0x10000 + ((cp - 0xd800) << 10) +
				    (lo - 0xdc00);
				*c = at;
			}
		}
		if (cp >= 0xd800 && cp <= 0xdfff)
			return fm_err(p, li, "bad escape: lone UTF-16 "
			    "surrogate");
		if (cp > 0x10ffff)
			return fm_err(p, li, "bad escape: no such code point");
		break;
	case '0':
		cp = 0;
		break;
	default:
		if ((unsigned char)e < 0x20 || (unsigned char)e >= 0x7f)
			return fm_err(p, li, "unknown escape sequence");
		return fm_err(p, li, "unknown escape \\%c", e);
	}
	if (cp == 0)
		return fm_err(p, li, "NUL characters are not allowed");
	buf_utf8(&p->sb, cp);
	return 0;
}

/*
 * Decodes the quoted scalar at lines[*li].s[*col] (' or ") into p->sb,
 * folding line breaks as YAML does: a break becomes a space, each empty
 * line a newline.  Continuation lines need owner spaces of indentation.
 * Leaves *li and *col just after the closing quote.
 */
static int
fm_quoted(struct fm_parser *p, size_t *li, size_t *col, size_t owner)
{
	const struct fm_line *l = &p->lines[*li];
	size_t start = *li, c = *col + 1, mark, nbreaks;
	const char *what;
	char q = l->s[*col], ch;
	int escbreak = 0;

	what = q == '"' ? "double" : "single";
	buf_reset(&p->sb);
	mark = 0; /* sb length without blanks that end the current line */
	for (;;) {
		if (c >= l->len) {
			if (!escbreak)
				fm_truncate(&p->sb, mark);
			nbreaks = 0;
			for (;;) {
				if (++*li >= p->n)
					return fm_err(p, start, "unterminated "
					    "%s-quoted string", what);
				l = &p->lines[*li];
				if (!l->blank)
					break;
				nbreaks++;
			}
			if (l->indent < owner)
				return fm_err(p, *li, "bad indentation in the "
				    "quoted string of line %zu",
				    start + FM_FIRSTLINE);
			if (nbreaks > 0)
				fm_putn(&p->sb, '\n', nbreaks);
			else if (!escbreak)
				buf_putc(&p->sb, ' ');
			escbreak = 0;
			for (c = 0; c < l->len && fm_isws(l->s[c]); c++)
				continue;
			mark = p->sb.len;
			continue;
		}
		ch = l->s[c];
		if (ch == q) {
			if (q == '\'' && c + 1 < l->len && l->s[c + 1] == '\'') {
				buf_putc(&p->sb, '\'');
				mark = p->sb.len;
				c += 2;
				continue;
			}
			c++;
			break;
		}
		if (q == '"' && ch == '\\') {
			if (c + 1 == l->len) {
				/* An escaped line break joins the lines. */
				escbreak = 1;
				mark = p->sb.len;
				c++;
				continue;
			}
			if (fm_escape(p, l, *li, &c) == -1)
				return -1;
			mark = p->sb.len;
			continue;
		}
		buf_putc(&p->sb, ch);
		if (!fm_isws(ch))
			mark = p->sb.len;
		c++;
	}
	if (p->sb.err)
		return fm_err(p, start, "string too long");
	*col = c;
	return 0;
}

/*
 * After a quoted scalar or flow list that ended at lines[li].s[c], allows
 * only blanks and a comment, then moves p->i to the next line.
 */
static int
fm_rest(struct fm_parser *p, size_t li, size_t c, const char *after)
{
	const struct fm_line *l = &p->lines[li];

	while (c < l->len && fm_isws(l->s[c]))
		c++;
	if (c < l->len && !fm_iscomment(l->s, c))
		return fm_err(p, li, "unexpected text after %s", after);
	p->i = li + 1;
	return 0;
}

/*
 * Reads a key at column c of the current line: a plain or quoted scalar
 * followed by ':' and a blank or the line end.  Returns 1 with the key
 * (in the arena) and the column after the ':'; 0 when the line holds no
 * key there; -1 on an error.
 */
static int
fm_key(struct fm_parser *p, size_t c, const char **keyp, size_t *afterp)
{
	const struct fm_line *l = &p->lines[p->i];
	const char *s = l->s;
	size_t j, k, end, li;
	char q;

	if (c >= l->len)
		return 0;
	if (s[c] == '"' || s[c] == '\'') {
		/* A quoted key closes on its line and is followed by ':'. */
		q = s[c];
		for (j = c + 1; j < l->len; j++) {
			if (q == '"' && s[j] == '\\')
				j++;
			else if (q == '\'' && s[j] == '\'' && j + 1 < l->len &&
			    s[j + 1] == '\'')
				j++;
			else if (s[j] == q)
				break;
		}
		if (j >= l->len)
			return 0;
		for (k = j + 1; k < l->len && fm_isws(s[k]); k++)
			continue;
		if (k == l->len || s[k] != ':' ||
		    (k + 1 < l->len && !fm_isws(s[k + 1])))
			return 0;
		li = p->i;
		end = c;
		if (fm_quoted(p, &li, &end, 0) == -1)
			return -1;
		if (p->sb.len == 0)
			return fm_err(p, p->i, "empty key");
		*keyp = arena_strndup(p->a, p->sb.data, p->sb.len);
		*afterp = k + 1;
		return 1;
	}
	if (strchr("[]{},#&*!|>%@`", s[c]) != NULL)
		return 0;
	if ((s[c] == '-' || s[c] == '?') &&
	    (c + 1 == l->len || fm_isws(s[c + 1])))
		return 0;
	for (j = c; j < l->len; j++) {
		if (fm_iscomment(s, j))
			return 0;
		if (s[j] == ':' && (j + 1 == l->len || fm_isws(s[j + 1])))
			break;
	}
	if (j == l->len)
		return 0;
	for (end = j; end > c && fm_isws(s[end - 1]); end--)
		continue;
	if (end == c)
		return fm_err(p, p->i, "empty key");
	*keyp = arena_strndup(p->a, s + c, end - c);
	*afterp = j + 1;
	return 1;
}

/*
 * Appends the plain text of line l from column c to the line end or a
 * comment, trimmed.  Returns 1 when it reached the line end, 0 at a
 * comment, -1 when the text holds ': ' (cont: on a continuation line).
 */
static int
fm_plainseg(struct fm_parser *p, size_t li, size_t c, int cont)
{
	const struct fm_line *l = &p->lines[li];
	const char *s = l->s;
	size_t j, end;

	for (j = c; j < l->len && !fm_iscomment(s, j); j++)
		if (s[j] == ':' && (j + 1 == l->len || fm_isws(s[j + 1])))
			return cont ? fm_err(p, li, "bad indentation") :
			    fm_err(p, li, "a plain value cannot contain "
			    "': '; quote the value");
	for (end = j; end > c && fm_isws(s[end - 1]); end--)
		continue;
	buf_append(&p->sb, s + c, end - c);
	return j == l->len;
}

/*
 * A plain scalar from column c of the current line, continued on the
 * following lines indented deeper than owner (folded with spaces).
 */
static int
fm_plain(struct fm_parser *p, size_t c, size_t owner, struct val **vp)
{
	const struct fm_line *l;
	size_t j, nblank, start = p->i;
	int more;

	buf_reset(&p->sb);
	if ((more = fm_plainseg(p, p->i, c, 0)) == -1)
		return -1;
	p->i++;
	while (more) {
		for (nblank = 0, j = p->i; j < p->n && p->lines[j].blank; j++)
			nblank++;
		if (j == p->n)
			break;
		l = &p->lines[j];
		if (l->comment || l->indent <= owner)
			break;
		if (nblank > 0)
			fm_putn(&p->sb, '\n', nblank);
		else
			buf_putc(&p->sb, ' ');
		for (c = l->indent; c < l->len && fm_isws(l->s[c]); c++)
			continue;
		if ((more = fm_plainseg(p, j, c, 1)) == -1)
			return -1;
		p->i = j + 1;
	}
	if (p->sb.err)
		return fm_err(p, start, "string too long");
	*vp = val_strn(p->a, p->sb.data, p->sb.len);
	return 0;
}

/*
 * A | literal or > folded block scalar whose header is at column c of the
 * current line; its lines are those indented deeper than owner.
 */
static int
fm_block(struct fm_parser *p, size_t c, size_t owner, struct val **vp)
{
	const struct fm_line *l = &p->lines[p->i];
	const char *s = l->s, *text;
	size_t j, k, bi = 0, tlen, nbreaks = 0, start = p->i;
	int folded = s[c] == '>', chomp = 0, chompset = 0, started = 0;
	int more, prevmore = 0;

	for (c++, k = 0; k < 2 && c < l->len; k++, c++) {
		if ((s[c] == '-' || s[c] == '+') && !chompset) {
			chomp = s[c] == '+' ? 1 : -1;
			chompset = 1;
		} else if (s[c] >= '1' && s[c] <= '9' && bi == 0)
			bi = owner + (size_t)(s[c] - '0');
		else
			break;
	}
	for (j = c; j < l->len && fm_isws(s[j]); j++)
		continue;
	if (j < l->len && (j == c || s[j] != '#'))
		return fm_err(p, p->i, "bad block scalar header");
	p->i++;
	if (bi == 0) {
		/* The first line with text sets the indentation; empty
		 * lines before it may not be indented deeper. */
		for (j = p->i; j < p->n && p->lines[j].blank; j++)
			if (p->lines[j].indent > bi)
				bi = p->lines[j].indent;
		if (j < p->n && p->lines[j].indent > owner) {
			if (bi > p->lines[j].indent)
				return fm_err(p, j, "bad indentation: an empty "
				    "line before it is indented deeper");
			bi = p->lines[j].indent;
		}
		if (bi <= owner)
			bi = owner + 1;
	}
	buf_reset(&p->sb);
	for (j = p->i; j < p->n; j++) {
		l = &p->lines[j];
		if (l->indent < bi || l->len <= bi) {
			if (!l->blank)
				break;
			nbreaks++;
			continue;
		}
		text = l->s + bi;
		tlen = l->len - bi;
		more = fm_isws(text[0]);
		if (!started)
			fm_putn(&p->sb, '\n', nbreaks);
		else if (folded && !more && !prevmore)
			fm_putn(&p->sb, nbreaks ? '\n' : ' ',
			    nbreaks ? nbreaks : 1);
		else
			fm_putn(&p->sb, '\n', nbreaks + 1);
		buf_append(&p->sb, text, tlen);
		nbreaks = 0;
		started = 1;
		prevmore = more;
	}
	p->i = j;
	if (started && chomp >= 0)
		buf_putc(&p->sb, '\n');
	if (chomp > 0)
		fm_putn(&p->sb, '\n', nbreaks);
	if (p->sb.err)
		return fm_err(p, start, "string too long");
	*vp = val_strn(p->a, p->sb.data ? p->sb.data : "", p->sb.len);
	return 0;
}

/*
 * Moves *li, *col over blanks, comments and line breaks inside a flow
 * list that started on line start, to the next character.
 */
static int
fm_flowskip(struct fm_parser *p, size_t *li, size_t *col, size_t start,
    size_t owner)
{
	const struct fm_line *l = &p->lines[*li];

	for (;;) {
		while (*col < l->len && fm_isws(l->s[*col]))
			(*col)++;
		if (*col < l->len && !fm_iscomment(l->s, *col))
			return 0;
		do {
			if (++*li >= p->n)
				return fm_err(p, start, "unterminated flow "
				    "list");
			l = &p->lines[*li];
		} while (l->blank || l->comment);
		if (l->indent < owner)
			return fm_err(p, *li, "bad indentation in the flow "
			    "list of line %zu", start + FM_FIRSTLINE);
		*col = 0;
	}
}

static int fm_flow(struct fm_parser *, size_t *, size_t *, size_t, int,
    struct val **);

/* One item of a flow list at lines[*li].s[*col]; moves past it. */
static int
fm_flowitem(struct fm_parser *p, size_t *li, size_t *col, size_t owner,
    int depth, struct val **vp)
{
	const struct fm_line *l = &p->lines[*li];
	const char *s = l->s;
	size_t j, c = *col, end;
	char ch = s[c];

	if (ch == '[')
		return fm_flow(p, li, col, owner, depth + 1, vp);
	if (ch == '"' || ch == '\'') {
		if (fm_quoted(p, li, col, owner) == -1)
			return -1;
		*vp = val_strn(p->a, p->sb.data ? p->sb.data : "", p->sb.len);
		return 0;
	}
	if (ch == '{')
		return fm_err(p, *li, "flow maps ({...}) are not supported");
	if (ch == '&' || ch == '*' || ch == '!')
		return fm_err(p, *li, "anchors, aliases and tags are not "
		    "supported");
	/* Unlike in block context, some YAML parsers take a '?' or ':'
	 * before any character as an indicator here. */
	if (strchr("}#|>%@`?:", ch) != NULL || (ch == '-' &&
	    (c + 1 == l->len || strchr(" \t,]", s[c + 1]) != NULL)))
		return fm_err(p, *li, "a plain value cannot start with '%c'; "
		    "quote it", ch);
	/* A plain item ends at ',', ']', a comment or the line end. */
	for (j = c; j < l->len && s[j] != ',' && s[j] != ']' &&
	    !fm_iscomment(s, j); j++) {
		if (s[j] == '[' || s[j] == '{' || s[j] == '}')
			return fm_err(p, *li, "unexpected '%c' in a flow "
			    "list; quote the value", s[j]);
		if (s[j] == ':' && (j + 1 == l->len ||
		    strchr(" \t,]", s[j + 1]) != NULL))
			return fm_err(p, *li, "flow maps are not supported; "
			    "quote values that contain ': '");
	}
	for (end = j; end > c && fm_isws(s[end - 1]); end--)
		continue;
	*vp = val_strn(p->a, s + c, end - c);
	*col = j;
	return 0;
}

/*
 * A flow list [a, "b", [c]] at lines[*li].s[*col], which may span lines;
 * leaves *li and *col after the ']'.  depth is the list's own depth.
 */
static int
fm_flow(struct fm_parser *p, size_t *li, size_t *col, size_t owner,
    int depth, struct val **vp)
{
	struct val *list, *v;
	size_t start = *li;
	char ch;

	if (depth > FM_MAXDEPTH)
		return fm_err(p, *li, "nesting deeper than %d levels",
		    FM_MAXDEPTH);
	list = val_list(p->a);
	(*col)++;
	for (;;) {
		if (fm_flowskip(p, li, col, start, owner) == -1)
			return -1;
		ch = p->lines[*li].s[*col];
		if (ch == ']')
			break;
		if (ch == ',')
			return fm_err(p, *li, "empty item in a flow list");
		if (fm_flowitem(p, li, col, owner, depth, &v) == -1)
			return -1;
		val_push(p->a, list, v);
		if (fm_flowskip(p, li, col, start, owner) == -1)
			return -1;
		ch = p->lines[*li].s[*col];
		if (ch == ']')
			break;
		if (ch != ',')
			return fm_err(p, *li, "expected ',' or ']' in a flow "
			    "list");
		(*col)++;
	}
	(*col)++;
	*vp = list;
	return 0;
}

static int fm_map(struct fm_parser *, size_t, int, struct val *);
static int fm_entry(struct fm_parser *, size_t, int, struct val *);
static int fm_list(struct fm_parser *, size_t, int, int, struct val *);

/*
 * The value of a key or list item with nothing after it on its line: a
 * block list or mapping on the following lines indented deeper than owner
 * (or, for a key, a list at owner itself), a scalar that starts on the
 * next line, else an empty string.
 */
static int
fm_nested(struct fm_parser *p, size_t owner, int depth, int inmap,
    struct val **vp)
{
	const struct fm_line *l;
	struct val *v;
	size_t at;
	int compact, r;

	if (fm_peek(p, &l) == -1)
		return -1;
	compact = l != NULL && inmap && l->indent == owner && fm_isitem(l);
	if (l == NULL || (l->indent <= owner && !compact)) {
		*vp = val_str(p->a, "");
		return 0;
	}
	at = p->i;
	if (fm_isitem(l)) {
		if (depth + 1 > FM_MAXDEPTH)
			return fm_err(p, at, "nesting deeper than %d levels",
			    FM_MAXDEPTH);
		v = val_list(p->a);
		if (fm_list(p, l->indent, depth + 1, compact, v) == -1)
			return -1;
	} else {
		v = val_obj(p->a);
		if ((r = fm_entry(p, l->indent, depth + 1, v)) == -1)
			return -1;
		if (r == 1)
			return fm_value(p, l->indent, owner, depth, 0, vp);
		if (depth + 1 > FM_MAXDEPTH)
			return fm_err(p, at, "nesting deeper than %d levels",
			    FM_MAXDEPTH);
		if (fm_map(p, l->indent, depth + 1, v) == -1)
			return -1;
	}
	*vp = v;
	return 0;
}

/*
 * The value that starts at column c of the current line, of a key
 * (inmap) or list item whose indicator is at column owner, in a container
 * at depth.
 */
static int
fm_value(struct fm_parser *p, size_t c, size_t owner, int depth, int inmap,
    struct val **vp)
{
	const struct fm_line *l = &p->lines[p->i];
	const char *s = l->s;
	size_t li, col;
	char ch;

	while (c < l->len && fm_isws(s[c]))
		c++;
	if (c == l->len || fm_iscomment(s, c)) {
		p->i++;
		return fm_nested(p, owner, depth, inmap, vp);
	}
	li = p->i;
	col = c;
	switch ((ch = s[c])) {
	case '|':
	case '>':
		return fm_block(p, c, owner, vp);
	case '[':
		if (fm_flow(p, &li, &col, owner, depth + 1, vp) == -1)
			return -1;
		return fm_rest(p, li, col, "']'");
	case '"':
	case '\'':
		if (fm_quoted(p, &li, &col, owner) == -1)
			return -1;
		*vp = val_strn(p->a, p->sb.data ? p->sb.data : "", p->sb.len);
		return fm_rest(p, li, col, "the closing quote");
	case '{':
		return fm_err(p, p->i, "flow maps ({...}) are not supported");
	case '&':
	case '*':
	case '!':
		return fm_err(p, p->i, "anchors, aliases and tags are not "
		    "supported");
	default:
		break;
	}
	if (ch == '-' && (c + 1 == l->len || fm_isws(s[c + 1])))
		return fm_err(p, p->i, "a block list must start on its own "
		    "line");
	if (strchr(",]}%@`", ch) != NULL || ((ch == '?' || ch == ':') &&
	    (c + 1 == l->len || fm_isws(s[c + 1]))))
		return fm_err(p, p->i, "a plain value cannot start with '%c'; "
		    "quote it", ch);
	return fm_plain(p, c, owner, vp);
}

/*
 * One "key: value" whose key is at column c of the current line, set on
 * obj (the last of duplicate keys wins).  Returns 1 and consumes nothing
 * when there is no key at c.
 */
static int
fm_entry(struct fm_parser *p, size_t c, int depth, struct val *obj)
{
	const char *key = NULL;
	struct val *v;
	size_t after = 0;
	int r;

	if ((r = fm_key(p, c, &key, &after)) != 1)
		return r == -1 ? -1 : 1;
	if (fm_value(p, after, c, depth, 1, &v) == -1)
		return -1;
	val_set(p->a, obj, key, v);
	return 0;
}

/* A block mapping whose keys are at column indent. */
static int
fm_map(struct fm_parser *p, size_t indent, int depth, struct val *obj)
{
	const struct fm_line *l;
	int r;

	for (;;) {
		if (fm_peek(p, &l) == -1)
			return -1;
		if (l == NULL || l->indent < indent)
			return 0;
		if (l->indent > indent)
			return fm_err(p, p->i, "bad indentation");
		if ((r = fm_entry(p, indent, depth, obj)) == -1)
			return -1;
		if (r == 1)
			return fm_err(p, p->i, fm_isitem(l) ?
			    "expected 'key: value', found a list item" :
			    "expected 'key: value'");
	}
}

/*
 * A block list whose "- " indicators are at column indent.  A compact
 * list (at the same column as its key) ends at the first line that is no
 * item; any other list requires items only.
 */
static int
fm_list(struct fm_parser *p, size_t indent, int depth, int compact,
    struct val *list)
{
	const struct fm_line *l;
	struct val *v;
	size_t c, at;
	int r;

	for (;;) {
		if (fm_peek(p, &l) == -1)
			return -1;
		if (l == NULL || l->indent < indent)
			return 0;
		if (l->indent > indent)
			return fm_err(p, p->i, "bad indentation");
		at = p->i;
		if (!fm_isitem(l)) {
			if (compact)
				return 0;
			return fm_err(p, p->i, "expected a list item '- '");
		}
		for (c = indent + 1; c < l->len && l->s[c] == ' '; c++)
			continue;
		if (c < l->len && l->s[c] == '\t')
			return fm_err(p, p->i, "tab used for indentation");
		if (c == l->len || l->s[c] == '#') {
			p->i++;
			if (fm_nested(p, indent, depth, 0, &v) == -1)
				return -1;
		} else {
			/* "- key: value" starts a mapping at column c. */
			v = val_obj(p->a);
			if ((r = fm_entry(p, c, depth + 1, v)) == -1)
				return -1;
			if (r == 0 && depth + 1 > FM_MAXDEPTH)
				return fm_err(p, at, "nesting deeper "
				    "than %d levels", FM_MAXDEPTH);
			if (r == 0 && fm_map(p, c, depth + 1, v) == -1)
				return -1;
			if (r == 1 && fm_value(p, c, indent, depth, 0, &v) == -1)
				return -1;
		}
		val_push(p->a, list, v);
	}
}

/* The length of the line at s (before end), without "\n" or "\r\n";
 * *next is the start of the following line. */
static size_t
fm_getline(const char *s, const char *end, const char **next)
{
	const char *nl;
	size_t n;

	nl = memchr(s, '\n', (size_t)(end - s));
	n = (size_t)((nl ? nl : end) - s);
	*next = nl ? nl + 1 : end;
	if (n > 0 && s[n - 1] == '\r')
		n--;
	return n;
}

/* 1 when the line is the three characters m, then only blanks. */
static int
fm_ismarker(const char *s, size_t n, const char *m)
{
	size_t i;

	if (n < 3 || memcmp(s, m, 3) != 0)
		return 0;
	for (i = 3; i < n; i++)
		if (!fm_isws(s[i]))
			return 0;
	return 1;
}

/* Fills in indent, blank and comment of l and checks its characters. */
static int
fm_scanline(struct fm_parser *p, size_t idx, struct fm_line *l)
{
	const unsigned char *u = (const unsigned char *)l->s;
	size_t i, k;

	for (i = 0; i < l->len; i += k) {
		k = 1;
		if (u[i] == 0)
			return fm_err(p, idx, "NUL byte");
		if ((u[i] < 0x20 && u[i] != '\t') || u[i] == 0x7f)
			return fm_err(p, idx, "control character 0x%02x",
			    u[i]);
		if (u[i] >= 0x80 && (k = buf_utf8_len(u + i, l->len - i)) == 0)
			return fm_err(p, idx, "invalid UTF-8");
	}
	for (i = 0; i < l->len && l->s[i] == ' '; i++)
		continue;
	l->indent = i;
	while (i < l->len && fm_isws(l->s[i]))
		i++;
	l->blank = i == l->len;
	l->comment = i < l->len && l->s[i] == '#';
	return 0;
}

int
fm_parse(struct arena *a, const char *src, size_t len, struct val **meta,
    const char **body, size_t *bodylen, char *err, size_t errlen)
{
	struct fm_parser p;
	struct fm_line *lines = NULL, *nl;
	struct val *obj;
	const char *s, *end, *next, *fmstart, *bodyp = NULL;
	size_t n, cap = 0;
	int rc = -1;

	memset(&p, 0, sizeof(p));
	p.a = a;
	p.err = err;
	p.errlen = errlen;
	buf_init(&p.sb, 4 * FM_MAXBYTES);
	if (err != NULL && errlen > 0)
		err[0] = '\0';
	if (src == NULL)
		src = "", len = 0;
	s = src;
	end = src + len;
	if (len >= 3 && memcmp(s, "\xef\xbb\xbf", 3) == 0)
		s += 3;
	obj = val_obj(a);

	n = fm_getline(s, end, &next);
	if (!fm_ismarker(s, n, "---")) {
		bodyp = s;
		rc = 0;
		goto done;
	}

	/* Cut the lines up to the closing "---" or "...". */
	fmstart = s = next;
	for (;;) {
		if (s == end) {
			fm_errline(err, errlen, 1, "front matter is not "
			    "closed by a line '---'");
			goto done;
		}
		n = fm_getline(s, end, &next);
		if (fm_ismarker(s, n, "---") || fm_ismarker(s, n, "...")) {
			bodyp = next;
			break;
		}
		if (p.n == FM_MAXLINES) {
			(void)fm_err(&p, p.n, "front matter longer than %d "
			    "lines", FM_MAXLINES);
			goto done;
		}
		if ((size_t)(next - fmstart) > FM_MAXBYTES) {
			(void)fm_err(&p, p.n, "front matter larger than 1 "
			    "MiB");
			goto done;
		}
		if (p.n == cap) {
			cap = cap ? cap * 2 : 64;
			if ((nl = realloc(lines, cap * sizeof(*nl))) == NULL) {
				(void)fm_err(&p, p.n, "out of memory");
				goto done;
			}
			lines = nl;
		}
		lines[p.n].s = s;
		lines[p.n].len = n;
		if (fm_scanline(&p, p.n, &lines[p.n]) == -1)
			goto done;
		p.n++;
		s = next;
	}
	p.lines = lines;
	if (fm_map(&p, 0, 1, obj) == -1)
		goto done;
	rc = 0;
done:
	if (rc == 0) {
		*meta = obj;
		*body = bodyp;
		*bodylen = (size_t)(end - bodyp);
	}
	free(lines);
	buf_free(&p.sb);
	return rc;
}

/* ---- writing: the other direction ------------------------------------- */

void
fm_write_str(struct buf *b, const char *s)
{
	const unsigned char *p;

	buf_putc(b, '"');
	for (p = (const unsigned char *)s; *p; p++) {
		if (*p == '"' || *p == '\\') {
			buf_putc(b, '\\');
			buf_putc(b, *p);
		} else if (*p == '\n')
			buf_puts(b, "\\n");
		else if (*p == '\t')
			buf_puts(b, "\\t");
		else if (*p < 0x20 || *p == 0x7f)
			buf_printf(b, "\\x%02x", *p);
		else
			buf_putc(b, *p);
	}
	buf_putc(b, '"');
}

void
fm_write_kv(struct buf *b, const char *indent, const char *key,
    const char *value)
{
	buf_printf(b, "%s%s: ", indent, key);
	fm_write_str(b, value);
	buf_putc(b, '\n');
}
