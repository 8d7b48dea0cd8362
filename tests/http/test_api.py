"""The read-only JSON API (README.md, "API"): /api/v1/items with filters
and cursor pagination, /api/v1/items/ID, JSON errors, no e-mail address,
no draft."""

import json
import os
import shutil
import tempfile
import urllib.parse

import pytest

import emailscan
from conftest import ROOT, assert_security_headers
from test_email import known_addresses

ITEM_FIELDS = {"id", "kind", "slug", "url", "title", "summary", "content_html",
               "language", "published", "updated", "tags", "regions"}
EVENT_FIELDS = {"start", "end", "all_day", "timezone", "venue", "city",
                "country"}
KINDS = ["news", "press-release", "statement", "event", "page"]
FORUM = "asia-pacific-civil-society-forum-on-beijing-20"


def get_json(h, path, want=200):
    r = h.get(path)
    assert r.status == want, "%s: %d %s" % (path, r.status, r.text[:300])
    assert r.header("Content-Type") == "application/json; charset=utf-8", (
        path, r.header("Content-Type"))
    assert_security_headers(r.headers, path)
    return json.loads(r.body)


def walk(h, query="", limit=2):
    """Every item of a listing, page by page; the pages' sizes."""
    items, sizes, cursor = [], [], None
    for _ in range(200):
        q = dict(urllib.parse.parse_qsl(query))
        q["limit"] = str(limit)
        if cursor:
            q["cursor"] = cursor
        d = get_json(h, "/api/v1/items?" + urllib.parse.urlencode(q))
        assert set(d) == {"items", "next_cursor"}, d.keys()
        items += d["items"]
        sizes.append(len(d["items"]))
        cursor = d["next_cursor"]
        if cursor is None:
            return items, sizes
    pytest.fail("the cursor never ends")


def test_items_fields(herald):
    d = get_json(herald, "/api/v1/items")
    assert d["items"] and len(d["items"]) <= 20
    for it in d["items"]:
        assert ITEM_FIELDS <= set(it), it.keys()
        assert it["kind"] in KINDS
        assert it["url"].startswith(herald.base + "/")
        assert "<" not in it["summary"]
        assert it["published"][:2] in ("19", "20") and "T" in it["published"]
        for t in it["tags"] + it["regions"]:
            assert set(t) == {"slug", "name"}
        if it["kind"] == "event":
            assert EVENT_FIELDS <= set(it)
    pub = [it["published"] for it in d["items"]]
    assert pub == sorted(pub, reverse=True) or len(
        {p[:10] for p in pub}) > 1  # newest first (offsets may differ)


def test_items_url_is_the_page(herald):
    d = get_json(herald, "/api/v1/items?limit=3")
    for it in d["items"]:
        path = it["url"][len(herald.base):]
        r = herald.get(path)
        assert r.status == 200, path
        assert it["title"].replace("'", "&#39;") in r.text or \
            it["title"] in r.text


def test_pagination_walks_every_item_once(herald):
    everything = get_json(herald, "/api/v1/items?limit=100")["items"]
    assert get_json(herald, "/api/v1/items?limit=100")["next_cursor"] is None
    items, sizes = walk(herald, limit=2)
    ids = [it["id"] for it in items]
    assert len(ids) == len(set(ids)), "an item came twice"
    assert ids == [it["id"] for it in everything]
    assert all(s == 2 for s in sizes[:-1]) and 1 <= sizes[-1] <= 2
    assert len(ids) >= 10


def test_filters(herald):
    for kind in KINDS:
        items, _ = walk(herald, "kind=" + kind, limit=5)
        assert all(it["kind"] == kind for it in items), kind
        if kind != "page":
            assert items, kind
    items, _ = walk(herald, "tag=beijing-20", limit=50)
    assert items and all(
        "beijing-20" in [t["slug"] for t in it["tags"]] for it in items)
    items, _ = walk(herald, "region=asia-pacific", limit=50)
    assert items and all(
        "asia-pacific" in [g["slug"] for g in it["regions"]] for it in items)
    assert walk(herald, "lang=en", limit=100)[0]
    assert walk(herald, "lang=xx", limit=100)[0] == []
    assert walk(herald, "tag=no-such-tag")[0] == []
    both, _ = walk(herald, "kind=event&region=asia-pacific", limit=50)
    assert both and all(it["kind"] == "event" for it in both)


def test_event_fields(herald):
    items, _ = walk(herald, "kind=event", limit=10)
    forum = [it for it in items if it["slug"] == FORUM]
    assert forum, [it["slug"] for it in items]
    f = forum[0]
    assert f["start"] == "2014-11-14" and f["end"] == "2014-11-16"
    assert f["all_day"] is True
    assert f["city"] == "Bangkok" and f["country"] == "Thailand"
    assert f["timezone"] == "Asia/Bangkok"


