/* test_md.c: table tests of html.c (escaping) and md.c (Markdown, XSS,
 * e-mail protection, hashtags, plain text), and the md golden files. */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "extern.h"
#include "unit.h"

#define GOLDEN_DIR "tests/golden/md"

/* ---- html.c ----------------------------------------------------------- */

struct html_case {
	const char *in;
	const char *want;
};

static void
test_html_table(const char *name,
    void (*fn)(struct buf *, const char *, size_t), const struct html_case *c,
    size_t n)
{
	struct buf b;
	size_t i;

	for (i = 0; i < n; i++) {
		buf_init(&b, 0);
		fn(&b, c[i].in, strlen(c[i].in));
		CHECK(strcmp(buf_cstr(&b), c[i].want) == 0,
		    "%s(\"%s\") = \"%s\", want \"%s\"", name, c[i].in,
		    buf_cstr(&b), c[i].want);
		buf_free(&b);
	}
}

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

void
test_html(void)
{
	static const struct html_case text[] = {
	    {"", ""},
	    {"plain", "plain"},
	    {"a<b>&\"'", "a&lt;b&gt;&amp;&quot;&#39;"},
	    {"<script>alert(1)</script>",
		"&lt;script&gt;alert(1)&lt;/script&gt;"},
	    {"caf\xc3\xa9 = `x`", "caf\xc3\xa9 = `x`"},
	};
	static const struct html_case attr[] = {
	    {"", ""},
	    {"a b", "a b"},
	    {"\" onerror=alert(1)", "&quot; onerror&#61;alert(1)"},
	    {"a=b`c", "a&#61;b&#96;c"},
	    {"x\ny\rz", "x&#10;y&#13;z"},
	    {"tab\there", "tab\there"},
	    {"<'&>", "&lt;&#39;&amp;&gt;"},
	};
	static const struct html_case url[] = {
	    {"javascript:alert(1)", "#"},
	    {"JAVASCRIPT:alert(1)", "#"},
	    {"JaVaScRiPt:alert(1)", "#"},
	    {" javascript:alert(1)", "#"},
	    {"\x01\x02javascript:alert(1)", "#"},
	    {"java\tscript:alert(1)", "#"},
	    {"java\nscript:alert(1)", "#"},
	    {"data:text/html;base64,PHNjcmlwdD4=", "#"},
	    {"vbscript:msgbox(1)", "#"},
	    {"file:///etc/passwd", "#"},
	    {"averyveryverylongscheme:x", "#"},
	    {"", ""},
	    {"relative/page", "relative/page"},
	    {"/a/b?c=d&e", "/a/b?c&#61;d&amp;e"},
	    {"#frag", "#frag"},
	    {"?q=1", "?q&#61;1"},
	    {"//host.example/x", "//host.example/x"},
	    {"annual-report-2024/index.html", "annual-report-2024/index.html"},
	    {"a-very-long-slug-here#top", "a-very-long-slug-here#top"},
	    {"./javascript:x", "./javascript:x"},
	    {"mailto:a@b.org", "mailto:a@b.org"},
	    {"MAILTO:a@b.org", "MAILTO:a@b.org"},
	    {"https://example.org/", "https://example.org/"},
	    {"http://example.org/\"><script>",
		"http://example.org/&quot;&gt;&lt;script&gt;"},
	    {" https://example.org", " https://example.org"},
	};
	static const struct html_case pct[] = {
	    {"", ""},
	    {"AZaz09-._~", "AZaz09-._~"},
	    {"a b&c=d/e?f", "a%20b%26c%3Dd%2Fe%3Ff"},
	    {"caf\xc3\xa9", "caf%C3%A9"},
	    {"@", "%40"},
	};
	static const struct html_case slug[] = {
	    {"", ""},
	    {"Holding back progress: The barriers\xe2\x80\xa6",
		"holding-back-progress-the-barriers"},
	    {"Women\xe2\x80\x99s rights", "womens-rights"},
	    {"Women's rights", "womens-rights"},
	    {"LEF\xc3\x96-IBF", "lef-ibf"},
	    {"  --Hello,  World!-- ", "hello-world"},
	    {"\xe2\x80\x9cQuoted\xe2\x80\x9d", "quoted"},
	    {"2024 Report", "2024-report"},
	};
	size_t i;

	test_html_table("html_text", html_text, text, NELEM(text));
	test_html_table("html_attr", html_attr, attr, NELEM(attr));
	test_html_table("html_url", html_url, url, NELEM(url));
	test_html_table("html_pct", html_pct, pct, NELEM(pct));
	test_html_table("html_slug", html_slug, slug, NELEM(slug));
	for (i = 0; i < NELEM(url); i++)
		CHECK(html_url_ok(url[i].in, strlen(url[i].in)) ==
			(strcmp(url[i].want, "#") != 0),
		    "html_url_ok(\"%s\")", url[i].in);

	/* NUL never reaches HTML, in text or in attributes */
	{
		struct buf b;

		buf_init(&b, 0);
		html_text(&b, "a\0b", 3);
		CHECK(strcmp(buf_cstr(&b),
			  "a\xef\xbf\xbd"
			  "b") == 0,
		    "html_text NUL: %s", buf_cstr(&b));
		buf_reset(&b);
		html_attr(&b, "a\0b", 3);
		CHECK(strcmp(buf_cstr(&b),
			  "a\xef\xbf\xbd"
			  "b") == 0,
		    "html_attr NUL: %s", buf_cstr(&b));
		buf_free(&b);
	}
}

