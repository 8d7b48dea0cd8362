/* export.c: the whole public site as files, for nginx, a CDN or an object
 * store: every page reachable from the home page, the sitemap and the
 * feeds, rendered in-process by the same code the server answers with
 * (so the bodies are the server's), written with .gz twins (and .br ones
 * with --brotli: slow, at brotli's quality 11, so only for files written
 * or missing their twin), across threads. Forms, search and the API stay
 * on the origin server.
 *
 * Each run leaves its state in OUT.herald-export, beside the folder (a
 * sync to a CDN does not carry it): the revision and time
 * it saw, and every file with what its page shows (the one item it is
 * about, or the listing and the ids on it). A full run deletes the files
 * of pages that are gone. An incremental run reads the change log since
 * that revision and renders only what the changes touch: the changed
 * items' pages (old and new addresses), the listing pages whose ids are
 * not the same any more, and the pages that show any item (home, feeds,
 * sitemap, calendar, the events, the indexes of tags and regions); then
 * what those link to that is new. Anything it cannot narrow down (a
 * setting, a tag's name, the readers' languages, a log that does not
 * reach back, a new year) makes it a full run. */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "extern.h"

#define EXPORT_MAX_PATHS 2000000
#define EXPORT_BUCKETS 65536
#define EXPORT_GZ_MIN 256 /* bytes below which no .gz twin is made */
#define EXPORT_STATE ".herald-export" /* after the folder's name */
#define EXPORT_STATE_MAGIC "herald-export 1"
#define EXPORT_CHANGED_MAX 2000 /* changed items an incremental run takes */

struct export_path {
	struct export_path *next; /* in its hash bucket */
	char *path;
	unsigned queued : 1; /* rendered in this run (or about to be) */
	unsigned old : 1;    /* in the earlier run's state */
	unsigned ok : 1;     /* its file is current */
	long long item_id;   /* what it shows (struct req's dep_item...) */
	char *list_key;
	char *list_ids;
	long long list_total;
};

/* What the threads share: the frontier of paths to render (every path
 * is added once), the counts, the first error. */
struct export
{
	struct site *site;
	const char *out;
	const char *dir; /* where the files go: out, or its staging folder */
	int fresh;	 /* out did not exist: written in dir, then renamed */
	int incremental; /* known paths are rendered only when forced */
	int brotli;	 /* .br twins too */
	int old_brotli;	 /* the earlier run's */
	pthread_mutex_t lock;
	pthread_cond_t more;
	struct export_path *bucket[EXPORT_BUCKETS];
	struct export_path **queue; /* to render, in order found */
	size_t nqueue, cap, next;
	size_t busy; /* threads rendering now */
	size_t npaths;
	long long files, written, bytes, gzbytes, brbytes, removed;
	int failed;
	char err[512];
	time_t lastmod; /* the content's last change, as the server has it */
	/* the earlier run's state, and this run's */
	long long old_rev, rev;
	time_t old_now, now;
	char old_langs[256], langs[256];
};

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

/* The entry of path (n bytes), made when new; NULL when the path is not
 * one to export or memory runs out. Call locked. */
static struct export_path *
export_entry_locked(struct export *x, const char *path, size_t n)
{
	struct export_path *e;
	char *p;
	unsigned h;

	if (n == 0 || path[0] != '/')
		return NULL;
	if ((p = strndup(path, n)) == NULL)
		return NULL;
	if (export_skip(p)) {
		free(p);
		return NULL;
	}
	h = buf_hash(p) % EXPORT_BUCKETS;
	for (e = x->bucket[h]; e; e = e->next)
		if (strcmp(e->path, p) == 0) {
			free(p);
			return e;
		}
	if (x->npaths >= EXPORT_MAX_PATHS ||
	    (e = calloc(1, sizeof(*e))) == NULL) {
		free(p);
		return NULL;
	}
	e->path = p;
	e->next = x->bucket[h];
	x->bucket[h] = e;
	x->npaths++;
	return e;
}

/* Queues path (n bytes) for rendering unless it was already, or (in an
 * incremental run, unless force) the earlier run made it; call locked.
 * Returns its entry, or NULL when it is not a path to export. */
