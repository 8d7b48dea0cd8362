/* tmpl.c: mustache templates (spec core + inheritance), parsed once into
 * node trees and rendered with escaping chosen by where each tag sits in
 * the HTML. */
#include <ctype.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "extern.h"

#define TMPL_MAX_DEPTH 64
#define TMPL_MAX_SIZE ((size_t)1 << 20)
#define TMPL_DELIM_MAX 15
/* Nodes one render may visit: nested sections over lists can take
 * exponential time without writing a byte, so the buffer cap alone does not
 * bound a render. A big page visits some ten thousand, 4M take 0.5 s. */
#define TMPL_MAX_STEPS ((long)1 << 22)

/*
 * Where a variable tag sits in the HTML, found by a small tokenizer that
 * reads the template's literal text in document order.
 */
enum tmpl_ctx {
	CTX_TEXT, /* between tags, also in <title> and <textarea> */
	CTX_TAG,  /* inside a tag but not in a value: <div {{x}}> */
	CTX_ATTR, /* in an attribute value */
	CTX_URL,  /* in the value of href, src, action, ... */
	CTX_JS,	  /* in an on* handler or an attribute with a variable name */
	CTX_RAW,  /* in <script>, <style>, or a comment */
};

/* Flags of a variable in an attribute value. */
#define VF_UNQUOTED 0x1 /* value without quotes: white space escaped too */
#define VF_VSTART 0x2	/* right after '=': an empty value becomes "" */
#define VF_FIXED 0x4	/* URL: literal text before fixed the scheme */

enum tnode_type {
	TN_TEXT,
	TN_VAR,
	TN_SECTION,
	TN_INVERTED,
	TN_PARTIAL,
	TN_PARENT,
	TN_BLOCK,
};

/* A parsed template node; all of them live in the template's arena. */
struct tnode {
	enum tnode_type type;
	struct tnode *next;
	struct tnode *child; /* section or block content; parent: its blocks */
	const char *s;	     /* text; the name of a partial, parent, block */
	size_t len;
	const char **parts; /* var and section name split at dots */
	size_t nparts;	    /* 0: the implicit iterator "." */
	const char *ind;    /* indentation added to each line rendered */
	size_t indlen;
	int standalone; /* the tag's line was removed: content starts a line */
	int reset;	/* partial or parent inline: outer indentation stops */
	int raw;	/* {{{x}}} or {{&x}} */
	enum tmpl_ctx ctx;
	unsigned vflags;
};

struct tmpl {
	char *name;
	struct arena *a; /* holds the name copy in the set's array and nodes */
	struct tnode *root;
};

struct tmpl_set {
	struct tmpl **v;
	size_t n, cap;
};

/* ---- the HTML tokenizer ------------------------------------------------ */

enum hst {
	H_TEXT,
	H_RCDATA,
	H_RAWTEXT,
	H_TAG_OPEN,
	H_END_TAG_OPEN,
	H_TAG_NAME,
	H_BEFORE_ATTR_NAME,
	H_ATTR_NAME,
	H_AFTER_ATTR_NAME,
	H_BEFORE_VALUE,
	H_VALUE_DQ,
	H_VALUE_SQ,
	H_VALUE_UQ,
	H_AFTER_VALUE_Q,
	H_SELF_CLOSING,
	H_MARKUP1, /* "<!" */
	H_MARKUP2, /* "<!-" */
	H_COMMENT,
	H_BOGUS, /* <!DOCTYPE ...>, <? ...>: up to '>' */
};

struct hstate {
	enum hst st;
	char tag[12]; /* lowercase name of the current tag */
	size_t taglen;
	int tagbad; /* too long, or partly a variable */
	int endtag;
	char attr[16]; /* lowercase prefix of the current attribute name */
	size_t attrlen;
	int attrdyn;	    /* the name holds a variable */
	enum tmpl_ctx vctx; /* of the current attribute's value */
	int fixed;    /* URL value: scheme already fixed by literal text */
	int fixdepth; /* section depth where it got fixed */
	const char *endname; /* "script" ... in RAWTEXT and RCDATA */
	size_t m;	     /* how much of "</endname" matched */
	int dashes;	     /* comment: '-' seen in a row */
	int bang;	     /* comment: "--!" seen */
};

static int
tmpl_html_ws(int c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f';
}

static void
tmpl_html_attr_start(struct hstate *h)
{
	h->attrlen = 0;
	h->attrdyn = 0;
	h->st = H_ATTR_NAME;
}

static void
tmpl_html_attr_char(struct hstate *h, int c)
{
	if (h->attrlen < sizeof(h->attr) - 1)
		h->attr[h->attrlen++] = (char)tolower(c);
}

/* After '=': the value's context follows from the attribute's name. */
static void
tmpl_html_value_start(struct hstate *h)
{
	static const char *const url[] = {"href", "src", "action", "formaction",
	    "cite", "poster", "data", "srcset", "xlink:href"};
	size_t i;

	h->attr[h->attrlen] = '\0';
	h->vctx = CTX_ATTR;
	h->fixed = 0;
	if (h->attrdyn ||
	    (h->attrlen >= 2 && h->attr[0] == 'o' && h->attr[1] == 'n'))
		h->vctx = CTX_JS;
	else
		for (i = 0; i < sizeof(url) / sizeof(url[0]); i++)
			if (strcmp(h->attr, url[i]) == 0)
				h->vctx = CTX_URL;
	h->st = H_BEFORE_VALUE;
}

static void
tmpl_html_value_char(struct hstate *h, int c, int depth)
{
	if (h->vctx == CTX_URL && !h->fixed &&
	    (c == ':' || c == '/' || c == '?' || c == '#')) {
		h->fixed = 1;
		h->fixdepth = depth;
	}
}

/* At the '>' closing a tag: <script> and <style> hold raw text, <title>
 * and <textarea> escapable text where tags mean nothing. */
