/* json.c: JSON text (RFC 8259) to and from val trees. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "extern.h"

#define JSON_MAX_DEPTH 64
/* Deeper trees than this are not JSON that we wrote; json_write stops. */
#define JSON_WRITE_MAX_DEPTH 256

struct json_parser {
	struct arena *a;
	const char *s;
	size_t len;
	size_t pos;
	struct buf scratch; /* decoded strings and number tokens */
	char *err;
	size_t errlen;
	int failed;
};

static struct val *json_parse_value(struct json_parser *, int);

/* Records the first error with its line and column; later ones are
 * consequences of it and dropped. */
static void
json_fail(struct json_parser *p, const char *msg)
{
	size_t i, line = 1, col = 1;

	if (p->failed)
		return;
	p->failed = 1;
	if (p->err == NULL || p->errlen == 0)
		return;
	for (i = 0; i < p->pos && i < p->len; i++) {
		if (p->s[i] == '\n') {
			line++;
			col = 1;
		} else
			col++;
	}
	snprintf(p->err, p->errlen, "line %zu, column %zu: %s", line, col, msg);
}

static void
json_skip_ws(struct json_parser *p)
{
	while (p->pos < p->len &&
	    (p->s[p->pos] == ' ' || p->s[p->pos] == '\t' ||
		p->s[p->pos] == '\n' || p->s[p->pos] == '\r'))
		p->pos++;
}

/* Reads the four hex digits after "\u" at p->pos. Returns 0 or -1. */
static int
json_hex4(struct json_parser *p, unsigned long *cp)
{
	size_t i;
	unsigned long v = 0;
	char c;

	if (p->len - p->pos < 4) {
		json_fail(p, "truncated \\u escape");
		return -1;
	}
	for (i = 0; i < 4; i++) {
		c = p->s[p->pos + i];
		v <<= 4;
		if (c >= '0' && c <= '9')
			v |= (unsigned long)(c - '0');
		else if (c >= 'a' && c <= 'f')
			v |= (unsigned long)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			v |= (unsigned long)(c - 'A' + 10);
		else {
			p->pos += i;
			json_fail(p, "bad hex digit in \\u escape");
			return -1;
		}
	}
	p->pos += 4;
	*cp = v;
	return 0;
}

/*
 * Decodes the string whose opening quote is at p->pos into p->scratch
 * (NUL-terminated there; it may hold NUL bytes from \u0000). Returns 0, or
 * -1 on a malformed string.
 */
static int
json_parse_string(struct json_parser *p)
{
	unsigned long cp, lo;
	size_t n, start;
	unsigned char c;

	buf_reset(&p->scratch);
	p->pos++; /* the opening quote */
	for (;;) {
		/* Copy the run of plain characters in one go. */
		start = p->pos;
		while (p->pos < p->len) {
			c = (unsigned char)p->s[p->pos];
			if (c == '"' || c == '\\' || c < 0x20)
				break;
			if (c < 0x80) {
				p->pos++;
				continue;
			}
			n = buf_utf8_len((const unsigned char *)p->s + p->pos,
			    p->len - p->pos);
			if (n == 0) {
				json_fail(p, "invalid UTF-8 in string");
				return -1;
			}
			p->pos += n;
		}
		buf_append(&p->scratch, p->s + start, p->pos - start);
		if (p->pos >= p->len) {
			json_fail(p, "unterminated string");
			return -1;
		}
		c = (unsigned char)p->s[p->pos];
		if (c == '"') {
			p->pos++;
			break;
		}
		if (c < 0x20) {
			json_fail(p, "control character in string");
			return -1;
		}
		/* A backslash. */
		if (++p->pos >= p->len) {
			json_fail(p, "unterminated string");
			return -1;
		}
		c = (unsigned char)p->s[p->pos++];
		switch (c) {
		case '"':
		case '\\':
		case '/':
			buf_putc(&p->scratch, c);
			break;
		case 'b':
			buf_putc(&p->scratch, '\b');
			break;
		case 'f':
			buf_putc(&p->scratch, '\f');
			break;
		case 'n':
			buf_putc(&p->scratch, '\n');
			break;
		case 'r':
			buf_putc(&p->scratch, '\r');
			break;
		case 't':
			buf_putc(&p->scratch, '\t');
			break;
		case 'u':
			if (json_hex4(p, &cp) == -1)
				return -1;
			if (cp >= 0xdc00 && cp <= 0xdfff) {
				p->pos -= 6;
				json_fail(
				    p, "lone low surrogate in \\u escape");
				return -1;
			}
			if (cp >= 0xd800 && cp <= 0xdbff) {
				if (p->len - p->pos < 2 ||
				    p->s[p->pos] != '\\' ||
				    p->s[p->pos + 1] != 'u') {
					json_fail(p,
					    "high surrogate without a "
					    "low surrogate");
					return -1;
				}
				p->pos += 2;
				if (json_hex4(p, &lo) == -1)
					return -1;
				if (lo < 0xdc00 || lo > 0xdfff) {
					p->pos -= 6;
					json_fail(p,
					    "high surrogate without a "
					    "low surrogate");
					return -1;
				}
				cp = 0x10000 + ((cp - 0xd800) << 10) +
				    (lo - 0xdc00);
			}
			buf_utf8(&p->scratch, cp);
			break;
		default:
			p->pos--;
			json_fail(p, "bad escape in string");
			return -1;
		}
	}
	if (p->scratch.err) {
		json_fail(p, "out of memory");
		return -1;
	}
	buf_cstr(&p->scratch);
	return 0;
}

