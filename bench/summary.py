#!/usr/bin/env python3
"""summary.py WORK PEERS_RESULTS OUT.md OUT.svg N: the tables and ratios of
one `make bench` run (bench/run.sh), and an SVG chart. Standard library."""
import csv
import os
import statistics
import sys

work, peers, out_md, out_svg, first_n = sys.argv[1:6]


def tsv(path):
    if not os.path.exists(path):
        return []
    with open(path) as f:
        return list(csv.DictReader(f, delimiter="\t"))


def med(rows, key):
    vals = [float(r[key]) for r in rows if r.get(key) not in (None, "", "NA")]
    return statistics.median(vals) if vals else None


def fmt(v, nd=0):
    return "–" if v is None else ("%.*f" % (nd, v))


def ratio(a, b):
    return "–" if a is None or b in (None, 0) else "%.2f×" % (a / b)


wrk = tsv(os.path.join(peers, "wrk.tsv"))
sizes = {r["label"]: r for r in tsv(os.path.join(peers, "sizes.tsv"))}
build = tsv(os.path.join(work, "build.tsv"))


def w(label, conns):
    return [r for r in wrk if r["label"] == label and r["conns"] == str(conns)]


lines = ["# make bench", "",
         "One run on this machine (%d cores); peers measured in the same run. "
         "Figures move between runs and machines." % os.cpu_count(), "",
         "## Throughput: herald vs nginx serving herald's own export "
         "(corpus of %s articles)" % first_n, "",
         "| page | conns | herald req/s | nginx req/s | herald / nginx | "
         "herald p99 ms | nginx p99 ms | bytes (gzip) |",
         "|---|---|---|---|---|---|---|---|"]
chart = []
for page in ("article", "listing", "home"):
    for c in (64, 256):
        h, n = w("herald-" + page, c), w("nginx-export-" + page, c)
        hr, nr = med(h, "req_per_s"), med(n, "req_per_s")
        s = sizes.get("herald-" + page, {})
        lines.append("| %s | %d | %s | %s | %s | %s | %s | %s (%s) |" % (
            page, c, fmt(hr), fmt(nr), ratio(hr, nr), fmt(med(h, "p99_ms"), 2),
            fmt(med(n, "p99_ms"), 2), s.get("bytes_plain", "–"),
            s.get("bytes_gzip_served", "–")))
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
lines += ["", "## Building the static site: herald export vs hugo", "",
          "| articles | herald export s | hugo s | herald / hugo | herald peak "
          "MB | hugo peak MB | herald / hugo memory | files (herald, hugo) |",
          "|---|---|---|---|---|---|---|---|"]
ns = sorted({int(r["N"]) for r in build})
grow = []
for n in ns:
    he = [r for r in build if int(r["N"]) == n and r["system"] == "herald export"]
    hu = [r for r in build if int(r["N"]) == n and r["system"] == "hugo"]
    hw, uw = med(he, "wall_s"), med(hu, "wall_s")
    hm, um = med(he, "maxrss_kB"), med(hu, "maxrss_kB")
    lines.append("| %d | %s | %s | %s | %s | %s | %s | %s, %s |" % (
        n, fmt(hw, 2), fmt(uw, 2), ratio(hw, uw),
        fmt(hm / 1024 if hm else None), fmt(um / 1024 if um else None),
        ratio(hm, um), he[0]["files"] if he else "–",
        hu[0]["files"] if hu else "–"))
    grow.append((n, hw or 0, uw or 0))


def read1(name):
    p = os.path.join(work, name)
    return open(p).read().strip() if os.path.exists(p) else "–"


rss = read1("rss.kB")
lines += ["", "## Start and memory", "",
          "- cold start, exec to the first answered request: %s ms (median of "
          "5)" % read1("coldstart.ms"),
          "- resident memory of herald serve after the wrk runs (%s articles): "
          "%s MB" % (first_n, fmt(int(rss) / 1024 if rss.isdigit() else None,
                                   1)), ""]
with open(out_md, "w") as f:
    f.write("\n".join(lines) + "\n\n![chart](%s)\n" % os.path.basename(out_svg))

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
        svg.append('<text x="%d" y="%d">%.2f s</text>' % (125 + wd,
                                                          y + dy + 11, v))
    y += 2 * bar + gap
svg.append("</svg>")
with open(out_svg, "w") as f:
    f.write("\n".join(svg) + "\n")
