/* test_fm.c: table tests of fm.c (front matter), the benchmark corpus and
 * every file of the demo content in content/. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "extern.h"
#include "unit.h"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))
#define CORPUS_SCRIPT "/work/shared/bench/make-corpus.py"
#define CORPUS_N 300

/* Appends v as compact JSON-like text: {"k":"v","l":["a",{}]}. */
static void
tfm_dump(struct buf *b, const struct val *v)
{
	size_t i;

	switch (v->type) {
	case VAL_STR:
		buf_putc(b, '"');
		for (i = 0; i < v->u.str.len; i++) {
			unsigned char c = (unsigned char)v->u.str.s[i];

			if (c == '"' || c == '\\')
				buf_printf(b, "\\%c", c);
			else if (c == '\n')
				buf_puts(b, "\\n");
			else if (c == '\t')
				buf_puts(b, "\\t");
			else if (c < 0x20)
				buf_printf(b, "\\u%04x", c);
			else
				buf_putc(b, c);
		}
		buf_putc(b, '"');
		break;
	case VAL_LIST:
		buf_putc(b, '[');
		for (i = 0; i < v->u.list.n; i++) {
			if (i)
				buf_putc(b, ',');
			tfm_dump(b, v->u.list.items[i]);
		}
		buf_putc(b, ']');
		break;
	case VAL_OBJ:
		buf_putc(b, '{');
		for (i = 0; i < v->u.obj.n; i++) {
			if (i)
				buf_putc(b, ',');
			buf_printf(b, "\"%s\":", v->u.obj.kv[i].key);
			tfm_dump(b, v->u.obj.kv[i].v);
		}
		buf_putc(b, '}');
		break;
	default:
		buf_printf(b, "<%s>", val_type_names[v->type]);
		break;
	}
}

/*
 * One case: the front matter text between "---" lines (or, with whole
 * set, the entire input) and either the wanted tree as tfm_dump() writes
 * it or "ERR " and the wanted message.
 */
struct tfm_case {
	const char *in;
	const char *want;
	int whole;
};

/* Parses in; writes the dump or "ERR message" into out. */
static void
tfm_run(const char *in, size_t len, struct buf *out, const char **body,
    size_t *bodylen)
{
	struct arena *a = arena_new();
	struct val *meta = NULL;
	char err[256];

	if (fm_parse(a, in, len, &meta, body, bodylen, err, sizeof(err)) == -1)
		buf_printf(out, "ERR %s", err);
	else
		tfm_dump(out, meta);
	arena_free(a);
}

static void
tfm_table(const char *what, const struct tfm_case *c, size_t n)
{
	struct buf in, out;
	const char *body;
	size_t i, bodylen;

	for (i = 0; i < n; i++) {
		buf_init(&in, 0);
		buf_init(&out, 0);
		if (c[i].whole)
			buf_puts(&in, c[i].in);
		else
			buf_printf(&in, "---\n%s---\nbody\n", c[i].in);
		tfm_run(in.data, in.len, &out, &body, &bodylen);
		CHECK(strcmp(buf_cstr(&out), c[i].want) == 0,
		    "fm %s #%zu:\n%s\n  got  %s\n  want %s", what, i,
		    buf_cstr(&in), buf_cstr(&out), c[i].want);
		buf_free(&in);
		buf_free(&out);
	}
}

/* Documents with and without front matter: what is meta, what is body. */
static void
tfm_split(void)
{
	static const struct {
		const char *in;
		const char *want;
		const char *body;
	} c[] = {
	    {"", "{}", ""},
	    {"Just text\n", "{}", "Just text\n"},
	    {"\xef\xbb\xbfText after a BOM\n", "{}", "Text after a BOM\n"},
	    {"--- \nx: 1\n---\n", "{\"x\":\"1\"}", ""},
	    {"---\n---\n", "{}", ""},
	    {"---\n---", "{}", ""},
	    {"---\n# only a comment\n\n---\nb", "{}", "b"},
	    {"---\nx: 1\n---", "{\"x\":\"1\"}", ""},
	    {"---\nx: 1\n---\n\nBody\n---\nmore\n", "{\"x\":\"1\"}",
		"\nBody\n---\nmore\n"},
	    {"---\nx: 1\n...\nBody", "{\"x\":\"1\"}", "Body"},
	    {"\xef\xbb\xbf---\nx: 1\n---\nBody", "{\"x\":\"1\"}", "Body"},
	    {"---\r\nx: 1\r\ny: [a, b]\r\nz: |\r\n  l1\r\n  l2\r\n---\r\nB\r\n",
		"{\"x\":\"1\",\"y\":[\"a\",\"b\"],\"z\":\"l1\\nl2\\n\"}",
		"B\r\n"},
	    {"----\nx: 1\n---\n", "{}", "----\nx: 1\n---\n"},
	    {"--- x\n", "{}", "--- x\n"},
	    {" ---\nx: 1\n---\n", "{}", " ---\nx: 1\n---\n"},
	    {"Text\n---\nx: 1\n---\n", "{}", "Text\n---\nx: 1\n---\n"},
	};
	struct buf out;
	const char *body;
	size_t i, bodylen;

	for (i = 0; i < NELEM(c); i++) {
		buf_init(&out, 0);
		body = NULL;
		bodylen = 0;
		tfm_run(c[i].in, strlen(c[i].in), &out, &body, &bodylen);
		CHECK(strcmp(buf_cstr(&out), c[i].want) == 0,
		    "fm split #%zu: got %s, want %s", i, buf_cstr(&out),
		    c[i].want);
		CHECK(body != NULL && bodylen == strlen(c[i].body) &&
		    memcmp(body, c[i].body, bodylen) == 0,
		    "fm split #%zu: body \"%.*s\", want \"%s\"", i,
		    body ? (int)bodylen : 0, body ? body : "", c[i].body);
		/* The body points into the source. */
		CHECK(body != NULL && body >= c[i].in &&
		    body + bodylen == c[i].in + strlen(c[i].in),
		    "fm split #%zu: body is not the tail of the source", i);
		buf_free(&out);
	}
}

