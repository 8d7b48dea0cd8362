"""The admin's editors of publications, members, media contacts, blocks and
settings (src/admin_things.c).

One server for the module (--dev-http, so the session cookie is
herald-session over plain http), with an admin, an editor and an author
added by `herald user add` before it starts. Checks: roles (author 403 on
the editors, editor 403 on settings), CSRF, create / edit / delete of each
kind and the public pages that show them, PDF uploads checked by content
(an executable named x.pdf is refused with 422 and nothing is stored; a
PDF over 20 MB is refused), e-mail addresses never on a public page (only
reveal tokens that answer), the secret setting never shown, hostile titles
escaped, audit and revision rows, and labelled, unique form fields.
"""

import html
import re
import subprocess
import time
from html.parser import HTMLParser

import pytest

from conftest import Herald, db_rows

PASSWORD = "correct horse battery staple"
USERS = {
    "admin": "admin@example.org",
    "editor": "editor@example.org",
    "author": "author@example.org",
}
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
MAX_BYTES = 20 << 20


class AdminHerald(Herald):
    """A server whose database has an admin, an editor and an author."""

    def init(self):
        super().init()
        for role, email in USERS.items():
            r = subprocess.run(
                [self.bin, "user", "add", "--db", self.db, "--email", email,
                 "--name", role.title() + " Person", "--role", role],
                input=(PASSWORD + "\n").encode(), capture_output=True,
                timeout=60)
            assert r.returncode == 0, r.stderr.decode("utf-8", "replace")


@pytest.fixture(scope="module")
def srv():
    h = AdminHerald(extra_args=["--dev-http"]).start()
    yield h
    h.check_stop()


def cookies_of(resp):
    out = {}
    for c in resp.header_all("Set-Cookie"):
        name, _, rest = c.partition("=")
        out[name.strip()] = rest.split(";", 1)[0]
    return out


def hidden_csrf(text):
    m = re.search(r'<input type="hidden" name="csrf" value="([^"]*)"', text)
    assert m, "no csrf field in:\n" + text[:1500]
    return html.unescape(m.group(1))


class Session:
    """A signed-in user: keeps the session cookie, reads csrf from pages."""

    def __init__(self, srv, role):
        self.srv = srv
        r = srv.get("/admin/login")
        assert r.status == 200
        login = cookies_of(r)
        assert "herald-login" in login, r.headers
        r = srv.post_form("/admin/login", {
            "email": USERS[role], "password": PASSWORD,
            "csrf": hidden_csrf(r.text)},
            headers={"Cookie": "herald-login=" + login["herald-login"]})
        assert r.status == 303, (r.status, r.text[:500])
        self.cookie = cookies_of(r)["herald-session"]
        assert self.cookie
        self.csrf = hidden_csrf(self.get("/admin").text)

    def headers(self, extra=None):
        h = {"Cookie": "herald-session=" + self.cookie}
        h.update(extra or {})
        return h

    def get(self, path):
        return self.srv.get(path, headers=self.headers())

    def post(self, path, fields, csrf=True):
        fields = dict(fields)
        if csrf:
            fields["csrf"] = self.csrf
        return self.srv.post_form(path, fields, headers=self.headers())

    def post_multipart(self, path, fields, files=(), csrf=True):
        """files: (field, filename, content type, bytes)."""
        fields = dict(fields)
        if csrf:
            fields["csrf"] = self.csrf
        boundary = "----heraldtest%d" % time.monotonic_ns()
        parts = []
        for k, v in fields.items():
            parts.append(
                ("--%s\r\nContent-Disposition: form-data; name=\"%s\"\r\n\r\n"
                 % (boundary, k)).encode() + str(v).encode() + b"\r\n")
        for name, filename, ctype, data in files:
            parts.append(
                ("--%s\r\nContent-Disposition: form-data; name=\"%s\"; "
                 "filename=\"%s\"\r\nContent-Type: %s\r\n\r\n"
                 % (boundary, name, filename, ctype)).encode() + data +
                b"\r\n")
        body = b"".join(parts) + ("--%s--\r\n" % boundary).encode()
        return self.srv.request(
            "POST", path, body=body, timeout=60, headers=self.headers({
                "Content-Type": "multipart/form-data; boundary=" + boundary}))


