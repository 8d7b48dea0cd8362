/* test_load.c: the content loader: what it stores, what it refuses, and
 * that a refused tree leaves nothing behind. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "extern.h"
#include "unit.h"

static const char site_md[] =
    "---\nname: Test Alliance\nlanguage: en\nabout_block: about-us\n"
    "media_contact: jane\nregions:\n  - slug: europe\n    name: Europe\n"
    "---\n";

/* Loads site.md plus one file; returns load_files's result and err. */
static int
load_one_file(const char *name, const char *text, char *err, size_t errlen,
    long long *items)
{
	struct load_file f[2] = {
	    {"site.md", site_md, sizeof(site_md) - 1},
	    {name, text, strlen(text)},
	};
	char path[UNIT_DB_PATH];
	struct db *db = unit_db_new(path);
	int rc;

	if (db == NULL)
		return -2;
	err[0] = '\0';
	rc = load_files(db, f, 2, err, errlen);
	*items = db_int(db, "SELECT count(*) FROM item", "") +
	    db_int(db, "SELECT count(*) FROM setting", "");
	unit_db_drop(db, path);
	return rc;
}

static void
test_load_refusals(void)
{
	static const struct {
		const char *name, *text, *want;
	} bad[] = {
	    {"news/a.md", "---\ndate: 2014-12-10\n---\nbody\n", "no title"},
	    {"news/a.md", "---\ntitle: T\n---\nbody\n", "no date"},
	    {"news/a.md", "---\ntitle: T\ndate: 10/12/2014\n---\n",
	        "bad date"},
	    {"news/a.md", "---\ntitle: T\ndate: 2014-12-10\nregions: [mars]\n"
	                  "---\n",
	        "unknown region"},
	    {"news/a.md", "---\ntitle: T\ndate: 2014-12-10\nslug: Bad Slug\n"
	                  "---\n",
	        "bad slug"},
	    {"events/e.md", "---\ntitle: E\ndate: 2014-12-10\n---\n",
	        "needs a start"},
	    {"events/e.md", "---\ntitle: E\ndate: 2014-12-10\nstart: "
	                    "2014-11-16\nend: 2014-11-14\n---\n",
	        "ends before"},
	    {"news/a.md", "---\ntitle: T\ndate: 2014-12-10\nstatus: gone\n"
	                  "---\n",
	        "status"},
	    {"news/a.md", "---\ntitle: T\ndate: 2014-12-10\nupdated: "
	                  "2014-12-09\n---\n",
	        "updated before"},
	    {"recipes/a.md", "---\ntitle: T\ndate: 2014-12-10\n---\n",
	        "unknown kind"},
	    {"news/deep/a.md", "---\ntitle: T\ndate: 2014-12-10\n---\n",
	        "unexpected folder"},
	    {"contacts/x.md", "---\nname: X\nemail: \"a@b\\r\\nBcc: c@d.org\"\n"
	                      "---\n",
	        "bad e-mail"},
	    {"news/a.md", "---\ntitle: \"unterminated\n---\n", "news/a.md"},
	};
	char err[512];
	long long n = -1;
	size_t i;
	int rc;

	for (i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		rc = load_one_file(bad[i].name, bad[i].text, err, sizeof(err),
		    &n);
		CHECK(rc == -1, "%s is refused (%s)", bad[i].name, bad[i].want);
		CHECK(strstr(err, bad[i].want) != NULL &&
		        strchr(err, '\n') == NULL,
		    "one line naming the problem: want \"%s\", got \"%s\"",
		    bad[i].want, err);
		CHECK(n == 0, "a refused tree writes nothing (%lld rows)", n);
	}
}

static void
test_load_good(void)
{
	static const char news[] =
	    "---\ntitle: \"Hello: world\"\ndate: 2014-12-10T09:00:00+07:00\n"
	    "summary: Short.\ntags: [Sex work, migration]\nregions: [europe]\n"
	    "---\nWrite to bob@example.org about #Beijing20 and #APwomen.\n";
	static const char event[] =
	    "---\ntitle: Forum\ndate: 2014-11-01\nstart: 2014-11-14\n"
	    "end: 2014-11-16\ntimezone: Asia/Bangkok\ncity: Bangkok\n---\n";
	static const char contact[] =
	    "---\nname: Jane\nrole: Officer\nemail: jane@example.org\n---\n";
	struct load_file f[] = {
	    {"site.md", site_md, sizeof(site_md) - 1},
	    {"news/hello.md", news, sizeof(news) - 1},
	    {"events/forum.md", event, sizeof(event) - 1},
	    {"contacts/jane.md", contact, sizeof(contact) - 1},
	};
	struct arena *a = arena_new();
	struct val *row;
	char path[UNIT_DB_PATH], err[512];
	struct db *db = unit_db_new(path);

	CHECK(db != NULL, "a fresh database");
	if (db == NULL)
		goto done;
	CHECK(load_files(db, f, 4, err, sizeof(err)) == 0, "loads: %s", err);
	row = db_query_one(db, a,
	    "SELECT slug, published_at, tz_offset, lang, updated_at FROM item "
	    "WHERE kind = 'news'",
	    "");
	CHECK(row && page_int(row, "updated_at") == 1418176800,
	    "without \"updated\", an item was last updated when published");
	CHECK(row && strcmp(page_str(row, "slug"), "hello-world") == 0,
	    "the slug comes from the title");
	CHECK(row && page_int(row, "published_at") == 1418176800 &&
	        page_int(row, "tz_offset") == 420,
	    "the date keeps its instant and its offset");
	CHECK(db_int(db, "SELECT count(*) FROM tag WHERE slug IN ('sex-work', "
	                 "'migration', 'beijing20', 'apwomen')",
	          "") == 4,
	    "front-matter tags and hashtags become tags");
	CHECK(db_int(db, "SELECT count(*) FROM item_region", "") == 1,
	    "the region is linked");
	CHECK(db_int(db, "SELECT count(*) FROM email_token WHERE address IN "
	                 "('bob@example.org', 'jane@example.org')",
	          "") == 2,
	    "addresses in bodies and contacts get reveal tokens");
	row = db_query_one(db, a,
	    "SELECT all_day, start_utc, end_utc FROM event", "");
	/* 14 Nov 00:00 in Bangkok (UTC+7) to the end of 16 Nov there */
	CHECK(row && page_int(row, "all_day") == 1 &&
	        page_int(row, "start_utc") == 1415898000 &&
	        page_int(row, "end_utc") == 1416157200,
	    "an all-day event spans its days in its own zone");
	CHECK(db_int(db, "SELECT length(value) FROM setting WHERE key = "
	                 "'secret'",
	          "") == 64,
	    "init makes a site key");
	CHECK(db_int(db, "SELECT CAST(value AS INTEGER) FROM meta WHERE key = "
	                 "'rev'",
	          "") > 0,
	    "content changes bump the revision");
	unit_db_drop(db, path);
done:
	arena_free(a);
}

static void
test_load_embedded(void)
{
	char path[UNIT_DB_PATH], err[512];
	struct db *db = unit_db_new(path);

	if (db == NULL)
		return;
	CHECK(load_embedded(db, err, sizeof(err)) == 0,
	    "the demo content loads: %s", err);
	CHECK(db_int(db, "SELECT count(*) FROM item WHERE kind = "
	                 "'press-release'",
	          "") >= 2,
	    "the demo has the press releases");
	CHECK(db_int(db, "SELECT count(*) FROM member", "") == 6,
	    "the demo has the six member organisations");
	unit_db_drop(db, path);
}

void
test_load(void)
{
	test_load_refusals();
	test_load_good();
	test_load_embedded();
}
