"""The public pages show the alliance's site: listings, the press release
with its About-us block and media contact, hashtags linked to tags, past
events, the member directory by region and country."""

import re
import urllib.parse

import pytest

from conftest import SITE_NAME, assert_site_look
from sitecrawl import Doc

PRESS_RELEASE = ("/press-releases/holding-back-progress-the-barriers-to-"
                 "ending-trafficking-in-persons")
ABOUT_US = ("is a non-profit organisation that works to protect and uphold "
            "the human rights")
TAGLINE = "Human Rights at home, abroad and on the way"
MEMBERS = [  # (organisation, country)
    ("La Strada International", "Netherlands"),
    ("LEFÖ-IBF", "Austria"),
    ("Ban Ying", "Germany"),
    ("LSCW", "Cambodia"),
    ("CHS-Peru", "Peru"),
    ("PNCC", "Nepal"),
]


def path_of(base, href):
    u = urllib.parse.urlsplit(urllib.parse.urljoin(base + "/", href))
    return u.path


def internal_hrefs(herald, doc):
    out = []
    for href, text, _ in doc.anchors:
        u = urllib.parse.urlsplit(urllib.parse.urljoin(herald.base + "/",
                                                       href))
        if u.port == herald.port and u.scheme == "http":
            out.append((u.path, text))
    return out


def doc_of(herald, path):
    r = herald.get(path)
    assert r.status == 200, "GET %s -> %d" % (path, r.status)
    return Doc(r.text)


def dashes(s):
    return s.replace("\u2010", "-").replace("\u2011", "-").replace(
        "\u2013", "-")


@pytest.mark.parametrize("path", [
    "/", "/news/", "/press-releases/", "/statements/", "/events/", "/tags/",
    "/regions/", "/publications/", "/members/", "/about", "/contact",
    PRESS_RELEASE])
def test_public_page_is_200_in_site_look(herald, path):
    r = herald.get(path)
    assert r.status == 200, "GET %s -> %d" % (path, r.status)
    assert_site_look(r.body, path)


def test_every_page_shows_site_name_and_tagline(herald):
    for path in ("/", "/news/", PRESS_RELEASE, "/no-such-page"):
        text = Doc(herald.get(path).text).text
        assert SITE_NAME in text, path
        assert TAGLINE in text, "%s: no tagline %r" % (path, TAGLINE)


@pytest.mark.parametrize("kind", ["news", "press-releases", "statements",
                                  "events"])
def test_listing_links_to_its_items(herald, kind):
    doc = doc_of(herald, "/%s/" % kind)
    items = {p for p, _ in internal_hrefs(herald, doc)
             if re.fullmatch(r"/%s/(?!page/)[a-z0-9][a-z0-9-]*" % kind, p)}
    assert items, "/%s/ links to no item" % kind
    for p in sorted(items)[:5]:
        assert herald.get(p).status == 200, p


def test_listing_bad_page_numbers_are_404(herald):
    for p in ("/news/page/0", "/news/page/-1", "/news/page/abc",
              "/news/page/99999", "/news/page/2x"):
        r = herald.get(p)
        assert r.status in (400, 404), "GET %s -> %d" % (p, r.status)


def test_trailing_slash_redirects_to_the_page(herald):
    """Links written for other generators ("/news/x/") reach the page."""
    r = herald.get(PRESS_RELEASE + "/")
    assert r.status == 301, r
    assert r.header("Location").endswith(PRESS_RELEASE), r.header("Location")
    r = herald.get("/about/")
    assert r.status == 301 and r.header("Location").endswith("/about")
    # never a Location a browser reads as another host
    for p in ("//", "//evil.example/", "///evil.example/",
              "/news//evil.example/"):
        r = herald.get(p)
        loc = r.header("Location") or ""
        assert not loc.startswith("//") and "evil" not in loc, (p, loc)


def test_home_links_to_the_press_release(herald):
    doc = doc_of(herald, "/")
    paths = [p for p, _ in internal_hrefs(herald, doc)]
    assert PRESS_RELEASE in paths, "the home page does not link %s" % (
        PRESS_RELEASE)
    for section in ("/news/", "/press-releases/", "/statements/", "/events/"):
        assert section in paths, "the home page does not link " + section


