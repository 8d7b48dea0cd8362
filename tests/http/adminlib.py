"""A small client for the web admin's HTTP tests.

  AdminHerald   a conftest.Herald that adds users (herald user add, the
                password on stdin) before serve, and takes serve settings
                from a config file of its own (--config) plus --dev-http
  Client        one browser: its cookies, the CSRF token of the last admin
                page, sign-in (password, then the second factor)
  totp()        RFC 6238 codes (SHA-1, 30 s, 6 digits) for a base32 secret
  png()         a PNG made in pure Python (zlib + struct)
  multipart()   a multipart/form-data body

Every secret a test handles (passwords, session and CSRF tokens, the
sign-in cookie, TOTP secrets, recovery codes) is noted in SECRETS, so a
test can look for them in the logs afterwards.
"""

import base64
import hashlib
import hmac
import html
import os
import re
import struct
import subprocess
import time
import urllib.parse
import zlib

from conftest import Herald

SECRETS = set()          # every secret value seen by a client
PW_LEN_MIN = 12


def note_secret(s):
    # 6-digit TOTP codes are left out: such numbers turn up in any log
    if s and len(s) >= 6 and not s.isdigit():
        SECRETS.add(s)
    return s


class AdminHerald(Herald):
    """A herald with users and admin settings.

    users: [(email, name, role, password)], added before serve.
    conf: {key: value} written to a config file given with --config
          (the command line still sets db, listen, base URL, access log).
    dev: True adds --dev-http (plain-http cookie names and flags).
    """

    def __init__(self, users=(), conf=None, dev=True, **kw):
        super().__init__(**kw)
        self.users = list(users)
        self.conf = dict(conf or {})
        self.dev = dev
        if self.conf:
            path = os.path.join(self.dir, "admin.conf")
            with open(path, "w") as f:
                for k, v in self.conf.items():
                    f.write("%s = %s\n" % (k, v))
            self.extra_args += ["--config", path]
        if dev:
            self.extra_args.append("--dev-http")
        for u in self.users:
            note_secret(u[3])

    def init(self):
        super().init()
        for email, name, role, pw in self.users:
            self.user_add(email, name, role, pw)

    def user_add(self, email, name, role, pw):
        r = subprocess.run(
            [self.bin, "user", "add", "--db", self.db, "--email", email,
             "--name", name, "--role", role],
            input=(pw + "\n").encode(), capture_output=True, timeout=120)
        assert r.returncode == 0, "user add %s failed (%d): %s" % (
            email, r.returncode, r.stderr.decode("utf-8", "replace"))

    @property
    def session_cookie(self):
        return "herald-session" if self.dev else "__Host-herald-session"

    @property
    def login_cookie(self):
        return "herald-login" if self.dev else "__Host-herald-login"

    def client(self, source=None):
        return Client(self, source)


# -- parsing -----------------------------------------------------------------

CSRF_RE = re.compile(r'<input type="hidden" name="csrf" value="([^"]*)"')


def csrf_of(text):
    m = CSRF_RE.search(text)
    return html.unescape(m.group(1)) if m else None


def location_path(resp):
    loc = resp.header("Location")
    if loc is None:
        return None
    u = urllib.parse.urlsplit(loc)
    return u.path + ("?" + u.query if u.query else "")


def set_cookies(resp):
    """{name: (value, full header)} of the Set-Cookie headers."""
    out = {}
    for h in resp.header_all("Set-Cookie"):
        name, _, rest = h.partition("=")
        out[name.strip()] = (rest.split(";", 1)[0], h)
    return out


def input_value(text, name):
    m = re.search(r'<input[^>]*name="%s"[^>]*value="([^"]*)"' %
                  re.escape(name), text)
    return html.unescape(m.group(1)) if m else None


def item_id_of(resp):
    p = location_path(resp) or ""
    m = re.match(r"/admin/items/(\d+)\?done=", p)
    assert m, "no /admin/items/ID?done= redirect: %r %r\n%s" % (
        resp, p, resp.text[:800])
    return int(m.group(1))


# -- the client -------------------------------------------------------------

