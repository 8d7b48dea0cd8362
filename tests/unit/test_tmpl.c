/* test_tmpl.c: unit tests of tmpl.c (our contexts, limits, errors), the
 * mustache spec files, and json.c. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "extern.h"
#include "unit.h"

#define SPEC_DIR "tests/data/mustache/"

/* Renders src (named "t") with the JSON data; partials are pairs of name and
 * source ending with NULL. Returns malloc'd output (the caller frees it) or
 * NULL when parsing or rendering failed, with the reason in err. */
static char *
render(const char *src, const char *json, unsigned flags,
    const char *const *partials, char *err, size_t errlen)
{
	struct tmpl_set *set;
	struct arena *a;
	struct val *data;
	struct buf out;
	char *res = NULL;

	err[0] = '\0';
	set = tmpl_set_new();
	a = arena_new();
	buf_init(&out, 0);
	if ((data = json_parse(a, json, strlen(json), err, errlen)) == NULL)
		goto done;
	for (; partials != NULL && partials[0] != NULL; partials += 2)
		if (tmpl_set_add(set, partials[0], partials[1],
			strlen(partials[1]), err, errlen) == -1)
			goto done;
	if (tmpl_set_add(set, "t", src, strlen(src), err, errlen) == -1)
		goto done;
	if (tmpl_render(set, "t", data, flags, &out) == -1) {
		snprintf(err, errlen, "render failed");
		goto done;
	}
	res = buf_detach(&out, NULL);
done:
	buf_free(&out);
	arena_free(a);
	tmpl_set_free(set);
	return res;
}

/* The same with a context built in C (for VAL_HTML values). */
static char *
render_val(const char *src, const struct val *data, unsigned flags)
{
	struct tmpl_set *set = tmpl_set_new();
	struct buf out;
	char err[256], *res = NULL;

	buf_init(&out, 0);
	if (tmpl_set_add(set, "t", src, strlen(src), err, sizeof(err)) == 0 &&
	    tmpl_render(set, "t", data, flags, &out) == 0)
		res = buf_detach(&out, NULL);
	buf_free(&out);
	tmpl_set_free(set);
	return res;
}

static void
check_render(const char *src, const char *json, unsigned flags,
    const char *want, int line)
{
	char err[256], *got;

	got = render(src, json, flags, NULL, err, sizeof(err));
	CHECK(got != NULL && strcmp(got, want) == 0,
	    "test_tmpl.c:%d: %s with %s (flags %u): got \"%s\" (%s), "
	    "want \"%s\"",
	    line, src, json, flags, got ? got : "(null)", err, want);
	free(got);
}

