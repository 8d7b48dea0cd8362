/* test_files.c: uploads as files (files.c): written once and opened after,
 * a new name for new bytes, a file cut short written again, threads racing
 * to write one file, a folder that cannot be made, and the start-up sweep. */
#include <dirent.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "extern.h"
#include "unit.h"

#define RACERS 8

/* 1 when fd holds exactly data (len bytes), read at offset 0. */
static int
same_bytes(int fd, const unsigned char *data, size_t len)
{
	unsigned char b[4096];
	size_t off = 0;
	ssize_t n;

	while ((n = pread(fd, b, sizeof(b), (off_t)off)) > 0) {
		if (off + (size_t)n > len || memcmp(b, data + off, (size_t)n))
			return 0;
		off += (size_t)n;
	}
	return n == 0 && off == len;
}

/* Names in dir (other than . and ..), and how many start with prefix. */
static int
count_names(const char *dir, const char *prefix, int *with_prefix)
{
	DIR *d;
	struct dirent *de;
	int n = 0;

	*with_prefix = 0;
	if ((d = opendir(dir)) == NULL)
		return -1;
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		n++;
		*with_prefix +=
		    strncmp(de->d_name, prefix, strlen(prefix)) == 0;
	}
	closedir(d);
	return n;
}

/* Removes dir and what is in it. */
static void
remove_dir(const char *dir)
{
	DIR *d;
	struct dirent *de;
	char sub[4200];

	if ((d = opendir(dir)) != NULL) {
		while ((de = readdir(d)) != NULL) {
			if (!strcmp(de->d_name, ".") ||
			    !strcmp(de->d_name, ".."))
				continue;
			snprintf(sub, sizeof(sub), "%s/%s", dir, de->d_name);
			if (unlink(sub) == -1)
				remove_dir(sub);
		}
		closedir(d);
	}
	rmdir(dir);
}

struct racer {
	struct files *f;
	const unsigned char *data;
	size_t len;
	pthread_barrier_t *start;
	int fd;
};

static void *
race(void *arg)
{
	struct racer *r = arg;
	char hex[FILES_HEX + 1];

	pthread_barrier_wait(r->start);
	r->fd = files_pub(r->f, 3, r->data, r->len, hex);
	return NULL;
}

static void
test_files_write_and_open(const char *db_path)
{
	struct files *f = files_new(db_path);
	char hex[FILES_HEX + 1], hex2[FILES_HEX + 1], path[4200], dir[4200];
	unsigned char *a = malloc(300000), *b = malloc(1000);
	struct stat st, st2;
	size_t i;
	int fd, fd2, n, with;

	CHECK(f != NULL && a != NULL && b != NULL, "files_new");
	if (f == NULL || a == NULL || b == NULL)
		goto done;
	for (i = 0; i < 300000; i++)
		a[i] = (unsigned char)(i * 7 + i / 251);
	memset(b, 'b', 1000);

	/* first request: written, with the hash in its name */
	fd = files_pub(f, 12, a, 300000, hex);
	CHECK(fd >= 0, "a PDF is written");
	CHECK(strlen(hex) == FILES_HEX, "hex is the hash: %s", hex);
	CHECK(fd >= 0 && same_bytes(fd, a, 300000), "its bytes");
	snprintf(path, sizeof(path), "%s/p12.pdf/%s", files_dir(f), hex);
	CHECK(stat(path, &st) == 0 && S_ISREG(st.st_mode) &&
		(st.st_mode & 0777) == 0600,
	    "named p12.pdf/HASH, mode 0600: %s", path);
	CHECK(stat(files_dir(f), &st2) == 0 && (st2.st_mode & 0777) == 0700,
	    "the folder is 0700");
	snprintf(dir, sizeof(dir), "%s/p12.pdf", files_dir(f));
	CHECK(stat(dir, &st2) == 0 && S_ISDIR(st2.st_mode) &&
		(st2.st_mode & 0777) == 0700,
	    "the upload's folder is 0700");
	/* later requests open the same file */
	fd2 = files_pub(f, 12, a, 300000, hex2);
	CHECK(fd2 >= 0 && fstat(fd2, &st2) == 0 && st2.st_ino == st.st_ino,
	    "the second request opens the file written by the first");
	CHECK(strcmp(hex, hex2) == 0, "same bytes, same hash");
	if (fd2 >= 0)
		close(fd2);
	/* a file cut short (a crash before its data reached the disk) is
	 * written again */
	CHECK(truncate(path, 1000) == 0, "cut short");
	fd2 = files_pub(f, 12, a, 300000, hex2);
	CHECK(fd2 >= 0 && same_bytes(fd2, a, 300000),
	    "a short file is written again");
	if (fd2 >= 0)
		close(fd2);
	if (fd >= 0)
		close(fd);

	/* replaced PDF: a new name, and the old file goes */
	fd = files_pub(f, 12, b, 1000, hex2);
	CHECK(fd >= 0 && same_bytes(fd, b, 1000), "the new PDF");
	CHECK(strcmp(hex, hex2) != 0, "new bytes, new name");
	CHECK(access(path, F_OK) == -1, "the old file of p12 went");
	if (fd >= 0)
		close(fd);
	/* another publication and an image size are left alone */
	fd = files_pub(f, 1, b, 1000, hex);
	CHECK(fd >= 0, "publication 1");
	if (fd >= 0)
		close(fd);
	fd = files_media(f, 1, 480, "webp", b, 10, hex);
	CHECK(fd >= 0 && same_bytes(fd, b, 10), "image 1 at 480 in WebP");
	if (fd >= 0)
		close(fd);
	CHECK(files_media(f, 1, 480, "gif", b, 10, hex) == -1,
	    "a format that is not ours");
	n = count_names(files_dir(f), "p1.", &with);
	CHECK(n == 3 && with == 1, "p12, p1 and m1-480 (%d folders)", n);
	n = count_names(dir, "", &with);
	CHECK(n == 1, "one file for p12 (%d)", n);
done:
	if (f != NULL)
		remove_dir(files_dir(f));
	files_free(f);
	free(a);
	free(b);
}

