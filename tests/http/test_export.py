"""herald export: the public site as files, served by nginx with the
repository's own deploy/nginx.conf, in front of the live server.

The crawl of nginx finds the same pages as the crawl of herald itself,
with the same bodies (the subscription form's token aside: it says when
a page was made), nginx hands out the .gz twins to clients that take
gzip and the .br twins (--brotli: the server's own brotli bytes) to those
that take brotli, forms and search reach the origin through nginx, and a
second export writes nothing when nothing changed.

An incremental export (--incremental) after changes leaves the folder
exactly as a full export into an empty folder makes it (every file, the
.gz twins too, and the .br ones with --brotli), while rendering a
fraction of the pages; a page that is gone is deleted; a change it cannot
narrow down makes it a full run, and so does turning --brotli on or off.
"""

import gzip
import http.client
import os
import re
import shutil
import signal
import subprocess
import tempfile
import time

import brotli
import pytest

from conftest import ROOT, brotli_answer, free_port, herald_path
from sitecrawl import crawl

NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
TOKEN = re.compile(rb'name="t" value="[0-9]+\.0\.[0-9a-f]{32}"')


def export(h, out, *extra):
    r = subprocess.run([herald_path(), "export", "--db", h.db, "--out", out,
                        "--base-url", h.base] + list(extra),
                       capture_output=True, timeout=120)
    assert r.returncode == 0, r.stderr
    return r.stderr.decode()


def get(port, path, headers=None):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        c.request("GET", path, headers=headers or {})
        r = c.getresponse()
        return r.status, r.getheaders(), r.read()
    finally:
        c.close()


