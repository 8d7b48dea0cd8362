/* files.c: uploads (image sizes, publication PDFs) kept as files beside the
 * database so the server can send them with sendfile(2); a cache derived
 * from the blobs, never the truth. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "extern.h"

#define FILES_TMP ".tmp."  /* temporary names start with this */
#define FILES_TMP_AGE 3600 /* seconds before a sweep takes one as left */
#define FILES_STEM_MAX 96  /* "m123-1600.webp" */
#define FILES_MARKS 64	   /* uploads noted as having older contents */
/* Seconds between the last mark and the sweep of the marked uploads: no
 * request still reads a snapshot from before the change then (one lasts
 * as long as its handler). */
#define FILES_MARK_DELAY 5

/*
 * A file is STEM/HASH: STEM, a folder per upload, says what it holds,
 * from numbers and fixed words only ("p12.pdf" for publication 12,
 * "m7-480.webp" for image 7's size 480 in WebP); HASH is the BLAKE2b-256
 * of its bytes in hex. So a replaced PDF has a new name, a name read once
 * always holds the same bytes, and the older contents of an upload are
 * found in its own small folder, not among every file. Requests only add
 * files; files_sweep removes them.
 */
struct files {
	char dir[4096];
	atomic_uint seq;   /* temporary names of this process */
	atomic_int warned; /* the one line said when writing fails */

	/* Uploads whose folders hold older contents, under lock. */
	pthread_mutex_t lock;
	char marks[FILES_MARKS][FILES_STEM_MAX];
	size_t nmarks;
	int marks_lost; /* more than FILES_MARKS: sweep them all */
	time_t marked_at;
};

struct files *
files_new(const char *db_path)
{
	struct files *f;

	if ((f = calloc(1, sizeof(*f))) == NULL)
		return NULL;
	if ((size_t)snprintf(f->dir, sizeof(f->dir), "%s.files", db_path) >=
	    sizeof(f->dir)) {
		free(f);
		return NULL;
	}
	atomic_init(&f->seq, 0);
	atomic_init(&f->warned, 0);
	pthread_mutex_init(&f->lock, NULL);
	return f;
}

void
files_free(struct files *f)
{
	if (f == NULL)
		return;
	pthread_mutex_destroy(&f->lock);
	free(f);
}

const char *
files_dir(const struct files *f)
{
	return f->dir;
}

/* Says once per process why uploads are served from memory. */
static void
files_warn(struct files *f, const char *what, int err)
{
	if (atomic_exchange(&f->warned, 1) == 0)
		fprintf(stderr,
		    "herald: %s: cannot %s (%s): uploads are served from "
		    "memory\n",
		    f->dir, what, strerror(err));
}

