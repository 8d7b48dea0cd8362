/* fuzz_md.c: libFuzzer driver for md.c; checks that no input gets raw HTML,
 * an unsafe URL or an e-mail address into the output.
 *
 * clang -g -O1 -fsanitize=fuzzer,address,undefined -std=c17 \
 *     -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE -Isrc \
 *     $(pkg-config --cflags md4c) -o build/fuzz_md fuzz/fuzz_md.c \
 *     src/md.c src/html.c src/buf.c $(pkg-config --libs md4c)
 * mkdir -p build/fuzz-md-corpus
 * build/fuzz_md -max_total_time=60 -artifact_prefix=build/ \
 *     build/fuzz-md-corpus tests/golden/md
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "extern.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void
fuzz_fail(const char *why, const char *html, size_t len)
{
	fprintf(
	    stderr, "fuzz_md: %s\n--- output ---\n%.*s\n", why, (int)len, html);
	abort();
}

static int
fuzz_token(void *arg, const char *addr, char *tok, size_t toklen)
{
	uint32_t h = 2166136261u;

	(void)arg;
	for (; *addr != '\0'; addr++) {
		h ^= (unsigned char)*addr;
		h *= 16777619u;
	}
	if ((h & 7) == 0)
		return -1; /* sometimes there is no token */
	snprintf(tok, toklen, "tok-%08x", (unsigned)h);
	return 0;
}

/* Every address reported must be lowercase and hold an '@'. */
static void
fuzz_seen(void *arg, const char *addr)
{
	const char *p;

	(void)arg;
	if (strchr(addr, '@') == NULL)
		fuzz_fail("seen an address without @", addr, strlen(addr));
	for (p = addr; *p != '\0'; p++)
		if (*p >= 'A' && *p <= 'Z')
			fuzz_fail("seen an address in upper case", addr,
			    strlen(addr));
}

static void
fuzz_found(void *arg, const char *addr)
{
	*(const char **)arg = addr[0] ? "address" : "empty address";
}

/* Aborts when plain text s holds an address. */
static void
fuzz_no_email(
    const char *what, const char *s, size_t len, const char *html, size_t hlen)
{
	const char *found = NULL;

	md_find_emails(s, len, fuzz_found, &found);
	if (found != NULL) {
		fprintf(stderr, "fuzz_md: %s holds an address: %.*s\n", what,
		    (int)len, s);
		fuzz_fail("address in output", html, hlen);
	}
}

/* Appends s[0..n) with the entities our escaping writes decoded. */
static void
fuzz_unescape(struct buf *b, const char *s, size_t n)
{
	size_t i, j;
	unsigned long cp;

	for (i = 0; i < n; i++) {
		if (s[i] != '&') {
			buf_putc(b, s[i]);
			continue;
		}
		if (n - i >= 5 && memcmp(s + i, "&amp;", 5) == 0) {
			buf_putc(b, '&');
			i += 4;
		} else if (n - i >= 4 && memcmp(s + i, "&lt;", 4) == 0) {
			buf_putc(b, '<');
			i += 3;
		} else if (n - i >= 4 && memcmp(s + i, "&gt;", 4) == 0) {
			buf_putc(b, '>');
			i += 3;
		} else if (n - i >= 6 && memcmp(s + i, "&quot;", 6) == 0) {
			buf_putc(b, '"');
			i += 5;
		} else if (n - i >= 3 && s[i + 1] == '#') {
			for (cp = 0, j = i + 2;
			     j < n && s[j] >= '0' && s[j] <= '9' && cp < 256;
			     j++)
				cp = cp * 10 + (unsigned long)(s[j] - '0');
			if (j < n && s[j] == ';' && cp < 128) {
				buf_putc(b, (int)cp);
				i = j;
			} else
				buf_putc(b, '&');
		} else
			buf_putc(b, '&');
	}
}

static int
fuzz_in(const char *s, size_t n, const char *const *list)
{
	for (; *list != NULL; list++)
		if (strlen(*list) == n && memcmp(*list, s, n) == 0)
			return 1;
	return 0;
}

/* 1 when URL s has the mailto scheme, read as a browser reads it. */
static int
fuzz_mailto(const char *s)
{
	const char *want = "mailto:";

	while (*s != '\0' && (unsigned char)*s <= 0x20)
		s++;
	for (; *s != '\0' && *want != '\0'; s++) {
		if (*s == '\t' || *s == '\n' || *s == '\r')
			continue;
		if ((*s | 0x20) != *want++)
			return 0;
	}
	return *want == '\0';
}

/* Checks one tag s[0..n) ("<...>"): known name and attributes, safe URLs;
 * attribute values go to vals (unescaped, one per line). */