/* Escaping by context: {src, data, flags, want}. */
static const struct {
	const char *src, *json;
	unsigned flags;
	const char *want;
} ctx_tests[] = {
    /* text */
    {"<p>{{x}}</p>", "{\"x\":\"<b>&\\\"'\"}", 0,
	"<p>&lt;b&gt;&amp;&quot;&#39;</p>"},
    {"<p>{{x}}</p>", "{\"x\":\"a=b`c\"}", 0, "<p>a=b`c</p>"},
    /* double-quoted, single-quoted and unquoted attribute values */
    {"<a title=\"{{x}}\">", "{\"x\":\"\\\"q' `b` a=b\"}", 0,
	"<a title=\"&quot;q&#39; &#96;b&#96; a&#61;b\">"},
    {"<a title='{{x}}'>", "{\"x\":\"it's \\\"x\\\"\"}", 0,
	"<a title='it&#39;s &quot;x&quot;'>"},
    {"<a title={{x}}>", "{\"x\":\"a b\\tc>d\"}", 0,
	"<a title=a&#32;b&#9;c&gt;d>"},
    {"<a title=x{{x}}>", "{\"x\":\" onclick=alert(1)\"}", 0,
	"<a title=x&#32;onclick&#61;alert(1)>"},
    {"<a title={{x}} id=i>", "{\"x\":\"\"}", 0, "<a title=\"\" id=i>"},
    {"<a title=\"{{x}}\">", "{}", 0, "<a title=\"\">"},
    {"<a title = \"{{x}}\" class={{y}}>", "{\"x\":\"<\",\"y\":\"c d\"}", 0,
	"<a title = \"&lt;\" class=c&#32;d>"},
    /* inside a tag but not in a value: escaped as an attribute */
    {"<div {{x}}>", "{\"x\":\"a=\\\"b\\\"\"}", 0, "<div a&#61;&quot;b&quot;>"},
    {"<{{x}}>", "{\"x\":\"img src=x onerror=alert(1)\"}", 0,
	"<img src&#61;x onerror&#61;alert(1)>"},
    /* URL attributes */
    {"<a href=\"{{u}}\">", "{\"u\":\"javascript:alert(1)\"}", 0,
	"<a href=\"#\">"},
    {"<a href=\"{{u}}\">", "{\"u\":\" JaVaScRiPt:alert(1)\"}", 0,
	"<a href=\"#\">"},
    {"<a href=\"{{u}}\">", "{\"u\":\"java\\tscript:alert(1)\"}", 0,
	"<a href=\"#\">"},
    {"<a href=\"{{u}}\">", "{\"u\":\"java\\nscript:alert(1)\"}", 0,
	"<a href=\"#\">"},
    {"<a href=\"{{u}}\">", "{\"u\":\"\\u0001javascript:alert(1)\"}", 0,
	"<a href=\"#\">"},
    {"<a href=\"{{u}}\">", "{\"u\":\"data:text/html,x\"}", 0, "<a href=\"#\">"},
    {"<a href=\"{{u}}\">", "{\"u\":\"vbscript:x\"}", 0, "<a href=\"#\">"},
    {"<a href=\"{{u}}\">", "{\"u\":\"https://e.org/?a=1&b=\\\"2\\\"\"}", 0,
	"<a href=\"https://e.org/?a&#61;1&amp;b&#61;&quot;2&quot;\">"},
    {"<a href=\"{{u}}\">", "{\"u\":\"HTTP://E.ORG/\"}", 0,
	"<a href=\"HTTP://E.ORG/\">"},
    {"<a href=\"{{u}}\">", "{\"u\":\"mailto:a@b.org\"}", 0,
	"<a href=\"mailto:a@b.org\">"},
    {"<a href=\"{{u}}\">", "{\"u\":\"/tags/c?x#y\"}", 0,
	"<a href=\"/tags/c?x#y\">"},
    {"<a href=\"{{u}}\">", "{\"u\":\"../a:b\"}", 0, "<a href=\"../a:b\">"},
    {"<a href=\"{{u}}\">", "{\"u\":\"introduction-to-herald\"}", 0,
	"<a href=\"introduction-to-herald\">"},
    {"<a href={{u}}>", "{\"u\":\"javascript:alert(1)\"}", 0, "<a href=#>"},
    {"<a href='{{u}}'>", "{\"u\":\"/a b\"}", 0, "<a href='/a b'>"},
    {"<img src=\"{{u}}\" alt=\"{{a}}\">",
	"{\"u\":\"javascript:x\",\"a\":\"javascript:x\"}", 0,
	"<img src=\"#\" alt=\"javascript:x\">"},
    {"<form action=\"{{u}}\"><button formaction=\"{{u}}\">",
	"{\"u\":\"javascript:x\"}", 0,
	"<form action=\"#\"><button formaction=\"#\">"},
    {"<svg><a xlink:href=\"{{u}}\">", "{\"u\":\"javascript:x\"}", 0,
	"<svg><a xlink:href=\"#\">"},
    {"<A HREF=\"{{u}}\">", "{\"u\":\"javascript:x\"}", 0, "<A HREF=\"#\">"},
    /* a literal scheme or path before the variable fixes the scheme */
    {"<a href=\"/tags/{{t}}\">", "{\"t\":\"a:b\"}", 0,
	"<a href=\"/tags/a:b\">"},
    {"<a href=\"mailto:{{t}}\">", "{\"t\":\"a@b\"}", 0,
	"<a href=\"mailto:a@b\">"},
    {"<a href=\"java{{t}}\">", "{\"t\":\"script:alert(1)\"}", 0,
	"<a href=\"java#\">"},
    {"<a href=\"{{a}}{{b}}\">", "{\"a\":\"javascript\",\"b\":\":x\"}", 0,
	"<a href=\"javascript#\">"},
    /* ... but not when it sits in a section that has closed */
    {"<a href=\"{{#s}}/x{{/s}}{{u}}\">", "{\"u\":\"javascript:x\"}", 0,
	"<a href=\"#\">"},
    {"<a href=\"/x{{#s}}{{u}}{{/s}}\">", "{\"s\":true,\"u\":\"javascript:x\"}",
	0, "<a href=\"/xjavascript:x\">"},
    /* other attributes with url-like names are plain */
    {"<a data-href=\"{{u}}\" hreflang=\"{{u}}\">", "{\"u\":\"javascript:x\"}",
	0, "<a data-href=\"javascript:x\" hreflang=\"javascript:x\">"},
    /* a lone '<' or a comparison in text does not open a tag */
    {"a < b {{x}} c", "{\"x\":\"<\"}", 0, "a < b &lt; c"},
    {"<p>1 <2</p><a title=\"{{x}}\">", "{\"x\":\"`\"}", 0,
	"<p>1 <2</p><a title=\"&#96;\">"},
    /* event handlers and attributes with variable names */
    {"<a onclick=\"f('{{x}}')\">", "{\"x\":\"');alert(1);('\"}", 0,
	"<a onclick=\"f('&#39;);alert(1);(&#39;')\">"},
    {"<a onclick=\"f('{{x}}')\">", "{\"x\":\"');alert(1);('\"}", TMPL_STRICT,
	"<a onclick=\"f('')\">"},
    {"<a onclick={{x}} id=i>", "{\"x\":\"y\"}", TMPL_STRICT,
	"<a onclick=\"\" id=i>"},
    {"<a {{n}}=\"{{x}}\">", "{\"n\":\"onclick\",\"x\":\"alert(1)\"}",
	TMPL_STRICT, "<a onclick=\"\">"},
    /* raw text: script, style, comments */
    {"<script>var x = {{x}};</script>", "{\"x\":\"</script>\"}", 0,
	"<script>var x = &lt;/script&gt;;</script>"},
    {"<script>var x = {{x}};</script>", "{\"x\":\"1\"}", TMPL_STRICT,
	"<script>var x = ;</script>"},
    {"<script>{{{x}}}</script>", "{\"x\":\"1\"}", TMPL_STRICT,
	"<script></script>"},
    {"<script type=\"a\">if (a<b) {{x}}</script><p>{{x}}</p>", "{\"x\":\"<\"}",
	TMPL_STRICT, "<script type=\"a\">if (a<b) </script><p>&lt;</p>"},
    {"<SCRIPT>x</SCRIPT >{{x}}", "{\"x\":\"<\"}", TMPL_STRICT,
	"<SCRIPT>x</SCRIPT >&lt;"},
    {"<style>p{color:{{c}}}</style>", "{\"c\":\"red\"}", TMPL_STRICT,
	"<style>p{color:}</style>"},
    {"<style>p{color:{{c}}}</style>", "{\"c\":\"red\"}", 0,
	"<style>p{color:red}</style>"},
    {"<!-- {{x}} --><p>{{x}}</p>", "{\"x\":\"--><b>\"}", TMPL_STRICT,
	"<!--  --><p>--&gt;&lt;b&gt;</p>"},
    {"<!-- {{x}} -->", "{\"x\":\"-->\"}", 0, "<!-- --&gt; -->"},
    {"<!--> {{x}}", "{\"x\":\"<\"}", TMPL_STRICT, "<!--> &lt;"},
    {"<!DOCTYPE html>{{x}}", "{\"x\":\"<\"}", TMPL_STRICT,
	"<!DOCTYPE html>&lt;"},
    {"<title>{{x}}</title>", "{\"x\":\"</title><b>\"}", TMPL_STRICT,
	"<title>&lt;/title&gt;&lt;b&gt;</title>"},
    {"<textarea><a href=\"{{x}}</textarea>", "{\"x\":\"javascript:\"}", 0,
	"<textarea><a href=\"javascript:</textarea>"},
    /* triple and ampersand: raw without TMPL_STRICT (the spec) */
    {"<p>{{{x}}}{{&x}}</p>", "{\"x\":\"<b>\"}", 0, "<p><b><b></p>"},
    /* ... escaped for the context with it, unless VAL_HTML (below) */
    {"<p>{{{x}}}{{&x}}</p>", "{\"x\":\"<b>\"}", TMPL_STRICT,
	"<p>&lt;b&gt;&lt;b&gt;</p>"},
    {"<a href=\"{{{x}}}\" title=\"{{&x}}\">", "{\"x\":\"javascript:x\\\"\"}",
	TMPL_STRICT, "<a href=\"#\" title=\"javascript:x&quot;\">"},
    /* sections and inverted sections inside attributes */
    {"<a class=\"{{#on}}on {{x}}{{/on}}{{^on}}off{{/on}}\" title=\"{{x}}\">",
	"{\"on\":true,\"x\":\"\\\"\"}", 0,
	"<a class=\"on &quot;\" title=\"&quot;\">"},
    {"<a class=\"{{#on}}on {{x}}{{/on}}{{^on}}off{{/on}}\" title=\"{{x}}\">",
	"{\"on\":false,\"x\":\"'\"}", 0, "<a class=\"off\" title=\"&#39;\">"},
    {"<a {{#t}}title=\"{{t}}\"{{/t}} href=\"{{u}}\">{{t}}</a>",
	"{\"t\":\"a<b\",\"u\":\"javascript:x\"}", 0,
	"<a title=\"a&lt;b\" href=\"#\">a&lt;b</a>"},
    {"<ul>{{#l}}<li><a href=\"{{.}}\">{{.}}</a></li>{{/l}}</ul>",
	"{\"l\":[\"/a\",\"javascript:b\"]}", 0,
	"<ul><li><a href=\"/a\">/a</a></li>"
	"<li><a href=\"#\">javascript:b</a></li></ul>"},
    {"<input {{#c}}checked{{/c}} value=\"{{v}}\">", "{\"c\":1,\"v\":\"=\"}", 0,
	"<input checked value=\"&#61;\">"},
    /* values that are no strings */
    {"{{n}} {{f}} {{t}} {{z}} {{l}} {{o}}|",
	"{\"n\":1.5,\"f\":false,\"t\":true,\"z\":null,\"l\":[1],\"o\":{}}", 0,
	"1.5 false true   |"},
    {"{{n}} {{m}} {{k}}", "{\"n\":1e15,\"m\":-0.1,\"k\":100}", 0,
	"1e+15 -0.1 100"},
};

