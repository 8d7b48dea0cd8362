/* db.c: the SQLite store: opening, migrations, and prepared queries that
 * return value trees. The only file that includes sqlite3.h. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "extern.h"

#define DB_STMT_CACHE 64

struct db_stmt {
	const char *sql; /* the caller's static string: cached by address */
	sqlite3_stmt *stmt;
};

struct db {
	sqlite3 *h;
	struct db_stmt cache[DB_STMT_CACHE];
	size_t ncache;
	int deferred; /* inside db_begin(): the search index waits (below) */
	char path[4096];
};

/*
 * The search index (migration 2): one FTS5 table "search" for items
 * (rowid id * 4), members (id * 4 + 1) and publications (id * 4 + 2), kept
 * by triggers. Every column's text starts with the language marker of
 * stem.c (char(1) || lang || char(1)) that the "herald" tokenizer reads;
 * Markdown is indexed as plain text (herald_text()). Whether an item is
 * public is decided when searching, so status changes need no update.
 * Inside db_begin() (herald_deferred() is 1) changed items are only noted
 * in search_dirty and db_commit() indexes each once, with all its tags: a
 * tag added row by row would index the whole item again each time.
 */
#define DB_SEARCH_TAGS                                                     \
	"(SELECT char(1) || i.lang || char(1) || coalesce((SELECT "          \
	"group_concat(t.name, ' ') FROM item_tag it JOIN tag t ON t.id = "   \
	"it.tag_id WHERE it.item_id = i.id), '') FROM item i WHERE i.id = "  \
	"search.rowid / 4)"
#define DB_SEARCH_ITEM_ROW                                                 \
	"INSERT INTO search(rowid, title, summary, body, tags, kind, ref) "  \
	"VALUES (NEW.id * 4, char(1) || NEW.lang || char(1) || NEW.title, "  \
	"char(1) || NEW.lang || char(1) || herald_text(NEW.summary), "       \
	"char(1) || NEW.lang || char(1) || herald_text(NEW.body), "          \
	"char(1) || NEW.lang || char(1), NEW.kind, NEW.id);"
#define DB_SEARCH_SITE_MARK                                                \
	"(char(1) || coalesce((SELECT value FROM setting WHERE key = "      \
	"'language'), 'en') || char(1))"
#define DB_SEARCH_MEMBER_ROW                                               \
	"INSERT INTO search(rowid, title, summary, body, tags, kind, ref) "  \
	"VALUES (NEW.id * 4 + 1, " DB_SEARCH_SITE_MARK " || NEW.name, "     \
	DB_SEARCH_SITE_MARK " || NEW.acronym, " DB_SEARCH_SITE_MARK          \
	" || herald_text(NEW.body), " DB_SEARCH_SITE_MARK " || NEW.country, " \
	"'member', NEW.id);"
#define DB_SEARCH_PUB_ROW                                                  \
	"INSERT INTO search(rowid, title, summary, body, tags, kind, ref) "  \
	"VALUES (NEW.id * 4 + 2, char(1) || NEW.lang || char(1) || "         \
	"NEW.title, char(1) || NEW.lang || char(1) || "                      \
	"herald_text(NEW.summary), char(1) || NEW.lang || char(1) || "       \
	"herald_text(NEW.body), char(1) || NEW.lang || char(1), "            \
	"'publication', NEW.id);"

/*
 * Each migration moves the schema from version i to i + 1; they only ever
 * add (tables, columns, indexes, triggers) so no data is dropped. Run inside
 * one transaction with PRAGMA user_version.
 */
