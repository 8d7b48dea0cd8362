"""The newsletter (issue 5) against a real SMTP server on loopback.

Each test starts its own herald (conftest.make_herald with NewsHerald:
serve settings from a config file: smtp, mail_from, mail_rate,
subscribe_limit) and its own SMTP sink (smtpsink.Sink, aiosmtpd on
127.0.0.1). Newsletters are written into the database with sqlite3 (the
admin pages for them are not there yet) and sent with
`herald newsletter send`, or by the server's sending thread.

  1. the whole way: the form, the confirmation mail, its link (GET shows
     a button, POST confirms), a newsletter, one-click unsubscription
     (RFC 8058) from the List-Unsubscribe header, and no more newsletters
  2. one answer for a new, a pending and a confirmed address; bots get it
     too, and nothing is stored or sent for them
  3. a sender killed (SIGKILL) mid-way and started again: 2,000 readers
     get the newsletter once each, one of them at most twice (the mail in
     flight); with `herald newsletter send`, then with the server's thread
  4. the mail's format: headers, RFC 2047 subject, multipart/alternative,
     no remote content in the HTML, CRLF lines of at most 998 bytes
  5. hostile addresses: 422 with a message, nothing stored or sent
  6. the subscription rate limit: 429 with Retry-After
  7. a temporary SMTP failure is tried again later, a permanent one not
  8. the server maps libcurl only once it sends its first mail
"""

import email.utils
import html
import os
import random
import re
import signal
import sqlite3
import subprocess
import threading
import time
import urllib.parse

import pytest

from conftest import Herald, SANITIZER_RE, STOP_TIMEOUT, mapped_libs, tail
from smtpsink import Sink

MAIL_FROM = "news@example.org"
FORM_WAIT = 3.2          # a form must be 3 s old when posted
QUIET_WAIT = 2.5         # "nothing came": the thread looks every second
MAIL_WAIT = 10.0         # a mail that must come
CLI_TIMEOUT = 60.0
CROWD = 2000             # readers of the crash tests

TOKEN_RE = re.compile(r'<input type="hidden" name="t" value="([^"]*)"')


# -- the server ---------------------------------------------------------------

class NewsHerald(Herald):
    """A herald whose newsletter settings come from a config file of its
    own: conf {key: value} (smtp, mail_from, mail_rate, subscribe_limit).
    restart_killed() SIGKILLs it and serves the same database again."""

    def __init__(self, conf=None, **kw):
        super().__init__(**kw)
        self.conf = dict(conf or {})
        self.restarting = False
        if self.conf:
            path = os.path.join(self.dir, "news.conf")
            with open(path, "w") as f:
                for k, v in self.conf.items():
                    f.write("%s = %s\n" % (k, v))
            self.extra_args += ["--config", path]

    def init(self):
        if not self.restarting:
            super().init()

    def kill(self):
        """SIGKILL, as a crash: no clean-up at all."""
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=STOP_TIMEOUT)

    def restart_killed(self):
        self.kill()
        # keep what the first one said; the new one writes stderr anew
        os.replace(self.stderr_path, self.stderr_path + ".killed")
        self.restarting = True
        return self.start()


def news_server(make_herald, sink=None, **conf):
    c = {}
    if sink is not None:
        c.update(smtp=sink.url, mail_from=MAIL_FROM)
    c.update(conf)
    return make_herald(cls=NewsHerald, conf=c)


@pytest.fixture
def sink():
    s = Sink().start()
    yield s
    s.stop()


# -- the database -------------------------------------------------------------

def db_connect(h):
    c = sqlite3.connect(h.db, timeout=20)
    c.execute("PRAGMA busy_timeout = 20000")
    return c


def db_rows(h, sql, args=()):
    c = db_connect(h)
    try:
        return c.execute(sql, args).fetchall()
    finally:
        c.close()


def db_one(h, sql, args=()):
    rows = db_rows(h, sql, args)
    return rows[0] if rows else None


def add_confirmed(h, emails, lang="en"):
    now = int(time.time())
    c = db_connect(h)
    try:
        with c:
            c.executemany(
                "INSERT INTO subscriber(email, lang, status, consent, "
                "consent_version, consent_at, source, client, created_at, "
                "confirmed_at) VALUES (?, ?, 'confirmed', 'I agree (test)', "
                "'1', ?, 'test', '', ?, ?)",
                [(e, lang, now, now, now) for e in emails])
    finally:
        c.close()