static struct val *
json_parse_number(struct json_parser *p)
{
	size_t start = p->pos;
	double d;

	if (p->pos < p->len && p->s[p->pos] == '-')
		p->pos++;
	if (p->pos < p->len && p->s[p->pos] == '0')
		p->pos++;
	else if (p->pos < p->len && p->s[p->pos] >= '1' &&
	    p->s[p->pos] <= '9') {
		while (p->pos < p->len && p->s[p->pos] >= '0' &&
		    p->s[p->pos] <= '9')
			p->pos++;
	} else {
		json_fail(p, "bad number");
		return NULL;
	}
	if (p->pos < p->len && p->s[p->pos] == '.') {
		p->pos++;
		if (p->pos >= p->len || p->s[p->pos] < '0' ||
		    p->s[p->pos] > '9') {
			json_fail(p, "digit expected after decimal point");
			return NULL;
		}
		while (p->pos < p->len && p->s[p->pos] >= '0' &&
		    p->s[p->pos] <= '9')
			p->pos++;
	}
	if (p->pos < p->len && (p->s[p->pos] == 'e' || p->s[p->pos] == 'E')) {
		p->pos++;
		if (p->pos < p->len &&
		    (p->s[p->pos] == '+' || p->s[p->pos] == '-'))
			p->pos++;
		if (p->pos >= p->len || p->s[p->pos] < '0' ||
		    p->s[p->pos] > '9') {
			json_fail(p, "digit expected in exponent");
			return NULL;
		}
		while (p->pos < p->len && p->s[p->pos] >= '0' &&
		    p->s[p->pos] <= '9')
			p->pos++;
	}
	/* The token is not NUL-terminated in the input: copy it out. */
	buf_reset(&p->scratch);
	buf_append(&p->scratch, p->s + start, p->pos - start);
	if (p->scratch.err) {
		json_fail(p, "out of memory");
		return NULL;
	}
	d = strtod(buf_cstr(&p->scratch), NULL);
	if (!isfinite(d)) {
		p->pos = start;
		json_fail(p, "number out of range");
		return NULL;
	}
	return val_num(p->a, d);
}

static int
json_expect(struct json_parser *p, const char *word)
{
	size_t n = strlen(word);

	if (p->len - p->pos < n || memcmp(p->s + p->pos, word, n) != 0) {
		json_fail(p, "unexpected character");
		return -1;
	}
	p->pos += n;
	return 0;
}

static struct val *
json_parse_array(struct json_parser *p, int depth)
{
	struct val *l, *item;

	p->pos++; /* [ */
	l = val_list(p->a);
	json_skip_ws(p);
	if (p->pos < p->len && p->s[p->pos] == ']') {
		p->pos++;
		return l;
	}
	for (;;) {
		if ((item = json_parse_value(p, depth)) == NULL)
			return NULL;
		val_push(p->a, l, item);
		json_skip_ws(p);
		if (p->pos >= p->len) {
			json_fail(p, "unterminated array");
			return NULL;
		}
		if (p->s[p->pos] == ']') {
			p->pos++;
			return l;
		}
		if (p->s[p->pos] != ',') {
			json_fail(p, "',' or ']' expected");
			return NULL;
		}
		p->pos++;
	}
}

/*
 * Moves the n members in tmp into obj, keeping the first position and the
 * last value of a repeated key (as val_set() does), in linear time so a big
 * object is no denial of service. Returns 0 or -1 (out of memory).
 */
static int
json_obj_fill(
    struct arena *a, struct val *obj, const struct val_kv *tmp, size_t n)
{
	struct val_kv *kv;
	size_t *tab, size, i, j, m = 0;
	unsigned long h;

