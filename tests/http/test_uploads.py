"""Uploads served from files with sendfile (src/files.c, src/http.c).

An uploaded image's sizes (/media/ID-W.FMT) and a publication's PDF
(/publications/SLUG.pdf) are copied on their first request from their
blobs into SITE.db.files/STEM/HASH (STEM from ids, HASH the BLAKE2b-256
of the bytes), and answered with libmicrohttpd's file responses, which it sends with
sendfile(2). Checks: the bytes and headers are the blobs' (Content-Type,
ETag, Last-Modified, Cache-Control, 304s), the files are there under
their hash, sendfile sends them (strace attached to the server), a
replaced PDF is served at once and its old file goes a little later,
Range requests
(206, 416, If-Range) and HEAD, racing first requests, a folder that
cannot be made (uploads still served from memory, said once), the
start-up sweep of files no upload has any more, and the cap on the
files the cache keeps open.
"""

import hashlib
import os
import re
import shutil
import signal
import subprocess
import tempfile
import threading
import time

import pytest

from adminlib import AdminHerald, location_path, png
from conftest import db_rows

PW = "correct-horse-battery-1"
EDITOR = "editor@example.org"
CONF = {"login_limit": 1000}
SENDFILE_CHUNK = 128 << 10   # libmicrohttpd sends files in parts this big

_n = [0]


def uniq(word):
    _n[0] += 1
    return "%s-%d-%d" % (word, int(time.time() * 1000) % 10 ** 7, _n[0])


def pdf_bytes(size):
    """A PDF of about size bytes: a header, random bytes, an end marker
    (random, so two of them never share a hash)."""
    head, tail = b"%PDF-1.4\n", b"\n%%EOF\n"
    return head + os.urandom(max(0, size - len(head) - len(tail))) + tail


def blake(data):
    return hashlib.blake2b(data, digest_size=32).hexdigest()


def files_dir(h):
    return h.db + ".files"


def names(h, stem=""):
    """What the files folder holds: its upload folders ("p12.pdf",
    "m7-480.webp") and temporary files, or the files (hashes) of stem."""
    d = os.path.join(files_dir(h), stem)
    return sorted(os.listdir(d)) if os.path.isdir(d) else []


class Editor:
    """A signed-in editor of server h."""

    def __init__(self, h):
        self.h = h
        self.c = h.client()
        self.c.login(EDITOR, PW)

    def upload_image(self, data):
        """Uploads an image; its id."""
        self.c.refresh("/admin/media")
        r = self.c.post_multipart("/admin/media", [("alt", "A gradient")],
                                  [("file", "grad.png", "image/png", data)])
        assert r.status == 303, (r, r.text[:1500])
        m = re.match(r"^/admin/media/(\d+)\?done=uploaded$",
                     location_path(r))
        assert m, location_path(r)
        return int(m.group(1))

    def publication(self, data, pid=None, title=None):
        """Creates a publication with PDF data, or replaces the PDF of
        publication pid; (id, slug)."""
        path = "/admin/publications/%s" % (pid or "new")
        self.c.refresh(path)
        fields = {"action": "save", "title": title or uniq("Report"),
                  "year": "2020", "lang": "en", "summary": "", "body": "B."}
        if pid is not None:
            fields["slug"] = db_rows(self.h, "SELECT slug FROM publication "
                                     "WHERE id = ?", (pid,))[0][0]
        r = self.c.post_multipart(path, fields,
                                  [("file", "r.pdf", "application/pdf",
                                    data)])
        assert r.status == 303, (r, r.text[:1500])
        m = re.match(r"^/admin/publications/(\d+)\?done=(created|saved)$",
                     location_path(r))
        assert m, location_path(r)
        pid = int(m.group(1))
        slug = db_rows(self.h, "SELECT slug FROM publication WHERE id = ?",
                       (pid,))[0][0]
        return pid, slug


