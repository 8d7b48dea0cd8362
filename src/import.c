/* import.c: brings a Hugo or Jekyll Markdown site into an existing database
 * (herald import), in one transaction, updating what an earlier run made. */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "extern.h"

#define IMPORT_MAX_FILES 200000
#define IMPORT_MAX_FILE ((size_t)8 << 20)
#define IMPORT_MAX_DEPTH 64

/* Folder names and front matter values, and the kind each stands for. */
static const struct {
	const char *name;
	const char *kind;
} import_kinds[] = {
    {"news", "news"},
    {"posts", "news"},
    {"post", "news"},
    {"blog", "news"},
    {"_posts", "news"},
    {"_drafts", "news"},
    {"press", "press-release"},
    {"press-releases", "press-release"},
    {"press-release", "press-release"},
    {"statements", "statement"},
    {"statement", "statement"},
    {"events", "event"},
    {"event", "event"},
    {"pages", "page"},
    {"page", "page"},
};

/* Jekyll's own folders, which hold no content. */
static const char *const import_skip_dirs[] = {
    "_site",
    "_layouts",
    "_includes",
    "_data",
    "_sass",
};

struct import {
	struct db *db;
	const unsigned char *key;
	const char *dir;
	char **paths; /* relative to dir; malloc'd, freed by import_dir */
	size_t npaths, cap;
	size_t *owner; /* by item id: 1 + the index of the file that made
			  or updated it in this run, or 0 */
	size_t nowner;
	char *err;
	size_t errlen;
	int tty;
	int drawn; /* columns of the progress bar drawn */
};

static int import_fail(struct import *im, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static int
import_fail(struct import *im, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(im->err, im->errlen, fmt, ap);
	va_end(ap);
	return -1;
}

static int
import_has_suffix(const char *s, const char *suf)
{
	size_t n = strlen(s), m = strlen(suf);

	return n > m && strcmp(s + n - m, suf) == 0;
}

static int
import_is_markdown(const char *name)
{
	return import_has_suffix(name, ".md") ||
	    import_has_suffix(name, ".markdown");
}

/* Adds dir/rel's Markdown files (recursively; no dot-files, no symlinks,
 * no Hugo _index.md) to im->paths. Returns 0, or -1 with err set. */
static int
import_walk(struct import *im, const char *rel, int depth)
{
	char path[8192], sub[4096];
	struct dirent *de;
	struct stat st;
	char **np;
	DIR *d;
	size_t i;
	int rc = -1, skip;

	snprintf(path, sizeof(path), "%s%s%s", im->dir, *rel ? "/" : "", rel);
	if (depth > IMPORT_MAX_DEPTH)
		return import_fail(im, "%s: folders nested too deep", path);
	if ((d = opendir(path)) == NULL)
		return import_fail(im, "%s: %s", path, strerror(errno));
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.' ||
		    strcmp(de->d_name, "_index.md") == 0)
			continue;
		if ((size_t)snprintf(sub, sizeof(sub), "%s%s%s", rel,
			*rel ? "/" : "", de->d_name) >= sizeof(sub) ||
		    (size_t)snprintf(path, sizeof(path), "%s/%s", im->dir,
			sub) >= sizeof(path)) {
			import_fail(im, "%s/%s: path too long", im->dir, sub);
			goto done;
		}
		if (lstat(path, &st) == -1) {
			import_fail(im, "%s: %s", path, strerror(errno));
			goto done;
		}
		if (S_ISDIR(st.st_mode)) {
			skip = 0;
			for (i = 0; i < sizeof(import_skip_dirs) /
				 sizeof(*import_skip_dirs);
			     i++)
				if (strcmp(de->d_name, import_skip_dirs[i]) ==
				    0)
					skip = 1;
			if (!skip && import_walk(im, sub, depth + 1) == -1)
				goto done;
			continue;
		}
		if (!S_ISREG(st.st_mode) || !import_is_markdown(de->d_name))
			continue;
		if (im->npaths >= IMPORT_MAX_FILES) {
			import_fail(im, "%s: more than %d Markdown files",
			    im->dir, IMPORT_MAX_FILES);
			goto done;
		}
		if (im->npaths == im->cap) {
			im->cap = im->cap ? im->cap * 2 : 256;
			if ((np = realloc(im->paths,
				 im->cap * sizeof(*im->paths))) == NULL) {
				import_fail(im, "out of memory");
				goto done;
			}
			im->paths = np;
		}
		if ((im->paths[im->npaths] = strdup(sub)) == NULL) {
			import_fail(im, "out of memory");
			goto done;
		}
		im->npaths++;
	}
	rc = 0;