class Client:
    """One browser: cookies by name, the last admin page's CSRF token."""

    def __init__(self, herald, source=None):
        self.h = herald
        self.source = source
        self.cookies = {}
        self.csrf = None

    def cookie_header(self):
        return "; ".join("%s=%s" % kv for kv in self.cookies.items())

    def _keep(self, resp):
        for name, (value, full) in set_cookies(resp).items():
            if re.search(r"Max-Age=0(;|$)", full):
                self.cookies.pop(name, None)
            else:
                self.cookies[name] = value
                note_secret(value)
        ct = resp.header("Content-Type") or ""
        if ct.startswith("text/html"):
            tok = csrf_of(resp.text)
            if tok:
                self.csrf = note_secret(tok)
        return resp

    def request(self, method, path, body=None, headers=None, keep=True):
        h = {}
        if self.cookies:
            h["Cookie"] = self.cookie_header()
        h.update(headers or {})
        r = self.h.request(method, path, body=body, headers=h,
                           source=self.source)
        return self._keep(r) if keep else r

    def get(self, path, headers=None):
        return self.request("GET", path, headers=headers)

    def post(self, path, fields, headers=None, csrf=True):
        """A urlencoded POST; fields a dict or a list of pairs. csrf=True
        adds this client's token, False adds none, a string that one."""
        pairs = list(fields.items()) if isinstance(fields, dict) \
            else list(fields)
        if csrf is True:
            pairs = [("csrf", self.csrf or "")] + pairs
        elif isinstance(csrf, str):
            pairs = [("csrf", csrf)] + pairs
        body = urllib.parse.urlencode(pairs).encode()
        h = {"Content-Type": "application/x-www-form-urlencoded"}
        h.update(headers or {})
        return self.request("POST", path, body=body, headers=h)

    def post_multipart(self, path, fields, files, headers=None, csrf=True):
        fields = list(fields.items()) if isinstance(fields, dict) \
            else list(fields)
        if csrf is True:
            fields = [("csrf", self.csrf or "")] + fields
        body, ctype = multipart(fields, files)
        h = {"Content-Type": ctype}
        h.update(headers or {})
        return self.request("POST", path, body=body, headers=h)

    # -- signing in --------------------------------------------------------

    def login_page(self):
        r = self.get("/admin/login")
        assert r.status == 200, r
        tok = csrf_of(r.text)
        assert tok, "no csrf field on the sign-in form:\n" + r.text[:800]
        return tok

    def password(self, email, pw):
        """GET the sign-in form, POST it; the POST's answer."""
        tok = self.login_page()
        note_secret(pw)
        return self.post("/admin/login", {"email": email, "password": pw},
                         csrf=tok)

    def login(self, email, pw):
        """A full sign-in without a second factor; the session token."""
        r = self.password(email, pw)
        assert r.status == 303, "sign-in of %s: %r\n%s" % (email, r,
                                                           r.text[:600])
        assert location_path(r) == "/admin", location_path(r)
        self.refresh()
        return self.session

    def code(self, code):
        """POST a second-factor code (after password()); the answer."""
        r = self.get("/admin/login/code")
        assert r.status == 200, r
        note_secret(code)
        return self.post("/admin/login/code", {"code": code})

    def refresh(self, path="/admin"):
        """GET an admin page for a fresh CSRF token; the answer."""
        r = self.get(path)
        assert r.status == 200, "GET %s: %r %r" % (path, r,
                                                   location_path(r))
        return r

    @property
    def session(self):
        return self.cookies.get(self.h.session_cookie)

    def signed_in(self):
        """True when GET /admin shows the dashboard, False when it sends
        to the sign-in page (anything else fails)."""
        r = self.get("/admin")
        if r.status == 200:
            return True
        assert r.status == 303, r
        assert location_path(r) == "/admin/login", location_path(r)
        return False

    # -- items ---------------------------------------------------------------

    def item_post(self, path, action, **fields):
        f = {"kind": "news", "title": "", "slug": "", "summary": "",
             "body": "", "tags": "", "date": "", "tz": "+00:00",
             "lang": ""}
        f.update(fields)
        pairs = [(k, v) for k, v in f.items() if k != "regions"]
        for reg in fields.get("regions", ()):
            pairs.append(("regions", reg))
        pairs.append(("action", action))
        return self.post(path, pairs)


# -- TOTP (RFC 6238) ---------------------------------------------------------

def totp(secret, t=None, step=None):
    """The 6-digit code of base32 secret at time t (or at 30 s step)."""
    key = base64.b32decode(secret.upper() + "=" * (-len(secret) % 8))
    if step is None:
        step = int((time.time() if t is None else t) // 30)
    mac = hmac.new(key, struct.pack(">Q", step), hashlib.sha1).digest()
    off = mac[-1] & 0x0F
    n = (struct.unpack(">I", mac[off:off + 4])[0] & 0x7FFFFFFF) % 1000000
    return "%06d" % n


def wait_step_margin(margin=4):
    """Sleeps past a 30 s step boundary when one is less than margin
    seconds away; returns the current step."""
    left = 30 - time.time() % 30
    if left < margin:
        time.sleep(left + 0.2)
    return int(time.time() // 30)


# -- files --------------------------------------------------------------------

def png(width=1200, height=800, noise=False):
    """An RGB PNG: a gradient, or random noise (big: it hardly
    compresses)."""
    def chunk(kind, data):
        c = struct.pack(">I", len(data)) + kind + data
        return c + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    if noise:
        raw = b"".join(b"\0" + os.urandom(width * 3) for _ in range(height))
    else:
        rows = []
        for y in range(height):
            g = (y * 255 // max(1, height - 1)) & 0xFF
            row = bytearray(width * 3)
            for x in range(0, width * 3, 3):
                row[x] = (x // 3 * 255 // max(1, width - 1)) & 0xFF
                row[x + 1] = g
                row[x + 2] = 128
            rows.append(b"\0" + bytes(row))
        raw = b"".join(rows)
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) +
            chunk(b"IDAT", zlib.compress(raw, 6)) + chunk(b"IEND", b""))


PDF = (b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n"
       b"2 0 obj << /Type /Pages /Kids [] /Count 0 >> endobj\n"
       b"trailer << /Root 1 0 R >>\n%%EOF\n")


def elf():
    with open("/bin/true", "rb") as f:
        data = f.read()
    assert data[:4] == b"\x7fELF"
    return data


def multipart(fields, files):
    """fields [(name, value)], files [(name, filename, ctype, bytes)];
    (body, content type)."""
    boundary = "----herald-test-" + os.urandom(12).hex()
    out = []
    for name, value in fields:
        out.append(("--%s\r\nContent-Disposition: form-data; name=\"%s\""
                    "\r\n\r\n" % (boundary, name)).encode())
        out.append(value.encode() if isinstance(value, str) else value)
        out.append(b"\r\n")
    for name, filename, ctype, data in files:
        out.append(("--%s\r\nContent-Disposition: form-data; name=\"%s\"; "
                    "filename=\"%s\"\r\nContent-Type: %s\r\n\r\n"
                    % (boundary, name, filename, ctype)).encode())
        out.append(data)
        out.append(b"\r\n")
    out.append(("--%s--\r\n" % boundary).encode())
    return b"".join(out), "multipart/form-data; boundary=" + boundary