def variants(h, mid):
    """[(url, ctype, bytes)] of image mid's sizes, from the database."""
    ext = {"webp": "webp", "jpeg": "jpg", "png": "png"}
    return [("/media/%d-%d.%s" % (mid, w, ext[f]), ct, bytes(d))
            for w, f, ct, d in db_rows(
                h, "SELECT width, format, ctype, data FROM media_variant "
                "WHERE media_id = ? ORDER BY format, width", (mid,))]


@pytest.fixture(scope="module")
def srv():
    h = AdminHerald(users=[(EDITOR, "Eddie Editor", "editor", PW)],
                    conf=CONF).start()
    yield h
    h.check_stop()


@pytest.fixture(scope="module")
def editor(srv):
    return Editor(srv)


@pytest.fixture(scope="module")
def image(srv, editor):
    """An uploaded image: (id, its sizes as variants() gives them)."""
    mid = editor.upload_image(png(1200, 800))
    v = variants(srv, mid)
    assert len(v) >= 2, v
    return mid, v


@pytest.fixture(scope="module")
def pub(srv, editor):
    """A publication with a 300 KB PDF (more than one sendfile part):
    (id, slug, bytes)."""
    data = pdf_bytes(300000)
    pid, slug = editor.publication(data)
    return pid, slug, data


# -- 1. the bytes and headers, and the files -------------------------------

def test_image_sizes_byte_for_byte(srv, image):
    mid, v = image
    for url, ctype, data in v:
        for attempt in ("first", "cached"):
            r = srv.get(url)
            assert r.status == 200, (url, attempt, r)
            assert r.body == data, "%s (%s): not the blob's bytes" % (
                url, attempt)
            assert r.header("Content-Type") == ctype, (url, attempt)
            assert r.header("Content-Length") == str(len(data))
            assert r.header("Cache-Control") == \
                "public, max-age=31536000, immutable", url
            assert r.header("Content-Encoding") is None, url
            assert r.header("Accept-Ranges") == "bytes", url
            assert r.header("ETag") == '"%s"' % blake(data)[:16], url
            assert r.header("Last-Modified"), url
        # the file it was sent from: named by the hash of its bytes
        fmt = url.rsplit(".", 1)[1].replace("jpg", "jpeg")
        w = int(url.split("-")[1].split(".")[0])
        stem = "m%d-%d.%s" % (mid, w, fmt)
        assert names(srv, stem) == [blake(data)], (stem, names(srv))
        with open(os.path.join(files_dir(srv), stem, blake(data)),
                  "rb") as f:
            assert f.read() == data, stem


def test_pdf_byte_for_byte(srv, pub):
    pid, slug, data = pub
    # as sent, in no coding, even to a client that takes them all (a
    # PDF is compressed inside, and a file goes out with sendfile)
    for attempt in ("first", "cached", "again"):
        r = srv.get("/publications/%s.pdf" % slug,
                    headers={"Accept-Encoding": "br, gzip"})
        assert r.status == 200, (attempt, r)
        assert r.body == data, attempt
        assert r.header("Content-Encoding") is None, attempt
        time.sleep(0.1)
        assert r.header("Content-Type") == "application/pdf"
        assert r.header("Content-Length") == str(len(data))
        assert r.header("Cache-Control") == \
            "public, max-age=60, must-revalidate"
        assert r.header("ETag") == '"%s"' % blake(data)[:16]
    stem = "p%d.pdf" % pid
    assert names(srv, stem) == [blake(data)], names(srv)
    with open(os.path.join(files_dir(srv), stem, blake(data)), "rb") as f:
        assert f.read() == data
    for d in (files_dir(srv), os.path.join(files_dir(srv), stem)):
        st = os.stat(d)
        assert st.st_mode & 0o777 == 0o700, (d, oct(st.st_mode))


