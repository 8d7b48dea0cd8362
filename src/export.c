/* export.c: the whole public site as files, for nginx, a CDN or an object
 * store: every page reachable from the home page, the sitemap and the
 * feeds, rendered in-process by the same code the server answers with
 * (so the bodies are the server's), written with .gz twins, across
 * threads. Forms, search and the API stay on the origin server. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>
#include <zlib.h>

#include "extern.h"

#define EXPORT_MAX_PATHS 2000000
#define EXPORT_BUCKETS 65536
#define EXPORT_GZ_MIN 256 /* bytes below which no .gz twin is made */

struct export_path {
	struct export_path *next; /* in its hash bucket */
	char *path;
};

/* What the threads share: the frontier of paths to render (every path
 * is added once), the counts, the first error. */
struct export
{
	struct site *site;
	const char *out;
	pthread_mutex_t lock;
	pthread_cond_t more;
	struct export_path *bucket[EXPORT_BUCKETS];
	char **queue; /* paths not rendered yet, in order found */
	size_t nqueue, cap, next;
	size_t busy; /* threads rendering now */
	size_t npaths;
	long long files, written, bytes, gzbytes;
	int failed;
	char err[512];
	time_t lastmod; /* the content's last change, as the server has it */
};

static unsigned
export_hash(const char *s)
{
	uint32_t h = 2166136261u;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	return h % EXPORT_BUCKETS;
}

/* Paths that stay on the origin (forms, queries, the admin). */
static int
export_skip(const char *p)
{
	static const char *const origin[] = {"/admin", "/subscribe",
	    "/unsubscribe", "/email", "/search", "/api/"};
	size_t i, n;

	if (strchr(p, '?') || strchr(p, '#') || strstr(p, "..") ||
	    strstr(p, "//") || strlen(p) > 1024)
		return 1;
	for (i = 0; i < sizeof(origin) / sizeof(*origin); i++) {
		n = strlen(origin[i]);
		if (strncmp(p, origin[i], n) == 0 &&
		    (p[n] == '\0' || p[n] == '/' || origin[i][n - 1] == '/'))
			return 1;
	}
	return 0;
}

/* Adds path (n bytes) to the frontier unless known; call locked. */
static void
export_add_locked(struct export *x, const char *path, size_t n)
{
	struct export_path *e;
	char *p, **q;
	unsigned h;

	if (n == 0 || path[0] != '/')
		return;
	if ((p = strndup(path, n)) == NULL)
		return;
	if (export_skip(p)) {
		free(p);
		return;
	}
	h = export_hash(p);
	for (e = x->bucket[h]; e; e = e->next)
		if (strcmp(e->path, p) == 0) {
			free(p);
			return;
		}
	if (x->npaths >= EXPORT_MAX_PATHS || (e = malloc(sizeof(*e))) == NULL) {
		free(p);
		return;
	}
	if (x->nqueue == x->cap) {
		x->cap = x->cap ? x->cap * 2 : 1024;
		if ((q = realloc(x->queue, x->cap * sizeof(*q))) == NULL) {
			free(p);
			free(e);
			return;
		}
		x->queue = q;
	}
	e->path = p;
	e->next = x->bucket[h];
	x->bucket[h] = e;
	x->queue[x->nqueue++] = p;
	x->npaths++;
}

struct export_link {
	const char *p;
	size_t n;
};

/* The local paths an HTML or XML body links to: href, src, srcset and
 * sitemap <loc> values on this site. Found without the lock, then added
 * under it in one go. */
