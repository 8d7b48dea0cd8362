"""The web admin (issue 4): sign-in and sessions, CSRF, rate limits, the
second factor, roles, the publishing workflow as the public sees it,
revisions, images, the audit log, and no secrets in the logs.

Most tests share one server (module scope) in --dev-http mode with a few
users made before serve; tests that count sign-in attempts or need the
normal (Secure, __Host-) cookies start servers of their own."""

import datetime
import html
import os
import re
import time

import pytest

from conftest import db_rows, mapped_libs
from adminlib import (PDF, SECRETS, AdminHerald, csrf_of, elf, input_value,
                      item_id_of, location_path, note_secret, png,
                      set_cookies, totp, wait_step_margin)

PW = "correct-horse-battery-1"
BAD_PW = "wrong-horse-battery-99"
WRONG_TEXT = "The e-mail address or the password is wrong."

ADMIN = "admin@example.org"
EDITOR = "editor@example.org"
AUTHOR = "author@example.org"
VICTIM = "author2@example.org"      # disabled by the admin
OUT = "out@example.org"             # signs out
ALL = "all@example.org"             # signs out everywhere
PWCH = "pw@example.org"             # changes the password
TWO = "totp@example.org"            # two-step sign-in

USERS = [
    (ADMIN, "Ada Admin", "admin", PW),
    (EDITOR, "Eddie Editor", "editor", PW),
    (AUTHOR, "Aud Author", "author", PW),
    (VICTIM, "Vic Author", "author", PW),
    (OUT, "Otto Out", "author", PW),
    (ALL, "Alla All", "author", PW),
    (PWCH, "Pat Password", "author", PW),
    (TWO, "Tove Two", "editor", PW),
]

# high limits: every sign-in of this module comes from 127.0.0.1
SHARED_CONF = {"login_limit": 1000, "login_account_limit": 100}


@pytest.fixture(scope="module")
def srv():
    h = AdminHerald(users=USERS, conf=SHARED_CONF).start()
    yield h
    h.check_stop()


@pytest.fixture
def own(make_herald):
    """Factory of servers of a test's own, stopped and checked after."""
    return lambda **kw: make_herald(cls=AdminHerald, **kw)


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


def uniq(word="item"):
    _n[0] += 1
    return "%s-%d-%d" % (word, int(time.time() * 1000) % 10 ** 7, _n[0])


def utc_local(dt):
    return dt.strftime("%Y-%m-%dT%H:%M:%S")


def settle():
    """Nothing to wait for: an admin change drops the cached public pages
    before its answer is sent, so the next request sees it (kept as a
    named step so the tests say where that matters)."""


def listings(h):
    """The public lists an item may show up in: {name: text}."""
    out = {}
    for p in ("/feed.atom", "/sitemap.xml", "/api/v1/items?limit=100",
              "/search?q=quokkaline"):
        r = h.get(p)
        assert r.status == 200, (p, r)
        out[p] = r.text
    return out


# ---------------------------------------------------------------------------
# sign-in: cookies, login CSRF, one answer for unknown and wrong
# ---------------------------------------------------------------------------

COOKIE_NORMAL = re.compile(
    r"^__Host-herald-session=([A-Za-z0-9_-]{43}); Path=/; Max-Age=(\d+); "
    r"HttpOnly; Secure; SameSite=Strict$")
COOKIE_DEV = re.compile(
    r"^herald-session=([A-Za-z0-9_-]{43}); Path=/; Max-Age=(\d+); "
    r"HttpOnly; SameSite=Strict$")


@pytest.fixture(scope="module")
def normal():
    """A server without --dev-http: __Host- cookies, Secure."""
    h = AdminHerald(users=[(ADMIN, "A", "admin", PW)], conf=SHARED_CONF,
                    dev=False).start()
    c = h.client()
    r = c.get("/admin/login")
    assert r.status == 200, r
    first = r
    r = c.post("/admin/login", {"email": ADMIN, "password": PW},
               csrf=csrf_of(r.text))
    h.answers = (first, r, c)
    yield h
    h.check_stop()


def test_cookie_flags_normal_mode(normal):
    form, signin, c = normal.answers
    login = set_cookies(form).get("__Host-herald-login")
    assert login, form.header_all("Set-Cookie")
    assert re.match(r"^__Host-herald-login=[A-Za-z0-9_-]{43}; Path=/; "
                    r"Max-Age=\d+; HttpOnly; Secure; SameSite=Strict$",
                    login[1]), login[1]
    sess = [x for x in signin.header_all("Set-Cookie")
            if "herald-session" in x]
    assert len(sess) == 1, signin.header_all("Set-Cookie")
    m = COOKIE_NORMAL.match(sess[0])
    assert m, "session cookie flags: %r" % sess[0]
    assert int(m.group(2)) > 0