static void
tmpl_html_tag_end(struct hstate *h)
{
	static const char *const raw[] = {"script", "style"};
	static const char *const rc[] = {"title", "textarea"};
	size_t i;

	h->st = H_TEXT;
	if (h->endtag || h->tagbad)
		return;
	h->tag[h->taglen] = '\0';
	for (i = 0; i < 2; i++) {
		if (strcmp(h->tag, raw[i]) == 0) {
			h->st = H_RAWTEXT;
			h->endname = raw[i];
		} else if (strcmp(h->tag, rc[i]) == 0) {
			h->st = H_RCDATA;
			h->endname = rc[i];
		}
	}
	h->m = 0;
}

/* In RAWTEXT or RCDATA: looks for "</name" then a white space, '/' or '>'. */
static void
tmpl_html_end_match(struct hstate *h, int c)
{
	size_t n = strlen(h->endname);

	if (h->m == 0)
		h->m = c == '<';
	else if (h->m == 1)
		h->m = c == '/' ? 2 : c == '<';
	else if (h->m - 2 < n) {
		if (tolower(c) == h->endname[h->m - 2])
			h->m++;
		else
			h->m = c == '<';
	} else if (tmpl_html_ws(c) || c == '/' || c == '>') {
		h->m = 0;
		h->endtag = 1;
		h->st = c == '>' ? H_TEXT : H_BEFORE_ATTR_NAME;
	} else
		h->m = c == '<';
}

static void
tmpl_html_char(struct hstate *h, int c, int depth)
{
again:
	switch (h->st) {
	case H_TEXT:
		if (c == '<')
			h->st = H_TAG_OPEN;
		break;
	case H_RCDATA:
	case H_RAWTEXT:
		tmpl_html_end_match(h, c);
		break;
	case H_TAG_OPEN:
		if (isalpha(c)) {
			h->endtag = 0;
			h->taglen = 0;
			h->tagbad = 0;
			h->st = H_TAG_NAME;
			goto again;
		} else if (c == '!')
			h->st = H_MARKUP1;
		else if (c == '/')
			h->st = H_END_TAG_OPEN;
		else if (c == '?')
			h->st = H_BOGUS;
		else {
			h->st = H_TEXT;
			goto again;
		}
		break;
	case H_END_TAG_OPEN:
		if (isalpha(c)) {
			h->endtag = 1;
			h->taglen = 0;
			h->tagbad = 0;
			h->st = H_TAG_NAME;
			goto again;
		}
		h->st = c == '>' ? H_TEXT : H_BOGUS;
		break;
	case H_TAG_NAME:
		if (tmpl_html_ws(c))
			h->st = H_BEFORE_ATTR_NAME;
		else if (c == '/')
			h->st = H_SELF_CLOSING;
		else if (c == '>')
			tmpl_html_tag_end(h);
		else if (h->taglen < sizeof(h->tag) - 1)
			h->tag[h->taglen++] = (char)tolower(c);
		else
			h->tagbad = 1;
		break;
	case H_BEFORE_ATTR_NAME:
		if (tmpl_html_ws(c))
			break;
		if (c == '/')
			h->st = H_SELF_CLOSING;
		else if (c == '>')
			tmpl_html_tag_end(h);
		else {
			tmpl_html_attr_start(h);
			tmpl_html_attr_char(h, c);
		}
		break;
	case H_ATTR_NAME:
		if (tmpl_html_ws(c))
			h->st = H_AFTER_ATTR_NAME;
		else if (c == '/')
			h->st = H_SELF_CLOSING;
		else if (c == '=')
			tmpl_html_value_start(h);
		else if (c == '>')
			tmpl_html_tag_end(h);
		else
			tmpl_html_attr_char(h, c);
		break;
	case H_AFTER_ATTR_NAME:
		if (tmpl_html_ws(c))
			break;
		if (c == '/')
			h->st = H_SELF_CLOSING;
		else if (c == '=')
			tmpl_html_value_start(h);
		else if (c == '>')
			tmpl_html_tag_end(h);
		else {
			tmpl_html_attr_start(h);
			tmpl_html_attr_char(h, c);
		}
		break;
	case H_BEFORE_VALUE:
		if (tmpl_html_ws(c))
			break;
		if (c == '"')
			h->st = H_VALUE_DQ;
		else if (c == '\'')
			h->st = H_VALUE_SQ;
		else if (c == '>')
			tmpl_html_tag_end(h);
		else {
			h->st = H_VALUE_UQ;
			goto again;
		}
		break;
	case H_VALUE_DQ:
	case H_VALUE_SQ:
		if (c == (h->st == H_VALUE_DQ ? '"' : '\''))
			h->st = H_AFTER_VALUE_Q;
		else
			tmpl_html_value_char(h, c, depth);
		break;
	case H_VALUE_UQ:
		if (tmpl_html_ws(c))
			h->st = H_BEFORE_ATTR_NAME;
		else if (c == '>')
			tmpl_html_tag_end(h);
		else
			tmpl_html_value_char(h, c, depth);
		break;
	case H_AFTER_VALUE_Q:
		if (tmpl_html_ws(c))
			h->st = H_BEFORE_ATTR_NAME;
		else if (c == '/')
			h->st = H_SELF_CLOSING;
		else if (c == '>')
			tmpl_html_tag_end(h);
		else {
			h->st = H_BEFORE_ATTR_NAME;
			goto again;
		}
		break;
	case H_SELF_CLOSING:
		if (c == '>')
			tmpl_html_tag_end(h);
		else {
			h->st = H_BEFORE_ATTR_NAME;
			goto again;
		}
		break;
	case H_MARKUP1:
		if (c == '-')
			h->st = H_MARKUP2;
		else {
			h->st = H_BOGUS;
			goto again;
		}
		break;
	case H_MARKUP2:
		if (c == '-') {
			/* Counting the two dashes of "<!--" also ends the
			 * comment at "<!-->" and "<!--->", as browsers do. */
			h->st = H_COMMENT;
			h->dashes = 2;
			h->bang = 0;
		} else {
			h->st = H_BOGUS;
			goto again;
		}
		break;
	case H_COMMENT:
		if (c == '>' && (h->dashes >= 2 || h->bang))
			h->st = H_TEXT;
		else if (c == '-') {
			h->dashes++;
			h->bang = 0;
		} else {
			h->bang = c == '!' && h->dashes >= 2;
			h->dashes = 0;
		}
		break;
	case H_BOGUS:
		if (c == '>')
			h->st = H_TEXT;
		break;
	}
}