static const char *const db_migrations[] = {
	/* 1: the content model of the foundation */
	"CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);"
	"INSERT INTO meta(key, value) VALUES ('rev', '0'), "
	"  ('changed_at', CAST(strftime('%s','now') AS TEXT));"
	"CREATE TABLE setting(key TEXT PRIMARY KEY, value TEXT NOT NULL);"
	"CREATE TABLE social(id INTEGER PRIMARY KEY, network TEXT NOT NULL,"
	"  handle TEXT NOT NULL, url TEXT NOT NULL,"
	"  position INTEGER NOT NULL DEFAULT 0);"
	"CREATE TABLE region(id INTEGER PRIMARY KEY, slug TEXT NOT NULL UNIQUE,"
	"  name TEXT NOT NULL, position INTEGER NOT NULL DEFAULT 0);"
	"CREATE TABLE tag(id INTEGER PRIMARY KEY, slug TEXT NOT NULL UNIQUE,"
	"  name TEXT NOT NULL);"
	"CREATE TABLE item(id INTEGER PRIMARY KEY,"
	"  kind TEXT NOT NULL CHECK (kind IN ('news', 'press-release',"
	"    'statement', 'event', 'page')),"
	"  slug TEXT NOT NULL, title TEXT NOT NULL,"
	"  summary TEXT NOT NULL DEFAULT '', body TEXT NOT NULL DEFAULT '',"
	"  lang TEXT NOT NULL DEFAULT 'en',"
	"  status TEXT NOT NULL DEFAULT 'published' CHECK (status IN"
	"    ('draft', 'review', 'scheduled', 'published', 'archived')),"
	"  published_at INTEGER NOT NULL, tz_offset INTEGER NOT NULL DEFAULT 0,"
	"  created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL,"
	"  UNIQUE (kind, slug));"
	"CREATE INDEX item_listing ON item(kind, status, published_at DESC);"
	"CREATE TABLE item_tag(item_id INTEGER NOT NULL REFERENCES item(id)"
	"  ON DELETE CASCADE, tag_id INTEGER NOT NULL REFERENCES tag(id)"
	"  ON DELETE CASCADE, PRIMARY KEY (item_id, tag_id)) WITHOUT ROWID;"
	"CREATE INDEX item_tag_tag ON item_tag(tag_id);"
	"CREATE TABLE item_region(item_id INTEGER NOT NULL REFERENCES item(id)"
	"  ON DELETE CASCADE, region_id INTEGER NOT NULL REFERENCES region(id)"
	"  ON DELETE CASCADE, PRIMARY KEY (item_id, region_id)) WITHOUT ROWID;"
	"CREATE INDEX item_region_region ON item_region(region_id);"
	"CREATE TABLE event(item_id INTEGER PRIMARY KEY REFERENCES item(id)"
	"  ON DELETE CASCADE, starts TEXT NOT NULL, ends TEXT NOT NULL,"
	"  all_day INTEGER NOT NULL, timezone TEXT NOT NULL DEFAULT 'UTC',"
	"  start_utc INTEGER NOT NULL, end_utc INTEGER NOT NULL,"
	"  venue TEXT NOT NULL DEFAULT '', city TEXT NOT NULL DEFAULT '',"
	"  country TEXT NOT NULL DEFAULT '');"
	"CREATE INDEX event_end ON event(end_utc);"
	"CREATE TABLE publication(id INTEGER PRIMARY KEY,"
	"  slug TEXT NOT NULL UNIQUE, title TEXT NOT NULL, year INTEGER,"
	"  lang TEXT NOT NULL DEFAULT 'en', summary TEXT NOT NULL DEFAULT '',"
	"  body TEXT NOT NULL DEFAULT '', file_name TEXT, file_type TEXT,"
	"  file_data BLOB, created_at INTEGER NOT NULL,"
	"  updated_at INTEGER NOT NULL);"
	"CREATE TABLE member(id INTEGER PRIMARY KEY, slug TEXT NOT NULL UNIQUE,"
	"  name TEXT NOT NULL, acronym TEXT NOT NULL DEFAULT '',"
	"  country TEXT NOT NULL, country_code TEXT NOT NULL DEFAULT '',"
	"  region_id INTEGER REFERENCES region(id),"
	"  website TEXT NOT NULL DEFAULT '', body TEXT NOT NULL DEFAULT '');"
	"CREATE TABLE contact(id INTEGER PRIMARY KEY, slug TEXT NOT NULL UNIQUE,"
	"  name TEXT NOT NULL, role TEXT NOT NULL DEFAULT '',"
	"  phone TEXT NOT NULL DEFAULT '', email TEXT NOT NULL DEFAULT '',"
	"  intro TEXT NOT NULL DEFAULT '');"
	"CREATE TABLE block(id INTEGER PRIMARY KEY, slug TEXT NOT NULL UNIQUE,"
	"  title TEXT NOT NULL, body TEXT NOT NULL DEFAULT '');"
	"CREATE TABLE email_token(token TEXT PRIMARY KEY,"
	"  address TEXT NOT NULL) WITHOUT ROWID;",

	/* 2: full-text search (issue 3); see "the search index" below */
	"CREATE VIRTUAL TABLE search USING fts5(title, summary, body, tags,"
	"  kind UNINDEXED, ref UNINDEXED, tokenize = 'herald');"
	"CREATE TABLE search_dirty(item_id INTEGER PRIMARY KEY);"
	"CREATE TRIGGER search_item_i AFTER INSERT ON item"
	"  WHEN NOT herald_deferred() BEGIN " DB_SEARCH_ITEM_ROW " END;"
	"CREATE TRIGGER search_item_u AFTER UPDATE OF kind, title, summary,"
	"  body, lang ON item WHEN NOT herald_deferred() BEGIN"
	"  DELETE FROM search WHERE rowid = OLD.id * 4; " DB_SEARCH_ITEM_ROW
	"  UPDATE search SET tags = " DB_SEARCH_TAGS " WHERE rowid = "
	"  NEW.id * 4; END;"
	"CREATE TRIGGER search_item_d AFTER DELETE ON item BEGIN"
	"  DELETE FROM search WHERE rowid = OLD.id * 4;"
	"  DELETE FROM search_dirty WHERE item_id = OLD.id; END;"
	"CREATE TRIGGER search_item_tag_i AFTER INSERT ON item_tag"
	"  WHEN NOT herald_deferred() BEGIN"
	"  UPDATE search SET tags = " DB_SEARCH_TAGS " WHERE rowid = "
	"  NEW.item_id * 4; END;"
	"CREATE TRIGGER search_item_tag_d AFTER DELETE ON item_tag"
	"  WHEN NOT herald_deferred() BEGIN"
	"  UPDATE search SET tags = " DB_SEARCH_TAGS " WHERE rowid = "
	"  OLD.item_id * 4; END;"
	"CREATE TRIGGER search_item_di AFTER INSERT ON item"
	"  WHEN herald_deferred() BEGIN"
	"  INSERT OR IGNORE INTO search_dirty(item_id) VALUES (NEW.id); END;"
	"CREATE TRIGGER search_item_du AFTER UPDATE OF kind, title, summary,"
	"  body, lang ON item WHEN herald_deferred() BEGIN"
	"  INSERT OR IGNORE INTO search_dirty(item_id) VALUES (NEW.id); END;"
	"CREATE TRIGGER search_item_tag_di AFTER INSERT ON item_tag"
	"  WHEN herald_deferred() BEGIN"
	"  INSERT OR IGNORE INTO search_dirty(item_id) VALUES (NEW.item_id);"
	"  END;"
	"CREATE TRIGGER search_item_tag_dd AFTER DELETE ON item_tag"
	"  WHEN herald_deferred() BEGIN"
	"  INSERT OR IGNORE INTO search_dirty(item_id) VALUES (OLD.item_id);"
	"  END;"
	"CREATE TRIGGER search_tag_u AFTER UPDATE OF name ON tag BEGIN"
	"  UPDATE search SET tags = " DB_SEARCH_TAGS " WHERE rowid IN"
	"  (SELECT item_id * 4 FROM item_tag WHERE tag_id = NEW.id); END;"
	"CREATE TRIGGER search_member_i AFTER INSERT ON member BEGIN "
	DB_SEARCH_MEMBER_ROW " END;"
	"CREATE TRIGGER search_member_u AFTER UPDATE OF name, acronym, country,"
	"  body ON member BEGIN"
	"  DELETE FROM search WHERE rowid = OLD.id * 4 + 1; "
	DB_SEARCH_MEMBER_ROW " END;"
	"CREATE TRIGGER search_member_d AFTER DELETE ON member BEGIN"
	"  DELETE FROM search WHERE rowid = OLD.id * 4 + 1; END;"
	"CREATE TRIGGER search_pub_i AFTER INSERT ON publication BEGIN "
	DB_SEARCH_PUB_ROW " END;"
	"CREATE TRIGGER search_pub_u AFTER UPDATE OF title, summary, body,"
	"  lang ON publication BEGIN"
	"  DELETE FROM search WHERE rowid = OLD.id * 4 + 2; "
	DB_SEARCH_PUB_ROW " END;"
	"CREATE TRIGGER search_pub_d AFTER DELETE ON publication BEGIN"
	"  DELETE FROM search WHERE rowid = OLD.id * 4 + 2; END;"
	/* what was there before */
	"INSERT INTO search(rowid, title, summary, body, tags, kind, ref)"
	"  SELECT id * 4, char(1) || lang || char(1) || title,"
	"  char(1) || lang || char(1) || herald_text(summary),"
	"  char(1) || lang || char(1) || herald_text(body),"
	"  char(1) || lang || char(1), kind, id FROM item;"
	"UPDATE search SET tags = " DB_SEARCH_TAGS " WHERE rowid % 4 = 0;"
	"INSERT INTO search(rowid, title, summary, body, tags, kind, ref)"
	"  SELECT id * 4 + 1, " DB_SEARCH_SITE_MARK " || name, "
	DB_SEARCH_SITE_MARK " || acronym, " DB_SEARCH_SITE_MARK
	"  || herald_text(body), " DB_SEARCH_SITE_MARK " || country, 'member',"
	"  id FROM member;"
	"INSERT INTO search(rowid, title, summary, body, tags, kind, ref)"
	"  SELECT id * 4 + 2, char(1) || lang || char(1) || title,"
	"  char(1) || lang || char(1) || herald_text(summary),"
	"  char(1) || lang || char(1) || herald_text(body),"
	"  char(1) || lang || char(1), 'publication', id FROM publication;",

	/* 3: editor accounts and the audit log (issue 4); not content
	 * tables, so their changes leave meta.rev alone */
	"CREATE TABLE user(id INTEGER PRIMARY KEY,"
	"  email TEXT NOT NULL UNIQUE COLLATE NOCASE, name TEXT NOT NULL,"
	"  role TEXT NOT NULL CHECK (role IN ('admin','editor','author')),"
	"  pw_hash TEXT NOT NULL, created_at INTEGER NOT NULL,"
	"  updated_at INTEGER NOT NULL, disabled INTEGER NOT NULL DEFAULT 0);"
	"CREATE TABLE audit(id INTEGER PRIMARY KEY, at INTEGER NOT NULL,"
	"  actor TEXT NOT NULL, action TEXT NOT NULL,"
	"  subject TEXT NOT NULL DEFAULT '', detail TEXT NOT NULL DEFAULT '',"
	"  client TEXT NOT NULL DEFAULT '');",

	/* 4: the web admin (issue 4): sessions hold only a hash of their
	 * token; the second factor; revisions of every save (the item as a
	 * content file, so a restore goes through the loader's checks); old
	 * paths of renamed items; uploaded images and their sizes */
	"CREATE TABLE session(id BLOB PRIMARY KEY,"
	"  user_id INTEGER NOT NULL REFERENCES user(id) ON DELETE CASCADE,"
	"  csrf TEXT NOT NULL, created_at INTEGER NOT NULL,"
	"  seen_at INTEGER NOT NULL, mfa_pending INTEGER NOT NULL DEFAULT 0,"
	"  client TEXT NOT NULL DEFAULT '', agent TEXT NOT NULL DEFAULT '')"
	"  WITHOUT ROWID;"
	"CREATE INDEX session_user ON session(user_id);"
	"ALTER TABLE user ADD COLUMN totp_secret TEXT;"
	"ALTER TABLE user ADD COLUMN totp_last INTEGER NOT NULL DEFAULT 0;"
	"CREATE TABLE recovery_code(user_id INTEGER NOT NULL REFERENCES"
	"  user(id) ON DELETE CASCADE, hash BLOB NOT NULL, used_at INTEGER,"
	"  PRIMARY KEY (user_id, hash)) WITHOUT ROWID;"
	"ALTER TABLE item ADD COLUMN author_id INTEGER REFERENCES user(id)"
	"  ON DELETE SET NULL;"
	"CREATE INDEX item_schedule ON item(status, published_at);"
	"CREATE TABLE revision(id INTEGER PRIMARY KEY,"
	"  entity TEXT NOT NULL, entity_id INTEGER NOT NULL,"
	"  user_id INTEGER REFERENCES user(id) ON DELETE SET NULL,"
	"  created_at INTEGER NOT NULL, action TEXT NOT NULL DEFAULT 'save',"
	"  text TEXT NOT NULL);"
	"CREATE INDEX revision_entity ON revision(entity, entity_id, id);"
	"CREATE TABLE redirect(path TEXT PRIMARY KEY,"
	"  item_id INTEGER NOT NULL REFERENCES item(id) ON DELETE CASCADE)"
	"  WITHOUT ROWID;"
	"CREATE TABLE media(id INTEGER PRIMARY KEY, alt TEXT NOT NULL,"
	"  name TEXT NOT NULL DEFAULT '', ctype TEXT NOT NULL,"
	"  width INTEGER NOT NULL, height INTEGER NOT NULL,"
	"  bytes INTEGER NOT NULL, user_id INTEGER REFERENCES user(id)"
	"  ON DELETE SET NULL, created_at INTEGER NOT NULL);"
	"CREATE TABLE media_variant(media_id INTEGER NOT NULL REFERENCES"
	"  media(id) ON DELETE CASCADE, width INTEGER NOT NULL,"
	"  height INTEGER NOT NULL, format TEXT NOT NULL,"
	"  ctype TEXT NOT NULL, data BLOB NOT NULL,"
	"  PRIMARY KEY (media_id, width, format)) WITHOUT ROWID;",

	/* 5: the newsletter (issue 5): subscribers with their consent, the
	 * newsletters, and the mail queue: one row per recipient, claimed by
	 * one sender at a time, so a crash repeats at most the one in flight */
	"CREATE TABLE subscriber(id INTEGER PRIMARY KEY,"
	"  email TEXT NOT NULL UNIQUE COLLATE NOCASE,"
	"  lang TEXT NOT NULL DEFAULT 'en',"
	"  status TEXT NOT NULL CHECK (status IN ('pending', 'confirmed',"
	"    'unsubscribed')),"
	"  consent TEXT NOT NULL DEFAULT '',"
	"  consent_version TEXT NOT NULL DEFAULT '', consent_at INTEGER,"
	"  source TEXT NOT NULL DEFAULT 'form', client TEXT NOT NULL DEFAULT '',"
	"  created_at INTEGER NOT NULL, confirmed_at INTEGER,"
	"  unsubscribed_at INTEGER, confirm_sent_at INTEGER);"
	"CREATE INDEX subscriber_status ON subscriber(status, lang);"
	"CREATE TABLE newsletter(id INTEGER PRIMARY KEY,"
	"  subject TEXT NOT NULL, intro TEXT NOT NULL DEFAULT '',"
	"  lang TEXT NOT NULL DEFAULT 'en',"
	"  status TEXT NOT NULL DEFAULT 'draft' CHECK (status IN ('draft',"
	"    'sending', 'sent')),"
	"  user_id INTEGER REFERENCES user(id) ON DELETE SET NULL,"
	"  created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL,"
	"  queued_at INTEGER, sent_at INTEGER);"
	"CREATE TABLE newsletter_item(newsletter_id INTEGER NOT NULL"
	"  REFERENCES newsletter(id) ON DELETE CASCADE,"
	"  item_id INTEGER NOT NULL REFERENCES item(id) ON DELETE CASCADE,"
	"  position INTEGER NOT NULL, PRIMARY KEY (newsletter_id, item_id))"
	"  WITHOUT ROWID;"
	"CREATE TABLE mail(id INTEGER PRIMARY KEY,"
	"  kind TEXT NOT NULL CHECK (kind IN ('confirm', 'newsletter')),"
	"  newsletter_id INTEGER REFERENCES newsletter(id) ON DELETE CASCADE,"
	"  subscriber_id INTEGER NOT NULL REFERENCES subscriber(id)"
	"    ON DELETE CASCADE,"
	"  rcpt TEXT NOT NULL,"
	"  status TEXT NOT NULL DEFAULT 'queued' CHECK (status IN ('queued',"
	"    'sending', 'sent', 'failed', 'cancelled')),"
	"  attempts INTEGER NOT NULL DEFAULT 0, next_at INTEGER NOT NULL,"
	"  claimed_by INTEGER, last_error TEXT NOT NULL DEFAULT '',"
	"  message_id TEXT NOT NULL, created_at INTEGER NOT NULL,"
	"  sent_at INTEGER, UNIQUE (newsletter_id, subscriber_id));"
	"CREATE INDEX mail_due ON mail(status, next_at);",

	/* 6: the languages readers may choose come from this index alone,
	 * not from a scan of every item's row (bodies included) */
	"CREATE INDEX item_status_lang ON item(status, lang);",

	/* 7: listings page through this index, not through the rows (which
	 * hold whole texts); see page_list.c */
	"CREATE INDEX item_live ON item(id, kind, status, published_at);",

	/* 8: what changed, so the page cache and an incremental export
	 * redo only what a change touches: one row per changed row of a
	 * content table, with the item it belongs to (0: no item's, only
	 * the pages that show any item; NULL: not an item's, which redoes
	 * everything). The rows are written by the triggers of
	 * db_triggers; the last DB_CHANGELOG_KEEP are kept. */
	"CREATE TABLE changelog ("
	"  seq INTEGER PRIMARY KEY,"
	"  rev INTEGER NOT NULL,"	/* meta.rev as the change left it */
	"  tbl TEXT NOT NULL,"
	"  item_id INTEGER"
	");"
	"CREATE INDEX changelog_rev ON changelog(rev);",

	/* 9: the sitemap's every item from an index alone, in its order:
	 * reading the rows read every text (160 MB at 10,000 items) */
	("CREATE INDEX item_sitemap ON item(status, kind, published_at DESC, "
	 "id DESC, slug, updated_at, tz_offset);"),

	/* 10: a listing's rows from an index alone: its columns after the
	 * body (status, published_at, tz_offset) made SQLite read a row's
	 * every overflow page, a tenth of an export's time */
	("CREATE INDEX item_card ON item(id, kind, slug, title, summary, "
	 "status, published_at, tz_offset);"),
};

