"""The admin's newsletter and subscriber pages (src/admin_news.c).

One server for the module (--dev-http, no --smtp: nothing is ever sent,
queued mails stay queued) with an admin, an editor and an author. Checks:
roles (author 403 on /admin/newsletters, editor 403 on /admin/subscribers),
CSRF, a newsletter created and edited with two items, its preview (the
text part on the page, the HTML part as a page of its own), sending refused
with nobody to send to (422) and then queued for exactly the confirmed
subscribers of its language, the progress page; the subscriber counts,
search, unsubscribe and erasure with their audit rows, the CSV export
(RFC 4180, guarded against spreadsheet formulas) and the CSV import (all
or nothing, with and without recorded consent).

Subscribers are put into the database with python's sqlite3: the
subscriber table holds no content, so no rendered page depends on it.
"""

import csv
import html
import io
import re
import sqlite3
import time

import pytest

from adminlib import AdminHerald, location_path

PW = "correct-horse-battery-1"
ADMIN = "admin@example.org"
EDITOR = "editor@example.org"
AUTHOR = "author@example.org"
USERS = [
    (ADMIN, "Ada Admin", "admin", PW),
    (EDITOR, "Eddie Editor", "editor", PW),
    (AUTHOR, "Aud Author", "author", PW),
]
CONF = {"login_limit": 1000, "login_account_limit": 100}


@pytest.fixture(scope="module")
def srv():
    h = AdminHerald(users=USERS, conf=CONF).start()
    yield h
    h.check_stop()


@pytest.fixture(scope="module")
def admin(srv):
    c = srv.client()
    c.login(ADMIN, PW)
    return c


@pytest.fixture(scope="module")
def editor(srv):
    c = srv.client()
    c.login(EDITOR, PW)
    return c


@pytest.fixture(scope="module")
def author(srv):
    c = srv.client()
    c.login(AUTHOR, PW)
    return c


_n = [0]


def uniq(word="x"):
    _n[0] += 1
    return "%s%d%d" % (word, int(time.time() * 1000) % 10 ** 7, _n[0])


def db(srv):
    con = sqlite3.connect(srv.db, timeout=10)
    con.row_factory = sqlite3.Row
    return con


def query(srv, sql, args=()):
    con = db(srv)
    try:
        return [tuple(r) for r in con.execute(sql, args).fetchall()]
    finally:
        con.close()


def add_subscriber(srv, email, lang="en", status="confirmed",
                   source="form"):
    con = db(srv)
    try:
        with con:
            cur = con.execute(
                "INSERT INTO subscriber(email, lang, status, consent, "
                "consent_version, consent_at, source, client, created_at, "
                "confirmed_at) VALUES (?, ?, ?, 'I agree', '1', ?, ?, "
                "'127.0.0.1', ?, ?)",
                (email, lang, status, int(time.time()), source,
                 int(time.time()),
                 int(time.time()) if status == "confirmed" else None))
            return cur.lastrowid
    finally:
        con.close()


def site_lang(srv):
    rows = query(srv, "SELECT value FROM setting WHERE key = 'language'")
    return rows[0][0] if rows and rows[0][0] else "en"


def published_items(srv, n=2):
    return query(srv, "SELECT id, title FROM item WHERE status = "
                      "'published' ORDER BY published_at DESC, id DESC "
                      "LIMIT ?", (n,))


def news_id_of(resp):
    p = location_path(resp) or ""
    m = re.match(r"/admin/newsletters/(\d+)\?done=", p)
    assert m, "no /admin/newsletters/ID?done= redirect: %r %r\n%s" % (
        resp, p, resp.text[:1500])
    return int(m.group(1))


def create(c, subject, lang, intro="", items=()):
    r = c.get("/admin/newsletters/new")
    assert r.status == 200, r
    pairs = [("subject", subject), ("lang", lang), ("intro", intro)]
    pairs += [("items", str(i)) for i in items]
    pairs.append(("action", "save"))
    r = c.post("/admin/newsletters/new", pairs)
    assert r.status == 303, (r, r.text[:1500])
    assert "done=created" in location_path(r)
    return news_id_of(r)


def audit_rows(srv, action):
    return query(srv, "SELECT actor, subject, detail FROM audit WHERE "
                      "action = ? ORDER BY id", (action,))


def csv_file(text):
    return [("file", "list.csv", "text/csv", text.encode("utf-8"))]


