"""Crawls a site from / over loopback and reads what the tests need of
each HTML page. Standard library only.

crawl(base) fetches every internal URL reachable from / once (links of a,
area, link, img, source, script, iframe, video, audio, object, and url()
or @import in CSS; forms are not followed), at most `limit` URLs, and
returns a Crawl: pages by path (with query), each with status, headers,
body and the pages that linked to it.

Doc(html) parses one page: lang, title, headings, <main>, skip link,
first focusable element, scripts, on* and style attributes, resources,
anchors, e-mail buttons and forms, and the text in reading order.
"""

import http.client
import re
import time
import urllib.parse
from html.parser import HTMLParser

# Elements and attributes whose URL the crawler follows.
LINK_ATTRS = {
    "a": ("href",), "area": ("href",), "link": ("href",),
    "img": ("src", "srcset"), "source": ("src", "srcset"),
    "script": ("src",), "iframe": ("src",), "frame": ("src",),
    "embed": ("src",), "video": ("src", "poster"), "audio": ("src",),
    "track": ("src",), "object": ("data",), "input": ("src",),
}
# Elements whose URL is a resource loaded with the page (not a link the
# reader follows): none of them may point to another host.
RESOURCE_TAGS = {"img", "source", "script", "iframe", "frame", "embed",
                 "video", "audio", "track", "object", "input"}
RESOURCE_RELS = {"stylesheet", "icon", "shortcut", "apple-touch-icon",
                 "mask-icon", "preload", "prefetch", "modulepreload",
                 "manifest", "preconnect", "dns-prefetch", "prerender"}
# rel values of <link> that are not to be fetched by a crawler; feeds
# (rel="alternate") have tests of their own
NOFOLLOW_RELS = {"preconnect", "dns-prefetch", "alternate"}
# <script type> values that are data, never run (JSON-LD)
DATA_SCRIPT_TYPES = {"application/ld+json"}
# Inline elements: no word break at their tags; any other tag breaks words.
INLINE = {"a", "abbr", "b", "bdi", "bdo", "cite", "code", "data", "dfn", "em",
          "i", "kbd", "mark", "q", "s", "samp", "small", "span", "strong",
          "sub", "sup", "time", "u", "var", "wbr", "img", "label"}
HEADINGS = {"h1": 1, "h2": 2, "h3": 3, "h4": 4, "h5": 5, "h6": 6}
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link",
        "meta", "param", "source", "track", "wbr"}
CSS_URL_RE = re.compile(
    r"""url\(\s*(?:"([^"]*)"|'([^']*)'|([^)'"\s]*))\s*\)"""
    r"""|@import\s+(?:"([^"]*)"|'([^']*)')""", re.I)


def norm_space(s):
    return re.sub(r"\s+", " ", s).strip()


def srcset_urls(v):
    out = []
    for part in v.split(","):
        part = part.strip()
        if part:
            out.append(part.split()[0])
    return out