#define DB_CHANGELOG_KEEP 100000

/* Tables whose every change must drop the rendered pages. */
static const char *const db_content_tables[] = {
	"setting", "social", "region", "tag", "item", "item_tag",
	"item_region", "event", "publication", "member", "contact", "block",
	"redirect", "media", "media_variant",
};

static void
db_warn(struct db *db, const char *what)
{
	fprintf(stderr, "herald: %s: %s: %s\n", db->path, what,
	    sqlite3_errmsg(db->h));
}

static int
db_exec_script(struct db *db, const char *sql)
{
	char *msg = NULL;

	if (sqlite3_exec(db->h, sql, NULL, NULL, &msg) != SQLITE_OK) {
		fprintf(stderr, "herald: %s: %s\n", db->path,
		    msg ? msg : "SQL error");
		sqlite3_free(msg);
		return -1;
	}
	return 0;
}

/* The triggers that bump meta.rev; created with migration 1 and again by
 * any migration that adds a content table (CREATE ... IF NOT EXISTS). */
static int
db_triggers(struct db *db)
{
	static const char *const ops[] = {"INSERT", "UPDATE", "DELETE"};
	struct buf b;
	size_t i, j;
	int rc, log = db_version(db) >= 8;

	buf_init(&b, 0);
	for (i = 0; i < sizeof(db_content_tables) / sizeof(*db_content_tables);
	    i++) {
		const char *t = db_content_tables[i], *id;
		int terms = strcmp(t, "tag") == 0 || strcmp(t, "region") == 0;

		for (j = 0; j < 3; j++) {
			/* the item a row belongs to, for the change log
			 * (migration 8); 0 for a new or deleted tag or region
			 * (the pages of its items are logged through
			 * item_tag, item_region); NULL for the rest */
			if (strcmp(t, "item") == 0)
				id = j == 2 ? "OLD.id" : "NEW.id";
			else if (strcmp(t, "item_tag") == 0 ||
			    strcmp(t, "item_region") == 0 ||
			    strcmp(t, "event") == 0)
				id = j == 2 ? "OLD.item_id" : "NEW.item_id";
			else if (terms && j != 1)
				id = "0";
			else
				id = "NULL";
			/* one trigger does all three: every connection parses
			 * every trigger when it opens, and two per table and
			 * operation made that a good part of a start */
			buf_printf(&b,
			    "DROP TRIGGER IF EXISTS rev_%s_%c;"
			    "DROP TRIGGER IF EXISTS log_%s_%c;"
			    "CREATE TRIGGER IF NOT EXISTS %s_%s_%c AFTER %s ON "
			    "%s BEGIN UPDATE meta SET value = CAST(value AS "
			    "INTEGER) + 1 WHERE key = 'rev'; UPDATE meta SET "
			    "value = CAST(strftime('%%s','now') AS TEXT) WHERE "
			    "key = 'changed_at';",
			    t, ops[j][0], t, ops[j][0], log ? "chg" : "rev", t,
			    ops[j][0], ops[j], t);
			if (log)
				buf_printf(&b,
				    " INSERT INTO changelog(rev, tbl, item_id) "
				    "VALUES ((SELECT CAST(value AS INTEGER) FROM "
				    "meta WHERE key = 'rev'), '%s', %s);",
				    t, id);
			buf_puts(&b, " END;");
		}
	}
	if (log)
		buf_printf(&b,
		    "CREATE TRIGGER IF NOT EXISTS changelog_trim AFTER INSERT "
		    "ON changelog BEGIN DELETE FROM changelog WHERE seq <= "
		    "NEW.seq - %d; END;",
		    DB_CHANGELOG_KEEP);
	rc = b.err ? -1 : db_exec_script(db, buf_cstr(&b));
	buf_free(&b);
	return rc;
}