# -- roles and CSRF ----------------------------------------------------------

def test_roles(author, editor, admin):
    assert author.get("/admin/newsletters").status == 403
    assert author.get("/admin/newsletters/new").status == 403
    assert editor.get("/admin/subscribers").status == 403
    assert editor.get("/admin/subscribers.csv").status == 403
    assert editor.get("/admin/newsletters").status == 200
    assert admin.get("/admin/newsletters").status == 200
    assert admin.get("/admin/subscribers").status == 200
    assert admin.get("/admin/newsletters/999999").status == 404
    assert admin.get("/admin/newsletters/abc").status == 404


def test_post_without_csrf(srv, editor, admin):
    lang = site_lang(srv)
    before = query(srv, "SELECT count(*) FROM newsletter")[0][0]
    r = editor.post("/admin/newsletters/new",
                    {"subject": "no token", "lang": lang, "action": "save"},
                    csrf=False)
    assert r.status == 403
    r = editor.post("/admin/newsletters/new",
                    {"subject": "bad token", "lang": lang, "action": "save"},
                    csrf="x" * 40)
    assert r.status == 403
    assert query(srv, "SELECT count(*) FROM newsletter")[0][0] == before
    sid = add_subscriber(srv, uniq("csrf") + "@example.net")
    admin.refresh("/admin/subscribers")
    r = admin.post("/admin/subscribers", {"action": "delete", "id": sid},
                   csrf=False)
    assert r.status == 403
    assert query(srv, "SELECT count(*) FROM subscriber WHERE id = ?",
                 (sid,))[0][0] == 1


# -- newsletters -------------------------------------------------------------

def test_create_edit_preview(srv, editor):
    lang = site_lang(srv)
    items = published_items(srv, 2)
    assert len(items) == 2, "the demo content has no two published items"
    r = editor.get("/admin/newsletters")
    assert r.status == 200 and "New newsletter" in r.text
    subject = "Monthly " + uniq()
    nid = create(editor, subject, lang)
    r = editor.get("/admin/newsletters/%d" % nid)
    assert r.status == 200
    assert 'id="f-subject"' in r.text and 'id="f-lang"' in r.text
    assert 'id="f-intro"' in r.text
    # every item offered as a checkbox, none ticked yet
    for iid, _ in items:
        assert re.search(r'<input type="checkbox" id="f-items-%d" '
                         r'name="items" value="%d">' % (iid, iid), r.text)
    # edit: two items, in the list's order
    intro = "Hello **readers**, news of " + subject
    pairs = [("subject", subject + " (edited)"), ("lang", lang),
             ("intro", intro), ("items", str(items[1][0])),
             ("items", str(items[0][0])), ("action", "save")]
    r = editor.post("/admin/newsletters/%d" % nid, pairs)
    assert r.status == 303, (r, r.text[:1500])
    assert location_path(r) == "/admin/newsletters/%d?done=saved" % nid
    rows = query(srv, "SELECT item_id, position FROM newsletter_item WHERE "
                      "newsletter_id = ? ORDER BY position", (nid,))
    assert rows == [(items[0][0], 0), (items[1][0], 1)], rows
    assert query(srv, "SELECT subject, intro, lang, status FROM newsletter "
                      "WHERE id = ?", (nid,)) == [
        (subject + " (edited)", intro, lang, "draft")]
    assert audit_rows(srv, "newsletter.create")
    assert any(str(nid) in d for _, _, d in audit_rows(srv,
                                                       "newsletter.save"))
    r = editor.get("/admin/newsletters/%d?done=saved" % nid)
    assert r.status == 200 and "Saved." in r.text
    for iid, _ in items:
        assert 'id="f-items-%d" name="items" value="%d" checked' % (
            iid, iid) in r.text
    # the text part in a <pre>, with both titles
    m = re.search(r"<pre>(.*?)</pre>", r.text, re.S)
    assert m, "no text part on the page"
    text = html.unescape(m.group(1))
    assert subject + " (edited)" in text
    for _, title in items:
        assert title in text, "%r not in the text part:\n%s" % (title, text)
    assert "Hello readers" in text
    assert "See the mail as it will look" in r.text
    assert 'href="/admin/newsletters/%d/preview"' % nid in r.text
    # the HTML part, a page of its own
    p = editor.get("/admin/newsletters/%d/preview" % nid)
    assert p.status == 200
    assert p.header("Content-Type").startswith("text/html")
    assert "no-store" in (p.header("Cache-Control") or "")
    assert "<title>%s</title>" % html.escape(subject + " (edited)",
                                             quote=True) in p.text
    for _, title in items:
        assert html.escape(title, quote=True) in p.text or title in p.text
    assert "<strong>readers</strong>" in p.text
    assert editor.get("/admin/newsletters/%d/preview" % 999999).status == 404
    # listed
    r = editor.get("/admin/newsletters")
    assert html.escape(subject + " (edited)", quote=True) in r.text