def test_normal_mode_cookie_names(normal):
    form, signin, c = normal.answers
    assert form.header("Cache-Control") == "no-store"
    assert "__Host-herald-login" in set_cookies(form)
    assert signin.status == 303, signin
    assert location_path(signin) == "/admin"
    names = list(set_cookies(signin))
    assert "__Host-herald-session" in names, names
    assert "herald-session" not in names, names
    assert all("Secure" in x for x in signin.header_all("Set-Cookie"))
    assert c.signed_in()
    # the session works under its __Host- name only
    other = normal.client()
    other.cookies["herald-session"] = c.session
    assert not other.signed_in()
    # and the dev-mode name of the sign-in cookie does not pass login CSRF
    d = normal.client()
    tok = d.login_page()
    d.cookies["herald-login"] = d.cookies.pop("__Host-herald-login")
    r = d.post("/admin/login", {"email": ADMIN, "password": PW}, csrf=tok)
    assert r.status == 403, r


def test_cookie_flags_dev_mode(admin, srv):
    c = srv.client()
    r = c.get("/admin/login")
    login = set_cookies(r).get("herald-login")
    assert login, r.header_all("Set-Cookie")
    assert "Secure" not in login[1] and "__Host-" not in login[1]
    r = c.post("/admin/login", {"email": EDITOR, "password": PW},
               csrf=csrf_of(r.text))
    assert r.status == 303, r
    sess = [x for x in r.header_all("Set-Cookie") if "herald-session" in x]
    assert len(sess) == 1, r.header_all("Set-Cookie")
    assert COOKIE_DEV.match(sess[0]), sess[0]
    assert "Secure" not in sess[0]


def test_admin_pages_no_store(admin):
    for p in ("/admin", "/admin/items", "/admin/account", "/admin/media"):
        r = admin.get(p)
        assert r.status == 200, (p, r)
        assert r.header("Cache-Control") == "no-store", (
            p, r.header("Cache-Control"))
        assert csrf_of(r.text) == admin.csrf, p


def test_login_csrf(srv):
    c = srv.client()
    tok = c.login_page()
    login_cookie = c.cookies[srv.login_cookie]
    # no login cookie, token from the form
    bare = srv.client()
    r = bare.post("/admin/login", {"email": ADMIN, "password": PW},
                  csrf=tok)
    assert r.status == 403, r
    assert bare.session is None
    # the cookie but no token, and a wrong token
    r = c.post("/admin/login", {"email": ADMIN, "password": PW},
               csrf=False)
    assert r.status == 403, r
    r = c.post("/admin/login", {"email": ADMIN, "password": PW},
               csrf="0" * len(tok))
    assert r.status == 403, r
    # a token of another browser's cookie
    other = srv.client()
    tok2 = other.login_page()
    assert tok2 != tok
    r = c.post("/admin/login", {"email": ADMIN, "password": PW}, csrf=tok2)
    assert r.status == 403, r
    # cross-site, and a foreign Origin, with the right token
    r = c.post("/admin/login", {"email": ADMIN, "password": PW}, csrf=tok,
               headers={"Sec-Fetch-Site": "cross-site"})
    assert r.status == 403, r
    r = c.post("/admin/login", {"email": ADMIN, "password": PW}, csrf=tok,
               headers={"Origin": "http://evil.example"})
    assert r.status == 403, r
    assert c.session is None
    assert c.cookies[srv.login_cookie] == login_cookie
    # and the right pair works
    r = c.post("/admin/login", {"email": ADMIN, "password": PW}, csrf=tok)
    assert r.status == 303, r
    assert c.session


def test_unknown_user_and_wrong_password_look_alike(srv):
    c = srv.client()
    a = c.password("nobody-%s@example.org" % uniq("u"), BAD_PW)
    b = c.password(EDITOR, BAD_PW)
    assert a.status == b.status == 422, (a, b)
    assert WRONG_TEXT in a.text and WRONG_TEXT in b.text

    def strip(r):
        t = r.text
        t = re.sub(r'name="csrf" value="[^"]*"', "", t)
        t = re.sub(r'name="email"[^>]*>', "", t)
        return t
    assert strip(a) == strip(b)
    assert c.session is None
    assert not [x for x in b.header_all("Set-Cookie")
                if "herald-session" in x]


# ---------------------------------------------------------------------------
# brute force
# ---------------------------------------------------------------------------