/* Standalone lines, indentation and other parsing details. */
static const struct {
	const char *src, *json, *want;
} misc_tests[] = {
    {"a\n  {{#x}}\n  b\n  {{/x}}\nc\n", "{\"x\":[1,2]}", "a\n  b\n  b\nc\n"},
    {"{{#x}}{{/x}}\n", "{\"x\":1}", "\n"},
    {"{{=| |=}}|x| {{x}} |={{ }}=|{{x}}", "{\"x\":1}", "1 {{x}} 1"},
    {"{{=<% %>=}}<%{x}%>", "{\"x\":\"<\"}", "<"},
    {"{{a.b.c}}|{{#a}}{{b.c}}{{/a}}", "{\"a\":{\"b\":{\"c\":\"d\"}}}", "d|d"},
    {"{{#s}}{{.}}{{/s}}", "{\"s\":\"\"}", ""},
    {"{{^s}}empty{{/s}}", "{\"s\":\"\"}", "empty"},
    {"{{#n}}{{.}}{{/n}}", "{\"n\":0}", "0"},
    {"{{! a }}{{!b}}x", "{}", "x"},
};

/* With partials: {src, json, partials (name, source, ..., NULL), want}. */
static const struct {
	const char *src, *json;
	const char *partials[7];
	const char *want;
} partial_tests[] = {
    /* standalone partials indent each line, nested ones add up */
    {"a\n  {{>p}}\nb\n", "{}", {"p", "x\n  {{>q}}\ny\n", "q", "1\n2\n"},
	"a\n  x\n    1\n    2\n  y\nb\n"},
    /* an inline partial's later lines are its own: not indented */
    {"  {{>p}}\n", "{}", {"p", "x {{>q}} y\nz\n", "q", "1\n2"},
	"  x 1\n2 y\n  z\n"},
    /* empty lines get no trailing white space */
    {"  {{>p}}\n", "{}", {"p", "a\n\nb\n"}, "  a\n\n  b\n"},
    /* the indentation goes before interpolated values, not into them */
    {"\t{{>p}}\n", "{\"v\":\"1\\n2\"}", {"p", "{{v}}\n"}, "\t1\n2\n"},
    /* a page extending a layout */
    {"{{<layout}}\n{{$title}}{{t}} - Site{{/title}}\n{{$body}}\n"
     "<h1>{{t}}</h1>\n<p><a href=\"{{u}}\">x</a></p>\n{{/body}}\n"
     "{{/layout}}\n",
	"{\"t\":\"A<B\",\"u\":\"javascript:x\"}",
	{"layout",
	    "<html>\n<head><title>{{$title}}Site{{/title}}</title>"
	    "</head>\n<body>\n  {{$body}}\n  <p>default</p>\n  {{/body}}\n"
	    "</body>\n</html>\n"},
	"<html>\n<head><title>A&lt;B - Site</title></head>\n<body>\n"
	"  <h1>A&lt;B</h1>\n  <p><a href=\"#\">x</a></p>\n</body>\n"
	"</html>\n"},
    /* the same layout without arguments */
    {"{{<layout}}{{/layout}}", "{}",
	{"layout",
	    "<title>{{$title}}Site{{/title}}</title>\n"
	    "  {{$body}}\n  <p>default</p>\n  {{/body}}\n"},
	"<title>Site</title>\n  <p>default</p>\n"},
    /* partials start in the TEXT state, whatever the caller's state */
    {"<a title=\"{{>p}}\">", "{\"x\":\"'\"}", {"p", "{{x}}"},
	"<a title=\"&#39;\">"},
    {"<script>{{>p}}</script>", "{\"x\":\"<\"}", {"p", "{{x}}"},
	"<script>&lt;</script>"},
    /* a missing partial or parent renders nothing */
    {"[{{>nope}}{{<nope}}{{$a}}x{{/a}}{{/nope}}]", "{}", {NULL}, "[]"},
};