def test_bad_values(srv, editor):
    lang = site_lang(srv)
    editor.refresh("/admin/newsletters/new")
    r = editor.post("/admin/newsletters/new",
                    {"subject": "", "lang": lang, "action": "save"})
    assert r.status == 422 and 'href="#f-subject"' in r.text
    r = editor.post("/admin/newsletters/new",
                    {"subject": "x" * 301, "lang": lang, "action": "save"})
    assert r.status == 422
    r = editor.post("/admin/newsletters/new",
                    {"subject": "bad\x01", "lang": lang, "action": "save"})
    assert r.status == 422
    r = editor.post("/admin/newsletters/new",
                    {"subject": "lang", "lang": "xx-bogus", "action": "save"})
    assert r.status == 422 and 'href="#f-lang"' in r.text
    r = editor.post("/admin/newsletters/new",
                    {"subject": "s", "lang": lang, "intro": "y" * 20001,
                     "action": "save"})
    assert r.status == 422
    r = editor.post("/admin/newsletters/new",
                    {"subject": "<script>alert(1)</script>", "lang": "xx",
                     "action": "save"})
    assert r.status == 422 and "<script>alert" not in r.text


def test_send(srv, editor):
    lang = site_lang(srv)
    other = "zz" if lang != "zz" else "yy"
    subject = "Send " + uniq()
    nid = create(editor, subject, lang, "Intro",
                 [published_items(srv, 1)[0][0]])
    # nobody confirmed in this language yet (only others)
    con = db(srv)
    with con:
        con.execute("UPDATE subscriber SET status = 'unsubscribed' WHERE "
                    "lang = ? AND status = 'confirmed'", (lang,))
    con.close()
    add_subscriber(srv, uniq("pend") + "@example.net", lang, "pending")
    editor.refresh("/admin/newsletters/%d" % nid)
    r = editor.post("/admin/newsletters/%d" % nid, {"action": "send"})
    assert r.status == 422, (r, r.text[:800])
    assert "nobody would receive" in r.text
    assert query(srv, "SELECT status FROM newsletter WHERE id = ?",
                 (nid,)) == [("draft",)]
    assert query(srv, "SELECT count(*) FROM mail WHERE newsletter_id = ?",
                 (nid,)) == [(0,)]
    # three confirmed readers of the language, and others that get nothing
    want = set()
    for i in range(3):
        e = uniq("reader") + "@example.net"
        add_subscriber(srv, e, lang, "confirmed")
        want.add(e)
    add_subscriber(srv, uniq("gone") + "@example.net", lang, "unsubscribed")
    add_subscriber(srv, uniq("other") + "@example.net", other, "confirmed")
    r = editor.get("/admin/newsletters/%d" % nid)
    assert re.search(r"To 3 confirmed subscribers", r.text), r.text
    pairs = [("subject", subject), ("lang", lang), ("intro", "Intro"),
             ("items", str(published_items(srv, 1)[0][0])),
             ("action", "send")]
    r = editor.post("/admin/newsletters/%d" % nid, pairs)
    assert r.status == 303, (r, r.text[:1500])
    assert location_path(r) == "/admin/newsletters/%d?done=queued" % nid
    rows = query(srv, "SELECT rcpt, status, kind FROM mail WHERE "
                      "newsletter_id = ?", (nid,))
    assert {r_[0] for r_ in rows} == want, rows
    assert all(r_[1] == "queued" and r_[2] == "newsletter" for r_ in rows)
    assert query(srv, "SELECT status FROM newsletter WHERE id = ?",
                 (nid,)) == [("sending",)]
    a = [d for _, s, d in audit_rows(srv, "newsletter.send") if s == subject]
    assert a == ["id %d, 3 recipients" % nid], a
    # the progress page: no editor, the counts, a plain refresh link
    r = editor.get("/admin/newsletters/%d" % nid)
    assert r.status == 200
    assert 'id="f-subject"' not in r.text
    assert re.search(r"<td>queued</td><td>3</td>", r.text), r.text
    assert '<a href="/admin/newsletters/%d">Refresh</a>' % nid in r.text
    assert "<script" not in r.text and 'http-equiv="refresh"' not in r.text
    assert "<pre>" in r.text
    # a failed mail shows its error
    con = db(srv)
    with con:
        con.execute("UPDATE mail SET status = 'failed', last_error = "
                    "'550 no such user' WHERE id = (SELECT min(id) FROM mail "
                    "WHERE newsletter_id = ?)", (nid,))
    con.close()
    r = editor.get("/admin/newsletters/%d" % nid)
    assert "550 no such user" in r.text
    # it no longer changes, and it is not sent twice
    r = editor.post("/admin/newsletters/%d" % nid, {"action": "send"})
    assert r.status == 409
    r = editor.post("/admin/newsletters/%d" % nid,
                    {"subject": "changed", "lang": lang, "action": "save"})
    assert r.status == 409
    assert query(srv, "SELECT count(*) FROM mail WHERE newsletter_id = ?",
                 (nid,)) == [(3,)]
    r = editor.get("/admin/newsletters")
    assert "sending" in r.text