done:
	closedir(d);
	return rc;
}

static int
import_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The whole file (NUL-terminated, malloc'd: the caller frees it), or NULL
 * with err set. Symlinks are refused, as the walk skipped them. */
static char *
import_read(struct import *im, const char *path, size_t *lenp)
{
	struct stat st;
	char *data = NULL;
	size_t got = 0;
	ssize_t n;
	int fd;

	if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) == -1) {
		import_fail(im, "%s: %s", path, strerror(errno));
		return NULL;
	}
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode)) {
		import_fail(im, "%s: not a regular file", path);
		goto fail;
	}
	if ((size_t)st.st_size > IMPORT_MAX_FILE) {
		import_fail(im, "%s: larger than 8 MiB", path);
		goto fail;
	}
	if ((data = malloc((size_t)st.st_size + 1)) == NULL) {
		import_fail(im, "%s: out of memory", path);
		goto fail;
	}
	while (got < (size_t)st.st_size) {
		n = read(fd, data + got, (size_t)st.st_size - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			import_fail(im, "%s: cannot read: %s", path,
			    n < 0 ? strerror(errno) : "the file shrank");
			goto fail;
		}
		got += (size_t)n;
	}
	close(fd);
	data[got] = '\0';
	*lenp = got;
	return data;
fail:
	free(data);
	close(fd);
	return NULL;
}

/* The string value of key in meta, or NULL when absent, empty or not a
 * string. */
static const char *
import_str(const struct val *meta, const char *key)
{
	const struct val *v = val_get(meta, key);

	if (v == NULL || v->type != VAL_STR || v->u.str.len == 0)
		return NULL;
	return v->u.str.s;
}

static int
import_true(const struct val *meta, const char *key)
{
	const char *s = import_str(meta, key);

	return s != NULL &&
	    (strcmp(s, "true") == 0 || strcmp(s, "yes") == 0 ||
		strcmp(s, "1") == 0);
}

static int
import_false(const struct val *meta, const char *key)
{
	const char *s = import_str(meta, key);

	return s != NULL &&
	    (strcmp(s, "false") == 0 || strcmp(s, "no") == 0 ||
		strcmp(s, "0") == 0);
}

/* The kind name stands for (a folder or a front matter value), or NULL. */
static const char *
import_kind_of(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(import_kinds) / sizeof(*import_kinds); i++)
		if (strcasecmp(name, import_kinds[i].name) == 0)
			return import_kinds[i].kind;
	return NULL;
}

/* The item kind of the file at rel with front matter meta; *unknown is
 * set when it is news only for want of a better guess. */
static const char *
import_kind(const struct val *meta, const char *rel, char *folder,
    size_t folderlen, int *unknown)
{
	static const char *const keys[] = {"kind", "section", "type"};
	const char *s, *slash, *kind;
	size_t i, n;

	*unknown = 0;
	folder[0] = '\0';
	for (i = 0; i < sizeof(keys) / sizeof(*keys); i++)
		if ((s = import_str(meta, keys[i])) != NULL) {
			if ((kind = import_kind_of(s)) == NULL)
				*unknown = 1;
			return kind ? kind : "news";
		}
	/* Hugo's site root holds the sections in content/ */
	if (strncmp(rel, "content/", 8) == 0)
		rel += 8;
	if ((slash = strchr(rel, '/')) == NULL)
		return "page";
	n = (size_t)(slash - rel);
	if (n >= folderlen)
		n = folderlen - 1;
	memcpy(folder, rel, n);
	folder[n] = '\0';
	if ((kind = import_kind_of(folder)) == NULL)
		*unknown = 1;
	return kind ? kind : "news";
}

/* s as a slug: as written when it is one, else made from it (lowercase
 * letters, digits and dashes); NULL when nothing is left. */
static const char *
import_slugify(struct arena *a, const char *s)
{
	struct buf b;
	const char *out;

	if (s == NULL)
		return NULL;
	if (load_slug_ok(s))
		return s;
	buf_init(&b, 4096);
	html_slug(&b, s, strlen(s));
	out = b.len ? arena_strdup(a, buf_cstr(&b)) : NULL;
	buf_free(&b);
	return out;
}

