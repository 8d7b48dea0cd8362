/* md.c: Markdown to safe HTML (and to plain text) on md4c's parser with our
 * own callbacks; no raw HTML, no unsafe URL and no e-mail address gets out. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <md4c.h>

#include "extern.h"

#define MD_INPUT_MAX ((size_t)1 << 20) /* longer input: md_to_*() fail */
#define MD_ADDR_MAX 254	 /* longest address handed to the callbacks */
#define MD_TOKEN_MAX 128 /* room for a token, with its NUL */
#define MD_PAD 16	 /* NULs after the copy md4c reads (see md_run()) */
#define MD_REMOVED "[e-mail address removed]"
#define MD_SHOW "show e-mail address"
#define MD_FFFD "\xef\xbf\xbd" /* U+FFFD REPLACEMENT CHARACTER */
#define MD_PARSER_FLAGS                                                        \
	(MD_FLAG_NOHTML | MD_FLAG_TABLES | MD_FLAG_STRIKETHROUGH |             \
	    MD_FLAG_PERMISSIVEURLAUTOLINKS |                                   \
	    MD_FLAG_PERMISSIVEEMAILAUTOLINKS | MD_FLAG_PERMISSIVEWWWAUTOLINKS)

/* What kind of text sits in the pending buffer. */
enum md_ctx {
	MD_CTX_TEXT,  /* normal text: buttons, hashtags */
	MD_CTX_SPAN,  /* `code span`: buttons, no hashtags */
	MD_CTX_BLOCK, /* code block: no tags at all inside <pre> */
	MD_CTX__MAX
};

/* One address found in a text (see md_email_next()). */
struct md_email {
	size_t start, end;	    /* where it is written in the text */
	char addr[MD_ADDR_MAX + 1]; /* lowercase; "" when too long */
};

enum md_link_kind {
	MD_LINK_A,	/* http(s) or relative: <a href> around the text */
	MD_LINK_MAILTO, /* becomes a button; its text becomes the label */
	MD_LINK__MAX
};

/* The outermost link being rendered; links inside it (and links that are
 * shown as plain text) are only counted in md_state.inert_links. */
struct md_link {
	int active;
	enum md_link_kind kind;
	struct buf href;  /* decoded URL */
	struct buf title; /* decoded title */
	int has_title;
	struct buf body; /* MD_LINK_A: HTML of the text; mailto: plain text */
	int button;	 /* an address in the text became a button */
};

/* The outermost image being rendered: its children only make its alt. */
struct md_img {
	int active;
	int ok; /* src is allowed */
	struct buf src, title, alt;
	int has_title;
};

struct md_state {
	const struct md_opts *opts;
	struct buf *out; /* the caller's buffer */
	struct buf *cur; /* where HTML goes now: out or link.body */
	struct buf pend; /* decoded text not yet written (see md_flush()) */
	struct buf tmp;	 /* scratch for one helper call at a time */
	struct md_link link;
	struct md_img img;
	int text_only;	 /* md_to_text(): all text goes to pend */
	int stopped;	 /* text_only: stopped at opts->text_max */
	int tags;	 /* hashtag_base is set and usable */
	int depth;	 /* block nesting; 1 inside the document */
	int top_blocks;	 /* blocks directly in the document */
	int top_p;	 /* the first of them is a paragraph */
	int code_block;	 /* inside MD_BLOCK_CODE */
	int code_span;	 /* inside MD_SPAN_CODE */
	int img_depth;	 /* images entered, nested ones too */
	int inert_links; /* links rendered as their text only */
	int hash_ok;	 /* the last character shown lets a hashtag start */
	int err;
};

/* ---- characters ------------------------------------------------------ */

