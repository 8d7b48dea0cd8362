/* mail.c: e-mail messages (RFC 5322 headers, RFC 2047 encoded words, MIME
 * multipart/alternative with quoted-printable UTF-8 parts) and sending
 * them through an SMTP server with libcurl (STARTTLS, AUTH). */
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/*
 * Only the types, constants and macros of curl.h are used: herald does
 * not link libcurl, whose 30-odd libraries (OpenSSL, Kerberos, LDAP,
 * ssh2, ...) the loader would map and relocate at every exec, but opens
 * it when the first mail is sent (mail_curl_init), and every call goes
 * through the pointers in lib (struct mail_lib). gcc's check of the
 * values given to curl_easy_setopt (typecheck-gcc.h) is a macro of that
 * name calling the function by name, which would expand inside
 * lib.curl_easy_setopt(...): it is turned off, so each value below is
 * given the type its option takes (long, curl_off_t, char *, a callback)
 * by hand. What curl.h defines instead only counts the arguments.
 */
#define CURL_DISABLE_TYPECHECK
#include <curl/curl.h>
#include <sodium.h>

#include "extern.h"

#define MAIL_LINE 76 /* quoted-printable line length, soft breaks included */

/* 1 when s needs encoding in a header (anything but printable ASCII). */
static int
mail_needs_encoding(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || (unsigned char)*s > 0x7e)
			return 1;
	return 0;
}

/*
 * Appends header value s (UTF-8): as is when it is printable ASCII, else
 * as RFC 2047 "=?UTF-8?B?...?=" words of at most 75 characters, never
 * splitting a character, folded onto continuation lines. Control
 * characters are dropped and malformed UTF-8 becomes U+FFFD, so no value
 * can end a header or break its encoding.
 */
static void
mail_header_text(struct buf *b, const char *s)
{
	char enc[sodium_base64_ENCODED_LEN(45, sodium_base64_VARIANT_ORIGINAL)];
	const unsigned char *p = (const unsigned char *)s;
	struct buf c;
	size_t i, n, k, len, words = 0;

	buf_init(&c, 4096);
	for (len = strlen(s); *p; p += k) {
		if (*p < 0x80) {
			k = 1;
			if (*p >= 0x20 && *p != 0x7f)
				buf_putc(&c, *p);
		} else if ((k = buf_utf8_len(p,
				len -
				    (size_t)(p - (const unsigned char *)s))) ==
		    0) {
			k = 1;
			buf_puts(&c, "\xef\xbf\xbd");
		} else
			buf_append(&c, p, k);
	}
	if (c.err || !mail_needs_encoding(buf_cstr(&c))) {
		buf_puts(b, c.err ? "" : buf_cstr(&c));
		buf_free(&c);
		return;
	}
	/* 45 bytes make 60 base64 characters, 72 with the frame */
	for (i = 0; i < c.len; i += n) {
		for (n = 0; i + n < c.len; n += k) {
			k = (unsigned char)c.data[i + n] < 0x80
			    ? 1
			    : buf_utf8_len(
				  (const unsigned char *)c.data + i + n,
				  c.len - i - n);
			if (n + k > 45)
				break;
		}
		sodium_bin2base64(enc, sizeof(enc),
		    (const unsigned char *)c.data + i, n,
		    sodium_base64_VARIANT_ORIGINAL);
		buf_printf(b, "%s=?UTF-8?B?%s?=", words++ ? "\r\n " : "", enc);
	}
	buf_free(&c);
}

/* Appends s as quoted-printable (RFC 2045) with CRLF line breaks. */
static void
mail_qp(struct buf *b, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	const unsigned char *p = (const unsigned char *)s;
	size_t col = 0;
	int c;

	for (; *p; p++) {
		c = *p;
		if (c == '\r')
			continue;
		if (c == '\n') {
			buf_puts(b, "\r\n");
			col = 0;
			continue;
		}
		/* a space or tab before a line end must be encoded */
		if ((c == ' ' || c == '\t') &&
		    (p[1] == '\n' || p[1] == '\r' || p[1] == '\0')) {
			if (col + 3 > MAIL_LINE - 1) {
				buf_puts(b, "=\r\n");
				col = 0;
			}
			buf_printf(b, "=%c%c", hex[c >> 4], hex[c & 15]);
			col += 3;
			continue;
		}
		if ((c >= 33 && c <= 126 && c != '=') || c == ' ' ||
		    c == '\t') {
			/* a line starting with "." or "From " is left to the
			 * SMTP client (dot-stuffing) */
			if (col + 1 > MAIL_LINE - 1) {
				buf_puts(b, "=\r\n");
				col = 0;
			}
			buf_putc(b, c);
			col++;
		} else {
			if (col + 3 > MAIL_LINE - 1) {
				buf_puts(b, "=\r\n");
				col = 0;
			}
			buf_printf(b, "=%c%c", hex[c >> 4], hex[c & 15]);
			col += 3;
		}
	}
	if (col > 0)
		buf_puts(b, "\r\n");
}