@pytest.fixture(scope="module")
def admin(srv):
    return Session(srv, "admin")


@pytest.fixture(scope="module")
def editor(srv):
    return Session(srv, "editor")


@pytest.fixture(scope="module")
def author(srv):
    return Session(srv, "author")


def eventually(fn, timeout=5.0):
    """Retries fn until it returns a true value (the page cache drops its
    pages within ~200 ms of a change)."""
    deadline = time.monotonic() + timeout
    while True:
        v = fn()
        if v or time.monotonic() > deadline:
            return v
        time.sleep(0.1)


def created_id(r, section):
    assert r.status == 303, (r.status, r.text[:3000])
    loc = r.header("Location")
    m = re.match(r"/admin/%s/(\d+)\?done=(created|saved)$" % section, loc)
    assert m, loc
    return int(m.group(1))


def public(srv, path, want=200, contains=None, absent=None):
    def ok():
        r = srv.get(path)
        if r.status != want:
            return None
        if contains is not None and contains not in r.text:
            return None
        if absent is not None and absent in r.text:
            return None
        return r
    r = eventually(ok)
    assert r, "%s: wanted %d%s; got %r" % (
        path, want, " with %r" % contains if contains else "",
        srv.get(path))
    return r


class FormCheck(HTMLParser):
    """Ids, labels and fields of a page."""

    def __init__(self):
        super().__init__()
        self.ids = []
        self.label_for = set()
        self.fields = []        # (tag, id, type)
        self.forms = []         # post forms: has csrf?
        self._form = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if "id" in a:
            self.ids.append(a["id"])
        if tag == "label" and "for" in a:
            self.label_for.add(a["for"])
        if tag == "form" and (a.get("method") or "").lower() == "post":
            self._form = {"csrf": False}
            self.forms.append(self._form)
        if tag == "input" and a.get("name") == "csrf" and self._form:
            self._form["csrf"] = True
        if tag in ("input", "select", "textarea") and \
                a.get("type") not in ("hidden", "submit", "checkbox"):
            self.fields.append((tag, a.get("id"), a.get("name")))

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None


def check_form_page(text, what):
    p = FormCheck()
    p.feed(text)
    dup = {i for i in p.ids if p.ids.count(i) > 1}
    assert not dup, "%s: duplicate ids %s" % (what, dup)
    for tag, fid, name in p.fields:
        assert fid, "%s: %s %s without id" % (what, tag, name)
        assert fid in p.label_for, "%s: no <label for=%s>" % (what, fid)
    assert p.forms and all(f["csrf"] for f in p.forms), (
        "%s: a POST form without csrf" % what)
    for m in re.finditer(r'aria-describedby="([^"]+)"', text):
        assert m.group(1) in p.ids, "%s: no element #%s" % (what,
                                                            m.group(1))
    for m in re.finditer(r'href="#f-([^"]+)"', text):
        assert "f-" + m.group(1) in p.ids, "%s: error link to #f-%s" % (
            what, m.group(1))


# -- roles and CSRF ----------------------------------------------------------

@pytest.mark.parametrize("section", ["publications", "members", "contacts",
                                     "blocks", "settings"])
def test_author_is_refused(author, section):
    assert author.get("/admin/" + section).status == 403
    assert author.post("/admin/" + section + (
        "" if section == "settings" else "/new"),
        {"action": "save", "name": "x", "title": "x"}).status == 403


def test_editor_may_not_change_settings(editor, srv):
    assert editor.get("/admin/settings").status == 403
    r = editor.post("/admin/settings", {"action": "save", "name": "X",
                                        "language": "en"})
    assert r.status == 403
    assert srv.get("/").status == 200
    assert db_rows(srv, "SELECT value FROM setting WHERE key = 'name'")[0][0] \
        != "X"


def test_post_without_csrf_is_refused(editor, srv):
    r = editor.post("/admin/members/new", {
        "action": "save", "name": "No Token Org", "country": "Chile"},
        csrf=False)
    assert r.status == 403
    assert not db_rows(srv, "SELECT id FROM member WHERE name = ?",
                       ("No Token Org",))


