"""Calendars with a real client: python3-icalendar parses /events.ics and
each /events/SLUG.ics linked from /events/; the seed's events have the
right dates and places; UIDs are stable; lines are folded at 75 octets with
CRLF; a timed event carries its zone and a VTIMEZONE with its offset."""

import datetime
import os
import re
import shutil
import subprocess
import tempfile

from icalendar import Calendar

from conftest import Herald

FORUM = "asia-pacific-civil-society-forum-on-beijing-20"
ESCAP = ("asian-and-pacific-conference-on-gender-equality-and-womens-"
         "empowerment-beijing-20-review")
UNTOC = "seventh-session-of-the-conference-of-the-parties-to-untoc"
# slug: (first day, day after the last, a place the LOCATION names)
SEED = {
    FORUM: (datetime.date(2014, 11, 14), datetime.date(2014, 11, 17),
            "Bangkok"),
    ESCAP: (datetime.date(2014, 11, 17), datetime.date(2014, 11, 21),
            "Bangkok"),
    UNTOC: (datetime.date(2014, 10, 6), datetime.date(2014, 10, 11),
            "Vienna"),
}


def check_lines(body, what):
    assert body.endswith(b"\r\n"), what
    lines = body.split(b"\r\n")[:-1]
    for ln in lines:
        assert b"\n" not in ln and b"\r" not in ln, "%s: bare LF/CR" % what
        assert len(ln) <= 75, "%s: %d octets: %r" % (what, len(ln), ln)
        ln.decode("utf-8")      # never split inside a character
    return lines


def get_cal(herald, path):
    r = herald.get(path)
    assert r.status == 200, "%s answered %d" % (path, r.status)
    assert r.header("Content-Type") == "text/calendar; charset=utf-8"
    check_lines(r.body, path)
    cal = Calendar.from_ical(r.body)
    assert str(cal["VERSION"]) == "2.0"
    assert str(cal["PRODID"]) == "-//Herald//EN"
    assert str(cal["METHOD"]) == "PUBLISH"
    assert str(cal["CALSCALE"]) == "GREGORIAN"
    assert cal.get("X-WR-CALNAME")
    return r, cal


def events_of(cal):
    return [c for c in cal.walk() if c.name == "VEVENT"]


def event_paths(herald):
    r = herald.get("/events/")
    assert r.status == 200
    slugs = sorted(set(re.findall(r'href="/events/([^/"#?.]+)"', r.text)))
    assert slugs
    return slugs


def test_all_events_calendar(herald):
    _, cal = get_cal(herald, "/events.ics")
    evs = events_of(cal)
    assert len(evs) >= len(SEED)
    for ev in evs:
        for k in ("UID", "DTSTAMP", "DTSTART", "DTEND", "SUMMARY", "URL"):
            assert ev.get(k) is not None, "%s: no %s" % (ev.get("UID"), k)
        assert str(ev["URL"]).startswith(herald.base + "/events/")
    by_url = {str(e["URL"]).rsplit("/", 1)[1]: e for e in evs}
    for slug, (start, end, place) in SEED.items():
        ev = by_url[slug]
        assert ev["DTSTART"].dt == start, (slug, ev["DTSTART"].dt)
        assert ev["DTEND"].dt == end, (slug, ev["DTEND"].dt)
        assert ev["DTSTART"].params.get("VALUE") == "DATE"
        assert place in str(ev["LOCATION"]), (slug, ev["LOCATION"])
    assert "Thailand" in str(by_url[FORUM]["LOCATION"])
    assert "Austria" in str(by_url[UNTOC]["LOCATION"])
    assert "Beijing+20" in str(by_url[FORUM]["SUMMARY"])
    assert by_url[FORUM].get("DESCRIPTION")


def test_each_event_calendar(herald):
    _, all_cal = get_cal(herald, "/events.ics")
    uids = {str(e["URL"]): str(e["UID"]) for e in events_of(all_cal)}
    for slug in event_paths(herald):
        _, cal = get_cal(herald, "/events/%s.ics" % slug)
        evs = events_of(cal)
        assert len(evs) == 1, slug
        ev = evs[0]
        assert str(ev["URL"]) == herald.url("/events/" + slug)
        # the same UID in both calendars
        assert uids[str(ev["URL"])] == str(ev["UID"])
        if slug in SEED:
            assert ev["DTSTART"].dt == SEED[slug][0]
            assert ev["DTEND"].dt == SEED[slug][1]


def test_uids_stable_and_unique(herald, make_herald):
    _, a = get_cal(herald, "/events.ics")
    h = make_herald()
    _, b = get_cal(h, "/events.ics")
    ua = [str(e["UID"]) for e in events_of(a)]
    ub = [str(e["UID"]) for e in events_of(b)]
    assert len(set(ua)) == len(ua)
    # UIDs name the host of base_url: same host, same UIDs
    strip = [re.sub(r":\d+$", "", u) for u in ua]
    assert strip == [re.sub(r":\d+$", "", u) for u in ub]


