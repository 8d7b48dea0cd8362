"""herald user add|passwd|del|list: accounts from the command line, the
password only ever on stdin, hashes (never plaintext) in the file, and an
audit row for every change."""

import os
import shutil
import sqlite3
import subprocess
import tempfile

import pytest

from conftest import herald_path

PW = "Tr0ub4dor&3-horse-staple"


def run(*args, stdin=None, timeout=60):
    """Runs herald with args; stdin is the bytes given on a pipe (or
    nothing, /dev/null)."""
    return subprocess.run([herald_path()] + list(args), capture_output=True,
                          timeout=timeout,
                          input=stdin if stdin is not None else b"")


def err_lines(r):
    return [l for l in r.stderr.decode("utf-8", "replace").splitlines()
            if l.strip()]


def add(db, email, name, role, pw=PW):
    return run("user", "add", "--db", db, "--email", email, "--name", name,
               "--role", role, stdin=(pw + "\n").encode())


def assert_refused(r, word):
    assert r.returncode != 0, "herald exited 0: %r" % r.stdout
    lines = err_lines(r)
    assert len(lines) == 1, "want one line on stderr, got %r" % lines
    assert word in lines[0].lower(), "%r does not mention %r" % (
        lines[0], word)


def audit(db):
    con = sqlite3.connect("file:%s?mode=ro" % db, uri=True)
    try:
        return con.execute("SELECT actor, action, subject, detail, client "
                           "FROM audit ORDER BY id").fetchall()
    finally:
        con.close()


def users_listed(db):
    r = run("user", "list", "--db", db)
    assert r.returncode == 0, r.stderr
    lines = r.stdout.decode().splitlines()
    assert lines[0].split() == ["EMAIL", "NAME", "ROLE", "CREATED",
                                "DISABLED"], lines[0]
    return lines[1:]


@pytest.fixture
def db():
    d = tempfile.mkdtemp(prefix="herald-user-")
    path = os.path.join(d, "site.db")
    r = run("init", "--db", path)
    assert r.returncode == 0, r.stderr
    yield path
    shutil.rmtree(d, ignore_errors=True)


def test_add_list_and_audit(db):
    r = add(db, "ann@example.org", "Ann Admin", "admin")
    assert r.returncode == 0, r.stderr
    r = add(db, "ed@example.org", "Ed Itor", "editor")
    assert r.returncode == 0, r.stderr
    rows = users_listed(db)
    assert len(rows) == 2, rows
    assert rows[0].split()[:4] == ["ann@example.org", "Ann", "Admin",
                                   "admin"], rows[0]
    assert rows[0].split()[-1] == "no"
    assert rows[1].split()[0] == "ed@example.org" and "editor" in rows[1]
    out = run("user", "list", "--db", db).stdout.decode()
    assert "argon2" not in out and "$" not in out, out
    user = audit(db)
    assert [a[1:3] for a in user] == [("user.add", "ann@example.org"),
                                      ("user.add", "ed@example.org")], user
    for actor, _, _, detail, client in user:
        assert actor.startswith("cli:") and len(actor) > 4, actor
        assert client == "local"
        assert detail.startswith("role ")


@pytest.mark.parametrize("email,name,role,pw,word", [
    ("ann@example.org", "Dup", "editor", PW, "exists"),
    ("ANN@EXAMPLE.ORG", "Dup", "editor", PW, "exists"),
    ("bob@example.org", "Bob", "chief", PW, "role"),
    ("bob@example.org", "Bob", "editor", "short", "short"),
    ("bob@example.org", "Bob", "editor", "bob@example.org", "e-mail"),
    ("bob@example.org", "Bob", "editor", "x" * 1025, "long"),
    ("not an address", "Bob", "editor", PW, "e-mail"),
    ("bob@example.org", "", "editor", PW, "name"),
    ("bob@example.org", "Bo\x1bb", "editor", PW, "name"),
])
def test_add_refused(db, email, name, role, pw, word):
    assert add(db, "ann@example.org", "Ann", "admin").returncode == 0
    before = audit(db)
    assert_refused(add(db, email, name, role, pw), word)
    assert len(users_listed(db)) == 1
    assert audit(db) == before, "a refused add wrote an audit row"