@pytest.mark.parametrize("path", [
    "/admin/publications", "/admin/publications/new", "/admin/members",
    "/admin/members/new", "/admin/contacts", "/admin/contacts/new",
    "/admin/blocks", "/admin/blocks/new"])
def test_editor_pages(editor, path):
    r = editor.get(path)
    assert r.status == 200, (path, r.status)
    assert r.header("Cache-Control") == "no-store"
    if path.endswith("/new"):
        check_form_page(r.text, path)
    else:
        assert '<th scope="col">' in r.text


def test_unknown_paths(editor):
    assert editor.get("/admin/members/abc").status == 404
    assert editor.get("/admin/members/999999").status == 404
    assert editor.get("/admin/members/1/x").status == 404
    assert editor.post("/admin/members", {"action": "save"}).status == 405


# -- publications ------------------------------------------------------------

def test_publication_with_pdf(editor, srv):
    r = editor.post_multipart("/admin/publications/new", {
        "action": "save", "title": "Annual Report of the Alliance",
        "slug": "", "year": "2015", "lang": "en",
        "summary": "What we did, write to *press@example.net*.",
        "body": "## Contents\n\nThe whole year."},
        files=[("file", "report.pdf", "application/pdf", PDF)])
    pid = created_id(r, "publications")
    slug, year, ftype, data = db_rows(
        srv, "SELECT slug, year, file_type, file_data FROM publication "
        "WHERE id = ?", (pid,))[0]
    assert slug == "annual-report-of-the-alliance"
    assert year == 2015 and ftype == "application/pdf" and data == PDF
    page = public(srv, "/publications/" + slug, contains="Annual Report")
    assert "/publications/%s.pdf" % slug in page.text
    assert "press@example.net" not in page.text
    f = public(srv, "/publications/%s.pdf" % slug)
    assert f.body == PDF
    assert f.header("Content-Type").startswith("application/pdf")
    assert slug in public(srv, "/publications").text
    # the address in the summary is registered for the reveal
    assert db_rows(srv, "SELECT count(*) FROM email_token WHERE address = ?",
                   ("press@example.net",))[0][0] == 1
    # edit page: labelled fields, the file shown
    r = editor.get("/admin/publications/%d?done=created" % pid)
    assert r.status == 200 and "Created." in r.text
    assert 'enctype="multipart/form-data"' in r.text
    assert "report.pdf" in r.text
    check_form_page(r.text, "publication editor")
    # saving without a new file keeps the old one
    r = editor.post_multipart("/admin/publications/%d" % pid, {
        "action": "save", "title": "Annual Report 2015", "slug": slug,
        "year": "2015", "lang": "en", "summary": "", "body": "Changed."},
        files=[("file", "", "application/octet-stream", b"")])
    assert created_id(r, "publications") == pid
    assert r.header("Location").endswith("done=saved")
    public(srv, "/publications/" + slug, contains="Annual Report 2015")
    assert public(srv, "/publications/%s.pdf" % slug).body == PDF
    # audit and revisions
    acts = [a for (a,) in db_rows(
        srv, "SELECT action FROM audit WHERE action LIKE 'publication.%'")]
    assert "publication.create" in acts and "publication.save" in acts
    revs = db_rows(srv, "SELECT action, text, user_id FROM revision WHERE "
                   "entity = 'publication' AND entity_id = ? ORDER BY id",
                   (pid,))
    assert [a for a, _, _ in revs] == ["create", "save"]
    assert revs[1][1].startswith("---\ntitle: \"Annual Report 2015\"\n")
    assert "file: \"report.pdf\"" in revs[1][1]
    assert revs[1][1].rstrip().endswith("Changed.")
    assert revs[1][2] is not None
    # removing the file
    r = editor.post_multipart("/admin/publications/%d" % pid, {
        "action": "save", "title": "Annual Report 2015", "slug": slug,
        "remove_file": "1", "body": "Changed."})
    assert r.status == 303
    public(srv, "/publications/%s.pdf" % slug, want=404)
    # delete
    r = editor.post("/admin/publications/%d" % pid, {"action": "delete"})
    assert r.status == 303
    assert r.header("Location") == "/admin/publications?done=deleted"
    public(srv, "/publications/" + slug, want=404)
    assert not db_rows(srv, "SELECT id FROM publication WHERE id = ?",
                       (pid,))


