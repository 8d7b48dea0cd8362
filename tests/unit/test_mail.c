/* test_mail.c: e-mail messages: address checks, header encoding (RFC
 * 2047, no header injection), quoted-printable bodies that decode back,
 * line lengths, the multipart layout, refusals. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "extern.h"
#include "unit.h"

static void
test_mail_addresses(void)
{
	static const struct {
		const char *addr;
		int ok;
	} cases[] = {
	    {"reader@example.org", 1},
	    {"first.last+tag@sub.example.org", 1},
	    {"", 0},
	    {"no-at.example.org", 0},
	    {"a@b@example.org", 0},
	    {"a@example.org\r\nBcc: x@example.org", 0},
	    {"a@example.org\nBcc: x", 0},
	    {"a@example.org\r", 0},
	    {"\xc3\xbc"
	     "nic\xc3\xb6"
	     "de@example.org",
		0},
	    {"bad\xff@example.org", 0},
	    {"a b@example.org", 0},
	    {"<a@example.org>", 0},
	    {"a@example", 0},
	};
	char err[256], longaddr[400];
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		err[0] = '\0';
		CHECK((mail_addr_check(cases[i].addr, err, sizeof(err)) == 0) ==
			cases[i].ok,
		    "address %zu", i);
		if (!cases[i].ok)
			CHECK(err[0] != '\0' && strchr(err, '\n') == NULL,
			    "address %zu: one line why", i);
	}
	memset(longaddr, 'a', 290);
	memcpy(longaddr + 290, "@example.org", 13);
	CHECK(mail_addr_check(longaddr, err, sizeof(err)) == -1 &&
		strstr(err, "long") != NULL,
	    "a 300-character address is too long: %s", err);
}

/* Decodes quoted-printable text (CRLF lines) into out. */
static void
unit_qp_decode(const char *s, size_t n, struct buf *out)
{
	size_t i;
	unsigned v;

	for (i = 0; i < n; i++) {
		if (s[i] == '=' && i + 2 < n && s[i + 1] == '\r' &&
		    s[i + 2] == '\n') {
			i += 2;
			continue;
		}
		if (s[i] == '=' && i + 2 < n &&
		    sscanf(s + i + 1, "%2x", &v) == 1) {
			buf_putc(out, (int)v);
			i += 2;
			continue;
		}
		if (s[i] == '\r' && i + 1 < n && s[i + 1] == '\n') {
			buf_putc(out, '\n');
			i++;
			continue;
		}
		buf_putc(out, s[i]);
	}
}

/* The decoded words of an encoded header value (=?UTF-8?B?...?= runs). */
static void
unit_words_decode(const char *v, struct buf *out)
{
	const char *p = v, *e;
	unsigned char bin[256];
	size_t n;

	while ((p = strstr(p, "=?UTF-8?B?")) != NULL) {
		p += 10;
		if ((e = strstr(p, "?=")) == NULL)
			return;
		if (sodium_base642bin(bin, sizeof(bin), p, (size_t)(e - p),
			NULL, &n, NULL, sodium_base64_VARIANT_ORIGINAL) == 0)
			buf_append(out, bin, n);
		p = e + 2;
	}
}

/* The longest line of s, in bytes without its CRLF; *bare counts LFs
 * without a CR before them. */
static size_t
unit_longest(const char *s, int *bare)
{
	size_t max = 0, cur = 0;

	*bare = 0;
	for (; *s; s++) {
		if (*s == '\n') {
			if (cur == 0 || s[-1] != '\r')
				(*bare)++;
			if (cur > 0)
				cur--; /* the CR */
			if (cur > max)
				max = cur;
			cur = 0;
		} else
			cur++;
	}
	return cur > max ? cur : max;
}