def test_press_release_page(herald):
    r = herald.get(PRESS_RELEASE)
    assert r.status == 200
    doc = Doc(r.text)
    assert doc.h1_texts and doc.h1_texts[0].startswith(
        "Holding back progress"), doc.h1_texts
    main = doc.main_text
    assert "On Human Rights Day" in main or "Human Rights Day" in main
    # the About-us block and the media contact come after the article
    i_body = main.find("Lack of national laws")
    i_about = main.find(ABOUT_US)
    i_contact = main.find("Jasmin Qureshi")
    assert i_body >= 0, "the article text is not in <main>"
    assert i_about > i_body, "the About-us text does not follow the article"
    assert i_contact > i_body, "the media contact does not follow the article"
    assert "Communications Officer" in main[i_contact:]
    assert "+66 (0) 94056 7281" in main, "the media contact's phone is missing"
    # her address is behind a reveal button, after her name
    buttons = [b for b in doc.email_buttons()
               if "Jasmin Qureshi" in " ".join(
                   e[2] for e in doc.events[:b[2]] if e[0] == "t")]
    assert buttons, "no e-mail button after the media contact's name"
    a = buttons[0][0]
    assert a.get("type") == "submit" and a.get("form") == "email-reveal" \
        and a.get("name") == "t" and a.get("value"), a
    assert buttons[0][1], "the reveal button has no text"
    forms = [f for f in doc.forms if f.get("id") == "email-reveal"]
    assert len(forms) == 1, "want one <form id=email-reveal>: %s" % doc.forms
    assert forms[0].get("method", "").lower() == "post"
    assert path_of(herald.base, forms[0].get("action", "")) == "/email"
    # the tel: link, if any, dials the right number
    for href, _, _ in doc.anchors:
        if href.startswith("tel:"):
            assert re.sub(r"[^\d+]", "", href) in ("+66940567281",
                                                   "+660940567281"), href


def test_press_release_listed(herald):
    doc = doc_of(herald, "/press-releases/")
    assert PRESS_RELEASE in [p for p, _ in internal_hrefs(herald, doc)]


def test_hashtag_beijing20_links_to_its_tag(herald):
    doc = doc_of(herald, "/news/")
    items = sorted({p for p, _ in internal_hrefs(herald, doc)
                    if re.fullmatch(r"/news/(?!page/)[a-z0-9-]+", p)})
    found = None
    for p in items:
        d = doc_of(herald, p)
        for href, text, _ in d.anchors:
            if text.strip() == "#Beijing20":
                found = (p, path_of(herald.base, href))
                break
        if found:
            break
    assert found, "no news item has a #Beijing20 link"
    item, target = found
    assert target == "/tags/beijing20", "#Beijing20 links to %s" % target
    tag = doc_of(herald, "/tags/beijing20")
    assert item in [p for p, _ in internal_hrefs(herald, tag)], (
        "/tags/beijing20 does not list %s" % item)
    tags = doc_of(herald, "/tags/")
    assert "/tags/beijing20" in [p for p, _ in internal_hrefs(herald, tags)]


def test_events_listing_shows_bangkok_and_vienna_as_past(herald):
    """A 'Past' heading, and the 2014 events after it, not under an
    'Upcoming' one. (A section runs from its heading to the other
    section's heading or the end of <main>: cards may carry headings of
    their own.)"""
    doc = doc_of(herald, "/events/")
    ev = doc.main_events

    def is_past(e):
        return e[0] == "h" and re.search(r"\bpast\b", e[2], re.I)

    def is_upcoming(e):
        return e[0] == "h" and re.search(r"upcoming|coming|future", e[2],
                                         re.I)

    def section(start, stop):
        out = []
        for e in ev[start + 1:]:
            if stop(e):
                break
            out.append(e[2])
        return " ".join(out)

    past = [i for i, e in enumerate(ev) if is_past(e)]
    assert past, "no 'Past' heading on /events/: %s" % [
        e[2] for e in ev if e[0] == "h"]
    text = section(past[0], is_upcoming)
    for city in ("Bangkok", "Vienna"):
        assert city in text, "%s is not among the past events: %r" % (
            city, text[:500])
    assert "2014" in text
    for j in [i for i, e in enumerate(ev) if is_upcoming(e)]:
        up = section(j, is_past)
        for city in ("Bangkok", "Vienna"):
            assert city not in up, (
                "a 2014 event in %s is listed as upcoming" % city)


