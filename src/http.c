/* http.c: libmicrohttpd glue: request checks and limits, the cache of
 * rendered responses, conditional GET, gzip, security headers, access log. */
#define _GNU_SOURCE /* SCHED_IDLE, for the brotli thread */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <microhttpd.h>
#include <sodium.h>

#include "extern.h"

#define HTTP_MAX_PATH 4096
#define HTTP_MAX_BODY (16 * 1024)
#define HTTP_MAX_ADMIN_BODY ((size_t)1 << 20)	/* admin forms */
#define HTTP_MAX_UPLOAD (MEDIA_MAX_BYTES + 65536) /* signed-in uploads */
#define HTTP_CACHE_BUCKETS 4096
/* What an entry sending a file costs besides itself and its key: the
 * response and its headers (the file's bytes stay in the kernel). */
#define HTTP_FD_ENTRY_BYTES 1024
#define HTTP_FD_MAX 16384 /* files the cache keeps open at most */
#define HTTP_THREADS_CORE 8 /* pool threads a core by default (64 at most) */
#define HTTP_DBS_MAX 64	    /* database connections of each kind, at most */
#define HTTP_BR_QUEUE 256 /* pages waiting for their brotli, at most */
#define HTTP_BR_NONE 0	  /* an entry's brotli: not asked for yet */
#define HTTP_BR_QUEUED 1  /* waiting for the brotli thread */
#define HTTP_BR_DONE 2	  /* made, or found not worth it */

/* Everything http.c keeps for one server. */
static struct {
	struct site *site;
	struct MHD_Daemon *d;
	int log_fd;
	atomic_llong rev; /* content revision, from the watcher */
	atomic_llong changed_at;
	pthread_rwlock_t cache_lock; /* also orders rev with the entries */
	pthread_mutex_t watch_lock;  /* one http_watch at a time */
	char langs[256];	     /* the readers' languages, as last seen */
	struct http_entry *bucket[HTTP_CACHE_BUCKETS];
	size_t cache_bytes;
	size_t cache_fds;    /* entries holding an open file */
	size_t fd_max;	     /* at most, from the descriptor limit */
	struct files *files; /* uploads as files (files.c), or NULL */
	size_t hand; /* the bucket the eviction clock looks at next */
	atomic_ullong serial; /* numbers the entries, to know one again */
	/* the brotli thread (http_br_main) and the keys it is to compress */
	pthread_t br_thread;
	int br_running;
	pthread_mutex_t br_lock;
	pthread_cond_t br_cond;
	char *br_queue[HTTP_BR_QUEUE];
	size_t br_head, br_count;
	int br_stop;
	/* the connections requests read (rd) and write (rw) with: at most
	 * dbs_max of each, as many as cores, not threads (each one maps
	 * the database and keeps a page cache of its own) */
	pthread_mutex_t dbs_lock;
	pthread_cond_t dbs_freed;
	struct http_dbs {
		struct db *idle[HTTP_DBS_MAX];
		size_t nidle, nopen; /* nopen counts those being opened */
		int flags;
	} rd, rw;
	size_t dbs_max;
	volatile sig_atomic_t stop;
} http;

/* A cached answer: the responses hold their own bodies, or the file an
 * upload is sent from. */
struct http_entry {
	struct http_entry *next;
	char *key;
	long long rev;	    /* http.rev when its rendering began */
	long long item_id;  /* the one item it shows (req.dep_item), or 0 */
	int any_item;	    /* it may show any item (a listing, a feed...) */
	atomic_int used;    /* read since the clock hand last passed */
	time_t expires;
	time_t lastmod;
	char etag[24];	  /* "HASH" of the identity body */
	char gzetag[28]; /* "HASH-gz": another representation, another tag */
	char bretag[28]; /* "HASH-br" */
	unsigned long long serial; /* from http.serial: no other entry's */
	struct MHD_Response *plain;
	struct MHD_Response *gz; /* NULL when not worth compressing */
	/* brotli, made later by the brotli thread and set under the cache
	 * lock held for writing; NULL until then, or when not worth it */
	struct MHD_Response *br;
	atomic_int br_state; /* HTTP_BR_NONE, _QUEUED or _DONE */
	const char *body;  /* plain's body in memory (freed with plain), or
			      NULL when it is a file */
	int fd;		   /* the file plain sends (closed with plain), or -1 */
	int upload;	   /* an upload (req.upload): answers Range */
	size_t len, gzlen, brlen; /* body sizes */
	size_t bytes;	   /* memory held, for the cache cap */
};

/* Per request state (MHD's con_cls), made by http_uri when the request
 * line is read and freed by http_completed. */
struct http_req {
	struct timespec start;
	char method[16];
	char *path;	 /* as sent, for the log */
	const char *uri; /* where the URI sat in libmicrohttpd's buffer: only
			    compared, never read, after http_uri */
	size_t urilen;	 /* its length as sent, query string included */
	int started;	 /* the handler has seen this request */
	struct buf body;
	int too_big;
	int status;
	size_t bytes;
	int early; /* answered before the body was read */
};

static _Thread_local struct db *http_tdb;
static _Thread_local struct db *http_twdb;

static void http_watch(struct db *);

static const char *const http_csp =
    "default-src 'none'; style-src 'self'; img-src 'self'; "
    "form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

static void
http_signal(int sig)
{
	(void)sig;
	http.stop = 1;
}

/*
 * The connection the calling thread's request uses, in *slot: the one it
 * holds already, an idle one, or a new one while fewer than dbs_max are
 * open; otherwise it waits for one to come back (http_db_release). A
 * request takes its read connection before its write one and never the
 * other way round, so two requests cannot wait for each other.
 */
static struct db *
http_db_take(struct site *site, struct http_dbs *p, struct db **slot)
{
	struct db *d = NULL;

	if (*slot != NULL)
		return *slot;
	pthread_mutex_lock(&http.dbs_lock);
	for (;;) {
		if (p->nidle > 0) {
			d = p->idle[--p->nidle];
			break;
		}
		if (p->nopen < http.dbs_max) {
			p->nopen++;
			break;
		}
		pthread_cond_wait(&http.dbs_freed, &http.dbs_lock);
	}
	pthread_mutex_unlock(&http.dbs_lock);
	if (d == NULL && (d = db_open(site->conf.db, p->flags)) == NULL) {
		pthread_mutex_lock(&http.dbs_lock);
		p->nopen--;
		pthread_cond_broadcast(&http.dbs_freed);
		pthread_mutex_unlock(&http.dbs_lock);
		return NULL;
	}
	return *slot = d;
}

/* Gives back the connection in *slot, with no transaction left open. */
static void
http_db_give(struct http_dbs *p, struct db **slot)
{
	if (*slot == NULL)
		return;
	db_rollback(*slot);
	pthread_mutex_lock(&http.dbs_lock);
	p->idle[p->nidle++] = *slot;
	pthread_cond_broadcast(&http.dbs_freed);
	pthread_mutex_unlock(&http.dbs_lock);
	*slot = NULL;
}

/* At the end of a request: its connections go back for others. */
static void
http_db_release(void)
{
	http_db_give(&http.rw, &http_twdb);
	http_db_give(&http.rd, &http_tdb);
}

struct db *
http_db(struct site *site)
{
	return http_db_take(site, &http.rd, &http_tdb);
}

struct db *
http_db_rw(struct site *site)
{
	return http_db_take(site, &http.rw, &http_twdb);
}

/* Appends one line per request: client, time, request line, status,
 * bytes, seconds. Control characters of the path are escaped, so a line
 * cannot be forged. */