static void
tfm_scalars(void)
{
	static const struct tfm_case c[] = {
	    /* plain scalars are trimmed; comments need a blank before '#' */
	    {"a: hello\n", "{\"a\":\"hello\"}", 0},
	    {"a:    spaced out   \n", "{\"a\":\"spaced out\"}", 0},
	    {"a: x # a comment\n", "{\"a\":\"x\"}", 0},
	    {"a: x\t# a comment\n", "{\"a\":\"x\"}", 0},
	    {"a: C#sharp\n", "{\"a\":\"C#sharp\"}", 0},
	    {"a: http://example.org/x#frag\n",
		"{\"a\":\"http://example.org/x#frag\"}", 0},
	    {"a: 10:00\n", "{\"a\":\"10:00\"}", 0},
	    {"a: 2014-12-10T09:00:00+07:00\n",
		"{\"a\":\"2014-12-10T09:00:00+07:00\"}", 0},
	    {"a: -5\nb: true\nc: ~\nd: null\n",
		"{\"a\":\"-5\",\"b\":\"true\",\"c\":\"~\",\"d\":\"null\"}", 0},
	    {"a: it's \"so\"\n", "{\"a\":\"it's \\\"so\\\"\"}", 0},
	    {"a: caf\xc3\xa9 \xe2\x80\x93 \xe2\x80\x99\n",
		"{\"a\":\"caf\xc3\xa9 \xe2\x80\x93 \xe2\x80\x99\"}", 0},
	    {"a: tab\tinside\n", "{\"a\":\"tab\\tinside\"}", 0},
	    /* an empty value is an empty string */
	    {"a:\nb: 2\n", "{\"a\":\"\",\"b\":\"2\"}", 0},
	    {"a:   # nothing\n", "{\"a\":\"\"}", 0},
	    /* a plain scalar may go on over deeper lines, folded */
	    {"a: one\n  two\n   three\nb: x\n",
		"{\"a\":\"one two three\",\"b\":\"x\"}", 0},
	    {"a: one\n\n  two\n", "{\"a\":\"one\\ntwo\"}", 0},
	    {"a:\n  starts below\n  and goes on\n",
		"{\"a\":\"starts below and goes on\"}", 0},
	    {"a: one # c\n", "{\"a\":\"one\"}", 0},
	    /* keys */
	    {"a b: 1\n", "{\"a b\":\"1\"}", 0},
	    {"x-y_z: 1\n", "{\"x-y_z\":\"1\"}", 0},
	    {"a   : 1\n", "{\"a\":\"1\"}", 0},
	    {"a:1: 2\n", "{\"a:1\":\"2\"}", 0},
	    {"\"quoted: key\": 1\n'single''s': 2\n",
		"{\"quoted: key\":\"1\",\"single's\":\"2\"}", 0},
	    {"\"\\u00e9t\\u00e9\": 1\n", "{\"\xc3\xa9t\xc3\xa9\":\"1\"}", 0},
	    /* duplicate keys: the last wins */
	    {"a: 1\nb: 2\na: 3\n", "{\"a\":\"3\",\"b\":\"2\"}", 0},
	    {"a: [x]\na: y\n", "{\"a\":\"y\"}", 0},
	    /* comments and empty lines anywhere between entries */
	    {"# top\n\na: 1\n  # indented comment\n\n# c\nb: 2\n",
		"{\"a\":\"1\",\"b\":\"2\"}", 0},
	    {"a: 1\n\t\n  \nb: 2\n", "{\"a\":\"1\",\"b\":\"2\"}", 0},
	};

	tfm_table("scalars", c, NELEM(c));
}

static void
tfm_quoted(void)
{
	static const struct tfm_case c[] = {
	    {"a: \"x\"\n", "{\"a\":\"x\"}", 0},
	    {"a: \"\"\n", "{\"a\":\"\"}", 0},
	    {"a: \"  kept  \"\n", "{\"a\":\"  kept  \"}", 0},
	    {"a: \"Holding back: a # not a comment\" # a comment\n",
		"{\"a\":\"Holding back: a # not a comment\"}", 0},
	    {"a: \"q\\\"q \\\\ n\\n t\\t\"\n",
		"{\"a\":\"q\\\"q \\\\ n\\n t\\t\"}", 0},
	    {"a: \"\\u00e9\\u20AC \\x41 \\U0001F600 \\/\"\n",
		"{\"a\":\"\xc3\xa9\xe2\x82\xac A \xf0\x9f\x98\x80 /\"}", 0},
	    {"a: \"\\ud83d\\ude00\"\n", "{\"a\":\"\xf0\x9f\x98\x80\"}", 0},
	    {"a: \"\\r\\a\\e\\_\\N\"\n",
		"{\"a\":\"\\u000d\\u0007\\u001b\xc2\xa0\xc2\x85\"}", 0},
	    {"a: 'single'\n", "{\"a\":\"single\"}", 0},
	    {"a: 'it''s'\n", "{\"a\":\"it's\"}", 0},
	    {"a: ''\n", "{\"a\":\"\"}", 0},
	    {"a: 'no \\n escapes \"here\"'\n",
		"{\"a\":\"no \\\\n escapes \\\"here\\\"\"}", 0},
	    {"a: '#x' #c\n", "{\"a\":\"#x\"}", 0},
	    {"a: \"@GAATW_IS\"\n", "{\"a\":\"@GAATW_IS\"}", 0},
	    /* quoted scalars may span lines: a break folds to a space,
	     * an empty line to a newline, blanks around breaks go */
	    {"a: \"one  \n    two\"\n", "{\"a\":\"one two\"}", 0},
	    {"a: 'one\n\n  two\n\n\n  three'\n",
		"{\"a\":\"one\\ntwo\\n\\nthree\"}", 0},
	    {"a: \"one\\\n  two\"\n", "{\"a\":\"onetwo\"}", 0},
	    {"a: \"one\\t\n  two\"\n", "{\"a\":\"one\\t two\"}", 0},
	    {"a: \"x\"\nb: 'y'\n", "{\"a\":\"x\",\"b\":\"y\"}", 0},
	    {"a: \"\\b\\v\\f\\L\\P\\ \\\t\"\n",
		"{\"a\":\"\\u0008\\u000b\\u000c\xe2\x80\xa8\xe2\x80\xa9 \\t\"}", 0},
	    {"\"k\" : 1\n'l'  : 2\n", "{\"k\":\"1\",\"l\":\"2\"}", 0},
	    {"a: \xf0\x9f\x98\x80 \"\xf0\x9f\x98\x80\"\n",
		"{\"a\":\"\xf0\x9f\x98\x80 \\\"\xf0\x9f\x98\x80\\\"\"}", 0},
	};

	tfm_table("quoted", c, NELEM(c));
}

