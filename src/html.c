/* html.c: escaping helpers, one per output context; nothing reaches HTML
 * any other way. */
#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "extern.h"

void
html_text(struct buf *b, const char *s, size_t n)
{
	size_t i, start = 0;
	const char *rep;

	for (i = 0; i < n; i++) {
		switch (s[i]) {
		case '&':
			rep = "&amp;";
			break;
		case '<':
			rep = "&lt;";
			break;
		case '>':
			rep = "&gt;";
			break;
		case '"':
			rep = "&quot;";
			break;
		case '\'':
			rep = "&#39;";
			break;
		case '\0':
			rep = "\xef\xbf\xbd"; /* U+FFFD: NUL never reaches HTML */
			break;
		default:
			continue;
		}
		buf_append(b, s + start, i - start);
		buf_puts(b, rep);
		start = i + 1;
	}
	buf_append(b, s + start, n - start);
}

void
html_attr(struct buf *b, const char *s, size_t n)
{
	size_t i, start = 0;
	unsigned char c;

	for (i = 0; i < n; i++) {
		c = (unsigned char)s[i];
		if (c != '`' && c != '=' && (c >= 0x20 || c == '\t') &&
		    c != '&' && c != '<' && c != '>' && c != '"' && c != '\'')
			continue;
		html_text(b, s + start, i - start);
		if (c == '&' || c == '<' || c == '>' || c == '"' || c == '\'' ||
		    c == '\0')
			html_text(b, s + i, 1);
		else
			buf_printf(b, "&#%u;", c);
		start = i + 1;
	}
	html_text(b, s + start, n - start);
}

int
html_url_ok(const char *s, size_t n)
{
	size_t i, j;
	char scheme[16];

	/* Browsers ignore leading spaces and strip tabs and newlines inside
	 * the scheme, so judge the URL as they would read it. */
	for (i = 0; i < n && (unsigned char)s[i] <= 0x20; i++)
		;
	/* Read on past a long first segment: "annual-report-2024/x" is a
	 * relative URL however long its first segment is. */
	for (j = 0; i < n; i++) {
		if (s[i] == '\t' || s[i] == '\n' || s[i] == '\r')
			continue;
		if (s[i] == ':')
			break;
		if (s[i] == '/' || s[i] == '?' || s[i] == '#')
			return 1; /* no scheme: relative */
		if (j < sizeof(scheme) - 1)
			scheme[j] = (char)tolower((unsigned char)s[i]);
		j++;
	}
	if (i >= n)
		return 1; /* no colon at all: relative */
	if (j > sizeof(scheme) - 1)
		return 0; /* scheme too long to be one we allow */
	scheme[j] = '\0';
	return strcmp(scheme, "http") == 0 || strcmp(scheme, "https") == 0 ||
	    strcmp(scheme, "mailto") == 0;
}

void
html_url(struct buf *b, const char *s, size_t n)
{
	if (!html_url_ok(s, n)) {
		buf_putc(b, '#');
		return;
	}
	html_attr(b, s, n);
}

void
html_pct(struct buf *b, const char *s, size_t n)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t i;
	unsigned char c;

	for (i = 0; i < n; i++) {
		c = (unsigned char)s[i];
		if (isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~')
			buf_putc(b, c);
		else {
			buf_putc(b, '%');
			buf_putc(b, hex[c >> 4]);
			buf_putc(b, hex[c & 15]);
		}
	}
}

void
html_slug(struct buf *b, const char *s, size_t n)
{
	size_t i, start = b->len;
	int dash = 0;
	unsigned char c;

	for (i = 0; i < n; i++) {
		c = (unsigned char)s[i];
		if (isalnum(c)) {
			if (dash && b->len > start)
				buf_putc(b, '-');
			dash = 0;
			buf_putc(b, tolower(c));
		} else if (c == '\'' || c == 0xe2) {
			/* apostrophes (and the start of a typographic one,
			 * U+2019) join words: "women's" -> "womens" */
			if (c == 0xe2 && i + 2 < n &&
			    (unsigned char)s[i + 1] == 0x80 &&
			    (unsigned char)s[i + 2] == 0x99)
				i += 2;
			else if (c == 0xe2)
				dash = 1;
		} else if (c >= 0x80) {
			/* other non-ASCII: drop a whole UTF-8 sequence */
			dash = 1;
			while (i + 1 < n && ((unsigned char)s[i + 1] & 0xc0) == 0x80)
				i++;
		} else
			dash = 1;
	}
}
