"""The herald command line: --help, init (and its refusal to overwrite),
unknown commands and options, serve from a config file, SIGTERM."""

import os
import re
import shutil
import socket
import subprocess
import tempfile
import time

import pytest

from conftest import free_port, herald_path


def run(*args, timeout=60):
    return subprocess.run([herald_path()] + list(args), capture_output=True,
                          timeout=timeout, stdin=subprocess.DEVNULL)


def err_lines(r):
    return [l for l in r.stderr.decode("utf-8", "replace").splitlines()
            if l.strip()]


@pytest.fixture
def tmp():
    d = tempfile.mkdtemp(prefix="herald-cli-")
    yield d
    shutil.rmtree(d, ignore_errors=True)


# -- help --------------------------------------------------------------------

@pytest.mark.parametrize("args,must_mention", [
    (["--help"], ["serve", "init"]),
    (["serve", "--help"], ["--db", "--listen", "--config"]),
    (["init", "--help"], ["--db", "--force"]),
])
def test_help_exits_0_and_prints_usage(args, must_mention):
    r = run(*args)
    out = r.stdout.decode("utf-8", "replace")
    assert r.returncode == 0, "herald %s exited %d: %s" % (
        " ".join(args), r.returncode, r.stderr)
    assert "usage" in out.lower(), "herald %s: no usage on stdout:\n%s" % (
        " ".join(args), out)
    for word in must_mention:
        assert word in out, "herald %s does not mention %s:\n%s" % (
            " ".join(args), word, out)


# -- init ---------------------------------------------------------------------

def test_init_creates_a_sqlite_database(tmp):
    db = os.path.join(tmp, "site.db")
    r = run("init", "--db", db)
    assert r.returncode == 0, r.stderr
    with open(db, "rb") as f:
        assert f.read(16) == b"SQLite format 3\x00"


@pytest.mark.parametrize("existing", ["a database", "some other file"])
def test_init_refuses_existing_file_and_leaves_it_untouched(tmp, existing):
    db = os.path.join(tmp, "site.db")
    if existing == "a database":
        assert run("init", "--db", db).returncode == 0
    else:
        with open(db, "wb") as f:
            f.write(b"precious data, not a database\n" * 100)
    with open(db, "rb") as f:
        before = f.read()
    mtime = os.stat(db).st_mtime_ns
    r = run("init", "--db", db)
    assert r.returncode != 0, "init over an existing file succeeded"
    lines = err_lines(r)
    assert len(lines) == 1, "want one line on stderr, got:\n%s" % (
        "\n".join(lines))
    with open(db, "rb") as f:
        assert f.read() == before, "init changed the existing file"
    assert os.stat(db).st_mtime_ns == mtime
    left = sorted(os.listdir(tmp))
    assert left == ["site.db"], "init left files behind: %s" % left


def test_init_force_replaces_existing_file(tmp):
    db = os.path.join(tmp, "site.db")
    with open(db, "wb") as f:
        f.write(b"not a database\n")
    r = run("init", "--db", db, "--force")
    assert r.returncode == 0, r.stderr
    with open(db, "rb") as f:
        assert f.read(16) == b"SQLite format 3\x00"


def test_init_without_db_fails_with_one_line(tmp):
    r = subprocess.run([herald_path(), "init"], capture_output=True,
                       timeout=60, cwd=tmp, stdin=subprocess.DEVNULL)
    if r.returncode == 0:
        pytest.skip("init without --db uses a default file")
    assert len(err_lines(r)) == 1, r.stderr


# -- bad usage ----------------------------------------------------------------------

@pytest.mark.parametrize("args", [
    ["frobnicate"],
    ["--no-such-option"],
    ["serve", "--no-such-option"],
    ["init", "--no-such-option"],
    ["serve", "--db"],
])
def test_unknown_command_or_option_fails_with_one_stderr_line(tmp, args):
    r = subprocess.run([herald_path()] + args, capture_output=True,
                       timeout=20, cwd=tmp, stdin=subprocess.DEVNULL)
    assert r.returncode != 0, "herald %s succeeded" % " ".join(args)
    lines = err_lines(r)
    assert len(lines) == 1, "herald %s: want one stderr line, got:\n%s" % (
        " ".join(args), "\n".join(lines))
    assert os.listdir(tmp) == [], "herald %s created files" % " ".join(args)