/* Threads racing to write one file all get whole bytes, and no temporary
 * file is left. */
static void
test_files_race(const char *db_path)
{
	struct files *f = files_new(db_path);
	struct racer r[RACERS];
	pthread_t t[RACERS];
	pthread_barrier_t start;
	char dir[4200];
	unsigned char *data = malloc(1 << 20);
	size_t i;
	int ok = 1, n, with;

	CHECK(f != NULL && data != NULL, "files_new");
	if (f == NULL || data == NULL)
		goto done;
	for (i = 0; i < (1 << 20); i++)
		data[i] = (unsigned char)(i ^ (i >> 9));
	pthread_barrier_init(&start, NULL, RACERS);
	for (i = 0; i < RACERS; i++) {
		r[i] = (struct racer){f, data, 1 << 20, &start, -1};
		pthread_create(&t[i], NULL, race, &r[i]);
	}
	for (i = 0; i < RACERS; i++) {
		pthread_join(t[i], NULL);
		ok &= r[i].fd >= 0 && same_bytes(r[i].fd, data, 1 << 20);
		if (r[i].fd >= 0)
			close(r[i].fd);
	}
	pthread_barrier_destroy(&start);
	CHECK(ok, "%d racing writers all got the whole file", RACERS);
	n = count_names(files_dir(f), "p3.pdf", &with);
	CHECK(n == 1 && with == 1, "one folder, no temporary left (%d)", n);
	snprintf(dir, sizeof(dir), "%s/p3.pdf", files_dir(f));
	n = count_names(dir, "", &with);
	CHECK(n == 1, "one file in it (%d)", n);
done:
	if (f != NULL)
		remove_dir(files_dir(f));
	files_free(f);
	free(data);
}

/* A regular file where the folder should be: -1 (the caller serves from
 * memory), with the hash still given. */
static void
test_files_no_folder(const char *db_path)
{
	struct files *f = files_new(db_path);
	char hex[FILES_HEX + 1] = "";
	int fd;

	CHECK(f != NULL, "files_new");
	if (f == NULL)
		return;
	fd = open(files_dir(f), O_WRONLY | O_CREAT | O_TRUNC, 0600);
	CHECK(fd >= 0, "a file in the folder's place");
	if (fd >= 0)
		close(fd);
	CHECK(files_pub(f, 1, "%PDF", 4, hex) == -1,
	    "no folder: no file (said once on stderr)");
	CHECK(strlen(hex) == FILES_HEX, "the hash is still given");
	CHECK(files_sweep(f, NULL, time(NULL)) == 0, "nothing to sweep");
	unlink(files_dir(f));
	files_free(f);
}

