"""Full-text search (issue 3): stemming, ranking, snippets, filters,
pagination, hostile queries, no e-mail addresses and no drafts."""

import html
import os
import re
import shutil
import subprocess
import tempfile
import urllib.parse

import pytest

from conftest import ROOT, Herald, assert_security_headers, assert_site_look
from emailscan import scan

CONTENT = os.path.join(ROOT, "content")
PRESS_RELEASE = ("/press-releases/holding-back-progress-the-barriers-to-"
                 "ending-trafficking-in-persons")
FOLDERS = {"news": "/news/", "press-releases": "/press-releases/",
           "statements": "/statements/", "events": "/events/",
           "pages": "/", "publications": "/publications/",
           "members": "/members/"}
RESULT_RE = re.compile(
    r'<li class="card">\s*<p class="kind">([^<]*)</p>\s*'
    r'<h3><a href="([^"]*)">([^<]*)</a></h3>(.*?)</li>', re.S)
TOTAL_RE = re.compile(r"<h2 id=\"search-results-heading\">(?:(\d+) results?"
                      r"|No results)")
KNOWN = ("jasmin.qureshi@example.org", "info@example.org")


def url(q=None, **filters):
    args = {}
    if q is not None:
        args["q"] = q
    args.update({k: v for k, v in filters.items() if v is not None})
    return "/search?" + urllib.parse.urlencode(args)


class Results:
    """One search answer: status, total, results (kind, href, title,
    rest), the next page's link."""

    def __init__(self, r):
        self.status = r.status
        self.text = r.text
        m = TOTAL_RE.search(self.text)
        self.total = (int(m.group(1)) if m.group(1) else 0) if m else None
        self.items = [(html.unescape(k), html.unescape(h), html.unescape(t),
                       rest) for k, h, t, rest in RESULT_RE.findall(
                           self.text)]
        m = re.search(r'<a href="([^"]*)" rel="next"', self.text)
        self.next = html.unescape(m.group(1)) if m else None

    @property
    def hrefs(self):
        return [h for _, h, _, _ in self.items]


def search(h, q=None, **filters):
    r = h.get(url(q, **filters))
    assert r.status == 200, "%s -> %d" % (url(q, **filters), r.status)
    return Results(r)


def search_all(h, q, **filters):
    """Every result over all pages (at most 30 pages)."""
    res = search(h, q, **filters)
    hrefs = list(res.hrefs)
    seen = 0
    while res.next and seen < 30:
        seen += 1
        r = h.get(res.next)
        assert r.status == 200, res.next
        res = Results(r)
        hrefs += res.hrefs
    return hrefs


def content_items():
    """(url, front matter text, body) of every content file with a URL."""
    out = []
    for folder, base in FOLDERS.items():
        d = os.path.join(CONTENT, folder)
        for name in sorted(os.listdir(d)):
            if not name.endswith(".md"):
                continue
            with open(os.path.join(d, name), encoding="utf-8") as f:
                text = f.read()
            _, fm, body = text.split("---\n", 2)
            m = re.search(r"^slug:\s*(\S+)", fm, re.M)
            slug = m.group(1) if m else name[:-3]
            out.append((base + slug, fm, body))
    return out


def fm_list(fm, key):
    m = re.search(r"^%s:\s*\[(.*)\]" % key, fm, re.M)
    return [x.strip().strip("\"'") for x in m.group(1).split(",")
            if x.strip()] if m else []


# -- the page itself ------------------------------------------------------

def test_empty_query_shows_the_form(herald):
    for path in ("/search", "/search?q=", "/search?q=%20%20"):
        r = herald.get(path)
        assert r.status == 200, path
        assert_site_look(r.body, path)
        assert_security_headers(r.headers, path)
        assert '<form class="search-form" method="get" action="/search"' \
            in r.text
        assert 'name="q"' in r.text and 'type="search"' in r.text
        assert "search-results-heading" not in r.text
        assert r.text.count("<h1") == 1


def test_every_control_has_a_label(herald):
    t = herald.get(url("women")).text
    ids = re.findall(r'<(?:input|select)[^>]*\bid="([^"]+)"', t)
    assert len(ids) >= 5
    for i in ids:
        assert '<label for="%s">' % i in t, i


def test_search_is_not_cached(herald):
    a = herald.get(url("migrants"))
    b = herald.get(url("criminalisation"))
    assert PRESS_RELEASE in b.text
    assert a.text != b.text


