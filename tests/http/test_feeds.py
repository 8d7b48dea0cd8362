"""Feeds with real clients: feedparser reads every Atom feed (site, each
kind, each tag and region linked from /tags/ and /regions/) without an error
flag, with every entry field; the JSON Feed parses; conditional GET answers
304; no e-mail address in any feed; newsboat reads the site feed."""

import glob
import json
import os
import re
import shutil
import sqlite3
import subprocess
import tempfile

import feedparser
import pytest

import emailscan
from conftest import ROOT, SITE_NAME

KIND_FEEDS = ["/news/feed.atom", "/press-releases/feed.atom",
              "/statements/feed.atom", "/events/feed.atom"]
PRESS_RELEASE = ("/press-releases/holding-back-progress-the-barriers-to-"
                 "ending-trafficking-in-persons")
ABOUT_US = "is a non-profit organisation that works to protect and uphold"
MEDIA_CONTACT = "jasmin.qureshi@example.org"


def known_addresses():
    found = {MEDIA_CONTACT}
    for f in glob.glob(os.path.join(ROOT, "content", "**", "*.md"),
                       recursive=True):
        with open(f, encoding="utf-8", errors="replace") as fh:
            found.update(a.lower() for a in emailscan.emails(fh.read()))
    return sorted(found)


def term_feeds(herald, index):
    """The feeds of the tags or regions linked from /tags/ or /regions/."""
    r = herald.get("/%s/" % index)
    assert r.status == 200
    slugs = sorted(set(re.findall(r'href="/%s/([^/"#?]+)"' % index, r.text)))
    assert slugs, "no %s linked from /%s/" % (index, index)
    return ["/%s/%s/feed.atom" % (index, s) for s in slugs]


def all_feeds(herald):
    return (["/feed.atom"] + KIND_FEEDS + term_feeds(herald, "tags") +
            term_feeds(herald, "regions"))


def parse(herald, path):
    r = herald.get(path)
    assert r.status == 200, "%s answered %d" % (path, r.status)
    assert r.header("Content-Type") == "application/atom+xml; charset=utf-8"
    d = feedparser.parse(r.body)
    assert d.bozo == 0, "%s: feedparser error %r" % (path,
                                                     d.get("bozo_exception"))
    assert d.version == "atom10", "%s: read as %r" % (path, d.version)
    return d


def test_every_feed_parses_with_every_field(herald):
    feeds = all_feeds(herald)
    assert len(feeds) > 8
    for path in feeds:
        d = parse(herald, path)
        assert d.feed.title.startswith(SITE_NAME), d.feed.title
        assert d.feed.id and d.feed.updated_parsed
        links = {l.rel: l.href for l in d.feed.links}
        assert links.get("self") == herald.url(path), links
        assert links.get("alternate", "").startswith(herald.base + "/")
        assert len(d.entries) <= 20, "%s: %d entries" % (path,
                                                        len(d.entries))
        # a region may have no items yet; the rest are listed for theirs
        if not path.startswith("/regions/"):
            assert d.entries, "%s: no entries" % path
        for e in d.entries:
            what = "%s: %s" % (path, e.get("id"))
            for k in ("id", "title", "link", "published", "updated",
                      "author", "summary", "content"):
                assert e.get(k), "%s: no %s" % (what, k)
            assert e.author == SITE_NAME, what
            assert e.link.startswith(herald.base + "/"), what
            assert e.published_parsed and e.updated_parsed, what
            assert re.search(r"[+-]\d\d:\d\d$|Z$", e.published), e.published
            assert e.content[0].type == "text/html", what
            assert "<" not in e.summary, "%s: summary not plain" % what
        dates = [e.published_parsed for e in d.entries]
        assert dates == sorted(dates, reverse=True), "%s: not newest first" \
            % path


def test_feed_titles_and_entries(herald):
    d = parse(herald, "/press-releases/feed.atom")
    assert d.feed.title == SITE_NAME + " — Press releases"
    assert d.feed.subtitle
    pr = [e for e in d.entries if e.link == herald.url(PRESS_RELEASE)]
    assert pr, "the press release is not in its feed"
    assert "trafficking" in pr[0].content[0].value
    assert ABOUT_US in pr[0].content[0].value, "no About-us block"
    assert pr[0].published.startswith("2014-12-10T09:00:00+07:00")
    d = parse(herald, "/feed.atom")
    kinds = {e.link.split("/")[3] for e in d.entries}
    assert {"news", "press-releases", "statements", "events"} <= kinds


def test_entry_links_answer(herald):
    d = parse(herald, "/feed.atom")
    for e in d.entries:
        path = e.link[len(herald.base):]
        assert herald.get(path).status == 200, path


def test_unknown_feeds_404(herald):
    for path in ("/tags/no-such-tag/feed.atom", "/regions/nowhere/feed.atom",
                 "/nope/feed.atom", "/news/x/feed.atom", "/tags//feed.atom",
                 "/members/feed.atom", "/feed.atom/x"):
        assert herald.get(path).status == 404, path