def test_conditional_requests_still_304(srv, pub, image):
    pid, slug, data = pub
    url = "/publications/%s.pdf" % slug
    for u in (url, image[1][0][0]):
        r = srv.get(u)
        assert r.status == 200
        etag, lm = r.header("ETag"), r.header("Last-Modified")
        r2 = srv.get(u, headers={"If-None-Match": etag})
        assert r2.status == 304 and r2.body == b"", (u, r2)
        assert r2.header("ETag") == etag
        r3 = srv.get(u, headers={"If-Modified-Since": lm})
        assert r3.status == 304, (u, r3)
        r4 = srv.get(u, headers={"If-None-Match": '"0000000000000000"'})
        assert r4.status == 200 and r4.body == srv.get(u).body


# -- 2. sent with sendfile ---------------------------------------------------

def strace_usable():
    """None when strace can trace here, else why not."""
    if shutil.which("strace") is None:
        return "strace is not installed"
    r = subprocess.run(["strace", "-o", "/dev/null", "/bin/true"],
                       capture_output=True, timeout=30)
    if r.returncode != 0:
        return "strace cannot trace here (ptrace not permitted?): %s" % (
            r.stderr.decode("utf-8", "replace").strip()[:300])
    return None


class Strace:
    """strace -f attached to server h's threads, logging sendfile calls,
    while the with block runs; then .calls holds them as (in_fd, count,
    result)."""

    CALL = re.compile(r"sendfile(?:64)?\(\d+, (\d+), [^)]*?, (\d+)\) = "
                      r"(-?\d+)")

    def __init__(self, h):
        self.h = h
        self.log = os.path.join(h.dir, "strace.log")
        self.calls = []

    def __enter__(self):
        self.err = tempfile.TemporaryFile()
        self.p = subprocess.Popen(
            ["strace", "-f", "-e", "trace=sendfile,sendfile64", "-o",
             self.log, "-p", str(self.h.proc.pid)],
            stdout=subprocess.DEVNULL, stderr=self.err)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            self.err.seek(0)
            if b"attached" in self.err.read():
                return self
            if self.p.poll() is not None:
                break
            time.sleep(0.05)
        self.err.seek(0)
        pytest.fail("strace did not attach: %r" % self.err.read()[:500])

    def read(self):
        with open(self.log) as f:
            self.text = f.read()
        self.calls = [(int(a), int(b), int(c))
                      for a, b, c in self.CALL.findall(self.text)]
        return self.calls

    def wait_for(self, pred, timeout=5.0):
        """Waits until pred(calls) holds: strace writes a call when it
        returns, which may be after the client has read its bytes."""
        deadline = time.monotonic() + timeout
        while not pred(self.read()) and time.monotonic() < deadline:
            time.sleep(0.05)
        return pred(self.calls)

    def __exit__(self, *exc):
        time.sleep(0.2)                       # calls still being written
        self.p.send_signal(signal.SIGINT)     # detaches, the server goes on
        self.p.wait(timeout=10)
        self.err.close()
        self.read()
        return False


def test_sent_with_sendfile(srv, image, pub):
    why = strace_usable()
    if why:
        pytest.skip(why)
    url, ctype, data = image[1][0]
    assert len(data) <= SENDFILE_CHUNK, "the test wants a small size"
    pid, slug, pdf = pub
    with Strace(srv) as t:
        r = srv.get(url)
        assert r.status == 200 and r.body == data
        ok = t.wait_for(lambda calls: any(
            n == len(data) and res == len(data) for _, n, res in calls))
    assert ok, "no sendfile of the image's %d bytes:\n%s" % (len(data),
                                                             t.text)

    def sent_by_fd(calls):
        by_fd = {}
        for fd, n, res in calls:
            if res > 0:
                by_fd[fd] = by_fd.get(fd, 0) + res
        return by_fd

    with Strace(srv) as t:
        r = srv.get("/publications/%s.pdf" % slug)
        assert r.status == 200 and r.body == pdf
        ok = t.wait_for(lambda calls: len(pdf) in sent_by_fd(calls).values())
    assert ok, "sendfile did not send the PDF's %d bytes:\n%s" % (len(pdf),
                                                                   t.text)
    # HEAD sends no body, so no sendfile either
    with Strace(srv) as t:
        r = srv.head("/publications/%s.pdf" % slug)
        assert r.status == 200 and r.body == b""
        assert r.header("Content-Length") == str(len(pdf))
    assert not [c for c in t.calls if c[2] > 0], t.text