static void
tfm_flow(void)
{
	static const struct tfm_case c[] = {
	    {"a: [a, \"b, c\", 'd']\n", "{\"a\":[\"a\",\"b, c\",\"d\"]}", 0},
	    {"a: []\n", "{\"a\":[]}", 0},
	    {"a: [ ]\n", "{\"a\":[]}", 0},
	    {"a: [one]\n", "{\"a\":[\"one\"]}", 0},
	    {"a: [x,y ,  z  ]\n", "{\"a\":[\"x\",\"y\",\"z\"]}", 0},
	    {"a: [a, b,]\n", "{\"a\":[\"a\",\"b\"]}", 0},
	    {"a: [human rights day, sex work]\n",
		"{\"a\":[\"human rights day\",\"sex work\"]}", 0},
	    {"a: [a, [b, [c]], []]\n", "{\"a\":[\"a\",[\"b\",[\"c\"]],[]]}",
		0},
	    {"a: [x] # comment\n", "{\"a\":[\"x\"]}", 0},
	    {"a: [http://x.org/a#b, 10:00, a-b]\n",
		"{\"a\":[\"http://x.org/a#b\",\"10:00\",\"a-b\"]}", 0},
	    {"a: [\"it's\", 'say \"hi\"']\n",
		"{\"a\":[\"it's\",\"say \\\"hi\\\"\"]}", 0},
	    /* flow lists may span lines */
	    {"a: [one,\n  two, # comment\n\n  three\n]\nb: 1\n",
		"{\"a\":[\"one\",\"two\",\"three\"],\"b\":\"1\"}", 0},
	    {"a: [\"x\n  y\", z]\n", "{\"a\":[\"x y\",\"z\"]}", 0},
	};

	tfm_table("flow", c, NELEM(c));
}

static void
tfm_blocklists(void)
{
	static const struct tfm_case c[] = {
	    {"a:\n  - x\n  - y\n", "{\"a\":[\"x\",\"y\"]}", 0},
	    {"a:\n    - x\n    - y\nb: z\n",
		"{\"a\":[\"x\",\"y\"],\"b\":\"z\"}", 0},
	    /* a list may sit at its key's column */
	    {"a:\n- x\n- y\nb: z\n", "{\"a\":[\"x\",\"y\"],\"b\":\"z\"}", 0},
	    {"a: # the list\n  - \"q\" # c\n  - 'r'\n  # between\n  - [s]\n",
		"{\"a\":[\"q\",\"r\",[\"s\"]]}", 0},
	    {"a:\n  - x\n\n  - y\n", "{\"a\":[\"x\",\"y\"]}", 0},
	    {"a:\n  -\n  - y\n", "{\"a\":[\"\",\"y\"]}", 0},
	    {"a:\n  - one\n    two\n  - three\n",
		"{\"a\":[\"one two\",\"three\"]}", 0},
	    {"a:\n  - x\n    - y\n", "{\"a\":[\"x - y\"]}", 0},
	    /* lists of mappings */
	    {"a:\n  - k: 1\n    l: 2\n  - k: 3\n",
		"{\"a\":[{\"k\":\"1\",\"l\":\"2\"},{\"k\":\"3\"}]}", 0},
	    {"social:\n  - network: twitter\n    handle: \"@GAATW_IS\"\n"
		"    url: https://twitter.com/GAATW_IS\n",
		"{\"social\":[{\"network\":\"twitter\",\"handle\":\"@GAATW_IS\","
		"\"url\":\"https://twitter.com/GAATW_IS\"}]}", 0},
	    {"a:\n-   k: 1\n    l: 2\n", "{\"a\":[{\"k\":\"1\",\"l\":\"2\"}]}",
		0},
	    {"a:\n  -\n    k: 1\n    l: 2\n",
		"{\"a\":[{\"k\":\"1\",\"l\":\"2\"}]}", 0},
	    {"a:\n  - k:\n    - x\n    l: 2\n",
		"{\"a\":[{\"k\":[\"x\"],\"l\":\"2\"}]}", 0},
	    {"a:\n  - \"k\": 1\n", "{\"a\":[{\"k\":\"1\"}]}", 0},
	    {"a:\n  - k: 1\n    k: 2\n", "{\"a\":[{\"k\":\"2\"}]}", 0},
	    /* lists of lists */
	    {"a:\n  -\n    - x\n    - y\n  - z\n",
		"{\"a\":[[\"x\",\"y\"],\"z\"]}", 0},
	};

	tfm_table("block lists", c, NELEM(c));
}

static void
tfm_maps(void)
{
	static const struct tfm_case c[] = {
	    {"a:\n  b: 1\n  c: 2\nd: 3\n",
		"{\"a\":{\"b\":\"1\",\"c\":\"2\"},\"d\":\"3\"}", 0},
	    {"a:\n    b: 1\n    c:\n      d: x\n      e: [y]\n    f: 2\n",
		"{\"a\":{\"b\":\"1\",\"c\":{\"d\":\"x\",\"e\":[\"y\"]},"
		"\"f\":\"2\"}}", 0},
	    {"a:\n b:\n  c:\n   d:\n    e: deep\n",
		"{\"a\":{\"b\":{\"c\":{\"d\":{\"e\":\"deep\"}}}}}", 0},
	    {"a:\n  b:\n    - x\n  c: y\n",
		"{\"a\":{\"b\":[\"x\"],\"c\":\"y\"}}", 0},
	    {"a:\n  b:\n  - x\n  c: y\n",
		"{\"a\":{\"b\":[\"x\"],\"c\":\"y\"}}", 0},
	    /* nesting: the top object is level 1, eight levels pass */
	    {"a:\n b:\n  c:\n   d:\n    e:\n     f:\n      g:\n       h: x\n",
		"{\"a\":{\"b\":{\"c\":{\"d\":{\"e\":{\"f\":{\"g\":{\"h\":\"x\""
		"}}}}}}}}", 0},
	    {"a: [[[[[[[x]]]]]]]\n",
		"{\"a\":[[[[[[[\"x\"]]]]]]]}", 0},
	    {"a:\n -\n  -\n   -\n    -\n     -\n      -\n       - x\n",
		"{\"a\":[[[[[[[\"x\"]]]]]]]}", 0},
	    {"a:\n -\n  -\n   -\n    -\n     -\n      - k: x\n",
		"{\"a\":[[[[[[{\"k\":\"x\"}]]]]]]}", 0},
	};

	tfm_table("maps", c, NELEM(c));
}

