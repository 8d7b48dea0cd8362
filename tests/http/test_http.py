"""HTTP behaviour of herald serve: keep-alive, HEAD, gzip, brotli, validators and
304, caching headers, security headers on every answer, fingerprinted
static assets, the access log, and the size of an article page."""

import gzip
import http.client
import os
import re
import subprocess
import time

import brotli
import pytest

from conftest import assert_security_headers, assert_site_look, brotli_answer

PRESS_RELEASE = ("/press-releases/holding-back-progress-the-barriers-to-"
                 "ending-trafficking-in-persons")
PAGES = ["/", "/news/", "/press-releases/", "/statements/", "/events/",
         "/tags/", "/regions/", "/publications/", "/members/", "/about",
         PRESS_RELEASE]


def stylesheets(html):
    """hrefs of <link rel=stylesheet> in a page."""
    out = []
    for m in re.finditer(r"<link\b[^>]*>", html, re.I):
        tag = m.group(0)
        rel = re.search(r"""\brel\s*=\s*["']?([^"'>]*)""", tag, re.I)
        href = re.search(r"""\bhref\s*=\s*["']?([^"' >]*)""", tag, re.I)
        if rel and href and "stylesheet" in rel.group(1).lower().split():
            out.append(href.group(1))
    return out


def css_path(herald):
    r = herald.get("/")
    assert r.status == 200
    sheets = stylesheets(r.text)
    assert sheets, "the home page links no stylesheet"
    href = sheets[0]
    m = re.match(r"(?:https?://[^/]+)?(/.*)", href)
    assert m, "stylesheet href %r is not on the site" % href
    return m.group(1)


# -- keep-alive, HEAD ----------------------------------------------------

def test_keep_alive_serves_two_requests_on_one_connection(herald):
    c = herald.connection()
    try:
        c.request("GET", "/")
        r1 = c.getresponse()
        b1 = r1.read()
        assert r1.status == 200 and b1
        assert not r1.will_close, "server closed the connection after GET /"
        sock = c.sock
        c.request("GET", "/about")
        r2 = c.getresponse()
        b2 = r2.read()
        assert r2.status == 200 and b2
        assert c.sock is sock, "the second request needed a new connection"
    finally:
        c.close()