def test_delete_draft(srv, editor):
    nid = create(editor, "Delete " + uniq(), site_lang(srv))
    editor.refresh("/admin/newsletters/%d" % nid)
    r = editor.post("/admin/newsletters/%d" % nid, {"action": "delete"})
    assert r.status == 303
    assert location_path(r) == "/admin/newsletters?done=deleted"
    assert query(srv, "SELECT count(*) FROM newsletter WHERE id = ?",
                 (nid,)) == [(0,)]
    assert editor.get("/admin/newsletters/%d" % nid).status == 404


# -- subscribers ---------------------------------------------------------------

def test_counts_and_search(srv, admin):
    tag = uniq("cnt")
    for i in range(2):
        add_subscriber(srv, "%s-c%d@example.org" % (tag, i), "en",
                       "confirmed")
    add_subscriber(srv, "%s-p@example.org" % tag, "en", "pending")
    r = admin.get("/admin/subscribers")
    assert r.status == 200
    want = query(srv, "SELECT sum(status = 'pending'), "
                      "sum(status = 'confirmed'), "
                      "sum(status = 'unsubscribed'), count(*) FROM "
                      "subscriber WHERE lang = 'en'")[0]
    assert re.search(r"\(en\)</th><td>%d</td><td>%d</td><td>%d</td>"
                     r"<td>%d</td>" % want, r.text), r.text
    r = admin.get("/admin/subscribers?q=%s&status=" % tag.upper())
    assert r.status == 200
    assert r.text.count("<td>%s-" % tag) == 3
    assert "3 subscribers found" in r.text
    r = admin.get("/admin/subscribers?q=%s&status=pending" % tag)
    assert r.text.count("<td>%s-" % tag) == 1 and "%s-p@" % tag in r.text
    # many: 50 a page, with a link to the next
    for i in range(55):
        add_subscriber(srv, "%s-m%02d@example.org" % (tag, i), "en",
                       "pending")
    r = admin.get("/admin/subscribers?q=%s-m" % tag)
    assert r.text.count("<td>%s-m" % tag) == 50
    m = re.search(r'<a href="([^"]*)" rel="next">', r.text)
    assert m, "no next page"
    r2 = admin.get(html.unescape(m.group(1)))
    assert r2.status == 200 and r2.text.count("<td>%s-m" % tag) == 5