static void
export_links(struct export *x, const char *b, size_t len)
{
	const char *base = x->site->conf.base_url, *p = b, *end = b + len, *v;
	const char *e;
	size_t blen = strlen(base), n, i, nl = 0, cap = 0;
	static const char *const attrs[] = {
	    "href=\"", "src=\"", "srcset=\"", "<loc>"};
	struct export_link *l = NULL, *nlk;

	for (i = 0; i < sizeof(attrs) / sizeof(*attrs); i++) {
		n = strlen(attrs[i]);
		for (p = b; p < end &&
		     (p = buf_find(p, (size_t)(end - p), attrs[i], n)) != NULL;
		     p += n) {
			v = p + n;
			e = memchr(v, i == 3 ? '<' : '"', (size_t)(end - v));
			if (e == NULL)
				break;
			/* srcset: "URL 480w, URL 960w" */
			while (v < e) {
				const char *u = v, *ue;

				while (u < e && (*u == ' ' || *u == ','))
					u++;
				for (ue = u; ue < e && *ue != ' ' && *ue != ',';
				     ue++)
					;
				if ((size_t)(ue - u) > blen &&
				    strncmp(u, base, blen) == 0 &&
				    u[blen] == '/')
					u += blen;
				if (ue > u && *u == '/') {
					if (nl == cap) {
						cap = cap ? cap * 2 : 64;
						nlk = realloc(l, cap * sizeof(*l));
						if (nlk == NULL)
							goto add;
						l = nlk;
					}
					l[nl].p = u;
					l[nl++].n = (size_t)(ue - u);
				}
				if (i != 2)
					break;
				/* skip the width descriptor */
				for (v = ue; v < e && *v != ','; v++)
					;
			}
		}
	}
add:
	pthread_mutex_lock(&x->lock);
	for (i = 0; i < nl; i++)
		export_add_locked(x, l[i].p, l[i].n);
	pthread_cond_broadcast(&x->more);
	pthread_mutex_unlock(&x->lock);
	free(l);
}

/* The file of a path: "/" and ".../" are index.html; a last part with no
 * dot is a folder with index.html ("/news/x" → news/x/index.html, served
 * by try_files $uri/index.html); others are files as named. */
static char *
export_file(const struct export *x, const char *path)
{
	const char *last = strrchr(path, '/');
	char *f;
	size_t n = strlen(x->out) + strlen(path) + 16;

	if ((f = malloc(n)) == NULL)
		return NULL;
	if (path[strlen(path) - 1] == '/')
		snprintf(f, n, "%s%sindex.html", x->out, path);
	else if (strchr(last, '.') == NULL)
		snprintf(f, n, "%s%s/index.html", x->out, path);
	else
		snprintf(f, n, "%s%s", x->out, path);
	return f;
}

/* mkdir -p of the folder that holds file f, from the deepest folder up:
 * most files go into a folder that exists or into a new one under an
 * existing one, one mkdir each, not one per part of the path. */
static int
export_mkdirs(char *f)
{
	char *slash = strrchr(f, '/');
	int rc;

	if (slash == NULL || slash == f)
		return 0;
	*slash = '\0';
	if ((rc = mkdir(f, 0755)) == -1 && errno == ENOENT &&
	    export_mkdirs(f) == 0)
		rc = mkdir(f, 0755);
	if (rc == -1 && errno == EEXIST)
		rc = 0;
	*slash = '/';
	return rc;
}

/* 1 when file f holds exactly data (so it need not be written again:
 * a sync to a CDN sees it unchanged). */
static int
export_same(const char *f, const char *data, size_t len)
{
	struct stat st;
	char *old;
	FILE *fp;
	int same = 0;

	if (stat(f, &st) == -1 || (size_t)st.st_size != len)
		return 0;
	if ((fp = fopen(f, "rb")) == NULL)
		return 0;
	if ((old = malloc(len + 1)) != NULL && fread(old, 1, len, fp) == len &&
	    memcmp(old, data, len) == 0)
		same = 1;
	free(old);
	fclose(fp);
	return same;
}

/* Writes data to f through a temporary file and a rename, so a reader
 * (nginx) never sees half a file. 0, 1 when unchanged, or -1. */
