"""Hostile content comes out inert (the issue: "titles and bodies with
<script>, javascript: links and onerror= attributes come out inert on every
public page, feed and API answer").

The module copies content/ into a temp folder, adds one hostile item of
every kind (news, press release, statement, event, page), a hostile member
and a hostile publication, with script tags, attribute breakers, javascript:
/ vbscript: / data: links (also mixed case, with a tab entity, behind a
reference), SVG onload, CDATA breakers, template braces and U+2028 in every
text field that reaches public output. It starts a server of its own on that
folder (herald init --content DIR) and checks:

- every crawled HTML page (plus search answers, reflected queries): no
  runnable <script> (JSON-LD only, valid JSON with no "</"), no on*=
  attribute, no javascript:/vbscript:/data: URL, no iframe/object/embed/
  frame/base; a CSP with default-src 'none' and no unsafe-inline;
- that each hostile value is shown on its page as escaped text (so the
  checks fail if the item were dropped instead of escaped);
- every Atom feed (site, kinds, tags, regions): well-formed XML, feedparser
  reads it without error, entry titles equal the hostile title as text,
  type="html" content and summaries are inert HTML; the JSON Feed likewise;
- /events.ics and /events/SLUG.ics: the text is there, no line injection;
- /sitemap.xml is well-formed;
- /api/v1/items (every page) and /api/v1/items/ID: JSON, the strings hold
  the text, *_html fields are inert, application/json and nosniff.

The checker itself is tested on known-bad HTML (test_checker_*).
"""

import html
import json
import os
import re
import shutil
import urllib.parse
import xml.etree.ElementTree as ET
from html.parser import HTMLParser

import feedparser
import pytest

import sitecrawl
from conftest import ROOT, Herald

# -- the payloads ------------------------------------------------------------

# Every field gets a marker of its own followed by PAYLOAD, so that a failing
# "visible" check says which field went missing.
PAYLOAD = ("<script>alert(1)</script> \"><img src=x onerror=alert(1)> "
           "' onmouseover='alert(1) </title><script>alert(2)</script> "
           "]]></content><script>alert(3)</script> <svg onload=alert(1)> "
           "<a href=\"javascript:alert(1)\">a</a> "
           "<iframe src=\"javascript:alert(1)\"></iframe> "
           "{{ mustache }} {{{x}}} \u2028 end")
SCRIPT_TEXT = "<script>alert(1)</script>"

# Markdown body: links with hostile schemes and raw HTML (raw HTML is off).
BODY = """BODYMARK <script>alert(1)</script> and \
<a href="javascript:alert(1)">raw link</a> and <svg onload=alert(1)> and \
<img src=x onerror=alert(1)> and <iframe src="javascript:alert(1)"></iframe>

[click](javascript:alert(1)) [x](JaVaScRiPt:alert(1)) \
[x](java&#x09;script:alert(1)) [x](&#106;avascript:alert(1)) \
[x](&#x6A;avascript&#x3A;alert(1)) [d](data:text/html;base64,\
PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==) [v](vbscript:msgbox(1)) \
[ws]( javascript:alert(1)) [nl](<java
script:alert(1)>) ![img](javascript:alert(1)) \
![alt" onerror="alert(1)](x.png) <javascript:alert(1)> [ref][r] \
[q](https://example.org/"onmouseover="alert(1)) \
[t](https://example.org/ "title\\" onmouseover=\\"alert(1)")

[r]: javascript:alert(1)

"><img src=x onerror=alert(1)> ' onmouseover='alert(1) \
</title><script>alert(2)</script> ]]></content><script>alert(3)</script> \
{{ mustache }} {{{x}}} \u2028 <style>body{}</style> \
<object data="javascript:alert(1)"></object> <embed src="x.swf"> \
<base href="javascript:alert(1)//"> <form action="javascript:alert(1)">\
<button formaction="javascript:alert(1)">b</button></form>

`<script>alert(1)</script>` in code

    <script>alert(1)</script> indented code

<!-- <script>alert(1)</script> --> <![CDATA[ <script>alert(1)</script> ]]>

#xsstag end of body
"""

TAGS = [SCRIPT_TEXT, "\"><img src=x onerror=alert(1)>",
        "javascript:alert(1)"]

KIND_DIRS = {"news": "news", "press-release": "press-releases",
             "statement": "statements", "event": "events", "page": "pages"}
ITEMS = {  # kind -> slug
    "news": "xss-news", "press-release": "xss-press-release",
    "statement": "xss-statement", "event": "xss-event", "page": "xss-page",
}
MEMBER = "xss-member"
PUB = "xss-pub"