/* 1 when s starts with a Jekyll date "YYYY-MM-DD-". */
static int
import_date_prefix(const char *s)
{
	static const char form[] = "dddd-dd-dd-";
	size_t i;

	for (i = 0; form[i]; i++)
		if (form[i] == 'd' ? !isdigit((unsigned char)s[i])
				   : s[i] != form[i])
			return 0;
	return 1;
}

/* A date as Hugo or Jekyll write it, in the loader's form: a space for
 * the T ("2014-12-10 09:00:00") and a space before the offset
 * ("... +0700") are taken out. The result is in the arena. */
static const char *
import_date(struct arena *a, const char *s)
{
	char *d, *p;
	size_t n;

	if (s == NULL)
		return NULL;
	d = arena_strdup(a, s);
	n = strlen(d);
	while (n > 0 && isspace((unsigned char)d[n - 1]))
		d[--n] = '\0';
	if (n > 10 && d[10] == ' ')
		d[10] = 'T';
	if (n > 10 && (p = strchr(d + 11, ' ')) != NULL &&
	    (p[1] == '+' || p[1] == '-' || p[1] == 'Z'))
		memmove(p, p + 1, strlen(p + 1) + 1);
	return d;
}

/* Adds the strings of meta's key (a list, or a comma-separated string) to
 * list. */
static void
import_tags(
    struct arena *a, struct val *list, const struct val *meta, const char *key)
{
	const struct val *v = val_get(meta, key);
	const char *s, *e, *t;
	size_t i;

	if (v == NULL)
		return;
	if (v->type == VAL_LIST) {
		for (i = 0; i < v->u.list.n; i++)
			if (v->u.list.items[i]->type == VAL_STR &&
			    v->u.list.items[i]->u.str.len > 0)
				val_push(a, list, v->u.list.items[i]);
		return;
	}
	if (v->type != VAL_STR)
		return;
	for (s = v->u.str.s; *s; s = *e ? e + 1 : e) {
		e = strchr(s, ',');
		if (e == NULL)
			e = s + strlen(s);
		while (s < e && isspace((unsigned char)*s))
			s++;
		for (t = e; t > s && isspace((unsigned char)t[-1]); t--)
			;
		if (t > s)
			val_push(a, list, val_strn(a, s, (size_t)(t - s)));
	}
}

/* The body with CRLF line ends made LF, NUL-terminated, in the arena;
 * NULL when it holds a NUL byte. */
static char *
import_body(struct arena *a, const char *s, size_t n)
{
	char *out = arena_alloc(a, n + 1);
	size_t i, j = 0;

	for (i = 0; i < n; i++) {
		if (s[i] == '\0')
			return NULL;
		if (s[i] == '\r' && i + 1 < n && s[i + 1] == '\n')
			continue;
		out[j++] = s[i];
	}
	out[j] = '\0';
	return out;
}

/* Remembers that file fi made or updated item id; -1 (err set) when an
 * earlier file of this run did too (the same kind and slug twice). */
static int
import_claim(struct import *im, long long id, size_t fi, const char *path,
    const char *slug)
{
	size_t n, *no;

	if (id <= 0)
		return 0;
	if ((size_t)id >= im->nowner) {
		n = im->nowner ? im->nowner : 1024;
		while (n <= (size_t)id)
			n *= 2;
		if ((no = realloc(im->owner, n * sizeof(*no))) == NULL)
			return import_fail(im, "%s: out of memory", path);
		memset(no + im->nowner, 0, (n - im->nowner) * sizeof(*no));
		im->owner = no;
		im->nowner = n;
	}
	if (im->owner[id] != 0 && im->owner[id] != fi + 1)
		return import_fail(im,
		    "%s: the slug \"%s\" is used twice "
		    "(also by %s/%s)",
		    path, slug, im->dir, im->paths[im->owner[id] - 1]);
	im->owner[id] = fi + 1;
	return 0;
}

