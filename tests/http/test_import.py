"""herald import --db FILE --from DIR: a Hugo or Jekyll Markdown site into
an existing database, all or nothing, and idempotent (a second run updates
the same items and changes nothing)."""

import html
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import urllib.parse

import pytest

from conftest import Herald, herald_path

CORPUS = "/work/shared/bench/make-corpus.py"
CORPUS_N = 300
SECTIONS = {"news": "news", "press-releases": "press-release",
            "statements": "statement", "events": "event"}


def run(*args, timeout=120):
    return subprocess.run([herald_path()] + list(args), capture_output=True,
                          timeout=timeout, stdin=subprocess.DEVNULL)


def err_lines(r):
    return [l for l in r.stderr.decode("utf-8", "replace").splitlines()
            if l.strip()]


def query(db, sql, *args):
    con = sqlite3.connect("file:%s?mode=ro" % db, uri=True)
    try:
        return con.execute(sql, args).fetchall()
    finally:
        con.close()


def kind_counts(db):
    return dict(query(db, "SELECT kind, count(*) FROM item GROUP BY kind"))


def row_counts(db):
    """Rows of every table (the search index's through its shadow
    tables: the FTS table itself needs herald's tokenizer)."""
    names = [n for (n,) in query(
        db, "SELECT name FROM sqlite_master WHERE type = 'table' "
            "AND name NOT LIKE 'sqlite_%' "
            "AND sql NOT LIKE 'CREATE VIRTUAL%' ORDER BY name")]
    return {n: query(db, 'SELECT count(*) FROM "%s"' % n)[0][0]
            for n in names}


def items(db):
    return query(db, "SELECT id, kind, slug, title, status, published_at, "
                     "updated_at, body FROM item ORDER BY id")


def write(root, rel, text, raw=None):
    path = os.path.join(root, rel)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(raw if raw is not None else text.encode("utf-8"))
    return path


def fresh_db(d):
    db = os.path.join(d, "site.db")
    r = run("init", "--db", db)
    assert r.returncode == 0, r.stderr
    return db


@pytest.fixture(scope="module")
def corpus():
    """The make-corpus.py site (-n 300) and its files per section."""
    d = tempfile.mkdtemp(prefix="herald-corpus-")
    out = os.path.join(d, "site")
    subprocess.run([sys.executable, CORPUS, out, "-n", str(CORPUS_N)],
                   check=True, capture_output=True, timeout=120)
    files = {s: sorted(f[:-3] for f in os.listdir(os.path.join(out, s)))
             for s in SECTIONS}
    yield out, files
    shutil.rmtree(d, ignore_errors=True)


class Imported(Herald):
    """A server on a fresh database with a site imported into it."""

    source = None

    def init(self):
        super().init()
        self.before = kind_counts(self.db)
        r = run("import", "--db", self.db, "--from", self.source)
        assert r.returncode == 0, r.stderr
        self.import_stderr = r.stderr.decode()


@pytest.fixture(scope="module")
def served(corpus):
    cls = type("ImportedCorpus", (Imported,), {"source": corpus[0]})
    h = cls().start()
    yield h
    h.check_stop()


def front(corpus_dir, section, base):
    with open(os.path.join(corpus_dir, section, base + ".md"),
              encoding="utf-8") as f:
        text = f.read()
    title = re.search(r'^title: "(.*)"$', text, re.M).group(1)
    tags = re.search(r"^tags: \[(.*)\]$", text, re.M).group(1)
    return title, [t.strip(' "') for t in tags.split(",")]


def test_counts_per_kind_match_the_files(served, corpus):
    _, files = corpus
    after = kind_counts(served.db)
    for section, kind in SECTIONS.items():
        assert after.get(kind, 0) - served.before.get(kind, 0) == \
            len(files[section]), (section, after, served.before)
    assert "%d new, 0 updated" % CORPUS_N in served.import_stderr, \
        served.import_stderr
    assert len(served.import_stderr.strip().splitlines()) == 1, \
        served.import_stderr
    # slugs are the file names, as Hugo's URLs have them
    slugs = {s for (s,) in query(served.db, "SELECT slug FROM item WHERE "
                                            "kind = 'news'")}
    assert set(files["news"]) <= slugs