static void
http_log(struct MHD_Connection *c, struct http_req *r)
{
	const union MHD_ConnectionInfo *ci;
	char addr[INET6_ADDRSTRLEN] = "-", when[64], line[2400];
	struct timespec end;
	struct tm tm;
	time_t now;
	const char *p;
	size_t n;
	double secs;

	if (http.log_fd < 0 || r == NULL)
		return;
	ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	if (ci && ci->client_addr) {
		if (ci->client_addr->sa_family == AF_INET)
			inet_ntop(AF_INET,
			    &((const struct sockaddr_in *)ci->client_addr)
			         ->sin_addr,
			    addr, sizeof(addr));
		else if (ci->client_addr->sa_family == AF_INET6)
			inet_ntop(AF_INET6,
			    &((const struct sockaddr_in6 *)ci->client_addr)
			         ->sin6_addr,
			    addr, sizeof(addr));
	}
	now = time(NULL);
	gmtime_r(&now, &tm);
	strftime(when, sizeof(when), "%d/%b/%Y:%H:%M:%S +0000", &tm);
	clock_gettime(CLOCK_MONOTONIC, &end);
	secs = (double)(end.tv_sec - r->start.tv_sec) +
	    (double)(end.tv_nsec - r->start.tv_nsec) / 1e9;
	/* On the stack: no allocation per request. A path longer than the
	 * line allows is cut and marked with "...". */
	n = (size_t)snprintf(line, 200, "%s - - [%s] \"%s ", addr, when,
	    r->method[0] ? r->method : "-");
	for (p = r->path ? r->path : "-"; *p && n < 2200; p++) {
		if ((unsigned char)*p < 0x20 || *p == 0x7f || *p == '"' ||
		    *p == '\\')
			n += (size_t)snprintf(line + n, 5, "\\x%02x",
			    (unsigned char)*p);
		else
			line[n++] = *p;
	}
	if (*p)
		n += (size_t)snprintf(line + n, 4, "...");
	n += (size_t)snprintf(line + n, sizeof(line) - n, "\" %d %zu %.6f\n",
	    r->status, r->bytes, secs);
	if (n >= sizeof(line))
		n = sizeof(line) - 1;
	if (write(http.log_fd, line, n) < 0) {
		/* nothing sensible to do: the log is best effort */
	}
}

static void
http_completed(void *cls, struct MHD_Connection *c, void **con_cls,
    enum MHD_RequestTerminationCode toe)
{
	struct http_req *r = *con_cls;

	(void)cls;
	(void)toe;
	if (r == NULL)
		return;
	http_log(c, r);
	buf_free(&r->body);
	free(r->path);
	free(r);
	*con_cls = NULL;
}

/* The first look at a request: its raw URI (before decoding, with the
 * query string). What this returns is the request's con_cls. */
static void *
http_uri(void *cls, const char *uri, struct MHD_Connection *c)
{
	struct http_req *r;

	(void)cls;
	(void)c;
	if ((r = calloc(1, sizeof(*r))) == NULL)
		return NULL;
	clock_gettime(CLOCK_MONOTONIC, &r->start);
	r->uri = uri;
	r->urilen = strlen(uri);
	r->path = strndup(uri, HTTP_MAX_PATH + 1);
	buf_init(&r->body, HTTP_MAX_BODY);
	return r;
}

/* Decodes %XX escapes in place, except %00, which stays as written so a NUL
 * never hides the rest of a path (routes then find no such page). Returns
 * the new length. */
static size_t
http_unescape(void *cls, struct MHD_Connection *c, char *s)
{
	static const char hexd[] = "0123456789abcdefABCDEF";
	char *r, *w, hex[3] = {0};
	unsigned long v;

	(void)cls;
	(void)c;
	for (r = w = s; *r; r++) {
		if (r[0] == '%' && r[1] && r[2] && strchr(hexd, r[1]) &&
		    strchr(hexd, r[2])) {
			hex[0] = r[1];
			hex[1] = r[2];
			if ((v = strtoul(hex, NULL, 16)) != 0) {
				*w++ = (char)v;
				r += 2;
				continue;
			}
		}
		*w++ = *r;
	}
	*w = '\0';
	return (size_t)(w - s);
}

static void
http_http_date(time_t t, char *out, size_t n)
{
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(out, n, "%a, %d %b %Y %H:%M:%S GMT", &tm);
}

static time_t
http_parse_date(const char *s)
{
	struct tm tm;
	const char *end;

	memset(&tm, 0, sizeof(tm));
	end = strptime(s, "%a, %d %b %Y %H:%M:%S GMT", &tm);
	if (end == NULL || *end != '\0')
		return (time_t)-1;
	return timegm(&tm);
}

/* The headers every answer carries, errors included. */
static void
http_security_headers(struct MHD_Response *resp)
{
	MHD_add_response_header(resp, "Content-Security-Policy", http_csp);
	MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(resp, "Referrer-Policy",
	    "strict-origin-when-cross-origin");
	MHD_add_response_header(resp, "X-Frame-Options", "DENY");
	MHD_add_response_header(resp, "Cross-Origin-Opener-Policy",
	    "same-origin");
	MHD_add_response_header(resp, "Permissions-Policy",
	    "interest-cohort=(), browsing-topics=()");
}

/* gzip of data into a malloc'd buffer (caller frees); NULL when it fails or
 * saves too little to be worth it. */
static char *
http_gzip(const char *data, size_t len, size_t *outlen)
{
	char *out;

	if (len < 256 || (out = gz_compress(data, len, outlen)) == NULL)
		return NULL;
	if (*outlen >= len) {
		free(out);
		return NULL;
	}
	return out;
}

static void
http_free_body(void *p)
{
	free(p);
}

/* A response owning body (malloc'd; freed with the response). */
static struct MHD_Response *
http_response(char *body, size_t len, const char *ctype)
{
	struct MHD_Response *resp;

	resp = MHD_create_response_from_buffer_with_free_callback(len, body,
	    http_free_body);
	if (resp == NULL) {
		free(body);
		return NULL;
	}
	http_security_headers(resp);
	if (ctype)
		MHD_add_response_header(resp, "Content-Type", ctype);
	return resp;
}

static void
http_entry_free(struct http_entry *e)
{
	if (e == NULL)
		return;
	if (e->plain)
		MHD_destroy_response(e->plain);
	if (e->gz)
		MHD_destroy_response(e->gz);
	if (e->br)
		MHD_destroy_response(e->br);
	free(e->key);
	free(e);
}

static unsigned
http_hash(const char *s)
{
	return buf_hash(s) % HTTP_CACHE_BUCKETS;
}

/* Drops every cached answer; call with the cache lock held for writing. */
static void
http_cache_clear_locked(void)
{
	struct http_entry *e, *next;
	size_t i;

	for (i = 0; i < HTTP_CACHE_BUCKETS; i++) {
		for (e = http.bucket[i]; e != NULL; e = next) {
			next = e->next;
			http_entry_free(e);
		}
		http.bucket[i] = NULL;
	}
	http.cache_bytes = 0;
	http.cache_fds = 0;
}

/* Drops every cached answer. */
static void
http_cache_clear(void)
{
	pthread_rwlock_wrlock(&http.cache_lock);
	http_cache_clear_locked();
	pthread_rwlock_unlock(&http.cache_lock);
}

/*
 * Builds an entry from a rendered answer q: identity and gzip responses
 * with their headers, or, for an upload answered with a file (q->has_fd),
 * one response that sends the file (with sendfile on plain HTTP; one such
 * response may be queued to any number of connections at once: it reads
 * the file at explicit offsets). Takes the body (malloc'd) and the file's
 * descriptor. NULL on failure.
 */