static void
tfm_blocks(void)
{
	static const struct tfm_case c[] = {
	    {"a: |\n  one\n  two\n", "{\"a\":\"one\\ntwo\\n\"}", 0},
	    {"a: |\n  one\n\n    indented\n  # not a comment\nb: x\n",
		"{\"a\":\"one\\n\\n  indented\\n# not a comment\\n\","
		"\"b\":\"x\"}", 0},
	    {"a: |-\n  one\n  two\n\n\nb: x\n",
		"{\"a\":\"one\\ntwo\",\"b\":\"x\"}", 0},
	    {"a: |+\n  one\n\n\nb: x\n", "{\"a\":\"one\\n\\n\\n\",\"b\":\"x\"}",
		0},
	    {"a: >\n  one\n  two\n\n  three\n", "{\"a\":\"one two\\nthree\\n\"}",
		0},
	    {"a: >-\n  one\n  two\n", "{\"a\":\"one two\"}", 0},
	    {"a: >+\n  one\n\n", "{\"a\":\"one\\n\\n\"}", 0},
	    {"a: >\n  para\n    code\n    more\n  back\n",
		"{\"a\":\"para\\n  code\\n  more\\nback\\n\"}", 0},
	    {"a: > # folded\n  x\n", "{\"a\":\"x\\n\"}", 0},
	    {"a: |2\n    two extra\n  base\n",
		"{\"a\":\"  two extra\\nbase\\n\"}", 0},
	    {"a: |-2\n   x\n", "{\"a\":\" x\"}", 0},
	    {"a: |\n\n  after empty\n", "{\"a\":\"\\nafter empty\\n\"}", 0},
	    {"a: |\nb: x\n", "{\"a\":\"\",\"b\":\"x\"}", 0},
	    {"a: |\n  tab\there: kept\n", "{\"a\":\"tab\\there: kept\\n\"}", 0},
	    {"a:\n  b: |\n    in b\n  c: >\n    in c\n",
		"{\"a\":{\"b\":\"in b\\n\",\"c\":\"in c\\n\"}}", 0},
	    {"a:\n  - |\n    item\n  - x\n", "{\"a\":[\"item\\n\",\"x\"]}", 0},
	};

	tfm_table("block scalars", c, NELEM(c));
}