static void
fuzz_tag(
    const char *s, size_t n, struct buf *vals, const char *html, size_t hlen)
{
	static const char *const tags[] = {"p", "h1", "h2", "h3", "h4", "h5",
	    "h6", "ul", "ol", "li", "blockquote", "pre", "code", "em", "strong",
	    "del", "a", "img", "table", "thead", "tbody", "tr", "th", "td",
	    "hr", "br", "button", NULL};
	static const char *const attrs[] = {"href", "src", "alt", "title",
	    "class", "loading", "start", "type", "form", "name", "value", NULL};
	struct buf v;
	size_t i = 1, k, a, vs;

	if (i < n && s[i] == '/')
		i++;
	for (k = i; k < n && s[k] >= 'a' && s[k] <= 'z'; k++)
		;
	while (k < n && s[k] >= '1' && s[k] <= '6')
		k++;
	if (!fuzz_in(s + i, k - i, tags))
		fuzz_fail("unknown tag", html, hlen);
	for (i = k; i < n - 1;) {
		if (s[i] == ' ') {
			i++;
			continue;
		}
		for (a = i; i < n && s[i] >= 'a' && s[i] <= 'z'; i++)
			;
		if (!fuzz_in(s + a, i - a, attrs))
			fuzz_fail("unknown attribute", html, hlen);
		if (i + 1 >= n || s[i] != '=' || s[i + 1] != '"')
			fuzz_fail("attribute without quoted value", html, hlen);
		for (vs = i += 2; i < n && s[i] != '"'; i++)
			if (s[i] == '<' || s[i] == '>' || s[i] == '\'' ||
			    s[i] == '`')
				fuzz_fail(
				    "raw character in attribute", html, hlen);
		if (i >= n)
			fuzz_fail("unterminated attribute", html, hlen);
		buf_init(&v, 0);
		fuzz_unescape(&v, s + vs, i - vs);
		buf_cstr(&v);
		if ((a + 4 == vs - 2 && memcmp(s + a, "href", 4) == 0) ||
		    (a + 3 == vs - 2 && memcmp(s + a, "src", 3) == 0)) {
			if (!html_url_ok(v.data, v.len))
				fuzz_fail("unsafe URL", html, hlen);
			if (fuzz_mailto(v.data))
				fuzz_fail("mailto URL", html, hlen);
		}
		buf_append(vals, v.data, v.len);
		buf_putc(vals, '\n');
		buf_free(&v);
		i++;
	}
}

/* Checks rendered HTML: tags and attributes we write, safe URLs, and no
 * address in the text (tags stripped) or in an attribute. */
static void
fuzz_check_html(const char *h, size_t n)
{
	struct buf text, vals;
	size_t i, j, ts = 0;

	buf_init(&text, 0);
	buf_init(&vals, 0);
	for (i = 0; i < n; i++) {
		if (h[i] == '>')
			fuzz_fail("stray >", h, n);
		if (h[i] != '<')
			continue;
		fuzz_unescape(&text, h + ts, i - ts);
		for (j = i; j < n && h[j] != '>'; j++)
			;
		if (j >= n)
			fuzz_fail("unterminated tag", h, n);
		fuzz_tag(h + i, j + 1 - i, &vals, h, n);
		i = j;
		ts = j + 1;
	}
	fuzz_unescape(&text, h + ts, n - ts);
	buf_cstr(&text);
	buf_cstr(&vals);
	fuzz_no_email("text", text.data, text.len, h, n);
	fuzz_no_email("attributes", vals.data, vals.len, h, n);
	fuzz_no_email("raw HTML", h, n, h, n);
	buf_free(&text);
	buf_free(&vals);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct md_opts opts;
	struct buf out, small;
	const char *src = (const char *)data;
	size_t i;

	memset(&opts, 0, sizeof(opts));
	opts.hashtag_base = "/tags/";
	opts.email_token = fuzz_token;
	opts.email_seen = fuzz_seen;
	opts.inline_only = size > 0 && (data[0] & 1);
	opts.heading_shift = size > 0 ? (data[0] >> 1) % 8 - 2 : 0;

	buf_init(&out, 0);
	if (md_to_html(src, size, &opts, &out) != 0)
		fuzz_fail("md_to_html failed", "", 0);
	buf_cstr(&out);
	fuzz_check_html(out.data, out.len);
	buf_free(&out);

	/* A tiny cap: fails cleanly, leaving the buffer as it was. */
	buf_init(&small, 64);
	buf_puts(&small, "keep");
	if (md_to_html(src, size, &opts, &small) == -1 &&
	    (small.len != 4 || small.err || memcmp(small.data, "keep", 4)))
		fuzz_fail(
		    "failed call changed the buffer", small.data, small.len);
	buf_free(&small);

	buf_init(&out, 0);
	if (md_to_text(src, size, &out) != 0)
		fuzz_fail("md_to_text failed", "", 0);
	buf_cstr(&out);
	fuzz_no_email("plain text", out.data, out.len, out.data, out.len);
	for (i = 0; i < out.len; i++)
		if ((out.data[i] == ' ' &&
			(i == 0 || i + 1 == out.len ||
			    out.data[i + 1] == ' ')) ||
		    out.data[i] == '\n' || out.data[i] == '\t')
			fuzz_fail(
			    "white space not collapsed", out.data, out.len);
	buf_free(&out);

	md_find_emails(src, size, fuzz_seen, NULL);
	return 0;
}