static int
export_write(const char *f, const char *data, size_t len)
{
	char tmp[8192];
	int fd;
	ssize_t w;
	size_t off = 0;

	if (export_same(f, data, len))
		return 1;
	snprintf(tmp, sizeof(tmp), "%s.tmp-%ld", f, (long)pthread_self());
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644)) ==
	    -1)
		return -1;
	while (off < len) {
		if ((w = write(fd, data + off, len - off)) <= 0) {
			close(fd);
			unlink(tmp);
			return -1;
		}
		off += (size_t)w;
	}
	if (close(fd) == -1 || rename(tmp, f) == -1) {
		unlink(tmp);
		return -1;
	}
	return 0;
}

/* 1 for types worth a .gz twin. */
static int
export_compressible(const char *ctype)
{
	return ctype != NULL &&
	    (strncmp(ctype, "text/", 5) == 0 || strstr(ctype, "xml") ||
		strstr(ctype, "json") || strstr(ctype, "svg"));
}

/* Writes f.gz next to f, the server's own gzip bytes; 0 or -1. */
static int
export_gz(struct export *x, const char *f, const char *data, size_t len)
{
	char gzf[8192];
	char *out;
	size_t outlen;
	int rc;

	snprintf(gzf, sizeof(gzf), "%s.gz", f);
	if ((out = gz_compress(data, len, &outlen)) == NULL)
		return -1;
	rc = export_write(gzf, out, outlen) == -1 ? -1 : 0;
	pthread_mutex_lock(&x->lock);
	x->gzbytes += (long long)outlen;
	pthread_mutex_unlock(&x->lock);
	free(out);
	return rc;
}

/* Records the first failure (what, about a) and stops the threads. */
static void
export_fail(struct export *x, const char *what, const char *a)
{
	pthread_mutex_lock(&x->lock);
	if (!x->failed) {
		x->failed = 1;
		snprintf(x->err, sizeof(x->err), "%s %.400s", what, a);
	}
	pthread_cond_broadcast(&x->more);
	pthread_mutex_unlock(&x->lock);
}

/* Renders path as the server would and writes it. */
static void
export_one(struct export *x, struct db *db, const char *path)
{
	struct req q;
	char *f;
	int w;

	memset(&q, 0, sizeof(q));
	q.a = arena_new();
	q.site = x->site;
	q.db = db;
	q.method = "GET";
	q.exporting = 1;
	q.lastmod = x->lastmod;
	q.path = path;
	q.now = time(NULL);
	buf_init(&q.out, (size_t)64 << 20);
	page_dispatch(&q);
	if (q.status == 200 && !q.out.err) {
		if ((f = export_file(x, path)) == NULL ||
		    export_mkdirs(f) == -1 ||
		    (w = export_write(
			 f, q.out.data ? q.out.data : "", q.out.len)) == -1 ||
		    (export_compressible(q.ctype) &&
			q.out.len >= EXPORT_GZ_MIN &&
			export_gz(x, f, q.out.data, q.out.len) == -1))
			export_fail(x, "cannot write", f ? f : path);
		else {
			pthread_mutex_lock(&x->lock);
			x->files++;
			x->written += w == 0;
			x->bytes += (long long)q.out.len;
			pthread_mutex_unlock(&x->lock);
			if (q.ctype &&
			    (strncmp(q.ctype, "text/html", 9) == 0 ||
				strstr(q.ctype, "xml") != NULL))
				export_links(x, q.out.data, q.out.len);
		}
		free(f);
	}
	/* a 404 (a link to a page that is not public) or a redirect is not
	 * a file; the origin answers it */
	buf_free(&q.out);
	arena_free(q.a);
}