def test_items_tags_and_search_are_served(served, corpus):
    out, files = corpus
    for base in files["news"][:3] + files["news"][-2:]:
        title, tags = front(out, "news", base)
        r = served.get("/news/%s" % base)
        assert r.status == 200, (base, r)
        assert html.escape(title, quote=False) in r.text, title
    base = files["news"][0]
    title, tags = front(out, "news", base)
    # the newest item of the tag is on its first page
    newest = query(served.db, "SELECT i.slug FROM item i JOIN item_tag it "
                              "ON it.item_id = i.id JOIN tag t ON t.id = "
                              "it.tag_id WHERE t.slug = ? AND i.status = "
                              "'published' ORDER BY i.published_at DESC "
                              "LIMIT 1", tags[0])
    assert newest, "no item tagged %s" % tags[0]
    r = served.get("/tags/%s" % tags[0])
    assert r.status == 200, r
    assert newest[0][0] in r.text, (tags[0], newest)
    word = max(title.split(), key=len)
    r = served.get("/search?" + urllib.parse.urlencode({"q": word}))
    assert r.status == 200, r
    assert base in r.text, "search for %r does not find %s" % (word, base)
    # an event without start: all day on its date's day
    ev = files["events"][0]
    r = served.get("/events/%s" % ev)
    assert r.status == 200, (ev, r)


def test_second_import_changes_nothing(served, corpus):
    d = tempfile.mkdtemp(prefix="herald-import-")
    try:
        db = os.path.join(d, "copy.db")
        src = sqlite3.connect(served.db)
        dst = sqlite3.connect(db)
        src.backup(dst)
        src.close()
        dst.close()
        before_items, before_rows = items(db), row_counts(db)
        r = run("import", "--db", db, "--from", corpus[0])
        assert r.returncode == 0, r.stderr
        assert "0 new, %d updated" % CORPUS_N in r.stderr.decode(), r.stderr
        assert items(db) == before_items
        # FTS5's own segments (search_data, search_idx) may differ, and
        # the change log notes the rows the import wrote again
        keep = lambda c: {k: v for k, v in c.items()
                          if k not in ("search_data", "search_idx",
                                       "changelog")}
        assert keep(row_counts(db)) == keep(before_rows)
    finally:
        shutil.rmtree(d, ignore_errors=True)


@pytest.fixture(scope="module")
def jekyll():
    """A small Jekyll-style site with the odd cases."""
    d = tempfile.mkdtemp(prefix="herald-jekyll-")
    write(d, "_posts/2014-12-10-hello-world.md",
          "---\ntitle: Hello world\ncategories: [greetings]\n---\n\n"
          "The *first* post.\n")
    write(d, "_posts/2015-01-02-secret-plan.markdown",
          "---\ntitle: Secret plan\ndraft: true\n"
          "date: 2015-01-02 10:30:00 +0700\n---\nNot yet.\n")
    write(d, "_posts/2015-02-03-spaced-date.md",
          "---\ntitle: Spaced date\n"
          "date: 2014-12-10 09:00:00 +0700\ntags: a, b\n---\nBody.\n")
    write(d, "posts/crlf-bom.md", None,
          raw=b"\xef\xbb\xbf---\r\ntitle: Windows line ends\r\n"
              b"date: 2016-03-04T05:06:07Z\r\n---\r\n\r\nCRLF body.\r\n")
    write(d, "events/meetup.md",
          "---\ntitle: Meetup\ndate: 2017-05-06T18:00:00Z\n---\nCome.\n")
    write(d, "who-we-are.md", "---\ntitle: About us\n---\nWho we are.\n")
    write(d, "misc/odd-one.md",
          "---\ntitle: Odd one\ndate: 2018-01-01\n---\nOdd.\n")
    write(d, "news/_index.md", "no front matter, but Hugo's: skipped\n")
    write(d, ".git/notes.md", "skipped too\n")
    write(d, "news/image.png", "not Markdown")
    os.symlink(os.path.join(d, "who-we-are.md"), os.path.join(d, "link.md"))
    yield d
    shutil.rmtree(d, ignore_errors=True)


@pytest.fixture(scope="module")
def jserved(jekyll):
    cls = type("ImportedJekyll", (Imported,), {"source": jekyll})
    h = cls().start()
    yield h
    h.check_stop()


def item(db, kind, slug):
    rows = query(db, "SELECT title, status, published_at, body, id FROM "
                     "item WHERE kind = ? AND slug = ?", kind, slug)
    assert len(rows) == 1, (kind, slug, rows)
    return rows[0]