static struct export_path *
export_add_locked(struct export *x, const char *path, size_t n, int force)
{
	struct export_path *e, **q;

	if ((e = export_entry_locked(x, path, n)) == NULL || e->queued ||
	    (x->incremental && e->old && !force))
		return e;
	if (x->nqueue == x->cap) {
		x->cap = x->cap ? x->cap * 2 : 1024;
		if ((q = realloc(x->queue, x->cap * sizeof(*q))) == NULL)
			return e;
		x->queue = q;
	}
	e->queued = 1;
	x->queue[x->nqueue++] = e;
	return e;
}

struct export_link {
	const char *p;
	size_t n;
	uint32_t h;
	struct export_path *e; /* once added */
};

/*
 * The paths one thread has already handed to export_add_locked() from
 * links: doing it again is a no-op (an entry, once queued or left as the
 * earlier run's, stays so), and most links of a page (the menu, the
 * tags, the pager) are on thousands of pages. An open-addressing set of
 * entries, whose paths never change once made.
 */
struct export_seen_slot {
	uint32_t h;
	struct export_path *e; /* NULL: a free slot */
};

struct export_seen {
	size_t cap, n; /* cap: a power of two, or 0 */
	struct export_seen_slot *v;
};

static struct export_path *
export_seen_find(
    const struct export_seen *s, const char *p, size_t n, uint32_t h)
{
	size_t i;

	for (i = h & (s->cap - 1); s->cap > 0 && s->v[i].e != NULL;
	     i = (i + 1) & (s->cap - 1))
		if (s->v[i].h == h && strncmp(s->v[i].e->path, p, n) == 0 &&
		    s->v[i].e->path[n] == '\0')
			return s->v[i].e;
	return NULL;
}

static void
export_seen_add(struct export_seen *s, struct export_path *e, uint32_t h)
{
	struct export_seen_slot *v;
	size_t i, j, cap;

	if (2 * (s->n + 1) > s->cap) {
		cap = s->cap ? 2 * s->cap : 1024;
		if ((v = calloc(cap, sizeof(*v))) == NULL)
			return; /* only a shortcut lost */
		for (j = 0; j < s->cap; j++) {
			if (s->v[j].e == NULL)
				continue;
			for (i = s->v[j].h & (cap - 1); v[i].e != NULL;
			     i = (i + 1) & (cap - 1))
				;
			v[i] = s->v[j];
		}
		free(s->v);
		s->v = v;
		s->cap = cap;
	}
	for (i = h & (s->cap - 1); s->v[i].e != NULL;
	     i = (i + 1) & (s->cap - 1))
		if (s->v[i].e == e)
			return;
	s->v[i].h = h;
	s->v[i].e = e;
	s->n++;
}

/* Keeps link u..ue (n so far, in *l of *cap) unless seen; 0 or -1. */
static int
export_link_keep(struct export *x, const struct export_seen *seen,
    const char *u, const char *ue, struct export_link **l, size_t *nl,
    size_t *cap)
{
	const char *base = x->site->conf.base_url;
	size_t blen = strlen(base);
	struct export_link *nlk;
	uint32_t h;

	if ((size_t)(ue - u) > blen && strncmp(u, base, blen) == 0 &&
	    u[blen] == '/')
		u += blen;
	if (ue <= u || *u != '/')
		return 0;
	h = buf_hash_n(u, (size_t)(ue - u));
	if (export_seen_find(seen, u, (size_t)(ue - u), h) != NULL)
		return 0;
	if (*nl == *cap) {
		*cap = *cap ? *cap * 2 : 64;
		if ((nlk = realloc(*l, *cap * sizeof(**l))) == NULL)
			return -1;
		*l = nlk;
	}
	(*l)[*nl].p = u;
	(*l)[*nl].n = (size_t)(ue - u);
	(*l)[(*nl)++].h = h;
	return 0;
}

/*
 * The local paths an HTML or XML body links to: href, src, srcset and
 * sitemap <loc> values on this site. Found in one pass over the body's
 * '="', without the lock; the ones this thread has not handed on before
 * are added under it in one go.
 */
static void
export_links(
    struct export *x, struct export_seen *seen, const char *b, size_t len)
{
	const char *p, *end = b + len, *v, *e, *u, *ue;
	size_t i, nl = 0, cap = 0, k;
	struct export_link *l = NULL;