int
db_version(struct db *db)
{
	sqlite3_stmt *st = NULL;
	int v = -1;

	if (sqlite3_prepare_v2(db->h, "PRAGMA user_version", -1, &st, NULL) ==
	        SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int(st, 0);
	else
		db_warn(db, "reading the schema version");
	sqlite3_finalize(st);
	return v;
}

int
db_migrate(struct db *db)
{
	int version, target, rc = -1;
	sqlite3_stmt *st = NULL;

	target = (int)(sizeof(db_migrations) / sizeof(*db_migrations));
	if (db_exec_script(db, "BEGIN IMMEDIATE") == -1)
		return -1;
	if (sqlite3_prepare_v2(db->h, "PRAGMA user_version", -1, &st, NULL) !=
	        SQLITE_OK ||
	    sqlite3_step(st) != SQLITE_ROW) {
		db_warn(db, "reading the schema version");
		goto done;
	}
	version = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	st = NULL;
	if (version > target) {
		fprintf(stderr,
		    "herald: %s: schema version %d is newer than this "
		    "herald (%d)\n",
		    db->path, version, target);
		goto done;
	}
	for (; version < target; version++) {
		char pragma[64];

		if (db_exec_script(db, db_migrations[version]) == -1)
			goto done;
		snprintf(pragma, sizeof(pragma), "PRAGMA user_version = %d",
		    version + 1);
		if (db_exec_script(db, pragma) == -1)
			goto done;
	}
	if (db_triggers(db) == -1)
		goto done;
	rc = 0;
done:
	sqlite3_finalize(st);
	if (db_exec_script(db, rc == 0 ? "COMMIT" : "ROLLBACK") == -1)
		rc = -1;
	return rc;
}

/* ---- the FTS5 tokenizer "herald" and herald_text() ------------------- */

#define DB_TOK_LANGS 8 /* stemmers a tokenizer keeps */
#define DB_TOK_LANG_MAX 16

/* One per FTS5 table per connection, so used by one thread at a time. */
struct db_tok {
	struct stem *stem[DB_TOK_LANGS];
	size_t nstem;
};

static int
db_tok_create(void *ctx, const char **argv, int argc, Fts5Tokenizer **out)
{
	struct db_tok *t;

	(void)ctx;
	(void)argv;
	(void)argc;
	if ((t = calloc(1, sizeof(*t))) == NULL)
		return SQLITE_NOMEM;
	*out = (Fts5Tokenizer *)t;
	return SQLITE_OK;
}

static void
db_tok_delete(Fts5Tokenizer *p)
{
	struct db_tok *t = (struct db_tok *)p;
	size_t i;

	if (t == NULL)
		return;
	for (i = 0; i < t->nstem; i++)
		stem_free(t->stem[i]);
	free(t);
}

/* The tokenizer's stemmer for lang, made on first use (the least recent
 * one goes when all slots are taken); NULL when out of memory. */
static struct stem *
db_tok_stem(struct db_tok *t, const char *lang)
{
	struct stem *s;
	size_t i;

	for (i = 0; i < t->nstem; i++)
		if (strcmp(stem_lang(t->stem[i]), lang) == 0) {
			s = t->stem[i];
			memmove(t->stem + 1, t->stem, i * sizeof(*t->stem));
			t->stem[0] = s;
			return s;
		}
	if ((s = stem_new(lang)) == NULL)
		return NULL;
	if (t->nstem == DB_TOK_LANGS)
		stem_free(t->stem[--t->nstem]);
	memmove(t->stem + 1, t->stem, t->nstem * sizeof(*t->stem));
	t->stem[0] = s;
	t->nstem++;
	return s;
}

/* Words of text, after its language marker, as stems in that language; a
 * prefix query term ("migra*") is folded but not stemmed. */
static int
db_tok_tokenize(Fts5Tokenizer *p, void *ctx, int flags, const char *text,
    int ntext, int (*token)(void *, int, const char *, int, int, int))
{
	struct db_tok *t = (struct db_tok *)p;
	char lang[DB_TOK_LANG_MAX] = "en", word[STEM_WORD_MAX];
	size_t n = ntext > 0 ? (size_t)ntext : 0, pos = 0, i, start, end;
	size_t wlen, slen;
	struct stem *s;
	const char *w;
	int rc;

	if (n > 0 && text[0] == STEM_MARK) {
		for (i = 1; i < n && i < DB_TOK_LANG_MAX && text[i] != STEM_MARK;
		    i++)
			;
		if (i < n && text[i] == STEM_MARK) {
			memcpy(lang, text + 1, i - 1);
			lang[i - 1] = '\0';
			pos = i + 1;
		}
	}
	if ((s = db_tok_stem(t, lang)) == NULL)
		return SQLITE_NOMEM;
	while ((wlen = stem_next(text, n, &pos, &start, &end, word,
	            sizeof(word))) > 0) {
		w = word;
		slen = wlen;
		if (!(flags & FTS5_TOKENIZE_PREFIX))
			w = stem_word(s, word, wlen, &slen);
		if (slen == 0)
			continue;
		if ((rc = token(ctx, 0, w, (int)slen, (int)start, (int)end)) !=
		    SQLITE_OK)
			return rc;
	}
	return SQLITE_OK;
}

/* herald_text(md): the plain text of Markdown md, for the search index. */
static void
db_fn_text(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	const char *md;
	struct buf b;

	(void)argc;
	if ((md = (const char *)sqlite3_value_text(argv[0])) == NULL) {
		sqlite3_result_text(ctx, "", 0, SQLITE_STATIC);
		return;
	}
	buf_init(&b, (size_t)16 << 20);
	if (md_to_text(md, (size_t)sqlite3_value_bytes(argv[0]), &b) == -1)
		sqlite3_result_text(ctx, md, sqlite3_value_bytes(argv[0]),
		    SQLITE_TRANSIENT);
	else
		sqlite3_result_text(ctx, b.len ? b.data : "", (int)b.len,
		    SQLITE_TRANSIENT);
	buf_free(&b);
}

/* herald_deferred(): 1 inside db_begin(), when the search index waits for
 * db_commit(). */
static void
db_fn_deferred(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	struct db *db = sqlite3_user_data(ctx);

	(void)argc;
	(void)argv;
	sqlite3_result_int(ctx, db->deferred);
}

/* Registers the tokenizer "herald", herald_text() and herald_deferred()
 * on the connection. */
static int
db_search_setup(struct db *db)
{
	static fts5_tokenizer tok = {db_tok_create, db_tok_delete,
	    db_tok_tokenize};
	fts5_api *api = NULL;
	sqlite3_stmt *st = NULL;

	if (sqlite3_prepare_v2(db->h, "SELECT fts5(?1)", -1, &st, NULL) !=
	        SQLITE_OK ||
	    sqlite3_bind_pointer(st, 1, (void *)&api, "fts5_api_ptr", NULL) !=
	        SQLITE_OK ||
	    sqlite3_step(st) != SQLITE_ROW || api == NULL) {
		db_warn(db, "finding FTS5");
		sqlite3_finalize(st);
		return -1;
	}
	sqlite3_finalize(st);
	if (api->xCreateTokenizer(api, "herald", NULL, &tok, NULL) !=
	        SQLITE_OK ||
	    sqlite3_create_function(db->h, "herald_text", 1,
	        SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_INNOCUOUS, NULL,
	        db_fn_text, NULL, NULL) != SQLITE_OK ||
	    sqlite3_create_function(db->h, "herald_deferred", 0,
	        SQLITE_UTF8 | SQLITE_INNOCUOUS, db, db_fn_deferred, NULL,
	        NULL) != SQLITE_OK) {
		db_warn(db, "registering the search tokenizer");
		return -1;
	}
	return 0;
}

static pthread_once_t db_once = PTHREAD_ONCE_INIT;

/* Before SQLite's first use: no memory statistics, whose one global mutex
 * every allocation of every thread's connection would take. */
static void
db_setup(void)
{
	(void)sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
}

struct db *
db_open(const char *path, int flags)
{
	struct db *db;
	int oflags;

	(void)pthread_once(&db_once, db_setup);
	if ((db = calloc(1, sizeof(*db))) == NULL)
		return NULL;
	snprintf(db->path, sizeof(db->path), "%s", path);
	oflags = SQLITE_OPEN_NOMUTEX;
	if (flags & DB_READONLY)
		oflags |= SQLITE_OPEN_READONLY;
	else
		oflags |= SQLITE_OPEN_READWRITE;
	if (flags & DB_CREATE)
		oflags |= SQLITE_OPEN_CREATE;
	if (sqlite3_open_v2(path, &db->h, oflags, NULL) != SQLITE_OK) {
		fprintf(stderr, "herald: %s: %s\n", path,
		    db->h ? sqlite3_errmsg(db->h) : "cannot open");
		goto fail;
	}
	sqlite3_busy_timeout(db->h, 5000);
	sqlite3_extended_result_codes(db->h, 1);
	if (!(flags & DB_READONLY) &&
	    db_exec_script(db, "PRAGMA journal_mode = WAL") == -1)
		goto fail;
	/* mmap (up to SQLite's default ceiling, 2 GB) and a larger page
	 * cache: search reads long position lists, and reading them page by
	 * page with pread() took most of a search's time */
	if (db_exec_script(db, "PRAGMA foreign_keys = ON;"
	                       "PRAGMA synchronous = NORMAL;"
	                       "PRAGMA mmap_size = 2147418112;"
	                       "PRAGMA cache_size = -8192") == -1 ||
	    db_search_setup(db) == -1)
		goto fail;
	return db;
fail:
	sqlite3_close(db->h);
	free(db);
	return NULL;
}

void
db_close(struct db *db)
{
	size_t i;

	if (db == NULL)
		return;
	for (i = 0; i < db->ncache; i++)
		sqlite3_finalize(db->cache[i].stmt);
	sqlite3_close(db->h);
	free(db);
}

/* A ready statement for sql: from the cache when sql (a static string) was
 * seen before, else prepared and cached. NULL on error (message printed). */
static sqlite3_stmt *
db_prepare(struct db *db, const char *sql)
{
	sqlite3_stmt *st;
	size_t i;

	for (i = 0; i < db->ncache; i++)
		if (db->cache[i].sql == sql) {
			sqlite3_reset(db->cache[i].stmt);
			sqlite3_clear_bindings(db->cache[i].stmt);
			return db->cache[i].stmt;
		}
	if (sqlite3_prepare_v3(db->h, sql, -1, SQLITE_PREPARE_PERSISTENT, &st,
	        NULL) != SQLITE_OK) {
		db_warn(db, "preparing a statement");
		fprintf(stderr, "herald: the statement: %s\n", sql);
		return NULL;
	}
	if (db->ncache == DB_STMT_CACHE) {
		/* Full: drop the oldest; the caller's statement stays valid
		 * until its next db_* call, as for a cached one. */
		sqlite3_finalize(db->cache[0].stmt);
		memmove(db->cache, db->cache + 1,
		    (DB_STMT_CACHE - 1) * sizeof(*db->cache));
		db->ncache--;
	}
	db->cache[db->ncache].sql = sql;
	db->cache[db->ncache].stmt = st;
	db->ncache++;
	return st;
}

/* Binds the arguments described by fmt: i = long long, t = const char *
 * (NULL binds NULL), d = double, b = (const void *, size_t) blob. */
static int
db_bind(struct db *db, sqlite3_stmt *st, const char *fmt, va_list ap)
{
	int i, rc = SQLITE_OK;
	const char *s;
	const void *p;
	size_t n;

	for (i = 1; fmt && *fmt && rc == SQLITE_OK; fmt++, i++) {
		switch (*fmt) {
		case 'i':
			rc = sqlite3_bind_int64(st, i, va_arg(ap, long long));
			break;
		case 'd':
			rc = sqlite3_bind_double(st, i, va_arg(ap, double));
			break;
		case 't':
			s = va_arg(ap, const char *);
			rc = s ? sqlite3_bind_text(st, i, s, -1,
			             SQLITE_TRANSIENT)
			       : sqlite3_bind_null(st, i);
			break;
		case 'b':
			p = va_arg(ap, const void *);
			n = va_arg(ap, size_t);
			rc = sqlite3_bind_blob64(st, i, p, n, SQLITE_TRANSIENT);
			break;
		default:
			fprintf(stderr, "herald: db_bind: bad format %c\n",
			    *fmt);
			return -1;
		}
	}
	if (rc != SQLITE_OK) {
		db_warn(db, "binding a parameter");
		return -1;
	}
	return 0;
}

/* A prepared statement with the arguments bound, or NULL (message
 * printed). It stays valid until the next db_* call on this connection. */
static sqlite3_stmt *
db_stmt(struct db *db, const char *sql, const char *fmt, va_list ap)
{
	sqlite3_stmt *st;

	if ((st = db_prepare(db, sql)) == NULL || db_bind(db, st, fmt, ap) == -1)
		return NULL;
	return st;
}

/* Turns the current row into an object: integers and reals as numbers,
 * text as strings, blobs as strings of their bytes, NULL as null. */
static struct val *
db_row(struct arena *a, sqlite3_stmt *st)
{
	struct val *o = val_obj(a), *v;
	int i, n = sqlite3_column_count(st);

	for (i = 0; i < n; i++) {
		switch (sqlite3_column_type(st, i)) {
		case SQLITE_INTEGER:
			v = val_num(a, (double)sqlite3_column_int64(st, i));
			break;
		case SQLITE_FLOAT:
			v = val_num(a, sqlite3_column_double(st, i));
			break;
		case SQLITE_NULL:
			v = val_null(a);
			break;
		default:
			v = val_strn(a,
			    (const char *)sqlite3_column_blob(st, i),
			    (size_t)sqlite3_column_bytes(st, i));
			break;
		}
		val_set(a, o, sqlite3_column_name(st, i), v);
	}
	return o;
}

int
db_query(struct db *db, struct arena *a, struct val **out, const char *sql,
    const char *fmt, ...)
{
	sqlite3_stmt *st;
	struct val *list;
	va_list ap;
	int rc;

	va_start(ap, fmt);
	st = db_stmt(db, sql, fmt, ap);
	va_end(ap);
	if (st == NULL)
		return -1;
	list = val_list(a);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		val_push(a, list, db_row(a, st));
	sqlite3_reset(st);
	if (rc != SQLITE_DONE) {
		db_warn(db, "reading");
		return -1;
	}
	*out = list;
	return 0;
}

struct val *
db_query_one(struct db *db, struct arena *a, const char *sql,
    const char *fmt, ...)
{
	sqlite3_stmt *st;
	struct val *row = NULL;
	va_list ap;
	int rc;

	va_start(ap, fmt);
	st = db_stmt(db, sql, fmt, ap);
	va_end(ap);
	if (st == NULL)
		return NULL;
	if ((rc = sqlite3_step(st)) == SQLITE_ROW)
		row = db_row(a, st);
	else if (rc != SQLITE_DONE)
		db_warn(db, "reading");
	sqlite3_reset(st);
	return row;
}

long long
db_exec(struct db *db, const char *sql, const char *fmt, ...)
{
	sqlite3_stmt *st;
	va_list ap;
	int rc;

	va_start(ap, fmt);
	st = db_stmt(db, sql, fmt, ap);
	va_end(ap);
	if (st == NULL)
		return -1;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		;
	sqlite3_reset(st);
	if (rc != SQLITE_DONE) {
		db_warn(db, "writing");
		return -1;
	}
	return sqlite3_last_insert_rowid(db->h);
}

long long
db_int(struct db *db, const char *sql, const char *fmt, ...)
{
	sqlite3_stmt *st;
	va_list ap;
	long long n = -1;

	va_start(ap, fmt);
	st = db_stmt(db, sql, fmt, ap);
	va_end(ap);
	if (st == NULL)
		return -1;
	if (sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	return n;
}

int
db_pairs(struct db *db, long long **out, size_t *n, const char *sql,
    const char *fmt, ...)
{
	sqlite3_stmt *st;
	va_list ap;
	long long *v = NULL, *nv;
	size_t len = 0, cap = 0;
	int rc;

	*out = NULL;
	*n = 0;
	va_start(ap, fmt);
	st = db_stmt(db, sql, fmt, ap);
	va_end(ap);
	if (st == NULL)
		return -1;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (len + 2 > cap) {
			cap = cap ? cap * 2 : 256;
			if ((nv = realloc(v, cap * sizeof(*v))) == NULL) {
				rc = SQLITE_NOMEM;
				break;
			}
			v = nv;
		}
		v[len++] = sqlite3_column_int64(st, 0);
		v[len++] = sqlite3_column_int64(st, 1);
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE) {
		db_warn(db, "reading");
		free(v);
		return -1;
	}
	*out = v;
	*n = len / 2;
	return 0;
}

int
db_read_begin(struct db *db)
{
	return db_exec_script(db, "BEGIN DEFERRED");
}

void
db_read_end(struct db *db)
{
	if (!sqlite3_get_autocommit(db->h))
		(void)db_exec_script(db, "COMMIT");
}

int
db_begin(struct db *db)
{
	if (db_exec_script(db, "BEGIN IMMEDIATE") == -1)
		return -1;
	db->deferred = 1;
	return 0;
}

/* Indexes the items noted in search_dirty, each once with all its tags
 * (see "the search index"). */
static int
db_search_flush(struct db *db)
{
	if (db_version(db) < 2)
		return 0;
	return db_exec_script(db,
	    "DELETE FROM search WHERE rowid IN (SELECT item_id * 4 FROM "
	    "search_dirty);"
	    "INSERT INTO search(rowid, title, summary, body, tags, kind, ref)"
	    "  SELECT id * 4, char(1) || lang || char(1) || title,"
	    "  char(1) || lang || char(1) || herald_text(summary),"
	    "  char(1) || lang || char(1) || herald_text(body),"
	    "  char(1) || lang || char(1) || coalesce((SELECT"
	    "  group_concat(t.name, ' ') FROM item_tag it JOIN tag t ON"
	    "  t.id = it.tag_id WHERE it.item_id = item.id), ''), kind, id"
	    "  FROM item WHERE id IN (SELECT item_id FROM search_dirty);"
	    "DELETE FROM search_dirty;");
}

int
db_commit(struct db *db)
{
	int rc;

	rc = db_search_flush(db);
	db->deferred = 0;
	if (rc == -1) {
		db_rollback(db);
		return -1;
	}
	return db_exec_script(db, "COMMIT");
}

void
db_rollback(struct db *db)
{
	db->deferred = 0;
	if (!sqlite3_get_autocommit(db->h))
		sqlite3_exec(db->h, "ROLLBACK", NULL, NULL, NULL);
}

const char *
db_path(const struct db *db)
{
	return db->path;
}