def item_path(kind, slug):
    return "/" + slug if kind == "page" else "/%s/%s" % (KIND_DIRS[kind],
                                                         slug)


def title_of(kind):
    return "T-%s %s" % (kind.upper(), PAYLOAD)


def summary_of(kind):
    return "S-%s %s" % (kind.upper(), PAYLOAD)


EVENT_PLACE = {
    "venue": "VENUE " + PAYLOAD + "\nURL:javascript:alert(1)",
    "city": "CITY " + PAYLOAD,
    "country": "COUNTRY " + PAYLOAD,
}
MEMBER_FIELDS = {
    "name": "M-NAME " + PAYLOAD,
    "acronym": "M-ACR " + SCRIPT_TEXT + " \"'><svg onload=alert(1)>",
    "country": "M-COUNTRY " + PAYLOAD,
    "website": "https://example.org/\"><script>alert(1)</script>"
               "'onmouseover='alert(1)",
}
BLOCK_TITLE = "K-TITLE " + PAYLOAD
CONTACT = {"name": "C-NAME " + PAYLOAD, "role": "C-ROLE " + PAYLOAD,
           "phone": "+66 1 <script>alert(1)</script>",
           "email": "jasmin.qureshi@example.org",
           "intro": "C-INTRO " + PAYLOAD}
PUB_TITLE = "P-TITLE " + PAYLOAD
PUB_SUMMARY = "P-SUMMARY " + PAYLOAD


def q(s):
    """A double-quoted front-matter scalar (src/fm.c's escapes)."""
    out = []
    for ch in s:
        if ch == "\\":
            out.append("\\\\")
        elif ch == '"':
            out.append('\\"')
        elif ch == "\n":
            out.append("\\n")
        elif ord(ch) < 0x20 or ord(ch) >= 0x7f:
            out.append("\\u%04x" % ord(ch))
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


def qlist(items):
    return "[" + ", ".join(q(s) for s in items) + "]"


def write(path, meta, body=""):
    lines = ["---"]
    for k, v in meta:
        lines.append("%s: %s" % (k, v))
    lines.append("---")
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        f.write("\n".join(lines) + "\n\n" + body)


def build_content(dest):
    shutil.copytree(os.path.join(ROOT, "content"), dest)
    for i, (kind, slug) in enumerate(sorted(ITEMS.items())):
        meta = [("title", q(title_of(kind))), ("slug", slug),
                ("date", "2024-01-0%dT09:00:00+07:00" % (i + 1)),
                ("summary", q(summary_of(kind))),
                ("tags", qlist(TAGS + ["xss"])),
                ("regions", "[global]"), ("lang", "en")]
        if kind == "event":
            meta += [("start", q("2030-02-01")), ("end", q("2030-02-02")),
                     ("timezone", "Asia/Bangkok")]
            meta += [(k, q(v)) for k, v in EVENT_PLACE.items()]
        write(os.path.join(dest, KIND_DIRS[kind], slug + ".md"), meta,
              BODY.replace("BODYMARK", "B-" + kind.upper()))
    # the about block and the media contact, shown on every press release
    write(os.path.join(dest, "blocks", "about-us.md"),
          [("title", q(BLOCK_TITLE))], BODY.replace("BODYMARK", "B-BLOCK"))
    write(os.path.join(dest, "contacts", "jasmin-qureshi.md"),
          [(k, q(v)) for k, v in CONTACT.items()])
    write(os.path.join(dest, "members", MEMBER + ".md"),
          [(k, q(v)) for k, v in MEMBER_FIELDS.items()] +
          [("slug", MEMBER), ("country_code", "DE"), ("region", "europe")],
          BODY.replace("BODYMARK", "B-MEMBER"))
    write(os.path.join(dest, "publications", PUB + ".md"),
          [("title", q(PUB_TITLE)), ("slug", PUB), ("year", q("2020")),
           ("lang", "en"), ("summary", q(PUB_SUMMARY)),
           ("tags", qlist(TAGS)), ("regions", "[global]")],
          BODY.replace("BODYMARK", "B-PUB"))


# -- the checker ---------------------------------------------------------------

BAD_SCHEMES = ("javascript:", "vbscript:", "data:")
URL_ATTRS = {"href", "src", "action", "formaction", "data", "poster",
             "background", "cite", "codebase", "xlink:href", "lowsrc",
             "dynsrc", "manifest", "ping", "longdesc"}
BANNED_TAGS = {"iframe", "frame", "frameset", "object", "embed", "applet",
               "base"}