def test_unknown_calendars_404(herald):
    for path in ("/events/no-such-event.ics", "/news.ics", "/events/.ics",
                 "/events/%s/x.ics" % FORUM,
                 "/news/gaatw-reports-back-from-united-nations-"
                 "transnational-organised-crime-conference.ics"):
        assert herald.get(path).status == 404, path


def test_conditional_get_on_calendar(herald):
    r = herald.get("/events.ics")
    etag = r.header("ETag")
    assert etag
    assert herald.get("/events.ics",
                      headers={"If-None-Match": etag}).status == 304


class ContentHerald(Herald):
    """A server whose database holds the content in a folder of ours."""

    def __init__(self, content):
        super().__init__()
        self.content = content

    def init(self):
        r = subprocess.run([self.bin, "init", "--db", self.db, "--content",
                            self.content], capture_output=True, timeout=120)
        assert r.returncode == 0, r.stderr.decode("utf-8", "replace")


TIMED = """---
title: "Expert meeting in Vienna"
slug: vienna-expert-meeting
date: 2014-09-01T09:00:00+02:00
summary: "An expert meeting; with commas, semicolons and more."
tags: [anti-trafficking]
regions: [europe]
start: 2014-10-08T10:00
end: 2014-10-08T12:00
timezone: Europe/Vienna
venue: "Vienna International Centre"
city: Vienna
country: Austria
---

A two-hour meeting.
"""


WINTER = """---
title: "Winter meeting in Vienna"
slug: vienna-winter-meeting
date: 2014-09-02T09:00:00+02:00
summary: "A meeting in January."
start: 2015-01-15T10:00
end: 2015-01-15T11:30
timezone: Europe/Vienna
city: Vienna
country: Austria
---

A meeting in winter time.
"""


def test_timed_event_has_zone():
    d = tempfile.mkdtemp(prefix="herald-ical-")
    h = None
    try:
        content = os.path.join(d, "content")
        shutil.copytree(os.path.join(os.path.dirname(os.path.dirname(
            os.path.dirname(os.path.abspath(__file__)))), "content"), content)
        with open(os.path.join(content, "events", "x.md"), "w") as f:
            f.write(TIMED)
        with open(os.path.join(content, "events", "y.md"), "w") as f:
            f.write(WINTER)
        h = ContentHerald(content).start()
        for path in ("/events/vienna-expert-meeting.ics", "/events.ics"):
            r, cal = get_cal(h, path)
            ev = [e for e in events_of(cal)
                  if str(e["URL"]).endswith("/vienna-expert-meeting")][0]
            assert b"DTSTART;TZID=Europe/Vienna:20141008T100000\r\n" in \
                r.body, path
            assert b"DTEND;TZID=Europe/Vienna:20141008T120000\r\n" in r.body
            start = ev["DTSTART"].dt
            assert (start.hour, start.minute) == (10, 0)
            assert ev["DTSTART"].params["TZID"] == "Europe/Vienna"
            tzs = [c for c in cal.walk() if c.name == "VTIMEZONE"]
            vienna = [t for t in tzs if str(t["TZID"]) == "Europe/Vienna"]
            assert len(vienna) == 1, path
            std = [c for c in vienna[0].walk()
                   if c.name in ("STANDARD", "DAYLIGHT")]
            assert std
            off = std[0]["TZOFFSETTO"].td
            assert off == datetime.timedelta(hours=2), off   # CEST
            assert b"TZOFFSETTO:+0200\r\n" in r.body
            # 10:00 CEST is 08:00 UTC
            assert start.utcoffset() == datetime.timedelta(hours=2)
            assert start.astimezone(datetime.timezone.utc).hour == 8
            assert "commas, semicolons" in str(ev["DESCRIPTION"])
            assert b"meeting\\; with commas\\, semicolons" in \
                r.body.replace(b"\r\n ", b"")
        # alone, the winter event has the zone at +0100 (CET)
        r, cal = get_cal(h, "/events/vienna-winter-meeting.ics")
        assert b"DTSTART;TZID=Europe/Vienna:20150115T100000\r\n" in r.body
        assert b"TZOFFSETTO:+0100\r\n" in r.body
        ev = events_of(cal)[0]
        assert ev["DTSTART"].dt.astimezone(datetime.timezone.utc).hour == 9
        # beside the October one, one VTIMEZONE cannot hold both offsets:
        # the winter event's times are given in UTC, still right
        r, cal = get_cal(h, "/events.ics")
        ev = [e for e in events_of(cal)
              if str(e["URL"]).endswith("/vienna-winter-meeting")][0]
        start = ev["DTSTART"].dt.astimezone(datetime.timezone.utc)
        end = ev["DTEND"].dt.astimezone(datetime.timezone.utc)
        assert (start.year, start.month, start.day, start.hour,
                start.minute) == (2015, 1, 15, 9, 0)
        assert (end.hour, end.minute) == (10, 30)
        tzids = [str(t["TZID"]) for t in cal.walk()
                 if t.name == "VTIMEZONE"]
        assert tzids.count("Europe/Vienna") == 1
    finally:
        if h is not None:
            h.check_stop()
        shutil.rmtree(d, ignore_errors=True)