# -- 3. a replaced PDF ---------------------------------------------------------

def test_replaced_pdf_served_at_once(srv, editor):
    old = pdf_bytes(50000)
    pid, slug = editor.publication(old)
    url = "/publications/%s.pdf" % slug
    r = srv.get(url)
    assert r.status == 200 and r.body == old
    stem = "p%d.pdf" % pid
    assert names(srv, stem) == [blake(old)]
    new = pdf_bytes(60000)
    assert editor.publication(new, pid=pid)[0] == pid
    r = srv.get(url)            # the very next request
    assert r.status == 200
    assert r.body == new, "the replaced PDF's old bytes were served"
    assert r.header("ETag") == '"%s"' % blake(new)[:16]
    assert r.header("Content-Length") == str(len(new))
    # the old file stays a while (a request reading a snapshot from
    # before the change may be about to open it), then goes: 5 s after
    # the new file was written
    assert sorted(names(srv, stem)) == sorted([blake(old), blake(new)])
    deadline = time.monotonic() + 15
    while len(names(srv, stem)) > 1 and time.monotonic() < deadline:
        time.sleep(0.2)
    assert names(srv, stem) == [blake(new)], names(srv, stem)
    assert srv.get(url).body == new
    # and back to the first bytes: a new file again, never a stale one
    assert editor.publication(old, pid=pid)[0] == pid
    assert srv.get(url).body == old
    assert blake(old) in names(srv, stem), names(srv, stem)


def test_racing_first_requests(srv, editor):
    data = pdf_bytes(2 << 20)
    pid, slug = editor.publication(data)
    url = "/publications/%s.pdf" % slug
    got = [None] * 8
    start = threading.Barrier(len(got))

    def fetch(i):
        start.wait()
        got[i] = srv.get(url, timeout=30)

    ts = [threading.Thread(target=fetch, args=(i,)) for i in range(len(got))]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    for r in got:
        assert r is not None and r.status == 200 and r.body == data, r
    assert names(srv, "p%d.pdf" % pid) == [blake(data)]
    assert not [n for n in names(srv) if n.startswith(".tmp.")], names(srv)


# -- 4. Range and HEAD ---------------------------------------------------------

def check_ranges(h, url, data):
    n = len(data)
    cases = [("bytes=0-9", 0, 9), ("bytes=10-99", 10, 99),
             ("bytes=%d-" % (n - 10), n - 10, n - 1),
             ("bytes=-100", n - 100, n - 1),
             ("bytes=100-%d" % (n * 2), 100, n - 1),
             ("bytes=%d-%d" % (n - 1, n - 1), n - 1, n - 1)]
    full = h.get(url)
    etag = full.header("ETag")
    for rng, a, b in cases:
        r = h.get(url, headers={"Range": rng})
        assert r.status == 206, (url, rng, r)
        assert r.body == data[a:b + 1], (url, rng)
        assert r.header("Content-Range") == "bytes %d-%d/%d" % (a, b, n), (
            url, rng, r.header("Content-Range"))
        assert r.header("Content-Length") == str(b - a + 1)
        assert r.header("Content-Type") == full.header("Content-Type")
        assert r.header("ETag") == etag
        assert r.header("Content-Security-Policy")
    for rng in ("bytes=%d-" % n, "bytes=%d-%d" % (n + 5, n + 10),
                "bytes=-0"):
        r = h.get(url, headers={"Range": rng})
        assert r.status == 416, (url, rng, r)
        assert r.header("Content-Range") == "bytes */%d" % n, (url, rng)
    # ignored: several ranges, nonsense, a changed If-Range, HEAD
    for hdr in ({"Range": "bytes=0-1,5-6"}, {"Range": "bytes=9-2"},
                {"Range": "pages=1-2"},
                {"Range": "bytes=0-9", "If-Range": '"0000000000000000"'},
                {"Range": "bytes=0-9", "If-Range": "W/" + etag}):
        r = h.get(url, headers=hdr)
        assert r.status == 200 and r.body == data, (url, hdr, r)
    r = h.get(url, headers={"Range": "bytes=5-9", "If-Range": etag})
    assert r.status == 206 and r.body == data[5:10]
    r = h.get(url, headers={"Range": "bytes=5-9",
                            "If-Range": full.header("Last-Modified")})
    assert r.status == 206 and r.body == data[5:10]
    # a part the client already has whole: 304 before any Range
    r = h.get(url, headers={"Range": "bytes=0-9", "If-None-Match": etag})
    assert r.status == 304, r
    r = h.head(url, headers={"Range": "bytes=0-9"})
    assert r.status == 200 and r.body == b"", r
    assert r.header("Content-Length") == str(n)
    assert r.header("Accept-Ranges") == "bytes"