def test_login_limit_per_client(own):
    h = own(users=[(ADMIN, "A", "admin", PW)],
            conf={"login_limit": 3, "login_account_limit": 100})
    c = h.client()
    for i in range(3):
        r = c.password("x%d@example.org" % i, BAD_PW)
        assert r.status == 422, (i, r)
    r = c.password(ADMIN, PW)              # even the right password
    assert r.status == 429, r
    ra = r.header("Retry-After")
    assert ra and ra.isdigit() and 0 < int(ra) <= 900, ra
    assert c.session is None
    # another client address is not limited
    d = h.client(source="127.0.0.2")
    r = d.password(ADMIN, PW)
    assert r.status == 303, r


def test_login_limit_per_account(own):
    h = own(users=[(ADMIN, "A", "admin", PW), (EDITOR, "E", "editor", PW)],
            conf={"login_limit": 1000, "login_account_limit": 3})
    for i in range(3):
        c = h.client(source="127.0.0.%d" % (10 + i))
        r = c.password(ADMIN, BAD_PW)
        assert r.status == 422, (i, r)
    c = h.client(source="127.0.0.20")
    r = c.password(ADMIN.upper(), PW)      # case does not matter
    assert r.status == 429, r
    ra = r.header("Retry-After")
    assert ra and ra.isdigit() and int(ra) > 0, ra
    r = c.password(ADMIN, PW)
    assert r.status == 429, r
    assert c.session is None
    # another account from the same address is fine
    r = c.password(EDITOR, PW)
    assert r.status == 303, r


# ---------------------------------------------------------------------------
# CSRF on admin forms
# ---------------------------------------------------------------------------

def test_post_without_csrf_changes_nothing(editor, admin):
    title = "CSRF target " + uniq()
    r = editor.item_post("/admin/items/new", "save", title=title)
    assert r.status == 303, r
    iid = item_id_of(r)
    path = "/admin/items/%d" % iid
    editor.refresh(path)
    good = editor.csrf
    bad_cases = [
        ({}, False),                                   # no token
        ({}, "A" * len(good)),                         # a wrong token
        ({}, admin.csrf),                              # another session's
        ({"Sec-Fetch-Site": "cross-site"}, True),
        ({"Sec-Fetch-Site": "same-site"}, True),
        ({"Origin": "http://evil.example"}, True),
    ]
    for headers, tok in bad_cases:
        editor.csrf = good
        r = editor.post(path, [("kind", "news"), ("title", "HACKED"),
                               ("action", "publish")],
                        headers=headers, csrf=tok)
        assert r.status == 403, (headers, tok, r)
    # nothing changed
    editor.csrf = good
    r = editor.refresh(path)
    assert input_value(r.text, "title") == title
    assert "status-draft" in r.text
    # a new item without a token is not made either
    before = editor.get("/admin/items").text.count("HACKED")
    r = editor.post("/admin/items/new", [("kind", "news"),
                                         ("title", "HACKED new"),
                                         ("action", "save")], csrf=False)
    assert r.status == 403, r
    assert editor.get("/admin/items").text.count("HACKED") == before == 0
    # the account page and logout as well
    r = editor.post("/admin/account", {"action": "logout-all"}, csrf=False)
    assert r.status == 403, r
    r = editor.post("/admin/logout", {}, csrf=False)
    assert r.status == 403, r
    assert editor.signed_in()
    # control: same-origin with the token goes through
    r = editor.post(path, [("kind", "news"), ("title", title + " ok"),
                           ("action", "save")],
                    headers={"Sec-Fetch-Site": "same-origin",
                             "Origin": srv_origin(editor)})
    assert r.status == 303, r


def srv_origin(c):
    return c.h.base


# ---------------------------------------------------------------------------
# roles
# ---------------------------------------------------------------------------

def test_author_cannot_publish(author, srv):
    slug = uniq("author-news")
    r = author.item_post("/admin/items/new", "publish", title="By author",
                         slug=slug)
    assert r.status == 403, r
    r = author.item_post("/admin/items/new", "save", title="By author",
                         slug=slug)
    assert r.status == 303, r
    iid = item_id_of(r)
    path = "/admin/items/%d" % iid
    author.refresh(path)
    for action in ("publish", "schedule", "archive", "unpublish"):
        f = {"title": "By author", "slug": slug}
        if action == "schedule":
            f["date"] = utc_local(datetime.datetime.utcnow() +
                                  datetime.timedelta(days=1))
        r = author.item_post(path, action, **f)
        assert r.status == 403, (action, r)
    assert srv.get("/news/" + slug).status == 404
    # submitting for review is allowed, and still not public
    r = author.item_post(path, "submit", title="By author", slug=slug)
    assert r.status == 303, r
    assert location_path(r) == path + "?done=review"
    r = author.refresh(path)
    assert "status-review" in r.text
    assert srv.get("/news/" + slug).status == 404
    # nor read the audit log
    r = author.get("/admin/audit")
    assert r.status == 403