void
mail_message_id(char *out, size_t n, const char *host)
{
	unsigned char r[12];
	char hex[sizeof(r) * 2 + 1];

	randombytes_buf(r, sizeof(r));
	sodium_bin2hex(hex, sizeof(hex), r, sizeof(r));
	snprintf(out, n, "<%s@%s>", hex, host && *host ? host : "localhost");
}

int
mail_addr_check(const char *addr, char *err, size_t errlen)
{
	const unsigned char *p = (const unsigned char *)addr;
	size_t n;

	if (addr == NULL || *addr == '\0') {
		snprintf(err, errlen, "Enter your e-mail address.");
		return -1;
	}
	n = strlen(addr);
	if (n > EMAIL_MAX) {
		snprintf(err, errlen,
		    "This address is too long: at most %d "
		    "characters.",
		    EMAIL_MAX);
		return -1;
	}
	for (; *p; p++)
		if (*p == '\r' || *p == '\n' || *p < 0x20 || *p == 0x7f) {
			snprintf(err, errlen,
			    "An e-mail address cannot hold "
			    "line breaks or control "
			    "characters.");
			return -1;
		}
	for (p = (const unsigned char *)addr; *p; p++)
		if (*p >= 0x80) {
			snprintf(err, errlen,
			    "Please write the address in "
			    "plain ASCII letters (this server "
			    "cannot send to other addresses).");
			return -1;
		}
	if (email_valid(addr) != 0) {
		snprintf(err, errlen,
		    "This does not look like an e-mail "
		    "address (name@example.org).");
		return -1;
	}
	return 0;
}

int
mail_build(const struct mail_msg *m, struct buf *b)
{
	char date[64], boundary[40];
	unsigned char r[12];
	struct tm tm;

	if (mail_addr_check(m->from, date, sizeof(date)) == -1 ||
	    mail_addr_check(m->to, date, sizeof(date)) == -1 ||
	    strpbrk(m->message_id, "\r\n") != NULL ||
	    (m->list_unsubscribe && strpbrk(m->list_unsubscribe, "\r\n<>")) ||
	    (m->list_id && strpbrk(m->list_id, "\r\n<>")))
		return -1;
	gmtime_r(&m->date, &tm);
	strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S +0000", &tm);
	buf_printf(b, "Date: %s\r\n", date);
	buf_puts(b, "From: ");
	if (m->from_name && *m->from_name) {
		if (mail_needs_encoding(m->from_name) ||
		    strpbrk(m->from_name, "\"\\()<>[]:;@,.") != NULL) {
			/* an encoded word is safe for any name */
			if (!mail_needs_encoding(m->from_name)) {
				buf_putc(b, '"');
				for (const char *p = m->from_name; *p; p++) {
					if (*p == '"' || *p == '\\')
						buf_putc(b, '\\');
					buf_putc(b, *p);
				}
				buf_putc(b, '"');
			} else
				mail_header_text(b, m->from_name);
		} else
			buf_puts(b, m->from_name);
		buf_printf(b, " <%s>\r\n", m->from);
	} else
		buf_printf(b, "%s\r\n", m->from);
	buf_printf(b, "To: %s\r\n", m->to);
	buf_puts(b, "Subject: ");
	mail_header_text(b, m->subject);
	buf_puts(b, "\r\n");
	buf_printf(b, "Message-ID: %s\r\n", m->message_id);
	buf_puts(b, "MIME-Version: 1.0\r\n");
	if (m->list_id)
		buf_printf(b, "List-Id: <%s>\r\n", m->list_id);
	if (m->list_unsubscribe) {
		buf_printf(
		    b, "List-Unsubscribe: <%s>\r\n", m->list_unsubscribe);
		buf_puts(
		    b, "List-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n");
	}
	buf_puts(b, "Auto-Submitted: auto-generated\r\n");
	if (m->html == NULL) {
		buf_puts(b,
		    "Content-Type: text/plain; charset=utf-8\r\n"
		    "Content-Transfer-Encoding: quoted-printable\r\n\r\n");
		mail_qp(b, m->text);
		return b->err ? -1 : 0;
	}
	/* a boundary that cannot occur in quoted-printable text ("=_") */
	randombytes_buf(r, sizeof(r));
	memcpy(boundary, "=_", 2);
	sodium_bin2hex(boundary + 2, sizeof(boundary) - 2, r, sizeof(r));
	buf_printf(b,
	    "Content-Type: multipart/alternative; "
	    "boundary=\"%s\"\r\n\r\n",
	    boundary);
	buf_puts(b, "This is a message in MIME format.\r\n");
	buf_printf(b,
	    "--%s\r\nContent-Type: text/plain; charset=utf-8\r\n"
	    "Content-Transfer-Encoding: quoted-printable\r\n\r\n",
	    boundary);
	mail_qp(b, m->text);
	buf_printf(b,
	    "--%s\r\nContent-Type: text/html; charset=utf-8\r\n"
	    "Content-Transfer-Encoding: quoted-printable\r\n\r\n",
	    boundary);
	mail_qp(b, m->html);
	buf_printf(b, "--%s--\r\n", boundary);
	return b->err ? -1 : 0;
}