/* ---- md.c helpers ----------------------------------------------------- */

/* The token of the tests: "tok-" and the FNV-1a hash of the address. */
static int
test_token(void *arg, const char *addr, char *tok, size_t toklen)
{
	uint32_t h = 2166136261u;

	(void)arg;
	for (; *addr != '\0'; addr++) {
		h ^= (unsigned char)*addr;
		h *= 16777619u;
	}
	snprintf(tok, toklen, "tok-%08x", (unsigned)h);
	return 0;
}

static int
test_token_fail(void *arg, const char *addr, char *tok, size_t toklen)
{
	(void)arg;
	(void)addr;
	(void)tok;
	(void)toklen;
	return -1;
}

/* Collects the addresses seen, joined by ','. */
static void
test_seen(void *arg, const char *addr)
{
	struct buf *b = arg;

	if (b == NULL)
		return;
	if (b->len > 0)
		buf_putc(b, ',');
	buf_puts(b, addr);
}

/* The button HTML for addr with label (NULL: the default one). */
static void
test_button(struct buf *b, const char *addr, size_t alen, const char *label,
    size_t llen)
{
	char a[300], tok[64];

	snprintf(a, sizeof(a), "%.*s", (int)alen, addr);
	test_token(NULL, a, tok, sizeof(tok));
	buf_printf(b,
	    "<button class=\"email\" type=\"submit\" "
	    "form=\"email-reveal\" name=\"t\" value=\"%s\">",
	    tok);
	if (label != NULL)
		buf_append(b, label, llen);
	else
		buf_puts(b, "show e-mail address");
	buf_puts(b, "</button>");
}

/* Expands "{addr}" and "{addr|Label}" in want into button HTML. */
static char *
test_expand(const char *want)
{
	struct buf b;
	const char *p, *e, *bar;

	buf_init(&b, 0);
	for (p = want; *p != '\0'; p++) {
		if (*p != '{' || (e = strchr(p, '}')) == NULL) {
			buf_putc(&b, *p);
			continue;
		}
		bar = memchr(p, '|', (size_t)(e - p));
		if (bar != NULL)
			test_button(&b, p + 1, (size_t)(bar - p - 1), bar + 1,
			    (size_t)(e - bar - 1));
		else
			test_button(&b, p + 1, (size_t)(e - p - 1), NULL, 0);
		p = e;
	}
	buf_cstr(&b);
	return buf_detach(&b, NULL);
}

enum {
	T_INLINE = 1 << 0,  /* inline_only */
	T_SHIFT = 1 << 1,   /* heading_shift 1 */
	T_NOTAGS = 1 << 2,  /* no hashtag_base */
	T_NOTOKEN = 1 << 3, /* email_token returns -1 */
	T_NULLTOK = 1 << 4, /* email_token is NULL */
	T_MIN2 = 1 << 5,    /* heading_min 2, as pages use */
};

static void
test_opts(struct md_opts *o, int flags, struct buf *seen)
{
	memset(o, 0, sizeof(*o));
	o->hashtag_base = (flags & T_NOTAGS) ? NULL : "/tags/";
	o->email_token = (flags & T_NOTOKEN) ? test_token_fail
	    : (flags & T_NULLTOK)	     ? NULL
					     : test_token;
	o->email_seen = test_seen;
	o->email_arg = seen;
	o->inline_only = (flags & T_INLINE) != 0;
	o->heading_shift = (flags & T_SHIFT) ? 1 : 0;
	o->heading_min = (flags & T_MIN2) ? 2 : 0;
}

/* Renders src with the test options; returns malloc'd HTML or NULL. */
static char *
test_render(const char *src, size_t len, int flags, struct buf *seen)
{
	struct md_opts o;
	struct buf b;

	test_opts(&o, flags, seen);
	buf_init(&b, 0);
	if (md_to_html(src, len, &o, &b) == -1) {
		buf_free(&b);
		return NULL;
	}
	buf_cstr(&b);
	return buf_detach(&b, NULL);
}

/* strstr() without regard to ASCII case. */
static int
test_contains(const char *hay, const char *needle)
{
	size_t i, j, n = strlen(needle);

	for (i = 0; hay[i] != '\0'; i++) {
		for (j = 0; j < n && hay[i + j] != '\0'; j++) {
			char a = hay[i + j], c = needle[j];

			if (a >= 'A' && a <= 'Z')
				a = (char)(a - 'A' + 'a');
			if (c >= 'A' && c <= 'Z')
				c = (char)(c - 'A' + 'a');
			if (a != c)
				break;
		}
		if (j == n)
			return 1;
	}
	return 0;
}

/* Checks that no form of address addr is in html: as written, reversed,
 * with its '@' percent- or entity-encoded, or its local part next to its
 * domain in any way. */