def test_event_page_has_date_and_place(herald):
    doc = doc_of(herald, "/events/")
    items = sorted({p for p, _ in internal_hrefs(herald, doc)
                    if re.fullmatch(r"/events/(?!page/)[a-z0-9-]+", p)})
    assert items, "/events/ links to no event"
    texts = [doc_of(herald, p).main_text for p in items]
    bangkok = [t for t in texts if "Bangkok" in t]
    assert bangkok, "no event page in Bangkok"
    assert any(re.search(r"\b1[4-6]\b.*November.*2014|November.*1[4-6]"
                         r".*2014|2014-11-1[4-6]", t, re.S) for t in bangkok)
    assert any("Vienna" in t for t in texts), "no event page in Vienna"


def test_members_grouped_by_region_and_country(herald):
    doc = doc_of(herald, "/members/")
    ev = [(k, lvl, dashes(t)) for k, lvl, t in doc.main_events]
    headings = [(i, lvl, t) for i, (k, lvl, t) in enumerate(ev) if k == "h"]
    country_of = {}
    region_of = {}
    for org, country in MEMBERS:
        pos = [i for i, (k, _, t) in enumerate(ev) if org in t]
        assert pos, "%s is not on /members/" % org
        i = pos[0]
        before = [h for h in headings if h[0] < i]
        # the nearest heading naming the country, and above it a region
        ch = [h for h in before if h[2].strip().startswith(country)]
        assert ch, "%s is not under a heading %r" % (org, country)
        ci, clevel, _ = ch[-1]
        # no other country heading of the same level between it and the org
        between = [h for h in before if h[0] > ci and h[1] <= clevel]
        assert not between, "%s is not in the %s group (%s comes between)" % (
            org, country, between[0][2])
        rh = [h for h in before if h[1] < clevel and h[0] < ci]
        assert rh, "the %s heading is under no region heading" % country
        country_of[org] = ci
        region_of[org] = rh[-1][2]
    assert region_of["La Strada International"] == region_of["LEFÖ-IBF"] == \
        region_of["Ban Ying"], "the European members are in several regions"
    assert region_of["LSCW"] == region_of["PNCC"]
    assert len({region_of["Ban Ying"], region_of["LSCW"],
                region_of["CHS-Peru"]}) == 3, region_of


def test_regions_and_publications(herald):
    regions = doc_of(herald, "/regions/")
    rlinks = {p for p, _ in internal_hrefs(herald, regions)
              if re.fullmatch(r"/regions/[a-z0-9-]+", p)}
    assert len(rlinks) >= 2, "/regions/ links to %s" % rlinks
    for p in sorted(rlinks)[:3]:
        assert herald.get(p).status == 200
    pubs = doc_of(herald, "/publications/")
    assert "Collateral Damage" in pubs.main_text
    plinks = {p for p, _ in internal_hrefs(herald, pubs)
              if re.fullmatch(r"/publications/[a-z0-9-]+", p)}
    assert plinks, "/publications/ links to no publication"
    d = doc_of(herald, sorted(plinks)[0])
    assert d.h1_count == 1


def test_about_page(herald):
    doc = doc_of(herald, "/about")
    assert ABOUT_US in doc.main_text or "Global Alliance" in doc.main_text


def test_social_links_are_plain_links(herald):
    r = herald.get("/")
    doc = Doc(r.text)
    social = [href for href, _, _ in doc.anchors
              if re.search(r"twitter\.com|x\.com|facebook\.com", href)]
    assert social, "no link to the alliance's Twitter/Facebook"
    assert doc.scripts == 0