def test_add_invalid_utf8_password_refused(db):
    r = run("user", "add", "--db", db, "--email", "a@example.org",
            "--name", "A", "--role", "admin",
            stdin=b"twelve bytes \xff\xfe and more\n")
    assert_refused(r, "utf-8")


def test_no_password_on_stdin(db):
    r = run("user", "add", "--db", db, "--email", "a@example.org",
            "--name", "A", "--role", "admin", stdin=b"")
    assert_refused(r, "password")
    assert users_listed(db) == []


def test_passwd_and_del(db):
    assert add(db, "ann@example.org", "Ann", "admin").returncode == 0
    assert add(db, "ed@example.org", "Ed", "editor").returncode == 0
    r = run("user", "passwd", "--db", db, "--email", "ed@example.org",
            stdin=b"a brand new password\r\n")
    assert r.returncode == 0, r.stderr
    assert_refused(run("user", "passwd", "--db", db, "--email",
                       "nobody@example.org", stdin=b"a brand new one!\n"),
                   "no user")
    assert_refused(run("user", "passwd", "--db", db, "--email",
                       "ed@example.org", stdin=b"tiny\n"), "short")
    r = run("user", "del", "--db", db, "--email", "ed@example.org")
    assert r.returncode == 0, r.stderr
    assert [l.split()[0] for l in users_listed(db)] == ["ann@example.org"]
    assert_refused(run("user", "del", "--db", db, "--email",
                       "ed@example.org"), "no user")
    acts = [(a[1], a[2]) for a in audit(db)]
    assert acts == [("user.add", "ann@example.org"),
                    ("user.add", "ed@example.org"),
                    ("user.passwd", "ed@example.org"),
                    ("user.del", "ed@example.org")], acts


def test_last_admin_cannot_be_deleted(db):
    assert add(db, "ann@example.org", "Ann", "admin").returncode == 0
    assert add(db, "ed@example.org", "Ed", "editor").returncode == 0
    assert_refused(run("user", "del", "--db", db, "--email",
                       "ann@example.org"), "last admin")
    assert add(db, "bea@example.org", "Bea", "admin").returncode == 0
    r = run("user", "del", "--db", db, "--email", "ann@example.org")
    assert r.returncode == 0, r.stderr
    assert_refused(run("user", "del", "--db", db, "--email",
                       "bea@example.org"), "last admin")
    assert len(users_listed(db)) == 2


def test_password_never_in_argv_or_file(db):
    # by construction: no option takes a password
    for opt in ("--password", "--pw", "--pass"):
        r = run("user", "add", "--db", db, "--email", "a@example.org",
                "--name", "A", "--role", "admin", opt, PW,
                stdin=(PW + "\n").encode())
        assert r.returncode == 2, "herald took %s" % opt
    r = run("user", "--help")
    assert r.returncode == 0 and b"password" in r.stdout.lower()
    assert b"--password" not in r.stdout
    secret = "plaintext-canary-4f9a1c"
    assert add(db, "ann@example.org", "Ann", "admin",
               pw=secret).returncode == 0
    r = run("user", "passwd", "--db", db, "--email", "ann@example.org",
            stdin=b"second-canary-77be0d\n")
    assert r.returncode == 0, r.stderr
    for name in os.listdir(os.path.dirname(db)):
        with open(os.path.join(os.path.dirname(db), name), "rb") as f:
            data = f.read()
        for s in (secret, "second-canary-77be0d"):
            assert s.encode() not in data, "%s holds the password" % name
    con = sqlite3.connect("file:%s?mode=ro" % db, uri=True)
    try:
        (h,) = con.execute("SELECT pw_hash FROM user").fetchone()
    finally:
        con.close()
    assert h.startswith("$argon2id$"), h


def test_not_a_herald_database(db):
    other = os.path.join(os.path.dirname(db), "other.db")
    con = sqlite3.connect(other)
    con.execute("CREATE TABLE t(x)")
    con.commit()
    con.close()
    with open(other, "rb") as f:
        before = f.read()
    assert_refused(run("user", "list", "--db", other), "not a herald")
    with open(other, "rb") as f:
        assert f.read() == before, "user list changed another database"
    assert_refused(run("user", "list", "--db", other + ".missing"),
                   "no such file")