static void
test_no_address(const char *in, const char *html, const char *addr)
{
	char rev[300], enc[400];
	const char *at = strchr(addr, '@');
	static const char *const ats[] = {"%40", "&#64;", "&#x40;", "&#X40;",
	    "&commat;", "[at]", "(at)", " at "};
	size_t i, n = strlen(addr);

	CHECK(!test_contains(html, addr), "address %s in output of \"%s\": %s",
	    addr, in, html);
	for (i = 0; i < n && i < sizeof(rev) - 1; i++)
		rev[i] = addr[n - 1 - i];
	rev[i] = '\0';
	CHECK(!test_contains(html, rev), "reversed %s in output of \"%s\"",
	    addr, in);
	for (i = 0; at != NULL && i < NELEM(ats); i++) {
		snprintf(enc, sizeof(enc), "%.*s%s%s", (int)(at - addr), addr,
		    ats[i], at + 1);
		CHECK(!test_contains(html, enc), "%s in output of \"%s\"", enc,
		    in);
	}
}

/* ---- md.c: rendering tables ------------------------------------------ */

struct md_case {
	const char *in;
	const char *want; /* "{addr}": that address's button */
	int flags;
};

static const struct md_case md_cases[] = {
    /* blocks */
    {"", "", 0},
    {"Hello *world*", "<p>Hello <em>world</em></p>\n", 0},
    {"**b** _i_ ~~d~~ `c`",
	"<p><strong>b</strong> <em>i</em> <del>d</del> <code>c</code>"
	"</p>\n",
	0},
    {"# One\n## Two\n###### Six", "<h1>One</h1>\n<h2>Two</h2>\n<h6>Six</h6>\n",
	0},
    {"# One\n## Two\n###### Six", "<h2>One</h2>\n<h3>Two</h3>\n<h6>Six</h6>\n",
	T_SHIFT},
    {"# One\n## Two\n### Three", "<h2>One</h2>\n<h2>Two</h2>\n<h3>Three</h3>\n",
	T_MIN2},
    {"a\n\n---\n\nb", "<p>a</p>\n<hr>\n<p>b</p>\n", 0},
    {"line one  \nline two\nthree", "<p>line one<br>\nline two\nthree</p>\n",
	0},
    {"> quote\n> > nested",
	"<blockquote>\n<p>quote</p>\n<blockquote>\n<p>nested</p>\n"
	"</blockquote>\n</blockquote>\n",
	0},
    {"- a\n- b", "<ul>\n<li>a</li>\n<li>b</li>\n</ul>\n", 0},
    {"3. c\n4. d", "<ol start=\"3\">\n<li>c</li>\n<li>d</li>\n</ol>\n", 0},
    {"1. a\n   - b", "<ol>\n<li>a<ul>\n<li>b</li>\n</ul>\n</li>\n</ol>\n", 0},
    {"```c\nint x = 1 < 2;\n```",
	"<pre><code class=\"language-c\">int x = 1 &lt; 2;\n</code></pre>\n",
	0},
    {"```language-sh\nls\n```",
	"<pre><code class=\"language-sh\">ls\n</code></pre>\n", 0},
    {"```\"onmouseover=x\nls\n```",
	"<pre><code class=\"language-&quot;onmouseover&#61;x\">ls\n"
	"</code></pre>\n",
	0},
    {"    indented\n", "<pre><code>indented\n</code></pre>\n", 0},
    {"| a | b | c | d |\n|:--|:-:|--:|---|\n| 1 | 2 | 3 | 4 |",
	"<table>\n<thead>\n<tr>\n<th class=\"left\">a</th>\n"
	"<th class=\"center\">b</th>\n<th class=\"right\">c</th>\n"
	"<th>d</th>\n</tr>\n</thead>\n<tbody>\n<tr>\n"
	"<td class=\"left\">1</td>\n<td class=\"center\">2</td>\n"
	"<td class=\"right\">3</td>\n<td>4</td>\n</tr>\n</tbody>\n"
	"</table>\n",
	0},

    /* inline_only */
    {"one *para*", "one <em>para</em>", T_INLINE},
    {"a\n\nb", "<p>a</p>\n<p>b</p>\n", T_INLINE},
    {"# h", "<h1>h</h1>\n", T_INLINE},
    {"- a", "<ul>\n<li>a</li>\n</ul>\n", T_INLINE},

    /* entities */
    {"&amp; &lt; &gt; &quot; &apos; &copy; &mdash; &ndash; &hellip;",
	"<p>&amp; &lt; &gt; &quot; &#39; \xc2\xa9 \xe2\x80\x94 "
	"\xe2\x80\x93 \xe2\x80\xa6</p>\n",
	0},
    {"&lsquo;a&rsquo; &ldquo;b&rdquo;&nbsp;c",
	"<p>\xe2\x80\x98"
	"a\xe2\x80\x99 \xe2\x80\x9c"
	"b\xe2\x80\x9d"
	"\xc2\xa0"
	"c</p>\n",
	0},
    {"&#65;&#x42;&#X43; &#x1F600;", "<p>ABC \xf0\x9f\x98\x80</p>\n", 0},
    {"&#0; &#xD800; &#1114112;",
	"<p>\xef\xbf\xbd \xef\xbf\xbd \xef\xbf\xbd</p>\n", 0},
    {"&foo; &AMP;", "<p>&amp;foo; &amp;AMP;</p>\n", 0},
    {"&#60;script&#62;", "<p>&lt;script&gt;</p>\n", 0},

    /* links and images */
    {"[x](https://example.org/a?b=c&d \"T\")",
	"<p><a href=\"https://example.org/a?b&#61;c&amp;d\" title=\"T\">x"
	"</a></p>\n",
	0},
    {"[rel](../up) [frag](#top) [q](?p=2)",
	"<p><a href=\"../up\">rel</a> <a href=\"#top\">frag</a> "
	"<a href=\"?p&#61;2\">q</a></p>\n",
	0},
    {"[long](annual-report-2024/index.html)",
	"<p><a href=\"annual-report-2024/index.html\">long</a></p>\n", 0},
    {"see www.example.org.",
	"<p>see <a href=\"http://www.example.org\">www.example.org</a>."
	"</p>\n",
	0},
    {"at https://example.org/x now",
	"<p>at <a href=\"https://example.org/x\">https://example.org/x</a>"
	" now</p>\n",
	0},
    {"<https://example.org>",
	"<p><a href=\"https://example.org\">https://example.org</a></p>\n", 0},
    {"![A *cat*](cat.png \"Tom\")",
	"<p><img src=\"cat.png\" alt=\"A cat\" title=\"Tom\" "
	"loading=\"lazy\"></p>\n",
	0},
    {"![a \"q\" ![b](c)](d.png)",
	"<p><img src=\"d.png\" alt=\"a &quot;q&quot; b\" "
	"loading=\"lazy\"></p>\n",
	0},
    {"[![logo](l.png)](/)",
	"<p><a href=\"/\"><img src=\"l.png\" alt=\"logo\" "
	"loading=\"lazy\"></a></p>\n",
	0},
    {"[a *b* `c`](/x)",
	"<p><a href=\"/x\">a <em>b</em> <code>c</code></a></p>\n", 0},
    {"[t](/x \"a\\\"b\")", "<p><a href=\"/x\" title=\"a&quot;b\">t</a></p>\n",
	0},

    /* XSS */
    {"[x](javascript:alert(1))", "<p>x</p>\n", 0},
    {"[x](JaVaScRiPt:alert(1))", "<p>x</p>\n", 0},
    {"[x](&#106;avascript:alert(1))", "<p>x</p>\n", 0},
    {"[x](&#x6A;avascript&colon;alert(1))", "<p>x</p>\n", 0},
    {"[x](java&#9;script:alert(1))", "<p>x</p>\n", 0},
    {"[x](<java\tscript:alert(1)>)", "<p>x</p>\n", 0},
    {"[x]( javascript:alert(1))", "<p>x</p>\n", 0},
    {"[x](vbscript:msgbox(1))", "<p>x</p>\n", 0},
    {"[x](data:text/html;base64,PHNjcmlwdD4=)", "<p>x</p>\n", 0},
    {"[x][r]\n\n[r]: javascript:alert(1)", "<p>x</p>\n", 0},
    {"[*x*](javascript:alert(1))", "<p><em>x</em></p>\n", 0},
    {"<javascript:alert(1)>", "<p>javascript:alert(1)</p>\n", 0},
    {"<script>alert(1)</script>",
	"<p>&lt;script&gt;alert(1)&lt;/script&gt;</p>\n", 0},
    {"<div>\n<script>alert(1)</script>\n</div>",
	"<p>&lt;div&gt;\n&lt;script&gt;alert(1)&lt;/script&gt;\n"
	"&lt;/div&gt;</p>\n",
	0},
    {"<img src=x onerror=alert(1)>",
	"<p>&lt;img src=x onerror=alert(1)&gt;</p>\n", 0},
    {"a <b onmouseover=\"x\">b</b>",
	"<p>a &lt;b onmouseover=&quot;x&quot;&gt;b&lt;/b&gt;</p>\n", 0},
    {"<!-- c --> <?php x ?>", "<p>&lt;!-- c --&gt; &lt;?php x ?&gt;</p>\n", 0},
    {"![x](javascript:alert(1))", "<p>x</p>\n", 0},
    {"![x](JAVASCRIPT:alert(1))", "<p>x</p>\n", 0},
    {"![pic](data:image/svg+xml;base64,PHN2Zz4=)", "<p>pic</p>\n", 0},
    {"![x\"onerror=\"alert(1)](a.png)",
	"<p><img src=\"a.png\" alt=\"x&quot;onerror&#61;&quot;alert(1)\" "
	"loading=\"lazy\"></p>\n",
	0},
    {"[x](/a\"onmouseover=\"alert(1))",
	"<p><a href=\"/a&quot;onmouseover&#61;&quot;alert(1)\">x</a>"
	"</p>\n",
	0},
    {"[x](\"><script>)", "<p><a href=\"&quot;&gt;&lt;script&gt;\">x</a></p>\n",
	0},

    /* hashtags */
    {"#Beijing20 and #APwomen.",
	"<p><a class=\"hashtag\" href=\"/tags/beijing20\">#Beijing20</a> "
	"and <a class=\"hashtag\" href=\"/tags/apwomen\">#APwomen</a>.</p>\n",
	0},
    {"(#Tag) a#b #1x #_x # x",
	"<p>(<a class=\"hashtag\" href=\"/tags/tag\">#Tag</a>) a#b #1x "
	"#_x # x</p>\n",
	0},
    {"#tag_x9! #Women\\_rights",
	"<p><a class=\"hashtag\" href=\"/tags/tag_x9\">#tag_x9</a>! "
	"<a class=\"hashtag\" href=\"/tags/women_rights\">#Women_rights"
	"</a></p>\n",
	0},
    {"#Bei&#106;ing20", /* split by md4c at the entity */
	"<p><a class=\"hashtag\" href=\"/tags/beijing20\">#Beijing20</a>"
	"</p>\n",
	0},
    {"&#35;Tag", "<p><a class=\"hashtag\" href=\"/tags/tag\">#Tag</a></p>\n",
	0},
    {"*x* #a *y*#b",
	"<p><em>x</em> <a class=\"hashtag\" href=\"/tags/a\">#a</a> "
	"<em>y</em>#b</p>\n",
	0},
    {"`#code` [#link](/x)",
	"<p><code>#code</code> <a href=\"/x\">#link</a></p>\n", 0},
    {"```\n#block\n```", "<pre><code>#block\n</code></pre>\n", 0},
    {"## About #NGOs",
	"<h2>About <a class=\"hashtag\" href=\"/tags/ngos\">#NGOs</a>"
	"</h2>\n",
	0},
    {"line\n#Tag",
	"<p>line\n<a class=\"hashtag\" href=\"/tags/tag\">#Tag"
	"</a></p>\n",
	0},
    {"#Tag here", "<p>#Tag here</p>\n", T_NOTAGS},

    /* e-mail addresses */
    {"Write to bob@example.org.", "<p>Write to {bob@example.org}.</p>\n", 0},
    {"Write to Bob@Example.ORG", "<p>Write to {bob@example.org}</p>\n", 0},
    {"<bob@example.org>", "<p>{bob@example.org}</p>\n", 0},
    {"[Bob](mailto:bob@example.org)", "<p>{bob@example.org|Bob}</p>\n", 0},
    {"[Write *us*](mailto:Info@NGO.org?subject=Hello&body=x)",
	"<p>{info@ngo.org|Write us}</p>\n", 0},
    {"[bob@example.org](mailto:bob@example.org)", "<p>{bob@example.org}</p>\n",
	0},
    {"[mail bob@example.org](mailto:bob@example.org)",
	"<p>{bob@example.org}</p>\n", 0},
    {"[us](MAILTO:bob%40example.org)", "<p>{bob@example.org|us}</p>\n", 0},
    {"[us](mailto:a@b.org,c@d.org)", "<p>{a@b.org|us}{c@d.org|us}</p>\n", 0},
    {"[no one](mailto:?subject=x)", "<p>no one</p>\n", 0},
    {"<mailto:bob@example.org?subject=hi>", "<p>{bob@example.org}</p>\n", 0},
    {"bob&#64;example.org", "<p>{bob@example.org}</p>\n", 0},
    {"bob&#x40;example&#46;org", "<p>{bob@example.org}</p>\n", 0},
    {"name [at] example [dot] org", "<p>{name@example.org}</p>\n", 0},
    {"name (at) example (dot) org!", "<p>{name@example.org}!</p>\n", 0},
    {"name at example dot org", "<p>name at example dot org</p>\n", 0},
    {"first_last@example.org", "<p>{first_last@example.org}</p>\n", 0},
    {"`bob@example.org`", "<p><code>{bob@example.org}</code></p>\n", 0},
    {"```\nmail bob@example.org\n```",
	"<pre><code>mail [e-mail address removed]\n</code></pre>\n", 0},
    {"```bob@example.org\nx\n```", "<pre><code>x\n</code></pre>\n", 0},
    {"    bob@example.org\n",
	"<pre><code>[e-mail address removed]\n</code></pre>\n", 0},
    {"[mail bob@example.org](https://example.org/contact)",
	"<p>mail {bob@example.org}</p>\n", 0},
    {"[x](https://example.org/?to=bob@example.org)", "<p>x</p>\n", 0},
    {"[x](https://example.org/?to=bob%40example.org)", "<p>x</p>\n", 0},
    {"[x](/p \"by bob@example.org\")",
	"<p><a href=\"/p\" title=\"by [e-mail address removed]\">x</a>"
	"</p>\n",
	0},
    {"![by bob@example.org](p.png)",
	"<p><img src=\"p.png\" alt=\"by [e-mail address removed]\" "
	"loading=\"lazy\"></p>\n",
	0},
    {"![x](p.png \"bob@example.org\")",
	"<p><img src=\"p.png\" alt=\"x\" title=\"[e-mail address removed]\" "
	"loading=\"lazy\"></p>\n",
	0},
    {"![x](mailto:bob@example.org)", "<p>x</p>\n", 0},
    {"![bob@example.org](javascript:x)", "<p>{bob@example.org}</p>\n", 0},
    {"bob@*example*.org", "<p>[e-mail address removed]<em></em></p>\n", 0},
    {"bob@example.org", "<p>[e-mail address removed]</p>\n", T_NOTOKEN},
    {"[Bob](mailto:bob@example.org)", "<p>[e-mail address removed]</p>\n",
	T_NULLTOK},
    {"bob@example.org", "[e-mail address removed]", T_INLINE | T_NOTOKEN},
    {"@user a@b x@y.z bob.@example.org",
	"<p>@user a@b {x@y.z} bob.@example.org</p>\n", 0},
    {"bob&commat;example&period;org", "<p>{bob@example.org}</p>\n", 0},
};