def test_jekyll_layout(jserved):
    db = jserved.db
    assert "7 new, 0 updated" in jserved.import_stderr, \
        jserved.import_stderr
    # a folder of no known kind: news, and counted
    assert "1 of no known kind imported as news" in jserved.import_stderr
    assert item(db, "news", "odd-one")[0] == "Odd one"
    title, status, at, body, _ = item(db, "news", "hello-world")
    assert (title, status, at) == ("Hello world", "published", 1418169600)
    tags = query(db, "SELECT t.slug FROM tag t JOIN item_tag it ON "
                     "it.tag_id = t.id JOIN item i ON i.id = it.item_id "
                     "WHERE i.slug = 'hello-world'")
    assert tags == [("greetings",)]
    r = jserved.get("/news/hello-world")
    assert r.status == 200 and "Hello world" in r.text, r
    # "2014-12-10 09:00:00 +0700" as Jekyll writes it
    assert item(db, "news", "spaced-date")[2] == 1418176800
    assert item(db, "page", "who-we-are")[0] == "About us"
    assert query(db, "SELECT count(*) FROM item WHERE slug IN ('link', "
                     "'notes', '_index', 'image')") == [(0,)]


def test_crlf_and_bom(jserved):
    title, _, at, body, _ = item(jserved.db, "news", "crlf-bom")
    assert title == "Windows line ends"
    assert at == 1457067967
    assert "\r" not in body and "CRLF body." in body


def test_event_without_start_is_all_day(jserved):
    _, _, _, _, id = item(jserved.db, "event", "meetup")
    rows = query(jserved.db, "SELECT starts, ends, all_day FROM event "
                             "WHERE item_id = ?", id)
    assert rows == [("2017-05-06", "2017-05-06", 1)]
    assert jserved.get("/events/meetup").status == 200


def test_draft_stays_private(jserved):
    assert item(jserved.db, "news", "secret-plan")[1] == "draft"
    r = jserved.get("/news/secret-plan")
    assert r.status == 404, r
    assert "Secret plan" not in jserved.get("/news/").text


@pytest.mark.parametrize("name,text,word", [
    ("news/untitled.md", "---\ndate: 2020-01-01\n---\nNo title.\n",
     "title"),
    ("news/bad-date.md", "---\ntitle: Bad\ndate: 2020-13-45\n---\nx\n",
     "date"),
    ("news/bare.md", "Just text, no front matter.\n", "front matter"),
    ("news/dup.md", "---\ntitle: A\ndate: 2020-01-01\n---\nx\n", "twice"),
])
def test_bad_file_writes_nothing(name, text, word):
    d = tempfile.mkdtemp(prefix="herald-bad-")
    try:
        db = fresh_db(d)
        src = os.path.join(d, "site")
        write(src, "news/a-good-one.md",
              "---\ntitle: Good\ndate: 2020-01-01\n---\nFine.\n")
        write(src, "posts/dup.md",
              "---\ntitle: B\ndate: 2020-01-02\n---\ny\n")
        bad = write(src, name, text)
        before = row_counts(db)
        r = run("import", "--db", db, "--from", src)
        assert r.returncode == 1, r
        lines = err_lines(r)
        assert len(lines) == 1, lines
        assert bad in lines[0] and word in lines[0], lines
        assert row_counts(db) == before
    finally:
        shutil.rmtree(d, ignore_errors=True)


def test_missing_dir_and_usage():
    d = tempfile.mkdtemp(prefix="herald-use-")
    try:
        db = fresh_db(d)
        r = run("import", "--db", db, "--from", os.path.join(d, "nope"))
        assert r.returncode in (1, 2)
        lines = err_lines(r)
        assert len(lines) == 1 and "nope" in lines[0], lines
        for args in (["--db", db], ["--from", d], ["--db", db, "--from", d,
                                                   "extra"],
                     ["--db", db, "--from", d, "--bogus"], []):
            r = run("import", *args)
            assert r.returncode == 2, (args, r)
            assert len(err_lines(r)) == 1, (args, r.stderr)
        r = run("import", "--db", os.path.join(d, "none.db"), "--from", d)
        assert r.returncode == 1 and len(err_lines(r)) == 1, r
    finally:
        shutil.rmtree(d, ignore_errors=True)