static struct http_entry *
http_entry_new(const char *key, const struct req *q, char *body, size_t len,
    const char *cache_control, time_t lastmod, long long rev)
{
	struct http_entry *e;
	unsigned char h[8];
	char hex[17], lm[64], *gz = NULL;
	const char *ctype = q->ctype;
	size_t gzlen = 0;
	int fd = q->has_fd ? q->fd : -1;

	if ((e = calloc(1, sizeof(*e))) == NULL ||
	    (e->key = strdup(key)) == NULL) {
		free(e);
		free(body);
		if (fd != -1)
			close(fd);
		return NULL;
	}
	e->fd = -1;
	if (q->hash != NULL && strlen(q->hash) >= 16)
		snprintf(hex, sizeof(hex), "%.16s", q->hash);
	else {
		crypto_generichash(
		    h, sizeof(h), (const unsigned char *)body, len, NULL, 0);
		sodium_bin2hex(hex, sizeof(hex), h, sizeof(h));
	}
	snprintf(e->etag, sizeof(e->etag), "\"%s\"", hex);
	snprintf(e->gzetag, sizeof(e->gzetag), "\"%s-gz\"", hex);
	snprintf(e->bretag, sizeof(e->bretag), "\"%s-br\"", hex);
	e->serial = atomic_fetch_add(&http.serial, 1) + 1;
	e->rev = rev;
	e->item_id = q->dep_item;
	e->upload = q->upload;
	/* an upload shows no item: only a change of its own table (which
	 * drops everything) touches it */
	e->any_item = q->dep_item == 0 && !q->upload &&
	    strncmp(key, "/media/", 7) != 0 && strncmp(key, "/static/", 8) != 0;
	e->expires = q->expires;
	e->lastmod = lastmod;
	http_http_date(lastmod, lm, sizeof(lm));
	if (fd != -1) {
		free(body);
		e->len = q->fd_len;
		e->bytes = sizeof(*e) + strlen(key) + HTTP_FD_ENTRY_BYTES;
		if ((e->plain = MHD_create_response_from_fd64(q->fd_len, fd)) ==
		    NULL) {
			close(fd);
			goto fail;
		}
		e->fd = fd;
		http_security_headers(e->plain);
		if (ctype)
			MHD_add_response_header(
			    e->plain, "Content-Type", ctype);
	} else {
		if (!q->upload && ctype &&
		    (strncmp(ctype, "text/", 5) == 0 || strstr(ctype, "xml") ||
			strstr(ctype, "json") || strstr(ctype, "svg")))
			gz = http_gzip(body, len, &gzlen);
		e->len = len;
		e->gzlen = gzlen;
		e->bytes = len + gzlen + sizeof(*e);
		e->body = body;
		if ((e->plain = http_response(body, len, ctype)) == NULL) {
			free(gz);
			goto fail;
		}
		if (gz && (e->gz = http_response(gz, gzlen, ctype)) == NULL)
			goto fail;
	}
	MHD_add_response_header(e->plain, "ETag", e->etag);
	MHD_add_response_header(e->plain, "Last-Modified", lm);
	MHD_add_response_header(e->plain, "Cache-Control", cache_control);
	if (e->upload)
		MHD_add_response_header(e->plain, "Accept-Ranges", "bytes");
	if (e->gz) {
		MHD_add_response_header(e->plain, "Vary", "Accept-Encoding");
		MHD_add_response_header(e->gz, "Vary", "Accept-Encoding");
		MHD_add_response_header(e->gz, "Content-Encoding", "gzip");
		MHD_add_response_header(e->gz, "ETag", e->gzetag);
		MHD_add_response_header(e->gz, "Last-Modified", lm);
		MHD_add_response_header(e->gz, "Cache-Control", cache_control);
	}
	return e;
fail:
	http_entry_free(e);
	return NULL;
}

/* The response of e for what the client accepts (enc, from
 * http_accept_encoding): brotli when made and wanted at least as much as
 * gzip (or gzip is refused), then gzip, then identity. */
static struct MHD_Response *
http_pick(const struct http_entry *e, int enc)
{
	if (e->br && (enc & HTTP_ENC_BR) &&
	    ((enc & HTTP_ENC_BR_FIRST) || !(enc & HTTP_ENC_GZIP)))
		return e->br;
	if (e->gz && (enc & HTTP_ENC_GZIP))
		return e->gz;
	return e->plain;
}

/* 1 when the request's validators match (answer 304): If-None-Match wins
 * over If-Modified-Since, as RFC 9110 says. */
static int
http_not_modified(struct MHD_Connection *c, const struct http_entry *e)
{
	const char *inm, *ims;
	time_t t;

	inm = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
	    MHD_HTTP_HEADER_IF_NONE_MATCH);
	if (inm != NULL) /* weak comparison: W/ prefixes do not matter */
		return strcmp(inm, "*") == 0 || strstr(inm, e->etag) != NULL ||
		    strstr(inm, e->gzetag) != NULL ||
		    strstr(inm, e->bretag) != NULL;
	ims = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
	    MHD_HTTP_HEADER_IF_MODIFIED_SINCE);
	if (ims != NULL && (t = http_parse_date(ims)) != (time_t)-1)
		return e->lastmod <= t;
	return 0;
}

/* The ETag of a 304: that of the coding the client would get now, or,
 * when it revalidates another one it holds (gzip, before the brotli was
 * made), the one it sent, which names what it keeps. */
static const char *
http_304_tag(struct MHD_Connection *c, const struct http_entry *e, int enc)
{
	const struct MHD_Response *pick = http_pick(e, enc);
	const char *inm = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
	    MHD_HTTP_HEADER_IF_NONE_MATCH);
	const char *tag = pick == e->br ? e->bretag
	    : pick == e->gz             ? e->gzetag
	                                : e->etag;

	if (inm == NULL || strstr(inm, tag) != NULL)
		return tag;
	if (strstr(inm, e->gzetag) != NULL)
		return e->gzetag;
	if (strstr(inm, e->bretag) != NULL)
		return e->bretag;
	if (strstr(inm, e->etag) != NULL)
		return e->etag;
	return tag;
}

/* A 304 answer carrying the entry's validators. */
static enum MHD_Result
http_queue_304(struct MHD_Connection *c, struct http_entry *e, int enc,
    struct http_req *r)
{
	struct MHD_Response *resp;
	enum MHD_Result ret;
	const char *cc;
	char lm[64];

	resp = MHD_create_response_from_buffer(0, (void *)"",
	    MHD_RESPMEM_PERSISTENT);
	if (resp == NULL)
		return MHD_NO;
	http_security_headers(resp);
	http_http_date(e->lastmod, lm, sizeof(lm));
	MHD_add_response_header(resp, "ETag", http_304_tag(c, e, enc));
	MHD_add_response_header(resp, "Last-Modified", lm);
	cc = MHD_get_response_header(e->plain, "Cache-Control");
	if (cc)
		MHD_add_response_header(resp, "Cache-Control", cc);
	if (e->gz)
		MHD_add_response_header(resp, "Vary", "Accept-Encoding");
	r->status = MHD_HTTP_NOT_MODIFIED;
	r->bytes = 0;
	ret = MHD_queue_response(c, MHD_HTTP_NOT_MODIFIED, resp);
	MHD_destroy_response(resp);
	return ret;
}

/* A run of digits at *p (moved past it) into *n; *has says there was
 * one. 0 when the number does not fit. */
static int
http_range_num(const char **p, uint64_t *n, int *has)
{
	uint64_t v = 0;
	const char *s = *p;

	for (; *s >= '0' && *s <= '9'; s++) {
		uint64_t d = (uint64_t)(*s - '0');

		if (v > (UINT64_MAX - d) / 10)
			return 0;
		v = v * 10 + d;
	}
	*has = s != *p;
	if (*has)
		*n = v;
	*p = s;
	return 1;
}

int
http_range(const char *h, uint64_t size, uint64_t *from, uint64_t *to)
{
	uint64_t a = 0, b = 0;
	int has_a, has_b;
	const char *p;

	if (h == NULL || strncasecmp(h, "bytes", 5) != 0)
		return 0;
	for (p = h + 5; *p == ' ' || *p == '\t'; p++)
		;
	if (*p++ != '=')
		return 0;
	for (; *p == ' ' || *p == '\t'; p++)
		;
	if (!http_range_num(&p, &a, &has_a) || *p++ != '-' ||
	    !http_range_num(&p, &b, &has_b))
		return 0;
	for (; *p == ' ' || *p == '\t'; p++)
		;
	/* several ranges, or anything else: answered whole */
	if (*p != '\0' || (!has_a && !has_b) || (has_a && has_b && b < a))
		return 0;
	if (!has_a) { /* "-N": the last N bytes */
		if (b == 0 || size == 0)
			return -1;
		*from = b >= size ? 0 : size - b;
		*to = size - 1;
		return 1;
	}
	if (a >= size)
		return -1;
	*from = a;
	*to = !has_b || b >= size ? size - 1 : b;
	return 1;
}

/* 1 when a Range is to be honoured: the request has no If-Range, or one
 * naming the entry's ETag or Last-Modified exactly (else the whole body,
 * as it changed since the client's part). */