/* ---- SMTP ----------------------------------------------------------- */

/* The file to open: libcurl's soname has been 4 since 7.16 (2006), curl 8
 * included. libcurl4-openssl-dev brings it (package libcurl4). */
#define MAIL_CURL_SONAME "libcurl.so.4"

/* Every libcurl function this file calls, each fetched by its name from
 * the library opened by mail_curl_init. */
#define MAIL_LIB_FUNCS                                                         \
	X(curl_easy_cleanup)                                                   \
	X(curl_easy_getinfo)                                                   \
	X(curl_easy_init)                                                      \
	X(curl_easy_perform)                                                   \
	X(curl_easy_reset)                                                     \
	X(curl_easy_setopt)                                                    \
	X(curl_easy_strerror)                                                  \
	X(curl_global_init)                                                    \
	X(curl_slist_append)                                                   \
	X(curl_slist_free_all)

/* Pointers of the very types curl.h declares; all set once mail_curl_init
 * has returned 0, and never changed after. */
static struct mail_lib {
#define X(f) __typeof__(f) *f;
	MAIL_LIB_FUNCS
#undef X
} lib;

static pthread_once_t mail_curl_once = PTHREAD_ONCE_INIT;
static int mail_curl_rc = -1;
/* Why mail_curl_init failed, for each mail's last_error; written once,
 * before pthread_once returns. */
static char mail_curl_err[512];

/*
 * Opens libcurl and runs curl_global_init, which must come before any
 * other call and is not thread-safe: pthread_once makes it run once,
 * whichever thread sends first. The handle is never closed, not even on
 * failure: a failed start is not tried again in this process, and
 * OpenSSL, once set up, is not to be unloaded.
 */
