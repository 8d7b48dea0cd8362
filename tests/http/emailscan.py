"""Looks for e-mail addresses in page bytes, in every encoding we can
think of a spam harvester undoing: plain, HTML entities, percent-encoding,
reversed, split by tags or whitespace, "[at]"/"(at)"/" at " and "[dot]",
JS/CSS escapes, base64/hex blobs, and (known addresses only) ROT13.

scan(data, known) -> list of (variant, what was found). `known` are
addresses we know (from content/), searched for after the most aggressive
normalisations, where a generic pattern would give false alarms.
"""

import base64
import binascii
import codecs
import html
import re
import urllib.parse

EMAIL_RE = re.compile(
    r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")
# "icon@2x.png" is a file name, not an address
FILE_EXT = {"png", "jpg", "jpeg", "gif", "svg", "webp", "avif", "ico", "css",
            "js", "mjs", "woff", "woff2", "ttf", "otf", "pdf", "map", "html"}
TAG_RE = re.compile(r"<[^>]*>")
AT_RE = re.compile(
    r"\s*(?:[\[\(\{<]\s*at\s*[\]\)\}>]|\bat\b|&#0*64;?)\s*", re.I)
AT_BRACKET_RE = re.compile(r"\s*[\[\(\{<]\s*at\s*[\]\)\}>]\s*", re.I)
DOT_RE = re.compile(r"\s*(?:[\[\(\{<]\s*dot\s*[\]\)\}>]|\bdot\b)\s*", re.I)
DOT_BRACKET_RE = re.compile(r"\s*[\[\(\{<]\s*dot\s*[\]\)\}>]\s*", re.I)
BLOB_RE = re.compile(r"[A-Za-z0-9+/=_-]{12,}")
HEX_RE = re.compile(r"(?:[0-9a-fA-F]{2}){6,}")


def emails(text):
    out = []
    for m in EMAIL_RE.finditer(text):
        a = m.group(0)
        if a.rsplit(".", 1)[-1].lower() in FILE_EXT:
            continue
        local, _, domain = a.partition("@")
        if len(local) > 64:     # run-together text: show the end only
            a = "..." + local[-40:] + "@" + domain
        out.append(a)
    return out


def unescape_js_css(text):
    text = re.sub(r"\\u\{([0-9a-fA-F]{1,6})\}|\\u([0-9a-fA-F]{4})",
                  lambda m: chr(min(int(m.group(1) or m.group(2), 16),
                                    0x10FFFF)), text)
    text = re.sub(r"\\x([0-9a-fA-F]{2})",
                  lambda m: chr(int(m.group(1), 16)), text)
    text = re.sub(r"\\([0-9a-fA-F]{1,6})\s?",
                  lambda m: chr(min(int(m.group(1), 16), 0x10FFFF)), text)
    return text


def unescape_all(text):
    """HTML entities and percent-encoding, each twice (double-encoded)."""
    for _ in range(2):
        text = html.unescape(text)
        text = urllib.parse.unquote(text)
    return text


def variants(data):
    """(name, text) of each decoding of the bytes."""
    raw = data.decode("utf-8", "replace")
    ent = html.unescape(html.unescape(raw))
    pct = urllib.parse.unquote(urllib.parse.unquote(raw))
    dec = unescape_all(raw)
    js = unescape_js_css(dec)
    notags = TAG_RE.sub("", dec)
    nospace = re.sub(r"\s+", "", notags)
    at = DOT_BRACKET_RE.sub(".", AT_BRACKET_RE.sub("@", notags))
    out = [
        ("raw bytes", raw),
        ("HTML entities decoded", ent),
        ("percent-decoded", pct),
        ("entities+percent decoded", dec),
        ("JS/CSS escapes decoded", js),
        ("reversed", raw[::-1]),
        ("decoded, reversed", dec[::-1]),
        ("tags removed", notags),
        ("tags removed, reversed", notags[::-1]),
        ("[at]/(at) and [dot] replaced", at),
        ("[at] replaced, whitespace removed", re.sub(r"\s+", "", at)),
    ]
    return out, nospace


def decoded_blobs(text):
    """Each base64/base64url/hex run of the text, decoded."""
    out = []
    for m in BLOB_RE.finditer(text):
        s = m.group(0)
        for alt in (None, b"-_"):
            t = s.rstrip("=")
            t += "=" * (-len(t) % 4)
            try:
                b = base64.b64decode(t, altchars=alt, validate=False)
            except (binascii.Error, ValueError):
                continue
            out.append(("base64 %s" % s[:40], b.decode("latin-1")))
    for m in HEX_RE.finditer(text):
        try:
            out.append(("hex %s" % m.group(0)[:40],
                        bytes.fromhex(m.group(0)).decode("latin-1")))
        except ValueError:
            pass
    return out


def known_forms(addr):
    """The forms of a known address searched for in normalised text."""
    a = addr.lower()
    r = codecs.encode(a, "rot13")
    return [a, a[::-1], r, r[::-1]]


def scan(data, known=()):
    """Every e-mail address found in the bytes: [(variant, found)]."""
    found = []
    vs, nospace = variants(data)
    for name, text in vs:
        for a in emails(text):
            found.append((name, a))
    for name, text in decoded_blobs(unescape_all(data.decode("utf-8",
                                                             "replace"))):
        for a in emails(text):
            found.append((name, a))
    # Known addresses, after the aggressive normalisations where a
    # generic pattern would see addresses in ordinary prose.
    if known:
        dec = unescape_all(data.decode("utf-8", "replace"))
        notags = TAG_RE.sub("", dec)
        words = DOT_RE.sub(".", AT_RE.sub("@", notags))
        norms = [
            ("tags and whitespace removed", nospace.lower()),
            ("' at '/' dot ' replaced, whitespace removed",
             re.sub(r"\s+", "", words).lower()),
            ("raw, lower case", data.decode("utf-8", "replace").lower()),
        ]
        for name, text in norms:
            for addr in known:
                for form in known_forms(addr):
                    if form in text:
                        found.append((name, addr))
    # one report per (variant, address)
    seen = set()
    out = []
    for f in found:
        if f not in seen:
            seen.add(f)
            out.append(f)
    return out