/* Every rejection, with its message. */
static void
tfm_errors(void)
{
	static const struct tfm_case c[] = {
	    /* the front matter must end */
	    {"---\nx: 1\n", "ERR line 1: front matter is not closed by a "
		"line '---'", 1},
	    {"---\n", "ERR line 1: front matter is not closed by a line "
		"'---'", 1},
	    {"---", "ERR line 1: front matter is not closed by a line '---'",
		1},
	    /* indentation */
	    {"  a: 1\n", "ERR line 2: bad indentation", 0},
	    {"a: 1\n  b: 2\n", "ERR line 3: bad indentation", 0},
	    {"a:\n    b: 1\n  c: 2\n", "ERR line 4: bad indentation", 0},
	    {"a:\n  - x\n - y\n", "ERR line 4: bad indentation", 0},
	    {"a:\n  - k: x\n   l: y\n", "ERR line 4: bad indentation", 0},
	    {"a:\n  - k: x\n     l: y\n", "ERR line 4: bad indentation", 0},
	    {"a:\n  - x\n  b: 1\n", "ERR line 4: expected a list item '- '",
		0},
	    {"a:\n  b: 1\n  - x\n", "ERR line 4: expected 'key: value', found "
		"a list item", 0},
	    {"a: \"x\"\n  b\n", "ERR line 3: bad indentation", 0},
	    {"a: [x]\n  b\n", "ERR line 3: bad indentation", 0},
	    {"a: x\n # c\n  y\n", "ERR line 4: bad indentation", 0},
	    {"a: |\n\n    x\n  y\n", "ERR line 5: bad indentation", 0},
	    {"a: |\n      \n  x\n", "ERR line 4: bad indentation: an empty "
		"line before it is indented deeper", 0},
	    {"a:\n  b: x\n   c: y\n", "ERR line 4: bad indentation", 0},
	    {"a:\n  b: \"x\n y\"\n", "ERR line 4: bad indentation in the "
		"quoted string of line 3", 0},
	    {"a:\n  b: [x,\n y]\n", "ERR line 4: bad indentation in the flow "
		"list of line 3", 0},
	    /* tabs */
	    {"\ta: 1\n", "ERR line 2: tab used for indentation", 0},
	    {"a:\n\tb: 1\n", "ERR line 3: tab used for indentation", 0},
	    {"a:\n  \tb: 1\n", "ERR line 3: tab used for indentation", 0},
	    {"a:\n\t- x\n", "ERR line 3: tab used for indentation", 0},
	    {"a:\n  -\tx\n", "ERR line 3: tab used for indentation", 0},
	    {"a: x\n\ty\n", "ERR line 3: tab used for indentation", 0},
	    /* quotes */
	    {"a: \"open\n", "ERR line 2: unterminated double-quoted string",
		0},
	    {"a: 'open\nb: 1\n", "ERR line 2: unterminated single-quoted "
		"string", 0},
	    {"a: 'it''s\n", "ERR line 2: unterminated single-quoted string",
		0},
	    {"a: \"x\\\"\n", "ERR line 2: unterminated double-quoted string",
		0},
	    {"a: \"x\" y\n", "ERR line 2: unexpected text after the closing "
		"quote", 0},
	    {"a: \"x\"#c\n", "ERR line 2: unexpected text after the closing "
		"quote", 0},
	    {"a: \"\\q\"\n", "ERR line 2: unknown escape \\q", 0},
	    {"a: \"\\u12\"\n", "ERR line 2: bad escape \\u: too few hex "
		"digits", 0},
	    {"a: \"\\ud800\"\n", "ERR line 2: bad escape: lone UTF-16 "
		"surrogate", 0},
	    {"a: \"\\U00110000\"\n", "ERR line 2: bad escape: no such code "
		"point", 0},
	    {"a: \"\\u0000\"\n", "ERR line 2: NUL characters are not allowed",
		0},
	    {"a: \"\\0\"\n", "ERR line 2: NUL characters are not allowed", 0},
	    {"a: \"\\x4\"\n", "ERR line 2: bad escape \\x: too few hex "
		"digits", 0},
	    {"a: \"\\\xc3\xa9\"\n", "ERR line 2: unknown escape sequence", 0},
	    {"\"k\\q\": 1\n", "ERR line 2: unknown escape \\q", 0},
	    /* flow lists */
	    {"a: [x, y\n", "ERR line 2: unterminated flow list", 0},
	    {"a: [x, y\nb: 1\n", "ERR line 3: expected ',' or ']' in a flow "
		"list", 0},
	    {"a: [x,, y]\n", "ERR line 2: empty item in a flow list", 0},
	    {"a: [,]\n", "ERR line 2: empty item in a flow list", 0},
	    {"a: [x] y\n", "ERR line 2: unexpected text after ']'", 0},
	    {"a: [\"x\" y]\n", "ERR line 2: expected ',' or ']' in a flow "
		"list", 0},
	    {"a: [x, {b: c}]\n", "ERR line 2: flow maps ({...}) are not "
		"supported", 0},
	    {"a: {b: c}\n", "ERR line 2: flow maps ({...}) are not supported",
		0},
	    {"a: [b: c]\n", "ERR line 2: flow maps are not supported; quote "
		"values that contain ': '", 0},
	    {"a: [x[y]]\n", "ERR line 2: unexpected '[' in a flow list; quote "
		"the value", 0},
	    {"a: [?x]\n", "ERR line 2: a plain value cannot start with '?'; "
		"quote it", 0},
	    {"a: [- x]\n", "ERR line 2: a plain value cannot start with '-'; "
		"quote it", 0},
	    {"a: [&x]\n", "ERR line 2: anchors, aliases and tags are not "
		"supported", 0},
	    {"a: ? x\n", "ERR line 2: a plain value cannot start with '?'; "
		"quote it", 0},
	    {"a: , x\n", "ERR line 2: a plain value cannot start with ','; "
		"quote it", 0},
	    /* outside the subset */
	    {"a: &anchor x\n", "ERR line 2: anchors, aliases and tags are not "
		"supported", 0},
	    {"a: *alias\n", "ERR line 2: anchors, aliases and tags are not "
		"supported", 0},
	    {"a: !!str x\n", "ERR line 2: anchors, aliases and tags are not "
		"supported", 0},
	    {"a: @GAATW_IS\n", "ERR line 2: a plain value cannot start with "
		"'@'; quote it", 0},
	    {"a: `x`\n", "ERR line 2: a plain value cannot start with '`'; "
		"quote it", 0},
	    {"a: b: c\n", "ERR line 2: a plain value cannot contain ': '; "
		"quote the value", 0},
	    {"a: Holding back: the barriers\n", "ERR line 2: a plain value "
		"cannot contain ': '; quote the value", 0},
	    {"a: - x\n", "ERR line 2: a block list must start on its own "
		"line", 0},
	    {"a:\n  - - x\n", "ERR line 3: a block list must start on its own "
		"line", 0},
	    {"a: |x\n", "ERR line 2: bad block scalar header", 0},
	    {"a: |#c\n", "ERR line 2: bad block scalar header", 0},
	    {"a: |++\n", "ERR line 2: bad block scalar header", 0},
	    /* not a mapping */
	    {"- x\n", "ERR line 2: expected 'key: value', found a list item",
		0},
	    {"just words\n", "ERR line 2: expected 'key: value'", 0},
	    {"a: 1\nb\n", "ERR line 3: expected 'key: value'", 0},
	    {": x\n", "ERR line 2: empty key", 0},
	    {"\"\": x\n", "ERR line 2: empty key", 0},
	    {"[a]: x\n", "ERR line 2: expected 'key: value'", 0},
	    /* nesting over 8 levels */
	    {"a:\n b:\n  c:\n   d:\n    e:\n     f:\n      g:\n       h:\n"
		"        i: x\n", "ERR line 10: nesting deeper than 8 levels", 0},
	    {"a: [[[[[[[[x]]]]]]]]\n", "ERR line 2: nesting deeper than 8 "
		"levels", 0},
	    {"a:\n - - - x\n", "ERR line 3: a block list must start on its own "
		"line", 0},
	    {"a:\n -\n  -\n   -\n    -\n     -\n      -\n       -\n"
		"        - x\n", "ERR line 10: nesting deeper than 8 levels", 0},
	    {"a:\n -\n  -\n   -\n    -\n     -\n      -\n       - k: x\n",
		"ERR line 9: nesting deeper than 8 levels", 0},
	    /* bytes */
	    {"a: \xff\n", "ERR line 2: invalid UTF-8", 0},
	    {"a: \xc3\n", "ERR line 2: invalid UTF-8", 0},
	    {"a: \xed\xa0\x80\n", "ERR line 2: invalid UTF-8", 0},
	    {"a: \xc0\xaf\n", "ERR line 2: invalid UTF-8", 0},
	    {"a: \xf5\x80\x80\x80\n", "ERR line 2: invalid UTF-8", 0},
	    {"a: \xf0\x80\x80\x80\n", "ERR line 2: invalid UTF-8", 0},
	    {"a: \xf0\x9f\x98\n", "ERR line 2: invalid UTF-8", 0},
	    {"a: x\x01y\n", "ERR line 2: control character 0x01", 0},
	    {"a: x\ry\n", "ERR line 2: control character 0x0d", 0},
	    {"a: x\x7f\n", "ERR line 2: control character 0x7f", 0},
	};

	tfm_table("errors", c, NELEM(c));
}

