"""The sitemap and robots.txt: xmllint accepts /sitemap.xml, every <loc>
is under base_url and answers 200, every HTML page the crawler reaches from
/ is listed, robots.txt names the sitemap and keeps crawlers off search."""

import os
import re
import shutil
import subprocess
import urllib.parse
import xml.etree.ElementTree as ET

import pytest

from conftest import ROOT

XSD = os.path.join(ROOT, "tests", "data", "sitemap", "sitemap.xsd")
NS = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
W3C_DATETIME = re.compile(
    r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(Z|[+-]\d\d:\d\d)$")


def sitemap(herald):
    r = herald.get("/sitemap.xml")
    assert r.status == 200
    assert r.header("Content-Type") == "application/xml; charset=utf-8"
    return r


def locs(herald):
    root = ET.fromstring(sitemap(herald).body)
    assert root.tag == NS + "urlset"
    out = []
    for u in root.findall(NS + "url"):
        loc = u.find(NS + "loc").text
        lastmod = u.find(NS + "lastmod").text
        out.append((loc, lastmod))
    return out


@pytest.mark.skipif(shutil.which("xmllint") is None,
                    reason="xmllint is not installed (libxml2-utils)")
def test_xmllint_accepts_sitemap(herald, tmp_path):
    f = tmp_path / "sitemap.xml"
    f.write_bytes(sitemap(herald).body)
    r = subprocess.run(["xmllint", "--noout", str(f)], capture_output=True,
                       timeout=30)
    assert r.returncode == 0, r.stderr.decode("utf-8", "replace")


@pytest.mark.skipif(shutil.which("xmllint") is None,
                    reason="xmllint is not installed (libxml2-utils)")
def test_sitemap_valid_by_schema(herald, tmp_path):
    """Valid by tests/data/sitemap/sitemap.xsd (our own schema of the
    sitemaps.org 0.9 format)."""
    f = tmp_path / "sitemap.xml"
    f.write_bytes(sitemap(herald).body)
    r = subprocess.run(["xmllint", "--noout", "--schema", XSD, str(f)],
                       capture_output=True, timeout=30)
    assert r.returncode == 0, r.stderr.decode("utf-8", "replace")


def test_every_loc_answers(herald):
    urls = locs(herald)
    assert len(urls) > 20
    seen = set()
    for loc, lastmod in urls:
        assert loc.startswith(herald.base + "/"), loc
        assert loc not in seen, "listed twice: " + loc
        seen.add(loc)
        assert W3C_DATETIME.match(lastmod), (loc, lastmod)
        path = loc[len(herald.base):]
        r = herald.get(path)
        assert r.status == 200, "%s answered %d" % (loc, r.status)
        assert r.header("Content-Type", "").startswith("text/html"), loc


def test_crawled_pages_are_listed(herald, site):
    listed = {loc[len(herald.base):] for loc, _ in locs(herald)}
    missing = []
    for path, page in site.pages.items():
        u = urllib.parse.urlsplit(path)
        if page.status != 200 or not page.is_html or u.query or \
                u.path.startswith("/search"):
            continue
        if u.path not in listed:
            missing.append(u.path)
    assert not missing, "reached by the crawler, not in the sitemap: %r" \
        % sorted(missing)


def test_sitemap_lists_the_kinds_of_page(herald):
    listed = {loc[len(herald.base):] for loc, _ in locs(herald)}
    for p in ("/", "/news/", "/press-releases/", "/statements/", "/events/",
              "/tags/", "/regions/", "/publications/", "/members/",
              "/regions/asia-pacific", "/about",
              "/press-releases/holding-back-progress-the-barriers-to-"
              "ending-trafficking-in-persons"):
        assert p in listed, p
    assert any(p.startswith("/members/") and len(p) > 9 for p in listed)
    assert any(p.startswith("/publications/") and len(p) > 14
               for p in listed)
    assert any(p.startswith("/tags/") and len(p) > 6 for p in listed)
    assert not any(p.startswith("/search") or p == "/email" for p in listed)


def test_item_lastmod_is_its_update(herald):
    for loc, lastmod in locs(herald):
        if "/press-releases/holding-back" in loc:
            assert lastmod[-6:] == "+07:00", lastmod
            return
    pytest.fail("press release not listed")


def test_sitemap_parts_404_when_small(herald):
    for path in ("/sitemap-1.xml", "/sitemap-0.xml", "/sitemap-x.xml",
                 "/sitemap-.xml", "/sitemap-1.xml.gz"):
        assert herald.get(path).status == 404, path


def test_conditional_get_on_sitemap(herald):
    r = sitemap(herald)
    etag = r.header("ETag")
    assert etag
    assert herald.get("/sitemap.xml",
                      headers={"If-None-Match": etag}).status == 304


def test_robots(herald):
    r = herald.get("/robots.txt")
    assert r.status == 200
    assert r.header("Content-Type") == "text/plain; charset=utf-8"
    lines = r.text.splitlines()
    assert "User-agent: *" in lines
    assert "Allow: /" in lines
    assert "Disallow: /email" in lines
    assert "Disallow: /search" in lines
    assert "Sitemap: %s/sitemap.xml" % herald.base in lines
