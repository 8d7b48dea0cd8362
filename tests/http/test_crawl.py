"""A crawler starts at / and follows every internal link (a, link, img,
source, script, CSS url(); not forms), fetching each URL once, at most
2000. Every URL must answer 200, and every HTML page must be accessible
and self-contained: <html lang>, one <h1>, a <main>, a skip link to it
first, a <title>, no script, no on*= or style= attributes, nothing loaded
from another host."""

import collections

from conftest import assert_security_headers

PRESS_RELEASE = ("/press-releases/holding-back-progress-the-barriers-to-"
                 "ending-trafficking-in-persons")
MUST_REACH = ["/", "/news/", "/press-releases/", "/statements/", "/events/",
              "/tags/", "/regions/", "/publications/", "/members/", "/about",
              PRESS_RELEASE, "/tags/beijing20"]


def report(problems, what, limit=40):
    lines = ["%s: %s" % (p, why) for p, why in problems[:limit]]
    if len(problems) > limit:
        lines.append("... and %d more" % (len(problems) - limit))
    return "%d %s:\n%s" % (len(problems), what, "\n".join(lines))


def each_html(site):
    for p in site.html_pages():
        yield p.path, p.doc


def test_crawl_has_no_broken_internal_link(site):
    print("crawl: %d URLs, %d HTML pages in %.1fs" % (
        len(site.pages), len(site.html_pages()), site.elapsed))
    assert not site.truncated, (
        "the crawl stopped at %d URLs: an endless URL space?" % len(
            site.pages))
    bad = [(p.path, "%s%s, linked from %s" % (
        p.status, " (%s)" % p.error if p.error else "",
        ", ".join(p.referrers[:3]) or "-"))
        for p in site.broken()]
    assert not bad, report(bad, "internal links that are not 200")


def test_crawl_reaches_every_section(site):
    missing = [p for p in MUST_REACH if p not in site.pages]
    assert not missing, "not linked from anywhere on the site: %s" % missing
    css = [p for p in site.pages.values() if p.is_css]
    assert css, "the crawl found no stylesheet"
    assert len(site.html_pages()) >= 15, (
        "only %d HTML pages: the demo site should have more"
        % len(site.html_pages()))


def test_every_page_has_html_lang(site):
    bad = [(path, "lang=%r" % d.html_lang) for path, d in each_html(site)
           if not (d.html_lang or "").strip()]
    assert not bad, report(bad, "pages without <html lang>")


def test_every_page_has_exactly_one_h1(site):
    bad = [(path, "%d <h1>: %s" % (d.h1_count, d.h1_texts))
           for path, d in each_html(site) if d.h1_count != 1]
    assert not bad, report(bad, "pages without exactly one <h1>")
    empty = [(path, "empty <h1>") for path, d in each_html(site)
             if d.h1_count == 1 and not d.h1_texts[0]]
    assert not empty, report(empty, "pages with an empty <h1>")


def test_every_page_has_one_main(site):
    bad = [(path, "%d <main>" % len(d.mains)) for path, d in each_html(site)
           if len(d.mains) != 1]
    assert not bad, report(bad, "pages without exactly one <main>")


def test_every_page_starts_with_a_skip_link_to_main(site):
    bad = []
    for path, d in each_html(site):
        if d.skip_link() is None:
            first = d.focusables[0] if d.focusables else None
            bad.append((path, "first focusable %r, main id %r" % (
                first and (first[0], first[1].get("href")),
                d.mains[0].get("id") if d.mains else None)))
    assert not bad, report(bad, "pages whose first link is not a skip link "
                                "to <main>")


def test_every_page_has_a_title(site):
    bad = [(path, "title %r" % d.title) for path, d in each_html(site)
           if not d.title.strip()]
    assert not bad, report(bad, "pages without a <title>")


def test_no_script_no_event_handlers_no_javascript_urls(site):
    bad = []
    for path, d in each_html(site):
        if d.scripts:
            bad.append((path, "%d <script>" % d.scripts))
        if d.on_attrs:
            bad.append((path, "on*= attributes %s" % d.on_attrs[:5]))
        if d.js_urls:
            bad.append((path, "javascript: URLs %s" % d.js_urls[:3]))
    assert not bad, report(bad, "pages with scripts")


def test_no_inline_style(site):
    bad = []
    for path, d in each_html(site):
        if d.style_attrs:
            bad.append((path, "style= on %s" % d.style_attrs[:5]))
        if d.style_elements:
            bad.append((path, "%d <style> (blocked by the CSP)"
                        % d.style_elements))
    assert not bad, report(bad, "pages with inline style")


def test_no_resource_from_another_host(site):
    bad = [(path, "<%s %s=%s>" % (tag, attr, url))
           for path, tag, attr, url in site.external]
    assert not bad, report(bad, "resources from another host")


def test_no_meta_refresh_and_unique_ids(site):
    bad = []
    for path, d in each_html(site):
        if d.meta_refresh:
            bad.append((path, "meta refresh %s" % d.meta_refresh))
        dup = [i for i, n in collections.Counter(d.ids).items() if n > 1]
        if dup:
            bad.append((path, "duplicate ids %s" % dup[:5]))
    assert not bad, report(bad, "pages with problems")


def test_every_crawled_response_has_security_headers(site):
    bad = []
    for p in site.pages.values():
        try:
            assert_security_headers(p.headers, p.path)
        except AssertionError as e:
            bad.append((p.path, str(e).splitlines()[0]))
    assert not bad, report(bad, "responses without the security headers")


def test_every_html_page_is_utf8_html5(site):
    bad = []
    for p in site.html_pages():
        if not p.body.lstrip()[:15].lower().startswith(b"<!doctype html>"):
            bad.append((p.path, "no <!DOCTYPE html> first"))
        try:
            p.body.decode("utf-8")
        except UnicodeDecodeError as e:
            bad.append((p.path, "not UTF-8: %s" % e))
    assert not bad, report(bad, "pages with problems")