static void
mail_curl_init_once(void)
{
	void *h;
	CURLcode rc;

	/* RTLD_LOCAL: OpenSSL and the rest are no one else's business */
	if ((h = dlopen(MAIL_CURL_SONAME, RTLD_NOW | RTLD_LOCAL)) == NULL) {
		snprintf(mail_curl_err, sizeof(mail_curl_err),
		    "cannot load libcurl, so no mail can be sent (install "
		    "libcurl4): %s",
		    dlerror());
		goto fail;
	}
#define X(f)                                                                   \
	if ((lib.f = (__typeof__(lib.f))dlsym(h, #f)) == NULL) {               \
		snprintf(mail_curl_err, sizeof(mail_curl_err), "%s: %s",       \
		    MAIL_CURL_SONAME, dlerror());                              \
		goto fail;                                                     \
	}
	MAIL_LIB_FUNCS
#undef X
	if ((rc = lib.curl_global_init(CURL_GLOBAL_DEFAULT)) != CURLE_OK) {
		snprintf(mail_curl_err, sizeof(mail_curl_err),
		    "cannot start libcurl: %s", lib.curl_easy_strerror(rc));
		goto fail;
	}
	mail_curl_rc = 0;
	return;
fail:
	fprintf(stderr, "mail: %s\n", mail_curl_err);
}

/* 0 once libcurl is open and set up (any thread may call it, the first
 * call does the work), or -1 (mail_curl_err says why, stderr said it). */
static int
mail_curl_init(void)
{
	if (pthread_once(&mail_curl_once, mail_curl_init_once) != 0)
		return -1;
	return mail_curl_rc;
}

struct mail_smtp {
	CURL *curl; /* NULL until the first mail: libcurl is not open yet */
	char url[1024];
	char user[256];
	char password[256];
	int tls_required;
};

struct mail_reader {
	const char *p;
	size_t left;
};

static size_t
mail_read(char *dst, size_t size, size_t nmemb, void *arg)
{
	struct mail_reader *rd = arg;
	size_t n = size * nmemb;

	if (n > rd->left)
		n = rd->left;
	memcpy(dst, rd->p, n);
	rd->p += n;
	rd->left -= n;
	return n;
}

/* 1 when the URL's host is a loopback address. */
static int
mail_loopback(const char *url)
{
	const char *h = strstr(url, "://");

	h = h ? h + 3 : url;
	return strncmp(h, "127.", 4) == 0 || strncmp(h, "localhost", 9) == 0 ||
	    strncmp(h, "[::1]", 5) == 0;
}

/* Nothing of libcurl here: a server with --smtp that has nothing to send
 * does not open it (mail_smtp_send does, for the first mail). */
struct mail_smtp *
mail_smtp_new(const struct conf *c)
{
	struct mail_smtp *s;

	if (c->smtp[0] == '\0')
		return NULL;
	if ((s = calloc(1, sizeof(*s))) == NULL)
		return NULL;
	snprintf(s->url, sizeof(s->url), "%s", c->smtp);
	snprintf(s->user, sizeof(s->user), "%s", c->smtp_user);
	snprintf(s->password, sizeof(s->password), "%s", c->smtp_password);
	/* a password never travels in clear text beyond this machine */
	s->tls_required = c->smtp_user[0] != '\0' && !mail_loopback(c->smtp);
	return s;
}

void
mail_smtp_free(struct mail_smtp *s)
{
	if (s == NULL)
		return;
	if (s->curl != NULL)
		lib.curl_easy_cleanup(s->curl);
	sodium_memzero(s->password, sizeof(s->password));
	free(s);
}

enum mail_result
mail_smtp_send(struct mail_smtp *s, const char *from, const char *to,
    const char *msg, size_t len, char *err, size_t errlen)
{
	struct curl_slist *rcpt = NULL;
	struct mail_reader rd = {msg, len};
	char addr[EMAIL_MAX + 3];
	CURLcode rc;
	long code = 0;
	enum mail_result res;

	err[0] = '\0';
	/* without libcurl, nothing can be sent now, but may be once it is
	 * installed (and herald started again): a temporary failure, as
	 * when the server cannot be reached, and the mail stays queued */
	if (s->curl == NULL) {
		if (mail_curl_init() == -1) {
			snprintf(err, errlen, "%s", mail_curl_err);
			return MAIL_TEMPFAIL;
		}
		if ((s->curl = lib.curl_easy_init()) == NULL) {
			snprintf(err, errlen, "cannot start libcurl");
			return MAIL_TEMPFAIL;
		}
	}
	lib.curl_easy_reset(s->curl);
	snprintf(addr, sizeof(addr), "<%s>", to);
	if ((rcpt = lib.curl_slist_append(NULL, addr)) == NULL) {
		snprintf(err, errlen, "out of memory");
		return MAIL_TEMPFAIL;
	}
	snprintf(addr, sizeof(addr), "<%s>", from);
	lib.curl_easy_setopt(s->curl, CURLOPT_URL, s->url);
	lib.curl_easy_setopt(s->curl, CURLOPT_MAIL_FROM, addr);
	lib.curl_easy_setopt(s->curl, CURLOPT_MAIL_RCPT, rcpt);
	lib.curl_easy_setopt(s->curl, CURLOPT_READFUNCTION, mail_read);
	lib.curl_easy_setopt(s->curl, CURLOPT_READDATA, &rd);
	lib.curl_easy_setopt(s->curl, CURLOPT_UPLOAD, 1L);
	lib.curl_easy_setopt(
	    s->curl, CURLOPT_INFILESIZE_LARGE, (curl_off_t)len);
	lib.curl_easy_setopt(s->curl, CURLOPT_USE_SSL,
	    s->tls_required ? (long)CURLUSESSL_ALL : (long)CURLUSESSL_TRY);
	lib.curl_easy_setopt(s->curl, CURLOPT_CONNECTTIMEOUT, 10L);
	lib.curl_easy_setopt(s->curl, CURLOPT_TIMEOUT, 60L);
	lib.curl_easy_setopt(s->curl, CURLOPT_NOSIGNAL, 1L);
	lib.curl_easy_setopt(s->curl, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
	if (s->user[0] != '\0') {
		lib.curl_easy_setopt(s->curl, CURLOPT_USERNAME, s->user);
		lib.curl_easy_setopt(s->curl, CURLOPT_PASSWORD, s->password);
	}
	rc = lib.curl_easy_perform(s->curl);
	lib.curl_easy_getinfo(s->curl, CURLINFO_RESPONSE_CODE, &code);
	lib.curl_slist_free_all(rcpt);
	if (rc == CURLE_OK)
		return MAIL_SENT;
	/* 5xx: the server refuses for good (no such mailbox, policy);
	 * anything else (4xx, no connection, timeout) may pass later */
	res = code >= 500 && code < 600 ? MAIL_PERMFAIL : MAIL_TEMPFAIL;
	snprintf(
	    err, errlen, "%s (SMTP %ld)", lib.curl_easy_strerror(rc), code);
	return res;
}