/* The limits (10,000 lines, 1 MiB), NUL bytes, and outputs on failure. */
static void
tfm_limits(void)
{
	struct arena *a = arena_new();
	struct val *meta, *sentinel;
	struct buf b;
	const char *body, *bodysentinel = "x";
	size_t bodylen, i;
	char err[128];
	int rc;

	buf_init(&b, 0);
	buf_puts(&b, "---\n");
	for (i = 0; i < 10000; i++)
		buf_printf(&b, "k%zu: %zu\n", i, i);
	buf_puts(&b, "---\nbody");
	rc = fm_parse(a, b.data, b.len, &meta, &body, &bodylen, err,
	    sizeof(err));
	CHECK(rc == 0 && meta->u.obj.n == 10000 && bodylen == 4,
	    "fm: 10000 lines of front matter: %s", rc ? err : "wrong");
	buf_reset(&b);
	buf_puts(&b, "---\n");
	for (i = 0; i < 10001; i++)
		buf_puts(&b, "# comment\n");
	buf_puts(&b, "---\n");
	rc = fm_parse(a, b.data, b.len, &meta, &body, &bodylen, err,
	    sizeof(err));
	CHECK(rc == -1 && strcmp(err, "line 10002: front matter longer than "
	    "10000 lines") == 0, "fm: 10001 lines: %s", rc ? err : "passed");

	buf_reset(&b);
	buf_puts(&b, "---\nbig: \"");
	for (i = 0; i < 1100; i++)
		buf_printf(&b, "%01000zu\\\n", i);
	buf_puts(&b, "\"\n---\n");
	rc = fm_parse(a, b.data, b.len, &meta, &body, &bodylen, err,
	    sizeof(err));
	CHECK(rc == -1 && strcmp(err, "line 1048: front matter larger than "
	    "1 MiB") == 0, "fm: over 1 MiB: %s", rc ? err : "passed");
	buf_reset(&b);
	buf_puts(&b, "---\nbig: \"");
	for (i = 0; i < 1000; i++)
		buf_printf(&b, "%01000zu\\\n", i);
	buf_puts(&b, "\"\n---\n");
	rc = fm_parse(a, b.data, b.len, &meta, &body, &bodylen, err,
	    sizeof(err));
	CHECK(rc == 0 && val_get(meta, "big") != NULL &&
	    val_get(meta, "big")->u.str.len == 1000000,
	    "fm: just under 1 MiB: %s", rc ? err : "wrong");

	/* A NUL byte in the front matter (not in the body) is refused. */
	rc = fm_parse(a, "---\na: x\0y\n---\n", 15, &meta, &body, &bodylen,
	    err, sizeof(err));
	CHECK(rc == -1 && strcmp(err, "line 2: NUL byte") == 0,
	    "fm: NUL byte: %s", rc ? err : "passed");
	rc = fm_parse(a, "---\na: x\n---\nb\0dy", 17, &meta, &body, &bodylen,
	    err, sizeof(err));
	CHECK(rc == 0 && bodylen == 4, "fm: NUL in body: %s", rc ? err : "");

	/* Outputs stay untouched on failure; err may be small or absent. */
	sentinel = val_null(a);
	meta = sentinel;
	body = bodysentinel;
	bodylen = 42;
	rc = fm_parse(a, "---\na: 'x\n---\n", 13, &meta, &body, &bodylen,
	    err, 8);
	CHECK(rc == -1 && meta == sentinel && body == bodysentinel &&
	    bodylen == 42 && strcmp(err, "line 2:") == 0,
	    "fm: outputs changed on failure (err \"%s\")", err);
	rc = fm_parse(a, "---\na: 'x\n---\n", 13, &meta, &body, &bodylen,
	    NULL, 0);
	CHECK(rc == -1, "fm: no err buffer");
	rc = fm_parse(a, NULL, 0, &meta, &body, &bodylen, err, sizeof(err));
	CHECK(rc == 0 && meta->type == VAL_OBJ && meta->u.obj.n == 0 &&
	    bodylen == 0, "fm: NULL source");

	buf_free(&b);
	arena_free(a);
}

/*
 * Parses file path; checks it has front matter, no error, and each key of
 * want with its type: 's' string (non-empty), 'S' string, 'l' list, 'o'
 * object.  Returns the number of failed checks.
 */
static int
tfm_file(const char *path, const char *const *want, const char *types,
    struct val **metap, struct arena *a)
{
	struct val *meta, *v;
	const char *body;
	size_t len, bodylen, i;
	char err[256], *src;
	int bad = 0;

	if ((src = unit_slurp(path, &len)) == NULL) {
		CHECK(0, "fm: cannot read %s", path);
		return 1;
	}
	if (fm_parse(a, src, len, &meta, &body, &bodylen, err,
	    sizeof(err)) == -1) {
		CHECK(0, "fm: %s: %s", path, err);
		free(src);
		return 1;
	}
	CHECK(strncmp(src, "---\n", 4) == 0, "fm: %s has no front matter",
	    path);
	for (i = 0; want[i] != NULL; i++) {
		v = val_get(meta, want[i]);
		if (v == NULL) {
			CHECK(0, "fm: %s: no key %s", path, want[i]);
			bad++;
		} else if (types[i] == 's' && (v->type != VAL_STR ||
		    v->u.str.len == 0)) {
			CHECK(0, "fm: %s: %s is no string", path, want[i]);
			bad++;
		} else if (types[i] == 'S' && v->type != VAL_STR) {
			CHECK(0, "fm: %s: %s is no string", path, want[i]);
			bad++;
		} else if (types[i] == 'l' && v->type != VAL_LIST) {
			CHECK(0, "fm: %s: %s is no list", path, want[i]);
			bad++;
		} else if (types[i] == 'o' && v->type != VAL_OBJ) {
			CHECK(0, "fm: %s: %s is no object", path, want[i]);
			bad++;
		} else
			unit_passed++;
	}
	*metap = meta;
	free(src);
	return bad;
}

/* Three files written by the benchmark's corpus generator, kept here. */
static void
tfm_corpus_samples(void)
{
	static const char *const keys[] = {"title", "date", "section",
	    "tags", "summary", NULL};
	static const struct {
		const char *path;
		const char *title;
		const char *section;
		size_t ntags;
		const char *body; /* its first bytes */
	} c[] = {
	    {"tests/data/fm/00003-large-study-reported-in-oakmont.md",
		"Large study reported in Oakmont", "news", 2, "\nEach council"},
	    {"tests/data/fm/00000-henrik-rossi-on-the-clear-agreement-"
		"event.md", "Henrik Rossi on the clear agreement event",
		"press-releases", 5, "\n"},
	    {"tests/data/fm/00013-major-strategy-announced-in-riverton.md",
		"Major strategy announced in Riverton", "events", 4, "\n"},
	};
	struct arena *a = arena_new();
	struct val *meta;
	const char *body;
	size_t i, len, bodylen;
	char err[256], *src;

	for (i = 0; i < NELEM(c); i++) {
		if (tfm_file(c[i].path, keys, "ssslss", &meta, a) != 0)
			continue;
		CHECK(strcmp(val_get(meta, "title")->u.str.s, c[i].title) ==
		    0 && strcmp(val_get(meta, "section")->u.str.s,
		    c[i].section) == 0 &&
		    val_get(meta, "tags")->u.list.n == c[i].ntags,
		    "fm: %s: wrong title, section or tags", c[i].path);
		if ((src = unit_slurp(c[i].path, &len)) == NULL)
			continue;
		if (fm_parse(a, src, len, &meta, &body, &bodylen, err,
		    sizeof(err)) == 0)
			CHECK(bodylen > 1000 && strncmp(body, c[i].body,
			    strlen(c[i].body)) == 0 &&
			    body[bodylen - 1] == '\n',
			    "fm: %s: wrong body", c[i].path);
		free(src);
	}
	arena_free(a);
}