CTRL_RE = re.compile(r"[\x00-\x20\x7f]+")


def bad_scheme(value):
    """The hostile scheme of a URL (already HTML-unescaped once by the
    parser), as a browser reads it, or None."""
    for v in (value, html.unescape(value)):
        v = CTRL_RE.sub("", v).lower()
        for s in BAD_SCHEMES:
            if v.startswith(s):
                return s
    return None


class Inert(HTMLParser):
    """Reads one HTML text and lists what could run in it."""

    def __init__(self, text):
        super().__init__(convert_charrefs=True)
        self.problems = []
        self._script = None        # [attrs, parts] of the open <script>
        self.jsonld = []
        self.feed(text)
        self.close()
        if self._script is not None:
            self.problems.append("unclosed <script>")

    def handle_starttag(self, tag, attrs):
        self._tag(tag, attrs)

    def handle_startendtag(self, tag, attrs):
        self._tag(tag, attrs)
        if tag == "script" and self._script is not None:
            self._end_script()

    def _tag(self, tag, attrs):
        a = {}
        for k, v in attrs:
            k = k.lower()
            v = v or ""
            a.setdefault(k, v)
            if k.startswith("on"):
                self.problems.append("<%s %s=%r>" % (tag, k, v))
            if k in URL_ATTRS or k.endswith(":href"):
                s = bad_scheme(v)
                if s:
                    self.problems.append("<%s %s=%r> (%s URL)"
                                         % (tag, k, v, s))
            if k == "srcset":
                for u in sitecrawl.srcset_urls(v):
                    if bad_scheme(u):
                        self.problems.append("<%s srcset=%r>" % (tag, v))
            if k == "style" and re.search(r"expression|javascript:|url\(",
                                          v, re.I):
                self.problems.append("<%s style=%r>" % (tag, v))
        if tag in BANNED_TAGS:
            self.problems.append("<%s> element" % tag)
        if tag == "meta" and a.get("http-equiv", "").lower() == "refresh":
            self.problems.append("<meta http-equiv=refresh %r>"
                                 % a.get("content"))
        if tag == "script":
            if a.get("type", "").strip().lower() != "application/ld+json" \
                    or "src" in a:
                self.problems.append("<script %r> element" % (a,))
            self._script = [a, []]

    def handle_endtag(self, tag):
        if tag == "script" and self._script is not None:
            self._end_script()

    def _end_script(self):
        a, parts = self._script
        self._script = None
        text = "".join(parts)
        if a.get("type", "").strip().lower() == "application/ld+json":
            if "</" in text:
                self.problems.append("JSON-LD holds '</': %r" % text[:200])
            try:
                self.jsonld.append(json.loads(text))
            except ValueError as e:
                self.problems.append("JSON-LD does not parse (%s): %r"
                                     % (e, text[:200]))

    def handle_data(self, data):
        if self._script is not None:
            self._script[1].append(data)


RAW_SCRIPT_RE = re.compile(r"<script\b(?![^>]*type=\"application/ld\+json\")",
                           re.I)


def problems(text):
    """What could run in an HTML text: a list of strings, empty if inert."""
    p = Inert(text).problems
    if RAW_SCRIPT_RE.search(text):
        p.append("raw <script> tag in the source: %r"
                 % RAW_SCRIPT_RE.search(text).group(0))
    return p


def assert_inert(text, what):
    p = problems(text)
    assert not p, "%s is not inert:\n  %s" % (what, "\n  ".join(p))


def text_of(htmltext):
    return sitecrawl.norm_space(sitecrawl.Doc(htmltext).text)


def nsp(s):
    return sitecrawl.norm_space(s)


ESC_SCRIPT_RE = re.compile(r"(&lt;|&#0*60;|&#x0*3c;)script(&gt;|&#0*62;|"
                           r"&#x0*3e;|>)alert\(1\)(&lt;|&#0*60;|&#x0*3c;)"
                           r"/script", re.I)


# -- meta-tests of the checker ----------------------------------------------