def test_unsubscribe_and_delete(srv, admin):
    e = uniq("u") + "@example.org"
    sid = add_subscriber(srv, e)
    con = db(srv)
    with con:
        con.execute("INSERT INTO mail(kind, subscriber_id, rcpt, next_at, "
                    "message_id, created_at) VALUES ('confirm', ?, ?, 0, "
                    "'<a@b>', 0)", (sid, e))
    con.close()
    admin.refresh("/admin/subscribers")
    r = admin.post("/admin/subscribers", {"action": "unsubscribe",
                                          "id": sid})
    assert r.status == 303
    assert query(srv, "SELECT status, unsubscribed_at IS NOT NULL FROM "
                      "subscriber WHERE id = ?", (sid,)) == [
        ("unsubscribed", 1)]
    assert query(srv, "SELECT status FROM mail WHERE subscriber_id = ?",
                 (sid,)) == [("cancelled",)]
    assert [s for _, s, _ in audit_rows(srv, "subscriber.unsubscribe")
            if s == e]
    r = admin.post("/admin/subscribers", {"action": "delete", "id": sid})
    assert r.status == 303
    assert location_path(r) == "/admin/subscribers?done=deleted"
    assert query(srv, "SELECT count(*) FROM subscriber WHERE id = ?",
                 (sid,)) == [(0,)]
    assert query(srv, "SELECT count(*) FROM mail WHERE subscriber_id = ?",
                 (sid,)) == [(0,)]
    rows = audit_rows(srv, "subscriber.delete")
    assert rows and rows[-1][1] == "subscriber %d" % sid
    # erasure: the address is nowhere in the audit log of the deletion
    assert all(e not in (s + d) for _, s, d in rows)
    r = admin.post("/admin/subscribers", {"action": "delete", "id": sid})
    assert r.status == 404
    r = admin.post("/admin/subscribers", {"action": "nonsense", "id": sid})
    assert r.status == 400


def test_csv_export(srv, admin):
    tricky = uniq("csv") + "@example.org"
    add_subscriber(srv, tricky, "en", "confirmed", source='=cmd|" /C calc"!A0')
    r = admin.get("/admin/subscribers.csv")
    assert r.status == 200
    assert r.header("Content-Type") == "text/csv; charset=utf-8"
    assert r.header("Content-Disposition") == \
        'attachment; filename="subscribers.csv"'
    assert "no-store" in (r.header("Cache-Control") or "")
    body = r.body.decode("utf-8")
    assert body.endswith("\r\n")
    assert "\n" not in body.replace("\r\n", "")
    rows = list(csv.reader(io.StringIO(body, newline="")))
    assert rows[0] == ["email", "lang", "status", "consent_version",
                       "consent_at", "confirmed_at", "source"]
    n = query(srv, "SELECT count(*) FROM subscriber")[0][0]
    assert len(rows) == n + 1
    row = [x for x in rows if x[0] == tricky]
    assert row, "the address is not in the export"
    row = row[0]
    # a leading apostrophe: no spreadsheet runs it as a formula
    assert row[6] == "'=cmd|\" /C calc\"!A0", row
    assert re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$", row[4]), row
    assert re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$", row[5]), row
    assert row[2] == "confirmed" and row[3] == "1"
    assert audit_rows(srv, "subscriber.export")


def test_import_bad_line_stores_nothing(srv, admin):
    tag = uniq("bad")
    before = query(srv, "SELECT count(*) FROM subscriber")[0][0]
    mails = query(srv, "SELECT count(*) FROM mail")[0][0]
    text = ("email,lang\r\n%s-1@example.org,en\r\nnot-an-address,en\r\n"
            "%s-2@example.org,en\r\n\"%s 3@example.org\",en\r\n"
            % (tag, tag, tag))
    admin.refresh("/admin/subscribers")
    r = admin.post_multipart("/admin/subscribers",
                             [("action", "import"), ("consent", "yes")],
                             csv_file(text))
    assert r.status == 422, (r, r.text[:1500])
    assert "Nothing is imported" in r.text
    assert "Line 3:" in r.text and "Line 5:" in r.text
    assert "Line 2:" not in r.text and "Line 4:" not in r.text
    assert query(srv, "SELECT count(*) FROM subscriber")[0][0] == before
    assert query(srv, "SELECT count(*) FROM mail")[0][0] == mails
    # a header without email, a quote never closed
    r = admin.post_multipart("/admin/subscribers", [("action", "import")],
                             csv_file("address,lang\nx@example.org,en\n"))
    assert r.status == 422 and "Line 1" in r.text
    r = admin.post_multipart(
        "/admin/subscribers", [("action", "import")],
        csv_file('email\n"%s@example.org\n' % tag))
    assert r.status == 422 and "not closed" in r.text
    r = admin.post_multipart("/admin/subscribers", [("action", "import")],
                             [])
    assert r.status == 422
    assert query(srv, "SELECT count(*) FROM subscriber")[0][0] == before