def make_newsletter(h, subject, intro="Our news of the month.", lang="en",
                    items=2):
    """A draft newsletter of the first published items; (id, titles)."""
    now = int(time.time())
    c = db_connect(h)
    try:
        with c:
            rows = c.execute(
                "SELECT id, title FROM item WHERE status = 'published' "
                "AND lang = ? ORDER BY id LIMIT ?", (lang, items)).fetchall()
            assert len(rows) == items, "not %d published items" % items
            nid = c.execute(
                "INSERT INTO newsletter(subject, intro, lang, created_at, "
                "updated_at) VALUES (?, ?, ?, ?, ?)",
                (subject, intro, lang, now, now)).lastrowid
            c.executemany(
                "INSERT INTO newsletter_item(newsletter_id, item_id, "
                "position) VALUES (?, ?, ?)",
                [(nid, r[0], i) for i, r in enumerate(rows)])
    finally:
        c.close()
    return nid, [r[1] for r in rows]


# -- herald newsletter ----------------------------------------------------------

def send_args(h, sink, nid=None, conf=None):
    args = [h.bin, "newsletter", "send", "--db", h.db]
    if conf:
        args += ["--config", conf]
    args += ["--smtp", sink.url, "--mail-from", MAIL_FROM,
             "--base-url", h.base]
    if nid is not None:
        args += ["--id", str(nid)]
    return args


def check_cli_stderr(err, what):
    bad = [l for l in err.splitlines() if SANITIZER_RE.search(l)]
    assert not bad, "%s: sanitizer report:\n%s" % (what, err)


def newsletter_send(h, sink, nid=None, conf=None, want_rc=0):
    r = subprocess.run(send_args(h, sink, nid, conf), capture_output=True,
                       stdin=subprocess.DEVNULL, timeout=CLI_TIMEOUT)
    err = r.stderr.decode("utf-8", "replace")
    check_cli_stderr(err, "herald newsletter send")
    if want_rc is not None:
        assert r.returncode == want_rc, (
            "herald newsletter send --id %s: exit %d, want %d:\n%s"
            % (nid, r.returncode, want_rc, err))
    return r.returncode, err


def rate_conf(h, rate=1000):
    path = os.path.join(h.dir, "rate.conf")
    with open(path, "w") as f:
        f.write("mail_rate = %d\n" % rate)
    return path


# -- the pages ------------------------------------------------------------------

def form_token(h, path="/subscribe"):
    r = h.get(path)
    assert r.status == 200, "GET %s: %r" % (path, r)
    m = TOKEN_RE.search(r.text)
    assert m, "no subscription form (t) on %s:\n%s" % (path, r.text[:800])
    return html.unescape(m.group(1))


def subscribe(h, token, addr, lang="en", website="", consent="yes",
              **kw):
    return h.post_form("/subscribe", [("t", token), ("website", website),
                                      ("email", addr), ("lang", lang),
                                      ("consent", consent)], **kw)


def text_part(msg):
    if msg.is_multipart():
        part = msg.get_body(preferencelist=("plain",))
        assert part is not None, "no text/plain part"
        return part.get_content()
    return msg.get_content()


def path_of(url):
    u = urllib.parse.urlsplit(url)
    return u.path + ("?" + u.query if u.query else "")


def list_unsubscribe(h, msg):
    lu = msg.get("List-Unsubscribe")
    assert lu, "no List-Unsubscribe header:\n%s" % msg
    m = re.fullmatch(r"\s*<([^<>]+)>\s*", str(lu))
    assert m, "List-Unsubscribe is not <URL>: %r" % str(lu)
    url = m.group(1)
    assert url.startswith(h.base + "/unsubscribe?t="), url
    assert str(msg.get("List-Unsubscribe-Post")) == \
        "List-Unsubscribe=One-Click", msg.get("List-Unsubscribe-Post")
    return url


def normalized(resp):
    """The answer with every form token made the same."""
    return re.sub(r'(name="t" value=")[^"]*"', r'\1T"', resp.text)