/* Generates the benchmark corpus into a temporary folder and parses it. */
static void
tfm_corpus(void)
{
	static const char *const keys[] = {"title", "date", "section",
	    "tags", "summary", NULL};
	static const char *const sections[] = {"news", "press-releases",
	    "statements", "events"};
	struct arena *a;
	struct val *meta;
	char dir[] = "/tmp/herald-fm-XXXXXX", cmd[512], path[1024];
	DIR *d;
	struct dirent *de;
	size_t i, n = 0, bad = 0;

	if (access(CORPUS_SCRIPT, R_OK) == -1) {
		fprintf(stderr, "skip fm corpus: no %s\n", CORPUS_SCRIPT);
		return;
	}
	if (mkdtemp(dir) == NULL) {
		CHECK(0, "fm: mkdtemp failed");
		return;
	}
	snprintf(cmd, sizeof(cmd), "python3 %s %s -n %d 2>/dev/null",
	    CORPUS_SCRIPT, dir, CORPUS_N);
	if (system(cmd) != 0) {
		fprintf(stderr, "skip fm corpus: the generator failed\n");
		goto done;
	}
	a = arena_new();
	for (i = 0; i < NELEM(sections); i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, sections[i]);
		if ((d = opendir(path)) == NULL)
			continue;
		while ((de = readdir(d)) != NULL) {
			if (de->d_name[0] == '.')
				continue;
			snprintf(path, sizeof(path), "%s/%s/%s", dir,
			    sections[i], de->d_name);
			if (tfm_file(path, keys, "ssslss", &meta, a) != 0)
				bad++;
			n++;
		}
		closedir(d);
	}
	arena_free(a);
	CHECK(n == CORPUS_N && bad == 0, "fm: corpus: %zu of %zu files "
	    "parse, want %d", n - bad, n, CORPUS_N);
done:
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "fm: cannot remove %s\n", dir);
}

/* ---- the demo content ------------------------------------------------- */

/* 1 when s is a slug: lowercase ASCII letters, digits, single dashes. */
static int
tfm_slug_ok(const char *s)
{
	const char *p;

	if (*s == '\0' || *s == '-' || s[strlen(s) - 1] == '-')
		return 0;
	for (p = s; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
		    (*p == '-' && p[1] != '-')))
			return 0;
	return 1;
}

/* 1 when s looks like 2014-12-10T09:00:00+07:00. */
static int
tfm_date_ok(const char *s)
{
	static const char form[] = "dddd-dd-ddTdd:dd:dd+dd:dd";
	size_t i;

	if (strlen(s) != sizeof(form) - 1)
		return 0;
	for (i = 0; form[i]; i++)
		if (form[i] == 'd' ? !(s[i] >= '0' && s[i] <= '9') :
		    form[i] == '+' ? !(s[i] == '+' || s[i] == '-') :
		    s[i] != form[i])
			return 0;
	return 1;
}

/* 1 when s is "2014-11-14" or "2014-10-08T10:00:00". */
static int
tfm_day_ok(const char *s)
{
	static const char form[] = "dddd-dd-ddTdd:dd:dd";
	size_t i, n = strlen(s);

	if (n != 10 && n != sizeof(form) - 1)
		return 0;
	for (i = 0; i < n; i++)
		if (form[i] == 'd' ? !(s[i] >= '0' && s[i] <= '9') :
		    s[i] != form[i])
			return 0;
	return 1;
}

/* 1 when every item of list v is a string found as "slug" in regions
 * (a list of objects), or v itself is such a string. */
static int
tfm_regions_ok(const struct val *v, const struct val *regions)
{
	size_t i, j;
	int found;

	if (v == NULL || regions == NULL || regions->type != VAL_LIST)
		return 0;
	if (v->type == VAL_STR) {
		for (j = 0; j < regions->u.list.n; j++)
			if (val_get(regions->u.list.items[j], "slug") &&
			    strcmp(val_get(regions->u.list.items[j],
			    "slug")->u.str.s, v->u.str.s) == 0)
				return 1;
		return 0;
	}
	if (v->type != VAL_LIST)
		return 0;
	for (i = 0; i < v->u.list.n; i++) {
		found = tfm_regions_ok(v->u.list.items[i], regions);
		if (!found)
			return 0;
	}
	return 1;
}

/* 1 when v is a list of lowercase strings. */
static int
tfm_tags_ok(const struct val *v)
{
	const char *p;
	size_t i;

	if (v == NULL || v->type != VAL_LIST)
		return 0;
	for (i = 0; i < v->u.list.n; i++) {
		if (v->u.list.items[i]->type != VAL_STR ||
		    v->u.list.items[i]->u.str.len == 0)
			return 0;
		for (p = v->u.list.items[i]->u.str.s; *p; p++)
			if (*p >= 'A' && *p <= 'Z')
				return 0;
	}
	return 1;
}

/* The string value of key, or "". */
static const char *
tfm_str(const struct val *meta, const char *key)
{
	const struct val *v = val_get(meta, key);

	return v && v->type == VAL_STR ? v->u.str.s : "";
}

