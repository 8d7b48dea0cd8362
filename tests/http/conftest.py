"""Fixtures of the HTTP tests: a real herald server on loopback.

Every test talks to $HERALD (default build/herald) started as
    herald init --db DIR/site.db
    herald serve --db DIR/site.db --listen 127.0.0.1:PORT
                 --base-url http://127.0.0.1:PORT --access-log DIR/access.log
                 --reveal-limit 5
and stopped with SIGTERM, which must make it exit 0 within 5 s with no
sanitizer report on stderr.

Fixtures:
  herald        one server for the whole session (read-only tests)
  make_herald   a factory: own servers for tests that break or count things
  site          the crawl of the session server (sitecrawl.crawl), done once
"""

import http.client
import os
import re
import shutil
import signal
import socket
import sqlite3
import subprocess
import tempfile
import time
import urllib.parse

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
SITE_NAME = "Global Alliance Against Traffic in Women"
SANITIZER_RE = re.compile(
    r"ERROR: \w*Sanitizer|runtime error:|^SUMMARY: \w*Sanitizer", re.M)
START_TIMEOUT = 10.0   # seconds for serve to answer its first request
STOP_TIMEOUT = 5.0     # seconds for SIGTERM to end it
IO_TIMEOUT = 10.0      # every socket operation


def herald_path():
    p = os.environ.get("HERALD") or os.path.join(ROOT, "build", "herald")
    return os.path.abspath(p)


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def tail(path, n=40):
    try:
        with open(path, "rb") as f:
            lines = f.read().decode("utf-8", "replace").splitlines()
    except OSError:
        return ""
    return "\n".join(lines[-n:])


def db_rows(h, sql, args=()):
    """Rows of sql on h's database (h.db), read-only, beside a server."""
    c = sqlite3.connect("file:%s?mode=ro" % h.db, uri=True, timeout=10)
    try:
        return c.execute(sql, args).fetchall()
    finally:
        c.close()


def mapped_libs(h):
    """The file names of the shared libraries herald h has mapped."""
    with open("/proc/%d/maps" % h.proc.pid) as f:
        return {line.rsplit("/", 1)[-1] for line in f.read().splitlines()
                if ".so" in line.rsplit("/", 1)[-1]}


class Response:
    """One HTTP answer: status, headers (case-insensitive), body bytes."""

    def __init__(self, status, reason, headers, body):
        self.status = status
        self.reason = reason
        self.headers = headers          # http.client.HTTPMessage
        self.body = body

    def header(self, name, default=None):
        return self.headers.get(name, default)

    def header_all(self, name):
        return self.headers.get_all(name) or []

    @property
    def text(self):
        return self.body.decode("utf-8", "replace")

    def __repr__(self):
        return "<Response %d %s, %d bytes>" % (self.status, self.reason,
                                               len(self.body))


class RawResult:
    """What came back on a raw socket: bytes, and how the read ended."""

    def __init__(self, data, error=None, timed_out=False):
        self.data = data
        self.error = error          # e.g. ConnectionResetError, or None
        self.timed_out = timed_out

    @property
    def status(self):
        m = re.match(rb"HTTP/1\.[01] (\d{3})[ \r]", self.data)
        return int(m.group(1)) if m else None

    @property
    def head(self):
        return self.data.split(b"\r\n\r\n", 1)[0]

    @property
    def body(self):
        parts = self.data.split(b"\r\n\r\n", 1)
        return parts[1] if len(parts) == 2 else b""

    def header(self, name):
        for line in self.head.split(b"\r\n")[1:]:
            k, _, v = line.partition(b":")
            if k.strip().lower() == name.lower().encode():
                return v.strip().decode("latin-1")
        return None

    def __repr__(self):
        return "<RawResult status=%r %d bytes error=%r timed_out=%r: %r>" % (
            self.status, len(self.data), self.error, self.timed_out,
            self.data[:200])