/* Addresses that must appear in no form in the output of their input. */
static const struct {
	const char *in;
	const char *addr;
} md_email_cases[] = {
    {"Write to bob@example.org.", "bob@example.org"},
    {"Write to BOB@EXAMPLE.ORG", "bob@example.org"},
    {"[Bob](mailto:bob@example.org)", "bob@example.org"},
    {"[Bob](mailto:bob@example.org?subject=Hi%20there)", "bob@example.org"},
    {"[Bob](mailto:bob%40example.org)", "bob@example.org"},
    {"[Bob](mailto:bob&#64;example.org)", "bob@example.org"},
    {"<bob@example.org>", "bob@example.org"},
    {"<mailto:bob@example.org>", "bob@example.org"},
    {"`bob@example.org`", "bob@example.org"},
    {"```\nbob@example.org\n```", "bob@example.org"},
    {"```bob@example.org\n```", "bob@example.org"},
    {"bob [at] example [dot] org", "bob@example.org"},
    {"bob (at) example (dot) org", "bob@example.org"},
    {"bob&#64;example.org", "bob@example.org"},
    {"[bob@example.org](https://example.org)", "bob@example.org"},
    {"[x](https://example.org/bob@example.org)", "bob@example.org"},
    {"https://example.org/?m=bob@example.org", "bob@example.org"},
    {"[x](/p \"bob@example.org\")", "bob@example.org"},
    {"![bob@example.org](x.png)", "bob@example.org"},
    {"| bob@example.org |\n|---|\n| x |", "bob@example.org"},
    {"# bob@example.org", "bob@example.org"},
    {"bob@*example*.org", "bob@example.org"},
    {"**bob**@example.org", "bob@example.org"},
    {"bob@example.org\\", "bob@example.org"},
};