	for (p = b;
	     p < end && (p = buf_find(p, (size_t)(end - p), "=\"", 2)) != NULL;
	     p += 2) {
		k = (size_t)(p - b);
		if (k >= 6 && memcmp(p - 6, "srcset", 6) == 0)
			k = 2;
		else if ((k >= 4 && memcmp(p - 4, "href", 4) == 0) ||
		    (k >= 3 && memcmp(p - 3, "src", 3) == 0))
			k = 1;
		else
			continue;
		v = p + 2;
		if ((e = memchr(v, '"', (size_t)(end - v))) == NULL)
			break;
		/* srcset: "URL 480w, URL 960w" */
		while (v < e) {
			for (u = v; u < e && (*u == ' ' || *u == ','); u++)
				;
			for (ue = u; ue < e && *ue != ' ' && *ue != ','; ue++)
				;
			if (export_link_keep(x, seen, u, ue, &l, &nl, &cap) ==
			    -1)
				goto add;
			if (k != 2)
				break;
			/* skip the width descriptor */
			for (v = ue; v < e && *v != ','; v++)
				;
		}
	}
	for (p = b; p < end &&
	     (p = buf_find(p, (size_t)(end - p), "<loc>", 5)) != NULL;
	     p += 5) {
		if ((e = memchr(p + 5, '<', (size_t)(end - p - 5))) == NULL)
			break;
		if (export_link_keep(x, seen, p + 5, e, &l, &nl, &cap) == -1)
			goto add;
	}
add:
	if (nl == 0)
		return;
	pthread_mutex_lock(&x->lock);
	for (i = 0; i < nl; i++)
		l[i].e = export_add_locked(x, l[i].p, l[i].n, 0);
	pthread_cond_broadcast(&x->more);
	pthread_mutex_unlock(&x->lock);
	/* known next time (a path not to export is looked up again, at
	 * no great cost: the origin's few links) */
	for (i = 0; i < nl; i++)
		if (l[i].e != NULL)
			export_seen_add(seen, l[i].e, l[i].h);
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
	size_t n = strlen(x->dir) + strlen(path) + 16;

