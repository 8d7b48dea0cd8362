"""E-mail protection: no address in any page in any encoding, yet every
protected address can be revealed without JavaScript by POST /email,
within a per-client rate limit."""

import glob
import os
import re

import pytest

import emailscan
import sitecrawl
from conftest import (ROOT, Herald, assert_security_headers,
                      assert_site_look)

PRESS_RELEASE = ("/press-releases/holding-back-progress-the-barriers-to-"
                 "ending-trafficking-in-persons")
MEDIA_CONTACT = "jasmin.qureshi@example.org"


def content_addresses():
    """Every address written in content/**/*.md."""
    found = set()
    for f in glob.glob(os.path.join(ROOT, "content", "**", "*.md"),
                       recursive=True):
        with open(f, encoding="utf-8", errors="replace") as fh:
            for a in emailscan.emails(fh.read()):
                found.add(a.lower())
    return sorted(found)


ITEM_FOLDERS = ("news", "press-releases", "statements", "events", "pages")


def published_body_addresses():
    """Addresses written in the bodies of published items (content/news,
    press-releases, statements, events, pages): a reader must be able to
    reveal each of them."""
    found = set()
    for folder in ITEM_FOLDERS:
        for f in glob.glob(os.path.join(ROOT, "content", folder, "*.md")):
            with open(f, encoding="utf-8", errors="replace") as fh:
                text = fh.read()
            fm, body = "", text
            m = re.match(r"---\r?\n(.*?)\r?\n---\r?\n(.*)", text, re.S)
            if m:
                fm, body = m.group(1), m.group(2)
            if re.search(r"^\s*(draft:\s*(true|yes)|status:\s*(?!published)"
                         r"\w+)", fm, re.M | re.I):
                continue
            for a in emailscan.emails(body):
                found.add(a.lower())
    return sorted(found)


def known_addresses():
    return sorted(set(content_addresses()) | {MEDIA_CONTACT})


def reveal_token(doc, after_text):
    """The value of the first e-mail button that follows after_text."""
    for attrs, _, idx in doc.email_buttons():
        before = " ".join(e[2] for e in doc.events[:idx] if e[0] == "t")
        if after_text in before:
            return attrs.get("value")
    return None


def mailto_re(addr):
    a = re.escape(addr)
    return re.compile(r"<a\b[^>]*\bhref=\"mailto:%s\"[^>]*>\s*%s\s*</a>"
                      % (a, a), re.I)


@pytest.fixture(scope="module")
def own():
    """A server of this module's own (a roomy reveal limit): POSTs made
    here do not eat into the shared server's limit, nor each other's."""
    h = Herald(reveal_limit=50).start()
    yield h
    h.check_stop()


# -- nothing leaks --------------------------------------------------------

def test_content_has_addresses_to_protect():
    addrs = content_addresses()
    assert len(addrs) >= 2, (
        "content/**/*.md holds %d e-mail addresses (%s): the leak test "
        "needs at least 2 to mean something" % (len(addrs), addrs))


def test_no_email_address_in_any_page_in_any_encoding(site):
    known = known_addresses()
    leaks = []
    for p in site.pages.values():
        head = "\n".join("%s: %s" % kv for kv in p.headers.items()).encode()
        for variant, addr in emailscan.scan(p.body, known) + \
                emailscan.scan(head, known):
            leaks.append("%s: %s (%s)" % (p.path, addr, variant))
    assert not leaks, "%d leaks:\n%s" % (len(leaks), "\n".join(leaks[:50]))
    assert len(site.pages) > 10


def test_no_email_address_in_error_pages(herald):
    known = known_addresses()
    for path in ("/no-such-page", "/%00", "/news/no-such-item"):
        r = herald.get(path)
        found = emailscan.scan(r.body, known)
        assert not found, "%s: %s" % (path, found)


def test_no_email_address_in_compressed_bodies(herald):
    import gzip

    import brotli
    from conftest import brotli_answer
    known = known_addresses()
    for path in ("/", PRESS_RELEASE):
        r = herald.get(path, headers={"Accept-Encoding": "gzip"})
        assert r.header("Content-Encoding") == "gzip", path
        found = emailscan.scan(gzip.decompress(r.body), known)
        assert not found, "%s (gzip): %s" % (path, found)
        r = brotli_answer(herald, path)
        found = emailscan.scan(brotli.decompress(r.body), known)
        assert not found, "%s (br): %s" % (path, found)


def test_every_email_button_posts_to_the_reveal_form(site):
    bad = []
    pages_with_buttons = 0
    for p in site.html_pages():
        d = p.doc
        buttons = d.email_buttons()
        if not buttons:
            continue
        pages_with_buttons += 1
        forms = [f for f in d.forms if f.get("id") == "email-reveal"]
        if len(forms) != 1:
            bad.append("%s: %d <form id=email-reveal>" % (p.path, len(forms)))
        else:
            f = forms[0]
            action = sitecrawl.internal_path(site.base, site.base + p.path,
                                             f.get("action", ""))
            if f.get("method", "").lower() != "post" or action != "/email":
                bad.append("%s: form %s" % (p.path, f))
        for attrs, text, _ in buttons:
            if not (attrs.get("type") == "submit" and
                    attrs.get("form") == "email-reveal" and
                    attrs.get("name") == "t" and attrs.get("value")):
                bad.append("%s: button %s" % (p.path, attrs))
            if not text:
                bad.append("%s: a button without text" % p.path)
    assert not bad, "\n".join(bad[:40])
    assert pages_with_buttons >= 1, "no page has an e-mail button"