static void
test_mail_build(void)
{
	static const char subject[] =
	    "Nouvelles \xe2\x80\x94 \xd0\x91\xd0\xb5"
	    "\xd0\xbb\xd0\xb0\xd1\x80\xd1\x83\xd1\x81"
	    "\xd1\x8c \xf0\x9f\x8c\x8d & \xe0\xb9\x84"
	    "\xe0\xb8\x97\xe0\xb8\xa2 and a long tail "
	    "of words to fold over more than one "
	    "encoded word of seventy-five characters";
	static const char text[] =
	    "Caf\xc3\xa9 = 100%\nA line with trailing space \n"
	    ".starts with a dot\nFrom the start\n"
	    "0123456789012345678901234567890123456789012345678901234567890123"
	    "4567890123456789012345678901234567890123456789 long\n";
	struct mail_msg m;
	struct buf b, d;
	const char *hdr_end, *body, *p;
	int bare;

	memset(&m, 0, sizeof(m));
	m.from_name = "Global Alliance Against Traffic in Women";
	m.from = "news@example.org";
	m.to = "reader@example.org";
	m.subject = subject;
	m.message_id = "<abc123@example.org>";
	m.date = 1795000000;
	m.text = text;
	m.html = "<p>Caf\xc3\xa9</p>";
	m.list_unsubscribe = "https://example.org/unsubscribe?t=1.0.ff";
	m.list_id = "newsletter.example.org";
	buf_init(&b, 0);
	CHECK(mail_build(&m, &b) == 0, "builds");
	CHECK(strncmp(b.data, "Date: ", 6) == 0, "Date first");
	CHECK(strstr(b.data, "\r\nDate: ") == NULL &&
		strstr(b.data, "Date: Wed, 18 Nov 2026 11:06:40 +0000\r\n") !=
		    NULL,
	    "an RFC 5322 date: %.40s", b.data);
	CHECK(
	    strstr(b.data, "\r\nMessage-ID: <abc123@example.org>\r\n") != NULL,
	    "Message-ID");
	CHECK(strstr(b.data,
		  "\r\nList-Unsubscribe: <https://example.org/"
		  "unsubscribe?t=1.0.ff>\r\n") != NULL &&
		strstr(b.data,
		    "\r\nList-Unsubscribe-Post: List-Unsubscribe="
		    "One-Click\r\n") != NULL,
	    "RFC 8058 headers");
	CHECK(strstr(b.data, "multipart/alternative") != NULL &&
		strstr(b.data, "Content-Type: text/plain; charset=utf-8") &&
		strstr(b.data, "Content-Type: text/html; charset=utf-8"),
	    "both parts");
	CHECK(unit_longest(b.data, &bare) <= 998 && bare == 0,
	    "lines at most 998 bytes, all ending CRLF (bare LF: %d)", bare);
	/* the subject: encoded words that decode back */
	hdr_end = strstr(b.data, "\r\n\r\n");
	p = strstr(b.data, "\r\nSubject: ");
	CHECK(p != NULL && hdr_end != NULL && p < hdr_end, "a Subject");
	if (p != NULL) {
		const char *e = strstr(p + 11, "\r\nMessage-ID");
		char *v = e ? strndup(p + 11, (size_t)(e - p - 11)) : NULL;
		const char *w;

		buf_init(&d, 0);
		if (v)
			unit_words_decode(v, &d);
		CHECK(v && strcmp(buf_cstr(&d), subject) == 0,
		    "the subject decodes back: %s", buf_cstr(&d));
		for (w = v; v && (w = strstr(w, "=?UTF-8?B?")) != NULL;
		     w += 2) {
			const char *end = strstr(w, "?=");

			CHECK(end && end + 2 - w <= 75,
			    "an encoded word over 75");
		}
		free(v);
		buf_free(&d);
	}
	/* the text part decodes back and keeps QP lines at 76 */
	body = strstr(b.data,
	    "Content-Transfer-Encoding: quoted-printable"
	    "\r\n\r\n");
	CHECK(body != NULL, "a quoted-printable part");
	if (body) {
		const char *end;

		body += 47;
		end = strstr(body, "\r\n--=_");
		buf_init(&d, 0);
		unit_qp_decode(body, end ? (size_t)(end - body) + 2 : 0, &d);
		CHECK(strcmp(buf_cstr(&d), text) == 0,
		    "the text decodes back:\n%s", buf_cstr(&d));
		buf_free(&d);
		for (p = body; end && p < end;) {
			const char *nl = strstr(p, "\r\n");

			CHECK(nl && nl - p <= 76, "a QP line over 76");
			p = nl ? nl + 2 : end;
		}
		CHECK(strstr(body, "space=20\r\n") != NULL,
		    "a space before a line end is encoded");
		CHECK(strstr(body, "=3D 100%") != NULL, "'=' is encoded");
	}
	buf_free(&b);

	/* a name with specials is quoted; a control character never ends a
	 * header */
	m.from_name = "Ann, \"the\" Editor";
	m.subject = "Hello\r\nBcc: victim@example.org";
	m.html = NULL;
	m.list_unsubscribe = NULL;
	buf_init(&b, 0);
	CHECK(mail_build(&m, &b) == 0, "text only builds");
	CHECK(strstr(b.data,
		  "From: \"Ann, \\\"the\\\" Editor\" "
		  "<news@example.org>\r\n") != NULL,
	    "a quoted display name");
	CHECK(strstr(b.data, "\r\nBcc:") == NULL &&
		strstr(b.data, "Subject: HelloBcc: victim@example.org\r\n"),
	    "CR/LF dropped from the subject");
	CHECK(strstr(b.data, "multipart") == NULL &&
		strstr(b.data, "List-Unsubscribe") == NULL,
	    "a text-only mail without list headers");
	buf_free(&b);

	/* refusals */
	buf_init(&b, 0);
	m.to = "a@example.org\r\nBcc: x@example.org";
	CHECK(mail_build(&m, &b) == -1, "a To with CR/LF is refused");
	m.to = "reader@example.org";
	m.message_id = "<x@y>\r\nBcc: z";
	CHECK(mail_build(&m, &b) == -1, "a Message-ID with CR/LF is refused");
	m.message_id = "<x@y>";
	m.list_unsubscribe = "https://x\r\nBcc: y";
	CHECK(mail_build(&m, &b) == -1, "a List-Unsubscribe with CR/LF");
	buf_free(&b);
}

