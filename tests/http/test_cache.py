"""The page cache (issue 6): a change drops the rendered pages it touches
and keeps the others.

An item's change (from the admin, or from another process writing the
database) drops that item's page and every page that may show any item
(listings, home, feeds, sitemap); other items' pages stay cached. A change
of anything else, or of the languages readers may choose, drops them all.

A cached page is seen by its Last-Modified: pages are stamped with the
time of the content's last change when they are rendered, so a page kept
across a later change keeps its older stamp, and one rendered again gets
the new one. Each test waits a second before its change so the two differ.
"""

import gzip
import os
import sqlite3
import subprocess
import tempfile
import time

import brotli
import pytest

from adminlib import AdminHerald, item_id_of
from conftest import brotli_answer

PW = "correct-horse-battery-1"
EDITOR = "editor@example.org"

_n = [0]


def uniq(word):
    _n[0] += 1
    return "%s-%d-%d" % (word, int(time.time() * 1000) % 10 ** 7, _n[0])


@pytest.fixture(scope="module")
def srv():
    h = AdminHerald(users=[(EDITOR, "Eddie Editor", "editor", PW)],
                    conf={"login_limit": 1000}).start()
    yield h
    h.check_stop()


@pytest.fixture(scope="module")
def editor(srv):
    c = srv.client()
    c.login(EDITOR, PW)
    return c


def publish(editor, title, body=None, **kw):
    editor.refresh("/admin/items/new")
    slug = uniq("cache")
    r = editor.item_post("/admin/items/new", "publish", title=title,
                         slug=slug, body=body or "Body of " + title, **kw)
    assert r.status == 303, r
    return item_id_of(r), slug


def stamp(srv, path):
    r = srv.get(path)
    assert r.status == 200, (path, r)
    return r.header("Last-Modified"), r.text


def write_setting(srv, key, value):
    """A setting changed by another process (not through the server)."""
    con = sqlite3.connect(srv.db, timeout=10)
    try:
        con.execute("INSERT INTO setting(key, value) VALUES (?, ?) ON "
                    "CONFLICT(key) DO UPDATE SET value = excluded.value",
                    (key, value))
        con.commit()
    finally:
        con.close()


def import_news(srv, slug, title, extra=""):
    """Item slug changed by another process: `herald import` of one
    Markdown file while the server runs."""
    with tempfile.TemporaryDirectory() as d:
        os.mkdir(os.path.join(d, "news"))
        with open(os.path.join(d, "news", slug + ".md"), "w") as f:
            f.write('---\ntitle: "%s"\ndate: 2026-01-02T03:04:05Z\n%s---\n'
                    "Imported body of %s.\n" % (title, extra, title))
        r = subprocess.run([srv.bin, "import", "--db", srv.db, "--from", d],
                           capture_output=True, timeout=60,
                           stdin=subprocess.DEVNULL)
        assert r.returncode == 0, r.stderr


def wait_for(srv, path, text, limit=10.0):
    """GET path until its body holds text (the watcher looks 5 times a
    second); the last body."""
    end = time.time() + limit
    while True:
        body = srv.get(path).text
        if text in body or time.time() > end:
            return body
        time.sleep(0.1)


def test_admin_edit_drops_only_what_it_touches(editor, srv):
    a, sa = publish(editor, "Alpha original")
    _, sb = publish(editor, "Bravo untouched")
    # the brotli made beside a cached page goes with it
    old_br = {p: brotli_answer(srv, p) for p in ("/news/" + sa, "/news/")}
    lm_b, _ = stamp(srv, "/news/" + sb)
    lm_list, _ = stamp(srv, "/news/")
    lm_home, _ = stamp(srv, "/")
    time.sleep(1.1)
    editor.refresh("/admin/items/%d" % a)
    r = editor.item_post("/admin/items/%d" % a, "save", title="Alpha edited",
                         slug=sa, body="Body of Alpha")
    assert r.status == 303, r
    # the edited page, its listing and the home page show the edit at once
    assert "Alpha edited" in srv.get("/news/" + sa).text
    for path, r in old_br.items():
        br = srv.get(path, headers={"Accept-Encoding": "br, gzip"})
        body = brotli.decompress(br.body) if br.header(
            "Content-Encoding") == "br" else gzip.decompress(br.body)
        assert b"Alpha edited" in body, path
        assert br.header("ETag") != r.header("ETag"), path
        br = brotli_answer(srv, path)
        assert b"Alpha edited" in brotli.decompress(br.body), path
    lm, text = stamp(srv, "/news/")
    assert "Alpha edited" in text and "Alpha original" not in text
    assert lm != lm_list
    lm, text = stamp(srv, "/")
    assert "Alpha edited" in text and lm != lm_home
    assert "Alpha edited" in srv.get("/feed.atom").text
    # the other item's page was kept: the same stamp as before the edit
    lm, text = stamp(srv, "/news/" + sb)
    assert lm == lm_b, "an unrelated item's page was rendered again"
    assert "Bravo untouched" in text


