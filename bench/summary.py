#!/usr/bin/env python3
"""summary.py WORK PEERS_RESULTS OUT.md OUT.svg N [GROWTH.svg]: the tables
and ratios of one `make bench` run (bench/run.sh), an SVG chart of the
throughput and export times, and an SVG chart of how export time and serve
memory grow with the corpus. Standard library."""
import csv
import math
import os
import statistics
import sys

work, peers, out_md, out_svg, first_n = sys.argv[1:6]
out_growth = sys.argv[6] if len(sys.argv) > 6 else None


def tsv(path):
    if not os.path.exists(path):
        return []
    with open(path) as f:
        return list(csv.DictReader(f, delimiter="\t"))


def num(v):
    try:
        return float(v)
    except (TypeError, ValueError):
        return None


def vals(rows, key):
    return [x for x in (num(r.get(key)) for r in rows) if x is not None]


def med(rows, key):
    v = vals(rows, key)
    return statistics.median(v) if v else None


def fmt(v, nd=0):
    return "–" if v is None else ("%.*f" % (nd, v))


def mb(kb, nd=0):
    return fmt(kb / 1024 if kb is not None else None, nd)


def ratio(a, b):
    return "–" if a is None or b in (None, 0) else "%.2f×" % (a / b)


def kilo(n):
    return "%dk" % (n // 1000) if n >= 1000 and n % 1000 == 0 else str(n)


wrk = tsv(os.path.join(peers, "wrk.tsv"))
sizes = {r["label"]: r for r in tsv(os.path.join(peers, "sizes.tsv"))}
brs = {r["label"]: r for r in tsv(os.path.join(work, "br.tsv"))}
build = tsv(os.path.join(work, "build.tsv"))
serve = {int(r["N"]): r for r in tsv(os.path.join(work, "serve.tsv"))}


def w(label, conns):
    return [r for r in wrk if r["label"] == label and r["conns"] == str(conns)]


def p99(rows):
    """The median p99, with the range when there are several runs."""
    v = vals(rows, "p99_ms")
    if not v:
        return "–"
    if len(v) == 1:
        return "%.2f" % v[0]
    return "%.2f (%.2f–%.2f)" % (statistics.median(v), min(v), max(v))


def read1(name):
    p = os.path.join(work, name)
    return open(p).read().strip() if os.path.exists(p) else ""


runs = max([int(r["run"]) for r in wrk if r.get("run", "").isdigit()] or [0])
total = num(read1("total.s"))
lines = ["# make bench", "",
         "One run on this machine (%d cores); peers measured in the same run. "
         "Figures move between runs and machines.%s" % (
             os.cpu_count(), " The run took %.0f min." % (total / 60)
             if total else ""), "",
         "## Throughput: herald vs nginx serving herald's own export "
         "(corpus of %s articles)" % first_n, "",
         ("Median of %d wrk runs per row; p99 with the range over the runs "
          "in brackets." % runs) if runs > 1 else
         "One wrk run per row (BENCH_RUNS=1): p99 is noise at this count.",
         "",
         "| page | conns | herald req/s | nginx req/s | herald / nginx | "
         "herald p99 ms | nginx p99 ms | bytes (gzip, brotli) |",
         "|---|---|---|---|---|---|---|---|"]
chart = []
for page in ("article", "listing", "home"):
    for c in (64, 256):
        h, n = w("herald-" + page, c), w("nginx-export-" + page, c)
        hr, nr = med(h, "req_per_s"), med(n, "req_per_s")
        s = sizes.get("herald-" + page, {})
        lines.append("| %s | %d | %s | %s | %s | %s | %s | %s (%s, %s) |" % (
            page, c, fmt(hr), fmt(nr), ratio(hr, nr), p99(h), p99(n),
            s.get("bytes_plain", "–"), s.get("bytes_gzip_served", "–"),
            brs.get("herald-" + page, {}).get("bytes_br") or "–"))
        chart.append(("%s c%d" % (page, c), hr or 0, nr or 0))
wp64, wp256 = w("wp-article", 64), w("wp-article", 256)
lines += ["", "## The same article on WordPress (php-fpm, MariaDB, no page "
          "cache)", ""]
if wp64 or wp256:
    lines += ["| conns | herald req/s | WordPress req/s | herald / WordPress | "
              "WordPress p99 ms |", "|---|---|---|---|---|"]
    for c, rows in ((64, wp64), (256, wp256)):
        hr = med(w("herald-article", c), "req_per_s")
        lines.append("| %d | %s | %s | %s | %s |" % (
            c, fmt(hr), fmt(med(rows, "req_per_s"), 1),
            ratio(hr, med(rows, "req_per_s")), fmt(med(rows, "p99_ms"), 1)))
elif os.path.exists(os.path.join(work, "wp.skipped")):
    lines.append("Not measured in this run (BENCH_WP=0).")
else:
    lines.append("WordPress could not be set up in this run (see "
                 "build/bench/wp.log).")


def row(n, system):
    """The runs of one system at one size as one row: the median wall time
    and peak memory, the runs' wall times in "walls"; a run that did not
    finish makes the row say so."""
    rs = [r for r in build if int(r["N"]) == n and r["system"] == system]
    if not rs:
        return {}
    for r in rs:
        if num(r.get("wall_s")) is None:
            return r
    m = dict(rs[0])
    m["wall_s"] = str(med(rs, "wall_s"))
    m["maxrss_kB"] = str(med(rs, "maxrss_kB"))
    m["walls"] = vals(rs, "wall_s")
    return m


def secs(r, nd=2):
    """the median wall time, with the range when there are several runs"""
    v = r.get("walls") or []
    if len(v) < 2:
        return None
    return "%.*f (%.*f–%.*f)" % (nd, statistics.median(v), nd, min(v), nd,
                                 max(v))


def cnt(r):
    v = num(r.get("files"))
    return "%d" % v if v is not None else "–"


def hugo_cell(r, key, nd):
    """hugo's figure, or why there is none."""
    v = num(r.get(key))
    if v is not None:
        if key == "wall_s" and secs(r, nd):
            return secs(r, nd)
        return fmt(v / 1024 if key == "maxrss_kB" else v, nd)
    note = r.get("note") or ""
    return note if note and key == "wall_s" else "–"


ns = sorted({int(r["N"]) for r in build})
lines += ["", "## Building the static site: herald export vs hugo", "",
          "Wall time: the median of 3 runs up to 10,000 articles, each into "
          "a new folder after a sync (the range in brackets); one run at "
          "100,000. Peak memory: the median of the same runs.", "",
          "| articles | herald export s | hugo s | herald / hugo | herald peak "
          "MB | hugo peak MB | herald / hugo memory | files (herald, hugo) |",
          "|---|---|---|---|---|---|---|---|"]
grow = []
for n in ns:
    he, hu = row(n, "herald export"), row(n, "hugo")
    hw, uw = num(he.get("wall_s")), num(hu.get("wall_s"))
    hm, um = num(he.get("maxrss_kB")), num(hu.get("maxrss_kB"))
    lines.append("| %d | %s | %s | %s | %s | %s | %s | %s, %s |" % (
        n, secs(he) or fmt(hw, 2), hugo_cell(hu, "wall_s", 2), ratio(hw, uw),
        mb(hm),
        hugo_cell(hu, "maxrss_kB", 0), ratio(hm, um),
        cnt(he), cnt(hu)))
    grow.append((n, hw or 0, uw or 0))

# growth with the corpus: one row per N
warm = (read1("warmup.txt").split() + ["–", "–"])[:2]
warm[0] = "up to " + warm[0] if warm[0] != "–" else "some"
crawled = [(n, serve[n].get("crawl_pages")) for n in sorted(serve)]
if len({p for _, p in crawled}) == 1:
    pages = "%s pages at every size" % crawled[0][1]
else:
    pages = ", ".join("%s pages at %d" % (p, n) for n, p in crawled) or "–"
lines += ["", "## Growth with the corpus", "",
          "Per corpus size: `herald import` of the Markdown files, `herald "
          "export` and `hugo` building the same articles (wall time, peak "
          "memory), and `herald serve` on that database: cold start to the "
          "first answered request (median of 5) and resident memory (VmRSS; "
          "the peak VmHWM in brackets) after a fixed warm-up: %s pages of "
          "its sitemap, evenly spread over it (%s), then %s of wrk on an "
          "article." % (warm[0], pages, warm[1]), "",
          "| articles | import s | herald export s | hugo s | herald / hugo "
          "time | herald export peak MB | hugo peak MB | herald / hugo memory "
          "| files (herald, hugo) | cold start ms | herald serve RSS MB (peak) "
          "| of it: heap MB, mapped database MB |",
          "|---|---|---|---|---|---|---|---|---|---|---|---|"]
g = []  # (n, import, export, hugo, export MB, hugo MB, cold, rss, hwm)
for n in ns:
    hi, he, hu = row(n, "herald import"), row(n, "herald export"), row(n, "hugo")
    sv = serve.get(n, {})
    t = (n, num(hi.get("wall_s")), num(he.get("wall_s")),
         num(hu.get("wall_s")), num(he.get("maxrss_kB")),
         num(hu.get("maxrss_kB")), num(sv.get("coldstart_ms")),
         num(sv.get("rss_kB")), num(sv.get("hwm_kB")))
    g.append(t)
    lines.append("| %d | %s | %s | %s | %s | %s | %s | %s | %s, %s | %s | "
                 "%s (%s) | %s, %s |" % (
                     n, fmt(t[1], 2), fmt(t[2], 2), hugo_cell(hu, "wall_s", 2),
                     ratio(t[2], t[3]), mb(t[4]), hugo_cell(hu, "maxrss_kB", 0),
                     ratio(t[4], t[5]), cnt(he), cnt(hu), fmt(t[6]), mb(t[7], 1),
                     mb(t[8], 1), mb(num(sv.get("anon_kB")), 1),
                     mb(num(sv.get("file_kB")), 1)))
    errs = num(sv.get("crawl_errors"))
    if errs:
        lines.append("")
        lines.append("(N=%d: %d of the %s warm-up pages did not answer 200.)"
                     % (n, errs, sv.get("crawl_pages")))
if len(g) > 1:
    a, b = g[0], g[-1]

    def grew(i):
        return "×%.1f" % (b[i] / a[i]) if a[i] and b[i] else "–"
    lines += ["", "From %d to %d articles (×%g): import %s, herald export %s, "
              "hugo %s; herald export peak memory %s, hugo's %s; cold start "
              "%s, herald serve RSS %s." % (
                  a[0], b[0], b[0] / a[0], grew(1), grew(2), grew(3), grew(4),
                  grew(5), grew(6), grew(7))]

made = [(n, num(serve[n].get("corpus_s"))) for n in sorted(serve)]
made = [(n, v) for n, v in made if v is not None]
if made:
    lines += ["", "Generating the corpus (make-corpus.py) took %s; an existing "
              "one in build/bench/ is used again." % ", ".join(
                  "%.0f s for %d" % (v, n) for n, v in made)]

rss = read1("rss.kB").split()
first = serve.get(int(first_n), {})
lines += ["", "## Start and memory", "",
          "- cold start, exec to the first answered request (%s articles): "
          "%s ms (median of 5)" % (first_n, first.get("coldstart_ms") or "–"),
          "- resident memory of herald serve after the wrk runs (%s articles): "
          "%s MB (peak %s MB)" % (
              first_n, mb(num(rss[0]) if rss else None, 1),
              mb(num(rss[1]) if len(rss) > 1 else None, 1)), ""]
charts = "![chart](%s)\n" % os.path.basename(out_svg)
if out_growth:
    charts += "\n![growth with the corpus](%s)\n" % os.path.basename(out_growth)
with open(out_md, "w") as f:
    f.write("\n".join(lines) + "\n\n" + charts)

# the chart: requests/s per page (herald, nginx), then export seconds per N
W, bar, gap = 760, 14, 10
rows = len(chart) + len(grow)
H = 60 + rows * (2 * bar + gap) + 40
mx = max([max(a, b) for _, a, b in chart] + [1])
mg = max([max(a, b) for _, a, b in grow] + [1])
svg = ['<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" '
       'font-family="sans-serif" font-size="12">' % (W, H),
       '<rect width="100%" height="100%" fill="#fff"/>',
       '<text x="10" y="20" font-size="14">requests/s (herald dark, nginx '
       'light); then export seconds per corpus size (herald dark, hugo '
       'light)</text>']
y = 40
for label, a, b in chart:
    svg.append('<text x="10" y="%d">%s</text>' % (y + bar, label))
    for v, col, dy in ((a, "#5a1846", 0), (b, "#c9a3bd", bar)):
        wd = int(500 * v / mx)
        svg.append('<rect x="120" y="%d" width="%d" height="%d" fill="%s"/>'
                   % (y + dy, wd, bar - 2, col))
        svg.append('<text x="%d" y="%d">%.0f</text>' % (125 + wd, y + dy + 11,
                                                        v))
    y += 2 * bar + gap
for n, a, b in grow:
    svg.append('<text x="10" y="%d">export %d</text>' % (y + bar, n))
    for v, col, dy in ((a, "#1e4d7a", 0), (b, "#9fc0e0", bar)):
        wd = int(500 * v / mg)
        svg.append('<rect x="120" y="%d" width="%d" height="%d" fill="%s"/>'
                   % (y + dy, wd, bar - 2, col))
        svg.append('<text x="%d" y="%d">%s</text>' % (
            125 + wd, y + dy + 11, "%.2f s" % v if v else "did not finish"))
    y += 2 * bar + gap
svg.append("</svg>")
with open(out_svg, "w") as f:
    f.write("\n".join(svg) + "\n")

if not out_growth:
    sys.exit(0)


# the growth chart: two panels over a log axis of N, export seconds (herald,
# hugo; log scale) and herald serve MB (VmRSS, VmHWM; linear from 0)
def decades(lo, hi):
    a, b = math.floor(math.log10(lo)), math.ceil(math.log10(hi))
    if a == b:
        b += 1
    return a, b


def nice_step(top):
    raw = top / 5
    e = 10 ** math.floor(math.log10(raw))
    for m in (1, 2, 5, 10):
        if raw <= m * e:
            return m * e
    return 10 * e


def human(v, unit=""):
    if v >= 1:
        s = ("%g" % v) if v < 1000 else kilo(int(v))
    else:
        s = "%g" % v
    return s + unit


PW, PH, ML, MT, MB_ = 340, 240, 60, 50, 50
GW = 2 * (ML + PW) + 80
GH = MT + PH + MB_ + 30
nvals = [t[0] for t in g] or [1000]
xa, xb = decades(min(nvals), max(nvals))


def xpos(ox, n):
    return ox + PW * (math.log10(n) - xa) / (xb - xa)


out = ['<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" '
       'font-family="sans-serif" font-size="12">' % (GW, GH),
       '<rect width="100%" height="100%" fill="#fff"/>',
       '<text x="10" y="20" font-size="14">Growth with the corpus '
       '(articles, log scale)</text>']


def panel(ox, title, series, ylog, unit):
    """series: [(name, colour, dashed, [(n, v or None)])]"""
    out.append('<text x="%d" y="%d" font-size="13">%s</text>'
               % (ox, MT - 12, title))
    allv = [v for _, _, _, pts in series for _, v in pts if v]
    if ylog:
        ya, yb = decades(min(allv or [1]), max(allv or [10]))

        def ypos(v):
            return MT + PH - PH * (math.log10(v) - ya) / (yb - ya)
        yticks = [10 ** k for k in range(ya, yb + 1)]
    else:
        top = max(allv or [1]) * 1.15
        step = nice_step(top)
        top = step * math.ceil(top / step)

        def ypos(v):
            return MT + PH - PH * v / top
        yticks = [step * k for k in range(int(round(top / step)) + 1)]
    out.append('<rect x="%d" y="%d" width="%d" height="%d" fill="none" '
               'stroke="#888"/>' % (ox, MT, PW, PH))
    for v in yticks:
        y = ypos(v)
        out.append('<line x1="%d" y1="%.1f" x2="%d" y2="%.1f" stroke="#ddd"/>'
                   % (ox, y, ox + PW, y))
        out.append('<text x="%d" y="%.1f" text-anchor="end">%s</text>'
                   % (ox - 4, y + 4, human(v, unit)))
    for k in range(xa, xb + 1):
        x = xpos(ox, 10 ** k)
        out.append('<line x1="%.1f" y1="%d" x2="%.1f" y2="%d" stroke="#ddd"/>'
                   % (x, MT, x, MT + PH))
        out.append('<text x="%.1f" y="%d" text-anchor="middle">%s</text>'
                   % (x, MT + PH + 16, kilo(10 ** k)))
    for n in nvals:
        x = xpos(ox, n)
        out.append('<line x1="%.1f" y1="%d" x2="%.1f" y2="%d" stroke="#888"/>'
                   % (x, MT + PH, x, MT + PH + 4))
        if math.log10(n) != round(math.log10(n)):
            out.append('<text x="%.1f" y="%d" text-anchor="middle" '
                       'font-size="10" fill="#666">%s</text>'
                       % (x, MT + PH + 16, kilo(n)))
    # value labels: at each N the higher point's above, the lower one's below
    tops = {}
    for _, _, _, pts in series:
        for n, v in pts:
            if v:
                tops[n] = max(tops.get(n, v), v)
    ly = MT + PH + 36
    lx = ox
    for name, col, dashed, pts in series:
        pts = [(n, v) for n, v in pts if v]
        dash = ' stroke-dasharray="5,3"' if dashed else ""
        if len(pts) > 1:
            out.append('<polyline fill="none" stroke="%s" stroke-width="2"%s '
                       'points="%s"/>' % (col, dash, " ".join(
                           "%.1f,%.1f" % (xpos(ox, n), ypos(v))
                           for n, v in pts)))
        for n, v in pts:
            x, y = xpos(ox, n), ypos(v)
            out.append('<circle cx="%.1f" cy="%.1f" r="3.5" fill="%s"/>'
                       % (x, y, col))
            right = x > ox + PW - 60  # near the right edge: to the left
            out.append('<text x="%.1f" y="%.1f" fill="%s" font-size="11" '
                       'stroke="#fff" stroke-width="3" paint-order="stroke"%s>'
                       '%s</text>' % (x - 5 if right else x + 5,
                                      y - 6 if v >= tops[n] else y + 15, col,
                                      ' text-anchor="end"' if right else "",
                                      ("%.3g" % v) + unit))
        out.append('<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="%s" '
                   'stroke-width="2"%s/>' % (lx, ly - 4, lx + 18, ly - 4, col,
                                            dash))
        out.append('<text x="%d" y="%d">%s</text>' % (lx + 22, ly, name))
        lx += 40 + int(7 * len(name))


missing = [t[0] for t in g if t[3] is None]
panel(ML, "export time, s (log scale)",
      [("herald export", "#1e4d7a", False, [(t[0], t[2]) for t in g]),
       ("hugo" + (" (did not finish at %s)" % ", ".join(
           kilo(n) for n in missing) if missing else ""), "#7fb0dd", True,
        [(t[0], t[3]) for t in g])], True, " s")
panel(2 * ML + PW + 40, "herald serve memory after the warm-up, MB",
      [("VmRSS", "#5a1846", False,
        [(t[0], t[7] / 1024 if t[7] else None) for t in g]),
       ("peak (VmHWM)", "#c07aa8", True,
        [(t[0], t[8] / 1024 if t[8] else None) for t in g])], False, " MB")
out.append("</svg>")
with open(out_growth, "w") as f:
    f.write("\n".join(out) + "\n")