# -- revealing ------------------------------------------------------------

def test_reveal_media_contact_from_the_press_release(own):
    r = own.get(PRESS_RELEASE)
    assert r.status == 200
    token = reveal_token(sitecrawl.Doc(r.text), "Jasmin Qureshi")
    assert token, "no e-mail button after the media contact's name"
    assert MEDIA_CONTACT not in token and "@" not in token
    a = own.post_form("/email", {"t": token})
    assert a.status == 200, "POST /email -> %d" % a.status
    assert mailto_re(MEDIA_CONTACT).search(a.text), (
        "no <a href=\"mailto:%s\">%s</a> in:\n%s"
        % (MEDIA_CONTACT, MEDIA_CONTACT, a.text[:1500]))
    assert "no-store" in a.header("Cache-Control", ""), (
        "the reveal answer may be cached: %r" % a.header("Cache-Control"))
    assert a.header("Content-Type", "").startswith("text/html")
    assert_site_look(a.body, "reveal answer")
    assert_security_headers(a.headers, "reveal answer")


def test_reveal_unknown_token_is_404(own):
    r = own.get(PRESS_RELEASE)
    token = reveal_token(sitecrawl.Doc(r.text), "Jasmin Qureshi")
    assert token
    # change one character in the middle, keeping the token's alphabet
    i = len(token) // 2
    alphabet = sorted(set(token)) or ["A"]
    c = next(ch for ch in alphabet + ["A", "B"] if ch != token[i])
    forged = token[:i] + c + token[i + 1:]
    a = own.post_form("/email", {"t": forged})
    assert a.status == 404, "forged token -> %d" % a.status
    assert MEDIA_CONTACT not in a.text
    assert_site_look(a.body, "404 for an unknown token")
    assert_security_headers(a.headers, "404 for an unknown token")


@pytest.mark.parametrize("body", ["", "x=1", "tt=abc"])
def test_reveal_without_token_is_400(own, body):
    a = own.post_form("/email", body)
    assert a.status == 400, "POST /email %r -> %d" % (body, a.status)
    assert_site_look(a.body, "400 for a missing token")


def test_reveal_rate_limit_per_client_ip(make_herald):
    h = make_herald(reveal_limit=5)
    r = h.get(PRESS_RELEASE)
    token = reveal_token(sitecrawl.Doc(r.text), "Jasmin Qureshi")
    assert token
    for i in range(5):
        a = h.post_form("/email", {"t": token})
        assert a.status == 200, "reveal %d of 5 -> %d" % (i + 1, a.status)
    a = h.post_form("/email", {"t": token})
    assert a.status == 429, "reveal 6 over a limit of 5 -> %d" % a.status
    assert MEDIA_CONTACT not in a.text
    ra = a.header("Retry-After")
    assert ra and ra.strip().isdigit() and 0 < int(ra) <= 600, (
        "bad Retry-After %r" % ra)
    assert_site_look(a.body, "429")
    assert_security_headers(a.headers, "429")
    assert h.get("/").status == 200, "pages are rate-limited too"
    # another client (another loopback address) is not limited
    b = h.post_form("/email", {"t": token}, source="127.0.0.2")
    assert b.status == 200, "a second client IP got %d" % b.status
    assert mailto_re(MEDIA_CONTACT).search(b.text)


def test_every_protected_address_reveals(make_herald):
    """Crawl a server of its own, reveal every token on every page: each
    gives a mailto link, and together they cover the media contact and the
    addresses written in published items' bodies."""
    h = make_herald(reveal_limit=100000)
    c = sitecrawl.crawl(h.base)
    tokens = {}
    for p in c.html_pages():
        for attrs, _, _ in p.doc.email_buttons():
            if attrs.get("value"):
                tokens.setdefault(attrs["value"], p.path)
    assert tokens, "no e-mail button anywhere"
    revealed = set()
    bad = []
    for t, path in sorted(tokens.items())[:300]:
        a = h.post_form("/email", {"t": t})
        m = re.search(r'href="mailto:([^"]+)"', a.text)
        if a.status != 200 or not m:
            bad.append("%s: token from %s -> %d" % (t[:20], path, a.status))
        else:
            revealed.add(m.group(1).lower())
    assert not bad, "\n".join(bad)
    assert MEDIA_CONTACT in revealed
    missing = [a for a in published_body_addresses() if a not in revealed]
    assert not missing, (
        "addresses written in published content that no page lets a "
        "reader reveal: %s (revealed: %s)" % (missing, sorted(revealed)))