def test_editor_not_admin_pages(editor, admin):
    for p in ("/admin/audit", "/admin/users"):
        assert editor.get(p).status == 403, p
        assert admin.get(p).status == 200, p
    r = editor.post("/admin/users", {"action": "add", "email":
                                     "x@example.org", "name": "X",
                                     "role": "admin",
                                     "new_password": PW + "x"})
    assert r.status == 403, r


# ---------------------------------------------------------------------------
# the workflow as the public sees it
# ---------------------------------------------------------------------------

def test_unpublished_items_are_404(editor, author, srv):
    word = "quokkaline"
    made = {}
    # draft
    slug = uniq("st-draft")
    r = editor.item_post("/admin/items/new", "save", title=word + " draft",
                         slug=slug, body=word)
    assert r.status == 303, r
    made["draft"] = slug
    # review (an author's item sent for review)
    slug = uniq("st-review")
    r = author.item_post("/admin/items/new", "submit",
                         title=word + " review", slug=slug, body=word)
    assert r.status == 303, r
    author.refresh()
    made["review"] = slug
    # scheduled for tomorrow
    slug = uniq("st-sched")
    r = editor.item_post("/admin/items/new", "schedule",
                         title=word + " scheduled", slug=slug, body=word,
                         date=utc_local(datetime.datetime.utcnow() +
                                        datetime.timedelta(days=1)))
    assert r.status == 303, r
    assert "done=scheduled" in location_path(r)
    made["scheduled"] = slug
    # published, then archived
    slug = uniq("st-arch")
    r = editor.item_post("/admin/items/new", "publish",
                         title=word + " archived", slug=slug, body=word)
    assert r.status == 303, r
    iid = item_id_of(r)
    assert srv.get("/news/" + slug).status == 200
    editor.refresh("/admin/items/%d" % iid)
    r = editor.item_post("/admin/items/%d" % iid, "archive",
                         title=word + " archived", slug=slug, body=word)
    assert r.status == 303, r
    assert srv.get("/news/" + slug).status == 404
    made["archived"] = slug
    # the control: one published
    pub = uniq("st-pub")
    r = editor.item_post("/admin/items/new", "publish",
                         title=word + " published", slug=pub, body=word)
    assert r.status == 303, r
    editor.refresh()
    settle()

    r = srv.get("/news/" + pub)
    assert r.status == 200, r
    lists = listings(srv)
    for name, text in lists.items():
        assert pub in text, "the published item is not in %s" % name
    for state, slug in made.items():
        r = srv.get("/news/" + slug)
        assert r.status == 404, (state, r)
        for name, text in lists.items():
            assert slug not in text, "%s item in %s" % (state, name)


def test_schedule_goes_live_by_timer(editor, srv):
    slug = uniq("sched-soon")
    when = datetime.datetime.utcnow().replace(microsecond=0) + \
        datetime.timedelta(seconds=3)
    r = editor.item_post("/admin/items/new", "schedule", title="Soon",
                         slug=slug, date=utc_local(when), tz="+00:00")
    assert r.status == 303, (r, r.text[:1500])
    editor.refresh()
    assert srv.get("/news/" + slug).status == 404
    due = when.replace(tzinfo=datetime.timezone.utc).timestamp()
    deadline = due + 5
    status = None
    while time.time() < deadline:
        status = srv.get("/news/" + slug).status
        if status == 200:
            break
        assert status == 404, status
        time.sleep(0.25)
    assert status == 200, "not live 5 s after its time"
    assert time.time() >= due - 1, "live before its time"


def test_slug_change_redirects(editor, srv):
    old, new = uniq("old-slug"), uniq("new-slug")
    r = editor.item_post("/admin/items/new", "publish", title="Moving",
                         slug=old)
    assert r.status == 303
    iid = item_id_of(r)
    assert srv.get("/news/" + old).status == 200
    editor.refresh("/admin/items/%d" % iid)
    r = editor.item_post("/admin/items/%d" % iid, "save", title="Moving",
                         slug=new)
    assert r.status == 303, r
    editor.refresh()
    r = srv.get("/news/" + old)
    assert r.status == 301, r
    assert location_path(r) == "/news/" + new, r.header("Location")
    assert srv.get("/news/" + new).status == 200