	if (n == 0)
		return 0;
	for (size = 16; size < n * 2; size *= 2)
		;
	if ((tab = calloc(size, sizeof(*tab))) == NULL)
		return -1;
	kv = arena_alloc(a, n * sizeof(*kv));
	for (i = 0; i < n; i++) {
		h = buf_hash(tmp[i].key);
		for (j = h & (size - 1); tab[j] != 0; j = (j + 1) & (size - 1))
			if (strcmp(kv[tab[j] - 1].key, tmp[i].key) == 0)
				break;
		if (tab[j] != 0)
			kv[tab[j] - 1].v = tmp[i].v;
		else {
			kv[m] = tmp[i];
			tab[j] = ++m;
		}
	}
	free(tab);
	obj->u.obj.kv = kv;
	obj->u.obj.n = m;
	obj->u.obj.cap = n;
	return 0;
}

static struct val *
json_parse_object(struct json_parser *p, int depth)
{
	struct val *o = NULL, *v;
	struct val_kv *tmp = NULL, *ntmp;
	size_t n = 0, cap = 0;
	const char *key;

	p->pos++; /* { */
	json_skip_ws(p);
	if (p->pos < p->len && p->s[p->pos] == '}') {
		p->pos++;
		return val_obj(p->a);
	}
	for (;;) {
		json_skip_ws(p);
		if (p->pos >= p->len || p->s[p->pos] != '"') {
			json_fail(p, "string key expected");
			goto done;
		}
		if (json_parse_string(p) == -1)
			goto done;
		if (memchr(p->scratch.data, '\0', p->scratch.len) != NULL) {
			json_fail(p, "NUL character in object key");
			goto done;
		}
		key = arena_strndup(p->a, p->scratch.data, p->scratch.len);
		json_skip_ws(p);
		if (p->pos >= p->len || p->s[p->pos] != ':') {
			json_fail(p, "':' expected");
			goto done;
		}
		p->pos++;
		if ((v = json_parse_value(p, depth)) == NULL)
			goto done;
		if (n == cap) {
			cap = cap ? cap * 2 : 8;
			if (cap > SIZE_MAX / sizeof(*tmp) ||
			    (ntmp = realloc(tmp, cap * sizeof(*tmp))) == NULL) {
				json_fail(p, "out of memory");
				goto done;
			}
			tmp = ntmp;
		}
		tmp[n].key = key;
		tmp[n].v = v;
		n++;
		json_skip_ws(p);
		if (p->pos >= p->len) {
			json_fail(p, "unterminated object");
			goto done;
		}
		if (p->s[p->pos] == '}') {
			p->pos++;
			break;
		}
		if (p->s[p->pos] != ',') {
			json_fail(p, "',' or '}' expected");
			goto done;
		}
		p->pos++;
	}
	o = val_obj(p->a);
	if (json_obj_fill(p->a, o, tmp, n) == -1) {
		json_fail(p, "out of memory");
		o = NULL;
	}
done:
	free(tmp);
	return o;
}

static struct val *
json_parse_value(struct json_parser *p, int depth)
{
	json_skip_ws(p);
	if (p->pos >= p->len) {
		json_fail(p, "unexpected end of input");
		return NULL;
	}
	switch (p->s[p->pos]) {
	case '{':
	case '[':
		if (depth >= JSON_MAX_DEPTH) {
			json_fail(p, "nesting deeper than 64 levels");
			return NULL;
		}
		if (p->s[p->pos] == '{')
			return json_parse_object(p, depth + 1);
		return json_parse_array(p, depth + 1);
	case '"':
		if (json_parse_string(p) == -1)
			return NULL;
		return val_strn(p->a, p->scratch.data, p->scratch.len);
	case 't':
		return json_expect(p, "true") == -1 ? NULL : val_bool(p->a, 1);
	case 'f':
		return json_expect(p, "false") == -1 ? NULL : val_bool(p->a, 0);
	case 'n':
		return json_expect(p, "null") == -1 ? NULL : val_null(p->a);
	case '-':
	case '0':
	case '1':
	case '2':
	case '3':
	case '4':
	case '5':
	case '6':
	case '7':
	case '8':
	case '9':
		return json_parse_number(p);
	default:
		json_fail(p, "unexpected character");
		return NULL;
	}
}

struct val *
json_parse(struct arena *a, const char *s, size_t len, char *err, size_t errlen)
{
	struct json_parser p;
	struct val *v;

	memset(&p, 0, sizeof(p));
	p.a = a;
	p.s = s;
	p.len = s == NULL ? 0 : len;
	p.err = err;
	p.errlen = errlen;
	buf_init(&p.scratch, 0);
	if (err != NULL && errlen > 0)
		err[0] = '\0';
	/* RFC 8259 lets a parser ignore a byte order mark. */
	if (p.len >= 3 && memcmp(s, "\xef\xbb\xbf", 3) == 0)
		p.pos = 3;
	if ((v = json_parse_value(&p, 0)) != NULL) {
		json_skip_ws(&p);
		if (p.pos < p.len) {
			json_fail(&p, "trailing characters after JSON value");
			v = NULL;
		}
	}
	buf_free(&p.scratch);
	return v;
}