/* Imports file fi. Returns 0, or -1 with "PATH: reason" in err. */
static int
import_one(struct import *im, size_t fi, struct import_counts *c)
{
	static const char *const copy[] = {
	    "lang", "timezone", "venue", "city", "country", "start", "end"};
	const char *rel = im->paths[fi], *base, *kind, *s, *slug, *date;
	const char *reason, *fmbody;
	char path[8192], folder[256], lerr[512];
	struct val *meta, *m, *tags;
	struct arena *a = arena_new();
	struct stat st;
	struct tm tm;
	char *data = NULL, *body, *name;
	size_t len, blen, i;
	long long id;
	int unknown, rc = -1;

	snprintf(path, sizeof(path), "%s/%s", im->dir, rel);
	if ((data = import_read(im, path, &len)) == NULL)
		goto done;
	s = data;
	if (len >= 3 && memcmp(s, "\xef\xbb\xbf", 3) == 0)
		s += 3;
	if (strncmp(s, "+++", 3) == 0) {
		import_fail(im,
		    "%s: TOML front matter (+++) is not supported; "
		    "write it as YAML between --- lines",
		    path);
		goto done;
	}
	if (fm_parse(a, data, len, &meta, &fmbody, &blen, lerr, sizeof(lerr)) ==
	    -1) {
		import_fail(im, "%s: front matter: %s", path, lerr);
		goto done;
	}
	if (meta->type != VAL_OBJ || meta->u.obj.n == 0) {
		import_fail(im,
		    "%s: no front matter (it needs at least a "
		    "title between --- lines)",
		    path);
		goto done;
	}
	if ((body = import_body(a, fmbody, blen)) == NULL) {
		import_fail(im, "%s: NUL byte in the text", path);
		goto done;
	}
	kind = import_kind(meta, rel, folder, sizeof(folder), &unknown);

	/* the file name without folder and extension; a leaf bundle
	 * (news/x/index.md) is named by its folder */
	base = strrchr(rel, '/');
	base = base ? base + 1 : rel;
	name = arena_strndup(
	    a, base, strlen(base) - (import_has_suffix(base, ".md") ? 3 : 9));
	if (strcmp(name, "index") == 0 && base != rel) {
		for (s = base - 1; s > rel && s[-1] != '/'; s--)
			;
		name = arena_strndup(a, s, (size_t)(base - 1 - s));
	}

	m = val_obj(a);
	if (val_get(meta, "title") != NULL)
		val_set(a, m, "title", val_get(meta, "title"));
	date = import_date(a, import_str(meta, "date"));
	if (date == NULL)
		date = import_date(a, import_str(meta, "publishDate"));
	if (date == NULL)
		date = import_date(a, import_str(meta, "publishdate"));
	if (import_date_prefix(name)) {
		if (date == NULL)
			date = arena_strndup(a, name, 10);
		if (name[11] != '\0')
			name += 11;
	}
	if (date == NULL && strcmp(kind, "page") == 0 && stat(path, &st) == 0 &&
	    gmtime_r(&st.st_mtime, &tm) != NULL) {
		/* a page without a date: its file's time, so that importing
		 * the same files again gives the same item */
		date = arena_printf(a, "%04d-%02d-%02dT%02d:%02d:%02dZ",
		    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
		    tm.tm_min, tm.tm_sec);
	}
	if (date != NULL)
		val_set_str(a, m, "date", date);
	/* "updated" as written, else the date: a second import of the same
	 * files changes nothing */
	if ((s = import_str(meta, "lastmod")) != NULL ||
	    (s = import_str(meta, "updated")) != NULL ||
	    (s = import_str(meta, "last_modified_at")) != NULL)
		val_set_str(a, m, "updated", import_date(a, s));
	else if (date != NULL)
		val_set_str(a, m, "updated", date);

	slug = import_slugify(a, import_str(meta, "slug"));
	if (slug == NULL)
		slug = import_slugify(a, name);
	if (slug == NULL)
		slug = import_slugify(a, import_str(meta, "title"));
	if (slug != NULL)
		val_set_str(a, m, "slug", slug);

	tags = val_list(a);
	import_tags(a, tags, meta, "tags");
	import_tags(a, tags, meta, "categories");
	val_set(a, m, "tags", tags);
	if ((s = import_str(meta, "summary")) != NULL ||
	    (s = import_str(meta, "description")) != NULL)
		val_set_str(a, m, "summary", s);
	if (import_true(meta, "draft") || import_false(meta, "published") ||
	    strcmp(folder, "_drafts") == 0)
		val_set_str(a, m, "status", "draft");
	else if ((s = import_str(meta, "status")) != NULL)
		val_set_str(a, m, "status", s);
	for (i = 0; i < sizeof(copy) / sizeof(*copy); i++)
		if ((s = import_str(meta, copy[i])) != NULL)
			val_set_str(a, m, copy[i], s);
	if (import_str(meta, "lang") == NULL &&
	    (s = import_str(meta, "language")) != NULL)
		val_set_str(a, m, "lang", s);
	if (import_str(meta, "venue") == NULL &&
	    (s = import_str(meta, "location")) != NULL)
		val_set_str(a, m, "venue", s);
	/* an event without a start: the day of its date, all day */
	if (strcmp(kind, "event") == 0 && import_str(meta, "start") == NULL &&
	    date != NULL && strlen(date) >= 10) {
		val_set_str(a, m, "start", arena_strndup(a, date, 10));
		if (import_str(meta, "end") == NULL)
			val_set_str(a, m, "end", arena_strndup(a, date, 10));
	}

	id = slug
	    ? db_int(im->db, "SELECT id FROM item WHERE kind = ? AND slug = ?",
		  "tt", kind, slug)
	    : -1;
	if (id < 0)
		id = 0;
	if (import_claim(im, id, fi, path, slug) == -1)
		goto done;
	if (id)
		c->updated++;
	else
		c->added++;
	if (load_item_save(im->db, im->key, kind, m, body, &id, lerr,
		sizeof(lerr)) == -1) {
		/* the loader says "item: reason" */
		reason = strncmp(lerr, "item: ", 6) == 0 ? lerr + 6 : lerr;
		import_fail(im, "%s: %s", path, reason);
		goto done;
	}
	if (import_claim(im, id, fi, path, slug) == -1)
		goto done;
	for (i = 0; i < IMPORT_KINDS; i++)
		if (strcmp(kind, import_kind_names[i]) == 0)
			c->kinds[i]++;
	if (unknown)
		c->unknown++;
	rc = 0;
done:
	free(data);
	arena_free(a);
	return rc;
}