@pytest.fixture(scope="module")
def site():
    from conftest import Herald
    h = Herald().start()
    # nginx's workers run as another user: the export must be readable
    # by them (pytest's own folders are not)
    d = tempfile.mkdtemp(prefix="herald-export-")
    os.chmod(d, 0o755)
    out = os.path.join(d, "www")
    log = export(h, out, "--brotli")
    port = free_port()
    conf = open(os.path.join(ROOT, "deploy", "nginx.conf")).read()
    tmp = os.path.join(d, "tmp")
    os.makedirs(tmp)
    for k, v in (("__ROOT__", out), ("__LISTEN__", "127.0.0.1:%d" % port),
                 ("__ORIGIN__", "127.0.0.1:%d" % h.port),
                 ("__PID__", os.path.join(d, "nginx.pid")),
                 ("__TMP__", tmp), ("__LOG__", os.path.join(d, "error.log"))):
        conf = conf.replace(k, v)
    assert "__" not in re.sub(r"#.*", "", conf), "a placeholder is left"
    cpath = os.path.join(d, "nginx.conf")
    with open(cpath, "w") as f:
        f.write(conf)
    t = subprocess.run([NGINX, "-t", "-q", "-c", cpath, "-e",
                        os.path.join(d, "error.log")],
                       capture_output=True, timeout=30)
    assert t.returncode == 0, t.stderr
    p = subprocess.Popen([NGINX, "-c", cpath, "-e",
                          os.path.join(d, "error.log"), "-g",
                          "daemon off;"], stdout=subprocess.DEVNULL,
                         stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 10
    while True:
        try:
            get(port, "/")
            break
        except OSError:
            assert time.monotonic() < deadline, "nginx did not start"
            time.sleep(0.1)
    yield {"herald": h, "out": out, "port": port, "log": log}
    p.send_signal(signal.SIGTERM)
    try:
        p.wait(timeout=10)
    except subprocess.TimeoutExpired:
        p.kill()
    h.check_stop()
    shutil.rmtree(d, ignore_errors=True)


def test_export_writes_the_site(site):
    out = site["out"]
    assert os.path.isfile(os.path.join(out, "index.html"))
    assert os.path.isfile(os.path.join(out, "index.html.gz"))
    assert os.path.isfile(os.path.join(out, "sitemap.xml"))
    assert os.path.isfile(os.path.join(out, "feed.atom"))
    assert os.path.isfile(os.path.join(out, "events.ics"))
    assert os.path.isfile(os.path.join(
        out, "press-releases",
        "holding-back-progress-the-barriers-to-ending-trafficking-in-"
        "persons", "index.html"))
    # forms, search, the API and the admin are not files
    for p in ("admin", "search", "api", "subscribe", "email"):
        assert not os.path.exists(os.path.join(out, p)), p
    # a .gz twin is the page, compressed
    with open(os.path.join(out, "index.html"), "rb") as f:
        page = f.read()
    with open(os.path.join(out, "index.html.gz"), "rb") as f:
        assert gzip.decompress(f.read()) == page
    # and so is a .br twin (--brotli)
    with open(os.path.join(out, "index.html.br"), "rb") as f:
        assert brotli.decompress(f.read()) == page
    assert re.search(r"\(\d+ gzip, [1-9]\d* brotli\)", site["log"]), site["log"]


def test_nginx_serves_the_same_site(site):
    h, port = site["herald"], site["port"]
    live = crawl(h.base)
    static = crawl("http://127.0.0.1:%d" % port)
    assert not live.truncated and not static.truncated
    lp = {p for p, pg in live.pages.items() if pg.status == 200}
    sp = {p for p, pg in static.pages.items() if pg.status == 200}
    assert len(lp) > 50
    assert lp == sp, ("only live: %r; only static: %r" %
                      (sorted(lp - sp)[:10], sorted(sp - lp)[:10]))
    differ = []
    for p in sorted(lp):
        a = TOKEN.sub(b"T", live.pages[p].body)
        b = TOKEN.sub(b"T", static.pages[p].body)
        if a != b:
            differ.append(p)
    assert not differ, "bodies differ: %r" % differ[:10]
    # and the export's files are what nginx sent: nothing came from the
    # origin for these pages
    body = open(os.path.join(site["out"], "index.html"), "rb").read()
    assert static.pages["/"].body == body


def test_nginx_hands_out_gzip_twins(site):
    port = site["port"]
    st, hdrs, body = get(port, "/", {"Accept-Encoding": "gzip"})
    hd = {k.lower(): v for k, v in hdrs}
    assert st == 200 and hd.get("content-encoding") == "gzip"
    st2, _, plain = get(port, "/")
    assert gzip.decompress(body) == plain
    assert "default-src 'none'" in hd.get("content-security-policy", "")
    st, hdrs, _ = get(port, "/feed.atom")
    hd = {k.lower(): v for k, v in hdrs}
    assert st == 200 and hd["content-type"].startswith("application/atom+xml")


def test_nginx_hands_out_brotli_twins(site):
    h, port, out = site["herald"], site["port"], site["out"]
    for path, f in (("/", "index.html"), ("/feed.atom", "feed.atom")):
        st, hdrs, body = get(port, path, {"Accept-Encoding": "gzip, br"})
        hd = {k.lower(): v for k, v in hdrs}
        assert st == 200 and hd.get("content-encoding") == "br", path
        with open(os.path.join(out, f + ".br"), "rb") as fh:
            assert body == fh.read(), path
        with open(os.path.join(out, f), "rb") as fh:
            plain = fh.read()
        assert brotli.decompress(body) == plain
        assert len(body) < len(gzip.compress(plain))
        st, hdrs, _ = get(port, path, {"Accept-Encoding": "gzip"})
        assert dict((k.lower(), v) for k, v in hdrs).get(
            "content-encoding") == "gzip", path
    # byte for byte the brotli the live server sends for the same page
    live = brotli_answer(h, "/feed.atom")
    st, _, body = get(port, "/feed.atom", {"Accept-Encoding": "br"})
    assert body == live.body


def test_forms_and_search_reach_the_origin(site):
    h, port = site["herald"], site["port"]
    st, _, body = get(port, "/search?q=migrants")
    assert st == 200 and b"migrant" in body.lower()
    st2, _, live = get(h.port, "/search?q=migrants")
    assert TOKEN.sub(b"T", body) == TOKEN.sub(b"T", live)
    st, _, body = get(port, "/subscribe")
    assert st == 200 and b'action="/subscribe"' in body
    st, hdrs, _ = get(port, "/admin")
    assert st == 303


def test_second_export_writes_only_what_changed(site, tmp_path):
    h = site["herald"]
    out = str(tmp_path / "www")
    first = export(h, out)
    m = re.search(r"exported (\d+) files \(full: \d+ pages rendered, "
                  r"(\d+) files written", first)
    assert m and int(m.group(1)) == int(m.group(2)) > 50, first
    # nothing changed: no file is written again (a CDN sync sees none)
    stamp = {}
    for dp, _, fs in os.walk(out):
        for f in fs:
            p = os.path.join(dp, f)
            stamp[p] = os.stat(p).st_mtime_ns
    time.sleep(1.1)
    second = export(h, out)
    m2 = re.search(r"exported (\d+) files \(full: \d+ pages rendered, "
                   r"(\d+) files written, (\d+) the same", second)
    assert m2 and int(m2.group(1)) == int(m.group(1)), second
    assert int(m2.group(2)) == 0, second
    assert all(os.stat(p).st_mtime_ns == t for p, t in stamp.items())


def test_new_folder_appears_whole(site, tmp_path):
    # A folder that is not there yet is written under another name beside
    # it and renamed at the end: no staging folder is left, and a folder
    # that cannot be made is an error that leaves nothing behind.
    h = site["herald"]
    out = str(tmp_path / "deep" / "www")
    log = export(h, out)
    assert "exported" in log
    assert os.path.isfile(os.path.join(out, "index.html.gz"))
    assert sorted(os.listdir(tmp_path / "deep")) == [
        "www", "www.herald-export"]
    # the same files as an export into a folder that was there (written
    # through temporary files and renames)
    there = tmp_path / "there"
    there.mkdir()
    export(h, str(there))
    assert tree(out) == tree(str(there))
    blocked = tmp_path / "blocked"
    blocked.write_text("a file where a folder should be")
    r = subprocess.run([herald_path(), "export", "--db", h.db, "--out",
                        str(blocked / "www"), "--base-url", h.base],
                       capture_output=True, timeout=120)
    assert r.returncode != 0 and r.stderr.strip(), r
    assert sorted(os.listdir(tmp_path)) == [
        "blocked", "deep", "there", "there.herald-export"]


# ---------------------------------------------------------------------------
# --incremental
# ---------------------------------------------------------------------------

PRESS = "holding-back-progress-the-barriers-to-ending-trafficking-in-persons"
EVENT = "asia-pacific-civil-society-forum-on-beijing-20"


def tree(out):
    """{relative path: bytes} of every file (the run's state is beside
    the folder, not in it)."""
    files = {}
    for dp, _, fs in os.walk(out):
        for f in fs:
            p = os.path.join(dp, f)
            with open(p, "rb") as fh:
                files[os.path.relpath(p, out)] = fh.read()
    return files


def same_as_full(h, out, tmp_path, name, *extra):
    """The folder out is what a full export into an empty folder makes
    (with the options extra)."""
    full = str(tmp_path / name)
    export(h, full, *extra)
    a, b = tree(out), tree(full)
    assert sorted(set(a) - set(b))[:10] == [], "left over"  # noqa
    assert sorted(set(b) - set(a))[:10] == [], "missing"
    differ = sorted(p for p in a if a[p] != b[p])
    assert differ == [], "differ: %r" % differ[:10]


def import_md(h, tmp_path, name, section, slug, front, body):
    d = tmp_path / name
    (d / section).mkdir(parents=True)
    (d / section / (slug + ".md")).write_text(
        "---\n%s---\n%s\n" % (front, body), encoding="utf-8")
    r = subprocess.run([herald_path(), "import", "--db", h.db, "--from",
                        str(d)], capture_output=True, timeout=60)
    assert r.returncode == 0, r.stderr


def rendered(log):
    m = re.search(r"\((full|incremental): (\d+) pages rendered, (\d+) files "
                  r"written, \d+ the same, (\d+) removed\)", log)
    assert m, log
    return m.group(1), int(m.group(2)), int(m.group(3)), int(m.group(4))


def test_incremental_export(make_herald, tmp_path):
    from conftest import Herald
    h = make_herald(cls=Herald)
    out = str(tmp_path / "www")
    kind, full_n, _, _ = rendered(export(h, out))
    assert kind == "full" and full_n > 50
    # nothing changed: nothing rendered
    kind, n, written, _ = rendered(export(h, out, "--incremental"))
    assert (kind, n, written) == ("incremental", 0, 0)

    # one press release edited, one news item added (by another process)
    import_md(h, tmp_path, "edit", "press-releases", PRESS,
              'title: "Holding back progress, edited"\n'
              "slug: %s\ndate: 2015-06-30T09:00:00+07:00\n"
              "tags: [trafficking, migration]\n" % PRESS,
              "The edited text of the press release.")
    import_md(h, tmp_path, "new", "news", "incremental-export-news",
              'title: "A new item for the incremental export"\n'
              "date: 2026-11-20T10:00:00Z\ntags: [brand-new-tag]\n",
              "A new item, with a tag of its own.")
    kind, n, written, _ = rendered(export(h, out, "--incremental"))
    assert kind == "incremental"
    # (on this small site most pages list items: the new item shifts
    # them all; on 10,000 items an edit renders ~200 of 22,000 pages)
    assert 0 < n < full_n, (n, full_n)
    assert written > 0
    page = open(os.path.join(out, "press-releases", PRESS, "index.html"),
                encoding="utf-8").read()
    assert "Holding back progress, edited" in page
    assert os.path.isfile(os.path.join(out, "news",
                                       "incremental-export-news",
                                       "index.html"))
    assert os.path.isfile(os.path.join(out, "tags", "brand-new-tag",
                                       "index.html"))
    same_as_full(h, out, tmp_path, "full1")

    # an event edited: the events' pages and the calendar follow
    import_md(h, tmp_path, "event", "events", EVENT,
              'title: "Civil Society Forum, edited"\n'
              "slug: %s\ndate: 2014-11-14T09:00:00+07:00\n"
              'start: "2014-11-14"\nend: "2014-11-17"\n'
              "timezone: Asia/Bangkok\ncity: Bangkok\n"
              "country: Thailand\n" % EVENT,
              "The forum, a day longer.")
    kind, _, _, _ = rendered(export(h, out, "--incremental"))
    assert kind == "incremental"
    assert "Civil Society Forum, edited" in open(
        os.path.join(out, "events", EVENT, "index.html"),
        encoding="utf-8").read()
    # (the calendar and the events' pages too: the same as a full run)
    same_as_full(h, out, tmp_path, "full-event")

    # the new item taken back: its page and its tag's page are deleted
    import_md(h, tmp_path, "gone", "news", "incremental-export-news",
              'title: "A new item for the incremental export"\n'
              "date: 2026-11-20T10:00:00Z\ntags: [brand-new-tag]\n"
              "draft: true\n", "A new item, with a tag of its own.")
    kind, n, _, removed = rendered(export(h, out, "--incremental"))
    assert kind == "incremental" and removed >= 2
    assert not os.path.exists(os.path.join(out, "news",
                                            "incremental-export-news"
                                            "/index.html"))
    assert not os.path.exists(os.path.join(out, "tags", "brand-new-tag",
                                           "index.html"))
    same_as_full(h, out, tmp_path, "full2")


def test_incremental_falls_back_to_full(make_herald, tmp_path):
    from conftest import Herald
    h = make_herald(cls=Herald)
    out = str(tmp_path / "www")
    # no earlier run: a full one, said so
    log = export(h, out, "--incremental")
    assert "a full run: no state" in log and rendered(log)[0] == "full"
    # a change that is not an item's (a setting): a full run
    import sqlite3
    con = sqlite3.connect(h.db, timeout=10)
    con.execute("UPDATE setting SET value = 'Renamed for the export' "
                "WHERE key = 'name'")
    con.commit()
    con.close()
    log = export(h, out, "--incremental")
    assert "a full run: a change that is not an item's" in log, log
    assert "Renamed for the export" in open(
        os.path.join(out, "index.html"), encoding="utf-8").read()
    same_as_full(h, out, tmp_path, "full")


def test_incremental_export_with_brotli(make_herald, tmp_path):
    from conftest import Herald
    h = make_herald(cls=Herald)
    out = str(tmp_path / "www")
    kind, full_n, _, _ = rendered(export(h, out, "--brotli"))
    assert kind == "full"
    brs = [p for p in tree(out) if p.endswith(".br")]
    assert len(brs) > 50, brs[:5]
    import_md(h, tmp_path, "edit", "press-releases", PRESS,
              'title: "Holding back progress, in brotli"\n'
              "slug: %s\ndate: 2015-06-30T09:00:00+07:00\n"
              "tags: [trafficking, migration]\n" % PRESS,
              "The edited text of the press release.")
    kind, n, _, _ = rendered(export(h, out, "--incremental", "--brotli"))
    assert kind == "incremental" and 0 < n < full_n
    with open(os.path.join(out, "press-releases", PRESS, "index.html.br"),
              "rb") as f:
        assert b"Holding back progress, in brotli" in brotli.decompress(
            f.read())
    same_as_full(h, out, tmp_path, "full-br", "--brotli")
    # without --brotli: a full run, and no .br twin is left
    log = export(h, out, "--incremental")
    assert "a full run: no --brotli, unlike the last run" in log
    assert rendered(log)[0] == "full"
    assert not [p for p in tree(out) if p.endswith(".br")]
    same_as_full(h, out, tmp_path, "full-plain")
    # and back: a full run that makes the twins of unchanged pages too
    log = export(h, out, "--incremental", "--brotli")
    assert "a full run: --brotli, unlike the last run" in log
    assert rendered(log)[0] == "full"
    same_as_full(h, out, tmp_path, "full-br-again", "--brotli")