static int
http_if_range(struct MHD_Connection *c, const struct http_entry *e)
{
	const char *v =
	    MHD_lookup_connection_value(c, MHD_HEADER_KIND, "If-Range");
	char lm[64];

	if (v == NULL)
		return 1;
	if (v[0] == '"' || strncmp(v, "W/", 2) == 0)
		return strcmp(v, e->etag) == 0;
	http_http_date(e->lastmod, lm, sizeof(lm));
	return strcmp(v, lm) == 0;
}

static enum MHD_Result
http_copy_header(
    void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
	if (kind == MHD_HEADER_KIND)
		MHD_add_response_header(cls, key, value);
	return MHD_YES;
}

/*
 * Answers bytes from..to (a satisfiable range of e's identity body: 206)
 * or, when from > to, 416 with the size. The part comes from e's file
 * (a descriptor of its own, as libmicrohttpd closes it) or is copied from
 * its body, since e may be dropped while the part is sent. 1 when
 * queued (*ret says how it went), 0 when no response could be made.
 */
static int
http_queue_part(struct MHD_Connection *c, struct http_entry *e, uint64_t from,
    uint64_t to, struct http_req *r, enum MHD_Result *ret)
{
	struct MHD_Response *resp;
	unsigned status = MHD_HTTP_PARTIAL_CONTENT;
	uint64_t n = 0;
	char cr[80];
	int fd;

	if (from > to) {
		status = MHD_HTTP_RANGE_NOT_SATISFIABLE;
		resp = MHD_create_response_from_buffer(
		    0, (void *)"", MHD_RESPMEM_PERSISTENT);
		snprintf(
		    cr, sizeof(cr), "bytes */%llu", (unsigned long long)e->len);
	} else {
		n = to - from + 1;
		snprintf(cr, sizeof(cr), "bytes %llu-%llu/%llu",
		    (unsigned long long)from, (unsigned long long)to,
		    (unsigned long long)e->len);
		if (e->fd != -1) {
			if ((fd = fcntl(e->fd, F_DUPFD_CLOEXEC, 0)) == -1)
				return 0;
			resp = MHD_create_response_from_fd_at_offset64(
			    n, fd, from);
			if (resp == NULL)
				close(fd);
		} else
			resp = MHD_create_response_from_buffer((size_t)n,
			    (void *)(e->body + from), MHD_RESPMEM_MUST_COPY);
	}
	if (resp == NULL)
		return 0;
	if (status == MHD_HTTP_PARTIAL_CONTENT)
		MHD_get_response_headers(e->plain, http_copy_header, resp);
	else
		http_security_headers(resp);
	MHD_add_response_header(resp, "Content-Range", cr);
	r->status = (int)status;
	r->bytes = (size_t)n;
	*ret = MHD_queue_response(c, status, resp);
	MHD_destroy_response(resp);
	return 1;
}

/* Answers from entry e: 304, a part of an upload (206, 416), brotli, gzip
 * or identity. Call with e alive (under the cache lock, or owned). */
static enum MHD_Result
http_queue_entry(struct MHD_Connection *c, struct http_entry *e, int enc,
    struct http_req *r)
{
	struct MHD_Response *resp;
	enum MHD_Result ret;
	uint64_t from = 1, to = 0;
	int k;

	if (http_not_modified(c, e))
		return http_queue_304(c, e, enc, r);
	/* Range is for GET alone (RFC 9110); "bytes=A-B" only */
	if (e->upload && strcmp(r->method, "GET") == 0 &&
	    (k = http_range(
		 MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Range"),
		 e->len, &from, &to)) != 0 &&
	    http_if_range(c, e)) {
		/* from > to (left as they were) when k is -1: 416 */
		if (http_queue_part(c, e, from, to, r, &ret))
			return ret;
		/* no descriptor or memory for a part: the whole body */
	}
	resp = http_pick(e, enc);
	r->status = MHD_HTTP_OK;
	r->bytes = strcmp(r->method, "HEAD") == 0 ? 0
	    : resp == e->br                       ? e->brlen
	    : resp == e->gz                       ? e->gzlen
	                                          : e->len;
	return MHD_queue_response(c, MHD_HTTP_OK, resp);
}

/*
 * Brotli. At quality 11 a page takes some 12 ms to compress (br.c), 60
 * times its gzip: too slow for a request to wait for, and a flood of
 * first requests would pay it again and again. So a cached page is
 * compressed once, on one thread at idle priority, after the first
 * request that accepts brotli finds it cached; the readers until then
 * get gzip. A busy server serves before it compresses.
 */

/* Asks for e's brotli, once; call under the cache lock. A full queue
 * leaves e to be asked for again by a later request. */
static void
http_br_ask(struct http_entry *e)
{
	int none = HTTP_BR_NONE;
	char *key;

	if (!http.br_running ||
	    atomic_load_explicit(&e->br_state, memory_order_relaxed) !=
		HTTP_BR_NONE ||
	    !atomic_compare_exchange_strong(
		&e->br_state, &none, HTTP_BR_QUEUED))
		return;
	pthread_mutex_lock(&http.br_lock);
	if (http.br_count < HTTP_BR_QUEUE && (key = strdup(e->key)) != NULL) {
		http.br_queue[(http.br_head + http.br_count) % HTTP_BR_QUEUE] =
		    key;
		http.br_count++;
		pthread_cond_signal(&http.br_cond);
	} else
		atomic_store(&e->br_state, HTTP_BR_NONE);
	pthread_mutex_unlock(&http.br_lock);
}

/* Copies a header of the gzip response but its coding and tag. */
static enum MHD_Result
http_br_header(
    void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
	if (kind == MHD_HEADER_KIND &&
	    strcasecmp(key, "Content-Encoding") != 0 &&
	    strcasecmp(key, "ETag") != 0)
		MHD_add_response_header(cls, key, value);
	return MHD_YES;
}

/* The cached entry of key, if it is the one numbered serial; call under
 * the cache lock. */
static struct http_entry *
http_br_find(const char *key, unsigned long long serial)
{
	struct http_entry *e;

	for (e = http.bucket[http_hash(key)]; e != NULL; e = e->next)
		if (strcmp(e->key, key) == 0)
			return serial == 0 || e->serial == serial ? e : NULL;
	return NULL;
}

/* Compresses the page cached under key and keeps the result beside its
 * gzip, when it is smaller and fits in the cache's cap. The body is
 * copied out, and compressed with no lock held: the entry may be dropped
 * or replaced meanwhile, which its serial number tells. */
static void
http_br_make(const char *key)
{
	struct http_entry *e;
	struct MHD_Response *resp = NULL;
	unsigned long long serial = 0;
	char *copy = NULL, *out = NULL;
	size_t len = 0, gzlen = 0, n = 0;

	pthread_rwlock_rdlock(&http.cache_lock);
	e = http_br_find(key, 0);
	if (e != NULL && atomic_load(&e->br_state) == HTTP_BR_QUEUED) {
		if (e->gz != NULL && e->body != NULL &&
		    e->len <= BR_MAX_BODY &&
		    (copy = malloc(e->len)) != NULL) {
			memcpy(copy, e->body, e->len);
			len = e->len;
			gzlen = e->gzlen;
			serial = e->serial;
		} else /* it stays in gzip */
			atomic_store(&e->br_state, HTTP_BR_DONE);
	}
	pthread_rwlock_unlock(&http.cache_lock);
	if (copy == NULL)
		return;
	out = br_compress(copy, len, &n);
	free(copy);
	if (out != NULL && n >= gzlen) { /* not worth a third copy */
		free(out);
		out = NULL;
	}
	if (out != NULL &&
	    (resp = MHD_create_response_from_buffer_with_free_callback(
		 n, out, http_free_body)) == NULL)
		free(out);
	pthread_rwlock_wrlock(&http.cache_lock);
	if ((e = http_br_find(key, serial)) != NULL) {
		if (resp != NULL && e->br == NULL &&
		    http.cache_bytes + n <= http.site->conf.cache_max) {
			MHD_get_response_headers(e->gz, http_br_header, resp);
			MHD_add_response_header(resp, "Content-Encoding", "br");
			MHD_add_response_header(resp, "ETag", e->bretag);
			e->br = resp;
			e->brlen = n;
			e->bytes += n;
			http.cache_bytes += n;
			resp = NULL;
		}
		atomic_store(&e->br_state, HTTP_BR_DONE);
	}
	pthread_rwlock_unlock(&http.cache_lock);
	if (resp != NULL)
		MHD_destroy_response(resp);
}