def test_range_requests(srv, pub, image):
    pid, slug, data = pub
    check_ranges(srv, "/publications/%s.pdf" % slug, data)
    url, ctype, img = image[1][0]
    check_ranges(srv, url, img)


def test_range_after_cache_drop(srv, editor, pub):
    # a part asked for by the first request (nothing cached) after a
    # change that dropped every page
    pid, slug, data = pub
    other = pdf_bytes(1000)
    editor.publication(other)              # a change: drops the cache
    r = srv.get("/publications/%s.pdf" % slug,
                headers={"Range": "bytes=1000-1999"})
    assert r.status == 206 and r.body == data[1000:2000]


# -- 5. no folder for the files ----------------------------------------------

class NoFolderHerald(AdminHerald):
    """A server whose SITE.db.files is a regular file: no folder can be
    made there (root would write into a read-only one)."""

    def init(self):
        super().init()
        with open(self.db + ".files", "w") as f:
            f.write("not a folder\n")


def test_files_folder_unusable(make_herald):
    h = make_herald(cls=NoFolderHerald,
                    users=[(EDITOR, "Eddie Editor", "editor", PW)],
                    conf=CONF)
    ed = Editor(h)
    mid = ed.upload_image(png(640, 480))
    data = pdf_bytes(200000)
    pid, slug = ed.publication(data)
    for attempt in range(2):
        for url, ctype, blob in variants(h, mid):
            r = h.get(url)
            assert r.status == 200 and r.body == blob, (url, r)
            assert r.header("Content-Type") == ctype
            assert r.header("Cache-Control") == \
                "public, max-age=31536000, immutable"
        r = h.get("/publications/%s.pdf" % slug)
        assert r.status == 200 and r.body == data, r
        assert r.header("Content-Type") == "application/pdf"
    check_ranges(h, "/publications/%s.pdf" % slug, data)
    assert os.path.isfile(h.db + ".files")
    with open(h.stderr_path, "rb") as f:
        err = f.read().decode("utf-8", "replace")
    said = [l for l in err.splitlines() if "served from memory" in l]
    assert len(said) == 1, err
    assert ".files" in said[0] and "Not a directory" in said[0], said


# -- the start-up sweep ------------------------------------------------------

class RestartHerald(AdminHerald):
    """A server that can be stopped and started again on its database."""

    def init(self):
        if not os.path.exists(self.db):
            super().init()

    def restart(self):
        rc, err = self.stop()
        assert rc == 0, err
        self.stopped = False
        return self.start()


