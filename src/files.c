/* files.c: uploads (image sizes, publication PDFs) kept as files beside the
 * database so the server can send them with sendfile(2); a cache derived
 * from the blobs, never the truth. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
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

/*
 * A file is STEM/HASH: STEM, a folder per upload, says what it holds,
 * from numbers and fixed words only ("p12.pdf" for publication 12,
 * "m7-480.webp" for image 7's size 480 in WebP); HASH is the BLAKE2b-256
 * of its bytes in hex. So a replaced PDF has a new name, a name read once
 * always holds the same bytes, and the older contents of an upload are
 * found in its own small folder, not among every file.
 */
struct files {
	char dir[4096];
	atomic_uint seq;   /* temporary names of this process */
	atomic_int warned; /* the one line said when writing fails */
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
	return f;
}

void
files_free(struct files *f)
{
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

/* Removes the other files in stem's folder (older contents of the same
 * upload). A request still reading a snapshot from before the change may
 * be about to open one: it then finds it gone and writes it again (see
 * files_open), and a later change or the next sweep removes it. */
static void
files_drop_others(const char *stemdir, const char *keep)
{
	DIR *d;
	struct dirent *de;

	if ((d = opendir(stemdir)) == NULL)
		return;
	while ((de = readdir(d)) != NULL)
		if (files_is_hex(de->d_name) && strcmp(de->d_name, keep) != 0)
			unlinkat(dirfd(d), de->d_name, 0);
	closedir(d);
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
			return fd;
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
	if (files_write_all(fd, data, len) == -1 || rename(tmp, path) == -1) {
		err = errno;
		close(fd);
		unlink(tmp);
		files_warn(f, "write", err);
		return -1;
	}
	/* fd is the file now at path: its bytes are whole */
	files_drop_others(stemdir, hex);
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
 * 1 when the upload of folder name (a stem) is still there: a publication
 * with a file, an image size. Its hash is not checked (that would read
 * every blob at each start): older contents of an upload go when a new
 * one is written (files_drop_others). 0 when it is gone, -1 when the name
 * is not one of ours or the query failed.
 */
static int
files_wanted(struct db *db, const char *name)
{
	const char *p = name, *fmt;
	long long id, width, n;

	if (*p == 'p') {
		p++;
		if ((id = files_num(&p)) == -1 || strcmp(p, ".pdf") != 0)
			return -1;
		n = db_int(db,
		    "SELECT count(*) FROM publication WHERE id = ? AND "
		    "file_name IS NOT NULL AND file_data IS NOT NULL",
		    "i", id);
		return n < 0 ? -1 : n > 0;
	}
	if (*p != 'm')
		return -1;
	p++;
	if ((id = files_num(&p)) == -1 || *p++ != '-' ||
	    (width = files_num(&p)) == -1 || *p++ != '.')
		return -1;
	if (strcmp(p, "webp") == 0 || strcmp(p, "jpeg") == 0 ||
	    strcmp(p, "png") == 0)
		fmt = p;
	else
		return -1;
	n = db_int(db,
	    "SELECT count(*) FROM media_variant WHERE media_id = ? AND "
	    "width = ? AND format = ?",
	    "iit", id, width, fmt);
	return n < 0 ? -1 : n > 0;
}

/* Removes the folder name of dir d and the files of ours in it (a hash
 * each); 1 when it went. */
static int
files_remove_stem(DIR *d, const char *name)
{
	DIR *s;
	struct dirent *de;
	int fd;

	if ((fd = openat(dirfd(d), name,
		 O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) == -1)
		return 0;
	if ((s = fdopendir(fd)) == NULL) {
		close(fd);
		return 0;
	}
	while ((de = readdir(s)) != NULL)
		if (files_is_hex(de->d_name))
			unlinkat(dirfd(s), de->d_name, 0);
	closedir(s);
	return unlinkat(dirfd(d), name, AT_REMOVEDIR) == 0;
}

int
files_sweep(struct files *f, struct db *db, time_t now)
{
	DIR *d;
	struct dirent *de;
	struct stat st;
	int n = 0;

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
		if (files_wanted(db, de->d_name) == 0)
			n += files_remove_stem(d, de->d_name);
	}
	closedir(d);
	return n;
}
