/* form.c: HTML form bodies: application/x-www-form-urlencoded and
 * multipart/form-data (RFC 7578) into a list of fields, in the arena. */
#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "extern.h"

#define FORM_MAX_FIELDS 512

static int
form_add(struct arena *a, struct form *f, const char *name, size_t nlen,
    const char *value, size_t vlen, const char *filename, const char *ctype)
{
	struct form_field *nf;

	if (f->n == FORM_MAX_FIELDS)
		return -1;
	if (f->n == f->cap) {
		f->cap = f->cap ? f->cap * 2 : 16;
		nf = arena_alloc(a, f->cap * sizeof(*nf));
		if (f->n)
			memcpy(nf, f->f, f->n * sizeof(*nf));
		f->f = nf;
	}
	nf = &f->f[f->n++];
	nf->name = arena_strndup(a, name, nlen);
	/* values are copied with a NUL after them; a value may hold NULs
	 * (a file), so len is the truth */
	nf->value = arena_alloc(a, vlen + 1);
	memcpy((char *)nf->value, value, vlen);
	nf->len = vlen;
	nf->filename = filename;
	nf->ctype = ctype;
	return 0;
}

static int
form_hex(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = tolower(c);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* Decodes + and %XX of s (n bytes) into the arena; *outlen its length. */
static char *
form_unescape(struct arena *a, const char *s, size_t n, size_t *outlen)
{
	char *out = arena_alloc(a, n + 1);
	size_t i, j = 0;
	int h, l;

	for (i = 0; i < n; i++) {
		if (s[i] == '+')
			out[j++] = ' ';
		else if (s[i] == '%' && i + 2 < n &&
		    (h = form_hex((unsigned char)s[i + 1])) >= 0 &&
		    (l = form_hex((unsigned char)s[i + 2])) >= 0) {
			out[j++] = (char)(h * 16 + l);
			i += 2;
		} else
			out[j++] = s[i];
	}
	out[j] = '\0';
	*outlen = j;
	return out;
}

static int
form_urlencoded(struct arena *a, const char *body, size_t len, struct form *f)
{
	const char *p = body, *end = body + len, *amp, *eq;
	char *name, *value;
	size_t nlen, vlen;

	while (p < end) {
		if ((amp = memchr(p, '&', (size_t)(end - p))) == NULL)
			amp = end;
		if (amp > p) {
			if ((eq = memchr(p, '=', (size_t)(amp - p))) == NULL)
				eq = amp;
			name = form_unescape(a, p, (size_t)(eq - p), &nlen);
			value = eq < amp ? form_unescape(a, eq + 1,
					       (size_t)(amp - eq - 1), &vlen)
					 : form_unescape(a, "", 0, &vlen);
			if (form_add(a, f, name, nlen, value, vlen, NULL,
				NULL) == -1)
				return -1;
		}
		p = amp + 1;
	}
	return 0;
}

/* The value of parameter key in a header value such as
 * 'form-data; name="x"; filename="y"' (quoted or token), or NULL. */
static char *
form_param(struct arena *a, const char *h, size_t n, const char *key)
{
	size_t klen = strlen(key), i = 0, j;
	struct buf b;
	char *out;

	while (i < n) {
		while (i < n && h[i] != ';')
			i++;
		if (i >= n)
			break;
		i++;
		while (i < n && (h[i] == ' ' || h[i] == '\t'))
			i++;
		if (n - i > klen && strncasecmp(h + i, key, klen) == 0 &&
		    h[i + klen] == '=') {
			i += klen + 1;
			buf_init(&b, 4096);
			if (i < n && h[i] == '"') {
				for (j = i + 1; j < n && h[j] != '"'; j++) {
					if (h[j] == '\\' && j + 1 < n)
						j++;
					buf_putc(&b, h[j]);
				}
				if (j >= n)
					b.err = 1; /* unterminated */
			} else
				for (j = i; j < n && h[j] != ';' && h[j] != ' ';
				     j++)
					buf_putc(&b, h[j]);
			out = b.err ? NULL : arena_strdup(a, buf_cstr(&b));
			if (out == NULL && !b.err)
				out = arena_strdup(a, "");
			buf_free(&b);
			return out;
		}
	}
	return NULL;
}

static int
form_multipart(struct arena *a, const char *ctype, const char *body, size_t len,
    struct form *f)
{
	const char *boundary, *p, *end = body + len, *hend, *next, *line;
	const char *disp = NULL, *pctype = NULL, *name, *filename;
	char *delim;
	size_t dlen, blen;

	boundary = form_param(a, ctype, strlen(ctype), "boundary");
	if (boundary == NULL || (blen = strlen(boundary)) == 0 || blen > 70)
		return -1;
	delim = arena_printf(a, "\r\n--%s", boundary);
	dlen = blen + 4;
	/* the first delimiter may open the body without the CRLF */
	if (len >= dlen - 2 && memcmp(body, delim + 2, dlen - 2) == 0)
		p = body + dlen - 2;
	else if ((p = buf_find(body, len, delim, dlen)) != NULL)
		p += dlen;
	else
		return -1;
	for (;;) {
		/* after a delimiter: "--" ends the body, else CRLF */
		if (end - p >= 2 && p[0] == '-' && p[1] == '-')
			return 0;
		while (p < end && (*p == ' ' || *p == '\t'))
			p++;
		if (end - p < 2 || p[0] != '\r' || p[1] != '\n')
			return -1;
		p += 2;
		if ((hend = buf_find(p, (size_t)(end - p), "\r\n\r\n", 4)) ==
		    NULL)
			hend = (end - p >= 2 && p[0] == '\r' && p[1] == '\n')
			    ? p
			    : NULL;
		if (hend == NULL)
			return -1;
		disp = pctype = NULL;
		for (line = p; line < hend;) {
			const char *eol = buf_find(
			    line, (size_t)(hend + 2 - line), "\r\n", 2);
			size_t ll;

			if (eol == NULL)
				eol = hend;
			ll = (size_t)(eol - line);
			if (ll > 20 &&
			    strncasecmp(line, "Content-Disposition:", 20) == 0)
				disp = arena_strndup(a, line + 20, ll - 20);
			else if (ll > 13 &&
			    strncasecmp(line, "Content-Type:", 13) == 0) {
				line += 13;
				ll -= 13;
				while (ll && (*line == ' ' || *line == '\t')) {
					line++;
					ll--;
				}
				pctype = arena_strndup(a, line, ll);
			}
			line = eol + 2;
		}
		p = hend == p ? p + 2 : hend + 4;
		if ((next = buf_find(p, (size_t)(end - p), delim, dlen)) ==
		    NULL)
			return -1;
		if (disp == NULL ||
		    (name = form_param(a, disp, strlen(disp), "name")) == NULL)
			return -1;
		filename = form_param(a, disp, strlen(disp), "filename");
		if (form_add(a, f, name, strlen(name), p, (size_t)(next - p),
			filename,
			filename ? (pctype ? pctype : "") : NULL) == -1)
			return -1;
		p = next + dlen;
	}
}

int
form_parse(struct arena *a, const char *ctype, const char *body, size_t len,
    struct form *out)
{
	struct form f;

	memset(&f, 0, sizeof(f));
	if (ctype == NULL)
		ctype = "application/x-www-form-urlencoded";
	while (*ctype == ' ')
		ctype++;
	if (strncasecmp(ctype, "application/x-www-form-urlencoded", 33) == 0) {
		if (form_urlencoded(a, body, len, &f) == -1)
			return -1;
	} else if (strncasecmp(ctype, "multipart/form-data", 19) == 0) {
		if (form_multipart(a, ctype, body, len, &f) == -1)
			return -1;
	} else
		return -1;
	*out = f;
	return 0;
}

const struct form_field *
form_field(const struct form *f, const char *name)
{
	size_t i;

	for (i = 0; f != NULL && i < f->n; i++)
		if (strcmp(f->f[i].name, name) == 0)
			return &f->f[i];
	return NULL;
}

const char *
form_get(const struct form *f, const char *name)
{
	const struct form_field *ff = form_field(f, name);

	if (ff == NULL || ff->filename != NULL ||
	    memchr(ff->value, '\0', ff->len) != NULL)
		return NULL;
	return ff->value;
}