static void
test_md_cases(void)
{
	struct buf seen;
	char *got, *want;
	size_t i;

	for (i = 0; i < NELEM(md_cases); i++) {
		buf_init(&seen, 0);
		got = test_render(md_cases[i].in, strlen(md_cases[i].in),
		    md_cases[i].flags, &seen);
		want = test_expand(md_cases[i].want);
		CHECK(got != NULL && strcmp(got, want) == 0,
		    "md \"%s\":\n got: %s\nwant: %s", md_cases[i].in,
		    got ? got : "(fail)", want);
		free(got);
		free(want);
		buf_free(&seen);
	}
}

static void
test_md_emails(void)
{
	struct buf seen, button;
	char *got;
	size_t i;

	for (i = 0; i < NELEM(md_email_cases); i++) {
		buf_init(&seen, 0);
		got = test_render(md_email_cases[i].in,
		    strlen(md_email_cases[i].in), 0, &seen);
		CHECK(got != NULL, "md \"%s\" failed", md_email_cases[i].in);
		if (got == NULL)
			continue;
		test_no_address(
		    md_email_cases[i].in, got, md_email_cases[i].addr);
		CHECK(strstr(buf_cstr(&seen), md_email_cases[i].addr) != NULL,
		    "\"%s\": %s not seen (%s)", md_email_cases[i].in,
		    md_email_cases[i].addr, buf_cstr(&seen));
		free(got);
		buf_free(&seen);
	}

	/* where a button can be, it is there with the address's token */
	buf_init(&button, 0);
	test_button(&button, "bob@example.org", 15, NULL, 0);
	for (i = 0; i < NELEM(md_email_cases); i++) {
		if (strstr(md_email_cases[i].in, "```") != NULL ||
		    strchr(md_email_cases[i].in, '"') != NULL ||
		    strchr(md_email_cases[i].in, '!') != NULL ||
		    strstr(md_email_cases[i].in, "](http") != NULL ||
		    strstr(md_email_cases[i].in, "*") != NULL ||
		    strstr(md_email_cases[i].in, "[Bob]") != NULL)
			continue;
		got = test_render(md_email_cases[i].in,
		    strlen(md_email_cases[i].in), 0, NULL);
		CHECK(got != NULL && strstr(got, buf_cstr(&button)) != NULL,
		    "no button in output of \"%s\": %s", md_email_cases[i].in,
		    got ? got : "(fail)");
		free(got);
	}
	buf_free(&button);
}