def test_import_without_consent(srv, admin):
    tag = uniq("imp")
    existing = tag + "-old@example.org"
    add_subscriber(srv, existing, "en", "unsubscribed")
    # BOM, columns in another order, quoting, LF, a blank line, a lang
    # not offered (becomes the site's), a duplicate in another case
    text = ("\ufefflang,name,email\n"
            "en,\"Doe, Jane\",%s-a@example.org\n"
            "\n"
            "qq,\"Say \"\"hi\"\"\",%s-b@example.org\n"
            "en,Old,%s\n" % (tag, tag, existing.upper()))
    admin.refresh("/admin/subscribers")
    r = admin.post_multipart("/admin/subscribers", [("action", "import")],
                             csv_file(text))
    assert r.status == 200, (r, r.text[:1500])
    assert "2 new subscribers" in r.text and "1 already there" in r.text
    rows = query(srv, "SELECT email, lang, status, source, "
                      "confirm_sent_at IS NOT NULL FROM subscriber WHERE "
                      "email LIKE ? ORDER BY email", (tag + "-%",))
    assert rows == [
        (tag + "-a@example.org", "en", "pending", "import", 1),
        (tag + "-b@example.org", site_lang(srv), "pending", "import", 1),
        (existing, "en", "unsubscribed", "form", 0),
    ], rows
    m = query(srv, "SELECT m.kind, m.status, m.rcpt, m.message_id FROM mail "
                   "m JOIN subscriber s ON s.id = m.subscriber_id WHERE "
                   "s.email LIKE ? ORDER BY m.rcpt", (tag + "-%",))
    assert [(k, s, e) for k, s, e, _ in m] == [
        ("confirm", "queued", tag + "-a@example.org"),
        ("confirm", "queued", tag + "-b@example.org")], m
    assert all(re.match(r"^<[0-9a-f]+@[^>]+>$", x[3]) for x in m)
    a = audit_rows(srv, "subscriber.import")
    assert a and "2 added as pending" in a[-1][2] and \
        "1 already there" in a[-1][2]


def test_import_with_consent(srv, admin):
    tag = uniq("con")
    text = "email\r\n%s-1@example.org\r\n%s-2@example.org" % (tag, tag)
    admin.refresh("/admin/subscribers")
    r = admin.post_multipart("/admin/subscribers",
                             [("action", "import"), ("consent", "yes")],
                             csv_file(text))
    assert r.status == 200, (r, r.text[:1500])
    rows = query(srv, "SELECT status, source, consent, confirmed_at IS NOT "
                      "NULL, lang FROM subscriber WHERE email LIKE ?",
                 (tag + "-%",))
    assert len(rows) == 2
    for st, src, consent, confirmed, lang in rows:
        assert (st, src, confirmed) == ("confirmed", "import", 1)
        assert consent == ("Prior consent recorded by %s at import"
                           % ADMIN)
        assert lang == site_lang(srv)
    assert query(srv, "SELECT count(*) FROM mail m JOIN subscriber s ON "
                      "s.id = m.subscriber_id WHERE s.email LIKE ?",
                 (tag + "-%",)) == [(0,)]


def test_pages_labelled(srv, admin, editor):
    """Every input has a label (or aria-label), ids are unique, tables
    have column headers, forms carry the CSRF field."""
    nid = create(editor, "Labels " + uniq(), site_lang(srv))
    for c, path in ((admin, "/admin/subscribers"),
                    (editor, "/admin/newsletters"),
                    (editor, "/admin/newsletters/new"),
                    (editor, "/admin/newsletters/%d" % nid)):
        t = c.get(path).text
        ids = re.findall(r'\sid="([^"]+)"', t)
        assert len(ids) == len(set(ids)), (path, ids)
        for m in re.finditer(r"<(input|select|textarea)\b([^>]*)>", t):
            attrs = m.group(2)
            if 'type="hidden"' in attrs:
                continue
            i = re.search(r'id="([^"]+)"', attrs)
            assert i, (path, m.group(0))
            assert 'for="%s"' % i.group(1) in t or re.search(
                r"<label[^>]*>[^<]*" + re.escape(m.group(0)), t), \
                (path, m.group(0))
        for f in re.findall(r'<form method="post".*?</form>', t, re.S):
            assert 'name="csrf"' in f, (path, f)
        for tb in re.findall(r"<table>.*?</table>", t, re.S):
            assert '<th scope="col">' in tb