class Doc(HTMLParser):
    """One HTML page, read once."""

    def __init__(self, text):
        super().__init__(convert_charrefs=True)
        self.html_lang = None
        self.title = ""
        self.h1_texts = []
        self.mains = []            # attrs of each <main>
        self.ids = []              # every id attribute, in order
        self.scripts = 0           # <script> elements that could run
        self.data_scripts = 0      # <script> data blocks (JSON-LD)
        self.jsonld = []           # the text of each JSON-LD element
        self._jsonld = None
        self.style_elements = 0    # <style> elements
        self.on_attrs = []         # (tag, attribute) of on*= attributes
        self.style_attrs = []      # tags with a style= attribute
        self.js_urls = []          # javascript: URLs
        self.urls = []             # (tag, attr, url, rel) of LINK_ATTRS
        self.anchors = []          # (href, text, attrs) of <a href>
        self.focusables = []       # (tag, attrs) of focusable elements
        self.forms = []            # attrs of each <form>
        self.buttons = []          # (attrs, text, index in self.events)
        self.events = []           # reading order: ("h", level, text),
        #                            ("t", 0, text), ("button", 0, value)
        self.main_events = []      # the same, inside <main> only
        self.meta_refresh = []
        self._main_depth = 0
        self._svg = 0              # inside <svg> (its <title> is no page title)
        self._skip = 0             # inside script/style/template
        self._title = None
        self._heading = None       # [level, parts]
        self._anchor = None        # [href, parts, attrs]
        self._button = None        # [attrs, parts]
        self._text = []
        self.feed(text)
        self.close()
        self._flush()

    # reading order ---------------------------------------------------
    def _flush(self):
        t = norm_space("".join(self._text))
        self._text = []
        if t:
            self._event(("t", 0, t))

    def _event(self, ev):
        self.events.append(ev)
        if self._main_depth > 0:
            self.main_events.append(ev)

    # parser callbacks ------------------------------------------------
    def handle_starttag(self, tag, attrs):
        self._start(tag, attrs)
        if tag in VOID:
            self._end(tag)

    def handle_startendtag(self, tag, attrs):
        self._start(tag, attrs)
        self._end(tag)

    def _break(self, tag):
        if tag not in INLINE:
            for buf in (self._text, self._heading and self._heading[1],
                        self._anchor and self._anchor[1],
                        self._button and self._button[1]):
                if buf is not None and buf is not False:
                    buf.append(" ")

    def _start(self, tag, attrs):
        self._break(tag)
        a = {}
        for k, v in attrs:
            k = k.lower()
            v = v if v is not None else ""
            if k not in a:
                a[k] = v
            if k.startswith("on"):
                self.on_attrs.append((tag, k))
            if k == "style":
                self.style_attrs.append(tag)
            if k == "id":
                self.ids.append(v)
            if k in ("href", "src", "action", "formaction", "data") and \
                    v.strip().lower().startswith("javascript:"):
                self.js_urls.append((tag, k, v))
        if tag == "html" and self.html_lang is None:
            self.html_lang = a.get("lang", "")
        elif tag == "title" and not self._svg and not self.title:
            self._title = []
        elif tag == "svg":
            self._svg += 1
        elif tag == "main":
            self._flush()
            self.mains.append(a)
            self._main_depth += 1
        elif tag == "script":
            if a.get("type", "").strip().lower() in DATA_SCRIPT_TYPES \
                    and "src" not in a:
                self.data_scripts += 1
                self._jsonld = []
            else:
                self.scripts += 1
            self._skip += 1
        elif tag == "style":
            self.style_elements += 1
            self._skip += 1
        elif tag == "template":
            self._skip += 1
        elif tag in HEADINGS:
            self._flush()
            self._heading = [HEADINGS[tag], []]
        elif tag == "form":
            self.forms.append(a)
        elif tag == "meta" and a.get("http-equiv", "").lower() == "refresh":
            self.meta_refresh.append(a.get("content", ""))
        if tag == "a" and "href" in a:
            self._anchor = [a["href"], [], a]
        if tag == "button":
            self._flush()
            self._button = [a, []]
        rel = a.get("rel", "").lower().split()
        for attr in LINK_ATTRS.get(tag, ()):
            if attr in a and a[attr].strip():
                if tag == "input" and a.get("type", "").lower() != "image":
                    continue
                if attr == "srcset":
                    for u in srcset_urls(a[attr]):
                        self.urls.append((tag, attr, u, rel))
                else:
                    self.urls.append((tag, attr, a[attr].strip(), rel))
        if self._focusable(tag, a):
            self.focusables.append((tag, a))

    @staticmethod
    def _focusable(tag, a):
        if "disabled" in a:
            return False
        ti = a.get("tabindex")
        if ti is not None:
            try:
                return int(ti) >= 0
            except ValueError:
                pass
        if tag in ("a", "area"):
            return "href" in a
        if tag == "input":
            return a.get("type", "").lower() != "hidden"
        return tag in ("button", "select", "textarea", "iframe", "summary")

    def handle_endtag(self, tag):
        if tag not in VOID:
            self._end(tag)

    def _end(self, tag):
        self._break(tag)
        if tag == "title" and self._title is not None:
            self.title = norm_space("".join(self._title))
            self._title = None
        elif tag == "svg" and self._svg > 0:
            self._svg -= 1
        elif tag == "main" and self._main_depth > 0:
            self._flush()
            self._main_depth -= 1
        elif tag in ("script", "style", "template") and self._skip > 0:
            self._skip -= 1
            if tag == "script" and self._jsonld is not None:
                self.jsonld.append("".join(self._jsonld))
                self._jsonld = None
        elif tag in HEADINGS and self._heading is not None:
            level, parts = self._heading
            self._heading = None
            text = norm_space("".join(parts))
            if level == 1:
                self.h1_texts.append(text)
            self._event(("h", level, text))
        elif tag == "a" and self._anchor is not None:
            href, parts, a = self._anchor
            self._anchor = None
            self.anchors.append((href, norm_space("".join(parts)), a))
        elif tag == "button" and self._button is not None:
            a, parts = self._button
            self._button = None
            self._flush()
            self.buttons.append((a, norm_space("".join(parts)),
                                 len(self.events)))
            self._event(("button", 0, a.get("value", "")))

    def handle_data(self, data):
        if self._jsonld is not None:
            self._jsonld.append(data)
        if self._skip:
            return
        if self._title is not None:
            self._title.append(data)
            return
        if self._heading is not None:
            self._heading[1].append(data)
        else:
            self._text.append(data)
        if self._anchor is not None:
            self._anchor[1].append(data)
        if self._button is not None:
            self._button[1].append(data)

    # questions the tests ask ----------------------------------------
    @property
    def text(self):
        """All text (headings, paragraphs, buttons) in reading order."""
        return " ".join(e[2] for e in self.events if e[0] != "button")

    @property
    def main_text(self):
        return " ".join(e[2] for e in self.main_events if e[0] != "button")

    @property
    def h1_count(self):
        return len(self.h1_texts)

    def skip_link(self):
        """The first focusable element if it is a link to the main
        element (#id of <main>, or #main): its href, else None."""
        if not self.focusables or not self.mains:
            return None
        tag, a = self.focusables[0]
        href = a.get("href", "")
        if tag != "a" or not href.startswith("#") or len(href) < 2:
            return None
        target = href[1:]
        main_id = self.mains[0].get("id")
        if target == main_id or (main_id is None and target == "main"
                                 and target in self.ids):
            return href
        return None

    def email_buttons(self):
        """(attrs, text, event index) of each <button class="email">."""
        return [b for b in self.buttons
                if "email" in b[0].get("class", "").split()]