def status_of(h, addr):
    row = db_one(h, "SELECT status FROM subscriber WHERE email = ?",
                 (addr,))
    return row[0] if row else None


# -- 1. the whole way -----------------------------------------------------------

def test_subscribe_confirm_receive_unsubscribe(make_herald, sink):
    h = news_server(make_herald, sink)
    reader, other = "reader@example.org", "other@example.org"

    # the form at the foot of the home page, as a person fills it in
    home = h.get("/")
    assert home.status == 200
    assert 'action="/subscribe"' in home.text, "no form on the home page"
    tok = form_token(h, "/")
    time.sleep(FORM_WAIT)
    r = subscribe(h, tok, reader)
    assert r.status == 200, (r, r.text[:800])
    assert "Check your inbox" in r.text
    assert status_of(h, reader) == "pending"

    # the confirmation mail and its link
    d = sink.wait_for(reader, MAIL_WAIT)
    assert d is not None, "no confirmation mail within %gs" % MAIL_WAIT
    assert d.mail_from == MAIL_FROM
    body = text_part(d.message())
    m = re.search(re.escape(h.base) + r"/subscribe/confirm\?t=[^\s]+", body)
    assert m, "no confirmation link to %s in:\n%s" % (h.base, body)
    link = path_of(m.group(0))

    # opening it (a person, or a mail scanner) confirms nothing yet
    r = h.get(link)
    assert r.status == 200, (r, r.text[:800])
    t = TOKEN_RE.findall(r.text)
    assert 'action="/subscribe/confirm"' in r.text, r.text[:1500]
    confirm_t = urllib.parse.parse_qs(urllib.parse.urlsplit(link).query)[
        "t"][0]
    assert confirm_t in [html.unescape(x) for x in t]
    assert status_of(h, reader) == "pending"
    # the button does
    r = h.post_form("/subscribe/confirm", {"t": confirm_t})
    assert r.status == 200, (r, r.text[:800])
    assert "You are subscribed" in r.text
    assert status_of(h, reader) == "confirmed"

    # a newsletter comes, to them and to another reader
    add_confirmed(h, [other])
    nid, titles = make_newsletter(h, "News of the month")
    newsletter_send(h, sink, nid)
    d = sink.wait_for(reader, MAIL_WAIT, after=1)
    assert d is not None, "no newsletter for %s" % reader
    assert sink.wait_for(other, MAIL_WAIT) is not None
    msg = d.message()
    assert str(msg["Subject"]) == "News of the month"
    for title in titles:
        assert title in text_part(msg)
    url = list_unsubscribe(h, msg)

    # opening the link (GET, as a mail scanner does) changes nothing
    r = h.get(path_of(url))
    assert r.status == 200, r
    assert status_of(h, reader) == "confirmed", "a GET unsubscribed"
    # one click in the mail program (RFC 8058): a POST, no cookie, no form
    r = h.request("POST", path_of(url), body=b"List-Unsubscribe=One-Click",
                  headers={"Content-Type":
                           "application/x-www-form-urlencoded"})
    assert 200 <= r.status < 300, (r, r.text[:800])
    assert status_of(h, reader) == "unsubscribed"

    # the next one goes to the other reader only
    seen = len(sink.to(reader))
    nid2, _ = make_newsletter(h, "News of the next month")
    newsletter_send(h, sink, nid2)
    assert sink.wait_for(other, MAIL_WAIT, after=1) is not None, \
        "the second newsletter did not come to %s" % other
    time.sleep(QUIET_WAIT)
    assert len(sink.to(reader)) == seen, (
        "an unsubscribed reader got mail: %r" % sink.to(reader)[seen:])
    assert db_one(h, "SELECT count(*) FROM mail WHERE newsletter_id = ? "
                  "AND rcpt = ?", (nid2, reader))[0] == 0
    assert h.alive()


# -- 2. one answer for everyone -------------------------------------------------