def test_one_item(herald):
    first = get_json(herald, "/api/v1/items?limit=1")["items"][0]
    one = get_json(herald, "/api/v1/items/%d" % first["id"])
    assert one == first


@pytest.mark.parametrize("path", [
    "/api/v1/items/999999", "/api/v1/items/0", "/api/v1/items/abc",
    "/api/v1/items/1x", "/api/v1/items/01", "/api/v1/items/",
    "/api/v1/items/1/2", "/api/v2/items", "/api/", "/api/v1",
    "/api/v1/item", "/api/v1/items/99999999999999999999999"])
def test_unknown_is_404_json(herald, path):
    assert get_json(herald, path, 404) == {"error": "not found"}


@pytest.mark.parametrize("query", [
    "kind=article", "kind=News", "kind=pages", "limit=0", "limit=101",
    "limit=x", "limit=-1", "limit=", "limit=1.5", "limit=007",
    "limit=99999999999999999999", "cursor=", "cursor=zz", "cursor=abc",
    "cursor=" + "31" * 40, "cursor=" + "3a31",
    "cursor=" + "31323a".encode().hex(), "cursor=" + b"12:x".hex(),
    "cursor=" + b"12:3:4".hex(), "cursor=%00", "tag=" + "a" * 300])
def test_bad_parameters_are_400_json(herald, query):
    d = get_json(herald, "/api/v1/items?" + query, 400)
    assert set(d) == {"error"} and d["error"], d


def test_api_answers_are_not_cached_across_queries(herald):
    a = get_json(herald, "/api/v1/items?kind=news")["items"]
    b = get_json(herald, "/api/v1/items?kind=event")["items"]
    assert {i["kind"] for i in a} == {"news"}
    assert {i["kind"] for i in b} == {"event"}


def test_no_email_address_in_api_answers(herald):
    known = known_addresses()
    bodies = []
    cursor = None
    while True:
        path = "/api/v1/items?limit=3" + (
            "&cursor=" + cursor if cursor else "")
        r = herald.get(path)
        bodies.append((path, r.body))
        d = json.loads(r.body)
        for it in d["items"]:
            p = "/api/v1/items/%d" % it["id"]
            bodies.append((p, herald.get(p).body))
        cursor = d["next_cursor"]
        if cursor is None:
            break
    bodies.append(("bad", herald.get("/api/v1/items?kind=x").body))
    for path, body in bodies:
        # the JSON text and the decoded strings (\u escapes undone)
        decoded = json.dumps(json.loads(body), ensure_ascii=False).encode()
        found = emailscan.scan(body, known) + emailscan.scan(decoded, known)
        assert not found, (path, found[:5])


@pytest.fixture
def drafted(make_herald):
    """A server on a copy of content/ with a draft news item and a timed
    event."""
    d = tempfile.mkdtemp(prefix="herald-api-content-")
    content = os.path.join(d, "content")
    shutil.copytree(os.path.join(ROOT, "content"), content)
    with open(os.path.join(content, "news", "draft.md"), "w") as f:
        f.write("---\ntitle: \"Secret draft of the API test\"\n"
                "slug: draft-of-the-api-test\ndate: 2014-12-01T09:00:00Z\n"
                "summary: \"Not for partners.\"\ndraft: true\n---\n\n"
                "Draft body.\n")
    with open(os.path.join(content, "events", "timed.md"), "w") as f:
        f.write("---\ntitle: \"A timed side event of the API test\"\n"
                "slug: timed-side-event\ndate: 2014-10-01T09:00:00+02:00\n"
                "summary: \"A morning session.\"\nstart: \"2014-10-08T10:00\"\n"
                "end: \"2014-10-08T12:30\"\ntimezone: Europe/Vienna\n"
                "venue: \"Room M3\"\ncity: Vienna\ncountry: Austria\n---\n\n"
                "Side event.\n")
    yield make_herald(content=content)
    shutil.rmtree(d, ignore_errors=True)


def test_draft_is_never_returned(drafted):
    items, _ = walk(drafted, limit=100)
    titles = [it["title"] for it in items]
    assert "A timed side event of the API test" in titles
    assert not [t for t in titles if "draft" in t.lower()], titles
    news, _ = walk(drafted, "kind=news", limit=100)
    assert "draft-of-the-api-test" not in [it["slug"] for it in news]
    top = max(it["id"] for it in items)
    for i in range(1, top + 5):
        r = drafted.get("/api/v1/items/%d" % i)
        assert r.status in (200, 404)
        assert b"Secret draft" not in r.body


def test_timed_event_has_local_times_with_offset(drafted):
    items, _ = walk(drafted, "kind=event", limit=100)
    ev = [it for it in items if it["slug"] == "timed-side-event"][0]
    assert ev["start"] == "2014-10-08T10:00:00+02:00", ev["start"]
    assert ev["end"] == "2014-10-08T12:30:00+02:00", ev["end"]
    assert ev["all_day"] is False
    assert ev["venue"] == "Room M3"
