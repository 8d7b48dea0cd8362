/* test_search.c: table tests of stem.c (words, folding, stems in two
 * languages) and of search_query() (user text into a safe FTS5 query). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "extern.h"
#include "unit.h"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

/* The words of text, folded and (with a stemmer) stemmed, joined by '|'. */
static void
tsearch_words(struct stem *s, const char *text, struct buf *out)
{
	char word[STEM_WORD_MAX];
	size_t pos = 0, start, end, n, sl;
	const char *w;

	buf_reset(out);
	while ((n = stem_next(text, strlen(text), &pos, &start, &end, word,
		    sizeof(word))) > 0) {
		w = word;
		sl = n;
		if (s != NULL)
			w = stem_word(s, word, n, &sl);
		if (out->len)
			buf_putc(out, '|');
		buf_append(out, w, sl);
	}
	buf_cstr(out);
}

static void
tsearch_tokens(void)
{
	static const struct {
		const char *lang; /* NULL: words only, no stems */
		const char *in, *want;
	} t[] = {
	    {NULL, "", ""},
	    {NULL, "  ,.;!? ", ""},
	    {NULL, "Hello, World", "hello|world"},
	    {NULL, "women's rights", "womens|rights"},
	    {NULL, "women\xe2\x80\x99s rights", "womens|rights"},
	    {NULL, "'quoted' rock'n'roll", "quoted|rocknroll"},
	    {NULL, "Beijing+20 UN-ESCAP 2014", "beijing|20|un|escap|2014"},
	    {NULL, "LEF\xc3\x96-IBF caf\xc3\xa9",
		"lef\xc3\xb6|ibf|caf\xc3\xa9"},
	    {NULL, "\xc3\x89TAT \xc3\x80 Z\xc3\x9c",
		"\xc3\xa9tat|\xc3\xa0|z\xc3\xbc"},
	    {NULL, "\xd0\x9c\xd0\x98\xd0\xa0", "\xd0\xbc\xd0\xb8\xd1\x80"},
	    {NULL,
		"a\xe2\x80\x94"
		"b \xc2\xab"
		"c\xc2\xbb",
		"a|b|c"},
	    {NULL, "x\xff\xfey", "x|y"},
	    {NULL, "jasmin.qureshi@example.org", "jasmin|qureshi|example|org"},
	    {"en", "criminalising criminalisation", "criminalis|criminalis"},
	    {"en", "Migrants migrant MIGRANTS", "migrant|migrant|migrant"},
	    {"en", "women's trafficking", "women|traffick"},
	    {"en-GB", "workers", "worker"},
	    {"xx", "workers", "worker"}, /* unknown: English */
	    {"fr", "travailleuses migrantes", "travaill|migr"},
	    {"fr", "les Droits des Femmes", "le|droit|de|femm"},
	    {"es", "trabajadoras migrantes", "trabaj|migrant"},
	    {"de", "Menschenrechte Frauen", "menschenrecht|frau"},
	};
	struct stem *s;
	struct buf b;
	size_t i;

	buf_init(&b, 0);
	for (i = 0; i < NELEM(t); i++) {
		s = t[i].lang ? stem_new(t[i].lang) : NULL;
		CHECK(
		    t[i].lang == NULL || s != NULL, "stem_new(%s)", t[i].lang);
		tsearch_words(s, t[i].in, &b);
		CHECK(strcmp(b.len ? b.data : "", t[i].want) == 0,
		    "words %zu (%s) %s: got \"%s\", want \"%s\"", i,
		    t[i].lang ? t[i].lang : "-", t[i].in, b.len ? b.data : "",
		    t[i].want);
		stem_free(s);
	}
	stem_free(NULL);
	CHECK(strcmp(stem_algorithm("pt-BR"), "portuguese") == 0, "pt-BR");
	CHECK(strcmp(stem_algorithm("ru"), "russian") == 0, "ru");
	CHECK(strcmp(stem_algorithm("NL"), "dutch") == 0, "NL");
	CHECK(strcmp(stem_algorithm(""), "english") == 0, "empty");
	CHECK(strcmp(stem_algorithm(NULL), "english") == 0, "NULL");

	/* a word past STEM_WORD_MAX is cut at a whole character */
	{
		char in[400], word[STEM_WORD_MAX];
		size_t pos = 0, start, end, n, k;

		for (k = 0; k + 2 < sizeof(in); k += 2)
			memcpy(in + k, "\xc3\xa9", 2);
		in[k] = '\0';
		n = stem_next(
		    in, strlen(in), &pos, &start, &end, word, sizeof(word));
		CHECK(n == STEM_WORD_MAX, "long word cut at %zu", n);
		CHECK(start == 0 && end == k && pos == k,
		    "long word spans %zu..%zu", start, end);
	}
	buf_free(&b);
}