def test_preview_and_unpublish(editor, srv):
    slug = uniq("prev")
    r = editor.item_post("/admin/items/new", "publish", title="Preview me",
                         slug=slug, body="Hello **world**")
    iid = item_id_of(r)
    editor.refresh("/admin/items/%d" % iid)
    r = editor.item_post("/admin/items/%d" % iid, "unpublish",
                         title="Preview me", slug=slug,
                         body="Hello **world**")
    assert r.status == 303 and "done=unpublished" in location_path(r)
    editor.refresh()
    assert srv.get("/news/" + slug).status == 404
    r = editor.get("/admin/items/%d/preview" % iid)
    assert r.status == 200
    assert "<strong>world</strong>" in r.text
    assert r.header("Cache-Control") == "no-store"
    assert "noindex" in (r.header("X-Robots-Tag") or "") + r.text
    assert srv.get("/admin/items/%d/preview" % iid).status == 303


def test_revisions_compare_restore(editor):
    r = editor.item_post("/admin/items/new", "save", title="First title",
                         slug=uniq("rev"))
    iid = item_id_of(r)
    path = "/admin/items/%d" % iid
    editor.refresh(path)
    r = editor.item_post(path, "save", title="Second title",
                         slug=input_value(editor.get(path).text, "slug"))
    assert r.status == 303
    r = editor.refresh(path + "/revisions")
    revs = [int(x) for x in re.findall(
        r'name="revision" value="(\d+)"', r.text)]
    assert len(revs) == 2, revs
    new, old = revs                         # newest first
    r = editor.get("%s/compare?a=%d&b=%d" % (path, old, new))
    assert r.status == 200
    dels = " ".join(re.findall(r"<del>(.*?)</del>", r.text, re.S))
    inss = " ".join(re.findall(r"<ins>(.*?)</ins>", r.text, re.S))
    assert "First title" in html.unescape(dels), dels
    assert "Second title" in html.unescape(inss), inss
    assert "Second title" not in html.unescape(dels)
    r = editor.post(path + "/restore", {"revision": str(old)})
    assert r.status == 303, r
    assert location_path(r) == path + "?done=restored"
    r = editor.refresh(path)
    assert input_value(r.text, "title") == "First title"
    assert "status-draft" in r.text
    r = editor.refresh(path + "/revisions")
    assert len(re.findall(r'name="revision" value="(\d+)"', r.text)) == 3


# ---------------------------------------------------------------------------
# sessions
# ---------------------------------------------------------------------------

def test_unknown_or_tampered_session(srv, admin):
    for tok in ("A" * 43, admin.session[:-1] +
                ("A" if admin.session[-1] != "A" else "B"), "short"):
        c = srv.client()
        c.cookies[srv.session_cookie] = tok
        r = c.get("/admin")
        assert r.status == 303 and location_path(r) == "/admin/login", tok
        r = c.get("/admin/items")
        assert r.status == 303 and location_path(r) == "/admin/login", tok
        r = c.post("/admin/items/new", {"kind": "news", "title": "x",
                                        "action": "save"},
                   csrf=admin.csrf)
        assert r.status == 403, tok
    assert admin.signed_in()


def test_logout_ends_session(srv):
    c = srv.client()
    c.login(OUT, PW)
    kept = dict(c.cookies)
    r = c.post("/admin/logout", {})
    assert r.status == 303 and location_path(r) == "/admin/login"
    sc = set_cookies(r).get(srv.session_cookie)
    assert sc and "Max-Age=0" in sc[1], r.header_all("Set-Cookie")
    # the old cookie, replayed, opens nothing
    old = srv.client()
    old.cookies = kept
    assert not old.signed_in()


def test_logout_everywhere(srv):
    a, b = srv.client(), srv.client()
    a.login(ALL, PW)
    b.login(ALL, PW)
    assert a.signed_in() and b.signed_in()
    a.refresh("/admin/account")
    stale_csrf = b.csrf
    r = a.post("/admin/account", {"action": "logout-all"})
    assert r.status == 303 and location_path(r) == "/admin/login"
    assert not b.signed_in()
    r = b.post("/admin/items/new", {"kind": "news", "title": "x",
                                    "action": "save"}, csrf=stale_csrf)
    assert r.status == 403
    assert not a.signed_in()


def test_password_change_wrong_current(srv):
    a = srv.client()
    a.login(PWCH, PW)
    a.refresh("/admin/account")
    newpw = "never-set-password-42"
    note_secret(newpw)
    r = a.post("/admin/account", {"action": "password", "password": BAD_PW,
                                  "new_password": newpw,
                                  "new_password2": newpw})
    assert r.status == 422, r
    assert "Your current password is not right." in r.text
    assert r.header("Cache-Control") == "no-store"