def test_sweep_at_start(make_herald):
    h = make_herald(cls=RestartHerald,
                    users=[(EDITOR, "Eddie Editor", "editor", PW)],
                    conf=CONF)
    ed = Editor(h)
    first = pdf_bytes(5000)
    kid, kslug = ed.publication(first)
    assert h.get("/publications/%s.pdf" % kslug).body == first
    kept = pdf_bytes(6000)
    assert ed.publication(kept, pid=kid)[0] == kid
    gone = pdf_bytes(5000)
    gid, gslug = ed.publication(gone)
    mid = ed.upload_image(png(640, 480))
    for u in ("/publications/%s.pdf" % kslug, "/publications/%s.pdf" % gslug):
        assert h.get(u).status == 200
    for url, ctype, blob in variants(h, mid):
        assert h.get(url).body == blob
    before = names(h)
    assert len([n for n in before if n.startswith("m%d-" % mid)]) >= 2
    # the PDF removed, the image deleted, and a writer's leftover
    ed.c.refresh("/admin/publications/%d" % gid)
    r = ed.c.post_multipart("/admin/publications/%d" % gid, {
        "action": "save", "title": "Gone File", "slug": gslug,
        "remove_file": "1", "body": "B."}, [])
    assert r.status == 303, r
    ed.c.refresh("/admin/media/%d" % mid)
    r = ed.c.post("/admin/media/%d" % mid, {"action": "delete"})
    assert r.status == 303, (r, r.text[:800])
    left = os.path.join(files_dir(h), ".tmp.1.1")
    with open(left, "wb") as f:
        f.write(b"half")
    os.utime(left, (0, 0))
    assert sorted(names(h, "p%d.pdf" % kid)) == sorted([blake(first),
                                                        blake(kept)])
    h.restart()
    after = names(h)
    assert names(h, "p%d.pdf" % kid) == [blake(kept)], after
    assert "p%d.pdf" % gid not in after, after
    assert not [n for n in after if n.startswith("m%d-" % mid)], after
    assert ".tmp.1.1" not in after, after
    with open(h.stderr_path, "rb") as f:
        err = f.read().decode("utf-8", "replace")
    assert re.search(r"removed \d+ files of uploads that changed or are "
                     r"gone", err), err
    assert h.get("/publications/%s.pdf" % kslug).body == kept


# -- open files the cache keeps ------------------------------------------------

class NofileHerald(AdminHerald):
    """A server started with a descriptor limit of nofile (soft and hard)
    and at most 100 connections: the cache may keep (nofile - 100 - 64)
    / 2 files open (none when that is not above 0)."""

    nofile = 184

    def serve_args(self):
        return ["sh", "-c", 'ulimit -n %d && exec "$@"' % self.nofile,
                "sh"] + super().serve_args()


def open_upload_files(h):
    d = os.path.realpath(files_dir(h))
    fds = "/proc/%d/fd" % h.proc.pid
    n = 0
    for fd in os.listdir(fds):
        try:
            if os.readlink(os.path.join(fds, fd)).startswith(d + "/"):
                n += 1
        except OSError:
            pass
    return n


@pytest.mark.parametrize("nofile,kept", [(184, 10), (150, 0)],
                         ids=["room-for-10", "no-room"])
def test_open_files_capped(make_herald, nofile, kept):
    if not os.path.isdir("/proc/self/fd"):
        pytest.skip("no /proc/PID/fd here")

    class H(NofileHerald):
        pass
    H.nofile = nofile
    h = make_herald(cls=H, users=[(EDITOR, "Eddie Editor", "editor", PW)],
                    conf=dict(CONF, connection_limit=100))
    ed = Editor(h)
    pdfs = []
    for i in range(kept + 6):
        data = pdf_bytes(3000)
        pdfs.append((ed.publication(data)[1], data))
    for attempt in range(2):
        for slug, data in pdfs:
            r = h.get("/publications/%s.pdf" % slug)
            assert r.status == 200 and r.body == data, (slug, r)
    assert len([n for n in names(h) if n.startswith("p")]) == len(pdfs)
    deadline = time.monotonic() + 5
    while open_upload_files(h) > kept and time.monotonic() < deadline:
        time.sleep(0.05)        # answers being finished
    n = open_upload_files(h)
    assert n <= kept, "%d upload files open, at most %d wanted" % (n, kept)
    if kept:
        assert n > 0, "no upload file kept open: the cache keeps none"