def test_atom_ids_stable(herald):
    a = parse(herald, "/feed.atom")
    # the cache would answer the same bytes: a fresh server renders again
    b = feedparser.parse(herald.get("/feed.atom").body)
    assert [e.id for e in a.entries] == [e.id for e in b.entries]
    for e in a.entries:
        assert e.id.startswith("tag:127.0.0.1,"), e.id
    assert len({e.id for e in a.entries}) == len(a.entries)


def test_atom_ids_stable_across_servers(make_herald):
    ids = []
    for _ in range(2):
        h = make_herald()
        d = feedparser.parse(h.get("/feed.atom").body)
        ids.append([e.id for e in d.entries])
    assert ids[0] == ids[1] and ids[0]


def test_no_email_address_in_any_feed(herald):
    known = known_addresses()
    for path in all_feeds(herald) + ["/feed.json"]:
        r = herald.get(path)
        found = emailscan.scan(r.body, known)
        assert not found, "%s shows addresses: %r" % (path, found)


def test_conditional_get_on_feeds(herald):
    for path in ("/feed.atom", "/news/feed.atom", "/feed.json"):
        r = herald.get(path)
        etag = r.header("ETag")
        lm = r.header("Last-Modified")
        assert etag and lm, "%s: no validators" % path
        r2 = herald.get(path, headers={"If-None-Match": etag})
        assert r2.status == 304, "%s: If-None-Match gave %d" % (path,
                                                               r2.status)
        assert r2.body == b""
        r3 = herald.get(path, headers={"If-Modified-Since": lm})
        assert r3.status == 304, "%s: If-Modified-Since gave %d" % (
            path, r3.status)
        r4 = herald.get(path, headers={"If-None-Match": '"nope"'})
        assert r4.status == 200 and r4.body == r.body


def test_json_feed(herald):
    r = herald.get("/feed.json")
    assert r.status == 200
    assert r.header("Content-Type") == "application/feed+json; charset=utf-8"
    f = json.loads(r.body)
    assert f["version"] == "https://jsonfeed.org/version/1.1"
    assert f["title"] == SITE_NAME
    assert f["feed_url"] == herald.url("/feed.json")
    assert f["home_page_url"] == herald.url("/")
    assert 1 <= len(f["items"]) <= 20
    atom = parse(herald, "/feed.atom")
    assert [i["id"] for i in f["items"]] == [e.id for e in atom.entries]
    for it in f["items"]:
        for k in ("id", "url", "title", "content_html", "summary",
                  "date_published", "date_modified", "authors"):
            assert it.get(k), "%s: no %s" % (it.get("id"), k)
        assert it["url"].startswith(herald.base + "/")
        assert it["authors"][0]["name"] == SITE_NAME
        assert re.match(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d([+-]\d\d:\d\d|Z)$",
                        it["date_published"]), it["date_published"]


def test_feeds_linked_in_head_when_theme_has_them(herald):
    """The theme links the site feed (when the layout carries it)."""
    r = herald.get("/")
    if "feed.atom" not in r.text:
        pytest.skip("the layout does not link feeds yet")
    assert re.search(r'<link[^>]+rel="alternate"[^>]+feed\.atom', r.text)


@pytest.mark.skipif(shutil.which("newsboat") is None,
                    reason="newsboat is not installed (scripts/deps.sh)")
def test_newsboat_reads_site_feed(herald):
    d = tempfile.mkdtemp(prefix="herald-newsboat-")
    try:
        urls = os.path.join(d, "urls")
        cache = os.path.join(d, "cache.db")
        conf = os.path.join(d, "config")
        with open(urls, "w") as f:
            f.write(herald.url("/feed.atom") + "\n")
        open(conf, "w").close()
        env = dict(os.environ, HOME=d, XDG_CONFIG_HOME=d, XDG_DATA_HOME=d,
                   XDG_CACHE_HOME=d)
        r = subprocess.run(["newsboat", "-x", "reload", "-u", urls,
                            "-c", cache, "-C", conf],
                           capture_output=True, timeout=30, env=env,
                           stdin=subprocess.DEVNULL)
        assert r.returncode == 0, r.stderr.decode("utf-8", "replace")
        db = sqlite3.connect(cache)
        try:
            rows = db.execute("SELECT title, url FROM rss_item WHERE "
                              "feedurl = ?",
                              (herald.url("/feed.atom"),)).fetchall()
        finally:
            db.close()
        atom = parse(herald, "/feed.atom")
        assert len(rows) == len(atom.entries), rows
        assert {u for _, u in rows} == {e.link for e in atom.entries}
        assert {t for t, _ in rows} == {e.title for e in atom.entries}
    finally:
        shutil.rmtree(d, ignore_errors=True)