class Page:
    def __init__(self, path, status, headers, body, error=None):
        self.path = path
        self.status = status
        self.headers = headers      # dict, lower-case names
        self.body = body
        self.error = error
        self.referrers = []
        self._doc = None

    @property
    def ctype(self):
        return self.headers.get("content-type", "").split(";")[0].strip() \
            .lower()

    @property
    def is_html(self):
        return self.ctype == "text/html"

    @property
    def is_css(self):
        return self.ctype == "text/css"

    @property
    def text(self):
        return self.body.decode("utf-8", "replace")

    @property
    def doc(self):
        if self._doc is None:
            self._doc = Doc(self.text)
        return self._doc

    def __repr__(self):
        return "<Page %s %s %s>" % (self.status, self.path, self.ctype)


class Crawl:
    def __init__(self, base):
        self.base = base
        self.pages = {}             # path -> Page, in fetch order
        self.truncated = False
        self.external = []          # (from path, tag, attr, url) resources
        self.elapsed = 0.0

    def html_pages(self):
        return [p for p in self.pages.values()
                if p.status == 200 and p.is_html]

    def broken(self):
        return [p for p in self.pages.values() if p.status != 200]

    def paths(self):
        return list(self.pages)


def split_base(base):
    u = urllib.parse.urlsplit(base)
    return u.scheme, u.hostname, u.port or (443 if u.scheme == "https"
                                            else 80)