def test_password_change_ends_other_sessions(srv):
    a, b = srv.client(), srv.client()
    a.login(PWCH, PW)
    b.login(PWCH, PW)
    a.refresh("/admin/account")
    newpw = "a-brand-new-password-7"
    note_secret(newpw)
    r = a.post("/admin/account", {"action": "password", "password": PW,
                                  "new_password": newpw,
                                  "new_password2": newpw + "x"})
    assert r.status == 422, r
    assert "do not match" in r.text
    assert b.signed_in()
    r = a.post("/admin/account", {"action": "password", "password": PW,
                                  "new_password": newpw,
                                  "new_password2": newpw})
    assert r.status == 303, r
    assert location_path(r) == "/admin/account?done=password"
    assert a.signed_in(), "the session that changed it goes on"
    assert not b.signed_in(), "another session survived a password change"
    c = srv.client()
    assert c.password(PWCH, PW).status == 422
    assert c.password(PWCH, newpw).status == 303


def test_disabled_user_session_stops(srv, admin):
    v = srv.client()
    v.login(VICTIM, PW)
    assert v.signed_in()
    r = admin.refresh("/admin/users")
    m = re.search(re.escape(VICTIM) + r'</td>.*?name="id" value="(\d+)"',
                  r.text, re.S)
    assert m, r.text[:2000]
    uid = m.group(1)
    r = admin.post("/admin/users", {"id": uid, "action": "disable"})
    assert r.status == 303, r
    admin.refresh()
    assert not v.signed_in()
    c = srv.client()
    r = c.password(VICTIM, PW)
    assert r.status == 422 and WRONG_TEXT in r.text


# ---------------------------------------------------------------------------
# two-step sign-in
# ---------------------------------------------------------------------------

def bad_code(secret, step):
    valid = {totp(secret, step=s) for s in range(step - 2, step + 3)}
    for c in ("000000", "123456", "999999", "314159"):
        if c not in valid:
            return c


def test_totp(srv):
    c = srv.client()
    c.login(TWO, PW)
    c.refresh("/admin/account")
    r = c.post("/admin/account", {"action": "totp-start"})
    assert r.status == 200, r
    m = re.search(r'<code class="secret">([A-Z2-7]+)</code>', r.text)
    assert m, r.text[:2000]
    secret = note_secret(m.group(1))
    assert input_value(r.text, "secret") == secret
    step = wait_step_margin(6)
    # a wrong code does not turn it on
    r = c.post("/admin/account", {"action": "totp-confirm",
                                  "secret": secret,
                                  "code": bad_code(secret, step)})
    assert r.status == 422, r
    # the previous step's code (one step of drift is allowed)
    r = c.post("/admin/account", {"action": "totp-confirm",
                                  "secret": secret,
                                  "code": totp(secret, step=step - 1)})
    assert r.status == 200, r
    codes = re.findall(r"<li><code>([^<]+)</code></li>",
                       re.search(r'<ul class="codes">(.*?)</ul>', r.text,
                                 re.S).group(1))
    assert len(codes) == 10, codes
    for x in codes:
        assert re.match(r"^[A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{2}$", x), x
        note_secret(x)

    # sign in: the password alone gives a session for the code page only
    d = srv.client()
    r = d.password(TWO, PW)
    assert r.status == 303 and location_path(r) == "/admin/login/code"
    pending = d.session
    assert pending
    r = d.get("/admin")
    assert r.status == 303 and location_path(r) == "/admin/login/code"
    r = d.get("/admin/items")
    assert r.status == 303 and location_path(r) == "/admin/login/code"
    r = d.code(bad_code(secret, step))
    assert r.status == 422, r
    r = d.code(totp(secret, step=step))
    assert r.status == 303 and location_path(r) == "/admin", r
    assert d.session and d.session != pending, "no new session token"
    assert d.signed_in()
    old = srv.client()
    old.cookies = {srv.session_cookie: pending}
    assert old.get("/admin").status == 303
    assert old.get("/admin/login/code").status == 303

    # the same code again is refused (no replay)
    e = srv.client()
    assert e.password(TWO, PW).status == 303
    r = e.code(totp(secret, step=step))
    assert r.status == 422, "a used TOTP step was accepted again"
    # a recovery code works, once
    r = e.code(codes[0].lower().replace("-", " "))
    assert r.status == 303 and location_path(r) == "/admin", r
    assert e.signed_in()
    f = srv.client()
    assert f.password(TWO, PW).status == 303
    r = f.code(codes[0])
    assert r.status == 422, "a recovery code worked twice"
    r = f.code(codes[1])
    assert r.status == 303, r
    assert f.signed_in()
    # the account page counts what is left
    r = f.refresh("/admin/account")
    assert re.search(r"\b8 recovery codes are left", r.text), r.text[:3000]