class Herald:
    """A herald server of its own, in a temp dir, on a free loopback port."""

    def __init__(self, reveal_limit=5, config=False, extra_args=(),
                 content=None):
        self.bin = herald_path()
        self.content = content        # a content folder for init, or None
        self.dir = tempfile.mkdtemp(prefix="herald-test-")
        self.db = os.path.join(self.dir, "site.db")
        self.access_log = os.path.join(self.dir, "access.log")
        self.stdout_path = os.path.join(self.dir, "stdout.log")
        self.stderr_path = os.path.join(self.dir, "stderr.log")
        self.reveal_limit = reveal_limit
        self.use_config = config
        self.extra_args = list(extra_args)
        self.proc = None
        self.port = None
        self.probe_requests = 0   # requests the start-up wait got answered
        self.stopped = False

    # -- life cycle -------------------------------------------------------

    def init(self):
        if not os.path.exists(self.bin):
            pytest.fail("no herald binary at %s (set HERALD)" % self.bin)
        args = [self.bin, "init", "--db", self.db]
        if self.content is not None:
            args += ["--content", self.content]
        r = subprocess.run(args, capture_output=True, timeout=120)
        assert r.returncode == 0, "herald init failed (%d): %s" % (
            r.returncode, r.stderr.decode("utf-8", "replace"))
        assert os.path.exists(self.db), "herald init made no " + self.db

    def serve_args(self):
        if self.use_config:
            conf = os.path.join(self.dir, "herald.conf")
            with open(conf, "w") as f:
                f.write("db = %s\n" % self.db)
                f.write("listen = 127.0.0.1:%d\n" % self.port)
                f.write("base_url = %s\n" % self.base)
                f.write("\n")
                f.write("access_log = %s\n" % self.access_log)
            args = [self.bin, "serve", "--config", conf]
        else:
            args = [self.bin, "serve", "--db", self.db,
                    "--listen", "127.0.0.1:%d" % self.port,
                    "--base-url", self.base,
                    "--access-log", self.access_log]
        if self.reveal_limit is not None:
            args += ["--reveal-limit", str(self.reveal_limit)]
        return args + self.extra_args

    def start(self):
        self.init()
        for attempt in range(3):
            self.port = free_port()
            with open(self.stdout_path, "wb") as out, \
                    open(self.stderr_path, "wb") as err:
                self.proc = subprocess.Popen(
                    self.serve_args(), stdin=subprocess.DEVNULL,
                    stdout=out, stderr=err, cwd=self.dir)
            if self._wait_ready():
                return self
            rc = self.proc.poll()
            err_text = tail(self.stderr_path)
            if rc is not None and re.search(r"in use", err_text, re.I):
                continue        # lost the race for the port: try another
            if rc is None:
                self.proc.kill()
                self.proc.wait(timeout=STOP_TIMEOUT)
                pytest.fail("herald serve did not answer within %gs; "
                            "stderr:\n%s" % (START_TIMEOUT, err_text))
            pytest.fail("herald serve exited %s at start; stderr:\n%s"
                        % (rc, err_text))
        pytest.fail("herald serve found no free port")

    def _wait_ready(self):
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                return False
            try:
                c = http.client.HTTPConnection("127.0.0.1", self.port,
                                               timeout=2)
                c.request("GET", "/")
                c.getresponse().read()
                c.close()
                self.probe_requests += 1
                return True
            except (OSError, http.client.HTTPException):
                time.sleep(0.05)
        return False

    def stop(self):
        """SIGTERM; returns (exit code or None if it hung, stderr text)."""
        if self.stopped:
            return self._stop_result
        self.stopped = True
        rc = None
        if self.proc is not None:
            if self.proc.poll() is None:
                self.proc.send_signal(signal.SIGTERM)
            try:
                rc = self.proc.wait(timeout=STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=STOP_TIMEOUT)
                rc = None
        self._stop_result = (rc, tail(self.stderr_path, 200))
        return self._stop_result

    def check_stop(self):
        """Stops it and asserts it ended well; removes its temp dir."""
        rc, err = self.stop()
        try:
            assert rc is not None, (
                "herald did not exit within %gs of SIGTERM; stderr:\n%s"
                % (STOP_TIMEOUT, err))
            bad = [l for l in err.splitlines() if SANITIZER_RE.search(l)]
            assert not bad, "sanitizer report on stderr:\n" + err
            assert rc == 0, "herald exited %d after SIGTERM; stderr:\n%s" % (
                rc, err)
        finally:
            shutil.rmtree(self.dir, ignore_errors=True)

    def alive(self):
        r = self.get("/")
        return r.status == 200

    # -- requests ---------------------------------------------------------

    @property
    def base(self):
        return "http://127.0.0.1:%d" % self.port

    def url(self, path):
        return self.base + path

    def connection(self, timeout=IO_TIMEOUT, source=None):
        return http.client.HTTPConnection(
            "127.0.0.1", self.port, timeout=timeout,
            source_address=(source, 0) if source else None)

    def request(self, method, path, body=None, headers=None,
                timeout=IO_TIMEOUT, source=None):
        """One request on a connection of its own."""
        c = self.connection(timeout, source)
        try:
            c.request(method, path, body=body, headers=headers or {})
            r = c.getresponse()
            data = r.read()
            return Response(r.status, r.reason, r.headers, data)
        finally:
            c.close()

    def get(self, path, headers=None, **kw):
        return self.request("GET", path, headers=headers, **kw)

    def head(self, path, headers=None, **kw):
        return self.request("HEAD", path, headers=headers, **kw)

    def post_form(self, path, fields, headers=None, **kw):
        body = fields if isinstance(fields, (str, bytes)) else \
            urllib.parse.urlencode(fields)
        if isinstance(body, str):
            body = body.encode()
        h = {"Content-Type": "application/x-www-form-urlencoded"}
        h.update(headers or {})
        return self.request("POST", path, body=body, headers=h, **kw)

    def raw(self, data, timeout=5.0, limit=1 << 20, source=None):
        """Sends bytes as they are; reads until close, timeout or limit."""
        s = socket.create_connection(
            ("127.0.0.1", self.port), timeout=timeout,
            source_address=(source, 0) if source else None)
        out = b""
        try:
            try:
                s.sendall(data)
            except (BrokenPipeError, ConnectionResetError) as e:
                # The server may answer and close before reading it all.
                return RawResult(out + self._drain(s), e)
            try:
                deadline = time.monotonic() + timeout
                while len(out) < limit and time.monotonic() < deadline:
                    b = s.recv(65536)
                    if not b:
                        break
                    out += b
            except socket.timeout:
                return RawResult(out, None, True)
            except (ConnectionResetError, BrokenPipeError) as e:
                return RawResult(out, e)
            return RawResult(out)
        finally:
            s.close()

    @staticmethod
    def _drain(s):
        out = b""
        try:
            s.settimeout(1.0)
            while len(out) < (1 << 20):
                b = s.recv(65536)
                if not b:
                    break
                out += b
        except OSError:
            pass
        return out