# -- stemming, ranking, snippets ------------------------------------------

@pytest.mark.parametrize("q", ["criminalising", "criminalisation",
                               "Criminalised", "CRIMINALISING"])
def test_stemming_finds_the_press_release(herald, q):
    res = search(herald, q)
    assert PRESS_RELEASE in res.hrefs, (q, res.hrefs)


def test_plural_finds_singular(herald):
    plural = search_all(herald, "migrants")
    singular = search_all(herald, "migrant")
    assert PRESS_RELEASE in plural
    assert sorted(plural) == sorted(singular)
    marks = re.findall(r"<mark>(.*?)</mark>", search(herald, "migrants").text)
    assert "migrant" in [m.lower() for m in marks], marks
    # (an item that says "migrant" only: see the content test below)


def test_prefix_query(herald):
    hrefs = search_all(herald, "crimin*")
    assert PRESS_RELEASE in hrefs
    assert search(herald, "criminalisatio").total == 0


@pytest.mark.parametrize("title,href", [
    ("Holding back progress: The barriers to ending trafficking in persons",
     PRESS_RELEASE),
    ("Collateral Damage", "/publications/collateral-damage"),
    ("La Strada International", "/members/la-strada-international"),
    ("GAATW's International Members' Congress",
     "/events/gaatw-international-members-congress-2014"),
    ("Contact", "/contact"),
])
def test_exact_title_ranks_first(herald, title, href):
    res = search(herald, title)
    assert res.hrefs and res.hrefs[0] == href, (title, res.hrefs[:3])


def test_snippets_are_highlighted(herald):
    res = search(herald, "trafficking")
    assert res.total and res.total > 3
    marked = [rest for _, _, _, rest in res.items if "<mark>" in rest]
    assert len(marked) >= 3, res.items[:3]
    for rest in marked:
        assert rest.count("<mark>") == rest.count("</mark>")
        for m in re.findall(r"<mark>(.*?)</mark>", rest):
            assert m.lower().startswith("traffick"), m
    # only <mark> and the card's own markup: no raw control bytes
    assert "\x01" not in res.text and "\x02" not in res.text
    assert "\x03" not in res.text


def test_query_is_escaped_in_the_page(herald):
    r = herald.get(url('<script>alert(1)</script> "x"'))
    assert r.status == 200
    assert "<script>alert" not in r.text
    assert "&lt;script&gt;" in r.text


# -- filters and pages ----------------------------------------------------

def test_kind_filter(herald):
    every = search_all(herald, "civil society")
    for kind, base in [("press-release", "/press-releases/"),
                       ("statement", "/statements/"), ("news", "/news/"),
                       ("event", "/events/"),
                       ("publication", "/publications/"),
                       ("member", "/members/")]:
        hrefs = search_all(herald, "civil society", kind=kind)
        assert all(h.startswith(base) for h in hrefs), (kind, hrefs)
        assert sorted(hrefs) == sorted(h for h in every
                                       if h.startswith(base)), kind
    assert search_all(herald, "civil society", kind="statement")
    # an unknown kind is no filter
    assert sorted(search_all(herald, "civil society", kind="nonsense")) \
        == sorted(every)


def test_region_filter(herald):
    items = content_items()
    q = "the"
    every = search_all(herald, q)
    for region in ("asia-pacific", "global"):
        want = {u for u, fm, _ in items
                if (region in fm_list(fm, "regions") and
                    not u.startswith(("/publications/", "/members/"))) or
                (u.startswith("/members/") and
                 re.search(r"^region:\s*%s\s*$" % region, fm, re.M))}
        got = search_all(herald, q, region=region)
        assert got, region
        assert set(got) <= want, (region, set(got) - want)
        assert set(got) == want & set(every), region
    assert search(herald, q, region="no-such-region").total == 0
    # members are in the region of their front matter
    assert "/members/la-strada-international" in search_all(
        herald, "strada", region="europe")
    assert search(herald, "strada", region="asia-pacific").total == 0