/* The start-up sweep: files of uploads that are gone, and old temporary
 * files, go; the rest stay. */
static void
test_files_sweep(void)
{
	char path[UNIT_DB_PATH], hex[FILES_HEX + 1], name[4200];
	struct db *db = unit_db_new(path);
	struct files *f = NULL;
	struct timespec old[2] = {{0, 0}, {0, 0}};
	long long pub = -1, gone = -1;
	int fd, n, with;

	CHECK(db != NULL, "a fresh database");
	if (db == NULL || (f = files_new(path)) == NULL)
		goto done;
	pub = db_exec(db,
	    "INSERT INTO publication(slug, title, file_name, file_type, "
	    "file_data, created_at, updated_at) VALUES ('kept', 'Kept', "
	    "'k.pdf', 'application/pdf', ?, 0, 0)",
	    "b", "%PDF kept", (size_t)9);
	gone = db_exec(db,
	    "INSERT INTO publication(slug, title, created_at, updated_at) "
	    "VALUES ('no-file', 'No file', 0, 0)",
	    "");
	CHECK(pub > 0 && gone > 0, "two publications");
	CHECK(db_exec(db,
		  "INSERT INTO media(id, alt, ctype, width, height, bytes, "
		  "created_at) VALUES (5, 'x', 'image/png', 10, 10, 1, 0)",
		  "") >= 0 &&
		db_exec(db,
		    "INSERT INTO media_variant(media_id, width, height, "
		    "format, ctype, data) VALUES (5, 480, 10, 'webp', "
		    "'image/webp', ?)",
		    "b", "RIFF", (size_t)4) >= 0,
	    "an image with one size");
	if ((fd = files_pub(f, pub, "%PDF kept", 9, hex)) >= 0)
		close(fd);
	if ((fd = files_pub(f, gone, "%PDF gone", 9, hex)) >= 0)
		close(fd);
	if ((fd = files_pub(f, 999, "%PDF none", 9, hex)) >= 0)
		close(fd);
	if ((fd = files_media(f, 5, 480, "webp", "RIFF", 4, hex)) >= 0)
		close(fd);
	if ((fd = files_media(f, 5, 960, "webp", "RIFF", 4, hex)) >= 0)
		close(fd);
	if ((fd = files_media(f, 5, 480, "png", "PNG!", 4, hex)) >= 0)
		close(fd);
	snprintf(name, sizeof(name), "%s/.tmp.1.1", files_dir(f));
	if ((fd = open(name, O_WRONLY | O_CREAT, 0600)) >= 0)
		close(fd);
	utimensat(AT_FDCWD, name, old, 0); /* left in 1970 */
	snprintf(name, sizeof(name), "%s/.tmp.1.2", files_dir(f));
	if ((fd = open(name, O_WRONLY | O_CREAT, 0600)) >= 0)
		close(fd); /* being written now */
	snprintf(name, sizeof(name), "%s/notes.txt", files_dir(f));
	if ((fd = open(name, O_WRONLY | O_CREAT, 0600)) >= 0)
		close(fd);
	n = count_names(files_dir(f), "", &with);
	CHECK(n == 9, "9 names before the sweep (%d)", n);
	n = files_sweep(f, db, time(NULL));
	CHECK(n == 5,
	    "5 go: p(no file), p999, m5-960, m5-480.png, the old temp "
	    "(%d)",
	    n);
	n = count_names(files_dir(f), "p", &with);
	CHECK(n == 4 && with == 1,
	    "the kept PDF, m5-480.webp, the young "
	    "temporary file and notes.txt stay (%d)",
	    n);
	count_names(files_dir(f), "m5-480.webp", &with);
	CHECK(with == 1, "m5-480.webp stays");
	count_names(files_dir(f), ".tmp.1.2", &with);
	CHECK(with == 1, "a young temporary file stays");
done:
	if (f != NULL)
		remove_dir(files_dir(f));
	files_free(f);
	if (db != NULL)
		unit_db_drop(db, path);
}

void
test_files(void)
{
	char db_path[64];

	snprintf(db_path, sizeof(db_path), "/tmp/herald-unit-files-%ld.db",
	    (long)getpid());
	test_files_write_and_open(db_path);
	test_files_race(db_path);
	test_files_no_folder(db_path);
	test_files_sweep();
}