static void *
http_br_main(void *arg)
{
	struct sched_param sp = {0};
	char *key;

	(void)arg;
	/* runs only when no other thread wants the processor */
	(void)pthread_setschedparam(pthread_self(), SCHED_IDLE, &sp);
	pthread_mutex_lock(&http.br_lock);
	while (!http.br_stop) {
		if (http.br_count == 0) {
			pthread_cond_wait(&http.br_cond, &http.br_lock);
			continue;
		}
		key = http.br_queue[http.br_head];
		http.br_head = (http.br_head + 1) % HTTP_BR_QUEUE;
		http.br_count--;
		pthread_mutex_unlock(&http.br_lock);
		http_br_make(key);
		free(key);
		pthread_mutex_lock(&http.br_lock);
	}
	pthread_mutex_unlock(&http.br_lock);
	return NULL;
}

/* Starts the brotli thread; without it pages go out in gzip alone. */
static void
http_br_start(void)
{
	pthread_mutex_init(&http.br_lock, NULL);
	pthread_cond_init(&http.br_cond, NULL);
	http.br_running =
	    pthread_create(&http.br_thread, NULL, http_br_main, NULL) == 0;
	if (!http.br_running)
		fprintf(stderr, "herald: no brotli thread: pages go out in "
		                "gzip alone\n");
}

/* Stops the brotli thread and drops what it had still to do. */
static void
http_br_stop(void)
{
	if (http.br_running) {
		pthread_mutex_lock(&http.br_lock);
		http.br_stop = 1;
		pthread_cond_signal(&http.br_cond);
		pthread_mutex_unlock(&http.br_lock);
		pthread_join(http.br_thread, NULL);
		http.br_running = 0;
	}
	while (http.br_count > 0) {
		free(http.br_queue[http.br_head]);
		http.br_head = (http.br_head + 1) % HTTP_BR_QUEUE;
		http.br_count--;
	}
	pthread_mutex_destroy(&http.br_lock);
	pthread_cond_destroy(&http.br_cond);
}

/* Answers from the cache when it holds a live page for key; -1 when not. */
static int
http_cache_answer(struct MHD_Connection *c, const char *key, int enc,
    time_t now, struct http_req *r)
{
	struct http_entry *e;
	int ret = -1;

	pthread_rwlock_rdlock(&http.cache_lock);
	for (e = http.bucket[http_hash(key)]; e != NULL; e = e->next)
		if (strcmp(e->key, key) == 0)
			break;
	/* An entry still here is current: http_watch drops those a change
	 * touches. MHD_queue_response takes its own reference to the
	 * response, so the entry may go once the lock is released. */
	if (e != NULL && (e->expires == 0 || now < e->expires)) {
		atomic_store_explicit(&e->used, 1, memory_order_relaxed);
		if ((enc & HTTP_ENC_BR) && e->gz != NULL)
			http_br_ask(e);
		ret = http_queue_entry(c, e, enc, r) == MHD_YES ? 1 : 0;
	}
	pthread_rwlock_unlock(&http.cache_lock);
	return ret;
}

/* Takes e's size (and file) off the cache's counts; call with the cache
 * lock held for writing, as e leaves. */
static void
http_cache_forget(const struct http_entry *e)
{
	http.cache_bytes -= e->bytes;
	if (e->fd != -1)
		http.cache_fds--;
}

/*
 * Drops one entry not read lately, to make room: the clock algorithm (an
 * approximation of least recently used that costs a hit one relaxed
 * store, no lock). The hand walks the buckets; an entry read since it
 * last passed is spared once, one not read goes; with fd_only, only
 * entries holding a file go. 0 when there is none to drop. Call with the
 * cache lock held for writing.
 */
static int
http_cache_evict(int fd_only)
{
	struct http_entry **pp, *e;
	size_t steps;

	for (steps = 0; steps < 2 * HTTP_CACHE_BUCKETS + 1; steps++) {
		for (pp = &http.bucket[http.hand]; (e = *pp) != NULL;
		     pp = &e->next) {
			if ((fd_only && e->fd == -1) ||
			    atomic_exchange_explicit(
				&e->used, 0, memory_order_relaxed))
				continue;
			*pp = e->next;
			http_cache_forget(e);
			http_entry_free(e);
			return 1;
		}
		http.hand = (http.hand + 1) % HTTP_CACHE_BUCKETS;
	}
	return 0;
}

/* Keeps e (replacing an older one of that key), making room by dropping
 * the entries not read lately (within cache_mb, and http.fd_max open
 * files); 0 when it is not kept. */
static int
http_cache_put(struct http_entry *e)
{
	struct http_entry **pp, *old;
	int kept = 0;

	pthread_rwlock_wrlock(&http.cache_lock);
	/* rendered before a change that http_watch has since dealt with:
	 * it may show what the change undid, so it is not kept */
	if (e->rev != atomic_load(&http.rev)) {
		pthread_rwlock_unlock(&http.cache_lock);
		return 0;
	}
	for (pp = &http.bucket[http_hash(e->key)]; *pp; pp = &(*pp)->next)
		if (strcmp((*pp)->key, e->key) == 0) {
			old = *pp;
			*pp = old->next;
			http_cache_forget(old);
			http_entry_free(old);
			break;
		}
	for (;;) {
		int over_bytes =
		    http.cache_bytes + e->bytes > http.site->conf.cache_max;
		int over_fds = e->fd != -1 && http.cache_fds >= http.fd_max;

		if (!over_bytes && !over_fds) {
			e->next = http.bucket[http_hash(e->key)];
			http.bucket[http_hash(e->key)] = e;
			http.cache_bytes += e->bytes;
			http.cache_fds += e->fd != -1;
			kept = 1;
			break;
		}
		if (e->bytes > http.site->conf.cache_max ||
		    (e->fd != -1 && http.fd_max == 0) ||
		    !http_cache_evict(!over_bytes))
			break;
	}
	pthread_rwlock_unlock(&http.cache_lock);
	return kept;
}

struct http_count {
	const char *name;
	int n;
};

static enum MHD_Result
http_count_header(void *cls, enum MHD_ValueKind kind, const char *key,
    const char *value)
{
	struct http_count *hc = cls;

	(void)kind;
	(void)value;
	if (strcasecmp(key, hc->name) == 0)
		hc->n++;
	return MHD_YES;
}

static int
http_header_count(struct MHD_Connection *c, const char *name)
{
	struct http_count hc = {name, 0};

	MHD_get_connection_values(c, MHD_HEADER_KIND, http_count_header, &hc);
	return hc.n;
}

/* Checks what can be checked before any body is read. Returns 0 or the
 * status to answer with (and *allow for a 405). */