static void
test_tmpl_partials(void)
{
	char err[256], *got;
	size_t i;

	for (i = 0; i < sizeof(partial_tests) / sizeof(partial_tests[0]); i++) {
		got = render(partial_tests[i].src, partial_tests[i].json, 0,
		    partial_tests[i].partials, err, sizeof(err));
		CHECK(got != NULL && strcmp(got, partial_tests[i].want) == 0,
		    "partial test %zu: got \"%s\" (%s), want \"%s\"", i,
		    got ? got : "(null)", err, partial_tests[i].want);
		free(got);
	}
}

static void
test_tmpl_errors(void)
{
	static const struct {
		const char *src, *want;
	} errs[] = {
	    {"{{#a}}", "e:1: unclosed section a"},
	    {"x\n{{#a}}\n{{/b}}",
		"e:3: closing tag b does not match "
		"section a of line 2"},
	    {"{{/a}}", "e:1: closing tag a without a section"},
	    {"a\nb {{x", "e:2: unclosed tag"},
	    {"{{{x}}", "e:1: unclosed tag"},
	    {"{{=<% %>}}", "e:1: unclosed tag"},
	    {"{{= a =}}", "e:1: bad delimiter"},
	    {"{{=a b c=}}", "e:1: bad delimiter"},
	    {"{{=a= b=}}", "e:1: bad delimiter"},
	    {"{{}}", "e:1: empty tag name"},
	    {"{{<p}}{{$b}}{{/p}}",
		"e:1: closing tag p does not match "
		"section b of line 1"},
	};
	struct tmpl_set *set = tmpl_set_new();
	struct buf b;
	char err[256], *big;
	size_t i, n;

	for (i = 0; i < sizeof(errs) / sizeof(errs[0]); i++) {
		CHECK(tmpl_set_add(set, "e", errs[i].src, strlen(errs[i].src),
			  err, sizeof(err)) == -1 &&
			strcmp(err, errs[i].want) == 0,
		    "error for %s: got \"%s\", want \"%s\"", errs[i].src, err,
		    errs[i].want);
		CHECK(
		    !tmpl_set_has(set, "e"), "failed add kept %s", errs[i].src);
	}
	/* A short err buffer gets a truncated message, NULL none. */
	CHECK(tmpl_set_add(set, "e", "{{#a}}", 6, err, 4) == -1 &&
		strcmp(err, "e:1") == 0,
	    "short err: %s", err);
	CHECK(tmpl_set_add(set, "e", "{{#a}}", 6, NULL, 0) == -1, "NULL err");

	/* Nesting: 64 sections parse, 65 do not. */
	buf_init(&b, 0);
	for (n = 64; n <= 65; n++) {
		buf_reset(&b);
		for (i = 0; i < n; i++)
			buf_puts(&b, "{{#a}}");
		for (i = 0; i < n; i++)
			buf_puts(&b, "{{/a}}");
		CHECK((tmpl_set_add(set, "d", b.data, b.len, err,
			   sizeof(err)) == 0) == (n == 64),
		    "depth %zu: %s", n, err);
	}
	buf_free(&b);

	/* Size: 1 MiB parses, one byte more does not. */
	big = malloc(((size_t)1 << 20) + 1);
	memset(big, 'x', ((size_t)1 << 20) + 1);
	CHECK(tmpl_set_add(
		  set, "big", big, (size_t)1 << 20, err, sizeof(err)) == 0,
	    "1 MiB template: %s", err);
	CHECK(tmpl_set_add(set, "big2", big, ((size_t)1 << 20) + 1, err,
		  sizeof(err)) == -1 &&
		strcmp(err,
		    "big2:1: template larger "
		    "than 1 MiB") == 0,
	    "1 MiB + 1 template: %s", err);
	free(big);

	/* Replacing a template by name; a failed replace keeps the old. */
	CHECK(tmpl_set_add(set, "r", "one", 3, err, sizeof(err)) == 0, "r1");
	CHECK(tmpl_set_add(set, "r", "two", 3, err, sizeof(err)) == 0, "r2");
	CHECK(
	    tmpl_set_add(set, "r", "{{#x}}", 6, err, sizeof(err)) == -1, "r3");
	CHECK(tmpl_set_has(set, "r") && !tmpl_set_has(set, "nope"), "has");
	tmpl_set_free(set);
	tmpl_set_free(NULL);
}