/* ASCII classes that do not depend on the locale. */
static int
md_alpha(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static int
md_digit(int c)
{
	return c >= '0' && c <= '9';
}

static int
md_space(int c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' ||
	    c == '\v';
}

static int
md_lower(int c)
{
	return (c >= 'A' && c <= 'Z') ? c - 'A' + 'a' : c;
}

/* A character of the local part of an address. '_' is not in the brief's
 * set but is common in real addresses, and missing it would leak their
 * beginning ("first_" of first_last@example.org). */
static int
md_local(int c)
{
	return md_alpha(c) || md_digit(c) || c == '.' || c == '_' || c == '%' ||
	    c == '+' || c == '-';
}

static int
md_label(int c)
{
	return md_alpha(c) || md_digit(c) || c == '-';
}

/* ---- e-mail addresses in plain text ----------------------------------- */

/*
 * Matches the separator c ('@' or '.') at s[i], or its spelled-out word
 * ("at", "dot") in brackets or parentheses with optional white space around,
 * as in "name [at] example (dot) org".  Returns the offset after it, or 0
 * when there is none (a separator never ends at offset 0).
 */
static size_t
md_sep(const char *s, size_t len, size_t i, char c, const char *word)
{
	size_t j, k, wl = strlen(word);
	char close;

	if (i < len && s[i] == c)
		return i + 1;
	for (j = i; j < len && md_space((unsigned char)s[j]); j++)
		;
	if (j >= len)
		return 0;
	if (s[j] == '[')
		close = ']';
	else if (s[j] == '(')
		close = ')';
	else
		return 0;
	for (j++; j < len && s[j] == ' '; j++)
		;
	if (len - j < wl)
		return 0;
	for (k = 0; k < wl; k++)
		if (md_lower((unsigned char)s[j + k]) != word[k])
			return 0;
	for (j += wl; j < len && s[j] == ' '; j++)
		;
	if (j >= len || s[j] != close)
		return 0;
	for (j++; j < len && md_space((unsigned char)s[j]); j++)
		;
	return j;
}

/*
 * Reads the domain of an address starting at s[i]: two or more labels of
 * letters, digits and '-' joined by dots (or "[dot]"), the last one of two
 * or more letters.  Returns the offset after the longest such domain, or 0.
 */
static size_t
md_domain(const char *s, size_t len, size_t i)
{
	size_t j = i, k, end = 0, labels = 0;
	int alpha;

	for (;;) {
		alpha = 1;
		for (k = j; k < len && md_label((unsigned char)s[k]); k++)
			if (!md_alpha((unsigned char)s[k]))
				alpha = 0;
		if (k == j)
			break;
		if (++labels >= 2 && alpha && k - j >= 2)
			end = k;
		if ((j = md_sep(s, len, k, '.', "dot")) == 0)
			break;
	}
	return end;
}

/*
 * The next byte at or after i that may start a separator: '@', or the
 * bracket of "[at]" or "(at)".  *at, *sq and *par cache where each was
 * last found (len when there is none, SIZE_MAX before the first look);
 * returns len when none is left.
 */
static size_t
md_sep_next(
    const char *s, size_t len, size_t i, size_t *at, size_t *sq, size_t *par)
{
	size_t *next[3] = {at, sq, par}, min = len;
	const char want[3] = {'@', '[', '('};
	const char *p;
	int k;

	for (k = 0; k < 3; k++) {
		if (*next[k] == SIZE_MAX || *next[k] < i) {
			p = memchr(s + i, want[k], len - i);
			*next[k] = p != NULL ? (size_t)(p - s) : len;
		}
		if (*next[k] < min)
			min = *next[k];
	}
	return min;
}

/*
 * Finds the first address in s[from..len): a local part of md_local()
 * characters (not starting or ending with a dot), '@' or "[at]", and a
 * domain as md_domain() reads it.  Fills *e and returns 1, or returns 0.
 *
 * It goes from separator to separator (memchr is much quicker than a
 * scan word by word, and most texts have none), reading each one's local
 * part backwards: the run of md_local() characters that ends where the
 * separator, or the white space before its bracket, begins.  These runs
 * come in the order of the text, so the first that makes an address is
 * the first address.
 */
static int
md_email_next(const char *s, size_t len, size_t from, struct md_email *e)
{
	size_t p, ls, le, ds, de, j, k, n;
	size_t at = SIZE_MAX, sq = SIZE_MAX, par = SIZE_MAX;

	if (from >= len)
		return 0;
	for (p = from; (p = md_sep_next(s, len, p, &at, &sq, &par)) < len;
	     p++) {
		le = p;
		if (s[p] != '@')
			while (le > from && md_space((unsigned char)s[le - 1]))
				le--;
		if (le == from || !md_local((unsigned char)s[le - 1]))
			continue;
		for (ls = le; ls > from && md_local((unsigned char)s[ls - 1]);
		     ls--)
			;
		while (ls < le && s[ls] == '.')
			ls++;
		if (ls == le || s[le - 1] == '.')
			continue;
		if ((ds = md_sep(s, len, le, '@', "at")) == 0)
			continue;
		if ((de = md_domain(s, len, ds)) == 0)
			continue;
		/* The address in its plain form: local@label.label */
		e->start = ls;
		e->end = de;
		n = 0;
		for (j = ls; j < le && n < MD_ADDR_MAX; j++)
			e->addr[n++] = (char)md_lower((unsigned char)s[j]);
		if (n < MD_ADDR_MAX)
			e->addr[n++] = '@';
		for (j = ds; j < de && n < MD_ADDR_MAX;) {
			for (k = j; k < de && md_label((unsigned char)s[k]) &&
			     n < MD_ADDR_MAX;
			     k++)
				e->addr[n++] =
				    (char)md_lower((unsigned char)s[k]);
			if (k >= de)
				break;
			if (n < MD_ADDR_MAX)
				e->addr[n++] = '.';
			if ((j = md_sep(s, len, k, '.', "dot")) == 0)
				break;
		}
		if (n >= MD_ADDR_MAX)
			n = 0; /* too long to hand out: replaced, not revealed
				*/
		e->addr[n] = '\0';
		return 1;
	}
	return 0;
}

void
md_find_emails(
    const char *s, size_t len, void (*seen)(void *, const char *), void *arg)
{
	struct md_email e;
	size_t pos = 0;

	while (md_email_next(s, len, pos, &e)) {
		if (e.addr[0] != '\0' && seen != NULL)
			seen(arg, e.addr);
		pos = e.end;
	}
}

/* ---- entities and attributes ----------------------------------------- */

static const struct {
	const char *name;
	const char *utf8;
} md_entities[] = {
    {"amp", "&"},
    {"lt", "<"},
    {"gt", ">"},
    {"quot", "\""},
    {"apos", "'"},
    {"nbsp", "\xc2\xa0"},
    {"copy", "\xc2\xa9"},
    {"reg", "\xc2\xae"},
    {"trade", "\xe2\x84\xa2"},
    {"mdash", "\xe2\x80\x94"},
    {"ndash", "\xe2\x80\x93"},
    {"hellip", "\xe2\x80\xa6"},
    {"rsquo", "\xe2\x80\x99"},
    {"lsquo", "\xe2\x80\x98"},
    {"rdquo", "\xe2\x80\x9d"},
    {"ldquo", "\xe2\x80\x9c"},
    {"laquo", "\xc2\xab"},
    {"raquo", "\xc2\xbb"},
    {"bdquo", "\xe2\x80\x9e"},
    {"euro", "\xe2\x82\xac"},
    {"pound", "\xc2\xa3"},
    {"deg", "\xc2\xb0"},
    {"times", "\xc3\x97"},
    {"middot", "\xc2\xb7"},
    {"bull", "\xe2\x80\xa2"},
    {"sect", "\xc2\xa7"},
    {"shy", "\xc2\xad"},
    /* punctuation that tricks use to hide a scheme or an address */
    {"commat", "@"},
    {"colon", ":"},
    {"period", "."},
    {"sol", "/"},
    {"num", "#"},
    {"lpar", "("},
    {"rpar", ")"},
    {"lsqb", "["},
    {"rsqb", "]"},
    {"lowbar", "_"},
    {"Tab", "\t"},
    {"NewLine", "\n"},
};

/* Appends the UTF-8 of code point cp; U+FFFD for NUL, surrogates and
 * values past U+10FFFF. */
static void
md_utf8(struct buf *b, unsigned long cp)
{
	if (cp == 0 || buf_utf8(b, cp) == -1)
		buf_puts(b, MD_FFFD);
}

/* Appends the decoded text of entity s[0..n) ("&amp;", "&#64;", "&#x40;");
 * an unknown or malformed one is kept as written (and later escaped). */
static void
md_entity(struct buf *b, const char *s, size_t n)
{
	unsigned long cp = 0;
	size_t i, k;
	int c, d, hex;

	if (n >= 4 && s[0] == '&' && s[1] == '#' && s[n - 1] == ';') {
		hex = s[2] == 'x' || s[2] == 'X';
		i = hex ? 3 : 2;
		if (i >= n - 1)
			goto literal;
		for (; i < n - 1; i++) {
			c = (unsigned char)s[i];
			if (md_digit(c))
				d = c - '0';
			else if (hex && md_lower(c) >= 'a' &&
			    md_lower(c) <= 'f')
				d = md_lower(c) - 'a' + 10;
			else
				goto literal;
			if (cp <= 0x10ffff)
				cp = cp * (hex ? 16 : 10) + (unsigned long)d;
		}
		md_utf8(b, cp);
		return;
	}
	if (n >= 3 && s[0] == '&' && s[n - 1] == ';')
		for (k = 0; k < sizeof(md_entities) / sizeof(md_entities[0]);
		     k++)
			if (strlen(md_entities[k].name) == n - 2 &&
			    memcmp(md_entities[k].name, s + 1, n - 2) == 0) {
				buf_puts(b, md_entities[k].utf8);
				return;
			}
literal:
	buf_append(b, s, n);
}

/* Appends the decoded text of an md4c attribute (entities, NUL); returns
 * 1 when the attribute is present, 0 when md4c gave none. */
static int
md_attr(struct buf *b, const MD_ATTRIBUTE *a)
{
	const char *s;
	size_t n;
	int i;

	if (a->text == NULL)
		return 0;
	for (i = 0; a->substr_offsets[i] < a->size; i++) {
		s = a->text + a->substr_offsets[i];
		n = a->substr_offsets[i + 1] - a->substr_offsets[i];
		switch (a->substr_types[i]) {
		case MD_TEXT_ENTITY:
			md_entity(b, s, n);
			break;
		case MD_TEXT_NULLCHAR:
			buf_puts(b, MD_FFFD);
			break;
		default:
			buf_append(b, s, n);
			break;
		}
	}
	return 1;
}

/*
 * When URL s[0..n) has the mailto scheme, returns the offset after its
 * colon, else 0.  Reads it as browsers do: leading controls and spaces
 * skipped, tabs and newlines ignored, any case (as html_url_ok() does).
 */
static size_t
md_mailto(const char *s, size_t n)
{
	static const char want[] = "mailto:";
	size_t i, k = 0;

	for (i = 0; i < n && (unsigned char)s[i] <= 0x20; i++)
		;
	for (; i < n && k < sizeof(want) - 1; i++) {
		if (s[i] == '\t' || s[i] == '\n' || s[i] == '\r')
			continue;
		if (md_lower((unsigned char)s[i]) != want[k++])
			return 0;
	}
	return k == sizeof(want) - 1 ? i : 0;
}

static int
md_hexval(int c)
{
	if (md_digit(c))
		return c - '0';
	c = md_lower(c);
	return (c >= 'a' && c <= 'f') ? c - 'a' + 10 : -1;
}

/* Appends s[0..n) with %XX sequences decoded. */
static void
md_pct_decode(struct buf *b, const char *s, size_t n)
{
	size_t i;
	int hi, lo;

	for (i = 0; i < n; i++) {
		if (s[i] == '%' && i + 2 < n &&
		    (hi = md_hexval((unsigned char)s[i + 1])) >= 0 &&
		    (lo = md_hexval((unsigned char)s[i + 2])) >= 0) {
			buf_putc(b, hi * 16 + lo);
			i += 2;
		} else
			buf_putc(b, s[i]);
	}
}

/* ---- output helpers --------------------------------------------------- */

static void
md_seen(struct md_state *st, const char *addr)
{
	if (addr[0] != '\0' && st->opts->email_seen != NULL)
		st->opts->email_seen(st->opts->email_arg, addr);
}

/* Calls email_seen for each address in s[0..n); returns how many. */
static size_t
md_scan(struct md_state *st, const char *s, size_t n)
{
	struct md_email e;
	size_t pos = 0, count = 0;

	while (md_email_next(s, n, pos, &e)) {
		md_seen(st, e.addr);
		count++;
		pos = e.end;
	}
	return count;
}

/* Returns the number of addresses in URL s[0..n), percent-decoded (they
 * are reported to email_seen). */
static size_t
md_url_emails(struct md_state *st, const char *s, size_t n)
{
	buf_reset(&st->tmp);
	md_pct_decode(&st->tmp, s, n);
	if (st->tmp.err)
		st->err = 1;
	return md_scan(st, st->tmp.data, st->tmp.len);
}

/* Writes s[0..n) as an attribute value (attr) or text with each address
 * replaced by MD_REMOVED: no button fits in an attribute. */
static void
md_clean(struct md_state *st, struct buf *b, const char *s, size_t n, int attr)
{
	void (*put)(struct buf *, const char *, size_t) =
	    attr ? html_attr : html_text;
	struct md_email e;
	size_t pos = 0;

	while (md_email_next(s, n, pos, &e)) {
		put(b, s + pos, e.start - pos);
		md_seen(st, e.addr);
		html_text(b, MD_REMOVED, strlen(MD_REMOVED));
		pos = e.end;
	}
	put(b, s + pos, n - pos);
}

/*
 * Writes the reveal button for addr (lowercase, NUL-terminated), labelled
 * with the text label (NULL: MD_SHOW), or MD_REMOVED when there is no
 * token for it.
 */
static void
md_button(
    struct md_state *st, const char *addr, const char *label, size_t labellen)
{
	const struct md_opts *o = st->opts;
	char tok[MD_TOKEN_MAX];

	md_seen(st, addr);
	tok[0] = '\0';
	if (addr[0] == '\0' || o->email_token == NULL ||
	    o->email_token(o->email_arg, addr, tok, sizeof(tok)) == -1) {
		html_text(st->cur, MD_REMOVED, strlen(MD_REMOVED));
		st->hash_ok = 0;
		return;
	}
	tok[sizeof(tok) - 1] = '\0';
	buf_puts(st->cur,
	    "<button class=\"email\" type=\"submit\" "
	    "form=\"email-reveal\" name=\"t\" value=\"");
	html_attr(st->cur, tok, strlen(tok));
	buf_puts(st->cur, "\">");
	if (label != NULL)
		html_text(st->cur, label, labellen);
	else
		buf_puts(st->cur, MD_SHOW);
	buf_puts(st->cur, "</button>");
	st->hash_ok = 0;
	if (st->cur == &st->link.body)
		st->link.button = 1;
}

/* A '#' after c may start a hashtag. */
static int
md_hash_after(int c)
{
	return md_space(c) || c == '(';
}

/* Writes text s[0..n) (no addresses in it) with its hashtags linked when
 * ctx and the state allow. */
static void
md_put_text(struct md_state *st, const char *s, size_t n, enum md_ctx ctx)
{
	struct buf *b = st->cur;
	size_t i, j, start = 0;
	int ok;

	if (n == 0)
		return;
	if (ctx != MD_CTX_TEXT || !st->tags || st->link.active ||
	    st->inert_links > 0) {
		html_text(b, s, n);
		st->hash_ok = md_hash_after((unsigned char)s[n - 1]);
		return;
	}
	for (i = 0; i < n; i++) {
		ok = i > 0 ? md_hash_after((unsigned char)s[i - 1])
			   : st->hash_ok;
		if (s[i] != '#' || !ok || i + 1 >= n ||
		    !md_alpha((unsigned char)s[i + 1]))
			continue;
		for (j = i + 1; j < n &&
		     (md_alpha((unsigned char)s[j]) ||
			 md_digit((unsigned char)s[j]) || s[j] == '_');
		     j++)
			;
		html_text(b, s + start, i - start);
		buf_puts(b, "<a class=\"hashtag\" href=\"");
		html_attr(
		    b, st->opts->hashtag_base, strlen(st->opts->hashtag_base));
		for (start = i + 1; start < j; start++)
			buf_putc(b, md_lower((unsigned char)s[start]));
		buf_puts(b, "\">");
		html_text(b, s + i, j - i);
		buf_puts(b, "</a>");
		i = j - 1;
	}
	html_text(b, s + start, n - start);
	st->hash_ok = md_hash_after((unsigned char)s[n - 1]);
}

/*
 * Writes the pending text to cur: addresses become buttons (in a code
 * block, MD_REMOVED as text), the rest goes through md_put_text().  Text
 * is gathered first because md4c splits it at entities, escapes and
 * brackets, which may fall inside an address or a hashtag.
 */
static void
md_flush(struct md_state *st)
{
	struct md_email e;
	const char *s = st->pend.data;
	size_t n = st->pend.len, pos = 0;
	enum md_ctx ctx;

	if (st->pend.err)
		st->err = 1;
	if (n == 0)
		return;
	ctx = st->code_block ? MD_CTX_BLOCK
	    : st->code_span  ? MD_CTX_SPAN
			     : MD_CTX_TEXT;
	while (md_email_next(s, n, pos, &e)) {
		md_put_text(st, s + pos, e.start - pos, ctx);
		if (ctx == MD_CTX_BLOCK) {
			md_seen(st, e.addr);
			html_text(st->cur, MD_REMOVED, strlen(MD_REMOVED));
			st->hash_ok = 0;
		} else
			md_button(st, e.addr, NULL, 0);
		pos = e.end;
	}
	md_put_text(st, s + pos, n - pos, ctx);
	buf_reset(&st->pend);
}

/* The buffer that takes plain text now (image alt, mailto label), or NULL
 * when text is rendered as HTML. */
static struct buf *
md_plain(struct md_state *st)
{
	if (st->img.active)
		return &st->img.alt;
	if (st->link.active && st->link.kind == MD_LINK_MAILTO)
		return &st->link.body;
	return NULL;
}

/* -1 once anything failed, so md_parse() stops early. */
static int
md_status(const struct md_state *st)
{
	if (st->err || st->out->err || st->cur->err || st->pend.err ||
	    st->tmp.err || st->link.href.err || st->link.title.err ||
	    st->link.body.err || st->img.src.err || st->img.title.err ||
	    st->img.alt.err)
		return -1;
	return 0;
}

/* ---- links and images ------------------------------------------------- */

static void
md_link_enter(struct md_state *st, const MD_SPAN_A_DETAIL *d)
{
	struct md_link *l = &st->link;
	size_t n;

	if (md_plain(st) != NULL || l->active || st->inert_links > 0) {
		st->inert_links++;
		return;
	}
	buf_reset(&l->href);
	buf_reset(&l->title);
	buf_reset(&l->body);
	md_attr(&l->href, &d->href);
	l->has_title = md_attr(&l->title, &d->title);
	n = l->href.len;
	buf_cstr(&l->href); /* data is never NULL from here on */
	buf_cstr(&l->title);
	buf_cstr(&l->body);
	if (md_mailto(l->href.data, n) > 0)
		l->kind = MD_LINK_MAILTO;
	else if (html_url_ok(l->href.data, n) &&
	    md_url_emails(st, l->href.data, n) == 0)
		l->kind = MD_LINK_A;
	else {
		/* Unsafe scheme, or an address in the URL: text only. */
		st->inert_links++;
		return;
	}
	l->active = 1;
	l->button = 0;
	if (l->kind == MD_LINK_A)
		st->cur = &l->body;
}

/* Copies the one address in s[0..n) (a decoded piece of a mailto URL),
 * trimmed and lowercase, into addr; returns 0 when it is none. */
static int
md_mailto_addr(const char *s, size_t n, char addr[MD_ADDR_MAX + 1])
{
	size_t k;
	int at = 0;

	while (n > 0 && md_space((unsigned char)s[0])) {
		s++;
		n--;
	}
	while (n > 0 && md_space((unsigned char)s[n - 1]))
		n--;
	if (n == 0 || n > MD_ADDR_MAX)
		return 0;
	for (k = 0; k < n; k++) {
		if ((unsigned char)s[k] <= 0x20)
			return 0;
		at |= s[k] == '@';
		addr[k] = (char)md_lower((unsigned char)s[k]);
	}
	addr[n] = '\0';
	return at;
}

/*
 * Ends a mailto link: a button per address of the URL (its query
 * dropped), labelled with the link text unless that holds an address.
 * Without any address, the text stays as text.
 */
static void
md_mailto_leave(struct md_state *st)
{
	struct md_link *l = &st->link;
	const char *s, *label;
	char addr[MD_ADDR_MAX + 1];
	size_t i, j, end, labellen, n;
	int buttons = 0;

	buf_cstr(&l->body);
	label = l->body.data;
	labellen = l->body.len;
	while (labellen > 0 && md_space((unsigned char)label[0])) {
		label++;
		labellen--;
	}
	while (labellen > 0 && md_space((unsigned char)label[labellen - 1]))
		labellen--;
	if (labellen == 0 || md_scan(st, label, labellen) > 0 ||
	    memchr(label, '@', labellen) != NULL)
		label = NULL; /* md4c takes "x@y.z" for one, we do not */

	s = l->href.data;
	n = l->href.len;
	i = md_mailto(s, n);
	for (end = i; end < n && s[end] != '?' && s[end] != '#'; end++)
		;
	while (i < end) {
		for (j = i; j < end && s[j] != ','; j++)
			;
		buf_reset(&st->tmp);
		md_pct_decode(&st->tmp, s + i, j - i);
		if (md_mailto_addr(st->tmp.data, st->tmp.len, addr)) {
			md_button(st, addr, label, labellen);
			buttons++;
		}
		i = j + 1;
	}
	if (buttons == 0) /* the text goes on as normal text */
		buf_append(&st->pend, l->body.data, l->body.len);
}

/* Writes URL u (n bytes) as an attribute value: when the options ask for
 * absolute URLs, a path ("/about") gets the site's address first. */
static void
md_url(struct md_state *st, struct buf *b, const char *u, size_t n)
{
	const char *base = st->opts->url_base;
	struct buf t;

	if (base == NULL || n == 0 || u[0] != '/' || (n > 1 && u[1] == '/')) {
		html_url(b, u, n);
		return;
	}
	buf_init(&t, 16384);
	buf_puts(&t, base);
	buf_append(&t, u, n);
	html_url(b, buf_cstr(&t), t.len);
	buf_free(&t);
}

static void
md_link_leave(struct md_state *st)
{
	struct md_link *l = &st->link;

	if (st->inert_links > 0) {
		st->inert_links--;
		return;
	}
	if (!l->active)
		return;
	l->active = 0;
	if (l->kind == MD_LINK_MAILTO) {
		md_mailto_leave(st);
		return;
	}
	st->cur = st->out;
	if (l->button) {
		/* No button may sit inside <a>: the text goes without it. */
		buf_append(st->out, l->body.data, l->body.len);
	} else {
		buf_puts(st->out, "<a href=\"");
		md_url(st, st->out, l->href.data, l->href.len);
		buf_putc(st->out, '"');
		if (l->has_title) {
			buf_puts(st->out, " title=\"");
			md_clean(st, st->out, l->title.data, l->title.len, 1);
			buf_putc(st->out, '"');
		}
		buf_putc(st->out, '>');
		buf_append(st->out, l->body.data, l->body.len);
		buf_puts(st->out, "</a>");
	}
	st->hash_ok = 0;
}

static void
md_img_enter(struct md_state *st, const MD_SPAN_IMG_DETAIL *d)
{
	struct md_img *im = &st->img;
	size_t n;

	st->img_depth++;
	if (st->img_depth > 1 || md_plain(st) != NULL)
		return; /* inside an alt text or a mailto label: text only */
	buf_reset(&im->src);
	buf_reset(&im->title);
	buf_reset(&im->alt);
	md_attr(&im->src, &d->src);
	im->has_title = md_attr(&im->title, &d->title);
	n = im->src.len;
	buf_cstr(&im->src); /* data is never NULL from here on */
	buf_cstr(&im->title);
	buf_cstr(&im->alt);
	im->ok = html_url_ok(im->src.data, n) &&
	    md_mailto(im->src.data, n) == 0 &&
	    md_url_emails(st, im->src.data, n) == 0;
	im->active = 1;
}

static void
md_img_leave(struct md_state *st)
{
	struct md_img *im = &st->img;
	struct buf *b = st->cur;

	if (st->img_depth > 0)
		st->img_depth--;
	if (st->img_depth > 0 || !im->active)
		return;
	im->active = 0;
	if (!im->ok) {
		/* A dropped image leaves its alt as normal text. */
		buf_append(&st->pend, im->alt.data, im->alt.len);
		return;
	}
	if (st->opts->no_images) {
		/* a mail: nothing is fetched; the image is a link */
		buf_puts(b, "<a href=\"");
		md_url(st, b, im->src.data, im->src.len);
		buf_puts(b, "\">");
		if (im->alt.len > 0)
			md_clean(st, b, im->alt.data, im->alt.len, 0);
		else
			buf_puts(b, "image");
		buf_puts(b, "</a>");
		st->hash_ok = 0;
		return;
	}
	if (st->opts->image != NULL && im->src.len > 0 &&
	    im->src.data[0] == '/') {
		struct buf attrs, alt;
		int took;

		buf_init(&attrs, 8192);
		buf_init(&alt, 4096);
		took = st->opts->image(st->opts->email_arg, im->src.data,
			   im->src.len, &attrs, &alt) == 1 &&
		    !attrs.err && !alt.err;
		if (took) {
			buf_puts(b, "<img");
			buf_append(b, attrs.data, attrs.len);
			buf_puts(b, " alt=\"");
			if (im->alt.len > 0)
				md_clean(st, b, im->alt.data, im->alt.len, 1);
			else
				html_attr(b, buf_cstr(&alt), alt.len);
			buf_putc(b, '"');
		}
		buf_free(&attrs);
		buf_free(&alt);
		if (took)
			goto title;
	}
	buf_puts(b, "<img src=\"");
	md_url(st, b, im->src.data, im->src.len);
	buf_puts(b, "\" alt=\"");
	md_clean(st, b, im->alt.data, im->alt.len, 1);
	buf_putc(b, '"');
title:
	if (im->has_title) {
		buf_puts(b, " title=\"");
		md_clean(st, b, im->title.data, im->title.len, 1);
		buf_putc(b, '"');
	}
	buf_puts(b, " loading=\"lazy\">");
	st->hash_ok = 0;
}

/* ---- md4c callbacks --------------------------------------------------- */

static void
md_code_open(struct md_state *st, const MD_BLOCK_CODE_DETAIL *d)
{
	struct buf *b = st->cur;

	buf_puts(b, "<pre><code");
	/* class="language-LANG", scanned whole: "language-" itself could
	 * start an address ("language-@example.org") */
	buf_reset(&st->tmp);
	buf_puts(&st->tmp, "language-");
	if (md_attr(&st->tmp, &d->lang) && st->tmp.len > 9) {
		if (st->tmp.len >= 18 &&
		    memcmp(st->tmp.data + 9, "language-", 9) == 0) {
			memmove(
			    st->tmp.data, st->tmp.data + 9, st->tmp.len - 9);
			st->tmp.len -= 9;
		}
		if (md_scan(st, st->tmp.data, st->tmp.len) == 0) {
			buf_puts(b, " class=\"");
			html_attr(b, st->tmp.data, st->tmp.len);
			buf_putc(b, '"');
		}
	}
	buf_putc(b, '>');
	st->code_block = 1;
}

static void
md_cell_open(struct buf *b, const char *tag, const MD_BLOCK_TD_DETAIL *d)
{
	static const char *const cls[] = {
	    "", " class=\"left\"", " class=\"center\"", " class=\"right\""};

	buf_printf(b, "<%s%s>", tag,
	    (unsigned)d->align < sizeof(cls) / sizeof(cls[0]) ? cls[d->align]
							      : "");
}

/* The level of a heading after heading_shift, within heading_min..6. */
static int
md_heading(const struct md_state *st, const MD_BLOCK_H_DETAIL *d)
{
	long lv = (long)d->level + st->opts->heading_shift;
	long min = st->opts->heading_min > 1 ? st->opts->heading_min : 1;

	return lv < min ? (int)(min > 6 ? 6 : min) : lv > 6 ? 6 : (int)lv;
}

static int
md_enter_block(MD_BLOCKTYPE type, void *detail, void *arg)
{
	struct md_state *st = arg;
	struct buf *b;

	if (st->text_only) {
		if (st->opts->text_max > 0 &&
		    st->pend.len >= st->opts->text_max) {
			st->stopped = 1;
			return 1; /* md_parse() stops and returns 1 */
		}
		buf_putc(&st->pend, ' ');
		return md_status(st);
	}
	md_flush(st);
	b = st->cur;
	if (type != MD_BLOCK_DOC && st->depth == 1 && st->top_blocks++ == 0)
		st->top_p = type == MD_BLOCK_P;
	st->depth++;
	st->hash_ok = 1;
	switch (type) {
	case MD_BLOCK_QUOTE:
		buf_puts(b, "<blockquote>\n");
		break;
	case MD_BLOCK_UL:
		buf_puts(b, "<ul>\n");
		break;
	case MD_BLOCK_OL:
		if (((MD_BLOCK_OL_DETAIL *)detail)->start == 1)
			buf_puts(b, "<ol>\n");
		else
			buf_printf(b, "<ol start=\"%u\">\n",
			    ((MD_BLOCK_OL_DETAIL *)detail)->start);
		break;
	case MD_BLOCK_LI:
		buf_puts(b, "<li>");
		break;
	case MD_BLOCK_HR:
		buf_puts(b, "<hr>\n");
		break;
	case MD_BLOCK_H:
		buf_printf(b, "<h%d>", md_heading(st, detail));
		break;
	case MD_BLOCK_CODE:
		md_code_open(st, detail);
		break;
	case MD_BLOCK_P:
		buf_puts(b, "<p>");
		break;
	case MD_BLOCK_TABLE:
		buf_puts(b, "<table>\n");
		break;
	case MD_BLOCK_THEAD:
		buf_puts(b, "<thead>\n");
		break;
	case MD_BLOCK_TBODY:
		buf_puts(b, "<tbody>\n");
		break;
	case MD_BLOCK_TR:
		buf_puts(b, "<tr>\n");
		break;
	case MD_BLOCK_TH:
		md_cell_open(b, "th", detail);
		break;
	case MD_BLOCK_TD:
		md_cell_open(b, "td", detail);
		break;
	default: /* MD_BLOCK_DOC; MD_BLOCK_HTML cannot come with NOHTML */
		break;
	}
	return md_status(st);
}

static int
md_leave_block(MD_BLOCKTYPE type, void *detail, void *arg)
{
	struct md_state *st = arg;
	struct buf *b;

	if (st->text_only) {
		if (st->opts->text_max > 0 &&
		    st->pend.len >= st->opts->text_max) {
			st->stopped = 1;
			return 1; /* md_parse() stops and returns 1 */
		}
		buf_putc(&st->pend, ' ');
		return md_status(st);
	}
	md_flush(st);
	b = st->cur;
	st->depth--;
	st->hash_ok = 1;
	switch (type) {
	case MD_BLOCK_QUOTE:
		buf_puts(b, "</blockquote>\n");
		break;
	case MD_BLOCK_UL:
		buf_puts(b, "</ul>\n");
		break;
	case MD_BLOCK_OL:
		buf_puts(b, "</ol>\n");
		break;
	case MD_BLOCK_LI:
		buf_puts(b, "</li>\n");
		break;
	case MD_BLOCK_H:
		buf_printf(b, "</h%d>\n", md_heading(st, detail));
		break;
	case MD_BLOCK_CODE:
		buf_puts(b, "</code></pre>\n");
		st->code_block = 0;
		break;
	case MD_BLOCK_P:
		buf_puts(b, "</p>\n");
		break;
	case MD_BLOCK_TABLE:
		buf_puts(b, "</table>\n");
		break;
	case MD_BLOCK_THEAD:
		buf_puts(b, "</thead>\n");
		break;
	case MD_BLOCK_TBODY:
		buf_puts(b, "</tbody>\n");
		break;
	case MD_BLOCK_TR:
		buf_puts(b, "</tr>\n");
		break;
	case MD_BLOCK_TH:
		buf_puts(b, "</th>\n");
		break;
	case MD_BLOCK_TD:
		buf_puts(b, "</td>\n");
		break;
	default: /* MD_BLOCK_DOC, MD_BLOCK_HR, MD_BLOCK_HTML */
		break;
	}
	return md_status(st);
}

static int
md_enter_span(MD_SPANTYPE type, void *detail, void *arg)
{
	struct md_state *st = arg;
	const char *tag = NULL;

	if (st->text_only) {
		/* a text with addresses wants a link's URL after its text */
		if (type == MD_SPAN_A && st->opts->url_base != NULL) {
			buf_reset(&st->link.href);
			md_attr(&st->link.href,
			    &((const MD_SPAN_A_DETAIL *)detail)->href);
			buf_cstr(&st->link.href);
		}
		return md_status(st);
	}
	md_flush(st);
	switch (type) {
	case MD_SPAN_A:
		md_link_enter(st, detail);
		break;
	case MD_SPAN_IMG:
		md_img_enter(st, detail);
		break;
	case MD_SPAN_CODE:
		st->code_span++;
		tag = "<code>";
		break;
	case MD_SPAN_EM:
		tag = "<em>";
		break;
	case MD_SPAN_STRONG:
		tag = "<strong>";
		break;
	case MD_SPAN_DEL:
		tag = "<del>";
		break;
	default: /* extensions we do not enable */
		break;
	}
	if (tag != NULL && md_plain(st) == NULL)
		buf_puts(st->cur, tag);
	return md_status(st);
}

static int
md_leave_span(MD_SPANTYPE type, void *detail, void *arg)
{
	struct md_state *st = arg;
	const char *tag = NULL;

	(void)detail;
	if (st->text_only) {
		struct buf *h = &st->link.href;

		if (type == MD_SPAN_A && st->opts->url_base != NULL &&
		    h->len > 0 && html_url_ok(h->data, h->len) &&
		    md_mailto(h->data, h->len) == 0 &&
		    md_url_emails(st, h->data, h->len) == 0) {
			buf_puts(&st->pend, " (");
			if (h->data[0] == '/' &&
			    !(h->len > 1 && h->data[1] == '/'))
				buf_puts(&st->pend, st->opts->url_base);
			buf_append(&st->pend, h->data, h->len);
			buf_putc(&st->pend, ')');
		}
		if (type == MD_SPAN_A)
			buf_reset(h);
		return md_status(st);
	}
	md_flush(st);
	switch (type) {
	case MD_SPAN_A:
		md_link_leave(st);
		break;
	case MD_SPAN_IMG:
		md_img_leave(st);
		break;
	case MD_SPAN_CODE:
		if (st->code_span > 0)
			st->code_span--;
		tag = "</code>";
		break;
	case MD_SPAN_EM:
		tag = "</em>";
		break;
	case MD_SPAN_STRONG:
		tag = "</strong>";
		break;
	case MD_SPAN_DEL:
		tag = "</del>";
		break;
	default:
		break;
	}
	if (tag != NULL && md_plain(st) == NULL)
		buf_puts(st->cur, tag);
	return md_status(st);
}

static int
md_text(MD_TEXTTYPE type, const MD_CHAR *s, MD_SIZE n, void *arg)
{
	struct md_state *st = arg;
	struct buf *b = st->text_only ? NULL : md_plain(st);
	int plain = b != NULL || st->text_only;

	if (b == NULL)
		b = &st->pend;
	switch (type) {
	case MD_TEXT_NULLCHAR:
		buf_puts(b, MD_FFFD);
		break;
	case MD_TEXT_BR:
		if (plain)
			buf_putc(b, ' ');
		else {
			md_flush(st);
			buf_puts(st->cur, "<br>\n");
			st->hash_ok = 1;
		}
		break;
	case MD_TEXT_SOFTBR:
		buf_putc(b, plain ? ' ' : '\n');
		break;
	case MD_TEXT_ENTITY:
		md_entity(b, s, n);
		break;
	default: /* NORMAL, CODE; HTML only as text (NOHTML) */
		buf_append(b, s, n);
		break;
	}
	return md_status(st);
}

/* ---- the whole document ----------------------------------------------- */

/* Tags a reader's eye reads across: text on both sides joins up. */
static int
md_guard_inline(const char *s, size_t n)
{
	static const char *const names[] = {
	    "a", "em", "strong", "del", "code", "button", "img"};
	size_t i, k, len;

	i = (n > 1 && s[1] == '/') ? 2 : 1;
	for (len = 0; i + len < n && md_alpha((unsigned char)s[i + len]); len++)
		;
	for (k = 0; k < sizeof(names) / sizeof(names[0]); k++)
		if (strlen(names[k]) == len &&
		    memcmp(names[k], s + i, len) == 0)
			return 1;
	return 0;
}

/*
 * One step through our own HTML from s[i]: a tag (*c is -1 when it joins
 * text, else ' ') or one shown byte (entities decoded).  Returns the offset
 * after the step.
 */
static size_t
md_guard_step(const char *s, size_t n, size_t i, int *c)
{
	static const struct {
		const char *ent;
		char c;
	} ents[] = {{"&amp;", '&'}, {"&lt;", '<'}, {"&gt;", '>'},
	    {"&quot;", '"'}, {"&#39;", '\''}};
	size_t j, k;

	if (s[i] == '<') {
		for (j = i + 1; j < n && s[j] != '>'; j++)
			;
		*c = md_guard_inline(s + i, j - i) ? -1 : ' ';
		return j < n ? j + 1 : n;
	}
	if (s[i] == '&')
		for (k = 0; k < sizeof(ents) / sizeof(ents[0]); k++) {
			j = strlen(ents[k].ent);
			if (n - i >= j && memcmp(s + i, ents[k].ent, j) == 0) {
				*c = (unsigned char)ents[k].c;
				return i + j;
			}
		}
	*c = (unsigned char)s[i];
	return i + 1;
}

/*
 * The safety net: reads the HTML written from start as a reader (or a
 * harvester stripping tags) would, and removes any address found there
 * that crosses tags, as in "bob@<em>example</em>.org".  Such text is kept
 * minus the address, which becomes MD_REMOVED; tags stay.
 */
static void
md_guard(struct md_state *st, size_t start)
{
	struct buf *out = st->out, nb;
	struct md_email e;
	size_t i, n, next, p = 0;
	int c, have;

	/* The text read is our bytes minus tags, with five entities decoded
	 * to '&', '<', '>', '"' and '\'': without '@' and without a bracket
	 * for "[at]" or "(at)" it holds no address (most bodies). */
	n = out->len - start;
	if (n == 0 || out->data == NULL)
		return;
	if (memchr(out->data + start, '@', n) == NULL &&
	    memchr(out->data + start, '[', n) == NULL &&
	    memchr(out->data + start, '(', n) == NULL)
		return;
	buf_reset(&st->tmp);
	for (i = start; i < out->len; i = next) {
		if (out->data[i] != '<' && out->data[i] != '&') {
			/* a run of plain bytes, copied at once */
			for (next = i + 1; next < out->len &&
			     out->data[next] != '<' && out->data[next] != '&';
			     next++)
				;
			buf_append(&st->tmp, out->data + i, next - i);
			continue;
		}
		next = md_guard_step(out->data, out->len, i, &c);
		if (c >= 0)
			buf_putc(&st->tmp, c);
	}
	if (st->tmp.err) {
		st->err = 1;
		return;
	}
	if (!(have = md_email_next(st->tmp.data, st->tmp.len, 0, &e)))
		return;

	buf_init(&nb, out->max);
	for (i = start; i < out->len; i = next) {
		next = md_guard_step(out->data, out->len, i, &c);
		if (c < 0 || !have || p < e.start || out->data[i] == '<')
			buf_append(&nb, out->data + i, next - i);
		else if (p == e.start) {
			md_seen(st, e.addr);
			buf_puts(&nb, MD_REMOVED);
		}
		if (c < 0)
			continue;
		if (have && ++p >= e.end)
			have =
			    md_email_next(st->tmp.data, st->tmp.len, e.end, &e);
	}
	out->len = start;
	buf_append(out, nb.data, nb.len);
	if (nb.err)
		st->err = 1;
	buf_free(&nb);
}

static void
md_state_init(struct md_state *st, const struct md_opts *opts, struct buf *out)
{
	size_t max = out->max ? out->max : BUF_MAX_DEFAULT;

	memset(st, 0, sizeof(*st));
	st->opts = opts;
	st->out = st->cur = out;
	buf_init(&st->pend, max);
	buf_init(&st->tmp, max);
	buf_init(&st->link.href, max);
	buf_init(&st->link.title, max);
	buf_init(&st->link.body, max);
	buf_init(&st->img.src, max);
	buf_init(&st->img.title, max);
	buf_init(&st->img.alt, max);
	st->tags = opts->hashtag_base != NULL &&
	    html_url_ok(opts->hashtag_base, strlen(opts->hashtag_base));
	st->hash_ok = 1;
}

static void
md_state_free(struct md_state *st)
{
	buf_free(&st->pend);
	buf_free(&st->tmp);
	buf_free(&st->link.href);
	buf_free(&st->link.title);
	buf_free(&st->link.body);
	buf_free(&st->img.src);
	buf_free(&st->img.title);
	buf_free(&st->img.alt);
}

/*
 * Runs md4c over src with our callbacks; returns 0 or -1.  md4c 0.4.8
 * reads a byte past the end of its input on some documents (found by
 * fuzz/fuzz_md.c; valgrind shows it), so it gets a copy followed by NULs
 * rather than the caller's bytes; the copy is freed here.
 */
static int
md_run(struct md_state *st, const char *src, size_t len)
{
	MD_PARSER p;
	char *copy;
	int rc = -1;

	if ((copy = malloc(len + MD_PAD)) == NULL)
		return -1;
	if (len > 0)
		memcpy(copy, src, len);
	memset(copy + len, 0, MD_PAD);
	memset(&p, 0, sizeof(p));
	p.flags = MD_PARSER_FLAGS;
	p.enter_block = md_enter_block;
	p.leave_block = md_leave_block;
	p.enter_span = md_enter_span;
	p.leave_span = md_leave_span;
	p.text = md_text;
	if (md_parse(copy, (MD_SIZE)len, &p, st) == 0 || st->stopped)
		rc = md_status(st);
	free(copy);
	return rc;
}

int
md_to_html(
    const char *src, size_t len, const struct md_opts *opts, struct buf *out)
{
	static const struct md_opts none;
	struct md_state st;
	size_t start = out->len;
	int olderr = out->err, rc = -1;

	if (len > MD_INPUT_MAX || out->err)
		return -1;
	md_state_init(&st, opts != NULL ? opts : &none, out);
	if (md_run(&st, src, len) == -1)
		goto done;
	md_flush(&st);
	md_guard(&st, start);
	if (st.opts->inline_only && st.top_blocks == 1 && st.top_p &&
	    out->len - start >= 8 && memcmp(out->data + start, "<p>", 3) == 0 &&
	    memcmp(out->data + out->len - 5, "</p>\n", 5) == 0) {
		/* one paragraph: its content without the <p> */
		memmove(out->data + start, out->data + start + 3,
		    out->len - start - 8);
		out->len -= 8;
		out->data[out->len] = '\0';
	}
	if (md_status(&st) == -1)
		goto done;
	rc = 0;
done:
	if (rc == -1) {
		/* the output is left as it was */
		out->len = start;
		if (out->data != NULL)
			out->data[start] = '\0';
		out->err = olderr;
	}
	md_state_free(&st);
	return rc;
}

int
md_to_text(const char *src, size_t len, struct buf *out)
{
	static const struct md_opts none;

	return md_to_text_opts(src, len, &none, out);
}

int
md_to_text_opts(
    const char *src, size_t len, const struct md_opts *opts, struct buf *out)
{
	struct md_state st;
	struct md_email e;
	size_t i, pos = 0, start = out->len;
	int olderr = out->err, rc = -1, space = 0;

	if (len > MD_INPUT_MAX || out->err)
		return -1;
	md_state_init(&st, opts, out);
	st.text_only = 1;
	if (md_run(&st, src, len) == -1)
		goto done;

	/* White space collapsed and trimmed into tmp... */
	buf_cstr(&st.pend);
	buf_cstr(&st.tmp);
	for (i = 0; i < st.pend.len; i++) {
		if (md_space((unsigned char)st.pend.data[i])) {
			space = 1;
			continue;
		}
		if (space && st.tmp.len > 0)
			buf_putc(&st.tmp, ' ');
		space = 0;
		buf_putc(&st.tmp, st.pend.data[i]);
	}
	/* ...then written out without its addresses. */
	while (md_email_next(st.tmp.data, st.tmp.len, pos, &e)) {
		buf_append(out, st.tmp.data + pos, e.start - pos);
		buf_puts(out, MD_REMOVED);
		pos = e.end;
	}
	buf_append(out, st.tmp.data + pos, st.tmp.len - pos);
	if (md_status(&st) == -1)
		goto done;
	rc = 0;
done:
	if (rc == -1) {
		out->len = start;
		if (out->data != NULL)
			out->data[start] = '\0';
		out->err = olderr;
	}
	md_state_free(&st);
	return rc;
}