static void
tsearch_queries(void)
{
#define M                                                                      \
	"\x01"                                                                 \
	"en"                                                                   \
	"\x01"
	static const struct {
		const char *in;
		int terms;
		const char *want;
	} t[] = {
	    {"", 0, ""},
	    {"   ", 0, ""},
	    {"*", 0, ""},
	    {"\"\"\"", 0, ""},
	    {"migrants", 1, "\"" M "migrants\""},
	    {"Migrant Workers", 2, "\"" M "migrant\" AND \"" M "workers\""},
	    {"migra*", 1, "\"" M "migra\"*"},
	    {"migra *", 1, "\"" M "migra\""},
	    {"\"sex work\"", 2, "\"" M "sex\" AND \"" M "work\""},
	    {"\"unbalanced", 1, "\"" M "unbalanced\""},
	    {"NEAR(a b)", 3, "\"" M "near\" AND \"" M "a\" AND \"" M "b\""},
	    {"a OR", 2, "\"" M "a\" AND \"" M "or\""},
	    {"a AND NOT b", 4,
		"\"" M "a\" AND \"" M "and\" AND \"" M "not\" AND \"" M "b\""},
	    {"((x", 1, "\"" M "x\""},
	    {"title:x", 2, "\"" M "title\" AND \"" M "x\""},
	    {"^x", 1, "\"" M "x\""},
	    {"{title body}: x", 3,
		"\"" M "title\" AND \"" M "body\" AND \"" M "x\""},
	    {"x + y - z", 3, "\"" M "x\" AND \"" M "y\" AND \"" M "z\""},
	    {"women's", 1, "\"" M "womens\""},
	    {"caf\xc3\x89", 1, "\"" M "caf\xc3\xa9\""},
	    {"a b c d e f g h i j k l m n o p q r s t u v w x y z 1 2 3 4 5 6",
		32, NULL},
	    {"a b c d e f g h i j k l m n o p q r s t u v w x y z 1 2 3 4 5 6 "
	     "7",
		-1, NULL},
	};
	struct buf b;
	size_t i;
	int n;

	buf_init(&b, 0);
	for (i = 0; i < NELEM(t); i++) {
		buf_reset(&b);
		n = search_query(t[i].in, strlen(t[i].in), "en", &b);
		CHECK(n == t[i].terms, "query %zu %s: %d terms, want %d", i,
		    t[i].in, n, t[i].terms);
		if (t[i].want != NULL)
			CHECK(strcmp(b.len ? buf_cstr(&b) : "", t[i].want) == 0,
			    "query %zu %s: got %s", i, t[i].in,
			    b.len ? buf_cstr(&b) : "");
	}
	buf_reset(&b);
	n = search_query("droits", 6, "fr", &b);
	CHECK(n == 1 &&
		strcmp(buf_cstr(&b),
		    "\"\x01"
		    "fr\x01"
		    "droits\"") == 0,
	    "query in French: %s", buf_cstr(&b));
	buf_reset(&b);
	n = search_query("x", 1, "e\"n", &b);
	CHECK(n == 1 && strcmp(buf_cstr(&b), "\"" M "x\"") == 0,
	    "a language code with a quote: %s", buf_cstr(&b));
	buf_free(&b);
#undef M
}

/* The index through the tokenizer: a database made from the demo content,
 * searched with its own MATCH so that stems meet. */