static void
test_tmpl_limits(void)
{
	struct tmpl_set *set = tmpl_set_new();
	struct arena *a = arena_new();
	struct val *ctx = val_obj(a), *l = val_list(a);
	struct buf out;
	char err[256];
	int i;

	buf_init(&out, 0);
	/* Partial recursion without end fails, and leaves out untouched. */
	tmpl_set_add(set, "loop", "x{{>loop}}", 10, err, sizeof(err));
	buf_puts(&out, "keep");
	CHECK(tmpl_render(set, "loop", ctx, 0, &out) == -1 &&
		strcmp(buf_cstr(&out), "keep") == 0,
	    "endless partial: %s", buf_cstr(&out));
	/* Recursion that ends renders. */
	tmpl_set_add(
	    set, "node", "{{n}}{{#c}}({{>node}}){{/c}}", 28, err, sizeof(err));
	val_set_int(a, ctx, "n", 1);
	val_set(a, ctx, "c", l);
	val_push(a, l, val_obj(a));
	val_set_int(a, l->u.list.items[0], "n", 2);
	val_set(a, l->u.list.items[0], "c", val_list(a));
	buf_reset(&out);
	CHECK(tmpl_render(set, "node", ctx, 0, &out) == 0 &&
		strcmp(buf_cstr(&out), "1(2)") == 0,
	    "recursion: %s", buf_cstr(&out));
	/* A block that overrides itself ends at the depth limit. */
	tmpl_set_add(set, "p", "{{$b}}d{{/b}}", 13, err, sizeof(err));
	tmpl_set_add(set, "self", "{{<p}}{{$b}}x{{$b}}y{{/b}}{{/b}}{{/p}}", 37,
	    err, sizeof(err));
	buf_reset(&out);
	CHECK(tmpl_render(set, "self", ctx, 0, &out) == -1, "self block");
	/* Missing templates. */
	CHECK(tmpl_render(set, "none", ctx, 0, &out) == -1, "missing");
	/* A capped buffer overflows. */
	tmpl_set_add(
	    set, "long", "{{#c}}0123456789{{/c}}", 22, err, sizeof(err));
	for (i = 0; i < 20; i++)
		val_push(a, l, val_null(a));
	buf_free(&out);
	buf_init(&out, 100);
	CHECK(tmpl_render(set, "long", ctx, 0, &out) == -1 && out.err &&
		out.len == 0,
	    "overflow: len %zu", out.len);
	buf_free(&out);
	buf_init(&out, 1000);
	CHECK(tmpl_render(set, "long", ctx, 0, &out) == 0 && out.len == 210,
	    "no overflow: len %zu", out.len);
	/* Nested loops that write nothing still end. */
	buf_reset(&out);
	tmpl_set_add(set, "loops",
	    "{{#c}}{{#c}}{{#c}}{{#c}}{{#c}}{{#c}}"
	    "{{#c}}{{#c}}{{#c}}{{#c}}{{/c}}{{/c}}{{/c}}{{/c}}{{/c}}{{/c}}{{/c}}"
	    "{{/c}}{{/c}}{{/c}}",
	    120, err, sizeof(err));
	CHECK(tmpl_render(set, "loops", ctx, 0, &out) == -1, "step budget");
	/* NULL data renders like an empty object. */
	tmpl_set_add(set, "n", "[{{x}}{{.}}]", 12, err, sizeof(err));
	buf_reset(&out);
	CHECK(tmpl_render(set, "n", NULL, 0, &out) == 0 &&
		strcmp(buf_cstr(&out), "[]") == 0,
	    "NULL data");
	buf_free(&out);
	arena_free(a);
	tmpl_set_free(set);
}