def test_executable_named_pdf_is_refused(editor, srv):
    with open("/bin/true", "rb") as f:
        exe = f.read()
    before = db_rows(srv, "SELECT count(*) FROM publication")[0][0]
    r = editor.post_multipart("/admin/publications/new", {
        "action": "save", "title": "Sneaky Binary", "year": "2014"},
        files=[("file", "x.pdf", "application/pdf", exe)])
    assert r.status == 422, r.status
    assert "This file is not a PDF document (it is " in r.text
    m = re.search(r"This file is not a PDF document \(it is ([^)]*)\)\.",
                  r.text)
    assert m and "pdf" not in m.group(1), m and m.group(1)
    assert 'value="Sneaky Binary"' in r.text       # the values sent
    assert 'href="#f-file"' in r.text
    assert db_rows(srv, "SELECT count(*) FROM publication")[0][0] == before
    assert not db_rows(srv, "SELECT id FROM publication WHERE title = ?",
                       ("Sneaky Binary",))
    assert srv.get("/publications/sneaky-binary").status == 404


def test_executable_replacing_a_pdf_keeps_the_old_one(editor, srv):
    r = editor.post_multipart("/admin/publications/new", {
        "action": "save", "title": "Kept File"},
        files=[("file", "kept.pdf", "application/pdf", PDF)])
    pid = created_id(r, "publications")
    with open("/bin/true", "rb") as f:
        exe = f.read()
    r = editor.post_multipart("/admin/publications/%d" % pid, {
        "action": "save", "title": "Kept File Changed"},
        files=[("file", "x.pdf", "application/pdf", exe)])
    assert r.status == 422
    title, data = db_rows(srv, "SELECT title, file_data FROM publication "
                          "WHERE id = ?", (pid,))[0]
    assert title == "Kept File" and data == PDF


def test_pdf_over_the_cap_is_refused(editor, srv):
    big = PDF + b"%" * (MAX_BYTES + 1 - len(PDF))
    before = db_rows(srv, "SELECT count(*) FROM publication")[0][0]
    r = editor.post_multipart("/admin/publications/new", {
        "action": "save", "title": "Too Big Report"},
        files=[("file", "big.pdf", "application/pdf", big)])
    assert r.status == 413, r.status
    assert "The file is too large: at most 20 MB." in r.text
    assert db_rows(srv, "SELECT count(*) FROM publication")[0][0] == before


def test_publication_validation(editor, srv):
    r = editor.post("/admin/publications/new", {
        "action": "save", "title": "", "year": "1800", "slug": "Bad Slug"})
    assert r.status == 422
    assert "Title: required." in r.text
    assert "Year: a year from 1900 to 2100." in r.text
    assert "Address (slug)" in r.text
    check_form_page(r.text, "refused publication")
    r = editor.post("/admin/publications/new", {
        "action": "save", "title": "x" * 501})
    assert r.status == 422 and "at most 500 bytes" in r.text
    # a slug already taken
    r = editor.post("/admin/publications/new", {
        "action": "save", "title": "Dup", "slug": "collateral-damage"})
    assert r.status == 422 and "has this address already" in r.text


def test_hostile_title_is_escaped(editor, srv):
    title = "<script>alert(1)</script>"
    r = editor.post("/admin/publications/new", {
        "action": "save", "title": title, "slug": "hostile-title"})
    pid = created_id(r, "publications")
    page = public(srv, "/publications/hostile-title")
    assert title not in page.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text
    r = editor.get("/admin/publications/%d" % pid)
    assert title not in r.text
    r = editor.get("/admin/publications")
    assert title not in r.text and "&lt;script&gt;" in r.text


# -- members -----------------------------------------------------------------