static void *
export_worker(void *arg)
{
	struct export *x = arg;
	struct db *db;
	char *path;

	if ((db = db_open(x->site->conf.db, DB_READONLY)) == NULL) {
		export_fail(x, "cannot open", x->site->conf.db);
		return NULL;
	}
	/* Reads go through SQLite's own bounded cache, not a map of the
	 * file: the run reads the whole database once, and mapped pages
	 * would stay counted in the process's memory to the end. Then one
	 * snapshot for the whole run: the files agree with each other even
	 * while editors work, and the file is locked once. */
	if (db_int(db, "PRAGMA mmap_size = 0", "") != 0 ||
	    db_read_begin(db) == -1) {
		export_fail(x, "cannot read", x->site->conf.db);
		db_close(db);
		return NULL;
	}
	pthread_mutex_lock(&x->lock);
	for (;;) {
		while (x->next == x->nqueue && x->busy > 0 && !x->failed)
			pthread_cond_wait(&x->more, &x->lock);
		if (x->failed || x->next == x->nqueue)
			break; /* nothing left, and nobody can add more */
		path = x->queue[x->next++];
		x->busy++;
		pthread_mutex_unlock(&x->lock);
		export_one(x, db, path);
		pthread_mutex_lock(&x->lock);
		x->busy--;
		pthread_cond_broadcast(&x->more);
	}
	pthread_cond_broadcast(&x->more);
	pthread_mutex_unlock(&x->lock);
	db_read_end(db);
	db_close(db);
	return NULL;
}

int
export_site(struct site *site, const char *out, unsigned jobs,
    struct export_stats *stats, char *err, size_t errlen)
{
	static const char *const seeds[] = {"/", "/robots.txt", "/sitemap.xml",
	    "/feed.atom", "/feed.json", "/events.ics"};
	struct export x;
	pthread_t th[64];
	unsigned i, started = 0;
	size_t k;
	struct export_path *e, *ne;
	struct db *db;
	long long ch;
	char root[4096];

	memset(&x, 0, sizeof(x));
	if (strlen(out) + 2 > sizeof(root)) {
		snprintf(err, errlen, "%s: path too long", out);
		return -1;
	}
	snprintf(root, sizeof(root), "%s/", out);
	if (export_mkdirs(root) == -1 && errno != EEXIST) {
		snprintf(err, errlen, "%s: %s", out, strerror(errno));
		return -1;
	}
	x.site = site;
	x.out = out;
	if ((db = db_open(site->conf.db, DB_READONLY)) != NULL) {
		ch = db_int(db,
		    "SELECT CAST(value AS INTEGER) FROM meta "
		    "WHERE key = 'changed_at'",
		    "");
		x.lastmod = ch > 0 ? (time_t)ch : 0;
		db_close(db);
	}
	pthread_mutex_init(&x.lock, NULL);
	pthread_cond_init(&x.more, NULL);
	pthread_mutex_lock(&x.lock);
	for (k = 0; k < sizeof(seeds) / sizeof(*seeds); k++)
		export_add_locked(&x, seeds[k], strlen(seeds[k]));
	for (k = 0; k < site->nassets; k++)
		export_add_locked(
		    &x, site->assets[k].path, strlen(site->assets[k].path));
	pthread_mutex_unlock(&x.lock);
	if (jobs == 0 || jobs > sizeof(th) / sizeof(*th))
		jobs = jobs ? (unsigned)(sizeof(th) / sizeof(*th)) : 2;
	for (i = 0; i < jobs; i++)
		if (pthread_create(&th[i], NULL, export_worker, &x) == 0)
			started++;
	for (i = 0; i < started; i++)
		pthread_join(th[i], NULL);
	if (started == 0)
		export_fail(&x, "cannot start", "threads");
	if (x.failed)
		snprintf(err, errlen, "%s", x.err);
	if (stats) {
		stats->paths = (long long)x.npaths;
		stats->files = x.files;
		stats->written = x.written;
		stats->bytes = x.bytes;
		stats->gzbytes = x.gzbytes;
	}
	for (k = 0; k < EXPORT_BUCKETS; k++)
		for (e = x.bucket[k]; e; e = ne) {
			ne = e->next;
			free(e->path);
			free(e);
		}
	free(x.queue);
	pthread_mutex_destroy(&x.lock);
	pthread_cond_destroy(&x.more);
	return x.failed ? -1 : 0;
}