void
test_tmpl(void)
{
	struct arena *a = arena_new();
	struct val *v = val_obj(a);
	char *got;
	size_t i;

	for (i = 0; i < sizeof(ctx_tests) / sizeof(ctx_tests[0]); i++)
		check_render(ctx_tests[i].src, ctx_tests[i].json,
		    ctx_tests[i].flags, ctx_tests[i].want, (int)i);
	for (i = 0; i < sizeof(misc_tests) / sizeof(misc_tests[0]); i++)
		check_render(misc_tests[i].src, misc_tests[i].json, 0,
		    misc_tests[i].want, (int)i);

	/* Trusted HTML: raw only through the triple form with TMPL_STRICT. */
	val_set(a, v, "h", val_html(a, "<b>\"x\"</b>", 10));
	val_set_str(a, v, "s", "<b>");
	got = render_val("{{{h}}}|{{&h}}|{{h}}|{{{s}}}", v, TMPL_STRICT);
	CHECK(got != NULL &&
		strcmp(got,
		    "<b>\"x\"</b>|<b>\"x\"</b>|"
		    "&lt;b&gt;&quot;x&quot;&lt;/b&gt;|&lt;b&gt;") == 0,
	    "strict html: %s", got);
	free(got);
	got = render_val("<a title=\"{{{h}}}\">", v, TMPL_STRICT);
	CHECK(got != NULL && strcmp(got, "<a title=\"<b>\"x\"</b>\">") == 0,
	    "strict html in attribute: %s", got);
	free(got);
	got = render_val("<script>{{{h}}}</script>", v, TMPL_STRICT);
	CHECK(got != NULL && strcmp(got, "<script></script>") == 0,
	    "strict html in script: %s", got);
	free(got);
	arena_free(a);

	test_tmpl_partials();
	test_tmpl_errors();
	test_tmpl_limits();
}

/* Runs one spec file; returns the number of its tests that passed. */
static void
spec_file(const char *file)
{
	struct arena *a = arena_new();
	struct val *doc, *tests, *t, *partials, *tmpl, *want, *name, *data;
	struct tmpl_set *set;
	struct buf out;
	char path[256], err[256];
	const char *tname;
	size_t len, i, j, passed = 0;
	char *src;
	int ok;

	snprintf(path, sizeof(path), "%s%s", SPEC_DIR, file);
	if ((src = unit_slurp(path, &len)) == NULL) {
		CHECK(0, "cannot read %s", path);
		arena_free(a);
		return;
	}
	doc = json_parse(a, src, len, err, sizeof(err));
	free(src);
	CHECK(doc != NULL, "%s: %s", path, err);
	tests = val_get(doc, "tests");
	if (tests == NULL || tests->type != VAL_LIST) {
		CHECK(0, "%s: no tests", path);
		arena_free(a);
		return;
	}
	buf_init(&out, 0);
	for (i = 0; i < tests->u.list.n; i++) {
		t = tests->u.list.items[i];
		name = val_get(t, "name");
		tname =
		    name != NULL && name->type == VAL_STR ? name->u.str.s : "?";
		tmpl = val_get(t, "template");
		want = val_get(t, "expected");
		data = val_get(t, "data");
		partials = val_get(t, "partials");
		set = tmpl_set_new();
		ok = tmpl != NULL && tmpl->type == VAL_STR && want != NULL &&
		    want->type == VAL_STR;
		err[0] = '\0';
		for (j = 0; ok && partials != NULL &&
		     partials->type == VAL_OBJ && j < partials->u.obj.n;
		     j++) {
			const struct val *p = partials->u.obj.kv[j].v;

			ok = p->type == VAL_STR &&
			    tmpl_set_add(set, partials->u.obj.kv[j].key,
				p->u.str.s, p->u.str.len, err,
				sizeof(err)) == 0;
		}
		/* A name no spec partial uses. */
		ok = ok &&
		    tmpl_set_add(set, "spec test", tmpl->u.str.s,
			tmpl->u.str.len, err, sizeof(err)) == 0;
		buf_reset(&out);
		ok = ok && tmpl_render(set, "spec test", data, 0, &out) == 0;
		ok = ok && out.len == want->u.str.len &&
		    memcmp(buf_cstr(&out), want->u.str.s, out.len) == 0;
		CHECK(ok, "%s: \"%s\": %s\n  got:  \"%s\"\n  want: \"%s\"",
		    file, tname, err, buf_cstr(&out),
		    want ? want->u.str.s : "?");
		passed += ok;
		tmpl_set_free(set);
	}
	printf("mustache: %s: %zu/%zu passed\n", file, passed, tests->u.list.n);
	buf_free(&out);
	arena_free(a);
}