def test_member_create_edit_delete(editor, srv):
    r = editor.post("/admin/members/new", {
        "action": "save", "name": "Women on the Move Network",
        "acronym": "WOMN", "country": "Kenya", "country_code": "ke",
        "region": "africa", "website": "https://womn.example.org/",
        "body": "We work in Nairobi. Write to info@womn.example.org."})
    mid = created_id(r, "members")
    slug, cc, region = db_rows(
        srv, "SELECT m.slug, m.country_code, g.slug FROM member m "
        "JOIN region g ON g.id = m.region_id WHERE m.id = ?", (mid,))[0]
    assert (slug, cc, region) == ("women-on-the-move-network", "KE",
                                  "africa")
    listing = public(srv, "/members", contains="Women on the Move Network")
    assert "/members/" + slug in listing.text
    page = public(srv, "/members/" + slug, contains="We work in Nairobi")
    assert "info@womn.example.org" not in page.text
    assert db_rows(srv, "SELECT count(*) FROM email_token WHERE address = ?",
                   ("info@womn.example.org",))[0][0] == 1
    r = editor.get("/admin/members/%d" % mid)
    check_form_page(r.text, "member editor")
    assert re.search(r'<option value="africa" selected>', r.text)
    # edit: new slug
    r = editor.post("/admin/members/%d" % mid, {
        "action": "save", "name": "WOMN Kenya", "slug": "womn-kenya",
        "country": "Kenya", "region": "", "website": ""})
    assert created_id(r, "members") == mid
    public(srv, "/members/womn-kenya", contains="WOMN Kenya")
    assert db_rows(srv, "SELECT region_id FROM member WHERE id = ?",
                   (mid,))[0][0] is None
    # validation
    r = editor.post("/admin/members/%d" % mid, {
        "action": "save", "name": "", "country": "",
        "website": "javascript:alert(1)", "country_code": "KEN",
        "region": "atlantis"})
    assert r.status == 422
    for msg in ("Name: required.", "Country: required.", "Website:",
                "Country code:", "Region:"):
        assert msg in r.text, msg
    check_form_page(r.text, "refused member")
    assert db_rows(srv, "SELECT name FROM member WHERE id = ?",
                   (mid,))[0][0] == "WOMN Kenya"
    # delete
    r = editor.post("/admin/members/%d" % mid, {"action": "delete"})
    assert r.status == 303
    public(srv, "/members/womn-kenya", want=404)
    public(srv, "/members", absent="WOMN Kenya")
    assert db_rows(srv, "SELECT action FROM revision WHERE entity = "
                   "'member' AND entity_id = ? ORDER BY id DESC LIMIT 1",
                   (mid,))[0][0] == "delete"


def test_generated_slugs_are_unique(editor, srv):
    ids = []
    for _ in range(2):
        r = editor.post("/admin/members/new", {
            "action": "save", "name": "Twin Org", "country": "Peru"})
        ids.append(created_id(r, "members"))
    slugs = sorted(s for (s,) in db_rows(
        srv, "SELECT slug FROM member WHERE id IN (?, ?)", tuple(ids)))
    assert slugs == ["twin-org", "twin-org-2"]


# -- contacts, settings, e-mail protection -----------------------------------