KNOWN_BAD = [
    "<p>x<script>alert(1)</script></p>",
    "<SCRIPT SRC=//evil></SCRIPT>",
    "<script type=\"application/ld+json\">{\"a\":\"</script>",
    "<script type=\"application/ld+json\">{not json}</script>",
    "<script type=\"application/ld+json\" src=\"x.js\"></script>",
    "<img src=x onerror=alert(1)>",
    "<svg onload=alert(1)>",
    "<a href=\"#\" onmouseover='alert(1)'>x</a>",
    "<a href=\"javascript:alert(1)\">x</a>",
    "<a href=\"JaVaScRiPt:alert(1)\">x</a>",
    "<a href=\"java&#x09;script:alert(1)\">x</a>",
    "<a href=\"&#106;avascript:alert(1)\">x</a>",
    "<a href=\" \x01javascript:alert(1)\">x</a>",
    "<a href=\"vbscript:msgbox(1)\">x</a>",
    "<iframe src=\"data:text/html,x\"></iframe>",
    "<img src=\"data:image/svg+xml,<svg onload=alert(1)>\">",
    "<form action=\"javascript:alert(1)\"><button formaction="
    "\"javascript:x\">b</button></form>",
    "<object data=\"x\"></object>",
    "<embed src=\"x\">",
    "<base href=\"//evil/\">",
    "<meta http-equiv=\"refresh\" content=\"0;url=javascript:alert(1)\">",
    "<p title=\"\"><script>alert(1)</script>\">",
]


@pytest.mark.parametrize("bad", KNOWN_BAD)
def test_checker_flags_known_bad_html(bad):
    assert problems(bad), "the checker missed: %r" % bad


def test_checker_passes_escaped_html():
    good = ("<!doctype html><title>&lt;script&gt;alert(1)&lt;/script&gt;"
            "</title><p>&lt;script&gt;alert(1)&lt;/script&gt;</p><p title=\"&quot;&gt;&lt;img src=x onerror=alert(1)&gt;"
            "\">&lt;svg onload=alert(1)&gt; <a href=\"#\">javascript:x</a>"
            "<a href=\"/tags/javascript-alert-1\">t</a></p>"
            "<script type=\"application/ld+json\">{\"h\":\"\\u003c/script"
            "\\u003e\"}</script>")
    assert problems(good) == []
    assert "<script>alert(1)</script>" in text_of(good)
    assert ESC_SCRIPT_RE.search(good)


def test_checker_flags_the_hostile_payload_itself():
    """Were the server to print the payloads raw, the checks would fail."""
    assert problems("<h1>%s</h1>" % PAYLOAD)
    assert problems("<p>%s</p>" % BODY)
    assert problems("<a title='%s'>x</a>" % MEMBER_FIELDS["website"])


def test_front_matter_quoting_round_trips():
    s = q(PAYLOAD + "\\ \" \n \t")
    assert s.startswith('"') and s.endswith('"') and "\n" not in s
    assert "\\u2028" in s


# -- the server ---------------------------------------------------------------

class XssSite:
    def __init__(self, h, crawl):
        self.h = h
        self.crawl = crawl


@pytest.fixture(scope="module")
def xs(tmp_path_factory):
    dest = str(tmp_path_factory.mktemp("xss") / "content")
    build_content(dest)
    h = Herald(content=dest).start()
    try:
        crawl = sitecrawl.crawl(h.base)
        yield XssSite(h, crawl)
    finally:
        h.check_stop()


def get(xs, path, status=200):
    r = xs.h.get(path)
    assert r.status == status, "%s answered %d: %s" % (path, r.status,
                                                       r.text[:300])
    return r


# -- HTML pages ---------------------------------------------------------------

HOSTILE_PAGES = [item_path(k, s) for k, s in sorted(ITEMS.items())] + [
    "/members/" + MEMBER, "/publications/" + PUB]


def test_crawl_reached_the_hostile_pages(xs):
    assert not xs.crawl.truncated
    paths = set(xs.crawl.pages)
    missing = [p for p in HOSTILE_PAGES if p not in paths]
    assert not missing, "the crawl never reached %s" % missing
    tagpages = [p for p in paths if p.startswith("/tags/") and
                "script" in p]
    assert tagpages, "no hostile tag page was crawled: %s" % sorted(
        p for p in paths if p.startswith("/tags/"))


def test_every_crawled_html_page_is_inert(xs):
    pages = xs.crawl.html_pages()
    assert len(pages) > 30
    bad = []
    for p in pages:
        for prob in problems(p.text):
            bad.append("%s: %s" % (p.path, prob))
    assert not bad, "%d problems:\n%s" % (len(bad), "\n".join(bad[:60]))


def test_every_crawled_answer_is_200(xs):
    # x.png is the target of a hostile image in the bodies: no such file
    broken = [(p.path, p.status) for p in xs.crawl.broken()
              if not p.path.endswith("/x.png")]
    assert not broken, broken