# ---------------------------------------------------------------------------
# images
# ---------------------------------------------------------------------------

def test_image_upload_sizes(editor, srv):
    img = png(1200, 800)
    editor.refresh("/admin/media")
    r = editor.post_multipart("/admin/media", [("alt", "A gradient")],
                              [("file", "grad.png", "image/png", img)])
    assert r.status == 303, (r, r.text[:1500])
    m = re.match(r"^/admin/media/(\d+)\?done=uploaded$", location_path(r))
    assert m, location_path(r)
    mid = int(m.group(1))
    r = editor.refresh("/admin/media/%d" % mid)
    urls = re.findall(r'href="(/media/%d-\d+\.webp)"' % mid, r.text)
    assert urls, r.text[:2000]
    assert "/media/%d-480.webp" % mid in urls, urls
    for u in urls:
        p = srv.get(u)
        assert p.status == 200, u
        assert p.header("Content-Type") == "image/webp", u
        assert p.body[:4] == b"RIFF" and p.body[8:12] == b"WEBP", u
    # in a published text it becomes an <img srcset>
    slug = uniq("with-image")
    r = editor.item_post("/admin/items/new", "publish", title="Pictured",
                         slug=slug,
                         body="Look:\n\n![A gradient](/media/%d)\n" % mid)
    assert r.status == 303, r
    editor.refresh()
    page = srv.get("/news/" + slug)
    assert page.status == 200
    tag = re.search(r"<img[^>]*/media/%d-[^>]*>" % mid, page.text)
    assert tag, page.text[:3000]
    assert "srcset=" in tag.group(0) and \
        "/media/%d-480.webp" % mid in tag.group(0), tag.group(0)
    assert 'alt="A gradient"' in tag.group(0)


def test_libvips_loaded_by_first_upload(own):
    # herald does not link libvips: its ~100 libraries, mapped at every
    # exec, made a start about twice as long. media.c opens it on the
    # first upload; this fails if the Makefile links it again.
    if not os.path.exists("/proc/self/maps"):
        pytest.skip("no /proc/PID/maps here")
    h = own(users=[(EDITOR, "E", "editor", PW)])
    vips = [n for n in mapped_libs(h) if n.startswith("libvips.so")]
    assert not vips, "libvips is mapped at start: %s" % vips
    c = h.client()
    c.login(EDITOR, PW)
    c.refresh("/admin/media")
    r = c.post_multipart("/admin/media", [("alt", "A gradient")],
                         [("file", "grad.png", "image/png", png(640, 480))])
    assert r.status == 303, (r, r.text[:1500])
    m = re.match(r"^/admin/media/(\d+)\?done=uploaded$", location_path(r))
    assert m, location_path(r)
    p = h.get("/media/%s-480.webp" % m.group(1))
    assert p.status == 200 and p.body[8:12] == b"WEBP", p
    vips = [n for n in mapped_libs(h) if n.startswith("libvips.so.42")]
    assert vips, "an upload worked without libvips.so.42 mapped"


@pytest.mark.parametrize("name,data", [("doc.png", PDF),
                                       ("prog.png", None)],
                         ids=["pdf", "elf"])
def test_non_image_refused(editor, name, data):
    data = data if data is not None else elf()
    editor.refresh("/admin/media")
    before = len(re.findall(r'href="/admin/media/\d+"',
                            editor.get("/admin/media").text))
    r = editor.post_multipart("/admin/media", [("alt", "not an image")],
                              [("file", name, "image/png", data)])
    assert r.status == 422, r
    after = len(re.findall(r'href="/admin/media/\d+"',
                           editor.refresh("/admin/media").text))
    assert after == before


def test_image_without_alt_refused(editor):
    editor.refresh("/admin/media")
    before = editor.get("/admin/media").text.count('href="/admin/media/')
    for alt in ("", "   "):
        r = editor.post_multipart("/admin/media", [("alt", alt)],
                                  [("file", "x.png", "image/png",
                                    png(64, 48))])
        assert r.status == 422, (alt, r)
        assert "Alt text is required" in r.text
    r = editor.post_multipart("/admin/media", [],
                              [("file", "x.png", "image/png", png(64, 48))])
    assert r.status == 422, r
    after = editor.refresh("/admin/media").text.count('href="/admin/media/')
    assert after == before