def test_same_answer_new_pending_confirmed_and_bots(make_herald, sink):
    h = news_server(make_herald, sink)
    new, old = "new@example.org", "old@example.org"
    bot_hp, bot_fast = "bot1@example.org", "bot2@example.org"
    add_confirmed(h, [old])

    tok = form_token(h)
    time.sleep(FORM_WAIT)
    answers = {
        "new": subscribe(h, tok, new),
        "pending": subscribe(h, tok, new),
        "confirmed": subscribe(h, tok, old),
        "honeypot": subscribe(h, tok, bot_hp, website="http://spam.example/"),
    }
    fast = form_token(h)
    answers["at once"] = subscribe(h, fast, bot_fast)

    ref = answers["new"]
    assert ref.status == 200, (ref, ref.text[:800])
    assert "Check your inbox" in ref.text
    for what, r in answers.items():
        assert r.status == ref.status, (what, r, r.text[:800])
        assert r.header("Content-Type") == ref.header("Content-Type"), what
        assert normalized(r) == normalized(ref), (
            "the answer for %s differs from a new address's" % what)

    # one confirmation mail, for the new address only
    assert sink.wait_for(new, MAIL_WAIT) is not None
    time.sleep(QUIET_WAIT)
    got = sorted(d.rcpt for d in sink.all())
    assert got == [new], "mails sent: %r" % got
    assert status_of(h, new) == "pending"
    assert status_of(h, old) == "confirmed", "a confirmed address changed"
    for bot in (bot_hp, bot_fast):
        assert status_of(h, bot) is None, "a bot's address was stored"
    assert db_one(h, "SELECT count(*) FROM mail")[0] == 1


# -- 3. a crash mid-way ---------------------------------------------------------

def crowd(n=CROWD):
    return ["reader%04d@example.org" % i for i in range(n)]