static void
test_md_find_emails(void)
{
	static const struct html_case c[] = {
	    {"", ""},
	    {"mail bob@example.org now", "bob@example.org"},
	    {"Bob.Smith+ngo@Mail.Example.ORG.",
		"bob.smith+ngo@mail.example.org"},
	    {"name [at] example [dot] org", "name@example.org"},
	    {"name (at) example (dot) org", "name@example.org"},
	    {"name [AT] example.org", "name@example.org"},
	    {"name[at]example[dot]co[dot]uk", "name@example.co.uk"},
	    {"name at example dot org", ""},
	    {".bob@example.org", "bob@example.org"},
	    {"bob.@example.org", ""},
	    {"bob@localhost", ""},
	    {"bob@example.c", ""},
	    {"bob@example.org123", ""},
	    {"bob@example.com.123", "bob@example.com"},
	    {"@user and a@b", ""},
	    {"a@b.org,c@d.net;e@f.io", "a@b.org,c@d.net,e@f.io"},
	    {"first_last@example.org", "first_last@example.org"},
	    {"mailto:x-y%z@sub-1.example.org", "x-y%z@sub-1.example.org"},
	    {"(bob@example.org)", "bob@example.org"},
	};
	struct buf seen;
	size_t i;

	for (i = 0; i < NELEM(c); i++) {
		buf_init(&seen, 0);
		md_find_emails(c[i].in, strlen(c[i].in), test_seen, &seen);
		CHECK(strcmp(buf_cstr(&seen), c[i].want) == 0,
		    "md_find_emails(\"%s\") = \"%s\", want \"%s\"", c[i].in,
		    buf_cstr(&seen), c[i].want);
		buf_free(&seen);
	}
	/* the callback may be NULL */
	md_find_emails("a@b.org", 7, NULL, NULL);
}