def test_other_process_item_change(editor, srv):
    _, sa = publish(editor, "Charlie before")
    _, sb = publish(editor, "Delta kept")
    stamp(srv, "/news/" + sa)
    lm_b, _ = stamp(srv, "/news/" + sb)
    time.sleep(1.1)
    import_news(srv, sa, "Charlie after")
    assert "Charlie after" in wait_for(srv, "/news/" + sa, "Charlie after")
    assert "Charlie after" in wait_for(srv, "/news/", "Charlie after")
    lm, _ = stamp(srv, "/news/" + sb)
    assert lm == lm_b


def test_unpublish_elsewhere_drops_page(editor, srv):
    _, sa = publish(editor, "Echo going away")
    assert srv.get("/news/" + sa).status == 200
    import_news(srv, sa, "Echo going away", "draft: true\n")
    end = time.time() + 10
    while srv.get("/news/" + sa).status == 200 and time.time() < end:
        time.sleep(0.1)
    assert srv.get("/news/" + sa).status == 404
    assert "Echo going away" not in srv.get("/news/").text


def test_setting_change_drops_everything(editor, srv):
    _, sb = publish(editor, "Foxtrot page")
    lm_b, _ = stamp(srv, "/news/" + sb)
    time.sleep(1.1)
    write_setting(srv, "name", "Renamed Alliance")
    body = wait_for(srv, "/news/" + sb, "Renamed Alliance")
    assert "Renamed Alliance" in body
    lm, _ = stamp(srv, "/news/" + sb)
    assert lm != lm_b


def test_new_language_drops_everything(editor, srv):
    _, sb = publish(editor, "Hotel page")
    _, text = stamp(srv, "/news/" + sb)
    assert 'value="th"' not in text
    # the first item in Thai: every page's subscription form offers Thai
    publish(editor, "Golf in Thai", lang="th")
    _, text = stamp(srv, "/news/" + sb)
    assert 'value="th"' in text


def test_listing_order_follows_dates(editor, srv):
    """A listing's order is kept per revision: a changed date moves the
    item at once, between pages too."""
    made = [publish(editor, "India %02d" % i) for i in range(12)]
    _, text = stamp(srv, "/news/")
    assert "India 11" in text
    # the newest item goes back in time, to the end of the listing
    iid, slug = made[11]
    editor.refresh("/admin/items/%d" % iid)
    r = editor.item_post("/admin/items/%d" % iid, "save", title="India 11",
                         slug=slug, body="Body", date="2001-01-01T00:00")
    assert r.status == 303, r
    _, text = stamp(srv, "/news/")
    assert "India 11" not in text and "India 10" in text
    page, last = 1, text
    while 'href="/news/page/%d' % (page + 1) in last:
        page += 1
        last = srv.get("/news/page/%d" % page).text
    assert page > 1 and "India 11" in last, "not on the last page"


@pytest.fixture(scope="module")
def small():
    """A server whose cache holds 1 MB."""
    h = AdminHerald(users=[(EDITOR, "Eddie Editor", "editor", PW)],
                    conf={"login_limit": 1000, "cache_mb": 1}).start()
    c = h.client()
    c.login(EDITOR, PW)
    h.editor = c
    yield h
    h.check_stop()


def test_full_cache_keeps_what_is_read(small):
    """Over its cap the cache drops pages not read lately (the clock
    algorithm) to keep new ones: a page read all along stays, and a page
    first read once the cache is full is kept too."""
    ed = small.editor
    # some 80 KB a page: 1 MB holds a dozen
    filler = "\n\n".join("Paragraph %d of a long report. " % i * 40
                         for i in range(60))
    # the two pages watched are as big as the others: a small one would
    # fit in what room is left
    made = [publish(ed, "Kilo %03d" % i, body=filler)[1]
            for i in range(3)]
    hot = made[0]
    pages = []
    for i in range(24):
        ed.refresh("/admin/items/new")
        slug = uniq("big")
        r = ed.item_post("/admin/items/new", "publish", title="Big %d" % i,
                         slug=slug, body=filler)
        assert r.status == 303, r
        pages.append(slug)
    lm_hot, _ = stamp(small, "/news/" + hot)
    time.sleep(1.1)
    # a change elsewhere: pages rendered from now on carry a newer stamp
    publish(ed, "Lima marker")
    for slug in pages:          # fill the cache well over its cap...
        stamp(small, "/news/" + slug)
        stamp(small, "/news/" + hot)    # ...reading the hot page all along
    late = made[1]
    lm_late, _ = stamp(small, "/news/" + late)   # first read, cache full
    for slug in pages[:8]:
        stamp(small, "/news/" + slug)
        stamp(small, "/news/" + late)
    time.sleep(1.1)
    publish(ed, "Mike marker")  # another change, touching neither page
    lm, _ = stamp(small, "/news/" + hot)
    assert lm == lm_hot, "the page read all along was dropped"
    lm, _ = stamp(small, "/news/" + late)
    assert lm == lm_late, "a page first read when full was not kept"