# -- helpers used by several test files ------------------------------------

def brotli_answer(h, path, accept="gzip, deflate, br", tries=100):
    """path in brotli from server h. A page is compressed in brotli on the
    side, after a request that accepts brotli finds it cached (gzip until
    then), so this asks again until it comes: at most tries times, 50 ms
    apart. Fails when it never does."""
    seen = []
    for _ in range(tries):
        r = h.get(path, headers={"Accept-Encoding": accept})
        if r.status == 200 and r.header("Content-Encoding") == "br":
            return r
        seen.append((r.status, r.header("Content-Encoding")))
        time.sleep(0.05)
    pytest.fail("%s never came in brotli (Accept-Encoding: %s): %s"
                % (path, accept, seen[-3:]))


def assert_site_look(body, what=""):
    """An error (or any) page in the site's look: site name and <main>."""
    text = body.decode("utf-8", "replace") if isinstance(body, bytes) else body
    assert SITE_NAME in text.replace("&nbsp;", " "), (
        "%s: the site name %r is not in the page:\n%s"
        % (what, SITE_NAME, text[:600]))
    assert re.search(r"<main[\s>]", text, re.I), (
        "%s: no <main> element in the page:\n%s" % (what, text[:600]))


def assert_security_headers(headers, what=""):
    """The security headers every response must carry, errors included."""
    if isinstance(headers, dict):
        low = {k.lower(): v for k, v in headers.items()}

        def get(name):
            return low.get(name.lower())
    elif hasattr(headers, "get"):
        get = headers.get               # HTTPMessage: case-insensitive
    else:
        get = headers                   # a function, e.g. RawResult.header
    csp = get("Content-Security-Policy")
    assert csp, "%s: no Content-Security-Policy" % what
    directives = {}
    for d in csp.split(";"):
        parts = d.strip().split()
        if parts:
            directives[parts[0].lower()] = [p.lower() for p in parts[1:]]
    assert directives.get("default-src") == ["'none'"], (
        "%s: CSP without default-src 'none': %s" % (what, csp))
    assert directives.get("frame-ancestors") == ["'none'"], (
        "%s: CSP without frame-ancestors 'none': %s" % (what, csp))
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp, (
        "%s: CSP allows unsafe-*: %s" % (what, csp))
    assert (get("X-Content-Type-Options") or "").lower() == "nosniff", (
        "%s: X-Content-Type-Options is %r" % (what,
                                               get("X-Content-Type-Options")))
    assert get("Referrer-Policy"), "%s: no Referrer-Policy" % what
    assert (get("X-Frame-Options") or "").upper() == "DENY", (
        "%s: X-Frame-Options is %r" % (what, get("X-Frame-Options")))


# -- fixtures ---------------------------------------------------------------

@pytest.fixture(scope="session")
def herald():
    """The shared server (reveal limit 5): for tests that break nothing."""
    h = Herald().start()
    yield h
    h.check_stop()


@pytest.fixture
def make_herald():
    """Factory of servers of their own, each stopped and checked after
    (cls: a subclass of Herald to start instead)."""
    made = []

    def make(cls=None, **kw):
        h = (cls or Herald)(**kw)
        made.append(h)
        return h.start()

    yield make
    errors = []
    for h in made:
        try:
            h.check_stop()
        except AssertionError as e:
            errors.append(str(e))
    assert not errors, "\n\n".join(errors)


_crawls = {}


@pytest.fixture(scope="session")
def site(herald):
    """The whole public site of the session server, crawled from /."""
    import sitecrawl
    if "site" not in _crawls:
        _crawls["site"] = sitecrawl.crawl(herald.base)
    return _crawls["site"]


def pytest_terminal_summary(terminalreporter):
    c = _crawls.get("site")
    if c is not None:
        terminalreporter.write_line(
            "crawl: %d URLs fetched, %d HTML pages, %d other%s"
            % (len(c.pages), len(c.html_pages()),
               len(c.pages) - len(c.html_pages()),
               " (TRUNCATED at the limit)" if c.truncated else ""))
