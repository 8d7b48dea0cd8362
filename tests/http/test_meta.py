"""Link previews and metadata: every page's head has a canonical URL, a
description, OpenGraph and Twitter card tags and the site's feeds; items,
events and the home page carry schema.org JSON-LD that parses and runs
nothing."""

import json
import re
from html.parser import HTMLParser

import emailscan
from sitecrawl import Doc
from test_email import known_addresses

PRESS_RELEASE = ("/press-releases/holding-back-progress-the-barriers-to-"
                 "ending-trafficking-in-persons")
FORUM = "/events/asia-pacific-civil-society-forum-on-beijing-20"
NEWS = ("/news/gaatw-to-speak-out-for-womens-human-rights-at-asia-pacific-"
        "civil-society-forum")


class Head(HTMLParser):
    """The <meta>, <link> and <html lang> of a page."""

    def __init__(self, text):
        super().__init__(convert_charrefs=True)
        self.meta = {}       # name or property -> [content, ...]
        self.links = []      # attrs of each <link>
        self.lang = None
        self.feed(text)
        self.close()

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "html":
            self.lang = a.get("lang")
        elif tag == "meta":
            key = a.get("property") or a.get("name")
            if key:
                self.meta.setdefault(key, []).append(a.get("content", ""))
        elif tag == "link":
            self.links.append(a)

    def one(self, key):
        v = self.meta.get(key, [])
        assert len(v) == 1, "%s: %d times" % (key, len(v))
        return v[0]

    def canonical(self):
        c = [ln["href"] for ln in self.links
             if ln.get("rel") == "canonical"]
        assert len(c) == 1, c
        return c[0]

    def feeds(self):
        return [(ln.get("type"), ln.get("href")) for ln in self.links
                if ln.get("rel") == "alternate"]


def head_of(herald, path):
    r = herald.get(path)
    assert r.status == 200, (path, r.status)
    return Head(r.text)


def jsonld_of(herald, path):
    d = Doc(herald.get(path).text)
    assert d.scripts == 0, "%s: a script that runs" % path
    assert len(d.jsonld) == 1, (path, d.jsonld)
    return json.loads(d.jsonld[0])


def test_every_page_has_preview_tags(site, herald):
    bad = []
    for p in site.html_pages():
        if p.status != 200:
            continue
        h = Head(p.text)
        try:
            canon = h.canonical()
            assert canon == herald.base + p.path.split("?")[0], canon
            assert h.one("description").strip()
            assert h.one("og:title").strip()
            assert h.one("og:type") in ("article", "website")
            assert h.one("og:url") == canon
            assert h.one("og:description") == h.one("description")
            assert h.one("og:site_name")
            assert re.fullmatch(r"[a-z]{2,3}(_[A-Za-z0-9]+)?",
                                h.one("og:locale"))
            assert h.one("twitter:card") == "summary"
            assert h.one("twitter:site") == "@GAATW_IS"
            assert h.one("twitter:title") == h.one("og:title")
            assert h.lang
            assert "og:image" not in h.meta  # no images yet
            feeds = h.feeds()
            assert ("application/atom+xml", "/feed.atom") in feeds, feeds
            assert ("application/feed+json", "/feed.json") in feeds, feeds
        except AssertionError as e:
            bad.append("%s: %s" % (p.path, e))
    assert not bad, "\n".join(bad[:30])


def test_og_type_and_article_times(herald):
    h = head_of(herald, PRESS_RELEASE)
    assert h.one("og:type") == "article"
    assert h.one("article:published_time") == "2014-12-10T09:00:00+07:00"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d",
                        h.one("article:modified_time"))
    assert h.one("og:title").startswith("Holding back progress")
    assert "names the top three" in h.one("description")
    for path in ("/", "/news/", "/tags/", "/about"):
        h = head_of(herald, path)
        assert h.one("og:type") == "website", path
        assert "article:published_time" not in h.meta, path
    h = head_of(herald, "/")
    assert "non-profit" in h.one("description")


