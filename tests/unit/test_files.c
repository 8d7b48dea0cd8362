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

	/* replaced PDF: a new name; the old file stays until a sweep (a
	 * request may be about to open it) */
	fd = files_pub(f, 12, b, 1000, hex2);
	CHECK(fd >= 0 && same_bytes(fd, b, 1000), "the new PDF");
	CHECK(strcmp(hex, hex2) != 0, "new bytes, new name");
	CHECK(access(path, F_OK) == 0, "the old file of p12 stays");
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
	CHECK(n == 2, "two files for p12 (%d)", n);
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

/* Writes the file of publication id with bytes data (NUL-terminated). */
static void
put_pub(struct files *f, long long id, const char *data)
{
	char hex[FILES_HEX + 1];
	int fd;

	if ((fd = files_pub(f, id, data, strlen(data), hex)) >= 0)
		close(fd);
}

/* Sets the times of every file under dir (not the folders) to 1970. */
static void
age_all(const char *dir)
{
	struct timespec old[2] = {{1000, 0}, {1000, 0}};
	DIR *d;
	struct dirent *de;
	struct stat st;
	char sub[4200];

	if ((d = opendir(dir)) == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		snprintf(sub, sizeof(sub), "%s/%s", dir, de->d_name);
		if (lstat(sub, &st) == 0 && S_ISDIR(st.st_mode))
			age_all(sub);
		else
			utimensat(AT_FDCWD, sub, old, AT_SYMLINK_NOFOLLOW);
	}
	closedir(d);
}

/* Files in dir/name. */
static int
files_in(struct files *f, const char *name)
{
	char dir[4200];
	int with;

	snprintf(dir, sizeof(dir), "%s/%s", files_dir(f), name);
	return count_names(dir, "", &with);
}

/* The sweeps: files of contents an upload no longer has go a little after
 * a request wrote a new one (files_sweep_marked), and at the start
 * (files_sweep) also those of uploads that are gone and old temporary
 * files; files written since the sweep read the database stay. */
static void
test_files_sweep(void)
{
	char path[UNIT_DB_PATH], hex[FILES_HEX + 1], name[4200], stem[64];
	struct db *db = unit_db_new(path);
	struct files *f = NULL;
	long long pub = -1, gone = -1;
	time_t now = time(NULL);
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
	snprintf(stem, sizeof(stem), "p%lld.pdf", pub);

	/* contents the PDF had before: each write next to another marks it */
	put_pub(f, pub, "%PDF old!");	       /* replaced, same size */
	put_pub(f, pub, "%PDF older, longer"); /* replaced, another size */
	put_pub(f, pub, "%PDF kept");
	age_all(files_dir(f));
	CHECK(files_in(f, stem) == 3, "three contents of the PDF");
	CHECK(files_sweep_marked(f, db, now) == 0,
	    "not yet: a request may still read a snapshot from before");
	n = files_sweep_marked(f, db, now + 10);
	CHECK(n == 2, "then the 2 older contents go (%d)", n);
	CHECK(files_in(f, stem) == 1, "the current one stays");
	put_pub(f, pub, "%PDF kept"); /* opened, not written */
	CHECK(files_in(f, stem) == 1, "it is the current one");
	CHECK(files_sweep_marked(f, db, now + 20) == 0, "no marks left");

	/* a content written after the sweep read the database stays (the
	 * request that wrote it may read a newer snapshot), and the upload
	 * gets another look */
	put_pub(f, pub, "%PDF newer!!");
	CHECK(
	    files_sweep_marked(f, db, now + 30) == 0 && files_in(f, stem) == 2,
	    "a file just written stays");
	age_all(files_dir(f));
	n = files_sweep_marked(f, db, now + 40);
	CHECK(n == 1 && files_in(f, stem) == 1, "it goes at the next look (%d)",
	    n);

	/* an older content found when the current one is only opened */
	snprintf(name, sizeof(name), "%s/%s/%064d", files_dir(f), stem, 0);
	if ((fd = open(name, O_WRONLY | O_CREAT, 0600)) >= 0)
		close(fd);
	age_all(files_dir(f));
	CHECK(files_sweep_marked(f, db, now + 50) == 0, "not marked yet");
	put_pub(f, pub, "%PDF kept"); /* opened */
	n = files_sweep_marked(f, db, now + 60);
	CHECK(n == 1 && files_in(f, stem) == 1,
	    "an open marks it too, and the older content goes (%d)", n);

	/* at the start */
	put_pub(f, gone, "%PDF gone");
	put_pub(f, 999, "%PDF none");
	if ((fd = files_media(f, 5, 480, "webp", "RIFF", 4, hex)) >= 0)
		close(fd);
	if ((fd = files_media(f, 5, 960, "webp", "RIFF", 4, hex)) >= 0)
		close(fd);
	if ((fd = files_media(f, 5, 480, "png", "PNG!", 4, hex)) >= 0)
		close(fd);
	snprintf(name, sizeof(name), "%s/.tmp.1.1", files_dir(f));
	if ((fd = open(name, O_WRONLY | O_CREAT, 0600)) >= 0)
		close(fd);
	snprintf(name, sizeof(name), "%s/notes.txt", files_dir(f));
	if ((fd = open(name, O_WRONLY | O_CREAT, 0600)) >= 0)
		close(fd);
	age_all(files_dir(f)); /* .tmp.1.1 left in 1970 */
	snprintf(name, sizeof(name), "%s/.tmp.1.2", files_dir(f));
	if ((fd = open(name, O_WRONLY | O_CREAT, 0600)) >= 0)
		close(fd); /* being written now */
	n = count_names(files_dir(f), "", &with);
	CHECK(n == 9, "9 names before the sweep (%d)", n);
	n = files_sweep(f, db, time(NULL));
	CHECK(n == 5,
	    "5 go: p(no file), p999, m5-960, m5-480.png, the old "
	    "temporary file (%d)",
	    n);
	n = count_names(files_dir(f), "p", &with);
	CHECK(n == 4 && with == 1,
	    "the kept PDF, m5-480.webp, the young temporary file and "
	    "notes.txt stay (%d)",
	    n);
	CHECK(files_in(f, stem) == 1, "one file of the kept PDF");
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