def test_pipelined_requests_on_one_connection(herald):
    data = ("GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
            "GET /about HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            "Connection: close\r\n\r\n").encode()
    r = herald.raw(data, timeout=10)
    assert r.data.count(b"HTTP/1.1 200") == 2, (
        "two pipelined requests did not get two 200 answers: %r" % r)


@pytest.mark.parametrize("path", ["/", PRESS_RELEASE, "/no-such-page"])
def test_head_same_headers_as_get_and_no_body(herald, path):
    g = herald.get(path)
    raw = herald.raw(("HEAD %s HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                      "Connection: close\r\n\r\n" % path).encode(),
                     timeout=10)
    assert raw.status == g.status, raw
    assert raw.body == b"", "HEAD %s sent a body: %r" % (path, raw.body[:200])
    assert raw.header("Content-Length") == str(len(g.body)), (
        "HEAD Content-Length %r, GET body is %d bytes"
        % (raw.header("Content-Length"), len(g.body)))
    assert raw.header("Content-Type") == g.header("Content-Type")
    if g.status == 200:
        assert raw.header("ETag") == g.header("ETag")


def test_head_then_get_on_one_connection(herald):
    """A HEAD answer must not be followed by body bytes that the client
    would read as the next response."""
    data = ("HEAD / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
            "GET /about HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            "Connection: close\r\n\r\n").encode()
    r = herald.raw(data, timeout=10)
    first, _, rest = r.data.partition(b"\r\n\r\n")
    assert first.startswith(b"HTTP/1.1 200"), r
    assert rest.startswith(b"HTTP/1.1 200"), (
        "bytes after the HEAD answer are not the next response: %r"
        % rest[:200])


# -- gzip ----------------------------------------------------------------

@pytest.mark.parametrize("path", ["/", PRESS_RELEASE, "css"])
def test_gzip_when_asked(herald, path):
    if path == "css":
        path = css_path(herald)
    plain = herald.get(path, headers={"Accept-Encoding": "identity"})
    gz = herald.get(path, headers={"Accept-Encoding": "gzip, deflate"})
    assert plain.status == 200 and gz.status == 200
    assert plain.header("Content-Encoding") in (None, "identity")
    assert gz.header("Content-Encoding") == "gzip", (
        "no Content-Encoding: gzip for %s" % path)
    assert gzip.decompress(gz.body) == plain.body, (
        "gzip body of %s does not gunzip to the identity body" % path)
    assert len(gz.body) < len(plain.body)
    for r in (plain, gz):
        vary = [v.strip().lower() for v in
                ",".join(r.header_all("Vary")).split(",")]
        assert "accept-encoding" in vary, (
            "no Vary: Accept-Encoding on %s (%s)"
            % (path, r.header("Content-Encoding")))
    if gz.header("ETag") == plain.header("ETag"):
        assert gz.header("ETag").startswith("W/"), (
            "gzip and identity bodies share one strong ETag")


def test_no_gzip_when_refused(herald):
    r = herald.get("/", headers={"Accept-Encoding": "gzip;q=0, identity"})
    assert r.status == 200
    assert r.header("Content-Encoding") in (None, "identity")
    assert r.body.lstrip().lower().startswith(b"<!doctype html")


# -- brotli --------------------------------------------------------------

def codings(r):
    return r.header("Content-Encoding") or "identity"


@pytest.mark.parametrize("path", ["/", PRESS_RELEASE, "css"])
def test_brotli_when_asked(herald, path):
    if path == "css":
        path = css_path(herald)
    plain = herald.get(path, headers={"Accept-Encoding": "identity"})
    gz = herald.get(path, headers={"Accept-Encoding": "gzip"})
    br = brotli_answer(herald, path)
    assert brotli.decompress(br.body) == plain.body, (
        "brotli body of %s does not decode to the identity body" % path)
    assert len(br.body) < len(gz.body) < len(plain.body), (
        "%s: brotli %d, gzip %d, identity %d bytes"
        % (path, len(br.body), len(gz.body), len(plain.body)))
    assert br.header("Content-Length") == str(len(br.body))
    # a representation of its own: its own tag, and caches told to vary
    tags = {plain.header("ETag"), gz.header("ETag"), br.header("ETag")}
    assert len(tags) == 3, "shared ETags: %s" % tags
    assert "accept-encoding" in br.header("Vary", "").lower()
    for name in ("Content-Type", "Cache-Control", "Last-Modified"):
        assert br.header(name) == plain.header(name), name
    assert_security_headers(br.header, path + " (br)")


def test_first_answer_does_not_wait_for_brotli(make_herald):
    """A page's first answers go out in gzip while its brotli is made on
    the side; the brotli, once there, is the same page."""
    h = make_herald()
    first = h.get("/", headers={"Accept-Encoding": "gzip, br"})
    assert first.status == 200 and codings(first) == "gzip"
    br = brotli_answer(h, "/", accept="gzip, br")
    assert brotli.decompress(br.body) == gzip.decompress(first.body)
    assert br.header("ETag") == first.header("ETag").replace("-gz", "-br")


# Accept-Encoding, with its q-values, against the coding sent once a
# page's brotli is made.
ACCEPT = [
    ("gzip, deflate, br", "br"),
    ("br", "br"),
    ("BR", "br"),
    ("br;q=0.001", "br"),
    ("gzip;q=0.5, br", "br"),
    ("br;q=0.5, gzip;q=0.5", "br"),
    ("*", "br"),
    ("br;q=0, gzip", "gzip"),
    ("br ; q=0 , gzip", "gzip"),
    ("gzip;q=1.0, br;q=0.5", "gzip"),
    ("br;q=0, *", "gzip"),
    ("x-gzip", "gzip"),
    ("br;q=0.0, gzip;q=0", "identity"),
    ("*;q=0", "identity"),
    ("identity", "identity"),
    ("br;q=x", "identity"),    # unreadable: refused, to be safe
    ("deflate", "identity"),
    ("", "identity"),
]


@pytest.mark.parametrize("accept,want", ACCEPT)
def test_accept_encoding_q_values(herald, accept, want):
    brotli_answer(herald, "/")
    r = herald.get("/", headers={"Accept-Encoding": accept})
    assert r.status == 200
    assert codings(r) == want, "Accept-Encoding %r: got %s, want %s" % (
        accept, codings(r), want)
    body = {"br": brotli.decompress, "gzip": gzip.decompress,
            "identity": lambda b: b}[want](r.body)
    assert body.lstrip().lower().startswith(b"<!doctype html")


def test_brotli_validators_and_head(herald):
    br = brotli_answer(herald, PRESS_RELEASE)
    tag = br.header("ETag")
    assert tag.endswith('-br"'), tag
    r = herald.get(PRESS_RELEASE, headers={"Accept-Encoding": "br",
                                           "If-None-Match": tag})
    assert r.status == 304 and r.body == b"" and r.header("ETag") == tag
    # the brotli tag names this page in any coding
    r = herald.get(PRESS_RELEASE, headers={"If-None-Match": tag})
    assert r.status == 304
    # a client holding the gzip (from before the brotli was made) is told
    # its own copy is current: the 304 names the tag it sent
    gz = herald.get(PRESS_RELEASE, headers={"Accept-Encoding": "gzip"})
    gztag = gz.header("ETag")
    assert gztag.endswith('-gz"') and gztag != tag
    r = herald.get(PRESS_RELEASE, headers={"Accept-Encoding": "br, gzip",
                                           "If-None-Match": gztag})
    assert r.status == 304 and r.header("ETag") == gztag
    r = herald.head(PRESS_RELEASE, headers={"Accept-Encoding": "br"})
    assert r.status == 200 and r.body == b"" and codings(r) == "br"
    assert r.header("Content-Length") == str(len(br.body))


# -- validators, 304, caching -----------------------------------------------

@pytest.mark.parametrize("path", PAGES)
def test_page_has_etag_last_modified_and_cache_control(herald, path):
    r = herald.get(path)
    assert r.status == 200, "%s: %d" % (path, r.status)
    etag = r.header("ETag")
    assert etag and re.fullmatch(r'(W/)?"[^"]+"', etag), (
        "%s: bad ETag %r" % (path, etag))
    lm = r.header("Last-Modified")
    assert lm and re.fullmatch(
        r"[A-Z][a-z]{2}, \d\d [A-Z][a-z]{2} \d{4} \d\d:\d\d:\d\d GMT", lm), (
        "%s: bad Last-Modified %r" % (path, lm))
    assert r.header("Cache-Control"), "%s: no Cache-Control" % path
    ctype = r.header("Content-Type", "").lower().replace(" ", "")
    assert ctype.startswith("text/html")
    assert "charset=utf-8" in ctype or re.search(
        rb"<meta\s+charset=[\"']?utf-8", r.body[:1024], re.I), (
        "%s: no charset=utf-8 in Content-Type nor <meta charset>" % path)


@pytest.mark.parametrize("path", ["/", PRESS_RELEASE, "css"])
def test_if_none_match_gives_304_with_empty_body(herald, path):
    if path == "css":
        path = css_path(herald)
    r = herald.get(path)
    etag = r.header("ETag")
    assert etag
    r2 = herald.get(path, headers={"If-None-Match": etag})
    assert r2.status == 304, "If-None-Match %s on %s -> %d" % (etag, path,
                                                               r2.status)
    assert r2.body == b""
    assert r2.header("ETag") == etag
    r3 = herald.get(path, headers={"If-None-Match": '"not-the-etag"'})
    assert r3.status == 200 and r3.body == r.body


def test_if_none_match_with_a_list_of_etags(herald):
    etag = herald.get("/").header("ETag")
    r = herald.get("/", headers={"If-None-Match": '"x", %s, "y"' % etag})
    assert r.status == 304


@pytest.mark.parametrize("path", ["/", PRESS_RELEASE])
def test_if_modified_since_gives_304(herald, path):
    r = herald.get(path)
    lm = r.header("Last-Modified")
    assert lm
    r2 = herald.get(path, headers={"If-Modified-Since": lm})
    assert r2.status == 304, "If-Modified-Since %s -> %d" % (lm, r2.status)
    assert r2.body == b""
    r3 = herald.get(path, headers={
        "If-Modified-Since": "Mon, 01 Jan 1990 00:00:00 GMT"})
    assert r3.status == 200 and r3.body == r.body


def test_head_if_none_match_gives_304(herald):
    etag = herald.get("/").header("ETag")
    r = herald.head("/", headers={"If-None-Match": etag})
    assert r.status == 304


def test_static_css_fingerprinted_and_immutable(herald):
    path = css_path(herald)
    assert path.startswith("/static/"), "stylesheet not under /static/: " + path
    name = path.rsplit("/", 1)[-1]
    assert name.endswith(".css")
    segments = re.split(r"[.-]", name[:-4])
    assert any(len(s) >= 8 and re.fullmatch(r"[0-9A-Za-z_]+", s)
               and re.search(r"\d", s) for s in segments[1:] or segments), (
        "stylesheet name %r has no content hash in it" % name)
    r = herald.get(path)
    assert r.status == 200
    assert r.header("Content-Type", "").startswith("text/css"), (
        "CSS served as %r (nosniff browsers will refuse it)"
        % r.header("Content-Type"))
    cc = r.header("Cache-Control", "")
    assert "immutable" in cc, "Cache-Control of %s: %r" % (path, cc)
    m = re.search(r"max-age=(\d+)", cc)
    assert m and int(m.group(1)) >= 86400 * 30, (
        "fingerprinted CSS cached for less than 30 days: %r" % cc)
    assert r.header("ETag")


def test_static_unknown_asset_is_404(herald):
    r = herald.get("/static/no-such-file.0123456789.css")
    assert r.status == 404
    assert_security_headers(r.headers, "GET /static/<unknown>")


def test_pages_are_not_cached_immutable(herald):
    r = herald.get("/")
    assert "immutable" not in r.header("Cache-Control", ""), (
        "pages change: they must not be immutable")


# -- security headers ---------------------------------------------------------

SECURITY_CASES = {
    "GET /": lambda h: h.get("/"),
    "GET press release": lambda h: h.get(PRESS_RELEASE),
    "GET css": lambda h: h.get(css_path(h)),
    "HEAD /": lambda h: h.head("/"),
    "304": lambda h: h.get("/", headers={
        "If-None-Match": h.get("/").header("ETag")}),
    "404": lambda h: h.get("/no-such-page"),
    "405": lambda h: h.request("PUT", "/", body=b"x"),
    "400 or 404 for %00": lambda h: h.get("/%00"),
    "413": lambda h: h.request(
        "POST", "/email", body=b"t=" + b"a" * 20000,
        headers={"Content-Type": "application/x-www-form-urlencoded"}),
    "400 POST /email without token": lambda h: h.post_form("/email", ""),
}


@pytest.mark.parametrize("case", list(SECURITY_CASES))
def test_security_headers_on_every_response(herald, case):
    r = SECURITY_CASES[case](herald)
    assert_security_headers(r.headers, "%s (status %d)" % (case, r.status))


def test_security_headers_on_raw_400(herald):
    r = herald.raw(b"GET /%00 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    assert r.status in (400, 404), r
    assert_security_headers(r.header, "raw GET /%00")


def test_csp_allows_the_site_to_work(herald):
    """default-src 'none' blocks everything: the CSP must still let the
    page load its own stylesheet and post its own forms (the browser
    tests see any other CSP violation)."""
    csp = herald.get("/").header("Content-Security-Policy")
    d = {}
    for part in csp.split(";"):
        p = part.split()
        if p:
            d[p[0].lower()] = p[1:]
    assert "'self'" in d.get("style-src", []), "CSP blocks own CSS: " + csp
    if "form-action" in d:
        assert "'self'" in d["form-action"], (
            "CSP does not allow posting the reveal form: " + csp)
    assert "script-src" not in d or d["script-src"] == ["'none'"], csp


# -- errors ------------------------------------------------------------------

@pytest.mark.parametrize("path", ["/no-such-page", "/news/no-such-item",
                                  "/tags/no-such-tag", "/press-releases/x",
                                  "/news/page/9999", "/deeply/nested/x/y/z"])
def test_unknown_path_is_404_page_in_site_look(herald, path):
    r = herald.get(path)
    assert r.status == 404, "%s -> %d" % (path, r.status)
    assert r.header("Content-Type", "").startswith("text/html")
    assert_site_look(r.body, "404 for " + path)
    assert re.search(r"<h1[\s>]", r.text, re.I), "404 page has no <h1>"


def test_404_head_has_no_body(herald):
    r = herald.raw(b"HEAD /no-such-page HTTP/1.1\r\nHost: x\r\n"
                   b"Connection: close\r\n\r\n")
    assert r.status == 404 and r.body == b""


# -- access log ----------------------------------------------------------------

def test_access_log_one_line_per_request(make_herald):
    h = make_herald()
    paths = ["/log-test-%d" % i for i in range(7)] + ["/", "/about"]
    for p in paths:
        h.get(p)
    h.head("/log-test-head")
    n = len(paths) + 1
    rc, err = h.stop()
    assert rc == 0, err
    with open(h.access_log, "rb") as f:
        lines = [l for l in f.read().decode("utf-8", "replace").splitlines()
                 if l.strip()]
    assert len(lines) == n + h.probe_requests, (
        "%d requests (%d of them start-up probes) but %d log lines:\n%s"
        % (n + h.probe_requests, h.probe_requests, len(lines),
           "\n".join(lines)))
    for p in paths[:7] + ["/log-test-head"]:
        hits = [l for l in lines if p in l.split()]
        if not hits:
            hits = [l for l in lines if p in l]
        assert len(hits) == 1, "%s appears %d times in the log" % (p,
                                                                  len(hits))
    assert any(re.search(r"\b404\b", l) for l in lines), (
        "no status in the log lines")


def test_access_log_written_while_serving(make_herald):
    """Lines reach the file while the server runs (not only at exit)."""
    h = make_herald()
    h.get("/while-serving-marker")
    deadline = time.monotonic() + 5
    found = False
    while time.monotonic() < deadline and not found:
        with open(h.access_log, "rb") as f:
            found = b"/while-serving-marker" in f.read()
        if not found:
            time.sleep(0.1)
    assert found, "the access log line did not appear within 5 s"


# -- size ------------------------------------------------------------------------

def test_size_article_page_with_css_under_30kb(herald):
    r = herald.get(PRESS_RELEASE, headers={"Accept-Encoding": "identity"})
    assert r.status == 200
    total = len(r.body)
    sheets = stylesheets(r.text)
    assert sheets, "the press release links no stylesheet"
    for href in sheets:
        m = re.match(r"(?:https?://[^/]+)?(/.*)", href)
        c = herald.get(m.group(1), headers={"Accept-Encoding": "identity"})
        assert c.status == 200
        total += len(c.body)
    assert total < 30000, (
        "press release HTML (%d bytes) + CSS = %d bytes, over 30 KB"
        % (len(r.body), total))


# -- listening ---------------------------------------------------------------

def test_second_server_on_the_port_is_refused(herald):
    """A second server on a port in use exits with one line, and the first
    one goes on answering."""
    r = subprocess.run([herald.bin, "serve", "--db", herald.db, "--listen",
                        "127.0.0.1:%d" % herald.port, "--base-url",
                        herald.base, "--access-log", ""],
                       capture_output=True, timeout=30)
    assert r.returncode == 1, r
    assert re.search(rb"cannot listen on 127\.0\.0\.1:\d+", r.stderr), \
        r.stderr
    for _ in range(20):
        assert herald.get("/").status == 200


def test_per_client_connection_limit(make_herald):
    """per_ip_limit: of 20 connections one client holds open at once, the
    first 8 are served and the others refused."""
    from adminlib import AdminHerald
    h = make_herald(cls=AdminHerald,
                    conf={"per_ip_limit": 8, "threads": 2})
    held, served = [], []
    try:
        for i in range(20):
            c = h.connection(timeout=5)
            held.append(c)
            try:
                c.request("GET", "/")
                ok = c.getresponse().read() != b""
            except (OSError, http.client.HTTPException):
                ok = False
            served.append(ok)
    finally:
        for c in held:
            c.close()
    assert served == [True] * 8 + [False] * 12, served


def test_default_threads_eight_a_core(herald):
    """With no `threads` set, the pool has eight threads a core (64 at
    most), not one: libmicrohttpd's threads accept unevenly, and with more
    threads than cores the kernel evens the work out."""
    cores = os.sysconf("SC_NPROCESSORS_ONLN")
    want = cores * 8 if cores <= 8 else 64
    with open(herald.stderr_path) as f:
        assert "with %d threads" % want in f.read()
    # the threads are there: the pool's, the main one, the brotli one
    assert len(os.listdir("/proc/%d/task" % herald.proc.pid)) >= want + 1


def test_connections_one_a_core(herald):
    """Requests share the database connections, one a core (at least two)
    of each kind, not one a thread: 64 pages that are not cached, asked 32
    at a time, are all answered, and the server holds the database open no
    more than that many times (plus its watcher's and writer's own)."""
    from concurrent.futures import ThreadPoolExecutor
    db = os.path.realpath(herald.db)

    def get(i):
        # a query string: never cached, so each one is rendered
        return herald.get("/search?q=trafficking+%d" % i, timeout=60).status

    with ThreadPoolExecutor(32) as ex:
        statuses = list(ex.map(get, range(64)))
    assert statuses == [200] * 64
    fd_dir = "/proc/%d/fd" % herald.proc.pid
    opened = 0
    for fd in os.listdir(fd_dir):
        try:
            if os.readlink(os.path.join(fd_dir, fd)) == db:
                opened += 1
        except OSError:
            pass
    cores = max(2, os.sysconf("SC_NPROCESSORS_ONLN"))
    assert 1 <= opened <= 2 * cores + 4, opened