static void
test_md_text(void)
{
	static const struct html_case c[] = {
	    {"", ""},
	    {"# Title\n\nSome *em* and **strong** text.\n\n- a\n- b",
		"Title Some em and strong text. a b"},
	    {"A &amp; B &copy; &#64; &foo;", "A & B \xc2\xa9 @ &foo;"},
	    {"Write bob@example.org or [us](mailto:a@b.org)",
		"Write [e-mail address removed] or us"},
	    {"bob [at] example [dot] org", "[e-mail address removed]"},
	    {"<b>raw</b> <script>x</script>", "<b>raw</b> <script>x</script>"},
	    {"  spaced \t  out  \n\n  ", "spaced out"},
	    {"![alt text](x.png) [link](http://x) `code`",
		"alt text link code"},
	    {"line  \nbreak", "line break"},
	    {"| a | b |\n|---|---|\n| 1 | 2 |", "a b 1 2"},
	    {"```\ncode bob@x.org\n```", "code [e-mail address removed]"},
	};
	struct buf b;
	size_t i, n;

	for (i = 0; i < NELEM(c); i++) {
		buf_init(&b, 0);
		n = strlen(c[i].in);
		CHECK(md_to_text(c[i].in, n, &b) == 0, "md_to_text failed");
		CHECK(strcmp(buf_cstr(&b), c[i].want) == 0,
		    "md_to_text(\"%s\") = \"%s\", want \"%s\"", c[i].in,
		    buf_cstr(&b), c[i].want);
		buf_free(&b);
	}
	/* text_max: the first blocks only, ending at a block's edge, with
	 * reference links defined further down still resolved */
	{
		static const char doc[] = "First [one][r] here.\n\n"
					  "Second paragraph.\n\n"
					  "Third.\n\n[r]: http://example.org\n";
		struct md_opts o = {0};

		o.text_max = 5;
		buf_init(&b, 0);
		CHECK(md_to_text_opts(doc, strlen(doc), &o, &b) == 0 &&
			strcmp(buf_cstr(&b), "First one here.") == 0,
		    "text_max 5: \"%s\"", buf_cstr(&b));
		buf_reset(&b);
		o.text_max = 0;
		CHECK(md_to_text_opts(doc, strlen(doc), &o, &b) == 0 &&
			strcmp(buf_cstr(&b),
			    "First one here. Second paragraph. Third.") == 0,
		    "text_max 0: \"%s\"", buf_cstr(&b));
		buf_free(&b);
	}
	/* NUL in the input becomes U+FFFD */
	buf_init(&b, 0);
	CHECK(md_to_html("a\0b", 3, NULL, &b) == 0 &&
		strcmp(buf_cstr(&b),
		    "<p>a\xef\xbf\xbd"
		    "b</p>\n") == 0,
	    "md_to_html NUL: %s", buf_cstr(&b));
	buf_reset(&b);
	CHECK(md_to_text("a\0b", 3, &b) == 0 &&
		strcmp(buf_cstr(&b),
		    "a\xef\xbf\xbd"
		    "b") == 0,
	    "md_to_text NUL: %s", buf_cstr(&b));
	buf_free(&b);
}