static int
http_check(struct MHD_Connection *c, const char *url, const char *method,
    const char **allow, size_t *maxbody)
{
	const char *p, *cl;
	int is_post = strcmp(method, "POST") == 0, takes_body, admin;
	char *end;
	unsigned long long n;

	admin = strncmp(url, "/admin/", 7) == 0 || strcmp(url, "/admin") == 0;
	takes_body = strcmp(url, "/email") == 0 || admin ||
	    strcmp(url, "/subscribe") == 0 ||
	    strcmp(url, "/subscribe/confirm") == 0 ||
	    strcmp(url, "/unsubscribe") == 0;
	*maxbody = admin ? HTTP_MAX_ADMIN_BODY : HTTP_MAX_BODY;
	*allow = takes_body ? "GET, HEAD, POST" : "GET, HEAD";
	if (strlen(url) > HTTP_MAX_PATH)
		return MHD_HTTP_URI_TOO_LONG;
	if (url[0] != '/')
		return MHD_HTTP_BAD_REQUEST;
	for (p = url; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f || *p == '\\')
			return MHD_HTTP_BAD_REQUEST;
	for (p = url; (p = strchr(p, '/')) != NULL; p++)
		if ((p[1] == '.' && (p[2] == '/' || p[2] == '\0')) ||
		    (p[1] == '.' && p[2] == '.' && (p[3] == '/' || p[3] == '\0')))
			return MHD_HTTP_BAD_REQUEST;
	if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0 &&
	    !(is_post && takes_body))
		return MHD_HTTP_METHOD_NOT_ALLOWED;
	if (http_header_count(c, "Content-Length") > 1 ||
	    http_header_count(c, "Transfer-Encoding") > 1)
		return MHD_HTTP_BAD_REQUEST;
	cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
	    MHD_HTTP_HEADER_CONTENT_LENGTH);
	if (!is_post) {
		/* GET and HEAD take no body: refuse one rather than guess
		 * where the next request starts. */
		if (http_header_count(c, "Transfer-Encoding") > 0 ||
		    (cl != NULL && strcmp(cl, "0") != 0))
			return MHD_HTTP_BAD_REQUEST;
		return 0;
	}
	if (cl != NULL) {
		errno = 0;
		n = strtoull(cl, &end, 10);
		if (errno || *end || end == cl)
			return MHD_HTTP_BAD_REQUEST;
		/* Uploads past the form limit only for a signed-in editor,
		 * checked before a byte of the body is read. */
		if (admin && n > *maxbody && n <= HTTP_MAX_UPLOAD &&
		    auth_may_upload(http.site, http_db(http.site),
		        MHD_lookup_connection_value(c, MHD_HEADER_KIND,
		            "Cookie"),
		        time(NULL)))
			*maxbody = HTTP_MAX_UPLOAD;
		http_db_release();
		if (n > *maxbody)
			return MHD_HTTP_CONTENT_TOO_LARGE;
	}
	return 0;
}

/* A qvalue at p ("0", "0.5", "1", "1.000") in thousandths; 0 when
 * malformed, so that a coding is refused when in doubt (identity is
 * always there to fall back on). */
static int
http_qvalue(const char *p)
{
	int q = 0, scale = 100;

	if (*p != '0' && *p != '1')
		return 0;
	q = (*p++ - '0') * 1000;
	if (*p == '.')
		for (p++; *p >= '0' && *p <= '9' && scale > 0; p++, scale /= 10)
			q += (*p - '0') * scale;
	return q > 1000 ? 1000 : q;
}

int
http_accept_encoding(const char *ae)
{
	int qg = -1, qb = -1, qstar = -1, q, enc = 0;
	const char *p = ae, *tok;
	size_t n;

	if (ae == NULL)
		return 0;
	while (*p != '\0') {
		while (*p == ' ' || *p == '\t' || *p == ',')
			p++;
		for (tok = p; *p && *p != ',' && *p != ';' && *p != ' ' &&
		     *p != '\t';
		     p++)
			;
		n = (size_t)(p - tok);
		q = 1000;
		while (*p != '\0' && *p != ',') {
			if (*p++ != ';')
				continue;
			while (*p == ' ' || *p == '\t')
				p++;
			if ((*p == 'q' || *p == 'Q') && p[1] == '=')
				q = http_qvalue(p + 2);
		}
		if (n == 0)
			continue;
		/* a coding named twice: the first says it */
		if (((n == 4 && strncasecmp(tok, "gzip", 4) == 0) ||
		        (n == 6 && strncasecmp(tok, "x-gzip", 6) == 0)) &&
		    qg < 0)
			qg = q;
		else if (n == 2 && strncasecmp(tok, "br", 2) == 0 && qb < 0)
			qb = q;
		else if (n == 1 && *tok == '*' && qstar < 0)
			qstar = q;
	}
	/* "*" stands for every coding not named */
	if (qg < 0)
		qg = qstar < 0 ? 0 : qstar;
	if (qb < 0)
		qb = qstar < 0 ? 0 : qstar;
	if (qg > 0)
		enc |= HTTP_ENC_GZIP;
	if (qb > 0)
		enc |= HTTP_ENC_BR;
	if (qb > 0 && qb >= qg)
		enc |= HTTP_ENC_BR_FIRST;
	return enc;
}

static void
http_client_addr(struct MHD_Connection *c, unsigned char addr[16])
{
	const union MHD_ConnectionInfo *ci;
	const struct sockaddr *sa;

	memset(addr, 0, 16);
	ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	if (ci == NULL || (sa = ci->client_addr) == NULL)
		return;
	if (sa->sa_family == AF_INET) {
		addr[10] = addr[11] = 0xff;
		memcpy(addr + 12, &((const struct sockaddr_in *)sa)->sin_addr, 4);
	} else if (sa->sa_family == AF_INET6)
		memcpy(addr, &((const struct sockaddr_in6 *)sa)->sin6_addr, 16);
}

/* Queues a one-off answer (errors, POST answers): body is taken. */
static enum MHD_Result
http_queue_once(struct MHD_Connection *c, struct http_req *r, int status,
    char *body, size_t len, const struct req *q)
{
	struct MHD_Response *resp;
	enum MHD_Result ret;
	char num[32];
	size_t i;

	if ((resp = http_response(body, len,
	         q && q->ctype ? q->ctype : "text/html; charset=utf-8")) ==
	    NULL)
		return MHD_NO;
	MHD_add_response_header(resp, "Cache-Control",
	    q && q->cache_control ? q->cache_control : "no-store");
	for (i = 0; q && i < q->ncookies; i++)
		MHD_add_response_header(resp, "Set-Cookie", q->cookies[i]);
	if (q && q->location)
		MHD_add_response_header(resp, "Location", q->location);
	if (q && q->disposition)
		MHD_add_response_header(resp, "Content-Disposition",
		    q->disposition);
	if (q && q->allow)
		MHD_add_response_header(resp, "Allow", q->allow);
	if (q && q->retry_after) {
		snprintf(num, sizeof(num), "%u", q->retry_after);
		MHD_add_response_header(resp, "Retry-After", num);
	}
	r->status = status;
	r->bytes = strcmp(r->method, "HEAD") == 0 ? 0 : len;
	ret = MHD_queue_response(c, (unsigned)status, resp);
	MHD_destroy_response(resp);
	return ret;
}

/* Runs a request through the pages (or just the error page when status is
 * already known) and queues the answer. */
static enum MHD_Result
http_answer(struct MHD_Connection *c, struct http_req *r, const char *url,
    int status, const char *allow)
{
	struct site *site = http.site;
	struct http_entry *e;
	struct req q;
	enum MHD_Result ret;
	char *body;
	size_t len;
	int enc = http_accept_encoding(MHD_lookup_connection_value(c,
	        MHD_HEADER_KIND, MHD_HTTP_HEADER_ACCEPT_ENCODING)),
	    hit, cacheable;
	time_t now = time(NULL);
	const char *cc;
	long long rev;

	if (status == 0 && strcmp(r->method, "POST") != 0 &&
	    (hit = http_cache_answer(c, url, enc, now, r)) != -1)
		return hit ? MHD_YES : MHD_NO;
	rev = atomic_load(&http.rev);
	memset(&q, 0, sizeof(q));
	q.a = arena_new();
	q.site = site;
	q.method = r->method;
	q.path = url;
	q.body = buf_cstr(&r->body);
	q.bodylen = r->body.len;
	q.now = now;
	q.lastmod = (time_t)atomic_load(&http.changed_at);
	q.allow = allow;
	http_client_addr(c, q.addr);
	buf_init(&q.out, (size_t)8 << 20);
	q.db = http_db(site);
	q.conn = c;
	q.files = http.files;
	if (status != 0) {
		q.status = status;
		page_error(&q);
	} else if (q.db == NULL) {
		q.status = MHD_HTTP_SERVICE_UNAVAILABLE;
		q.retry_after = 5;
		page_error(&q);
	} else {
		/* a public page reads one snapshot (and locks the file once);
		 * the admin reads what its own writes just did */
		int snap = strcmp(r->method, "POST") != 0 &&
		    strncmp(url, "/admin", 6) != 0 && db_read_begin(q.db) == 0;

		page_dispatch(&q);
		if (snap)
			db_read_end(q.db);
		/* an editor's change shows at once on the next request, not
		 * only at the watcher's next look */
		if (strcmp(r->method, "POST") == 0 &&
		    strncmp(url, "/admin", 6) == 0)
			http_watch(q.db);
	}
	if (q.has_fd && (q.out.err || q.status != MHD_HTTP_OK)) {
		close(q.fd);
		q.has_fd = 0;
	}
	if (q.out.err) {
		buf_reset(&q.out);
		q.status = MHD_HTTP_INTERNAL_SERVER_ERROR;
		q.cache = 0;
		page_error(&q);
	}
	body = buf_detach(&q.out, &len);
	/* a file is answered through an entry even when not kept, for its
	 * validators and Range */
	cacheable = q.cache && !q.uses_query && strcmp(r->method, "POST");
	if (q.status == MHD_HTTP_OK && (cacheable || q.has_fd)) {
		cc = q.cache_control ? q.cache_control
		                     : "public, max-age=60, must-revalidate";
		e = http_entry_new(url, &q, body, len, cc,
		    q.lastmod ? q.lastmod : site->started, rev);
		if (e == NULL) {
			ret = MHD_NO;
			goto done;
		}
		ret = http_queue_entry(c, e, enc, r);
		if (!cacheable || !http_cache_put(e))
			http_entry_free(e);
		goto done;
	}
	ret = http_queue_once(c, r, q.status, body, len, &q);
done:
	http_db_release();
	buf_free(&q.out);
	arena_free(q.a);
	return ret;
}