static void
tmpl_html_feed(struct hstate *h, const char *s, size_t n, int depth)
{
	size_t i;

	for (i = 0; i < n; i++)
		tmpl_html_char(h, (unsigned char)s[i], depth);
}

/* A variable tag here: returns its context (and flags in *vf) and moves the
 * state past the text the variable will write. */
static enum tmpl_ctx
tmpl_html_var(struct hstate *h, unsigned *vf)
{
	*vf = 0;
	switch (h->st) {
	case H_TEXT:
	case H_RCDATA:
		return CTX_TEXT;
	case H_TAG_OPEN:
	case H_END_TAG_OPEN:
		h->endtag = h->st == H_END_TAG_OPEN;
		h->taglen = 0;
		h->tagbad = 1;
		h->st = H_TAG_NAME;
		return CTX_TAG;
	case H_TAG_NAME:
		h->tagbad = 1;
		return CTX_TAG;
	case H_BEFORE_ATTR_NAME:
	case H_AFTER_ATTR_NAME:
	case H_AFTER_VALUE_Q:
	case H_SELF_CLOSING:
		tmpl_html_attr_start(h);
		h->attrdyn = 1;
		return CTX_TAG;
	case H_ATTR_NAME:
		h->attrdyn = 1;
		return CTX_TAG;
	case H_BEFORE_VALUE:
		h->st = H_VALUE_UQ;
		*vf = VF_UNQUOTED | VF_VSTART;
		return h->vctx;
	case H_VALUE_DQ:
	case H_VALUE_SQ:
		*vf = h->fixed ? VF_FIXED : 0;
		return h->vctx;
	case H_VALUE_UQ:
		*vf = VF_UNQUOTED | (h->fixed ? VF_FIXED : 0);
		return h->vctx;
	case H_MARKUP1:
	case H_MARKUP2:
		h->st = H_BOGUS;
		return CTX_RAW;
	default:
		return CTX_RAW;
	}
}

/* ---- parsing ----------------------------------------------------------- */

enum tframe_kind {
	F_ROOT,
	F_SECTION, /* also inverted sections */
	F_PBLOCK,  /* a block outside a parent: a parameter with a default */
	F_PARENT,  /* only its blocks count; other content is dropped */
	F_ABLOCK,  /* a block in a parent: an argument */
	F_IGNORED, /* a section or parent inside a parent, outside blocks */
};

struct tframe {
	enum tframe_kind kind;
	struct tnode *node;  /* NULL for F_ROOT and F_IGNORED */
	struct tnode **tail; /* where the next child goes */
	const char *name;
	size_t namelen;
	int line;
	int lclear, rclear; /* of the opening tag */
	const char *ows;    /* white space before the opening tag */
	size_t owslen;
	const char *intr; /* block: white space opening the next line */
	size_t intrlen;
	struct tnode *wsnode; /* parent: the text holding ows */
	const char *strip;    /* argument block: removed from its lines */
	size_t striplen;
};

struct tparse {
	struct arena *a;
	const char *name;
	const char *src;
	size_t len;
	size_t pos;
	size_t lnpos; /* line counting: lnno is the line of src[lnpos] */
	int lnno;
	char otag[TMPL_DELIM_MAX + 1], ctag[TMPL_DELIM_MAX + 1];
	size_t olen, clen;
	struct tframe fr[TMPL_MAX_DEPTH + 1];
	int nfr;
	struct hstate h;
	char *err;
	size_t errlen;
};

static void tmpl_parse_fail(struct tparse *, int, const char *, ...)
    __attribute__((format(printf, 3, 4)));