def test_tag_filter(herald):
    items = content_items()
    t = herald.get(url("rights")).text
    options = re.findall(
        r'<option value="([^"]+)"(?: selected)?>([^<]*)</option>',
        t.split('id="search-tag"', 1)[1].split("</select>", 1)[0])
    assert options
    tags = {html.unescape(name).lower(): slug for slug, name in options}
    for name in ("migrant rights", "sex work", "un escap"):
        slug = tags[name]
        want = {u for u, fm, _ in items
                if name in [x.lower() for x in fm_list(fm, "tags")]
                and not u.startswith(("/publications/", "/members/"))}
        got = set(search_all(herald, "rights OR work OR the", tag=slug))
        allq = set(search_all(herald, "the", tag=slug))
        assert allq, name
        assert allq <= want, (name, allq - want)
        assert got <= want
    assert search(herald, "the", tag="no-such-tag").total == 0


def test_year_filter(herald):
    got = search_all(herald, "trafficking", year="2007")
    assert "/publications/collateral-damage" in got
    assert all(h == "/publications/collateral-damage" or "2007" in h
               for h in got), got
    got2014 = search_all(herald, "trafficking", year="2014")
    assert PRESS_RELEASE in got2014
    assert "/publications/collateral-damage" not in got2014
    assert search(herald, "trafficking", year="1990").total == 0
    # a year that is no year is no filter
    assert search(herald, "trafficking", year="20x4").total == \
        search(herald, "trafficking").total