def test_html_pages_have_a_strict_csp(xs):
    bad = []
    for p in xs.crawl.html_pages():
        csp = p.headers.get("content-security-policy", "")
        dirs = {}
        for d in csp.split(";"):
            parts = d.strip().split()
            if parts:
                dirs[parts[0].lower()] = [x.lower() for x in parts[1:]]
        if dirs.get("default-src") != ["'none'"] or \
                "unsafe-inline" in csp.lower() or \
                "unsafe-eval" in csp.lower():
            bad.append("%s: %r" % (p.path, csp))
        if p.headers.get("x-content-type-options", "").lower() != "nosniff":
            bad.append("%s: no nosniff" % p.path)
    assert not bad, "\n".join(bad[:40])


def visible(text, raw, marker, what):
    """marker + the payload's first words are on the page as text."""
    want = nsp(marker + " " + SCRIPT_TEXT)
    assert want in text, "%s: %r is not shown as text" % (what, want)
    starts = [m.start() for m in re.finditer(re.escape(marker), raw)]
    assert starts, "%s: %r not in the source" % (what, marker)
    assert any(ESC_SCRIPT_RE.match(raw, i + len(marker) + 1)
               for i in starts), (
        "%s: the script tag after %r is not HTML-escaped in the source: %r"
        % (what, marker, [raw[i:i + 80] for i in starts]))


@pytest.mark.parametrize("kind", sorted(ITEMS))
def test_item_page_shows_the_payloads_as_text(xs, kind):
    path = item_path(kind, ITEMS[kind])
    r = get(xs, path)
    assert_inert(r.text, path)
    doc = sitecrawl.Doc(r.text)
    t = nsp(doc.text)
    title = nsp(title_of(kind))
    assert doc.title.startswith(title[:60]) or title[:60] in doc.title, (
        "%s: <title> %r" % (path, doc.title))
    assert any(title in nsp(h) for h in doc.h1_texts), (path, doc.h1_texts)
    visible(t, r.text, "T-" + kind.upper(), path + " title")
    visible(t, r.text, "S-" + kind.upper(), path + " summary")
    visible(t, r.text, "B-" + kind.upper(), path + " body")
    # the link text of the hostile Markdown links is kept, the link is not
    assert "click" in t and "raw link" in t
    assert "javascript:alert(1)" in t     # the autolink / raw tag as text
    if kind == "event":
        for k, v in EVENT_PLACE.items():
            visible(t, r.text, v.split()[0], "%s %s" % (path, k))
    if kind == "press-release":
        visible(t, r.text, "B-BLOCK", path + " about block")
        for k in ("name", "role", "intro"):
            visible(t, r.text, CONTACT[k].split()[0], "%s contact %s"
                    % (path, k))


def test_member_page_shows_the_payloads_as_text(xs):
    path = "/members/" + MEMBER
    r = get(xs, path)
    assert_inert(r.text, path)
    t = text_of(r.text)
    visible(t, r.text, "M-NAME", path + " name")
    visible(t, r.text, "B-MEMBER", path + " body")
    assert nsp(MEMBER_FIELDS["acronym"]) in t, path + " acronym"
    doc = sitecrawl.Doc(r.text)
    hrefs = [a[0] for a in doc.anchors]
    assert MEMBER_FIELDS["website"] in hrefs, (
        "%s: the website is not linked as it is: %s" % (path, hrefs))
    # the members listing shows the name too
    r = get(xs, "/members/")
    assert_inert(r.text, "/members/")
    visible(text_of(r.text), r.text, "M-NAME", "/members/ name")


def test_publication_page_shows_the_payloads_as_text(xs):
    path = "/publications/" + PUB
    r = get(xs, path)
    assert_inert(r.text, path)
    t = text_of(r.text)
    visible(t, r.text, "P-TITLE", path + " title")
    visible(t, r.text, "P-SUMMARY", path + " summary")
    visible(t, r.text, "B-PUB", path + " body")


def test_checker_bites_on_a_real_page_unescaped(xs):
    """The real hostile page with its escaping undone must be flagged, and
    the visible-text check must fail if the item were dropped."""
    path = item_path("news", ITEMS["news"])
    r = get(xs, path)
    broken = r.text.replace("&lt;", "<").replace("&gt;", ">") \
        .replace("&quot;", '"').replace("&#39;", "'")
    p = problems(broken)
    assert any("onerror" in x for x in p) and \
        any("<script" in x for x in p) and \
        any("javascript" in x for x in p), p
    dropped = r.text.replace("T-NEWS", "T-GONE")
    with pytest.raises(AssertionError):
        visible(text_of(dropped), dropped, "T-NEWS", path)
    unescaped_only = r.text.replace("T-NEWS &lt;script&gt;",
                                    "T-NEWS <b>script&gt;")
    with pytest.raises(AssertionError):
        visible(text_of(unescaped_only), unescaped_only, "T-NEWS", path)