def test_contact_and_settings(admin, editor, srv):
    addr = "spokes.person@alliance.example.org"
    r = editor.post("/admin/contacts/new", {
        "action": "save", "name": "Ana Spokes", "role": "Spokesperson",
        "phone": "+66 2 000 0000", "email": addr,
        "intro": "For interviews, contact"})
    cid = created_id(r, "contacts")
    slug = db_rows(srv, "SELECT slug FROM contact WHERE id = ?",
                   (cid,))[0][0]
    assert db_rows(srv, "SELECT token FROM email_token WHERE address = ?",
                   (addr,))
    r = editor.post("/admin/contacts/new", {
        "action": "save", "name": "Bad Mail", "email": "not an address"})
    assert r.status == 422 and "E-mail: this is not a valid address." in \
        r.text
    # the settings page: every setting but the secret
    secret = db_rows(srv, "SELECT value FROM setting WHERE key = 'secret'")
    page = admin.get("/admin/settings")
    assert page.status == 200
    check_form_page(page.text, "settings")
    assert 'name="secret"' not in page.text
    assert secret and secret[0][0] not in page.text
    assert 'value="%s"' % slug in page.text
    csrf_before = admin.csrf
    # make the new contact the media contact, change the tagline
    fields = {"action": "save", "name": "Global Alliance Against Traffic "
              "in Women", "short_name": "GAATW",
              "tagline": "Rights & dignity <on the way>",
              "description": "An alliance.", "language": "en",
              "about_block": "about-us", "media_contact": slug,
              "secret": "00" * 32}
    r = admin.post("/admin/settings", fields)
    assert r.status == 303, (r.status, r.text[:2000])
    assert db_rows(srv, "SELECT value FROM setting WHERE key = 'secret'") \
        == secret
    home = public(srv, "/", contains="Rights &amp; dignity &lt;on the way&gt;")
    assert "<on the way>" not in home.text
    assert admin.csrf == csrf_before
    # the press release shows the contact with a token, never the address
    pr = public(srv, "/press-releases/holding-back-progress-the-barriers-"
                "to-ending-trafficking-in-persons", contains="Ana Spokes")
    assert addr not in pr.text
    m = re.search(r'name="t" value="([0-9a-f]{32})"', pr.text)
    assert m
    tokens = set(re.findall(r'name="t" value="([0-9a-f]{32})"', pr.text))
    revealed = [t for t in tokens if addr in srv.post_form(
        "/email", {"t": t}).text]
    assert revealed, "no reveal button of the contact's address answers"
    for path in ("/", "/members", "/publications", "/search?q=Ana"):
        assert addr not in srv.get(path).text, path
    # the contact in use cannot be deleted; the settings revision
    r = editor.post("/admin/contacts/%d" % cid, {"action": "delete"})
    assert r.status == 422 and "media contact" in r.text
    rev = db_rows(srv, "SELECT text FROM revision WHERE entity = "
                  "'settings' ORDER BY id DESC LIMIT 1")[0][0]
    assert "tagline: \"Rights & dignity <on the way>\"" in rev
    assert "secret" not in rev
    # bad settings: 422 with the values sent
    r = admin.post("/admin/settings", dict(fields, name="",
                                           media_contact="nobody"))
    assert r.status == 422
    assert "Site name: required." in r.text
    assert "Media contact: choose one of the list." in r.text
    check_form_page(r.text, "refused settings")
    # back to the demo's contact; now the new one may go
    r = admin.post("/admin/settings", dict(fields,
                                           media_contact="jasmin-qureshi"))
    assert r.status == 303
    r = editor.post("/admin/contacts/%d" % cid, {"action": "delete"})
    assert r.status == 303
    assert not db_rows(srv, "SELECT id FROM contact WHERE id = ?", (cid,))


def test_social_accounts(admin, srv):
    r = admin.post("/admin/settings", {
        "action": "social-add", "network": "mastodon",
        "handle": "@alliance@example.social",
        "url": "https://example.social/@alliance"})
    assert r.status == 303
    sid = db_rows(srv, "SELECT id FROM social WHERE network = 'mastodon'")
    assert sid
    sid = sid[0][0]
    public(srv, "/", contains="https://example.social/@alliance")
    page = admin.get("/admin/settings")
    check_form_page(page.text, "settings with accounts")
    assert 'id="f-url-%d"' % sid in page.text
    r = admin.post("/admin/settings", {
        "action": "social-add", "network": "bad",
        "url": "http://insecure.example.org/"})
    assert r.status == 422 and "https://" in r.text
    assert 'href="#f-url"' in r.text
    r = admin.post("/admin/settings", {
        "action": "social-save", "id": str(sid), "network": "mastodon",
        "handle": "@gaatw", "url": "javascript:alert(1)"})
    assert r.status == 422 and 'href="#f-url-%d"' % sid in r.text
    r = admin.post("/admin/settings", {
        "action": "social-save", "id": str(sid), "network": "mastodon",
        "handle": "@gaatw", "url": "https://example.social/@gaatw",
        "position": "0"})
    assert r.status == 303
    public(srv, "/", contains="https://example.social/@gaatw")
    r = admin.post("/admin/settings", {"action": "social-delete",
                                       "id": str(sid)})
    assert r.status == 303
    public(srv, "/", absent="example.social")
    acts = [a for (a,) in db_rows(srv, "SELECT action FROM audit")]
    for a in ("social.add", "social.save", "social.delete"):
        assert a in acts


