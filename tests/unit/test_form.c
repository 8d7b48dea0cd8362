/* test_form.c: form bodies: urlencoded decoding, multipart parts with
 * files and binary bytes, and the refusals of malformed bodies. */
#include <string.h>

#include "extern.h"
#include "unit.h"

static void
test_form_urlencoded(void)
{
	static const struct {
		const char *body, *name, *want; /* want NULL: absent */
	} cases[] = {
	    {"a=1&b=2", "b", "2"}, {"a=x+y%20z", "a", "x y z"},
	    {"a=%3Cscript%3E", "a", "<script>"}, {"a=%zz", "a", "%zz"},
	    {"a=%4", "a", "%4"}, {"a=&b", "b", ""}, {"a=1&a=2", "a", "1"},
	    {"&&a=1&&", "a", "1"}, {"", "a", NULL}, {"a%3Db=c", "a=b", "c"},
	    {"t=%E2%82%AC", "t", "\xe2\x82\xac"},
	    {"n=a%00b", "n", NULL}, /* a NUL inside: no string */
	};
	struct arena *a = arena_new();
	struct form f;
	const char *got;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		memset(&f, 0, sizeof(f));
		CHECK(form_parse(a, NULL, cases[i].body, strlen(cases[i].body),
			  &f) == 0,
		    "urlencoded %zu parses", i);
		got = form_get(&f, cases[i].name);
		if (cases[i].want == NULL)
			CHECK(got == NULL, "urlencoded %zu: %s absent", i,
			    cases[i].name);
		else
			CHECK(got != NULL && strcmp(got, cases[i].want) == 0,
			    "urlencoded %zu: %s = \"%s\", got \"%s\"", i,
			    cases[i].name, cases[i].want, got ? got : "(null)");
	}
	memset(&f, 0, sizeof(f));
	CHECK(form_parse(a, "text/plain", "a=1", 3, &f) == -1,
	    "another type is refused");
	arena_free(a);
}

static void
test_form_multipart(void)
{
	static const char body[] =
	    "--XyZ\r\n"
	    "Content-Disposition: form-data; name=\"csrf\"\r\n"
	    "\r\n"
	    "tok\r\n"
	    "--XyZ\r\n"
	    "Content-Disposition: form-data; name=\"file\"; "
	    "filename=\"a \\\"b\\\".png\"\r\n"
	    "Content-Type: image/png\r\n"
	    "\r\n"
	    "\x89PNG\r\n\x00\x01--Xy\r\n"
	    "--XyZ\r\n"
	    "Content-Disposition: form-data; name=\"alt\"\r\n"
	    "\r\n"
	    "line one\r\nline two\r\n"
	    "--XyZ--\r\n";
	const char *ct = "multipart/form-data; boundary=XyZ";
	const char *noend = "--XyZ\r\nContent-Disposition: form-data; "
			    "name=\"a\"\r\n\r\nno end";
	const char *noname = "--XyZ\r\nContent-Type: x\r\n\r\nv\r\n--XyZ--";
	struct arena *a = arena_new();
	const struct form_field *ff;
	struct form f;

	memset(&f, 0, sizeof(f));
	CHECK(form_parse(a, ct, body, sizeof(body) - 1, &f) == 0,
	    "multipart parses");
	CHECK(f.n == 3, "three parts, got %zu", f.n);
	CHECK(form_get(&f, "csrf") && strcmp(form_get(&f, "csrf"), "tok") == 0,
	    "text part");
	ff = form_field(&f, "file");
	CHECK(ff != NULL && ff->filename &&
		strcmp(ff->filename, "a \"b\".png") == 0,
	    "file name unquoted");
	CHECK(ff != NULL && ff->len == 12 &&
		memcmp(ff->value, "\x89PNG\r\n\x00\x01--Xy", 12) == 0,
	    "binary bytes kept, a near-boundary inside kept");
	CHECK(ff != NULL && strcmp(ff->ctype, "image/png") == 0, "part type");
	CHECK(form_get(&f, "file") == NULL, "a file is no string");
	CHECK(form_get(&f, "alt") &&
		strcmp(form_get(&f, "alt"), "line one\r\nline two") == 0,
	    "CRLF inside a value kept");

	/* malformed bodies */
	memset(&f, 0, sizeof(f));
	CHECK(form_parse(
		  a, "multipart/form-data", body, sizeof(body) - 1, &f) == -1,
	    "no boundary");
	CHECK(form_parse(a, ct, noend, strlen(noend), &f) == -1,
	    "no closing delimiter");
	CHECK(form_parse(a, ct, noname, strlen(noname), &f) == -1,
	    "a part without a name");
	CHECK(form_parse(a, ct, "garbage", 7, &f) == -1, "no delimiter");
	CHECK(form_parse(a, "multipart/form-data; boundary=\"unterminated",
		  body, sizeof(body) - 1, &f) == -1,
	    "unterminated quoted boundary");
	arena_free(a);
}

static void
test_form_limits(void)
{
	struct arena *a = arena_new();
	struct buf b;
	struct form f;
	int i;

	buf_init(&b, 0);
	for (i = 0; i < 600; i++)
		buf_printf(&b, "k%d=v&", i);
	memset(&f, 0, sizeof(f));
	CHECK(form_parse(a, NULL, b.data, b.len, &f) == -1,
	    "more than 512 fields are refused");
	buf_free(&b);
	arena_free(a);
}

void
test_form(void)
{
	test_form_urlencoded();
	test_form_multipart();
	test_form_limits();
}