/* Writes all of data to fd; 0 or -1 (errno set). */
static int
files_write_all(int fd, const unsigned char *data, size_t len)
{
	ssize_t n;

	while (len > 0) {
		if ((n = write(fd, data, len)) == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		data += n;
		len -= (size_t)n;
	}
	return 0;
}

/* 1 when s is FILES_HEX lowercase hex digits and nothing more. */
static int
files_is_hex(const char *s)
{
	size_t i;

	for (i = 0; i < FILES_HEX; i++)
		if (!((s[i] >= '0' && s[i] <= '9') ||
			(s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return s[i] == '\0';
}

/* Notes that stem's folder holds older contents, for files_sweep_marked. */
static void
files_mark(struct files *f, const char *stem)
{
	size_t i;

	pthread_mutex_lock(&f->lock);
	for (i = 0; i < f->nmarks && strcmp(f->marks[i], stem) != 0; i++)
		;
	if (i == f->nmarks) {
		if (f->nmarks < FILES_MARKS)
			snprintf(
			    f->marks[f->nmarks++], FILES_STEM_MAX, "%s", stem);
		else
			f->marks_lost = 1;
	}
	f->marked_at = time(NULL);
	pthread_mutex_unlock(&f->lock);
}

/* 1 when the folder stemdir holds a file of ours other than keep. */
static int
files_others(const char *stemdir, const char *keep)
{
	DIR *d;
	struct dirent *de;
	int found = 0;

	if ((d = opendir(stemdir)) == NULL)
		return 0;
	while (!found && (de = readdir(d)) != NULL)
		found = files_is_hex(de->d_name) && strcmp(de->d_name, keep);
	closedir(d);
	return found;
}

/*
 * The file of stem holding data: opened when it is there with the right
 * size, else written to a temporary name and renamed into place, so a
 * reader never sees half a file and two writers both end with a whole
 * one (the second rename replaces the first's identical file). hex gets
 * the hash. Returns a read-only descriptor or -1.
 */
static int
files_open(struct files *f, const char *stem, const void *data, size_t len,
    char hex[FILES_HEX + 1])
{
	unsigned char h[FILES_HEX / 2];
	char stemdir[sizeof(f->dir) + 1 + FILES_STEM_MAX];
	char path[sizeof(stemdir) + 1 + FILES_HEX], tmp[sizeof(f->dir) + 64];
	struct stat st;
	int fd, i, err;

	crypto_generichash(h, sizeof(h), data, len, NULL, 0);
	sodium_bin2hex(hex, FILES_HEX + 1, h, sizeof(h));
	snprintf(stemdir, sizeof(stemdir), "%s/%s", f->dir, stem);
	snprintf(path, sizeof(path), "%s/%s", stemdir, hex);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) != -1) {
		if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) &&
		    (uint64_t)st.st_size == (uint64_t)len)
			goto done;
		close(fd); /* cut short (a crash before the data was on
			      disk): written again below */
	}
	if ((mkdir(f->dir, 0700) == -1 && errno != EEXIST) ||
	    (mkdir(stemdir, 0700) == -1 && errno != EEXIST)) {
		files_warn(f, "make a folder", errno);
		return -1;
	}
	for (i = 0, fd = -1; fd == -1 && i < 4; i++) {
		snprintf(tmp, sizeof(tmp), "%s/" FILES_TMP "%ld.%u", f->dir,
		    (long)getpid(), atomic_fetch_add(&f->seq, 1));
		fd = open(tmp,
		    O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
		if (fd == -1 && errno != EEXIST)
			break;
	}
	if (fd == -1) {
		files_warn(f, "write", errno);
		return -1;
	}
	/* a sweep may have just removed the folder of an upload that was
	 * gone (an image id used again): made once more */
	if (files_write_all(fd, data, len) == -1 ||
	    (rename(tmp, path) == -1 &&
		(errno != ENOENT || mkdir(stemdir, 0700) == -1 ||
		    rename(tmp, path) == -1))) {
		err = errno;
		close(fd);
		unlink(tmp);
		files_warn(f, "write", err);
		return -1;
	}
done:
	/* fd is the file at path, whole. Older contents of the upload stay:
	 * a request reading an older snapshot may be about to open one.
	 * files_sweep_marked removes them a little later. */
	if (files_others(stemdir, hex))
		files_mark(f, stem);
	return fd;
}

int
files_media(struct files *f, long long id, long long width, const char *format,
    const void *data, size_t len, char hex[FILES_HEX + 1])
{
	char stem[FILES_STEM_MAX];

	if (f == NULL || id <= 0 || width <= 0 ||
	    (strcmp(format, "webp") != 0 && strcmp(format, "jpeg") != 0 &&
		strcmp(format, "png") != 0))
		return -1;
	snprintf(stem, sizeof(stem), "m%lld-%lld.%s", id, width, format);
	return files_open(f, stem, data, len, hex);
}

int
files_pub(struct files *f, long long id, const void *data, size_t len,
    char hex[FILES_HEX + 1])
{
	char stem[FILES_STEM_MAX];

	if (f == NULL || id <= 0)
		return -1;
	snprintf(stem, sizeof(stem), "p%lld.pdf", id);
	return files_open(f, stem, data, len, hex);
}

/* A positive decimal number at *s, which is moved past it; -1 when none. */
static long long
files_num(const char **s)
{
	long long n = 0;
	const char *p = *s;

	if (*p < '1' || *p > '9')
		return -1;
	for (; *p >= '0' && *p <= '9'; p++) {
		if (n > (0x7fffffffffffffffLL - 9) / 10)
			return -1;
		n = n * 10 + (*p - '0');
	}
	*s = p;
	return n;
}

/*
 * What the sweep knows of the upload of folder name (a stem, parsed
 * here): its query, and the blob's length in *len. 1 when the upload is
 * there, 0 when it is gone, -1 when the name is not one of ours or the
 * query failed.
 */
struct files_upload {
	int pub; /* a publication's PDF, else an image size */
	long long id, width;
	const char *format; /* static */
};

static int
files_parse(const char *name, struct files_upload *u)
{
	static const char *const formats[] = {"webp", "jpeg", "png"};
	const char *p = name + 1;
	size_t i;

	memset(u, 0, sizeof(*u));
	if (name[0] == 'p') {
		u->pub = 1;
		return (u->id = files_num(&p)) == -1 || strcmp(p, ".pdf") != 0
		    ? -1
		    : 0;
	}
	if (name[0] != 'm' || (u->id = files_num(&p)) == -1 || *p++ != '-' ||
	    (u->width = files_num(&p)) == -1 || *p++ != '.')
		return -1;
	for (i = 0; i < sizeof(formats) / sizeof(*formats); i++)
		if (strcmp(p, formats[i]) == 0)
			u->format = formats[i];
	return u->format != NULL ? 0 : -1;
}

/*
 * The upload's row in *row (arena a): its blob's length as "n", or the
 * blob itself as "b" when blob is 1. 1 when the upload is there, 0 when
 * it is gone (no row, or a publication without a file), -1 when the
 * query failed.
 */
static int
files_row(struct db *db, struct arena *a, const struct files_upload *u,
    int blob, struct val **row)
{
	struct val *rows;
	int rc;

	if (u->pub)
		rc = db_query(db, a, &rows,
		    blob
			? "SELECT file_data AS b FROM publication WHERE id = ? "
			  "AND file_name IS NOT NULL AND file_data IS NOT NULL"
			: "SELECT length(file_data) AS n FROM publication "
			  "WHERE id = ? AND file_name IS NOT NULL AND "
			  "file_data IS NOT NULL",
		    "i", u->id);
	else
		rc = db_query(db, a, &rows,
		    blob ? "SELECT data AS b FROM media_variant WHERE "
			   "media_id = ? AND width = ? AND format = ?"
			 : "SELECT length(data) AS n FROM media_variant WHERE "
			   "media_id = ? AND width = ? AND format = ?",
		    "iit", u->id, u->width, u->format);
	if (rc == -1)
		return -1;
	if (rows->u.list.n == 0)
		return 0;
	*row = rows->u.list.items[0];
	return 1;
}

/* The hash of the upload's blob in hex; 0, or -1 when it cannot be read. */
static int
files_blob_hash(
    struct db *db, const struct files_upload *u, char hex[FILES_HEX + 1])
{
	struct arena *a = arena_new();
	struct val *row, *v;
	unsigned char h[FILES_HEX / 2];
	int rc = -1;

	if (files_row(db, a, u, 1, &row) == 1 &&
	    (v = val_get(row, "b")) != NULL && v->type == VAL_STR) {
		crypto_generichash(h, sizeof(h),
		    (const unsigned char *)v->u.str.s, v->u.str.len, NULL, 0);
		sodium_bin2hex(hex, FILES_HEX + 1, h, sizeof(h));
		rc = 0;
	}
	arena_free(a);
	return rc;
}

/*
 * Prunes the folder name of dir d: all its files when the upload is gone
 * (and then the folder), else those not of the blob's bytes (another
 * size; when several have the size, all but the one of the blob's hash).
 * While serving (careful), files written since a second before the
 * database was read stay: a request reading a newer snapshot may just
 * have written one (*young then counts them). Returns how many files
 * went.
 */
static int
files_prune(struct db *db, DIR *d, const char *name, int careful, int *young)
{
	struct files_upload u;
	struct arena *a = NULL;
	struct val *row = NULL;
	struct dirent *de;
	struct stat st;
	char hex[FILES_HEX + 1];
	long long len;
	DIR *s;
	time_t looked;
	int fd, there, n = 0, left = 0, pass, keep;

	*young = 0;
	if (files_parse(name, &u) == -1 ||
	    (fd = openat(dirfd(d), name,
		 O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) == -1)
		return 0;
	if ((s = fdopendir(fd)) == NULL) {
		close(fd);
		return 0;
	}
	a = arena_new();
	looked = time(NULL) - 1;
	if ((there = files_row(db, a, &u, 0, &row)) == -1)
		goto done; /* not knowing, remove nothing */
	len = there ? page_int(row, "n") : -1;
	/* pass 0: gone uploads and wrong sizes; pass 1: the right size
	 * but not the blob's hash, only when more than one is left */
	for (pass = 0; pass < 2; pass++) {
		if (pass == 1 &&
		    (left < 2 || files_blob_hash(db, &u, hex) == -1))
			break;
		rewinddir(s);
		left = *young = 0;
		while ((de = readdir(s)) != NULL) {
			if (!files_is_hex(de->d_name) ||
			    fstatat(dirfd(s), de->d_name, &st,
				AT_SYMLINK_NOFOLLOW) == -1)
				continue;
			keep = there && (uint64_t)st.st_size == (uint64_t)len &&
			    (pass == 0 || strcmp(de->d_name, hex) == 0);
			if (!keep && careful && st.st_mtime >= looked)
				keep = ++*young;
			if (keep || unlinkat(dirfd(s), de->d_name, 0) == -1)
				left++;
			else
				n++;
		}
	}
	if (!there && left == 0)
		unlinkat(dirfd(d), name, AT_REMOVEDIR); /* fails if a file
							   was just added */
done:
	arena_free(a);
	closedir(s);
	return n;
}

/* files_sweep; careful while serving (see files_prune). */
static int
files_sweep_all(struct files *f, struct db *db, time_t now, int careful)
{
	DIR *d;
	struct dirent *de;
	struct stat st;
	int n = 0, young;

	if (f == NULL || (d = opendir(f->dir)) == NULL)
		return 0; /* no folder yet (or not one): nothing to remove */
	while ((de = readdir(d)) != NULL) {
		if (strncmp(de->d_name, FILES_TMP, strlen(FILES_TMP)) == 0) {
			/* left by a writer that died; one that is still
			 * writing (another process) is younger than this */
			if (fstatat(dirfd(d), de->d_name, &st,
				AT_SYMLINK_NOFOLLOW) == 0 &&
			    S_ISREG(st.st_mode) &&
			    st.st_mtime + FILES_TMP_AGE < now &&
			    unlinkat(dirfd(d), de->d_name, 0) == 0)
				n++;
			continue;
		}
		n += files_prune(db, d, de->d_name, careful, &young);
	}
	closedir(d);
	return n;
}

int
files_sweep(struct files *f, struct db *db, time_t now)
{
	return files_sweep_all(f, db, now, 0);
}

int
files_sweep_marked(struct files *f, struct db *db, time_t now)
{
	char marks[FILES_MARKS][FILES_STEM_MAX];
	size_t i, nmarks;
	int lost, n = 0, young;
	DIR *d;

	if (f == NULL)
		return 0;
	pthread_mutex_lock(&f->lock);
	if ((f->nmarks == 0 && !f->marks_lost) ||
	    now < f->marked_at + FILES_MARK_DELAY) {
		pthread_mutex_unlock(&f->lock);
		return 0;
	}
	nmarks = f->nmarks;
	memcpy(marks, f->marks, nmarks * sizeof(*marks));
	lost = f->marks_lost;
	f->nmarks = 0;
	f->marks_lost = 0;
	pthread_mutex_unlock(&f->lock);
	if (lost)
		return files_sweep_all(f, db, now, 1);
	if ((d = opendir(f->dir)) == NULL)
		return 0;
	for (i = 0; i < nmarks; i++) {
		n += files_prune(db, d, marks[i], 1, &young);
		if (young > 0)
			files_mark(f, marks[i]); /* another look later */
	}
	closedir(d);
	return n;
}
