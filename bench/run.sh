#!/bin/bash
# bench/run.sh: `make bench`. One run, one machine, peers side by side:
#   1. the benchmark corpus (../shared/bench/make-corpus.py) of N articles,
#      imported into a herald database (herald import, timed), for each N
#      in BENCH_N
#   2. export time and peak memory, herald export vs hugo building the same
#      files (../shared/bench/hugo-build.sh), for each N; hugo runs under a
#      timeout (BENCH_HUGO_TIMEOUT) and is stopped when the machine runs low
#      on memory (BENCH_MEM_FLOOR_MB): the table then says it did not finish
#   3. for each N: cold start of herald serve to the first answered request
#      (median of 5), and its resident memory (VmRSS, and the peak VmHWM)
#      after a fixed warm-up: up to BENCH_CRAWL pages of the sitemap
#      (evenly spread over it) and a 5 s wrk run on an article (BENCH_WARM_DUR)
#   4. wrk at 64 and 256 connections on an article, a listing and the home
#      page: herald serve vs nginx serving herald's own export
#      (deploy/nginx.conf), for the first N, BENCH_RUNS runs each (the tables
#      give the median)
#   5. the same article on WordPress (../shared/bench/wp-setup.sh: Debian's
#      package, php-fpm, MariaDB, no page cache) when it can be set up
#      (BENCH_WP=0 skips it)
# and writes bench/results/RESULTS-DATE.md (tables, ratios herald / peer),
# an SVG chart of the throughput and one of the growth with N. Loopback only;
# every server is stopped on exit.
# Settings: BENCH_N ("1000 10000 100000"), BENCH_RUNS (wrk runs, 3),
# BENCH_DUR (wrk duration, 10s), BENCH_WP (1), BENCH_CRAWL (2000),
# BENCH_WARM_DUR (5s), BENCH_HUGO_TIMEOUT (900 s), BENCH_MEM_FLOOR_MB (2048).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
PEERS=$(cd "$ROOT/../shared/bench" && pwd)
WORK="$ROOT/build/bench"
export PEERS_RUN="$WORK/run" PEERS_RESULTS="$WORK/peers"
N_LIST="${BENCH_N:-1000 10000 100000}"
RUNS="${BENCH_RUNS:-3}"
DUR="${BENCH_DUR:-10s}"
WP="${BENCH_WP:-1}"
CRAWL="${BENCH_CRAWL:-2000}"
WARM="${BENCH_WARM_DUR:-5s}"
HUGO_TIMEOUT="${BENCH_HUGO_TIMEOUT:-900}"
MEM_FLOOR_MB="${BENCH_MEM_FLOOR_MB:-2048}"
HERALD="$ROOT/build/herald"
HPORT=8090
NPORT=8091
SPORT=8092
stamp=$(date -u +%Y-%m-%dT%H%M)
OUT="$ROOT/bench/results"
OLD="$WORK/old" # outputs moved aside, deleted when the run ends
rm -rf "$OLD" # left by a run that was stopped
mkdir -p "$WORK" "$OUT" "$PEERS_RUN" "$PEERS_RESULTS" "$OLD"
rm -f "$PEERS_RESULTS"/*.tsv "$WORK"/*.tsv
log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN{printf "%.2f", b - a}'; }
bench_t0=$(now)

pids=() # servers that run until the end
cur=    # the short-lived server (or hugo's timeout) of the moment
cleanup() {
	for p in "${pids[@]:-}" $cur; do [ -n "$p" ] && kill "$p" 2>/dev/null || true; done
	[ -s "$WORK/nginx.pid" ] && kill "$(cat "$WORK/nginx.pid")" 2>/dev/null || true
	if [ "$WP" = 1 ]; then "$PEERS/wp-setup.sh" stop >/dev/null 2>&1 || true; fi
}
trap cleanup EXIT INT TERM

wait_http() { # URL: up to 20 s for a 200
	for _ in $(seq 1 200); do
		[ "$(curl -s -o /dev/null -w '%{http_code}' "$1")" = 200 ] && return 0
		sleep 0.1
	done
	echo "bench: $1 did not answer" >&2
	return 1
}

mem_avail_mb() { awk '/^MemAvailable:/{print int($2 / 1024)}' /proc/meminfo; }

# hugo_build N: hugo-build.sh under `timeout`, stopped early when the
# machine's available memory falls under MEM_FLOOR_MB (the machine has no
# swap: better a missing figure than the OOM killer). Appends to build.tsv
# either hugo's figures or why it did not finish (and then fails).
hugo_build() {
	local n=$1 dir="$PEERS_RUN/hugo-$1" tp rc low=
	# the same corpus, hard-linked, rather than generated a second time
	if [ "$(cat "$dir/.corpus-n" 2>/dev/null)" != "$n" ]; then
		mkdir -p "$dir"
		rm -rf "$dir/content"
		cp -al "$WORK/n$n/corpus" "$dir/content"
		echo "$n" > "$dir/.corpus-n"
	fi
	local before
	before=$({ cat "$PEERS_RESULTS/hugo-build.tsv" 2>/dev/null || true; } | wc -l)
	timeout "$HUGO_TIMEOUT" "$PEERS/hugo-build.sh" "$dir" "$n" 1 \
	    >"$WORK/hugo-$n.log" 2>&1 &
	tp=$!
	cur=$tp
	while kill -0 "$tp" 2>/dev/null; do
		if [ "$(mem_avail_mb)" -lt "$MEM_FLOOR_MB" ]; then
			low=$(mem_avail_mb)
			kill -TERM "$tp" 2>/dev/null || true # timeout passes it on
			break
		fi
		sleep 0.5
	done
	rc=0
	wait "$tp" || rc=$?
	cur=
	local after
	after=$({ cat "$PEERS_RESULTS/hugo-build.tsv" 2>/dev/null || true; } | wc -l)
	if [ "$rc" = 0 ] && [ "$after" -gt "$before" ]; then
		tail -n 1 "$PEERS_RESULTS/hugo-build.tsv" | awk -F'\t' -v n="$n" \
		    '{printf "%s\thugo\t%s\t%s\t%s\t\n", n, $3, $4, $5}' >> "$WORK/build.tsv"
		return 0
	fi
	local why
	if [ -n "$low" ]; then
		why="stopped: the machine had $low MB available, under the $MEM_FLOOR_MB MB floor"
	elif [ "$rc" = 124 ]; then
		why="timed out after $HUGO_TIMEOUT s"
	else
		why="exit status $rc, see build/bench/hugo-$n.log"
	fi
	log "hugo with $n articles did not finish ($why)"
	echo -e "$n\thugo\tNA\tNA\tNA\tdid not finish ($why)" >> "$WORK/build.tsv"
	return 1
}

# coldstart DB: exec to the first 200, median of 5, in ms, into $cs
coldstart() {
	local s e c all=()
	for _ in 1 2 3 4 5; do
		s=$(date +%s%N)
		"$HERALD" serve --db "$1" --listen 127.0.0.1:$SPORT --access-log '' 2>/dev/null &
		c=$!
		cur=$c
		until [ "$(curl -s -o /dev/null -w '%{http_code}' http://127.0.0.1:$SPORT/)" = 200 ]; do
			kill -0 "$c" 2>/dev/null || { echo "bench: herald serve exited" >&2; return 1; }
			sleep 0.002
		done
		e=$(date +%s%N)
		all+=($(( (e - s) / 1000000 )))
		kill "$c"; wait "$c" 2>/dev/null || true
		cur=
	done
	cs=$(printf '%s\n' "${all[@]}" | sort -n | sed -n 3p)
}

# crawl WWW BASE MAX: GET up to MAX pages of the sitemap(s) that herald export
# wrote to WWW (evenly spread over it, the home page first) from BASE, one
# at a time; prints "pages errors".
crawl() {
	/usr/bin/python3 - "$@" <<'EOF'
import glob, os, re, sys, urllib.error, urllib.parse, urllib.request
www, base, most = sys.argv[1], sys.argv[2].rstrip("/"), int(sys.argv[3])
paths = []
for f in sorted(glob.glob(os.path.join(www, "sitemap*.xml"))):
    for loc in re.findall(r"<loc>([^<]*)</loc>", open(f, encoding="utf-8").read()):
        p = urllib.parse.urlsplit(loc).path or "/"
        if not p.endswith(".xml"):
            paths.append(p)
paths = list(dict.fromkeys(paths))
if len(paths) > most:
    paths = [paths[i * len(paths) // most] for i in range(most)]
if "/" not in paths:
    paths = ["/"] + paths[:most - 1]
errors = 0
for p in paths:
    req = urllib.request.Request(base + urllib.parse.quote(p),
                                 headers={"Accept-Encoding": "gzip"})
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            r.read()
    except (urllib.error.URLError, OSError):
        errors += 1
print(len(paths), errors)
EOF
}

# serve_memory N DB WWW ARTICLE: herald serve (as in the wrk runs) after the
# warm-up: the crawl, then $WARM of wrk on the article. Sets mem to
# "pages errors VmRSS_kB VmHWM_kB RssAnon_kB RssFile_kB" (RssFile: mostly
# the database file, mapped; the kernel's page cache, given back under
# pressure).
serve_memory() {
	local sp c
	"$HERALD" serve --db "$2" --listen 127.0.0.1:$SPORT \
	    --base-url "http://127.0.0.1:$SPORT" --access-log '' \
	    2>"$WORK/serve-$1.log" &
	sp=$!
	cur=$sp
	wait_http "http://127.0.0.1:$SPORT/"
	c=$(crawl "$3" "http://127.0.0.1:$SPORT" "$CRAWL") || c="NA NA"
	wrk -t2 -c64 -d"$WARM" --timeout 30s "http://127.0.0.1:$SPORT/news/$4" \
	    > "$WORK/warm-$1.wrk"
	mem="$c $(awk '/^VmRSS:/{r=$2} /^VmHWM:/{h=$2} /^RssAnon:/{a=$2} /^RssFile:/{f=$2} END{print r, h, a, f}' "/proc/$sp/status")"
	kill "$sp"; wait "$sp" 2>/dev/null || true
	cur=
}

echo -e "N\tsystem\twall_s\tmaxrss_kB\tfiles\tnote" > "$WORK/build.tsv"
echo "$CRAWL $WARM" > "$WORK/warmup.txt"
echo -e "N\tcorpus_s\tcoldstart_ms\tcrawl_pages\tcrawl_errors\trss_kB\thwm_kB\tanon_kB\tfile_kB" > "$WORK/serve.tsv"
first=
for N in $N_LIST; do
	d="$WORK/n$N"
	mkdir -p "$d"
	t=$(now)
	corpus_s=NA
	if [ "$(cat "$d/.n" 2>/dev/null)" != "$N" ]; then
		log "corpus of $N articles"
		rm -rf "$d/corpus"
		python3 "$PEERS/make-corpus.py" "$d/corpus" -n "$N" >/dev/null
		echo "$N" > "$d/.n"
		corpus_s=$(since "$t")
	fi
	log "herald import of $N"
	rm -f "$d/site.db"*
	"$HERALD" init --db "$d/site.db" 2>/dev/null
	/usr/bin/time -f "%e %M" -o "$d/import.time" \
	    "$HERALD" import --db "$d/site.db" --from "$d/corpus" >"$d/import.log" 2>&1
	read -r wall rss < "$d/import.time"
	echo -e "$N\therald import\t$wall\t$rss\t\t" >> "$WORK/build.tsv"
	# Export and hugo: median of 3 runs up to 10,000 articles (one at
	# 100,000, where hugo alone takes minutes), each after a sync, so
	# that neither is timed while the kernel writes back what the step
	# before wrote (the import's database, the other's pages). Each run
	# writes into a new folder: the last run's output is moved aside, not
	# deleted, since ext4 without a journal (this machine's disk) passes
	# over inodes freed in the last 60 s, 360 s while their table block
	# is dirty (recently_deleted() in fs/ext4/ialloc.c), and creating
	# 40,000 files right after an rm -rf of 40,000 took 2-3 times as
	# long. Both outputs are deleted after the last measurement.
	reps=3
	[ "$N" -gt 10000 ] && reps=1
	for r in $(seq 1 "$reps"); do
		log "herald export of $N (run $r of $reps)"
		if [ -e "$d/www" ]; then
			mv "$d/www" "$OLD/www-$N-$r"
			mv "$d/www.herald-export" "$OLD/www-$N-$r.herald-export" 2>/dev/null || true
		fi
		sync
		/usr/bin/time -f "%e %M" -o "$d/export.time" "$HERALD" export \
		    --db "$d/site.db" --out "$d/www" --base-url "http://127.0.0.1:$HPORT" 2>"$d/export.log"
		files=$(find "$d/www" -type f ! -name '*.gz' | wc -l)
		read -r wall rss < "$d/export.time"
		echo -e "$N\therald export\t$wall\t$rss\t$files\t" >> "$WORK/build.tsv"
	done
	for r in $(seq 1 "$reps"); do
		log "hugo build of $N (run $r of $reps, at most $HUGO_TIMEOUT s)"
		sync
		ok=1
		hugo_build "$N" || ok=0
		# its pages are counted; moved aside like herald's
		if [ -e "$PEERS_RUN/hugo-$N/public" ]; then
			mv "$PEERS_RUN/hugo-$N/public" "$OLD/hugo-$N-$r"
		fi
		[ "$ok" = 1 ] || break # not again what did not finish once
	done
	log "herald serve with $N: cold start, memory after the warm-up"
	article=$(ls "$d/corpus/news" | sed -n 4p | sed 's/\.md$//')
	coldstart "$d/site.db"
	serve_memory "$N" "$d/site.db" "$d/www" "$article"
	read -r pages errs vmrss vmhwm anon file <<< "$mem"
	[ "$errs" = 0 ] || log "warning: $errs of $pages warm-up pages failed"
	echo -e "$N\t$corpus_s\t$cs\t$pages\t$errs\t$vmrss\t$vmhwm\t$anon\t$file" >> "$WORK/serve.tsv"
	[ -z "$first" ] && first=$N
done

d="$WORK/n$first"
article=$(ls "$d/corpus/news" | sed -n 4p | sed 's/\.md$//')
log "serving: herald on :$HPORT, nginx with herald's export on :$NPORT"
"$HERALD" serve --db "$d/site.db" --listen 127.0.0.1:$HPORT \
    --base-url "http://127.0.0.1:$HPORT" --access-log '' 2>"$WORK/serve.log" &
hp=$!
pids+=("$hp")
wait_http "http://127.0.0.1:$HPORT/"
mkdir -p "$WORK/nginx-tmp"
sed -e "s#__ROOT__#$d/www#" -e "s#__LISTEN__#127.0.0.1:$NPORT#" \
    -e "s#__ORIGIN__#127.0.0.1:$HPORT#" -e "s#__PID__#$WORK/nginx.pid#" \
    -e "s#__TMP__#$WORK/nginx-tmp#g" -e "s#__LOG__#$WORK/nginx-error.log#" \
    "$ROOT/deploy/nginx.conf" > "$WORK/nginx.conf"
chmod -R a+rX "$WORK"
nginx -c "$WORK/nginx.conf" -e "$WORK/nginx-error.log"
wait_http "http://127.0.0.1:$NPORT/"

log "wrk: $RUNS runs of $DUR per page, system and connection count"
for page in "article:/news/$article" "listing:/news/" "home:/"; do
	name=${page%%:*}
	path=${page#*:}
	"$PEERS/bench-wrk.sh" "herald-$name" "http://127.0.0.1:$HPORT$path" "$RUNS" "$DUR" >/dev/null
	"$PEERS/bench-wrk.sh" "nginx-export-$name" "http://127.0.0.1:$NPORT$path" "$RUNS" "$DUR" >/dev/null
done
awk '/^VmRSS:/{r=$2} /^VmHWM:/{h=$2} END{print r, h}' "/proc/$hp/status" > "$WORK/rss.kB"
# the brotli herald sends a browser for each page (made on its idle thread
# once the page is cached: asked again until it comes, 10 s at most)
python3 - "http://127.0.0.1:$HPORT" "/news/$article" /news/ / > "$WORK/br.tsv" <<'EOF'
import sys, time, urllib.request
base = sys.argv[1]
print("label\tbytes_br")
for label, path in zip(("article", "listing", "home"), sys.argv[2:]):
    n = ""
    for _ in range(200):
        req = urllib.request.Request(base + path,
                                     headers={"Accept-Encoding": "br, gzip"})
        with urllib.request.urlopen(req, timeout=30) as r:
            body = r.read()
            if r.headers.get("Content-Encoding") == "br":
                n = str(len(body))
                break
        time.sleep(0.05)
    print("herald-%s\t%s" % (label, n))
EOF

rm -f "$WORK/wp.skipped"
[ "$WP" = 1 ] || : > "$WORK/wp.skipped"
if [ "$WP" = 1 ]; then
	log "WordPress with $first articles"
	if timeout 900 "$PEERS/wp-setup.sh" start "$first" >"$WORK/wp.log" 2>&1; then
		"$PEERS/bench-wrk.sh" "wp-article" "http://127.0.0.1:8082/news/$article/" "$RUNS" "$DUR" >/dev/null || true
		"$PEERS/wp-setup.sh" stop >/dev/null 2>&1 || true
	else
		log "WordPress could not be set up here (see $WORK/wp.log)"
	fi
fi

since "$bench_t0" > "$WORK/total.s"
python3 "$ROOT/bench/summary.py" "$WORK" "$PEERS_RESULTS" "$OUT/RESULTS-$stamp.md" \
    "$OUT/chart-$stamp.svg" "$first" "$OUT/growth-$stamp.svg"
cp "$OUT/RESULTS-$stamp.md" "$OUT/LATEST.md"
cat "$OUT/RESULTS-$stamp.md"
log "deleting the outputs moved aside (at 100,000 articles: a few minutes)"
rm -rf "$OLD"