def test_big_upload_needs_session(srv, editor):
    # no session: refused from the headers, before any body byte
    req = ("POST /admin/media HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n"
           "Content-Type: multipart/form-data; boundary=x\r\n"
           "Content-Length: 5000000\r\n\r\n" % srv.port).encode()
    t0 = time.monotonic()
    res = srv.raw(req, timeout=5.0)
    took = time.monotonic() - t0
    assert res.status == 413, res
    assert took < 3.0, took
    # a forged session cookie does not help
    res = srv.raw(req.replace(b"\r\n\r\n", ("\r\nCookie: %s=%s\r\n\r\n" % (
        srv.session_cookie, "B" * 43)).encode(), 1), timeout=5.0)
    assert res.status == 413, res
    # a signed-in editor may send a big image
    big = png(1000, 700, noise=True)
    assert len(big) > (1 << 20)
    editor.refresh("/admin/media")
    r = editor.post_multipart("/admin/media", [("alt", "Noise")],
                              [("file", "noise.png", "image/png", big)])
    assert r.status == 303, r


# ---------------------------------------------------------------------------
# the audit log
# ---------------------------------------------------------------------------

def test_audit_log(srv, admin, editor):
    c = srv.client()
    assert c.password(ADMIN, BAD_PW).status == 422
    slug = uniq("audited")
    r = editor.item_post("/admin/items/new", "publish", title="Audited",
                         slug=slug)
    assert r.status == 303
    r = admin.refresh("/admin/audit")
    rows = re.findall(r"<tr><td><time[^>]*>[^<]*</time></td>"
                      r"<td>([^<]*)</td><td>([^<]*)</td><td>([^<]*)</td>"
                      r"<td>([^<]*)</td><td>([^<]*)</td></tr>", r.text)
    assert rows, r.text[:3000]
    acts = {}
    for actor, action, subject, detail, client in rows:
        acts.setdefault(action, []).append((actor, subject, detail,
                                            client))
    assert any(a[0] == ADMIN and a[3] == "127.0.0.1"
               for a in acts.get("login.failed", [])), acts.keys()
    assert any(a[3] == "127.0.0.1" for a in acts.get("login", [])), acts
    pub = [a for a in acts.get("item.publish", []) if a[1] == "Audited"]
    assert pub and pub[0][0] == EDITOR and pub[0][3] == "127.0.0.1", pub
    table = r.text[r.text.index("<tbody>"):r.text.index("</tbody>")]
    leaks = [x for x in SECRETS if x in table]
    assert not leaks, "secrets in the audit log: %r" % leaks


# ---------------------------------------------------------------------------
# no secret in any log (last: it reads what the tests above left)
# ---------------------------------------------------------------------------

def test_zz_no_secrets_in_logs(srv, admin):
    # one more sign-in with everything in it, so the log has them
    c = srv.client()
    c.login(EDITOR, PW)
    c.refresh("/admin/account")
    time.sleep(0.3)
    with open(srv.access_log, "rb") as f:
        log = f.read().decode("utf-8", "replace")
    with open(srv.stderr_path, "rb") as f:
        err = f.read().decode("utf-8", "replace")
    with open(srv.stdout_path, "rb") as f:
        out = f.read().decode("utf-8", "replace")
    assert "/admin/login" in log, "the access log has no sign-in:\n" + \
        log[-2000:]
    assert c.session in SECRETS and c.csrf in SECRETS
    leaks = []
    for s in sorted(SECRETS):
        for name, text in (("access log", log), ("stderr", err),
                           ("stdout", out)):
            if s in text:
                leaks.append((name, s))
    assert not leaks, "secrets in the logs: %r" % leaks[:10]


# ---------------------------------------------------------------------------
# Shared database connections under concurrent writes and reads
# ---------------------------------------------------------------------------

def test_concurrent_saves_and_reads(srv):
    """Four editors each saving four items while 16 readers search, all at
    once: the requests share a few connections (one a core of each kind),
    a request takes its read one before its write one, so none waits for
    another forever: every save lands and every search is answered."""
    from concurrent.futures import ThreadPoolExecutor
    clients = []
    for _ in range(4):
        c = srv.client()
        c.login(EDITOR, PW)
        clients.append(c)
    tag = "pool-" + uniq()

    def save(k):
        c = clients[k]
        return [c.item_post("/admin/items/new", "save",
                            title="%s %d %d" % (tag, k, i)).status
                for i in range(4)]

    def search(i):
        return srv.get("/search?q=pool+%d" % i, timeout=60).status

    with ThreadPoolExecutor(20) as ex:
        saves = [ex.submit(save, k) for k in range(4)]
        reads = [ex.submit(search, i) for i in range(16)]
        assert [f.result(timeout=120) for f in saves] == [[303] * 4] * 4
        assert [f.result(timeout=120) for f in reads] == [200] * 16
    rows = db_rows(srv, "SELECT count(*) FROM item WHERE title LIKE ?",
                   (tag + " %",))
    assert rows[0][0] == 16, rows
