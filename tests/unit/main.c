/* main.c: runs the unit suites (all, or those named in argv) and prints
 * "N passed, N failed". */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "extern.h"
#include "unit.h"

int unit_passed, unit_failed;

static const struct {
	const char *name;
	void (*fn)(void);
} suites[] = {
	{"buf", test_buf},
	{"html", test_html},
	{"json", test_json},
	{"tmpl", test_tmpl},
	{"mustache", test_mustache_spec},
	{"md", test_md},
	{"fm", test_fm},
	{"load", test_load},
	{"search", test_search},
	{"feed", test_feed},
	{"user", test_user},
	{"totp", test_totp},
	{"diff", test_diff},
	{"media", test_media},
	{"form", test_form},
	{"admin", test_admin},
	{"mail", test_mail},
	{"files", test_files},
	{"http", test_http},
};

char *
unit_slurp(const char *path, size_t *lenp)
{
	FILE *f;
	char *p = NULL;
	long n;

	if ((f = fopen(path, "rb")) == NULL)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 &&
	    fseek(f, 0, SEEK_SET) == 0 && (p = malloc((size_t)n + 1)) != NULL) {
		if (fread(p, 1, (size_t)n, f) != (size_t)n) {
			free(p);
			p = NULL;
		} else {
			p[n] = '\0';
			if (lenp)
				*lenp = (size_t)n;
		}
	}
	fclose(f);
	return p;
}

struct db *
unit_db_new(char path[UNIT_DB_PATH])
{
	struct db *db;
	int fd;

	snprintf(path, UNIT_DB_PATH, "/tmp/herald-unit-XXXXXX");
	if ((fd = mkstemp(path)) == -1)
		return NULL;
	close(fd);
	unlink(path);
	if ((db = db_open(path, DB_CREATE)) == NULL)
		return NULL;
	if (db_migrate(db) == -1) {
		unit_db_drop(db, path);
		return NULL;
	}
	return db;
}

void
unit_db_drop(struct db *db, const char *path)
{
	char side[UNIT_DB_PATH + 8];

	db_close(db);
	unlink(path);
	snprintf(side, sizeof(side), "%s-wal", path);
	unlink(side);
	snprintf(side, sizeof(side), "%s-shm", path);
	unlink(side);
}

int
main(int argc, char *argv[])
{
	size_t i;
	int j, run;

	for (i = 0; i < sizeof(suites) / sizeof(suites[0]); i++) {
		run = argc < 2;
		for (j = 1; j < argc; j++)
			if (strcmp(argv[j], suites[i].name) == 0)
				run = 1;
		if (run && suites[i].fn == NULL) {
			fprintf(stderr, "FAIL suite %s is missing\n", suites[i].name);
			unit_failed++;
		} else if (run)
			suites[i].fn();
	}
	printf("unit: %d passed, %d failed\n", unit_passed, unit_failed);
	return unit_failed ? 1 : 0;
}