void
test_mustache_spec(void)
{
	static const char *const files[] = {"comments.json", "delimiters.json",
	    "interpolation.json", "inverted.json", "partials.json",
	    "sections.json", "~inheritance.json"};
	size_t i;

	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++)
		spec_file(files[i]);
}

/* Parses in and writes it back; NULL when it does not parse (err set). */
static char *
json_roundtrip(const char *in, size_t len, char *err, size_t errlen)
{
	struct arena *a = arena_new();
	struct val *v;
	struct buf b;
	char *res = NULL;

	buf_init(&b, 0);
	if ((v = json_parse(a, in, len, err, errlen)) != NULL) {
		json_write(&b, v);
		res = buf_detach(&b, NULL);
	}
	buf_free(&b);
	arena_free(a);
	return res;
}

void
test_json(void)
{
	static const struct {
		const char *in, *want;
	} good[] = {
	    {"null", "null"},
	    {" true ", "true"},
	    {"\t\r\nfalse\n", "false"},
	    {"0", "0"},
	    {"-0", "0"},
	    {"85", "85"},
	    {"-12", "-12"},
	    {"1.21", "1.21"},
	    {"1.210", "1.21"},
	    {"0.1", "0.1"},
	    {"1e3", "1000"},
	    {"1E+2", "100"},
	    {"2.5e-3", "0.0025"},
	    {"1e300", "1e+300"},
	    {"1.7976931348623157e308", "1.7976931348623157e+308"},
	    {"5e-324", "4.94065645841247e-324"},
	    {"9007199254740993", "9007199254740992"},
	    {"12345678901234567890", "1.2345678901234567e+19"},
	    {"0.30000000000000004", "0.30000000000000004"},
	    {"[]", "[]"},
	    {"{}", "{}"},
	    {"[1, [2, [3]], {\"a\": []}]", "[1,[2,[3]],{\"a\":[]}]"},
	    {"{\"a\":1,\"b\":{\"c\":null}}", "{\"a\":1,\"b\":{\"c\":null}}"},
	    {"{\"a\":1,\"b\":2,\"a\":3}", "{\"a\":3,\"b\":2}"},
	    {"\"\"", "\"\""},
	    {"\"a\\\"b\\\\c\\/d\"", "\"a\\\"b\\\\c/d\""},
	    {"\"\\b\\f\\n\\r\\t\"", "\"\\b\\f\\n\\r\\t\""},
	    {"\"\\u0041\\u00e9\\u20AC\"", "\"A\xc3\xa9\xe2\x82\xac\""},
	    {"\"\\ud83d\\ude00\"", "\"\xf0\x9f\x98\x80\""},
	    {"\"\\uDBFF\\uDFFF\"", "\"\xf4\x8f\xbf\xbf\""},
	    {"\"\xf0\x9f\x98\x80 \xc3\xa9\"", "\"\xf0\x9f\x98\x80 \xc3\xa9\""},
	    {"\"</script><!--&'\"",
		"\"\\u003c/script\\u003e\\u003c!--\\u0026\\u0027\""},
	    {"\"\\u001f\\u007f\"", "\"\\u001f\x7f\""},
	    {"\"\\u2028\\u2029\"", "\"\\u2028\\u2029\""},
	    {"\xef\xbb\xbf[1]", "[1]"},
	};
	static const struct {
		const char *in, *want;
	} bad[] = {
	    {"", "line 1, column 1: unexpected end of input"},
	    {"   ", "line 1, column 4: unexpected end of input"},
	    {"nul", "line 1, column 1: unexpected character"},
	    {"tru", "line 1, column 1: unexpected character"},
	    {"True", "line 1, column 1: unexpected character"},
	    {"[1,]", "line 1, column 4: unexpected character"},
	    {"[1 2]", "line 1, column 4: ',' or ']' expected"},
	    {"[1", "line 1, column 3: unterminated array"},
	    {"{\"a\" 1}", "line 1, column 6: ':' expected"},
	    {"{\"a\":1,}", "line 1, column 8: string key expected"},
	    {"{a:1}", "line 1, column 2: string key expected"},
	    {"{\"a\":1", "line 1, column 7: unterminated object"},
	    {"{\"a\\u0000\":1}",
		"line 1, column 11: NUL character in "
		"object key"},
	    {"1 2", "line 1, column 3: trailing characters after JSON value"},
	    {"[]]", "line 1, column 3: trailing characters after JSON value"},
	    {"01", "line 1, column 2: trailing characters after JSON value"},
	    {"+1", "line 1, column 1: unexpected character"},
	    {".5", "line 1, column 1: unexpected character"},
	    {"1.", "line 1, column 3: digit expected after decimal point"},
	    {"1e", "line 1, column 3: digit expected in exponent"},
	    {"-", "line 1, column 2: bad number"},
	    {"1e999", "line 1, column 1: number out of range"},
	    {"NaN", "line 1, column 1: unexpected character"},
	    {"\"abc", "line 1, column 5: unterminated string"},
	    {"\"a\nb\"", "line 1, column 3: control character in string"},
	    {"\"\\x\"", "line 1, column 3: bad escape in string"},
	    {"\"\\u12zz\"", "line 1, column 6: bad hex digit in \\u escape"},
	    {"\"\\u12", "line 1, column 4: truncated \\u escape"},
	    {"\"\\ud800\"",
		"line 1, column 8: high surrogate without a "
		"low surrogate"},
	    {"\"\\ud800\\u0041\"",
		"line 1, column 8: high surrogate "
		"without a low surrogate"},
	    {"\"\\udc00\"",
		"line 1, column 2: lone low surrogate in \\u "
		"escape"},
	    {"\"\xc3\"", "line 1, column 2: invalid UTF-8 in string"},
	    {"\"\xc0\xaf\"", "line 1, column 2: invalid UTF-8 in string"},
	    {"\"\xed\xa0\x80\"", "line 1, column 2: invalid UTF-8 in string"},
	    {"\"\xf4\x90\x80\x80\"",
		"line 1, column 2: invalid UTF-8 in "
		"string"},
	    {"\"\xff\"", "line 1, column 2: invalid UTF-8 in string"},
	    {"[\n1,\n  x]", "line 3, column 3: unexpected character"},
	};
	struct arena *a;
	struct val *v;
	struct buf b;
	char err[256], *got, deep[200];
	size_t i;

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		got = json_roundtrip(
		    good[i].in, strlen(good[i].in), err, sizeof(err));
		CHECK(got != NULL && strcmp(got, good[i].want) == 0,
		    "json %s: got %s (%s), want %s", good[i].in,
		    got ? got : "NULL", err, good[i].want);
		free(got);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		got = json_roundtrip(
		    bad[i].in, strlen(bad[i].in), err, sizeof(err));
		CHECK(got == NULL && strcmp(err, bad[i].want) == 0,
		    "json bad %s: got \"%s\", want \"%s\"", bad[i].in, err,
		    bad[i].want);
		free(got);
	}

	/* Embedded NUL: in values kept (length-counted); input not
	 * NUL-terminated is read only up to len. */
	got = json_roundtrip("\"a\\u0000b\"", 10, err, sizeof(err));
	CHECK(got != NULL && strcmp(got, "\"a\\u0000b\"") == 0, "NUL: %s", got);
	free(got);
	got = json_roundtrip("[1]garbage", 3, err, sizeof(err));
	CHECK(got != NULL && strcmp(got, "[1]") == 0, "len: %s", got);
	free(got);
	got = json_roundtrip("1\0", 2, err, sizeof(err));
	CHECK(got == NULL, "NUL after value");
	free(got);

	/* Depth: 64 levels parse, 65 do not. */
	memset(deep, '[', 64);
	memset(deep + 64, ']', 64);
	got = json_roundtrip(deep, 128, err, sizeof(err));
	CHECK(got != NULL && strlen(got) == 128, "depth 64: %s", err);
	free(got);
	memset(deep, '[', 65);
	memset(deep + 65, ']', 65);
	got = json_roundtrip(deep, 130, err, sizeof(err));
	CHECK(got == NULL &&
		strcmp(err,
		    "line 1, column 65: nesting "
		    "deeper than 64 levels") == 0,
	    "depth 65: %s", err);
	free(got);

	/* Writing what did not come from JSON. */
	a = arena_new();
	buf_init(&b, 0);
	v = val_obj(a);
	val_set(a, v, "h", val_html(a, "<b>", 3));
	val_set(a, v, "bad", val_strn(a, "a\xff\xc3(b\xe2\x82", 7));
	val_set(a, v, "inf", val_num(a, 1.0 / 0.0));
	val_set(a, v, "k\"<", val_num(a, -1.5));
	val_set(a, v, "nul", val_strn(a, "\0", 1));
	json_write(&b, v);
	CHECK(strcmp(buf_cstr(&b),
		  "{\"h\":\"\\u003cb\\u003e\","
		  "\"bad\":\"a\\ufffd\\ufffd(b\\ufffd\\ufffd\",\"inf\":null,"
		  "\"k\\\"\\u003c\":-1.5,\"nul\":\"\\u0000\"}") == 0,
	    "write: %s", buf_cstr(&b));
	buf_reset(&b);
	json_write(&b, NULL);
	CHECK(strcmp(buf_cstr(&b), "null") == 0, "write NULL");
	/* A cycle fails the buffer instead of recursing forever. */
	buf_reset(&b);
	v = val_list(a);
	val_push(a, v, v);
	json_write(&b, v);
	CHECK(b.err, "cycle");
	buf_free(&b);
	/* A capped buffer. */
	buf_init(&b, 4);
	json_write(&b, val_str(a, "long string"));
	CHECK(b.err, "json overflow");
	buf_free(&b);

	/* Parse, write, parse again: the same text. */
	{
		const char *in =
		    "{\"t\":\"caf\xc3\xa9 \\ud83d\\ude00\","
		    "\"n\":[0.1,-2,3e-7,1.5e300],\"o\":{\"\":\"\"}}";
		char *w1, *w2;

		w1 = json_roundtrip(in, strlen(in), err, sizeof(err));
		w2 = w1 ? json_roundtrip(w1, strlen(w1), err, sizeof(err))
			: NULL;
		CHECK(w1 && w2 && strcmp(w1, w2) == 0, "roundtrip %s / %s", w1,
		    w2);
		free(w1);
		free(w2);
	}
	arena_free(a);
}