def test_jsonld_holds_the_title_as_data(xs):
    path = item_path("news", ITEMS["news"])
    r = get(xs, path)
    ins = Inert(r.text)
    assert not ins.problems, ins.problems
    if not ins.jsonld:
        pytest.skip("no JSON-LD on item pages")
    blob = json.dumps(ins.jsonld, ensure_ascii=False)
    assert "T-NEWS " + SCRIPT_TEXT in blob, blob[:500]


def test_tag_pages_show_the_tag_names_as_text(xs):
    r = get(xs, "/tags/")
    assert_inert(r.text, "/tags/")
    t = text_of(r.text)
    for tag in TAGS:
        assert nsp(tag) in t, "/tags/: tag %r not shown" % tag
    slugs = sorted(set(re.findall(r'href="/tags/([^/"#?]+)"', r.text)))
    hostile = [s for s in slugs if "script" in s or "onerror" in s]
    assert hostile, slugs
    for s in hostile:
        path = "/tags/" + s
        r = get(xs, path)
        assert_inert(r.text, path)
        assert "T-NEWS " + SCRIPT_TEXT in text_of(r.text), path


SEARCHES = ["alert", "script", SCRIPT_TEXT, "\"><img src=x onerror=alert(1)>",
            "javascript:alert(1)", "' onmouseover='alert(1)",
            "</title><script>alert(1)</script>", "{{{x}}}",
            "\u2028<svg onload=alert(1)>"]


@pytest.mark.parametrize("query", SEARCHES)
def test_search_answers_are_inert(xs, query):
    path = "/search?" + urllib.parse.urlencode({"q": query})
    r = xs.h.get(path)
    assert r.status in (200, 400), (path, r.status)
    assert r.header("Content-Type", "").startswith("text/html"), path
    assert_inert(r.text, path)
    if query in ("alert", "script"):
        assert r.status == 200
        doc = sitecrawl.Doc(r.text)
        hrefs = {urllib.parse.urlsplit(a[0]).path for a in doc.anchors}
        found = [p for p in HOSTILE_PAGES if p in hrefs]
        assert found, "%s: no hostile item among the results" % path
    # every link to more results is inert too
    for href in re.findall(r'href="(/search\?[^"]*)"', r.text):
        p2 = html.unescape(href)
        r2 = xs.h.get(p2)
        assert_inert(r2.text, p2)


REFLECTED = ["/search?q=%3Cscript%3Ealert(1)%3C/script%3E&kind=%22%3E%3Csvg"
             "%20onload=alert(1)%3E",
             "/search?q=x&page=%22%3E%3Cscript%3Ealert(1)%3C/script%3E",
             "/news/?page=%22%3E%3Cscript%3E",
             "/%3Cscript%3Ealert(1)%3C/script%3E",
             "/news/%22%3E%3Cimg%20src=x%20onerror=alert(1)%3E",
             "/tags/%3Cscript%3Ealert(1)%3C%2Fscript%3E",
             "/events/javascript:alert(1)"]


@pytest.mark.parametrize("path", REFLECTED)
def test_reflected_urls_are_inert(xs, path):
    r = xs.h.get(path)
    ctype = r.header("Content-Type", "")
    if ctype.startswith("text/html"):
        assert_inert(r.text, path)
    assert "<script>alert" not in r.text, path
    assert "onerror=alert" not in r.text.replace("onerror=alert(1)&gt;", ""), \
        path


# -- feeds ------------------------------------------------------------------

ATOM = "{http://www.w3.org/2005/Atom}"


def all_atom_feeds(xs):
    feeds = ["/feed.atom", "/news/feed.atom", "/press-releases/feed.atom",
             "/statements/feed.atom", "/events/feed.atom"]
    for index in ("tags", "regions"):
        r = get(xs, "/%s/" % index)
        for s in sorted(set(re.findall(r'href="/%s/([^/"#?]+)"' % index,
                                       r.text))):
            feeds.append("/%s/%s/feed.atom" % (index, s))
    for p in xs.crawl.pages:
        if p.endswith("/feed.atom") and p not in feeds:
            feeds.append(p)
    return feeds


def atom_text(el):
    """The text an Atom text construct stands for, and its HTML if any."""
    if el is None:
        return None, None
    t = el.get("type", "text")
    if t == "text":
        return el.text or "", None
    if t == "html":
        return text_of(el.text or ""), el.text or ""
    if t == "xhtml":
        raw = "".join(ET.tostring(c, encoding="unicode") for c in el)
        return text_of(raw), raw
    return el.text or "", None


