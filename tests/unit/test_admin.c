/* test_admin.c: the admin's parts that need no server: an item as a
 * content file (its revision text) read back by the front matter parser,
 * saving over an item, and the timer that publishes scheduled items. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "extern.h"
#include "unit.h"

/* Saves an item of kind from a few front matter keys; its id or -1. */
static long long
unit_item(struct db *db, const unsigned char *key, struct arena *a,
    const char *title, const char *status, const char *date, long long id)
{
	struct val *m = val_obj(a);
	char err[512];

	val_set_str(a, m, "title", title);
	val_set_str(a, m, "status", status);
	val_set_str(a, m, "date", date);
	val_set_str(a, m, "summary", "A \"quoted\" summary\\ with\ttab");
	val_set_str(a, m, "tags", "alpha, beta gamma");
	if (db_begin(db) == -1)
		return -1;
	if (load_item_save(db, key, "news", m, "Body with **bold**.\n", &id,
		err, sizeof(err)) == -1) {
		fprintf(stderr, "unit_item: %s\n", err);
		db_rollback(db);
		return -1;
	}
	return db_commit(db) == 0 ? id : -1;
}

void
test_admin(void)
{
	char path[UNIT_DB_PATH], err[512], when[64];
	struct db *db = unit_db_new(path);
	struct arena *a = arena_new();
	unsigned char key[EMAIL_KEY_LEN];
	struct val *meta, *row;
	const char *text, *body;
	size_t blen;
	long long id, id2;
	time_t now = time(NULL);
	struct tm tm;

	CHECK(db != NULL, "a fresh database");
	if (db == NULL)
		goto done;
	CHECK(load_embedded(db, err, sizeof(err)) == 0, "demo loads: %s", err);
	row = db_query_one(
	    db, a, "SELECT value FROM setting WHERE key = 'secret'", "");
	CHECK(row && email_key_parse(page_str(row, "value"), key) == 0,
	    "site key");

	/* a revision's text is a content file that reads back the same */
	id = unit_item(db, key, a, "He said \"stop\" \\ now: <b>", "draft",
	    "2014-12-10T09:00:00+07:00", 0);
	CHECK(id > 0, "an item saved");
	text = admin_item_text(db, a, id);
	CHECK(text != NULL && strncmp(text, "---\n", 4) == 0,
	    "the text starts with front matter");
	CHECK(text &&
		fm_parse(a, text, strlen(text), &meta, &body, &blen, err,
		    sizeof(err)) == 0,
	    "its front matter parses: %s", err);
	CHECK(text &&
		strcmp(page_str(meta, "title"),
		    "He said \"stop\" \\ now: <b>") == 0,
	    "quotes, backslash and markup survive: %s",
	    page_str(meta, "title"));
	CHECK(text &&
		strcmp(page_str(meta, "summary"),
		    "A \"quoted\" summary\\ with\ttab") == 0,
	    "a tab survives");
	CHECK(text &&
		strcmp(page_str(meta, "date"), "2014-12-10T09:00:00+07:00") ==
		    0,
	    "the date keeps its offset: %s", page_str(meta, "date"));
	CHECK(text && strcmp(page_str(meta, "status"), "draft") == 0, "status");
	CHECK(text && val_get(meta, "tags") &&
		val_get(meta, "tags")->type == VAL_LIST &&
		val_get(meta, "tags")->u.list.n == 2,
	    "two tags");
	CHECK(text && strstr(body, "Body with **bold**.") != NULL, "the body");
	CHECK(admin_item_text(db, a, 999999) == NULL, "no such item");

	/* saving over an item keeps its id and replaces its tags */
	id2 = unit_item(
	    db, key, a, "Renamed", "draft", "2014-12-10T09:00:00+07:00", id);
	CHECK(id2 == id, "the same item");
	CHECK(db_int(db, "SELECT count(*) FROM item WHERE title = 'Renamed'",
		  "") == 1,
	    "one item with the new title");
	CHECK(db_int(db, "SELECT count(*) FROM item_tag WHERE item_id = ?", "i",
		  id) == 2,
	    "its tags made anew, not doubled");

	/* the timer: due items go live, future ones wait */
	gmtime_r(&(time_t){now - 5}, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%S+00:00", &tm);
	id = unit_item(db, key, a, "Due now", "scheduled", when, 0);
	gmtime_r(&(time_t){now + 3600}, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%S+00:00", &tm);
	id2 = unit_item(db, key, a, "Due later", "scheduled", when, 0);
	CHECK(id > 0 && id2 > 0, "two scheduled items");
	CHECK(admin_publish_due(db, now) == 1, "one item published");
	CHECK(db_int(db,
		  "SELECT count(*) FROM item WHERE id = ? AND status = "
		  "'published'",
		  "i", id) == 1,
	    "the due item is published");
	CHECK(db_int(db,
		  "SELECT count(*) FROM item WHERE id = ? AND status = "
		  "'scheduled'",
		  "i", id2) == 1,
	    "the later one waits");
	CHECK(db_int(db,
		  "SELECT count(*) FROM revision WHERE entity = 'item' "
		  "AND entity_id = ? AND user_id IS NULL",
		  "i", id) == 1,
	    "a revision by the timer");
	CHECK(db_int(db,
		  "SELECT count(*) FROM audit WHERE actor = 'timer' AND "
		  "action = 'item.publish'",
		  "") == 1,
	    "an audit row by the timer");
	CHECK(admin_publish_due(db, now) == 0, "nothing more is due");
	CHECK(admin_publish_due(db, now + 7200) == 1, "later, the other");
done:
	arena_free(a);
	if (db)
		unit_db_drop(db, path);
}
