#!/bin/sh
# search-bench.sh [SIZES...]: search latency on a generated corpus.
# For each size (default: 10000 100000) it generates a corpus with
# $SHARED/bench/make-corpus.py ($SHARED defaults to ../shared next to the
# repository), turns it into a herald content folder (site.md with regions;
# events get start/end, every item a region), times `herald init
# --content`, serves it on loopback and times a fixed set of queries through
# HTTP ($ROUNDS rounds each, default 20), printing p50/p99 per query set.
# SEARCH_BENCH_DB=FILE measures a database made before instead (no corpus,
# no init). The generator has a small vocabulary: most queries match most
# items, the worst case for ranking. Not a test: it never fails on numbers.
# Needs build/herald and python3.
set -eu

cd "$(dirname "$0")/.." || exit 2
ROOT=$(pwd)
SHARED=${SHARED:-$ROOT/../shared}
GEN=$SHARED/bench/make-corpus.py
HERALD=${HERALD:-$ROOT/build/herald}
ROUNDS=${ROUNDS:-20}
PY=${PY:-python3}
[ $# -gt 0 ] || set -- 10000 100000

[ -r "$GEN" ] || { echo "search-bench: no $GEN (set SHARED)" >&2; exit 2; }
[ -x "$HERALD" ] || { echo "search-bench: no $HERALD (make first)" >&2; exit 2; }

work=$(mktemp -d "${TMPDIR:-/tmp}/herald-search-bench-XXXXXX")
pid=
cleanup() {
	[ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
	rm -rf "$work"
}
trap cleanup EXIT INT TERM

# measure DB: serves DB on a free loopback port and times the queries.
measure() {
	port=$("$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
	"$HERALD" serve --db "$1" --listen "127.0.0.1:$port" \
	    --base-url "http://127.0.0.1:$port" --access-log "" \
	    >"$work/serve.log" 2>&1 &
	pid=$!
	"$PY" - "$port" "$ROUNDS" <<'PYEOF'
import http.client, sys, time, urllib.parse
port, rounds = int(sys.argv[1]), int(sys.argv[2])
QUERIES = [  # (label, query string)
    ("place, noun", "q=Stonebridge+hospital"),
    ("common word", "q=the"),
    ("two words", "q=climate+budget"),
    ("stemmed", "q=announcing+agreements"),
    ("prefix", "q=infra*"),
    ("exact title", "q=Regional+government+reduced+in+Fairhaven"),
    ("filtered", "q=energy&kind=news&region=europe&year=2016"),
    ("page 5", "q=report&page=5"),
    ("no match", "q=quetzalcoatlus"),
]
for _ in range(100):
    try:
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        c.request("GET", "/"); c.getresponse().read(); c.close(); break
    except OSError:
        time.sleep(0.1)
c = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
allt = []
print("%-12s %6s %9s %9s %9s" % ("query", "status", "results", "p50 ms",
                                   "p99 ms"))
for label, qs in QUERIES:
    ts = []
    for i in range(rounds + 1):
        t = time.perf_counter()
        c.request("GET", "/search?" + qs)
        r = c.getresponse(); body = r.read()
        if i:  # the first one warms the caches
            ts.append((time.perf_counter() - t) * 1000)
    ts.sort(); allt += ts
    import re
    m = re.search(rb'search-results-heading">(\d+) result', body)
    print("%-12s %6d %9s %9.2f %9.2f" % (label, r.status,
          m.group(1).decode() if m else "0", ts[len(ts) // 2],
          ts[min(len(ts) - 1, int(len(ts) * 0.99))]))
allt.sort()
print("%-12s %6s %9s %9.2f %9.2f" % ("all", "", "", allt[len(allt) // 2],
      allt[min(len(allt) - 1, int(len(allt) * 0.99))]))
PYEOF
	kill "$pid"; wait "$pid" 2>/dev/null || true; pid=
}

# SEARCH_BENCH_DB=FILE: measure a database made before (no corpus, no init)
if [ -n "${SEARCH_BENCH_DB:-}" ]; then
	echo "== $SEARCH_BENCH_DB"
	measure "$SEARCH_BENCH_DB"
	exit 0
fi

for n in "$@"; do
	echo "== corpus of $n items"
	rm -rf "$work/gen" "$work/content" "$work/site.db"*
	"$PY" "$GEN" "$work/gen" -n "$n" >/dev/null
	"$PY" - "$work/gen" "$work/content" "$ROOT/content/site.md" <<'PYEOF'
import os, re, sys, shutil
src, dst, site = sys.argv[1:4]
regions = ["africa", "asia-pacific", "europe", "latin-america",
           "north-america", "middle-east", "global"]
os.makedirs(dst)
shutil.copy(site, os.path.join(dst, "site.md"))
k = 0
cap = 99999  # load.c takes at most 100,000 files, site.md included
for section in sorted(os.listdir(src)):
    os.makedirs(os.path.join(dst, section), exist_ok=True)
    for name in sorted(os.listdir(os.path.join(src, section))):
        with open(os.path.join(src, section, name), encoding="utf-8") as f:
            text = f.read()
        k += 1
        if k > cap:
            print("search-bench: item %d left out (load.c's file limit)" % k)
            continue
        # the generator's titles repeat: the file name is the slug
        extra = "slug: %s\nregions: [%s]\n" % (name[:-3],
                                               regions[k % len(regions)])
        if section == "events":
            m = re.search(r"^date: (\d{4}-\d\d-\d\d)", text, re.M)
            extra += 'start: "%s"\nend: "%s"\n' % (m.group(1), m.group(1))
        text = text.replace("\n---\n", "\n" + extra + "---\n", 1)
        with open(os.path.join(dst, section, name), "w",
                  encoding="utf-8") as f:
            f.write(text)
PYEOF
	t0=$("$PY" -c 'import time; print(time.monotonic())')
	"$HERALD" init --db "$work/site.db" --content "$work/content" >/dev/null
	t1=$("$PY" -c 'import time; print(time.monotonic())')
	echo "init: $("$PY" -c "print('%.1f s' % ($t1 - $t0))"), database $(du -m "$work/site.db" | cut -f1) MB"
	measure "$work/site.db"
done