def test_atom_feeds_are_well_formed_and_inert(xs):
    feeds = all_atom_feeds(xs)
    assert len(feeds) > 10
    hostile_titles = {title_of(k) for k in ITEMS}
    seen = set()
    bad = []
    for path in feeds:
        r = get(xs, path)
        try:
            root = ET.fromstring(r.body)
        except ET.ParseError as e:
            bad.append("%s: not well-formed XML: %s" % (path, e))
            continue
        d = feedparser.parse(r.body)
        if d.bozo:
            bad.append("%s: feedparser: %r" % (path, d.get("bozo_exception")))
        for el in [root] + root.findall(ATOM + "entry"):
            for name in ("title", "subtitle", "summary", "content",
                         "rights"):
                text, raw = atom_text(el.find(ATOM + name))
                if raw is not None:
                    for prob in problems(raw):
                        bad.append("%s: <%s>: %s" % (path, name, prob))
            for link in el.findall(ATOM + "link"):
                if bad_scheme(link.get("href", "")):
                    bad.append("%s: link %r" % (path, link.get("href")))
        for e in root.findall(ATOM + "entry"):
            title, _ = atom_text(e.find(ATOM + "title"))
            if title and title.startswith("T-"):
                if title not in hostile_titles:
                    bad.append("%s: entry title %r is not the title as "
                               "text" % (path, title))
                seen.add(title)
                body, raw = atom_text(e.find(ATOM + "content"))
                if raw is None or "B-" not in body or \
                        SCRIPT_TEXT not in body:
                    bad.append("%s: %r: content lacks the body text: %r"
                               % (path, title[:8], (body or "")[:200]))
                summ, _ = atom_text(e.find(ATOM + "summary"))
                if not summ or "S-" not in summ or SCRIPT_TEXT not in summ:
                    bad.append("%s: %r: summary lacks the text: %r"
                               % (path, title[:8], summ))
        # feedparser reads the same title as text
        for e in d.entries:
            if e.get("title", "").startswith("T-") and \
                    e.title not in hostile_titles:
                bad.append("%s: feedparser title %r" % (path, e.title))
    assert not bad, "\n".join(bad[:60])
    want = {title_of(k) for k in ("news", "press-release", "statement",
                                  "event")}
    assert want <= seen, "hostile entries not in any feed: %s" % (
        [t[:8] for t in want - seen])


def test_json_feed_is_inert(xs):
    r = get(xs, "/feed.json")
    assert r.header("Content-Type", "").startswith("application/feed+json")
    d = json.loads(r.body)
    seen = set()
    for it in d["items"]:
        what = "/feed.json %s" % it.get("id")
        for k, v in it.items():
            if k.endswith("_html") and isinstance(v, str):
                assert_inert(v, "%s %s" % (what, k))
            if k in ("url", "external_url", "image", "banner_image") and \
                    isinstance(v, str):
                assert not bad_scheme(v), (what, k, v)
        if it.get("title", "").startswith("T-"):
            seen.add(it["title"])
            assert it["title"] in {title_of(k) for k in ITEMS}, it["title"]
            assert SCRIPT_TEXT in text_of(it.get("content_html", "")), what
            if "content_text" in it:
                assert SCRIPT_TEXT in it["content_text"], what
            if "summary" in it:
                assert SCRIPT_TEXT in it["summary"], what
    assert title_of("news") in seen, "the hostile news is not in the feed"


# -- iCalendar ----------------------------------------------------------------

def ical_lines(text):
    """Unfolded content lines."""
    out = []
    for line in text.split("\r\n"):
        if line[:1] in (" ", "\t") and out:
            out[-1] += line[1:]
        elif line:
            out.append(line)
    return out


def ical_unescape(v):
    return re.sub(r"\\([\\;,nN])", lambda m: "\n" if m.group(1) in "nN"
                  else m.group(1), v)


@pytest.mark.parametrize("path", ["/events.ics",
                                  "/events/%s.ics" % ITEMS["event"]])