static void
tsearch_index(void)
{
	struct arena *a = arena_new();
	struct val *rows = NULL;
	struct buf q;
	struct db *db;
	char err[512], dbpath[UNIT_DB_PATH];

	db = unit_db_new(dbpath);
	CHECK(db != NULL, "a fresh migrated database");
	if (db == NULL)
		goto done;
	CHECK(load_embedded(db, err, sizeof(err)) == 0, "load: %s", err);
	buf_init(&q, 0);
	search_query("criminalisation", 15, "en", &q);
	CHECK(db_query(db, a, &rows,
		  "SELECT kind, ref FROM search WHERE search MATCH ?", "t",
		  buf_cstr(&q)) == 0 &&
		rows->u.list.n == 1 &&
		strcmp(page_str(rows->u.list.items[0], "kind"),
		    "press-release") == 0,
	    "criminalisation: %zu rows", rows ? rows->u.list.n : 0);
	/* an update through the triggers: the new title is found, the old
	 * one no more */
	CHECK(db_exec(db,
		  "UPDATE item SET title = 'Zanzibarian plenipotentiaries' "
		  "WHERE slug = 'about'",
		  "") >= 0,
	    "update");
	buf_reset(&q);
	search_query("plenipotentiary zanzibarian", 27, "en", &q);
	CHECK(db_int(db, "SELECT count(*) FROM search WHERE search MATCH ?",
		  "t", buf_cstr(&q)) == 1,
	    "the updated title is found");
	CHECK(db_exec(db, "DELETE FROM item WHERE slug = 'about'", "") >= 0,
	    "delete");
	CHECK(db_int(db, "SELECT count(*) FROM search WHERE search MATCH ?",
		  "t", buf_cstr(&q)) == 0,
	    "the deleted item is gone");
	/* a tag added outside a transaction reaches the index at once */
	CHECK(db_exec(db,
		  "INSERT INTO tag(slug, name) VALUES ('ornithopter', "
		  "'Ornithopters')",
		  "") > 0,
	    "tag");
	CHECK(db_exec(db,
		  "INSERT INTO item_tag(item_id, tag_id) SELECT i.id, t.id "
		  "FROM item i, tag t WHERE i.slug = 'contact' AND t.slug = "
		  "'ornithopter'",
		  "") >= 0,
	    "item_tag");
	buf_reset(&q);
	search_query("ornithopter", 11, "en", &q);
	CHECK(db_int(db, "SELECT count(*) FROM search WHERE search MATCH ?",
		  "t", buf_cstr(&q)) == 1,
	    "a new tag is found");
	/* inside db_begin() the index waits for db_commit() */
	CHECK(db_begin(db) == 0, "begin");
	CHECK(db_exec(db,
		  "INSERT INTO item(kind, slug, title, published_at, "
		  "created_at, updated_at) VALUES ('news', 'zeppelin', "
		  "'Zeppelins', 0, 0, 0)",
		  "") > 0,
	    "insert in a transaction");
	CHECK(db_exec(db,
		  "INSERT INTO item_tag(item_id, tag_id) SELECT i.id, t.id "
		  "FROM item i, tag t WHERE i.slug = 'zeppelin' AND t.slug = "
		  "'ornithopter'",
		  "") >= 0,
	    "item_tag in a transaction");
	buf_reset(&q);
	search_query("zeppelin ornithopters", 21, "en", &q);
	CHECK(db_int(db, "SELECT count(*) FROM search WHERE search MATCH ?",
		  "t", buf_cstr(&q)) == 0,
	    "not yet indexed before the commit");
	CHECK(db_commit(db) == 0, "commit");
	CHECK(db_int(db, "SELECT count(*) FROM search WHERE search MATCH ?",
		  "t", buf_cstr(&q)) == 1,
	    "indexed with its tag after the commit");
	CHECK(db_int(db, "SELECT count(*) FROM search_dirty", "") == 0,
	    "nothing left to index");
	/* a tag renamed: every item with it is indexed with the new name */
	CHECK(db_exec(db,
		  "UPDATE tag SET name = 'Flying machines' WHERE slug = "
		  "'ornithopter'",
		  "") >= 0,
	    "rename");
	buf_reset(&q);
	search_query("flying machine", 14, "en", &q);
	CHECK(db_int(db, "SELECT count(*) FROM search WHERE search MATCH ?",
		  "t", buf_cstr(&q)) == 2,
	    "the new tag name is found on both items");
	buf_reset(&q);
	search_query("ornithopters", 12, "en", &q);
	CHECK(db_int(db, "SELECT count(*) FROM search WHERE search MATCH ?",
		  "t", buf_cstr(&q)) == 0,
	    "the old tag name is gone");
	/* a member and a publication are indexed, and go when deleted */
	buf_reset(&q);
	search_query("strada", 6, "en", &q);
	CHECK(db_int(db,
		  "SELECT count(*) FROM search WHERE search MATCH ? "
		  "AND kind = 'member'",
		  "t", buf_cstr(&q)) == 1,
	    "a member is found");
	CHECK(db_exec(db,
		  "DELETE FROM member WHERE slug = "
		  "'la-strada-international'",
		  "") >= 0,
	    "delete a member");
	CHECK(db_int(db,
		  "SELECT count(*) FROM search WHERE search MATCH ? "
		  "AND kind = 'member'",
		  "t", buf_cstr(&q)) == 0,
	    "a deleted member is gone");
	CHECK(db_exec(db,
		  "UPDATE publication SET title = 'Side effects' "
		  "WHERE slug = 'collateral-damage'",
		  "") >= 0,
	    "retitle a publication");
	buf_reset(&q);
	search_query("side effects", 12, "en", &q);
	CHECK(db_int(db,
		  "SELECT count(*) FROM search WHERE search MATCH ? "
		  "AND kind = 'publication'",
		  "t", buf_cstr(&q)) == 1,
	    "a retitled publication is found by its new title");
	buf_free(&q);
	unit_db_drop(db, dbpath);
done:
	arena_free(a);
}

void
test_search(void)
{
	tsearch_tokens();
	tsearch_queries();
	tsearch_index();
}