def test_serve_missing_database_fails_fast(tmp):
    r = run("serve", "--db", os.path.join(tmp, "absent.db"),
            "--listen", "127.0.0.1:%d" % free_port(), timeout=20)
    assert r.returncode != 0
    assert len(err_lines(r)) == 1, r.stderr
    assert not os.path.exists(os.path.join(tmp, "absent.db")), (
        "serve created the missing database")


def test_serve_port_in_use_fails_with_message(make_herald):
    h = make_herald()
    r = run("serve", "--db", h.db, "--listen", "127.0.0.1:%d" % h.port,
            timeout=20)
    assert r.returncode != 0, "a second server on the same port started"
    assert err_lines(r), "no message on stderr"
    assert h.get("/").status == 200


# -- config file, SIGTERM --------------------------------------------------------------

def test_serve_from_config_file(make_herald):
    h = make_herald(config=True)
    r = h.get("/")
    assert r.status == 200
    assert b"Global Alliance Against Traffic in Women" in r.body
    # base_url from the config shows in absolute links (canonical, share)
    # if there are any; access_log from the config gets the requests
    h.get("/config-log-marker")
    rc, err = h.stop()
    assert rc == 0, err
    with open(h.access_log, "rb") as f:
        log = f.read()
    assert b"/config-log-marker" in log, (
        "access_log from the config file got no line")


def test_base_url_used_in_absolute_links(make_herald):
    """Absolute links to the site itself (canonical, share links) use
    --base-url, never a default such as localhost:8080."""
    h = make_herald()
    body = h.get("/press-releases/holding-back-progress-the-barriers-to-"
                 "ending-trafficking-in-persons").text
    own = re.findall(r"https?://(?:127\.0\.0\.1|localhost)[^\s\"'<>]*",
                     body)
    for u in own:
        assert u.startswith(h.base), (
            "absolute URL %s does not use the base URL %s" % (u, h.base))


def test_sigterm_exits_0_promptly(make_herald):
    h = make_herald()
    t0 = time.monotonic()
    rc, err = h.stop()
    assert rc == 0, "exit %r after SIGTERM; stderr:\n%s" % (rc, err)
    assert time.monotonic() - t0 < 5


def test_sigterm_with_idle_keep_alive_connection_exits_0(make_herald):
    h = make_herald()
    s = socket.create_connection(("127.0.0.1", h.port), timeout=5)
    try:
        s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        got = b""
        while b"\r\n\r\n" not in got:
            b = s.recv(65536)
            if not b:
                break
            got += b
        assert got.startswith(b"HTTP/1.1 200")
        # a second connection that sent half a request
        s2 = socket.create_connection(("127.0.0.1", h.port), timeout=5)
        s2.sendall(b"GET / HTTP/1.1\r\nHo")
        t0 = time.monotonic()
        rc, err = h.stop()
        assert rc == 0, "exit %r after SIGTERM with open connections:\n%s" % (
            rc, err)
        assert time.monotonic() - t0 < 5
        s2.close()
    finally:
        s.close()


def test_serve_refuses_a_database_herald_did_not_make(tmp):
    # An SQLite file of another program must be left as it is: serve may
    # migrate herald's own schema, never create it in someone else's file.
    import sqlite3
    db = os.path.join(tmp, "other.db")
    c = sqlite3.connect(db)
    c.execute("CREATE TABLE notes(x)")
    c.commit()
    c.close()
    with open(db, "rb") as f:
        before = f.read()
    r = run("serve", "--db", db, "--listen", "127.0.0.1:%d" % free_port(),
            timeout=10)
    assert r.returncode != 0
    lines = err_lines(r)
    assert len(lines) == 1 and "not a herald database" in lines[0], lines
    with open(db, "rb") as f:
        assert f.read() == before, "serve changed another program's file"