const char *
req_header(struct req *q, const char *name)
{
	if (q->conn == NULL)
		return NULL;
	return MHD_lookup_connection_value(q->conn, MHD_HEADER_KIND, name);
}

const char *
req_arg(struct req *q, const char *key)
{
	q->uses_query = 1;
	if (q->conn == NULL)
		return NULL;
	return MHD_lookup_connection_value(q->conn, MHD_GET_ARGUMENT_KIND, key);
}

static enum MHD_Result
http_handler(void *cls, struct MHD_Connection *c, const char *url,
    const char *method, const char *version, const char *upload,
    size_t *upload_size, void **con_cls)
{
	struct http_req *r = *con_cls;
	const char *allow = NULL;
	size_t maxbody = HTTP_MAX_BODY;
	int status;

	(void)cls;
	if (r == NULL)
		return MHD_NO; /* http_uri found no memory */
	if (!r->started) {
		r->started = 1;
		snprintf(r->method, sizeof(r->method), "%s", method);
		status = http_check(c, url, method, &allow, &maxbody);
		r->body.max = maxbody;
		/* libmicrohttpd cuts the URI at a NUL byte sent raw in the
		 * request line; the version then does not start right after
		 * the URI we were shown. */
		if (status == 0 && version != NULL && *version != '\0' &&
		    version != r->uri + r->urilen + 1)
			status = MHD_HTTP_BAD_REQUEST;
		if (status == 0 && r->urilen > HTTP_MAX_PATH)
			status = MHD_HTTP_URI_TOO_LONG;
		if (status != 0) {
			r->early = 1;
			return http_answer(c, r, url, status, allow);
		}
		/* Answer on the next call: libmicrohttpd closes the
		 * connection after an answer queued with the headers alone
		 * (as it must when a body may follow), which would cost
		 * keep-alive. Errors above are answered at once on purpose. */
		return MHD_YES;
	}
	if (*upload_size != 0) {
		if (!r->early && buf_append(&r->body, upload, *upload_size) == -1)
			r->too_big = 1;
		*upload_size = 0;
		return MHD_YES;
	}
	if (r->early)
		return MHD_YES;
	if (r->too_big) {
		r->early = 1;
		return http_answer(c, r, url, MHD_HTTP_CONTENT_TOO_LARGE, NULL);
	}
	return http_answer(c, r, url, 0, NULL);
}

/* Parses "host:port", "[v6]:port", ":port" or "port". Returns 0 or -1. */
static int
http_listen_addr(const char *s, struct sockaddr_storage *ss, int *v6)
{
	char host[256];
	const char *colon, *port;
	char *end;
	unsigned long p;
	struct sockaddr_in *in = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	*v6 = 0;
	host[0] = '\0';
	if (s[0] == '[') {
		if ((colon = strstr(s, "]:")) == NULL ||
		    (size_t)(colon - s - 1) >= sizeof(host))
			return -1;
		memcpy(host, s + 1, (size_t)(colon - s - 1));
		host[colon - s - 1] = '\0';
		port = colon + 2;
		*v6 = 1;
	} else if ((colon = strrchr(s, ':')) != NULL) {
		if ((size_t)(colon - s) >= sizeof(host))
			return -1;
		memcpy(host, s, (size_t)(colon - s));
		host[colon - s] = '\0';
		port = colon + 1;
	} else
		port = s;
	errno = 0;
	p = strtoul(port, &end, 10);
	if (errno || *end || end == port || p > 65535)
		return -1;
	if (*v6) {
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons((uint16_t)p);
		return inet_pton(AF_INET6, host, &in6->sin6_addr) == 1 ? 0 : -1;
	}
	in->sin_family = AF_INET;
	in->sin_port = htons((uint16_t)p);
	if (host[0] == '\0' || strcmp(host, "*") == 0) {
		in->sin_addr.s_addr = htonl(INADDR_ANY);
		return 0;
	}
	if (strcmp(host, "localhost") == 0)
		snprintf(host, sizeof(host), "127.0.0.1");
	return inet_pton(AF_INET, host, &in->sin_addr) == 1 ? 0 : -1;
}

/* Drops the entries a change of the items ids[0..n) touches: their own
 * pages and every page that may show any item. Call with the cache lock
 * held for writing. */
static void
http_cache_drop_items(const long long *ids, size_t n)
{
	struct http_entry **pp, *e;
	size_t i, k;

	for (i = 0; i < HTTP_CACHE_BUCKETS; i++)
		for (pp = &http.bucket[i]; (e = *pp) != NULL;) {
			int drop = e->any_item;

			for (k = 0; !drop && e->item_id && k < n; k++)
				drop = e->item_id == ids[k];
			if (drop) {
				*pp = e->next;
				http_cache_forget(e);
				http_entry_free(e);
			} else
				pp = &e->next;
		}
}

#define HTTP_WATCH_IDS 4096 /* changed items dealt with one by one */

/*
 * Reads the content revision; on a change, drops the rendered pages it
 * touches. The change log (migration 8) says which items changed since
 * the revision last seen: their pages and the pages that may show any
 * item go. A change of anything else (settings, tags, members...), of the
 * readers' languages (in every page's form), a log that no longer
 * reaches back that far or too many items drop everything.
 */
static void
http_watch(struct db *db)
{
	long long rev, changed, old, oldest, *ids = NULL;
	struct arena *a;
	struct val *rows = NULL, *row;
	const char *langs;
	size_t i, n = 0;
	int all = 0;

	pthread_mutex_lock(&http.watch_lock);
	rev = db_int(db, "SELECT CAST(value AS INTEGER) FROM meta "
	                 "WHERE key = 'rev'", "");
	changed = db_int(db, "SELECT CAST(value AS INTEGER) FROM meta "
	                     "WHERE key = 'changed_at'", "");
	old = atomic_load(&http.rev);
	if (rev < 0 || rev == old) {
		pthread_mutex_unlock(&http.watch_lock);
		return;
	}
	a = arena_new();
	oldest = db_int(db, "SELECT min(rev) FROM changelog", "");
	langs = news_langs_key(db, a);
	/* a logged row carries meta.rev as its change made it: what came
	 * after revision old is logged from old + 1 on */
	if (old <= 0 || oldest < 0 || oldest > old + 1 || langs == NULL ||
	    strcmp(langs, http.langs) != 0 ||
	    db_query(db, a, &rows,
	        "SELECT DISTINCT item_id FROM changelog WHERE rev > ? "
	        "ORDER BY item_id IS NOT NULL LIMIT ?",
	        "ii", old, (long long)HTTP_WATCH_IDS + 1) == -1 ||
	    rows->u.list.n == 0 || rows->u.list.n > HTTP_WATCH_IDS ||
	    (ids = arena_alloc(a, (rows->u.list.n + 1) * sizeof(*ids))) ==
	        NULL)
		all = 1;
	for (i = 0; !all && i < rows->u.list.n; i++) {
		row = rows->u.list.items[i];
		if (val_get(row, "item_id")->type != VAL_NUM)
			all = 1; /* not an item's: the NULLs come first */
		else
			ids[n++] = page_int(row, "item_id");
	}
	if (langs != NULL)
		snprintf(http.langs, sizeof(http.langs), "%s", langs);
	pthread_rwlock_wrlock(&http.cache_lock);
	atomic_store(&http.changed_at, changed);
	atomic_store(&http.rev, rev);
	if (all)
		http_cache_clear_locked();
	else
		http_cache_drop_items(ids, n);
	pthread_rwlock_unlock(&http.cache_lock);
	arena_free(a);
	pthread_mutex_unlock(&http.watch_lock);
}