def test_summary_repeating_the_first_sentence_is_shown_once(herald):
    # This news item's summary is its body's first sentence: the page must
    # not show it twice (standfirst, then body). The press release has a
    # standfirst of its own, which stays.
    news = ("/news/gaatw-to-speak-out-for-womens-human-rights-at-asia-"
            "pacific-civil-society-forum")
    main = doc_of(herald, news).main_text
    assert main.count("We are counting down the days") == 1, main[:400]
    main = doc_of(herald, PRESS_RELEASE).main_text
    assert main.count("names the top three human rights setbacks") == 1
    assert 'class="standfirst"' in herald.get(PRESS_RELEASE).text


def test_summary_repeat_check_on_long_bodies(tmp_path):
    # The check reads only a long body's first blocks: it must still find
    # a repeated first sentence, resolve a link defined at the very end,
    # and fall back to the whole body when the first blocks are mostly
    # markup (long URLs) and hold less text than the summary.
    import os
    from conftest import Herald
    filler = "\n\n".join("Paragraph %d of plain words that follow the "
                          "start and make the body long." % i
                          for i in range(200))
    links = "\n\n".join("[w%d](https://example.org/%s)" % (i, "x" * 200)
                     for i in range(40))
    lead = " ".join("word%d" % i for i in range(40))
    items = {
        "plain": ("First sentence here.", "First sentence here. Rest.\n\n"
                  + filler),
        "refs": ("Read the report now.", "Read the [report][r] now.\n\n"
                 + filler + "\n\n[r]: https://example.org/r\n"),
        "markup": (" ".join("w%d" % i for i in range(40)) + " " + lead,
                   links + "\n\n" + lead + "\n\n" + filler),
        "own": ("A standfirst of its own.", "Another start.\n\n" + filler),
    }
    content = tmp_path / "content"
    (content / "news").mkdir(parents=True)
    with open(os.path.join(os.path.dirname(__file__), "..", "..",
                           "content", "site.md")) as f:
        (content / "site.md").write_text(f.read())
    for slug, (summary, body) in items.items():
        (content / "news" / (slug + ".md")).write_text(
            '---\ntitle: "%s"\ndate: 2026-01-02T03:04:05Z\n'
            'summary: "%s"\n---\n%s\n' % (slug, summary, body))
    h = Herald(content=str(content)).start()
    try:
        for slug, (summary, body) in items.items():
            r = h.get("/news/" + slug)
            assert r.status == 200, (slug, r)
            shown = 'class="standfirst"' in r.text
            assert shown == (slug == "own"), (slug, shown)
    finally:
        h.check_stop()


def test_past_events_paged_newest_first(tmp_path):
    # 23 past events and one to come: the listing shows the one to come
    # on page 1, the past ones ten a page, newest first, then a 404.
    import os
    from conftest import Herald
    content = tmp_path / "content"
    (content / "events").mkdir(parents=True)
    with open(os.path.join(os.path.dirname(__file__), "..", "..",
                           "content", "site.md")) as f:
        (content / "site.md").write_text(f.read())
    for k in range(24):
        day = "2099-01-01" if k == 23 else "2010-%02d-%02d" % (
            1 + k // 2, 1 + 10 * (k % 2))
        (content / "events" / ("ev%02d.md" % k)).write_text(
            '---\ntitle: "Event number %02d"\ndate: 2009-01-01T00:00:00Z\n'
            'start: "%s"\nend: "%s"\ntimezone: UTC\ncity: Here\n---\n'
            "Body.\n" % (k, day, day))
    h = Herald(content=str(content)).start()
    try:
        seen = []
        for page in (1, 2, 3):
            path = "/events/" if page == 1 else "/events/page/%d" % page
            r = h.get(path)
            assert r.status == 200, (path, r)
            titles = re.findall(r"Event number (\d\d)", r.text)
            if page == 1:
                assert titles[0] == "23", titles  # the one to come first
                titles = titles[1:]
            seen += titles
        assert seen == ["%02d" % k for k in range(22, -1, -1)], seen
        assert h.get("/events/page/4").status == 404
    finally:
        h.check_stop()