def test_pagination(herald):
    first = search(herald, "the")
    assert first.total and first.total > 10, first.total
    assert len(first.items) == 10
    assert first.next and "page=2" in first.next and "q=the" in first.next
    seen = search_all(herald, "the")
    assert len(seen) == first.total
    assert len(set(seen)) == len(seen), "a result on two pages"
    pages = -(-first.total // 10)
    last = search(herald, "the", page=str(pages))
    assert last.items and last.next is None
    assert 'rel="prev"' in last.text
    # past the end, page 0 and nonsense: still a page, never an error
    for p in (str(pages + 5), "0", "-1", "x", "99999999999999999999"):
        r = herald.get(url("the", page=p))
        assert r.status == 200, p
    # the filters stay on the next page's link
    r = search(herald, "the", kind="statement")
    if r.next:
        assert "kind=statement" in r.next


# -- hostile input --------------------------------------------------------

HOSTILE = [
    "q=%22", "q=%22%22%22", "q=%22unbalanced", "q=a%22b%22c%22",
    "q=*", "q=**", "q=migra**", "q=*migra", "q=NEAR(a%20b)",
    "q=NEAR(a%20b%2C%205)", "q=a%20OR", "q=OR", "q=AND%20AND", "q=NOT%20x",
    "q=(((", "q=)))", "q=(a%20OR%20b", "q=title%3Ax", "q=%7Btitle%7D%3A%20x",
    "q=-x", "q=%5Ex", "q=x%5E", "q=%2B", "q=%3A", "q=%5C", "q=%27",
    "q=%27%27%27", "q=%ff%fe", "q=a%ffb", "q=%c3", "q=%ed%a0%80",
    "q=%00", "q=a%00b", "q=%01en%01x", "q=%02x%03", "q=%E2%80%99",
    "q=x&q=y", "q=x&kind=%ff", "q=x&region=%22%27", "q=x&tag=%00",
    "q=x&year=%ff", "q=x&page=%ff", "kind=news", "q=%F0%9F%98%80",
    "q=" + "%E2%80%94" * 100,
]


@pytest.mark.parametrize("qs", HOSTILE)
def test_hostile_query(herald, qs):
    r = herald.get("/search?" + qs)
    assert r.status in (200, 400), (qs, r.status)
    assert r.header("Content-Type", "").startswith("text/html")
    assert_site_look(r.body, qs)
    assert herald.alive()


def test_ten_kilobytes(herald):
    # past 4 KiB the URI itself is refused (http.c: 414) before search
    for q in ("trafficking " * 900, "x" * 10240, "a " * 5000):
        r = herald.get(url(q))
        assert r.status in (400, 414), r.status
        assert_site_look(r.body, "10 KB")
    r = herald.get(url("trafficking " * 300))
    assert r.status == 400
    assert "too long" in r.text
    assert_site_look(r.body, "3 KB")
    assert herald.alive()


def test_invalid_utf8_is_400(herald):
    r = herald.get("/search?q=%ff%fe")
    assert r.status == 400
    assert_site_look(r.body, "invalid UTF-8")


def test_many_terms(herald):
    r = herald.get(url(" ".join("w%d" % i for i in range(33))))
    assert r.status == 400
    assert "too many words" in r.text
    r = herald.get(url(" ".join("w%d" % i for i in range(32))))
    assert r.status == 200
    r = herald.get(url(" ".join(["a"] * 255)))
    assert r.status == 400
    assert herald.alive()


def test_limit_is_512_bytes(herald):
    assert herald.get(url("x" * 512)).status == 200
    assert herald.get(url("  " + "x" * 512 + "  ")).status == 200
    assert herald.get(url("x" * 513)).status == 400


# -- what must never show --------------------------------------------------

@pytest.mark.parametrize("q", ["jasmin", "example.org", "info", "contact",
                               "qureshi", "email", "media enquiries",
                               "example", "org", "jasmin.qureshi"])
def test_no_email_address_in_results(herald, q):
    r = herald.get(url(q))
    assert r.status == 200
    found = scan(r.body, KNOWN)
    assert not found, (q, found)


def test_contact_snippet_hides_address(herald):
    res = search(herald, "jasmin")
    assert "/contact" in res.hrefs
    assert "[e-mail address removed]" in res.text


DRAFT = """---
title: "Quetzalcoatlus draft announcement"
slug: quetzalcoatlus-draft
date: 2014-11-01T09:00:00+07:00
summary: "Xylophonic quetzalcoatlus."
tags: [quetzalcoatlus]
regions: [global]
draft: true
---

Xylophonic quetzalcoatlus news, not ready yet.
"""

FUTURE = """---
title: "Quetzalcoatlus in the future"
slug: quetzalcoatlus-future
date: 2099-11-01T09:00:00+07:00
summary: "Xylophonic future."
tags: [quetzalcoatlus]
regions: [global]
---

Xylophonic quetzalcoatlus from the future.
"""

PUBLISHED = """---
title: "Pterodactylus published"
slug: pterodactylus-published
date: 2014-11-01T09:00:00+07:00
summary: "Published pterodactylus."
tags: [pterodactylus]
regions: [global]
---

Pterodactylus news, out now, for every migrant worker. Write to
pterodactylus.press [at] example [dot] org or ptero@example.net, or
<mailto:Ptero.Desk@Example.net>.
"""


class ContentHerald(Herald):
    """A server whose database holds the content of a folder."""

    def __init__(self, content, **kw):
        super().__init__(**kw)
        self.content = content

    def init(self):
        r = subprocess.run([self.bin, "init", "--db", self.db, "--content",
                            self.content], capture_output=True, timeout=120)
        assert r.returncode == 0, r.stderr.decode("utf-8", "replace")


def test_drafts_and_future_items_are_never_found():
    tmp = tempfile.mkdtemp(prefix="herald-search-content-")
    h = None
    try:
        content = os.path.join(tmp, "content")
        shutil.copytree(CONTENT, content)
        for name, text in (("quetzalcoatlus-draft.md", DRAFT),
                           ("quetzalcoatlus-future.md", FUTURE),
                           ("pterodactylus-published.md", PUBLISHED)):
            with open(os.path.join(content, "news", name), "w") as f:
                f.write(text)
        h = ContentHerald(content).start()
        got = search(h, "pterodactylus")
        assert got.hrefs == ["/news/pterodactylus-published"]
        for q in ("pterodactylus", "press", "example", "ptero", "desk",
                  "write"):
            r = h.get(url(q))
            assert r.status == 200
            found = scan(r.body, ("pterodactylus.press@example.org",
                                  "ptero@example.net",
                                  "ptero.desk@example.net"))
            assert not found, (q, found)
        # it says "migrant" only
        got = search_all(h, "migrants workers", kind="news")
        assert got == ["/news/pterodactylus-published"], got
        for q in ("quetzalcoatlus", "xylophonic", "quetzal*",
                  "Quetzalcoatlus draft announcement"):
            res = search(h, q)
            assert res.total == 0 and not res.items, (q, res.hrefs)
            assert "quetzalcoatlus-" not in res.text
            res = search(h, q, kind="news", year="2014")
            assert res.total == 0, q
    finally:
        if h is not None:
            h.check_stop()
        shutil.rmtree(tmp, ignore_errors=True)


def test_control_bytes_never_reach_the_page(herald):
    for qs in ("q=%01en%01migrants%02%03%1b", "q=%01migrants%02%7f"):
        r = herald.get("/search?" + qs)
        assert r.status == 200
        assert not re.search(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]",
                             r.text), qs
    assert PRESS_RELEASE in Results(r).hrefs
