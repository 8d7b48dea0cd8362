/* unit.h: the tiny harness of the unit tests: CHECK counts and reports. */
#ifndef HERALD_UNIT_H
#define HERALD_UNIT_H

#include <stdio.h>

extern int unit_passed, unit_failed;

/* Counts one check; on failure prints where and why, and goes on. */
#define CHECK(cond, ...)                                                    \
	do {                                                                \
		if (cond)                                                   \
			unit_passed++;                                      \
		else {                                                      \
			unit_failed++;                                      \
			fprintf(stderr, "FAIL %s:%d: ", __FILE__, __LINE__); \
			fprintf(stderr, __VA_ARGS__);                       \
			fputc('\n', stderr);                                \
		}                                                           \
	} while (0)

/* Each suite is a function in its own file, listed in main.c.
 * TEMPORARY while suites are being written: weak, so a missing one is
 * reported as missing (and counted as a failure) instead of breaking the link. */
#define UNIT_SUITE __attribute__((weak))
void test_buf(void) UNIT_SUITE;
void test_html(void) UNIT_SUITE;
void test_json(void) UNIT_SUITE;
void test_tmpl(void) UNIT_SUITE;
void test_mustache_spec(void) UNIT_SUITE;
void test_md(void) UNIT_SUITE;
void test_fm(void) UNIT_SUITE;
void test_load(void) UNIT_SUITE;
void test_search(void) UNIT_SUITE;
void test_feed(void) UNIT_SUITE;
void test_user(void) UNIT_SUITE;
void test_totp(void) UNIT_SUITE;
void test_diff(void) UNIT_SUITE;
void test_media(void) UNIT_SUITE;
void test_form(void) UNIT_SUITE;
void test_admin(void) UNIT_SUITE;
void test_mail(void) UNIT_SUITE;
void test_files(void) UNIT_SUITE;
void test_http(void) UNIT_SUITE;

/* A fresh migrated database in /tmp (its name in path), or NULL; drop it
 * (closed, and removed with its WAL files) with unit_db_drop. */
#define UNIT_DB_PATH 64
struct db;
struct db *unit_db_new(char path[UNIT_DB_PATH]);
void unit_db_drop(struct db *, const char *path);

/* Reads a whole file into malloc'd memory (NUL-terminated); NULL on error. */
char *unit_slurp(const char *path, size_t *lenp);

#endif