@pytest.mark.parametrize("args", [
    ["user"], ["user", "frob", "--db", "x"], ["user", "list"],
    ["user", "add", "--db", "x", "--email", "a@b.c"],
    ["user", "del", "--db", "x"],
    ["user", "list", "--db", "x", "extra"],
])
def test_usage_errors(args):
    r = run(*args)
    assert r.returncode == 2, (args, r.returncode, r.stderr)


def test_user_tables_do_not_change_the_site_revision(db):
    def rev():
        con = sqlite3.connect("file:%s?mode=ro" % db, uri=True)
        try:
            return con.execute(
                "SELECT value FROM meta WHERE key = 'rev'").fetchone()[0]
        finally:
            con.close()
    before = rev()
    assert add(db, "ann@example.org", "Ann", "admin").returncode == 0
    assert rev() == before


def tty_run(args, lines, timeout=30):
    """Runs herald with a terminal on stdin (and stderr), typing lines at
    its prompts; returns (exit code, what the terminal showed)."""
    import pty
    import select
    import time
    master, slave = pty.openpty()
    p = subprocess.Popen([herald_path()] + args, stdin=slave, stderr=slave,
                         stdout=subprocess.PIPE)
    os.close(slave)
    shown, pending, end = b"", list(lines), time.time() + timeout
    try:
        while time.time() < end:
            r, _, _ = select.select([master], [], [], 0.2)
            if r:
                try:
                    chunk = os.read(master, 4096)
                except OSError:
                    break
                if not chunk:
                    break
                shown += chunk
                if pending and shown.count(b"assword") > len(lines) - len(
                        pending):
                    os.write(master, pending.pop(0).encode() + b"\n")
            elif p.poll() is not None:
                break
        rc = p.wait(timeout=timeout)
    finally:
        os.close(master)
        p.stdout.close()
    return rc, shown.decode("utf-8", "replace")


def test_terminal_prompts_twice_without_echo(db):
    rc, shown = tty_run(["user", "add", "--db", db, "--email",
                         "ann@example.org", "--name", "Ann", "--role",
                         "admin"], [PW, PW])
    assert rc == 0, shown
    assert shown.count("assword") == 2, shown
    assert PW not in shown, "the password was echoed:\n" + shown
    assert len(users_listed(db)) == 1


def test_terminal_mismatch_refused(db):
    rc, shown = tty_run(["user", "add", "--db", db, "--email",
                         "ann@example.org", "--name", "Ann", "--role",
                         "admin"], [PW, PW + "x"])
    assert rc != 0, shown
    assert "do not match" in shown, shown
    assert users_listed(db) == []


def test_older_database_is_migrated(tmp_path):
    # a database made by herald at schema 2 (before accounts and the
    # admin; tests/http/data/schema2.db, made by `herald init` of commit
    # 186e626) gains the new tables and keeps every row
    db = str(tmp_path / "site.db")
    shutil.copy(os.path.join(os.path.dirname(__file__), "data",
                             "schema2.db"), db)
    tables = ("item", "item_tag", "tag", "event", "member", "publication",
              "contact", "block", "setting", "email_token")

    def counts():
        con = sqlite3.connect("file:%s?mode=ro" % db, uri=True)
        try:
            return {t: con.execute("SELECT count(*) FROM %s" % t)
                    .fetchone()[0] for t in tables}
        finally:
            con.close()

    before = counts()
    assert before["item"] > 10
    assert users_listed(db) == []
    assert add(db, "ann@example.org", "Ann", "admin").returncode == 0
    assert counts() == before
    con = sqlite3.connect("file:%s?mode=ro" % db, uri=True)
    try:
        assert con.execute("PRAGMA user_version").fetchone()[0] >= 4
        names = {r[0] for r in con.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table'")}
        assert {"user", "audit", "session", "revision", "redirect",
                "media", "media_variant", "recovery_code"} <= names
    finally:
        con.close()