const char *const import_kind_names[IMPORT_KINDS] = {
    "news",
    "press-release",
    "statement",
    "event",
    "page",
};

/* Draws "[#####.....] 1234/2000" when the filled part or the count's
 * hundredth changes. */
static void
import_progress(struct import *im, size_t done)
{
	int width = 40, fill, i;

	if (!im->tty || im->npaths == 0)
		return;
	fill = (int)(done * (size_t)width / im->npaths);
	if (done != im->npaths && im->drawn > 0 &&
	    done % (im->npaths / 100 + 1) != 0)
		return;
	fputs("\r[", stderr);
	for (i = 0; i < width; i++)
		fputc(i < fill ? '#' : '.', stderr);
	fprintf(stderr, "] %zu/%zu", done, im->npaths);
	fflush(stderr);
	im->drawn = 1;
}

int
import_dir(struct db *db, const unsigned char key[EMAIL_KEY_LEN],
    const char *dir, int tty, struct import_counts *out, char *err,
    size_t errlen)
{
	struct import im;
	struct import_counts c;
	struct stat st;
	size_t i;
	int rc = -1, began = 0;

	memset(&im, 0, sizeof(im));
	memset(&c, 0, sizeof(c));
	im.db = db;
	im.key = key;
	im.dir = dir;
	im.err = err;
	im.errlen = errlen;
	im.tty = tty;
	if (stat(dir, &st) == -1) {
		import_fail(&im, "%s: %s", dir, strerror(errno));
		goto done;
	}
	if (!S_ISDIR(st.st_mode)) {
		import_fail(&im, "%s: not a folder", dir);
		goto done;
	}
	if (import_walk(&im, "", 0) == -1)
		goto done;
	qsort(im.paths, im.npaths, sizeof(*im.paths), import_cmp);
	if (db_begin(db) == -1) {
		import_fail(&im, "%s: cannot write the database", db_path(db));
		goto done;
	}
	began = 1;
	for (i = 0; i < im.npaths; i++) {
		if (import_one(&im, i, &c) == -1)
			goto done;
		import_progress(&im, i + 1);
	}
	if (db_commit(db) == -1) {
		import_fail(&im, "%s: cannot write the database", db_path(db));
		goto done;
	}
	began = 0;
	c.files = im.npaths;
	*out = c;
	rc = 0;
done:
	if (began)
		db_rollback(db);
	if (im.drawn)
		fputc('\n', stderr);
	for (i = 0; i < im.npaths; i++)
		free(im.paths[i]);
	free(im.paths);
	free(im.owner);
	return rc;
}