static void
tmpl_parse_fail(struct tparse *tp, int line, const char *fmt, ...)
{
	va_list ap;
	char msg[256];

	if (tp->err == NULL || tp->errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	snprintf(tp->err, tp->errlen, "%s:%d: %s", tp->name, line, msg);
}

/* The first match of pat in src[from, len), or len when there is none. */
static size_t
tmpl_find(
    const char *src, size_t len, size_t from, const char *pat, size_t plen)
{
	const char *p;

	while (from < len && len - from >= plen) {
		if ((p = memchr(src + from, pat[0], len - from - plen + 1)) ==
		    NULL)
			break;
		if (memcmp(p, pat, plen) == 0)
			return (size_t)(p - src);
		from = (size_t)(p - src) + 1;
	}
	return len;
}

static int
tmpl_line_at(struct tparse *tp, size_t at)
{
	for (; tp->lnpos < at; tp->lnpos++)
		if (tp->src[tp->lnpos] == '\n')
			tp->lnno++;
	return tp->lnno;
}

static int
tmpl_space(int c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static struct tframe *
tmpl_top(struct tparse *tp)
{
	return &tp->fr[tp->nfr - 1];
}

/* Content outside the blocks of a parent is dropped. */
static int
tmpl_ignoring(struct tparse *tp)
{
	return tmpl_top(tp)->kind == F_PARENT ||
	    tmpl_top(tp)->kind == F_IGNORED;
}

static void
tmpl_add(struct tparse *tp, struct tnode *n)
{
	struct tframe *f = tmpl_top(tp);

	*f->tail = n;
	f->tail = &n->next;
}

static struct tnode *
tmpl_node(struct tparse *tp, enum tnode_type type)
{
	struct tnode *n = arena_alloc(tp->a, sizeof(*n));

	n->type = type;
	return n;
}

/* The indentation removed from the lines of the innermost argument block
 * ("" outside of one). */
static void
tmpl_strip_of(struct tparse *tp, const char **s, size_t *n)
{
	int i;

	*s = "";
	*n = 0;
	for (i = tp->nfr - 1; i >= 0; i--)
		if (tp->fr[i].kind == F_ABLOCK) {
			*s = tp->fr[i].strip;
			*n = tp->fr[i].striplen;
			return;
		}
}

/* White space src[from, to) as indentation, less the part that the
 * enclosing argument block removes from its lines. */
static void
tmpl_indent(
    struct tparse *tp, size_t from, size_t to, const char **s, size_t *n)
{
	const char *strip;
	size_t striplen, k = 0;

	tmpl_strip_of(tp, &strip, &striplen);
	while (k < striplen && from + k < to && tp->src[from + k] == strip[k])
		k++;
	*s = arena_strndup(tp->a, tp->src + from + k, to - from - k);
	*n = to - from - k;
}

/* The white space opening the line at src[at]. */
static size_t
tmpl_lead_ws(struct tparse *tp, size_t at)
{
	size_t e = at;

	while (e < tp->len && (tp->src[e] == ' ' || tp->src[e] == '\t'))
		e++;
	return e;
}

/* Adds the literal text src[from, to) to the current node list, less the
 * indentation of an enclosing argument block. Returns the new node, or NULL
 * when nothing was added. */
static struct tnode *
tmpl_text(struct tparse *tp, size_t from, size_t to)
{
	struct tnode *n;
	const char *strip;
	size_t striplen, i = from, k, o = 0;
	char *s;
	int bol;

	if (from >= to || tmpl_ignoring(tp))
		return NULL;
	tmpl_strip_of(tp, &strip, &striplen);
	s = arena_alloc(tp->a, to - from + 1);
	bol = from == 0 || tp->src[from - 1] == '\n';
	while (i < to) {
		if (bol)
			for (k = 0;
			     k < striplen && i < to && tp->src[i] == strip[k];
			     k++)
				i++;
		if (i >= to)
			break;
		bol = tp->src[i] == '\n';
		s[o++] = tp->src[i++];
	}
	if (o == 0)
		return NULL;
	n = tmpl_node(tp, TN_TEXT);
	n->s = s;
	n->len = o;
	tmpl_add(tp, n);
	return n;
}

/* Splits a variable or section name at its dots ("." alone: no parts). */
static void
tmpl_name_parts(struct tparse *tp, struct tnode *n, const char *s, size_t len)
{
	size_t i, k, start;

	if (len == 1 && s[0] == '.')
		return;
	n->nparts = 1;
	for (i = 0; i < len; i++)
		if (s[i] == '.')
			n->nparts++;
	n->parts = arena_alloc(tp->a, n->nparts * sizeof(*n->parts));
	for (i = start = k = 0; i <= len; i++)
		if (i == len || s[i] == '.') {
			n->parts[k++] =
			    arena_strndup(tp->a, s + start, i - start);
			start = i + 1;
		}
}

/* Parses "{{=<% %>=}}" content. Returns 0 or -1. */
static int
tmpl_set_delims(struct tparse *tp, const char *s, size_t len)
{
	size_t i = 0, o, on, c, cn;

	while (i < len && tmpl_space(s[i]))
		i++;
	for (o = i; i < len && !tmpl_space(s[i]); i++)
		;
	on = i - o;
	while (i < len && tmpl_space(s[i]))
		i++;
	for (c = i; i < len && !tmpl_space(s[i]); i++)
		;
	cn = i - c;
	while (i < len && tmpl_space(s[i]))
		i++;
	if (i != len || on == 0 || cn == 0 || on > TMPL_DELIM_MAX ||
	    cn > TMPL_DELIM_MAX || memchr(s + o, '=', on) != NULL ||
	    memchr(s + c, '=', cn) != NULL)
		return -1;
	memcpy(tp->otag, s + o, on);
	tp->otag[on] = '\0';
	tp->olen = on;
	memcpy(tp->ctag, s + c, cn);
	tp->ctag[cn] = '\0';
	tp->clen = cn;
	return 0;
}

static int
tmpl_push(struct tparse *tp, enum tframe_kind kind, struct tnode *n,
    const char *name, size_t namelen, int line)
{
	struct tframe *f;

	if (tp->nfr > TMPL_MAX_DEPTH) {
		tmpl_parse_fail(
		    tp, line, "sections nested deeper than %d", TMPL_MAX_DEPTH);
		return -1;
	}
	f = &tp->fr[tp->nfr++];
	memset(f, 0, sizeof(*f));
	f->kind = kind;
	f->node = n;
	f->tail = n != NULL ? &n->child : NULL;
	f->name = name;
	f->namelen = namelen;
	f->line = line;
	f->ows = f->intr = f->strip = "";
	return 0;
}

/* Trims the white space that ends a text node (the indentation of a
 * standalone parent tag pair). */
static void
tmpl_trim_ws(struct tnode *n)
{
	while (
	    n->len > 0 && (n->s[n->len - 1] == ' ' || n->s[n->len - 1] == '\t'))
		n->len--;
}

/*
 * One pass over the source. Standalone lines (a tag alone on its line but
 * for white space) are removed as the spec says; blocks and parents follow
 * the spec's reindentation rules: an argument block's tag clearing the line
 * end removes that newline and its content loses the indentation of its
 * first line; a parameter block's content, when replaced, takes the
 * indentation of its default's first line, or else of its tag pair.
 */
static int
tmpl_parse_run(struct tparse *tp)
{
	struct tframe *f;
	struct tnode *n, *ws;
	size_t t, p, q, e, ls, r, rend, nb, ne;
	int line, lclear, rclear, standalone, ign, kind;
	char close[TMPL_DELIM_MAX + 2];
	unsigned vf;
	enum tmpl_ctx ctx;

	for (;;) {
		t = tmpl_find(tp->src, tp->len, tp->pos, tp->otag, tp->olen);
		tmpl_html_feed(&tp->h, tp->src + tp->pos, t - tp->pos, tp->nfr);
		if (t == tp->len) {
			tmpl_text(tp, tp->pos, t);
			break;
		}
		line = tmpl_line_at(tp, t);
		p = t + tp->olen;
		kind = p < tp->len ? (unsigned char)tp->src[p] : 0;
		if (kind == 0 || strchr("{=#^/!><$&", kind) == NULL)
			kind = 0;
		else
			p++;
		/* "{{{x}}}" ends at "}}}", "{{=<% %>=}}" at "=}}". */
		close[0] = kind == '{' ? '}' : '=';
		memcpy(close + 1, tp->ctag, tp->clen);
		if (kind == '{' || kind == '=')
			q = tmpl_find(tp->src, tp->len, p, close, tp->clen + 1);
		else
			q = tmpl_find(tp->src, tp->len, p, tp->ctag, tp->clen);
		if (q >= tp->len) {
			tmpl_parse_fail(tp, line, "unclosed tag");
			return -1;
		}
		e = q + tp->clen + (kind == '{' || kind == '=');
		/* The name, trimmed. */
		for (nb = p; nb < q && tmpl_space(tp->src[nb]); nb++)
			;
		for (ne = q; ne > nb && tmpl_space(tp->src[ne - 1]); ne--)
			;
		if (nb == ne && kind != '!' && kind != '=') {
			tmpl_parse_fail(tp, line, "empty tag name");
			return -1;
		}

		/* Does the tag clear its line to the left, to the right? */
		for (ls = t; ls > tp->pos &&
		     (tp->src[ls - 1] == ' ' || tp->src[ls - 1] == '\t');
		     ls--)
			;
		lclear = ls == 0 || tp->src[ls - 1] == '\n';
		for (r = e;
		     r < tp->len && (tp->src[r] == ' ' || tp->src[r] == '\t');
		     r++)
			;
		rclear = 1;
		if (r == tp->len)
			rend = r;
		else if (tp->src[r] == '\n')
			rend = r + 1;
		else if (tp->src[r] == '\r' && r + 1 < tp->len &&
		    tp->src[r + 1] == '\n')
			rend = r + 2;
		else {
			rclear = 0;
			rend = e;
		}
		standalone =
		    kind != 0 && kind != '{' && kind != '&' && lclear && rclear;
		f = tmpl_top(tp);
		ign = tmpl_ignoring(tp);

		switch (kind) {
		case 0:
		case '{':
		case '&':
			tmpl_text(tp, tp->pos, t);
			ctx = tmpl_html_var(&tp->h, &vf);
			if (ign)
				break;
			n = tmpl_node(tp, TN_VAR);
			n->raw = kind != 0;
			n->ctx = ctx;
			n->vflags = vf;
			tmpl_name_parts(tp, n, tp->src + nb, ne - nb);
			tmpl_add(tp, n);
			break;
		case '!':
			tmpl_text(tp, tp->pos, standalone ? ls : t);
			break;
		case '=':
			tmpl_text(tp, tp->pos, standalone ? ls : t);
			if (tmpl_set_delims(tp, tp->src + p, q - p) == -1) {
				tmpl_parse_fail(tp, line, "bad delimiter");
				return -1;
			}
			break;
		case '>':
			tmpl_text(tp, tp->pos, standalone ? ls : t);
			if (ign)
				break;
			n = tmpl_node(tp, TN_PARTIAL);
			n->s = arena_strndup(tp->a, tp->src + nb, ne - nb);
			n->len = ne - nb;
			n->standalone = standalone;
			n->reset = !standalone;
			if (standalone)
				tmpl_indent(tp, ls, t, &n->ind, &n->indlen);
			tmpl_add(tp, n);
			break;
		case '#':
		case '^':
			tmpl_text(tp, tp->pos, standalone ? ls : t);
			n = NULL;
			if (!ign) {
				n = tmpl_node(
				    tp, kind == '#' ? TN_SECTION : TN_INVERTED);
				tmpl_name_parts(tp, n, tp->src + nb, ne - nb);
				tmpl_add(tp, n);
			}
			if (tmpl_push(tp, ign ? F_IGNORED : F_SECTION, n,
				tp->src + nb, ne - nb, line) == -1)
				return -1;
			break;
		case '<':
			/* Whether the pair stands alone is known at the
			 * closing tag; until then the white space stays. */
			standalone = 0;
			ws = tmpl_text(tp, tp->pos, t);
			n = NULL;
			if (!ign) {
				n = tmpl_node(tp, TN_PARENT);
				n->s =
				    arena_strndup(tp->a, tp->src + nb, ne - nb);
				n->len = ne - nb;
				tmpl_add(tp, n);
			}
			if (tmpl_push(tp, ign ? F_IGNORED : F_PARENT, n,
				tp->src + nb, ne - nb, line) == -1)
				return -1;
			f = tmpl_top(tp);
			f->lclear = lclear;
			f->wsnode = lclear && ls < t ? ws : NULL;
			if (lclear)
				tmpl_indent(tp, ls, t, &f->ows, &f->owslen);
			break;
		case '$':
			if (f->kind == F_PARENT) {
				/* An argument: its left side lies in the
				 * dropped content of the parent. */
				standalone = 0;
				n = tmpl_node(tp, TN_BLOCK);
				n->s =
				    arena_strndup(tp->a, tp->src + nb, ne - nb);
				n->len = ne - nb;
				tmpl_add(tp, n);
				if (tmpl_push(tp, F_ABLOCK, n, tp->src + nb,
					ne - nb, line) == -1)
					return -1;
				if (rclear) {
					f = tmpl_top(tp);
					f->strip = tp->src + rend;
					f->striplen =
					    tmpl_lead_ws(tp, rend) - rend;
					tp->pos = rend;
					continue;
				}
				break;
			}
			tmpl_text(tp, tp->pos, standalone ? ls : t);
			n = NULL;
			if (!ign) {
				n = tmpl_node(tp, TN_BLOCK);
				n->s =
				    arena_strndup(tp->a, tp->src + nb, ne - nb);
				n->len = ne - nb;
				tmpl_add(tp, n);
			}
			if (tmpl_push(tp, ign ? F_IGNORED : F_PBLOCK, n,
				tp->src + nb, ne - nb, line) == -1)
				return -1;
			f = tmpl_top(tp);
			f->lclear = lclear;
			f->rclear = rclear;
			if (lclear)
				tmpl_indent(tp, ls, t, &f->ows, &f->owslen);
			if (rclear)
				tmpl_indent(tp, rend, tmpl_lead_ws(tp, rend),
				    &f->intr, &f->intrlen);
			break;
		case '/':
			if (tp->nfr == 1) {
				tmpl_parse_fail(tp, line,
				    "closing tag %.*s without a section",
				    (int)(ne - nb), tp->src + nb);
				return -1;
			}
			if (f->namelen != ne - nb ||
			    memcmp(f->name, tp->src + nb, ne - nb) != 0) {
				tmpl_parse_fail(tp, line,
				    "closing tag %.*s does not match "
				    "section %.*s of line %d",
				    (int)(ne - nb), tp->src + nb,
				    (int)f->namelen, f->name, f->line);
				return -1;
			}
			if (f->kind == F_ABLOCK) {
				/* Its right side lies in the dropped
				 * content of the parent. */
				standalone = 0;
				tmpl_text(tp, tp->pos, lclear ? ls : t);
			} else if (f->kind == F_PARENT) {
				standalone = f->lclear && rclear;
				if (standalone) {
					f->node->standalone = 1;
					f->node->ind = f->ows;
					f->node->indlen = f->owslen;
					if (f->wsnode != NULL)
						tmpl_trim_ws(f->wsnode);
				} else
					f->node->reset = 1;
			} else
				tmpl_text(tp, tp->pos, standalone ? ls : t);
			if (f->kind == F_PBLOCK) {
				n = f->node;
				n->standalone = f->lclear && f->rclear;
				if (f->rclear) {
					n->ind = f->intr;
					n->indlen = f->intrlen;
				} else if (f->lclear && rclear) {
					n->ind = f->ows;
					n->indlen = f->owslen;
				}
			}
			/* A URL scheme fixed in the section's text may not
			 * have been written. */
			if (tp->h.fixed && tp->h.fixdepth >= tp->nfr)
				tp->h.fixed = 0;
			tp->nfr--;
			break;
		}
		tp->pos = standalone ? rend : e;
	}
	if (tp->nfr > 1) {
		f = tmpl_top(tp);
		tmpl_parse_fail(tp, f->line, "unclosed section %.*s",
		    (int)f->namelen, f->name);
		return -1;
	}
	return 0;
}

static void
tmpl_free(struct tmpl *t)
{
	if (t == NULL)
		return;
	arena_free(t->a);
	free(t);
}

/* Parses src into a new template; the caller frees it with tmpl_free().
 * Returns NULL with a message in err on failure. */
static struct tmpl *
tmpl_parse(
    const char *name, const char *src, size_t len, char *err, size_t errlen)
{
	struct tmpl *t = NULL;
	struct tparse *tp;
	struct tnode *root = NULL;

	if ((tp = calloc(1, sizeof(*tp))) == NULL) {
		snprintf(err, errlen, "%s:0: out of memory", name);
		return NULL;
	}
	if (len > TMPL_MAX_SIZE) {
		snprintf(err, errlen, "%s:1: template larger than 1 MiB", name);
		goto done;
	}
	if ((t = calloc(1, sizeof(*t))) == NULL) {
		snprintf(err, errlen, "%s:0: out of memory", name);
		goto done;
	}
	t->a = arena_new();
	t->name = arena_strdup(t->a, name);
	tp->a = t->a;
	tp->name = name;
	tp->src = src != NULL ? src : "";
	tp->len = src != NULL ? len : 0;
	tp->lnno = 1;
	tp->err = err;
	tp->errlen = errlen;
	memcpy(tp->otag, "{{", 3);
	memcpy(tp->ctag, "}}", 3);
	tp->olen = tp->clen = 2;
	tp->nfr = 1;
	tp->fr[0].kind = F_ROOT;
	tp->fr[0].tail = &root;
	tp->fr[0].name = tp->fr[0].ows = tp->fr[0].intr = "";
	tp->fr[0].strip = "";
	if (tmpl_parse_run(tp) == -1) {
		tmpl_free(t);
		t = NULL;
		goto done;
	}
	t->root = root;
done:
	free(tp);
	return t;
}

/* ---- the set ----------------------------------------------------------- */

struct tmpl_set *
tmpl_set_new(void)
{
	return calloc(1, sizeof(struct tmpl_set));
}

void
tmpl_set_free(struct tmpl_set *set)
{
	size_t i;

	if (set == NULL)
		return;
	for (i = 0; i < set->n; i++)
		tmpl_free(set->v[i]);
	free(set->v);
	free(set);
}

static struct tmpl *
tmpl_get(const struct tmpl_set *set, const char *name)
{
	size_t i;

	for (i = 0; i < set->n; i++)
		if (strcmp(set->v[i]->name, name) == 0)
			return set->v[i];
	return NULL;
}

int
tmpl_set_has(const struct tmpl_set *set, const char *name)
{
	return set != NULL && name != NULL && tmpl_get(set, name) != NULL;
}

int
tmpl_set_add(struct tmpl_set *set, const char *name, const char *src,
    size_t len, char *err, size_t errlen)
{
	struct tmpl *t, **v;
	char dummy[1];
	size_t i, ncap;

	if (err == NULL || errlen == 0) {
		err = dummy;
		errlen = sizeof(dummy);
	}
	err[0] = '\0';
	if (set == NULL || name == NULL) {
		snprintf(err, errlen, "?:0: no set or no name");
		return -1;
	}
	if ((t = tmpl_parse(name, src, len, err, errlen)) == NULL)
		return -1;
	for (i = 0; i < set->n; i++)
		if (strcmp(set->v[i]->name, name) == 0) {
			tmpl_free(set->v[i]);
			set->v[i] = t;
			return 0;
		}
	if (set->n == set->cap) {
		ncap = set->cap ? set->cap * 2 : 16;
		if (ncap > SIZE_MAX / sizeof(*v) ||
		    (v = realloc(set->v, ncap * sizeof(*v))) == NULL) {
			snprintf(err, errlen, "%s:0: out of memory", name);
			tmpl_free(t);
			return -1;
		}
		set->v = v;
		set->cap = ncap;
	}
	set->v[set->n++] = t;
	return 0;
}

/* ---- rendering --------------------------------------------------------- */

/* The context stack, innermost first; frames live on the C stack. */
struct tctx {
	const struct val *v;
	const struct tctx *up;
};

/* Indentation of the lines rendered, innermost first. */
struct tind {
	const char *s;
	size_t len;
	int reset; /* inline partial: nothing further out applies */
	const struct tind *up;
};

/* The parents being rendered, innermost first; their blocks override. */
struct tovr {
	const struct tnode *parent;
	const struct tovr *up;
};

struct trender {
	const struct tmpl_set *set;
	unsigned flags;
	struct buf *out;
	int depth;
	long steps;
	int bol; /* at the start of a template line: indent what comes */
	const struct tind *ind;
	const struct tovr *ovr;
};

static int tmpl_render_nodes(
    struct trender *, const struct tnode *, const struct tctx *);

static const struct val *
tmpl_lookup(const struct tnode *n, const struct tctx *c)
{
	const struct val *v = NULL;
	size_t i;

	if (n->nparts == 0)
		return c != NULL ? c->v : NULL;
	for (; c != NULL; c = c->up)
		if ((v = val_get(c->v, n->parts[0])) != NULL)
			break;
	for (i = 1; v != NULL && i < n->nparts; i++)
		v = val_get(v, n->parts[i]);
	return v;
}

static void
tmpl_put_ind(struct trender *r, const struct tind *i)
{
	if (i == NULL || i->reset)
		return;
	tmpl_put_ind(r, i->up);
	buf_append(r->out, i->s, i->len);
}

/* Literal text: each line that starts here, unless empty, is indented. */
static void
tmpl_put_text(struct trender *r, const char *s, size_t n)
{
	const char *nl;
	size_t i = 0, j;

	while (i < n) {
		if (r->bol) {
			if (s[i] != '\n' &&
			    !(s[i] == '\r' && i + 1 < n && s[i + 1] == '\n'))
				tmpl_put_ind(r, r->ind);
			r->bol = 0;
		}
		nl = memchr(s + i, '\n', n - i);
		j = nl != NULL ? (size_t)(nl - s) + 1 : n;
		buf_append(r->out, s + i, j - i);
		r->bol = nl != NULL;
		i = j;
	}
}

/* An unquoted attribute value ends at white space: escape that too. */
static void
tmpl_attr_uq(struct buf *b, const char *s, size_t n)
{
	size_t i, start = 0;

	for (i = 0; i < n; i++) {
		if (s[i] != ' ' && s[i] != '\t')
			continue;
		html_attr(b, s + start, i - start);
		buf_puts(b, s[i] == ' ' ? "&#32;" : "&#9;");
		start = i + 1;
	}
	html_attr(b, s + start, n - start);
}

static void
tmpl_put_var(struct trender *r, const struct tnode *n, const struct val *v)
{
	enum { OUT_NONE, OUT_RAW, OUT_TEXT, OUT_ATTR, OUT_URL } how;
	const char *s = NULL;
	size_t len = 0;
	char num[64];
	int strict = (r->flags & TMPL_STRICT) != 0, empty_quotes;

	if (v != NULL) {
		switch (v->type) {
		case VAL_STR:
		case VAL_HTML:
			s = v->u.str.s;
			len = v->u.str.len;
			break;
		case VAL_NUM:
			snprintf(num, sizeof(num), "%.15g", v->u.n);
			s = num;
			len = strlen(num);
			break;
		case VAL_BOOL:
			s = v->u.b ? "true" : "false";
			len = strlen(s);
			break;
		default:
			break;
		}
	}

	if (n->raw && !strict)
		how = OUT_RAW;
	else if (n->ctx == CTX_RAW || n->ctx == CTX_JS)
		how = strict		? OUT_NONE
		    : n->ctx == CTX_RAW ? OUT_TEXT
					: OUT_ATTR;
	else if (n->raw && v != NULL && v->type == VAL_HTML)
		how = OUT_RAW;
	else if (n->ctx == CTX_TEXT)
		how = OUT_TEXT;
	else if (n->ctx == CTX_URL && !(n->vflags & VF_FIXED))
		how = OUT_URL;
	else
		how = OUT_ATTR;

	/* "<a href={{x}} title=t>" must not turn into href="title=t". */
	empty_quotes = (len == 0 || how == OUT_NONE) && how != OUT_RAW &&
	    (n->vflags & VF_VSTART);
	if (!empty_quotes && (how == OUT_NONE || len == 0))
		return;
	if (r->bol) {
		tmpl_put_ind(r, r->ind);
		r->bol = 0;
	}
	if (empty_quotes) {
		buf_puts(r->out, "\"\"");
		return;
	}
	switch (how) {
	case OUT_RAW:
		buf_append(r->out, s, len);
		break;
	case OUT_TEXT:
		html_text(r->out, s, len);
		break;
	case OUT_URL:
		if (!html_url_ok(s, len)) {
			buf_putc(r->out, '#');
			break;
		}
		/* FALLTHROUGH */
	default:
		if (n->vflags & VF_UNQUOTED)
			tmpl_attr_uq(r->out, s, len);
		else
			html_attr(r->out, s, len);
		break;
	}
}

/* The argument for block name from the outermost parent that passes one:
 * the top-level template's wins over those of the parents it extends. */
static const struct tnode *
tmpl_override(const struct trender *r, const char *name)
{
	const struct tovr *o;
	const struct tnode *b, *found = NULL;

	for (o = r->ovr; o != NULL; o = o->up)
		for (b = o->parent->child; b != NULL; b = b->next)
			if (strcmp(b->s, name) == 0) {
				found = b;
				break;
			}
	return found;
}

/* Renders the partial or parent n, indented as its tag says. */
static int
tmpl_render_include(
    struct trender *r, const struct tnode *n, const struct tctx *c)
{
	const struct tmpl *t;
	struct tind ind;
	struct tovr ovr;
	const struct tind *oldind = r->ind;
	const struct tovr *oldovr = r->ovr;
	int rc;

	if ((t = tmpl_get(r->set, n->s)) == NULL)
		return 0; /* the spec: a missing partial renders as "" */
	if (n->reset && r->bol) {
		/* An inline partial's first line is a line of ours. */
		tmpl_put_ind(r, r->ind);
		r->bol = 0;
	}
	ind.s = n->ind != NULL ? n->ind : "";
	ind.len = n->indlen;
	ind.reset = n->reset;
	ind.up = r->ind;
	r->ind = &ind;
	if (n->standalone)
		r->bol = 1;
	if (n->type == TN_PARENT) {
		ovr.parent = n;
		ovr.up = r->ovr;
		r->ovr = &ovr;
	}
	rc = tmpl_render_nodes(r, t->root, c);
	r->ind = oldind;
	r->ovr = oldovr;
	return rc;
}

/* A block: the argument given by a parent, reindented, or its default. */
static int
tmpl_render_block(
    struct trender *r, const struct tnode *n, const struct tctx *c)
{
	const struct tnode *arg;
	struct tind ind;
	const struct tind *oldind = r->ind;
	int rc;

	if ((arg = tmpl_override(r, n->s)) == NULL)
		return tmpl_render_nodes(r, n->child, c);
	ind.s = n->ind != NULL ? n->ind : "";
	ind.len = n->indlen;
	ind.reset = 0;
	ind.up = r->ind;
	r->ind = &ind;
	if (n->standalone)
		r->bol = 1;
	rc = tmpl_render_nodes(r, arg->child, c);
	r->ind = oldind;
	return rc;
}

static int
tmpl_render_section(
    struct trender *r, const struct tnode *n, const struct tctx *c)
{
	const struct val *v = tmpl_lookup(n, c);
	struct tctx top;
	size_t i;

	if (n->type == TN_INVERTED)
		return val_truthy(v) ? 0 : tmpl_render_nodes(r, n->child, c);
	if (!val_truthy(v))
		return 0;
	top.up = c;
	if (v->type != VAL_LIST) {
		top.v = v;
		return tmpl_render_nodes(r, n->child, &top);
	}
	for (i = 0; i < v->u.list.n; i++) {
		top.v = v->u.list.items[i];
		if (tmpl_render_nodes(r, n->child, &top) == -1)
			return -1;
	}
	return 0;
}

static int
tmpl_render_nodes(
    struct trender *r, const struct tnode *n, const struct tctx *c)
{
	int rc = 0;

	/* The template itself plus 64 levels of sections, partials,
	 * parents and blocks. */
	if (r->depth > TMPL_MAX_DEPTH)
		return -1;
	r->depth++;
	for (; n != NULL && rc == 0; n = n->next) {
		if (++r->steps > TMPL_MAX_STEPS) {
			rc = -1;
			break;
		}
		switch (n->type) {
		case TN_TEXT:
			tmpl_put_text(r, n->s, n->len);
			break;
		case TN_VAR:
			tmpl_put_var(r, n, tmpl_lookup(n, c));
			break;
		case TN_SECTION:
		case TN_INVERTED:
			rc = tmpl_render_section(r, n, c);
			break;
		case TN_PARTIAL:
		case TN_PARENT:
			rc = tmpl_render_include(r, n, c);
			break;
		case TN_BLOCK:
			rc = tmpl_render_block(r, n, c);
			break;
		}
		if (r->out->err)
			rc = -1;
	}
	r->depth--;
	return rc;
}

int
tmpl_render(const struct tmpl_set *set, const char *name, const struct val *ctx,
    unsigned flags, struct buf *out)
{
	const struct tmpl *t;
	struct trender r;
	struct tctx top;
	size_t start = out->len;

	if (set == NULL || name == NULL || (t = tmpl_get(set, name)) == NULL)
		return -1;
	memset(&r, 0, sizeof(r));
	r.set = set;
	r.flags = flags;
	r.out = out;
	r.bol = 1;
	top.v = ctx;
	top.up = NULL;
	if (tmpl_render_nodes(&r, t->root, &top) == -1) {
		/* Leave out as it was (its err stays set on overflow). */
		out->len = start;
		if (out->data != NULL)
			out->data[start] = '\0';
		return -1;
	}
	return 0;
}