	if ((f = malloc(n)) == NULL)
		return NULL;
	if (path[strlen(path) - 1] == '/')
		snprintf(f, n, "%s%sindex.html", x->dir, path);
	else if (strchr(last, '.') == NULL)
		snprintf(f, n, "%s%s/index.html", x->dir, path);
	else
		snprintf(f, n, "%s%s", x->dir, path);
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
 * (nginx) never sees half a file; in a fresh run's staging folder, which
 * nobody reads yet, straight to f. 0, 1 when unchanged, or -1. */
static int
export_write(
    const struct export *x, const char *f, const char *data, size_t len)
{
	char tmp[8192];
	int fd;
	ssize_t w;
	size_t off = 0;

	if (x->fresh)
		snprintf(tmp, sizeof(tmp), "%s", f);
	else if (export_same(f, data, len))
		return 1;
	else
		snprintf(
		    tmp, sizeof(tmp), "%s.tmp-%ld", f, (long)pthread_self());
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
	if (close(fd) == -1 || (!x->fresh && rename(tmp, f) == -1)) {
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

/* Writes f.gz next to f, the server's own gzip bytes, their size in
 * *gzlen; 0 or -1. */
static int
export_gz(struct export *x, const char *f, const char *data, size_t len,
    size_t *gzlen)
{
	char gzf[8192];
	char *out;
	size_t outlen;
	int rc;

	snprintf(gzf, sizeof(gzf), "%s.gz", f);
	if ((out = gz_compress(data, len, &outlen)) == NULL)
		return -1;
	rc = export_write(x, gzf, out, outlen) == -1 ? -1 : 0;
	pthread_mutex_lock(&x->lock);
	x->gzbytes += (long long)outlen;
	pthread_mutex_unlock(&x->lock);
	free(out);
	*gzlen = outlen;
	return rc;
}

/*
 * The .br twin of f (a compressible page of len bytes, gzlen in gzip)
 * when brotli is on: the server's own brotli bytes, where the server
 * would send them (smaller than the gzip; not too big), made only when f
 * was just written (written) or the twin is missing, since the same page
 * gives the same bytes. With brotli off, or when not worth it, a twin
 * left by an earlier run is deleted. 0 or -1.
 */
static int
export_br(struct export *x, const char *f, const char *data, size_t len,
    size_t gzlen, int written)
{
	char brf[8192], *out;
	size_t n;
	int rc;

	snprintf(brf, sizeof(brf), "%s.br", f);
	if (!x->brotli) {
		/* a run after one with brotli is a full run: every twin goes */
		if (!x->fresh && (written || x->old_brotli))
			(void)unlink(brf);
		return 0;
	}
	if (!x->fresh && !written && access(brf, F_OK) == 0)
		return 0;
	out = br_compress(data, len, &n);
	if (out == NULL && len <= BR_MAX_BODY)
		return -1;
	if (out == NULL || n >= gzlen) {
		free(out);
		if (!x->fresh)
			(void)unlink(brf);
		return 0;
	}
	rc = export_write(x, brf, out, n) == -1 ? -1 : 0;
	pthread_mutex_lock(&x->lock);
	x->brbytes += (long long)n;
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

/* Deletes the file of path and its twins (a page that is gone). */
static void
export_remove(struct export *x, const char *path)
{
	char *f, twin[8192];

	if ((f = export_file(x, path)) == NULL)
		return;
	if (unlink(f) == 0) {
		pthread_mutex_lock(&x->lock);
		x->removed++;
		pthread_mutex_unlock(&x->lock);
	}
	snprintf(twin, sizeof(twin), "%s.gz", f);
	(void)unlink(twin);
	snprintf(twin, sizeof(twin), "%s.br", f);
	(void)unlink(twin);
	free(f);
}

static char *
export_strdup(const char *s)
{
	return s != NULL ? strdup(s) : NULL;
}

/* Renders e's path as the server would and writes it. */
static void
export_one(struct export *x, struct db *db, struct export_seen *seen,
    struct export_path *e)
{
	struct req q;
	char *f, *key = NULL, *ids = NULL;
	size_t gzlen = 0;
	int w, ok = 0, twins;

	memset(&q, 0, sizeof(q));
	q.a = arena_new();
	q.site = x->site;
	q.db = db;
	q.method = "GET";
	q.exporting = 1;
	q.lastmod = x->lastmod;
	q.path = e->path;
	q.now = x->now;
	buf_init(&q.out, (size_t)64 << 20);
	page_dispatch(&q);
	if (q.status == 200 && !q.out.err) {
		twins =
		    export_compressible(q.ctype) && q.out.len >= EXPORT_GZ_MIN;
		if ((f = export_file(x, e->path)) == NULL ||
		    export_mkdirs(f) == -1 ||
		    (w = export_write(x, f, q.out.data ? q.out.data : "",
			 q.out.len)) == -1 ||
		    (twins &&
			(export_gz(x, f, q.out.data, q.out.len, &gzlen) == -1 ||
			    export_br(x, f, q.out.data, q.out.len, gzlen,
				w == 0) == -1)))
			export_fail(x, "cannot write", f ? f : e->path);
		else {
			ok = 1;
			pthread_mutex_lock(&x->lock);
			x->files++;
			x->written += w == 0;
			x->bytes += (long long)q.out.len;
			pthread_mutex_unlock(&x->lock);
			if (q.ctype &&
			    (strncmp(q.ctype, "text/html", 9) == 0 ||
				strstr(q.ctype, "xml") != NULL))
				export_links(x, seen, q.out.data, q.out.len);
		}
		free(f);
	} else if (e->old)
		/* a 404 (a link to a page that is not public) or a redirect
		 * is not a file (the origin answers it): a page gone since
		 * the earlier run goes from the folder too */
		export_remove(x, e->path);
	if (ok && q.list_key != NULL) {
		key = export_strdup(q.list_key);
		ids = export_strdup(q.list_ids);
	}
	pthread_mutex_lock(&x->lock);
	e->ok = ok;
	e->item_id = ok ? q.dep_item : 0;
	free(e->list_key);
	free(e->list_ids);
	e->list_key = key;
	e->list_ids = ids;
	e->list_total = q.list_total;
	pthread_mutex_unlock(&x->lock);
	buf_free(&q.out);
	arena_free(q.a);
}

static void *
export_worker(void *arg)
{
	struct export *x = arg;
	struct export_seen seen = {0, 0, NULL};
	struct export_path *e;
	struct db *db;

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
		e = x->queue[x->next++];
		x->busy++;
		pthread_mutex_unlock(&x->lock);
		export_one(x, db, &seen, e);
		pthread_mutex_lock(&x->lock);
		x->busy--;
		pthread_cond_broadcast(&x->more);
	}
	pthread_cond_broadcast(&x->more);
	pthread_mutex_unlock(&x->lock);
	free(seen.v);
	db_read_end(db);
	db_close(db);
	return NULL;
}

/* ---- the state of a run: OUT.herald-export ----------------------------- */

/* The state file of the folder x->out: OUT.herald-export. */
static void
export_state_path(const struct export *x, char *path, size_t n)
{
	size_t len = strlen(x->out);

	while (len > 1 && x->out[len - 1] == '/')
		len--;
	snprintf(path, n, "%.*s%s", (int)len, x->out, EXPORT_STATE);
}

/*
 * Text, one record a line, fields split by tabs:
 *   herald-export 1
 *   base URL · rev N · now T · langs L · brotli 0|1 (none: 0)
 *   P path item_id list_key list_total list_ids   ("-" for none)
 * Paths and keys never hold a tab or a newline (export_skip, page code).
 */
static int
export_state_read(struct export *x, char *base, size_t baselen)
{
	char path[8192], *line = NULL, *f[6], *p;
	size_t cap = 0, n;
	ssize_t len;
	struct export_path *e;
	FILE *fp;
	int rc = -1, nf;

	export_state_path(x, path, sizeof(path));
	if ((fp = fopen(path, "r")) == NULL)
		return -1;
	if ((len = getline(&line, &cap, fp)) <= 0 ||
	    strncmp(line, EXPORT_STATE_MAGIC "\n", len) != 0)
		goto done;
	while ((len = getline(&line, &cap, fp)) > 0) {
		if (line[len - 1] != '\n')
			goto done; /* cut short */
		line[len - 1] = '\0';
		for (nf = 0, p = line; nf < 6 && p != NULL; nf++) {
			f[nf] = p;
			if ((p = strchr(p, '\t')) != NULL)
				*p++ = '\0';
		}
		if (strcmp(f[0], "base") == 0 && nf == 2)
			snprintf(base, baselen, "%s", f[1]);
		else if (strcmp(f[0], "rev") == 0 && nf == 2)
			x->old_rev = strtoll(f[1], NULL, 10);
		else if (strcmp(f[0], "now") == 0 && nf == 2)
			x->old_now = (time_t)strtoll(f[1], NULL, 10);
		else if (strcmp(f[0], "langs") == 0 && nf == 2)
			snprintf(
			    x->old_langs, sizeof(x->old_langs), "%s", f[1]);
		else if (strcmp(f[0], "brotli") == 0 && nf == 2)
			x->old_brotli = strcmp(f[1], "1") == 0;
		else if (strcmp(f[0], "P") == 0 && nf == 6) {
			n = strlen(f[1]);
			pthread_mutex_lock(&x->lock);
			e = export_entry_locked(x, f[1], n);
			if (e != NULL) {
				e->old = e->ok = 1;
				e->item_id = strtoll(f[2], NULL, 10);
				if (strcmp(f[3], "-") != 0) {
					e->list_key = strdup(f[3]);
					e->list_ids = strdup(f[5]);
				}
				e->list_total = strtoll(f[4], NULL, 10);
			}
			pthread_mutex_unlock(&x->lock);
		} else
			goto done;
	}
	rc = ferror(fp) || x->old_rev <= 0 ? -1 : 0;
done:
	free(line);
	fclose(fp);
	return rc;
}

/* Writes the state of this run (through a temporary file): 0 or -1. */
static int
export_state_write(struct export *x)
{
	char path[8192], tmp[8300];
	struct export_path *e;
	FILE *fp;
	size_t k;
	int rc;

	export_state_path(x, path, sizeof(path));
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	if ((fp = fopen(tmp, "w")) == NULL)
		return -1;
	fprintf(fp,
	    "%s\nbase\t%s\nrev\t%lld\nnow\t%lld\nlangs\t%s\nbrotli\t%d\n",
	    EXPORT_STATE_MAGIC, x->site->conf.base_url, x->rev,
	    (long long)x->now, x->langs, x->brotli);
	for (k = 0; k < EXPORT_BUCKETS; k++)
		for (e = x->bucket[k]; e; e = e->next)
			if (e->ok)
				fprintf(fp, "P\t%s\t%lld\t%s\t%lld\t%s\n",
				    e->path, e->item_id,
				    e->list_key ? e->list_key : "-",
				    e->list_total,
				    e->list_ids ? e->list_ids : "-");
	rc = fflush(fp) == 0 && !ferror(fp) ? 0 : -1;
	if (fclose(fp) != 0 || rc == -1 || rename(tmp, path) == -1) {
		unlink(tmp);
		return -1;
	}
	return 0;
}

/* ---- an incremental run: what the changes touch ------------------------ */

static int
export_has(const long long *ids, size_t n, long long id)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (ids[i] == id)
			return 1;
	return 0;
}

/* 1 when the ids (a JSON array "[1,2]") hold one of ids[0..n). */
static int
export_ids_touch(const char *list, const long long *ids, size_t n)
{
	const char *p = list;
	char *end;
	long long v;

	while (p != NULL && *p != '\0') {
		while (*p == '[' || *p == ',' || *p == ' ')
			p++;
		v = strtoll(p, &end, 10);
		if (end == p)
			break;
		if (export_has(ids, n, v))
			return 1;
		p = end;
	}
	return 0;
}

/* The page number of a listing path (".../page/N"), 1 when none. */
static long long
export_page_of(const char *path)
{
	const char *p = strstr(path, "/page/");

	return p != NULL ? strtoll(p + 6, NULL, 10) : 1;
}

/* Pages that show no item and change only with what a full run is for:
 * theme assets, images, documents. */
static int
export_itemless(const char *path)
{
	size_t n = strlen(path);

	return strncmp(path, "/static/", 8) == 0 ||
	    strncmp(path, "/media/", 7) == 0 ||
	    (n > 4 && strcmp(path + n - 4, ".pdf") == 0);
}

/* The events' listing pages and the calendar of them all. */
static int
export_events_only(const char *path)
{
	return strcmp(path, "/events.ics") == 0 ||
	    strcmp(path, "/events/") == 0 || strcmp(path, "/events") == 0 ||
	    strncmp(path, "/events/page/", 13) == 0;
}

/*
 * Plans an incremental run on db (a read snapshot): queues what the
 * changes since the earlier run touch. Returns 1 when that was possible,
 * 0 when a full run is needed (why in *why), -1 on error.
 */
static int
export_plan(struct export *x, struct db *db, const char **why)
{
	struct req q;
	struct val *rows = NULL, *row;
	struct export_path *e;
	long long *ids, total, oldest;
	const char *now_ids, *folder;
	struct tm a, b;
	size_t n = 0, i, k;
	int rc = -1, events;

	memset(&q, 0, sizeof(q));
	q.a = arena_new();
	q.site = x->site;
	q.db = db;
	q.now = x->now;
	q.method = "GET";
	q.exporting = 1;
	gmtime_r(&x->old_now, &a);
	gmtime_r(&x->now, &b);
	if (db_version(db) < 8) {
		*why = "the database has no change log yet (herald serve or "
		       "import brings it up to date)";
		rc = 0;
		goto done;
	}
	oldest = db_int(db, "SELECT coalesce(min(rev), -1) FROM changelog", "");
	if (a.tm_year != b.tm_year) {
		*why = "a new year (every page's footer)";
		rc = 0;
		goto done;
	}
	if (strcmp(x->langs, x->old_langs) != 0) {
		*why = "the readers' languages changed (every page's form)";
		rc = 0;
		goto done;
	}
	/* a logged row carries meta.rev as its change made it: what came
	 * after the last run's revision is logged from old_rev + 1 on */
	if (x->rev != x->old_rev && (oldest < 0 || oldest > x->old_rev + 1)) {
		*why = "the change log does not reach back to the last run";
		rc = 0;
		goto done;
	}
	/* the items changed since, and those whose time came since (a
	 * publication date, the end of an event) */
	if (db_query(db, q.a, &rows,
		"SELECT item_id FROM (SELECT item_id FROM changelog "
		"WHERE rev > ? UNION SELECT id FROM item WHERE status = "
		"'published' AND published_at > ? AND published_at <= ? "
		"UNION SELECT item_id FROM event WHERE end_utc > ? AND "
		"end_utc <= ?) ORDER BY item_id IS NOT NULL LIMIT ?",
		"iiiiii", x->old_rev, (long long)x->old_now, (long long)x->now,
		(long long)x->old_now, (long long)x->now,
		(long long)EXPORT_CHANGED_MAX + 1) == -1)
		goto done;
	if (rows->u.list.n > EXPORT_CHANGED_MAX) {
		*why = "too many changed items";
		rc = 0;
		goto done;
	}
	ids = arena_alloc(q.a, (rows->u.list.n + 1) * sizeof(*ids));
	for (i = 0; i < rows->u.list.n; i++) {
		row = rows->u.list.items[i];
		if (val_get(row, "item_id")->type != VAL_NUM) {
			*why = "a change that is not an item's";
			rc = 0;
			goto done;
		}
		ids[n++] = page_int(row, "item_id");
	}
	/* the events' pages and calendar show events only */
	events = db_int(db,
		     "SELECT EXISTS (SELECT 1 FROM changelog WHERE rev > ? AND "
		     "tbl = 'event')",
		     "i", x->old_rev) != 0;
	for (i = 0; !events && i < n; i++)
		events = db_int(db,
			     "SELECT count(*) FROM item WHERE id = ? AND kind "
			     "= 'event'",
			     "i", ids[i]) != 0;
	pthread_mutex_lock(&x->lock);
	for (k = 0; k < EXPORT_BUCKETS; k++)
		for (e = x->bucket[k]; e; e = e->next) {
			if (!e->old)
				continue;
			if (e->item_id != 0) {
				if (export_has(ids, n, e->item_id))
					export_add_locked(
					    x, e->path, strlen(e->path), 1);
			} else if (e->list_key != NULL) {
				/* a listing page: again when it shows a
				 * changed item or other ids or totals now */
				if (n == 0)
					continue;
				if (export_ids_touch(e->list_ids, ids, n) ||
				    list_ids_at(&q, e->list_key,
					export_page_of(e->path), &total,
					&now_ids) == -1 ||
				    total != e->list_total ||
				    strcmp(now_ids, e->list_ids) != 0)
					export_add_locked(
					    x, e->path, strlen(e->path), 1);
			} else if (n > 0 && !export_itemless(e->path) &&
			    (events || !export_events_only(e->path)))
				export_add_locked(
				    x, e->path, strlen(e->path), 1);
		}
	pthread_mutex_unlock(&x->lock);
	/* the changed items' addresses now (new pages, a new address) */
	for (i = 0; i < n; i++) {
		row = db_query_one(db, q.a,
		    "SELECT kind, slug FROM item WHERE id = ? AND "
		    "status = 'published' AND published_at <= ?",
		    "ii", ids[i], (long long)x->now);
		if (row == NULL ||
		    (folder = page_kind_folder(page_str(row, "kind"))) == NULL)
			continue;
		pthread_mutex_lock(&x->lock);
		export_add_locked(x,
		    arena_printf(q.a, "/%s/%s", folder, page_str(row, "slug")),
		    strlen(folder) + strlen(page_str(row, "slug")) + 2, 1);
		if (strcmp(page_str(row, "kind"), "event") == 0)
			export_add_locked(x,
			    arena_printf(q.a, "/%s/%s.ics", folder,
				page_str(row, "slug")),
			    strlen(folder) + strlen(page_str(row, "slug")) + 6,
			    1);
		pthread_mutex_unlock(&x->lock);
	}
	rc = 1;
done:
	arena_free(q.a);
	return rc;
}

static int
export_rm_one(
    const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)ftw;
	(void)(flag == FTW_DP ? rmdir(path) : unlink(path));
	return 0;
}

/* Deletes the folder path and all in it (a failed fresh run's staging
 * folder: only our files). */
static void
export_rmtree(const char *path)
{
	(void)nftw(path, export_rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

int
export_site(struct site *site, const char *out, unsigned jobs, unsigned flags,
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
	struct arena *a;
	const char *langs, *why = NULL;
	char root[4160], stage[4096], base[1024] = "";
	int have_state, plan = 0,
			incremental = (flags & EXPORT_INCREMENTAL) != 0;
	struct stat st;

	memset(&x, 0, sizeof(x));
	if (strlen(out) + 64 > sizeof(stage)) {
		snprintf(err, errlen, "%s: path too long", out);
		return -1;
	}
	/* A folder that is not there yet is made beside it under another
	 * name, then renamed: the site appears whole, and nobody reads its
	 * files while they are written, so each is written in place, with
	 * no temporary file, no rename and no comparison. */
	for (k = strlen(out); k > 1 && out[k - 1] == '/'; k--)
		;
	x.fresh = stat(out, &st) == -1 && errno == ENOENT && k > 0;
	if (x.fresh)
		snprintf(stage, sizeof(stage), "%.*s.herald-new-%ld", (int)k,
		    out, (long)getpid());
	snprintf(root, sizeof(root), "%s/", x.fresh ? stage : out);
	if (export_mkdirs(root) == -1 && errno != EEXIST) {
		snprintf(err, errlen, "%s: %s", x.fresh ? stage : out,
		    strerror(errno));
		return -1;
	}
	x.site = site;
	x.out = out;
	x.dir = x.fresh ? stage : out;
	x.brotli = (flags & EXPORT_BROTLI) != 0;
	x.now = time(NULL);
	pthread_mutex_init(&x.lock, NULL);
	pthread_cond_init(&x.more, NULL);
	have_state = export_state_read(&x, base, sizeof(base)) == 0 &&
	    strcmp(base, site->conf.base_url) == 0;
	if ((db = db_open(site->conf.db, DB_READONLY)) == NULL ||
	    db_read_begin(db) == -1) {
		snprintf(err, errlen, "cannot read %s", site->conf.db);
		db_close(db);
		x.failed = 1;
		goto end;
	}
	/* the revision before the threads' snapshots: a change made while
	 * they start is redone by the next run, never missed */
	x.rev = db_int(db,
	    "SELECT CAST(value AS INTEGER) FROM meta WHERE key = 'rev'", "");
	x.lastmod = (time_t)db_int(db,
	    "SELECT coalesce(CAST(value AS INTEGER), 0) FROM meta "
	    "WHERE key = 'changed_at'",
	    "");
	if (x.lastmod < 0)
		x.lastmod = 0;
	a = arena_new();
	if ((langs = news_langs_key(db, a)) != NULL)
		snprintf(x.langs, sizeof(x.langs), "%s", langs);
	arena_free(a);
	if (incremental && !have_state)
		why = "no state of an earlier run in the folder";
	else if (incremental && x.brotli != x.old_brotli)
		why = x.brotli ? "--brotli, unlike the last run"
			       : "no --brotli, unlike the last run";
	else if (incremental) {
		x.incremental = 1;
		if ((plan = export_plan(&x, db, &why)) == -1) {
			snprintf(err, errlen, "cannot read %s", site->conf.db);
			x.failed = 1;
		}
	}
	db_read_end(db);
	db_close(db);
	if (x.failed)
		goto end;
	if (incremental && plan != 1) {
		fprintf(stderr, "herald export: a full run: %s\n", why);
		x.incremental = 0;
	}
	if (!x.incremental) {
		pthread_mutex_lock(&x.lock);
		for (k = 0; k < sizeof(seeds) / sizeof(*seeds); k++)
			export_add_locked(&x, seeds[k], strlen(seeds[k]), 0);
		for (k = 0; k < site->nassets; k++)
			export_add_locked(&x, site->assets[k].path,
			    strlen(site->assets[k].path), 0);
		pthread_mutex_unlock(&x.lock);
	}
	if (jobs == 0 || jobs > sizeof(th) / sizeof(*th))
		jobs = jobs ? (unsigned)(sizeof(th) / sizeof(*th)) : 2;
	for (i = 0; i < jobs; i++)
		if (pthread_create(&th[i], NULL, export_worker, &x) == 0)
			started++;
	for (i = 0; i < started; i++)
		pthread_join(th[i], NULL);
	if (started == 0)
		export_fail(&x, "cannot start", "threads");
	if (!x.failed && !x.incremental)
		/* a full run: the earlier run's pages no longer reached */
		for (k = 0; k < EXPORT_BUCKETS; k++)
			for (e = x.bucket[k]; e; e = e->next)
				if (e->old && !e->queued) {
					export_remove(&x, e->path);
					e->ok = 0;
				}
	if (x.fresh && !x.failed && rename(stage, out) == -1)
		export_fail(&x, "cannot rename the new folder to", out);
	if (!x.failed && export_state_write(&x) == -1)
		export_fail(&x, "cannot write the state beside", out);
end:
	if (x.fresh && x.failed)
		export_rmtree(stage);
	if (x.failed && x.err[0])
		snprintf(err, errlen, "%s", x.err);
	if (stats) {
		stats->paths = (long long)x.npaths;
		stats->rendered = (long long)x.nqueue;
		stats->files = x.files;
		stats->written = x.written;
		stats->removed = x.removed;
		stats->bytes = x.bytes;
		stats->gzbytes = x.gzbytes;
		stats->brbytes = x.brbytes;
		stats->incremental = x.incremental;
	}
	for (k = 0; k < EXPORT_BUCKETS; k++)
		for (e = x.bucket[k]; e; e = ne) {
			ne = e->next;
			free(e->path);
			free(e->list_key);
			free(e->list_ids);
			free(e);
		}
	free(x.queue);
	pthread_mutex_destroy(&x.lock);
	pthread_cond_destroy(&x.more);
	return x.failed ? -1 : 0;
}