/* Markdown for a mail: links to the site absolute, images as links, and
 * the text part with each link's URL. */
static void
test_mail_markdown(void)
{
	struct md_opts o;
	struct buf b;
	const char *src = "Read [about us](/about), [x](https://e.org/a) and "
			  "[js](javascript:alert(1)). ![chart](https://cdn.e"
			  ".net/c.png) ![](/media/1)";

	memset(&o, 0, sizeof(o));
	o.url_base = "https://example.org";
	o.no_images = 1;
	buf_init(&b, 0);
	CHECK(md_to_html(src, strlen(src), &o, &b) == 0, "renders");
	CHECK(strstr(b.data, "href=\"https://example.org/about\"") != NULL,
	    "a path becomes absolute: %s", b.data);
	CHECK(strstr(b.data, "href=\"https://e.org/a\"") != NULL,
	    "an absolute link stays");
	CHECK(strstr(b.data, "javascript") == NULL, "no javascript: link");
	CHECK(strstr(b.data, "<img") == NULL && strstr(b.data, "src=") == NULL,
	    "no image is fetched: %s", b.data);
	CHECK(strstr(b.data, "<a href=\"https://cdn.e.net/c.png\">chart</a>") &&
		strstr(b.data,
		    "<a href=\"https://example.org/media/1\">image"
		    "</a>"),
	    "images are links: %s", b.data);
	buf_reset(&b);
	CHECK(md_to_text_opts(src, strlen(src), &o, &b) == 0, "text renders");
	CHECK(strstr(b.data, "about us (https://example.org/about)") != NULL &&
		strstr(b.data, "x (https://e.org/a)") != NULL,
	    "links keep their URL in text: %s", b.data);
	CHECK(strstr(b.data, "javascript") == NULL, "no javascript: URL: %s",
	    b.data);
	buf_reset(&b);
	CHECK(md_to_text(src, strlen(src), &b) == 0 &&
		strstr(b.data, "(https://") == NULL,
	    "plain md_to_text writes no URLs: %s", b.data);
	buf_free(&b);
}

void
test_mail(void)
{
	test_mail_addresses();
	test_mail_build();
	test_mail_markdown();
}