def internal_path(base, page_url, ref):
    """The path (with query, no fragment) of ref if it is on the site,
    else None."""
    ref = ref.strip()
    if not ref or ref.startswith("#"):
        return None
    absu = urllib.parse.urljoin(page_url, ref)
    u = urllib.parse.urlsplit(absu)
    if u.scheme not in ("http", "https"):
        return None
    if (u.scheme, u.hostname, u.port or (443 if u.scheme == "https" else 80)
            ) != split_base(base):
        return None
    path = u.path or "/"
    return path + ("?" + u.query if u.query else "")


def is_other_host(base, page_url, ref):
    """True if ref is an http(s) or protocol-relative URL to another
    host (or port)."""
    ref = ref.strip()
    absu = urllib.parse.urljoin(page_url, ref)
    u = urllib.parse.urlsplit(absu)
    if u.scheme not in ("http", "https"):
        return False
    return internal_path(base, page_url, ref) is None


def resource_refs(doc):
    """(tag, attr, url) of what a browser loads with the page."""
    out = []
    for tag, attr, url, rel in doc.urls:
        if tag == "link":
            if set(rel) & RESOURCE_RELS or any("icon" in r for r in rel):
                out.append((tag, attr, url))
        elif tag in RESOURCE_TAGS:
            out.append((tag, attr, url))
    return out


def css_refs(css):
    out = []
    for m in CSS_URL_RE.finditer(css):
        u = next((g for g in m.groups() if g is not None), "")
        if u and not u.startswith("data:"):
            out.append(u)
    return out


class Fetcher:
    """GETs over one keep-alive connection, reconnecting when needed."""

    def __init__(self, base, timeout=10.0):
        _, self.host, self.port = split_base(base)
        self.timeout = timeout
        self.conn = None

    def get(self, path, headers=None):
        h = {"Accept-Encoding": "identity", "User-Agent": "herald-crawl"}
        h.update(headers or {})
        last = None
        for _ in range(2):
            if self.conn is None:
                self.conn = http.client.HTTPConnection(
                    self.host, self.port, timeout=self.timeout)
            try:
                self.conn.request("GET", path, headers=h)
                r = self.conn.getresponse()
                body = r.read()
                headers_ = {k.lower(): v for k, v in r.getheaders()}
                if r.will_close:
                    self.close()
                return r.status, headers_, body, None
            except (OSError, http.client.HTTPException) as e:
                last = e
                self.close()
        return 0, {}, b"", repr(last)

    def close(self):
        if self.conn is not None:
            self.conn.close()
            self.conn = None


def crawl(base, start="/", limit=2000, time_limit=900.0):
    c = Crawl(base)
    f = Fetcher(base)
    queue = [start]
    queued = {start: []}
    t0 = time.monotonic()
    try:
        while queue:
            if len(c.pages) >= limit or time.monotonic() - t0 > time_limit:
                c.truncated = True
                break
            path = queue.pop(0)
            status, headers, body, err = f.get(path)
            page = Page(path, status, headers, body, err)
            page.referrers = queued[path]
            c.pages[path] = page
            page_url = base + path
            refs = []
            if status == 200 and page.is_html:
                doc = page.doc
                for tag, attr, url, rel in doc.urls:
                    if tag == "link" and set(rel) & NOFOLLOW_RELS:
                        continue
                    refs.append(url)
                for tag, attr, url in resource_refs(doc):
                    if is_other_host(base, page_url, url):
                        c.external.append((path, tag, attr, url))
            elif status == 200 and page.is_css:
                for url in css_refs(page.text):
                    refs.append(url)
                    if is_other_host(base, page_url, url):
                        c.external.append((path, "css", "url", url))
            elif 300 <= status < 400 and headers.get("location"):
                refs.append(headers["location"])
            for ref in refs:
                p = internal_path(base, page_url, ref)
                if p is None:
                    continue
                if p not in queued:
                    queued[p] = []
                    queue.append(p)
                if path not in queued[p]:
                    queued[p].append(path)
    finally:
        f.close()
    c.elapsed = time.monotonic() - t0
    return c