/* Integers that a double holds exactly print without a fraction; other
 * numbers with the fewest digits that read back as the same double. */
static void
json_write_num(struct buf *b, double n)
{
	char tmp[40];
	int prec;

	if (!isfinite(n)) {
		buf_puts(b, "null"); /* JSON has no NaN or infinity */
		return;
	}
	if (n == 0) {
		buf_putc(b, '0');
		return;
	}
	if (n == floor(n) && fabs(n) < 9007199254740992.0) {
		buf_printf(b, "%.0f", n);
		return;
	}
	for (prec = 15; prec < 17; prec++) {
		snprintf(tmp, sizeof(tmp), "%.*g", prec, n);
		if (strtod(tmp, NULL) == n)
			break;
	}
	if (prec == 17)
		snprintf(tmp, sizeof(tmp), "%.17g", n);
	buf_puts(b, tmp);
}

/*
 * Writes s as a JSON string that is also safe inside HTML (< > & ' as
 * \u escapes, and U+2028/U+2029 for old script parsers). Bytes that are not
 * UTF-8 become U+FFFD so the output is always valid JSON.
 */
static void
json_write_str(struct buf *b, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *u = (const unsigned char *)s;
	size_t i, start = 0, l;
	char esc[7];

	buf_putc(b, '"');
	for (i = 0; i < n;) {
		if (u[i] >= 0x80) {
			l = buf_utf8_len(u + i, n - i);
			if (l == 3 && u[i] == 0xe2 && u[i + 1] == 0x80 &&
			    (u[i + 2] == 0xa8 || u[i + 2] == 0xa9)) {
				buf_append(b, s + start, i - start);
				buf_puts(b,
				    u[i + 2] == 0xa8 ? "\\u2028" : "\\u2029");
				start = i + 3;
			} else if (l == 0) {
				buf_append(b, s + start, i - start);
				buf_puts(b, "\\ufffd");
				start = i + 1;
				l = 1;
			}
			i += l;
			continue;
		}
		if (u[i] >= 0x20 && u[i] != '"' && u[i] != '\\' &&
		    u[i] != '<' && u[i] != '>' && u[i] != '&' && u[i] != '\'') {
			i++;
			continue;
		}
		buf_append(b, s + start, i - start);
		switch (u[i]) {
		case '"':
			buf_puts(b, "\\\"");
			break;
		case '\\':
			buf_puts(b, "\\\\");
			break;
		case '\b':
			buf_puts(b, "\\b");
			break;
		case '\f':
			buf_puts(b, "\\f");
			break;
		case '\n':
			buf_puts(b, "\\n");
			break;
		case '\r':
			buf_puts(b, "\\r");
			break;
		case '\t':
			buf_puts(b, "\\t");
			break;
		default:
			esc[0] = '\\';
			esc[1] = 'u';
			esc[2] = '0';
			esc[3] = '0';
			esc[4] = hex[u[i] >> 4];
			esc[5] = hex[u[i] & 15];
			buf_append(b, esc, 6);
			break;
		}
		start = ++i;
	}
	buf_append(b, s + start, n - start);
	buf_putc(b, '"');
}

static void
json_write_val(struct buf *b, const struct val *v, int depth)
{
	size_t i;

	if (depth > JSON_WRITE_MAX_DEPTH) {
		b->err = 1; /* a cycle or a runaway tree: fail the buffer */
		return;
	}
	if (v == NULL) {
		buf_puts(b, "null");
		return;
	}
	switch (v->type) {
	case VAL_BOOL:
		buf_puts(b, v->u.b ? "true" : "false");
		break;
	case VAL_NUM:
		json_write_num(b, v->u.n);
		break;
	case VAL_STR:
	case VAL_HTML:
		json_write_str(b, v->u.str.s, v->u.str.len);
		break;
	case VAL_LIST:
		buf_putc(b, '[');
		for (i = 0; i < v->u.list.n && !b->err; i++) {
			if (i > 0)
				buf_putc(b, ',');
			json_write_val(b, v->u.list.items[i], depth + 1);
		}
		buf_putc(b, ']');
		break;
	case VAL_OBJ:
		buf_putc(b, '{');
		for (i = 0; i < v->u.obj.n && !b->err; i++) {
			if (i > 0)
				buf_putc(b, ',');
			json_write_str(
			    b, v->u.obj.kv[i].key, strlen(v->u.obj.kv[i].key));
			buf_putc(b, ':');
			json_write_val(b, v->u.obj.kv[i].v, depth + 1);
		}
		buf_putc(b, '}');
		break;
	default:
		buf_puts(b, "null");
		break;
	}
}

void
json_write(struct buf *b, const struct val *v)
{
	json_write_val(b, v, 0);
}