def kill_between(proc, sink, base, lo, hi, timeout):
    """SIGKILLs proc when the sink has between lo and hi new deliveries
    (at a point picked at random in the first half of that span); the
    count then."""
    lo = random.randint(lo, (lo + hi) // 2)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        n = sink.count() - base
        if n >= lo:
            proc.send_signal(signal.SIGKILL)
            proc.wait(timeout=STOP_TIMEOUT)
            n = sink.count() - base
            assert n <= hi, (
                "the sender went too fast to be killed mid-way: %d of %d "
                "already (raise CROWD)" % (n, CROWD))
            return n
        if proc.poll() is not None:
            pytest.fail("the sender ended (%s) before it was killed; %d "
                        "sent" % (proc.returncode, n))
        time.sleep(0.002)
    proc.kill()
    pytest.fail("only %d mails within %gs" % (sink.count() - base, timeout))


def check_each_once(h, sink, nid, addrs):
    per = sink.per_rcpt()
    want = {a.lower() for a in addrs}
    got = {a for a in per if a in want}
    assert len(got) == len(want), (
        "%d readers never got the newsletter, e.g. %r"
        % (len(want - got), sorted(want - got)[:5]))
    twice = {a: c for a, c in per.items() if a in want and c > 1}
    assert len(twice) <= 1 and all(c == 2 for c in twice.values()), (
        "more than the one mail in flight came twice: %r"
        % sorted(twice.items())[:10])
    # a mail sent again is the same message: receivers can drop it
    ids = {}
    for d in sink.all():
        if d.rcpt.lower() in want:
            ids.setdefault(d.rcpt.lower(), set()).add(d.message_id)
    assert all(len(v) == 1 for v in ids.values()), (
        "a mail sent again has another Message-ID: %r"
        % {a: v for a, v in ids.items() if len(v) > 1})
    assert len(set.union(*ids.values())) == len(want), \
        "Message-IDs are not unique per reader"
    st = dict(db_rows(h, "SELECT status, count(*) FROM mail WHERE "
                      "newsletter_id = ? GROUP BY status", (nid,)))
    assert st == {"sent": len(want)}, st
    assert db_one(h, "SELECT status FROM newsletter WHERE id = ?",
                  (nid,))[0] == "sent"
    return twice


def test_crash_of_newsletter_send(make_herald, sink):
    t0 = time.monotonic()
    h = news_server(make_herald)
    addrs = crowd()
    add_confirmed(h, addrs)
    nid, _ = make_newsletter(h, "After the crash")
    conf = rate_conf(h)

    with open(os.path.join(h.dir, "send1.err"), "wb") as err:
        p = subprocess.Popen(send_args(h, sink, nid, conf),
                             stdin=subprocess.DEVNULL,
                             stdout=subprocess.DEVNULL, stderr=err)
    try:
        n = kill_between(p, sink, 0, CROWD // 5, CROWD * 4 // 5, 30)
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
    assert db_one(h, "SELECT count(*) FROM mail WHERE status = 'sent'")[0] \
        <= n
    # started again (without --id) until nothing waits
    for _ in range(3):
        rc, err = newsletter_send(h, sink, None, conf, want_rc=None)
        assert rc == 0, err
        left = db_one(h, "SELECT count(*) FROM mail WHERE status IN "
                      "('queued', 'sending')")[0]
        if left == 0:
            break
    assert left == 0, "%d mails still wait" % left
    twice = check_each_once(h, sink, nid, addrs)
    out = subprocess.run([h.bin, "newsletter", "list", "--db", h.db],
                         capture_output=True, timeout=CLI_TIMEOUT)
    assert out.returncode == 0
    row = [l for l in out.stdout.decode().splitlines()
           if l.split()[:1] == [str(nid)]]
    assert row and row[0].split()[1:6] == ["sent", "en", str(CROWD), "0",
                                           "0"], out.stdout.decode()
    print("killed at %d of %d; twice: %r; %.1fs"
          % (n, CROWD, twice, time.monotonic() - t0))


def queue_without_sending(h, sink, nid):
    """Queues newsletter nid with `herald newsletter send --id` and stops
    it (SIGTERM) as soon as it says so, so that the server's thread sends
    (the few it sent first count as well)."""
    p = subprocess.Popen(send_args(h, sink, nid), stdin=subprocess.DEVNULL,
                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    said = []
    queued = threading.Event()

    def read():
        for line in p.stderr:
            said.append(line.decode("utf-8", "replace"))
            if "queued" in said[-1]:
                p.send_signal(signal.SIGTERM)
                queued.set()

    th = threading.Thread(target=read, daemon=True)
    th.start()
    try:
        p.wait(timeout=CLI_TIMEOUT)
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
    th.join(timeout=5)
    err = "".join(said)
    check_cli_stderr(err, "herald newsletter send")
    assert queued.is_set(), "send --id said nothing of queueing:\n" + err
    assert p.returncode in (0, 1), err


def test_crash_of_the_server_thread(make_herald, sink):
    t0 = time.monotonic()
    h = news_server(make_herald, sink, mail_rate=1000)
    addrs = crowd()
    add_confirmed(h, addrs)
    nid, _ = make_newsletter(h, "After the server's crash")
    queue_without_sending(h, sink, nid)
    n = kill_between(h.proc, sink, 0, CROWD // 5, CROWD * 4 // 5, 30)
    # the same database served again: its thread sends the rest
    h.restart_killed()
    deadline = time.monotonic() + 40
    while time.monotonic() < deadline:
        left = db_one(h, "SELECT count(*) FROM mail WHERE status IN "
                      "('queued', 'sending')")[0]
        if left == 0:
            break
        time.sleep(0.2)
    assert left == 0, "%d mails still wait after the restart" % left
    time.sleep(0.5)
    twice = check_each_once(h, sink, nid, addrs)
    print("killed at %d of %d; twice: %r; %.1fs"
          % (n, CROWD, twice, time.monotonic() - t0))


# -- 4. the format of a newsletter ------------------------------------------------

SUBJECT = "Nouvelles — Беларусь 🌍 & ไทย"


def test_mail_format(make_herald, sink):
    h = news_server(make_herald)
    readers = ["ann@example.org", "bob@example.org", "cy@example.org"]
    add_confirmed(h, readers)
    nid, titles = make_newsletter(
        h, SUBJECT, intro="Hello **readers**: the news of this month.")
    newsletter_send(h, sink, nid)
    ds = [sink.wait_for(a, MAIL_WAIT) for a in readers]
    assert all(ds), "not every reader got it: %r" % ds
    mids, unsubs = set(), set()
    for d in ds:
        raw = d.data
        what = "mail to %s" % d.rcpt
        # CRLF lines of at most 998 bytes (RFC 5322 2.1.1)
        assert raw.endswith(b"\r\n"), what
        assert raw.count(b"\n") == raw.count(b"\r\n"), what + ": a bare LF"
        assert raw.count(b"\r") == raw.count(b"\r\n"), what + ": a bare CR"
        longest = max(len(l) for l in raw.split(b"\r\n"))
        assert longest <= 998, "%s: a line of %d bytes" % (what, longest)
        head = raw.split(b"\r\n\r\n", 1)[0]
        assert all(b < 0x80 for b in head), what + ": 8-bit header bytes"
        # the subject: RFC 2047 encoded words that decode back
        subj_raw = re.search(rb"^Subject:(.*(?:\r\n[ \t].*)*)", head, re.M)
        assert subj_raw, what
        assert re.search(rb"=\?utf-8\?[bq]\?", subj_raw.group(1), re.I), (
            "%s: the subject is not RFC 2047 encoded: %r"
            % (what, subj_raw.group(0)))
        msg = d.message()
        assert str(msg["Subject"]) == SUBJECT, (what, str(msg["Subject"]))
        # Date, Message-ID, From, To
        assert len(msg.get_all("Date")) == 1, what
        dt = email.utils.parsedate_to_datetime(str(msg["Date"]))
        assert dt.tzinfo is not None, what
        assert abs(dt.timestamp() - time.time()) < 600, (what, msg["Date"])
        mid = str(msg["Message-ID"]).strip()
        assert re.fullmatch(r"<[^<>@\s]+@[^<>@\s]+>", mid), (what, mid)
        mids.add(mid)
        name, addr = email.utils.parseaddr(str(msg["From"]))
        assert addr == MAIL_FROM, (what, msg["From"])
        assert email.utils.parseaddr(str(msg["To"]))[1] == d.rcpt, what
        url = list_unsubscribe(h, msg)
        unsubs.add(url)
        # multipart/alternative: text, then HTML
        assert msg.get_content_type() == "multipart/alternative", what
        kinds = [p.get_content_type() for p in msg.iter_parts()]
        assert kinds == ["text/plain", "text/html"], (what, kinds)
        text = msg.get_body(preferencelist=("plain",)).get_content()
        page = msg.get_body(preferencelist=("html",)).get_content()
        for title in titles:
            assert title in text, "%s: %r not in the text" % (what, title)
            assert html.escape(title, quote=False) in page or title in \
                html.unescape(page), "%s: %r not in the HTML" % (what, title)
        assert url in text, what + ": no unsubscribe link in the text"
        assert url in html.unescape(page), what + ": none in the HTML"
        assert SUBJECT in text and SUBJECT in html.unescape(page), what
        # nothing fetched from elsewhere, no script, links to the site
        low = page.lower()
        assert "<img" not in low, what + ": an image"
        assert "<script" not in low, what + ": a script"
        assert not re.search(r"\bsrc\s*=", low), what + ": a src="
        assert "url(" not in low, what + ": a url( reference"
        assert not re.search(r"<link\b", low), what + ": a <link>"
        hrefs = [html.unescape(x) for x in
                 re.findall(r'\bhref\s*=\s*"([^"]*)"', page, re.I)]
        assert hrefs, what + ": no links"
        for x in hrefs:
            assert x.startswith(h.base + "/"), (
                "%s: a link elsewhere than %s: %r" % (what, h.base, x))
    assert len(mids) == len(readers), "Message-IDs repeat: %r" % mids
    assert len(unsubs) == len(readers), "one unsubscribe link for several"


def intro_mail_html(make_herald, sink, intro):
    h = news_server(make_herald)
    add_confirmed(h, ["ann@example.org"])
    nid, _ = make_newsletter(h, "Intro", intro=intro)
    newsletter_send(h, sink, nid)
    d = sink.wait_for("ann@example.org", MAIL_WAIT)
    assert d is not None
    return h, d.message().get_body(preferencelist=("html",)).get_content()


def test_intro_links_point_to_the_site(make_herald, sink):
    h, page = intro_mail_html(make_herald, sink,
                              "Read [about us](/about) first.")
    hrefs = [html.unescape(x) for x in
             re.findall(r'\bhref\s*=\s*"([^"]*)"', page, re.I)]
    assert h.base + "/about" in hrefs, hrefs
    for x in hrefs:
        assert x.startswith(h.base + "/"), "a link elsewhere: %r" % x


def test_intro_images_fetch_nothing(make_herald, sink):
    h, page = intro_mail_html(
        make_herald, sink,
        "A chart: ![chart](https://cdn.example.net/c.png) and "
        "![logo](/media/1).")
    low = page.lower()
    assert "<img" not in low, "an image in the mail"
    assert not re.search(r"\bsrc\s*=", low), "a src= in the mail"


# -- 5. hostile addresses ---------------------------------------------------------

HOSTILE = [
    ("CRLF header injection", "a@example.org\r\nBcc: x@example.org",
     "line break"),
    ("LF header injection", "a@example.org\nBcc: x", "line break"),
    ("300 characters", "a" * 288 + "@example.org", "too long"),
    ("non-ASCII", "ünïcode@example.org", "ASCII"),
    ("SMTP command injection", "a@example.org>\r\nRCPT TO:<b@example.org",
     "line break"),
    ("two addresses", "a@example.org, b@example.org", "look like"),
]


def test_hostile_addresses(make_herald, sink):
    h = news_server(make_herald, sink)
    tok = form_token(h)
    time.sleep(FORM_WAIT)
    for what, addr, says in HOSTILE:
        r = subscribe(h, tok, addr)
        assert r.status == 422, "%s: %r\n%s" % (what, r, r.text[:800])
        m = re.search(r'<p class="error" role="alert">([^<]+)</p>', r.text)
        assert m, "%s: no message:\n%s" % (what, r.text[:1500])
        assert says.lower() in m.group(1).lower(), (what, m.group(1))
        assert "Bcc" not in r.text, what + ": the injected header is shown"
    # bytes that are not UTF-8
    body = ("t=%s&website=&email=%%FF%%FEa%%C0%%80@example.org&lang=en"
            "&consent=yes" % urllib.parse.quote(tok)).encode()
    r = h.post_form("/subscribe", body)
    assert r.status == 422, "invalid UTF-8: %r\n%s" % (r, r.text[:800])
    assert re.search(r'<p class="error" role="alert">[^<]+</p>', r.text), \
        "invalid UTF-8: no message:\n" + r.text[:1500]
    time.sleep(QUIET_WAIT)
    assert db_one(h, "SELECT count(*) FROM subscriber")[0] == 0
    assert db_one(h, "SELECT count(*) FROM mail")[0] == 0
    assert sink.count() == 0
    assert h.alive()
    # and a good address still works
    r = subscribe(h, tok, "fine@example.org")
    assert r.status == 200
    assert sink.wait_for("fine@example.org", MAIL_WAIT) is not None


# -- 6. the rate limit --------------------------------------------------------------

def test_subscribe_rate_limit(make_herald):
    h = news_server(make_herald, subscribe_limit=3)
    tok = form_token(h)
    for i in range(3):
        r = subscribe(h, tok, "r%d@example.org" % i)
        assert r.status == 200, (i, r)
    r = subscribe(h, tok, "r9@example.org")
    assert r.status == 429, (r, r.text[:800])
    ra = r.header("Retry-After")
    assert ra and ra.isdigit() and 0 < int(ra) <= 3600, ra
    # per client: another address is not held back, the pages still work
    r2 = subscribe(h, tok, "r8@example.org", source="127.0.0.2")
    assert r2.status == 200, r2
    assert h.get("/subscribe").status == 200
    assert status_of(h, "r9@example.org") is None


# -- 7. failures ----------------------------------------------------------------------

def test_temporary_failure_retried_permanent_not(make_herald, sink):
    h = news_server(make_herald, sink)
    temp, perm, ok = ("later@example.org", "nobody@example.org",
                      "fine@example.org")
    sink.refuse(temp, "451 4.3.0 try later")
    sink.refuse(perm, "550 5.1.1 no such user")
    tok = form_token(h)
    time.sleep(FORM_WAIT)
    for a in (temp, perm, ok):
        assert subscribe(h, tok, a).status == 200
    assert sink.wait_for(ok, MAIL_WAIT) is not None
    deadline = time.monotonic() + MAIL_WAIT
    while time.monotonic() < deadline and \
            (sink.attempts(temp) < 1 or sink.attempts(perm) < 1):
        time.sleep(0.1)
    time.sleep(1.0)
    now = int(time.time())
    st, next_at, err, tries = db_one(
        h, "SELECT status, next_at, last_error, attempts FROM mail "
        "WHERE rcpt = ?", (temp,))
    assert st == "queued", st
    assert next_at > now, "no later try: next_at %d, now %d" % (next_at, now)
    assert "451" in err, err
    assert tries == 1
    st, err, tries = db_one(h, "SELECT status, last_error, attempts FROM "
                            "mail WHERE rcpt = ?", (perm,))
    assert st == "failed", st
    assert "550" in err, err
    # not before its time, and the permanent one never
    time.sleep(QUIET_WAIT)
    assert sink.attempts(temp) == 1 and sink.attempts(perm) == 1
    # time passes (next_at reached) and the server takes it: it arrives
    sink.accept(temp)
    sink.accept(perm)
    c = db_connect(h)
    with c:
        c.execute("UPDATE mail SET next_at = ? WHERE rcpt = ?", (now, temp))
    c.close()
    assert sink.wait_for(temp, MAIL_WAIT) is not None, \
        "the temporary failure was not tried again"
    time.sleep(QUIET_WAIT)
    assert db_one(h, "SELECT status, attempts FROM mail WHERE rcpt = ?",
                  (temp,)) == ("sent", 2)
    assert sink.attempts(perm) == 1, "a permanent failure was tried again"
    assert sink.to(perm) == []
    assert db_one(h, "SELECT status FROM mail WHERE rcpt = ?",
                  (perm,))[0] == "failed"


def test_newsletter_failures_with_the_cli(make_herald, sink):
    h = news_server(make_herald)
    temp, perm, ok = ("later@example.org", "nobody@example.org",
                      "fine@example.org")
    sink.refuse(temp, "451 4.3.0 try later")
    sink.refuse(perm, "550 5.1.1 no such user")
    add_confirmed(h, [temp, perm, ok])
    nid, _ = make_newsletter(h, "Some fail")
    rc, err = newsletter_send(h, sink, nid)
    assert len(sink.to(ok)) == 1
    rows = dict((r[0], r[1:]) for r in db_rows(
        h, "SELECT rcpt, status, next_at, last_error FROM mail WHERE "
        "newsletter_id = ?", (nid,)))
    assert rows[ok][0] == "sent"
    assert rows[temp][0] == "queued" and rows[temp][1] > time.time() and \
        "451" in rows[temp][2], rows[temp]
    assert rows[perm][0] == "failed" and "550" in rows[perm][2], rows[perm]
    # a second run tries neither (one not yet, one never)
    newsletter_send(h, sink, None)
    assert sink.attempts(temp) == 1 and sink.attempts(perm) == 1
    assert db_one(h, "SELECT status FROM newsletter WHERE id = ?",
                  (nid,))[0] == "sending"


# -- 8. libcurl is opened by the first mail -------------------------------------------

def test_libcurl_loaded_by_first_mail(make_herald, sink):
    # herald does not link libcurl: its 30-odd libraries (OpenSSL,
    # Kerberos, LDAP, ...), mapped at every exec, made every start slower.
    # mail.c opens it to send the first mail; this fails if the Makefile
    # links it again, or if the sending thread opens it before it has
    # anything to send. The first mail of a server is a confirmation; a
    # newsletter goes the same way (news_send_due, mail_smtp_send).
    if not os.path.exists("/proc/self/maps"):
        pytest.skip("no /proc/PID/maps here")
    h = news_server(make_herald, sink)
    tok = form_token(h)
    time.sleep(FORM_WAIT)   # the sending thread looks at its queue meanwhile
    curl = [n for n in mapped_libs(h) if n.startswith("libcurl")]
    assert not curl, "libcurl is mapped with nothing sent: %s" % curl
    reader = "reader@example.org"
    r = subscribe(h, tok, reader)
    assert r.status == 200, (r, r.text[:800])
    assert sink.wait_for(reader, MAIL_WAIT) is not None, "no mail came"
    curl = [n for n in mapped_libs(h) if n.startswith("libcurl.so.4")]
    assert curl, "a mail was sent without libcurl.so.4 mapped"