/* Input limits, overflow and deep nesting. */
static void
test_md_limits(void)
{
	struct md_opts o;
	struct buf b, seen;
	char *src;
	size_t n = ((size_t)1 << 20) + 1, i;
	int rc;

	test_opts(&o, 0, NULL);
	if ((src = malloc(n)) == NULL) {
		CHECK(0, "out of memory");
		return;
	}

	/* over 1 MiB: refused, buffer untouched */
	memset(src, 'a', n);
	buf_init(&b, 0);
	buf_puts(&b, "keep");
	CHECK(md_to_html(src, n, &o, &b) == -1, "over 1 MiB accepted");
	CHECK(strcmp(buf_cstr(&b), "keep") == 0 && !b.err,
	    "failed md_to_html changed the buffer");
	CHECK(md_to_text(src, n, &b) == -1, "over 1 MiB accepted as text");
	CHECK(md_to_html(src, n - 1, &o, &b) == 0 && b.len == 4 + n - 1 + 8,
	    "1 MiB refused (%zu)", b.len);
	buf_free(&b);

	/* output overflow: -1, buffer as it was */
	buf_init(&b, 32);
	buf_puts(&b, "keep");
	CHECK(md_to_html("a long paragraph that does not fit in 32 bytes", 46,
		  &o, &b) == -1,
	    "overflow not reported");
	CHECK(strcmp(buf_cstr(&b), "keep") == 0 && !b.err,
	    "overflow changed the buffer: %s", buf_cstr(&b));
	CHECK(md_to_text("a long paragraph that does not fit in 32 bytes", 46,
		  &b) == -1,
	    "text overflow not reported");
	CHECK(md_to_html("short", 5, &o, &b) == 0 &&
		strcmp(buf_cstr(&b), "keep<p>short</p>\n") == 0,
	    "buffer unusable after overflow: %s", buf_cstr(&b));
	buf_free(&b);

	/* deep nesting of each kind: no crash, bounded state */
	{
		static const char *const units[] = {">", "- ", "[", "![", "*",
		    "**", "~~", "`", "1. ", "(", "<", "[x](", "&#64;", "a@",
		    "#", "| "};
		size_t u, k, ul, depth = 100000;

		for (u = 0; u < NELEM(units); u++) {
			ul = strlen(units[u]);
			for (i = 0, k = 0; k < depth && i + ul < n; k++) {
				memcpy(src + i, units[u], ul);
				i += ul;
			}
			src[i++] = 'x';
			buf_init(&b, 0);
			buf_init(&seen, 0);
			o.email_arg = &seen;
			rc = md_to_html(src, i, &o, &b);
			CHECK(rc == 0, "nesting \"%s\" failed", units[u]);
			buf_free(&b);
			buf_init(&b, 0);
			CHECK(md_to_text(src, i, &b) == 0,
			    "nesting \"%s\" failed as text", units[u]);
			buf_free(&b);
			buf_free(&seen);
		}
	}
	free(src);
}

/* ---- golden files ----------------------------------------------------- */

static int
test_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Renders each GOLDEN_DIR/NAME.md and compares it with NAME.html, or
 * rewrites NAME.html when HERALD_GOLDEN_UPDATE=1. */
static void
test_md_golden(void)
{
	DIR *d;
	struct dirent *de;
	char *names[256], path[1024], *src, *want, *got;
	const char *upd = getenv("HERALD_GOLDEN_UPDATE");
	struct buf found;
	size_t n = 0, i, len, wlen;
	FILE *f;

	if ((d = opendir(GOLDEN_DIR)) == NULL) {
		CHECK(0, "cannot open %s", GOLDEN_DIR);
		return;
	}
	while ((de = readdir(d)) != NULL && n < NELEM(names)) {
		len = strlen(de->d_name);
		if (len > 3 && strcmp(de->d_name + len - 3, ".md") == 0)
			names[n++] = strndup(de->d_name, len - 3);
	}
	closedir(d);
	qsort(names, n, sizeof(names[0]), test_cmp);
	CHECK(n >= 7, "only %zu golden files", n);

	for (i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "%s/%s.md", GOLDEN_DIR, names[i]);
		if ((src = unit_slurp(path, &len)) == NULL) {
			CHECK(0, "cannot read %s", path);
			free(names[i]);
			continue;
		}
		got = test_render(src, len, 0, NULL);
		CHECK(got != NULL, "%s: md_to_html failed", path);
		if (got != NULL) {
			/* whatever the file, no address in its HTML */
			buf_init(&found, 0);
			md_find_emails(got, strlen(got), test_seen, &found);
			CHECK(found.len == 0, "%s: address in output: %s", path,
			    buf_cstr(&found));
			buf_free(&found);
		}
		snprintf(
		    path, sizeof(path), "%s/%s.html", GOLDEN_DIR, names[i]);
		if (got != NULL && upd != NULL && strcmp(upd, "1") == 0) {
			if ((f = fopen(path, "wb")) == NULL ||
			    fwrite(got, 1, strlen(got), f) != strlen(got))
				CHECK(0, "cannot write %s", path);
			else
				fprintf(stderr, "golden: wrote %s\n", path);
			if (f != NULL)
				fclose(f);
		} else if (got != NULL) {
			want = unit_slurp(path, &wlen);
			CHECK(want != NULL && wlen == strlen(got) &&
				memcmp(want, got, wlen) == 0,
			    "%s differs (run make golden after checking)",
			    path);
			free(want);
		}
		free(got);
		free(src);
		free(names[i]);
	}
}

void
test_md(void)
{
	test_md_cases();
	test_md_emails();
	test_md_find_emails();
	test_md_text();
	test_md_limits();
	test_md_golden();
}