/* content/site.md: the settings, its social accounts and regions. */
static struct val *
tfm_site(struct arena *a)
{
	static const char *const keys[] = {"name", "short_name", "tagline",
	    "description", "language", "languages", "about_block",
	    "media_contact", "social", "regions", NULL};
	struct val *meta = NULL, *l;
	char path[256];
	size_t i;

	if (tfm_file("content/site.md", keys, "ssssslssll", &meta, a) != 0)
		return NULL;
	CHECK(strcmp(tfm_str(meta, "name"), "Global Alliance Against Traffic "
	    "in Women") == 0 && strcmp(tfm_str(meta, "short_name"),
	    "GAATW") == 0 && strcmp(tfm_str(meta, "tagline"), "Human Rights "
	    "at home, abroad and on the way...") == 0 &&
	    strcmp(tfm_str(meta, "language"), "en") == 0,
	    "fm: content/site.md: wrong name, tagline or language");
	l = val_get(meta, "social");
	CHECK(l->u.list.n == 2, "fm: site.md: %zu social accounts, want 2",
	    l->u.list.n);
	for (i = 0; i < l->u.list.n; i++)
		CHECK(*tfm_str(l->u.list.items[i], "network") &&
		    *tfm_str(l->u.list.items[i], "handle") &&
		    strncmp(tfm_str(l->u.list.items[i], "url"), "https://",
		    8) == 0, "fm: site.md: social account %zu incomplete", i);
	l = val_get(meta, "regions");
	CHECK(l->u.list.n == 7, "fm: site.md: %zu regions, want 7",
	    l->u.list.n);
	for (i = 0; i < l->u.list.n; i++)
		CHECK(tfm_slug_ok(tfm_str(l->u.list.items[i], "slug")) &&
		    *tfm_str(l->u.list.items[i], "name"),
		    "fm: site.md: region %zu incomplete", i);
	snprintf(path, sizeof(path), "content/blocks/%s.md",
	    tfm_str(meta, "about_block"));
	CHECK(access(path, R_OK) == 0, "fm: site.md: no %s", path);
	snprintf(path, sizeof(path), "content/contacts/%s.md",
	    tfm_str(meta, "media_contact"));
	CHECK(access(path, R_OK) == 0, "fm: site.md: no %s", path);
	return meta;
}

/* Every file of content/ parses and has the keys its folder needs. */
static void
tfm_content(void)
{
	static const char *const item[] = {"title", "slug", "date", "summary",
	    "tags", "regions", "lang", NULL};
	static const char *const event[] = {"title", "slug", "date",
	    "summary", "tags", "regions", "lang", "start", "end", "timezone",
	    "venue", "city", "country", NULL};
	static const char *const block[] = {"title", NULL};
	static const char *const contact[] = {"name", "role", "phone",
	    "email", "intro", NULL};
	static const char *const pub[] = {"title", "slug", "year", "lang",
	    "summary", "tags", "regions", NULL};
	static const char *const member[] = {"name", "slug", "country",
	    "country_code", "region", NULL};
	static const struct {
		const char *folder;
		const char *const *keys;
		const char *types;
		size_t want; /* files */
	} f[] = {
	    {"press-releases", item, "sssslls", 2},
	    {"news", item, "sssslls", 3},
	    {"statements", item, "sssslls", 5},
	    {"events", event, "ssssllssssSss", 4},
	    {"pages", item, "sssslls", 2},
	    {"blocks", block, "s", 1},
	    {"contacts", contact, "sssss", 1},
	    {"publications", pub, "sssssll", 3},
	    {"members", member, "sssss", 6},
	};
	struct arena *a = arena_new();
	struct val *site, *meta, *regions;
	DIR *d;
	struct dirent *de;
	char path[1024], base[256];
	size_t i, n, len;

	if ((site = tfm_site(a)) == NULL) {
		arena_free(a);
		return;
	}
	regions = val_get(site, "regions");
	for (i = 0; i < NELEM(f); i++) {
		snprintf(path, sizeof(path), "content/%s", f[i].folder);
		if ((d = opendir(path)) == NULL) {
			CHECK(0, "fm: no %s", path);
			continue;
		}
		n = 0;
		while ((de = readdir(d)) != NULL) {
			if (de->d_name[0] == '.')
				continue;
			len = strlen(de->d_name);
			snprintf(path, sizeof(path), "content/%s/%s",
			    f[i].folder, de->d_name);
			if (len < 4 || len >= sizeof(base) ||
			    strcmp(de->d_name + len - 3, ".md") != 0) {
				CHECK(0, "fm: %s is no .md file", path);
				continue;
			}
			n++;
			memcpy(base, de->d_name, len - 3);
			base[len - 3] = '\0';
			CHECK(tfm_slug_ok(base), "fm: %s: bad file name", path);
			if (tfm_file(path, f[i].keys, f[i].types, &meta, a) != 0)
				continue;
			if (val_get(meta, "slug") != NULL)
				CHECK(strcmp(tfm_str(meta, "slug"), base) == 0,
				    "fm: %s: slug is not the file name", path);
			if (val_get(meta, "date") != NULL)
				CHECK(tfm_date_ok(tfm_str(meta, "date")),
				    "fm: %s: bad date \"%s\"", path,
				    tfm_str(meta, "date"));
			if (val_get(meta, "start") != NULL)
				CHECK(tfm_day_ok(tfm_str(meta, "start")) &&
				    tfm_day_ok(tfm_str(meta, "end")) &&
				    strlen(tfm_str(meta, "start")) ==
				    strlen(tfm_str(meta, "end")) &&
				    strcmp(tfm_str(meta, "start"),
				    tfm_str(meta, "end")) <= 0,
				    "fm: %s: bad start or end", path);
			if (val_get(meta, "lang") != NULL)
				CHECK(strcmp(tfm_str(meta, "lang"), "en") == 0,
				    "fm: %s: lang is not en", path);
			if (val_get(meta, "tags") != NULL)
				CHECK(tfm_tags_ok(val_get(meta, "tags")),
				    "fm: %s: tags are no lowercase list", path);
			if (val_get(meta, "regions") != NULL)
				CHECK(tfm_regions_ok(val_get(meta, "regions"),
				    regions), "fm: %s: unknown region", path);
			if (val_get(meta, "region") != NULL)
				CHECK(tfm_regions_ok(val_get(meta, "region"),
				    regions), "fm: %s: unknown region", path);
			if (val_get(meta, "country_code") != NULL)
				CHECK(strlen(tfm_str(meta, "country_code")) ==
				    2, "fm: %s: bad country code", path);
		}
		closedir(d);
		CHECK(n == f[i].want, "fm: content/%s: %zu files, want %zu",
		    f[i].folder, n, f[i].want);
	}
	arena_free(a);
}

void
test_fm(void)
{
	tfm_split();
	tfm_scalars();
	tfm_quoted();
	tfm_flow();
	tfm_blocklists();
	tfm_maps();
	tfm_blocks();
	tfm_errors();
	tfm_limits();
	tfm_corpus_samples();
	tfm_corpus();
	tfm_content();
}