def test_icalendar_holds_the_text_without_injection(xs, path):
    r = get(xs, path)
    assert r.header("Content-Type", "").startswith("text/calendar")
    text = r.body.decode("utf-8")
    assert "\n" not in text.replace("\r\n", ""), "a bare LF in " + path
    assert "\r" not in text.replace("\r\n", ""), "a bare CR in " + path
    lines = ical_lines(text)
    props = {}
    for line in lines:
        name = re.match(r"[A-Za-z0-9-]+", line)
        assert name, "%s: not a content line: %r" % (path, line)
        props.setdefault(name.group(0).split(";")[0].upper(), []).append(
            line)
    # the venue's "\nURL:javascript:" stays inside its value
    for line in props.get("URL", []):
        assert "javascript" not in line.lower(), (path, line)
    assert lines.count("BEGIN:VEVENT") == lines.count("END:VEVENT")
    values = [ical_unescape(l.split(":", 1)[1]) for l in lines if ":" in l]
    summaries = [ical_unescape(l.split(":", 1)[1]) for l in
                 props.get("SUMMARY", [])]
    assert title_of("event") in summaries, (
        "%s: the hostile title is not a SUMMARY as it is: %s"
        % (path, [s[:40] for s in summaries]))
    assert any("VENUE " + SCRIPT_TEXT in v or "CITY " + SCRIPT_TEXT in v
               for v in values), "%s: no place text" % path


# -- sitemap -----------------------------------------------------------------

def test_sitemap_is_well_formed(xs):
    r = get(xs, "/sitemap.xml")
    root = ET.fromstring(r.body)
    locs = [e.text for e in root.iter() if e.tag.endswith("}loc")]
    assert locs
    for loc in locs:
        assert loc.startswith(xs.h.base + "/"), loc
        assert not bad_scheme(loc)
    for p in HOSTILE_PAGES:
        if not p.startswith("/members/"):
            assert xs.h.base + p in locs or xs.h.base + p + "/" in locs, p


# -- API ---------------------------------------------------------------------

def get_api(xs, path):
    r = get(xs, path)
    assert r.header("Content-Type") == "application/json; charset=utf-8", (
        path, r.header("Content-Type"))
    assert (r.header("X-Content-Type-Options") or "").lower() == "nosniff", \
        path
    return json.loads(r.body)


def check_api_value(v, what, bad):
    if isinstance(v, dict):
        for k, x in v.items():
            if k.endswith("_html") and isinstance(x, str):
                bad += ["%s.%s: %s" % (what, k, p) for p in problems(x)]
            elif k in ("url", "website", "link") and isinstance(x, str) \
                    and bad_scheme(x):
                bad.append("%s.%s: %r" % (what, k, x))
            check_api_value(x, "%s.%s" % (what, k), bad)
    elif isinstance(v, list):
        for i, x in enumerate(v):
            check_api_value(x, "%s[%d]" % (what, i), bad)


def api_items(xs):
    items, cursor = [], None
    for _ in range(200):
        q_ = {"limit": "5"}
        if cursor:
            q_["cursor"] = cursor
        d = get_api(xs, "/api/v1/items?" + urllib.parse.urlencode(q_))
        items += d["items"]
        cursor = d.get("next_cursor")
        if not cursor:
            return items
    pytest.fail("the cursor never ends")


def test_api_answers_are_inert_and_hold_the_text(xs):
    items = api_items(xs)
    bad = []
    check_api_value(items, "/api/v1/items", bad)
    hostile = [it for it in items if it.get("slug") in ITEMS.values()]
    assert {it["slug"] for it in hostile} == set(ITEMS.values()), (
        "hostile items missing from the API: %s"
        % sorted(set(ITEMS.values()) - {it["slug"] for it in hostile}))
    for it in items:
        path = "/api/v1/items/%s" % it["id"]
        one = get_api(xs, path)
        check_api_value(one, path, bad)
        if it.get("slug") not in ITEMS.values():
            continue
        kind = {v: k for k, v in ITEMS.items()}[it["slug"]]
        for d, where in ((it, "/api/v1/items"), (one, path)):
            d = d.get("item", d) if isinstance(d.get("item"), dict) else d
            if d.get("title") != title_of(kind):
                bad.append("%s: title %r" % (where, d.get("title")))
            if SCRIPT_TEXT not in d.get("summary", ""):
                bad.append("%s: summary %r" % (where, d.get("summary")))
            if SCRIPT_TEXT not in text_of(d.get("content_html", "")):
                bad.append("%s: content_html lacks the text" % where)
            if kind == "event":
                for k, v in EVENT_PLACE.items():
                    if d.get(k) != v:
                        bad.append("%s: %s %r" % (where, k, d.get(k)))
            for tag in TAGS:
                if tag not in json.dumps(d.get("tags"), ensure_ascii=False):
                    bad.append("%s: tag %r missing: %r" % (where, tag,
                                                            d.get("tags")))
    assert not bad, "\n".join(bad[:60])
    assert hostile, "no hostile item in the API"