def test_section_feeds_in_heads(herald):
    want = {
        "/news/": "/news/feed.atom",
        "/press-releases/": "/press-releases/feed.atom",
        "/statements/": "/statements/feed.atom",
        "/events/": "/events/feed.atom",
        PRESS_RELEASE: "/press-releases/feed.atom",
        NEWS: "/news/feed.atom",
        FORUM: "/events/feed.atom",
        "/tags/beijing20": "/tags/beijing20/feed.atom",
        "/regions/asia-pacific": "/regions/asia-pacific/feed.atom",
    }
    for path, feed in want.items():
        assert ("application/atom+xml", feed) in head_of(
            herald, path).feeds(), path
    assert len(head_of(herald, "/").feeds()) == 2
    assert len(head_of(herald, "/about").feeds()) == 2


def test_press_release_jsonld(herald):
    d = jsonld_of(herald, PRESS_RELEASE)
    assert d["@context"] == "https://schema.org"
    assert d["@type"] == "NewsArticle"
    assert d["headline"].startswith("Holding back progress")
    assert d["datePublished"] == "2014-12-10T09:00:00+07:00"
    assert d["dateModified"]
    url = herald.base + PRESS_RELEASE
    assert d["url"] == url and d["mainEntityOfPage"] == url
    assert d["inLanguage"] == "en"
    assert "names the top three" in d["description"]
    for who in ("author", "publisher"):
        assert d[who]["@type"] == "Organization"
        assert d[who]["name"] == "Global Alliance Against Traffic in Women"


def test_news_and_statement_jsonld(herald):
    assert jsonld_of(herald, NEWS)["@type"] == "NewsArticle"
    r = herald.get("/statements/")
    st = [a for a, _, _ in Doc(r.text).anchors
          if re.fullmatch(r"/statements/[a-z0-9-]+", a)][0]
    assert jsonld_of(herald, st)["@type"] == "NewsArticle"


def test_event_jsonld(herald):
    d = jsonld_of(herald, FORUM)
    assert d["@type"] == "Event"
    assert d["name"] == "Asia Pacific Civil Society Forum on Beijing+20"
    assert d["startDate"] == "2014-11-14"
    assert d["endDate"] == "2014-11-16"
    assert d["eventAttendanceMode"] == \
        "https://schema.org/OfflineEventAttendanceMode"
    loc = d["location"]
    assert loc["@type"] == "Place"
    assert "Bangkok" in json.dumps(loc)
    assert loc["address"]["addressLocality"] == "Bangkok"
    assert loc["address"]["addressCountry"] == "Thailand"
    assert d["organizer"]["@type"] == "Organization"
    assert d["url"] == herald.base + FORUM
    assert "Bangkok" in d["description"]


def test_home_jsonld(herald):
    d = jsonld_of(herald, "/")
    assert d["@type"] == "Organization"
    assert d["name"] == "Global Alliance Against Traffic in Women"
    assert d["url"] == herald.base + "/"
    assert "https://twitter.com/GAATW_IS" in d["sameAs"]
    assert "non-profit" in d["description"]


def test_pages_without_jsonld(herald):
    for path in ("/news/", "/about", "/tags/"):
        assert Doc(herald.get(path).text).jsonld == [], path


def test_jsonld_cannot_close_its_element_and_has_no_address(site):
    known = known_addresses()
    seen = 0
    for p in site.html_pages():
        for text in p.doc.jsonld:
            seen += 1
            assert "<" not in text and ">" not in text, p.path
            d = json.loads(text)
            assert d["@context"] == "https://schema.org"
            decoded = json.dumps(d, ensure_ascii=False).encode()
            found = emailscan.scan(text.encode(), known) + \
                emailscan.scan(decoded, known)
            assert not found, (p.path, found[:3])
        assert p.doc.scripts == 0, p.path
    assert seen >= 10