# -- blocks ------------------------------------------------------------------

def test_blocks(admin, editor, srv):
    about = db_rows(srv, "SELECT id FROM block WHERE slug = 'about-us'")[0][0]
    r = editor.post("/admin/blocks/%d" % about, {"action": "delete"})
    assert r.status == 422 and "About-us" in r.text
    assert db_rows(srv, "SELECT id FROM block WHERE id = ?", (about,))
    r = editor.post("/admin/blocks/%d" % about, {
        "action": "save", "title": "About us", "slug": "about-us",
        "body": "We are an alliance of 124 organisations. Mail "
                "hello@alliance.example.org."})
    assert created_id(r, "blocks") == about
    pr = public(srv, "/press-releases/holding-back-progress-the-barriers-"
                "to-ending-trafficking-in-persons",
                contains="alliance of 124 organisations")
    assert "hello@alliance.example.org" not in pr.text
    assert db_rows(srv, "SELECT count(*) FROM email_token WHERE address = ?",
                   ("hello@alliance.example.org",))[0][0] == 1
    r = editor.post("/admin/blocks/new", {
        "action": "save", "title": "Spare Block", "body": "Spare."})
    bid = created_id(r, "blocks")
    assert db_rows(srv, "SELECT slug FROM block WHERE id = ?",
                   (bid,))[0][0] == "spare-block"
    assert 'value="spare-block"' in admin.get("/admin/settings").text
    r = editor.post("/admin/blocks/%d" % bid, {"action": "delete"})
    assert r.status == 303
    assert not db_rows(srv, "SELECT id FROM block WHERE id = ?", (bid,))


def test_member_revisions_compare_restore(editor, srv):
    r = editor.post("/admin/members/new", {
        "action": "save", "name": "First Name Org", "country": "Peru",
        "body": "The first text."})
    mid = created_id(r, "members")
    r = editor.post("/admin/members/%d" % mid, {
        "action": "save", "name": "Second Name Org", "country": "Peru",
        "slug": "first-name-org", "body": "The second text."})
    assert created_id(r, "members") == mid
    public(srv, "/members/first-name-org", contains="Second Name Org")
    page = editor.get("/admin/members/%d" % mid)
    assert "/admin/members/%d/revisions" % mid in page.text
    revs = editor.get("/admin/members/%d/revisions" % mid)
    assert revs.status == 200
    ids = re.findall(r'name="revision" value="(\d+)"', revs.text)
    assert len(ids) == 2, ids
    newest, first = ids[0], ids[-1]
    cmp = editor.get("/admin/members/%d/compare?a=%s&b=%s" %
                     (mid, first, newest))
    assert cmp.status == 200
    assert re.search(r"<del>[^<]*First Name Org", cmp.text), cmp.text
    assert re.search(r"<ins>[^<]*Second Name Org", cmp.text), cmp.text
    # a revision of another member is not this one's
    assert editor.get("/admin/members/%d/compare?a=%s&b=999999" %
                      (mid, first)).status == 404
    r = editor.post("/admin/members/%d/restore" % mid, {"revision": first})
    assert r.status == 303, r
    public(srv, "/members/first-name-org", contains="The first text.")
    assert db_rows(srv, "SELECT name FROM member WHERE id = ?",
                   (mid,))[0][0] == "First Name Org"
    assert db_rows(srv, "SELECT count(*) FROM revision WHERE entity = "
                   "'member' AND entity_id = ?", (mid,))[0][0] == 3
    assert db_rows(srv, "SELECT count(*) FROM audit WHERE action = "
                   "'member.restore'")[0][0] >= 1
    # without the CSRF token: refused, nothing restored
    r = editor.post("/admin/members/%d/restore" % mid,
                    {"revision": newest}, csrf=False)
    assert r.status == 403