/* Removes the upload files no upload has any more: all at the start, the
 * older contents of replaced uploads while serving; says so when there
 * were some. */
static void
http_sweep(struct db *db, int start)
{
	int n;

	if (http.files != NULL &&
	    (n = start ? files_sweep(http.files, db, time(NULL))
		       : files_sweep_marked(http.files, db, time(NULL))) > 0)
		fprintf(stderr,
		    "herald: %s: removed %d files of uploads that changed or "
		    "are gone\n",
		    files_dir(http.files), n);
}

/*
 * How many files the cache may keep open: the soft limit on descriptors
 * is raised to the hard one (the default 1024 is below the connection
 * limit alone), and half of what the connections leave goes to files,
 * at most HTTP_FD_MAX. 0 when there is no room: uploads are then opened
 * for each request and never kept.
 */
static size_t
http_fd_budget(unsigned conn_limit)
{
	struct rlimit rl;
	unsigned long long cur;

	if (getrlimit(RLIMIT_NOFILE, &rl) == -1)
		return 0;
	if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < rl.rlim_max) {
		struct rlimit up = rl;

		up.rlim_cur = rl.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &up) == 0)
			rl = up;
	}
	cur = rl.rlim_cur == RLIM_INFINITY ? (unsigned long long)HTTP_FD_MAX * 4
					   : (unsigned long long)rl.rlim_cur;
	if (cur <= (unsigned long long)conn_limit + 64)
		return 0;
	cur = (cur - conn_limit - 64) / 2;
	return cur > HTTP_FD_MAX ? HTTP_FD_MAX : (size_t)cur;
}

int
http_serve(struct site *site)
{
	struct sockaddr_storage ss;
	struct sigaction sa;
	struct db *watch = NULL, *writer = NULL;
	time_t due_at = 0;
	struct timespec tick = {0, 200 * 1000 * 1000};
	unsigned threads = site->conf.threads;
	size_t i;
	int v6, rc = 1;

	memset(&http, 0, sizeof(http));
	http.site = site;
	http.log_fd = -1;
	pthread_rwlock_init(&http.cache_lock, NULL);
	pthread_mutex_init(&http.watch_lock, NULL);
	pthread_mutex_init(&http.dbs_lock, NULL);
	pthread_cond_init(&http.dbs_freed, NULL);
	http.rd.flags = DB_READONLY;
	http_br_start();
	if (http_listen_addr(site->conf.listen, &ss, &v6) == -1) {
		fprintf(stderr, "herald: bad listen address \"%s\" (want "
		                "ADDR:PORT)\n",
		    site->conf.listen);
		goto done;
	}
	if (strcmp(site->conf.access_log, "-") == 0)
		http.log_fd = STDERR_FILENO;
	else if (site->conf.access_log[0] != '\0' &&
	    (http.log_fd = open(site->conf.access_log,
	         O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640)) == -1) {
		fprintf(stderr, "herald: %s: %s\n", site->conf.access_log,
		    strerror(errno));
		goto done;
	}
	if ((watch = db_open(site->conf.db, DB_READONLY)) == NULL)
		goto done;
	atomic_store(&http.rev, -1);
	http_watch(watch);
	/* uploads as files: those no upload has any more go now, before a
	 * request could be about to open one */
	http.fd_max = http_fd_budget(site->conf.conn_limit);
	http.files = files_new(site->conf.db);
	http_sweep(watch, 1);
	if (threads == 0) {
		/* Eight per core, not one: each of libmicrohttpd's pool
		 * threads accepts from the one socket, up to ten at a time,
		 * whichever wakes first, so after a burst one thread can
		 * hold two thirds of the connections. One a core left that
		 * thread's clients waiting beside an idle core (p99 at 256
		 * connections 15-21 ms on 2 cores); with more threads than
		 * cores the kernel spreads the work (10-16 ms at 16). */
		long n = sysconf(_SC_NPROCESSORS_ONLN);

		threads = n > 0 && n <= 8 ? (unsigned)n * HTTP_THREADS_CORE
					  : 8 * HTTP_THREADS_CORE;
	}
	/* connections: one a core (at least two), since rendering a page
	 * is work for a core; more would only map the database again */
	{
		long n = sysconf(_SC_NPROCESSORS_ONLN);

		http.dbs_max = n > 2 ? (size_t)n : 2;
		if (http.dbs_max > HTTP_DBS_MAX)
			http.dbs_max = HTTP_DBS_MAX;
		if (http.dbs_max > threads)
			http.dbs_max = threads;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = http_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	http.d = MHD_start_daemon(MHD_USE_EPOLL_INTERNAL_THREAD |
	        MHD_USE_ERROR_LOG | (v6 ? MHD_USE_IPv6 : 0),
	    0, NULL, NULL, http_handler, NULL, MHD_OPTION_SOCK_ADDR,
	    (struct sockaddr *)&ss, MHD_OPTION_THREAD_POOL_SIZE, threads,
	    MHD_OPTION_CONNECTION_TIMEOUT, site->conf.timeout,
	    MHD_OPTION_CONNECTION_LIMIT, site->conf.conn_limit,
	    MHD_OPTION_PER_IP_CONNECTION_LIMIT, site->conf.per_ip_limit,
	    MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)64 * 1024,
	    MHD_OPTION_LISTEN_BACKLOG_SIZE, 1024, MHD_OPTION_NOTIFY_COMPLETED,
	    http_completed, NULL, MHD_OPTION_URI_LOG_CALLBACK, http_uri, NULL,
	    MHD_OPTION_UNESCAPE_CALLBACK, http_unescape,
	    NULL, MHD_OPTION_STRICT_FOR_CLIENT, 1, MHD_OPTION_END);
	if (http.d == NULL) {
		fprintf(stderr, "herald: cannot listen on %s\n",
		    site->conf.listen);
		goto done;
	}
	fprintf(stderr, "herald: serving %s on http://%s with %u threads\n",
	    site->conf.db, site->conf.listen, threads);
	/* The server's own timer: scheduled items go live at their time,
	 * checked every second, with no visitor or cron needed. */
	if ((writer = db_open(site->conf.db, 0)) == NULL) {
		MHD_stop_daemon(http.d);
		goto done;
	}
	news_recover(writer);
	if (news_thread_start(site) == -1) {
		MHD_stop_daemon(http.d);
		goto done;
	}
	while (!http.stop) {
		if (time(NULL) != due_at) {
			due_at = time(NULL);
			admin_publish_due(writer, due_at);
		}
		nanosleep(&tick, NULL);
		http_watch(watch);
		http_sweep(watch, 0);
	}
	fprintf(stderr, "herald: stopping\n");
	MHD_stop_daemon(http.d);
	news_thread_stop();
	rc = 0;
done:
	http_br_stop();
	http_cache_clear();
	files_free(http.files);
	/* every request has ended: all connections are idle */
	for (i = 0; i < http.rd.nidle; i++)
		db_close(http.rd.idle[i]);
	for (i = 0; i < http.rw.nidle; i++)
		db_close(http.rw.idle[i]);
	db_close(watch);
	db_close(writer);
	if (http.log_fd > STDERR_FILENO)
		close(http.log_fd);
	pthread_rwlock_destroy(&http.cache_lock);
	pthread_mutex_destroy(&http.watch_lock);
	pthread_mutex_destroy(&http.dbs_lock);
	pthread_cond_destroy(&http.dbs_freed);
	return rc;
}
