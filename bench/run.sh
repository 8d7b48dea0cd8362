#!/bin/bash
# bench/run.sh: `make bench`. One run, one machine, peers side by side:
#   1. the benchmark corpus (../shared/bench/make-corpus.py) of N articles,
#      imported into a herald database (herald import)
#   2. export time and peak memory, herald export vs hugo building the same
#      files (../shared/bench/hugo-build.sh), for each N in BENCH_N
#   3. wrk at 64 and 256 connections on an article, a listing and the home
#      page: herald serve vs nginx serving herald's own export
#      (deploy/nginx.conf), for the first N
#   4. the same article on WordPress (../shared/bench/wp-setup.sh: Debian's
#      package, php-fpm, MariaDB, no page cache) when it can be set up
#      (BENCH_WP=0 skips it)
#   5. cold start to the first answered request, resident memory after wrk
# and writes bench/results/RESULTS-DATE.md (tables, ratios herald / peer)
# and an SVG chart. Loopback only; every server is stopped on exit.
# Settings: BENCH_N ("1000 10000"), BENCH_RUNS (wrk runs, 1), BENCH_DUR
# (wrk duration, 10s), BENCH_WP (1).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
PEERS=$(cd "$ROOT/../shared/bench" && pwd)
WORK="$ROOT/build/bench"
export PEERS_RUN="$WORK/run" PEERS_RESULTS="$WORK/peers"
N_LIST="${BENCH_N:-1000 10000}"
RUNS="${BENCH_RUNS:-1}"
DUR="${BENCH_DUR:-10s}"
WP="${BENCH_WP:-1}"
HERALD="$ROOT/build/herald"
HPORT=8090
NPORT=8091
stamp=$(date -u +%Y-%m-%dT%H%M)
OUT="$ROOT/bench/results"
mkdir -p "$WORK" "$OUT" "$PEERS_RUN" "$PEERS_RESULTS"
rm -f "$PEERS_RESULTS"/*.tsv "$WORK"/*.tsv
log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

pids=()
cleanup() {
	for p in "${pids[@]:-}"; do [ -n "$p" ] && kill "$p" 2>/dev/null || true; done
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

echo -e "N\tsystem\twall_s\tmaxrss_kB\tfiles" > "$WORK/build.tsv"
first=
for N in $N_LIST; do
	d="$WORK/n$N"
	mkdir -p "$d"
	if [ "$(cat "$d/.n" 2>/dev/null)" != "$N" ]; then
		log "corpus of $N articles"
		rm -rf "$d/corpus"
		python3 "$PEERS/make-corpus.py" "$d/corpus" -n "$N" >/dev/null
		echo "$N" > "$d/.n"
	fi
	rm -f "$d/site.db"*
	"$HERALD" init --db "$d/site.db" 2>/dev/null
	"$HERALD" import --db "$d/site.db" --from "$d/corpus"
	log "herald export of $N"
	rm -rf "$d/www"
	/usr/bin/time -f "%e %M" -o "$d/export.time" "$HERALD" export \
	    --db "$d/site.db" --out "$d/www" --base-url "http://127.0.0.1:$HPORT" 2>"$d/export.log"
	files=$(find "$d/www" -type f ! -name '*.gz' | wc -l)
	read -r wall rss < "$d/export.time"
	echo -e "$N\therald export\t$wall\t$rss\t$files" >> "$WORK/build.tsv"
	log "hugo build of $N"
	"$PEERS/hugo-build.sh" "$PEERS_RUN/hugo-$N" "$N" 1 >/dev/null 2>&1
	tail -n 1 "$PEERS_RESULTS/hugo-build.tsv" |
	    awk -F'\t' -v n="$N" '{printf "%s\thugo\t%s\t%s\t%s\n", n, $3, $4, $5}' >> "$WORK/build.tsv"
	[ -z "$first" ] && first=$N
done

d="$WORK/n$first"
article=$(ls "$d/corpus/news" | sed -n 4p | sed 's/\.md$//')
log "serving: herald on :$HPORT, nginx with herald's export on :$NPORT"
t0=$(date +%s.%N)
"$HERALD" serve --db "$d/site.db" --listen 127.0.0.1:$HPORT \
    --base-url "http://127.0.0.1:$HPORT" --access-log '' --threads 2 2>"$WORK/serve.log" &
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

# cold start: exec to the first 200, median of 5
for i in 1 2 3 4 5; do
	s=$(date +%s%N)
	"$HERALD" serve --db "$d/site.db" --listen 127.0.0.1:8092 --access-log '' 2>/dev/null &
	cp=$!
	until [ "$(curl -s -o /dev/null -w '%{http_code}' http://127.0.0.1:8092/)" = 200 ]; do sleep 0.002; done
	e=$(date +%s%N)
	echo $(( (e - s) / 1000000 ))
	kill "$cp"; wait "$cp" 2>/dev/null || true
done | sort -n | sed -n 3p > "$WORK/coldstart.ms"

for page in "article:/news/$article" "listing:/news/" "home:/"; do
	name=${page%%:*}
	path=${page#*:}
	RUNS=$RUNS "$PEERS/bench-wrk.sh" "herald-$name" "http://127.0.0.1:$HPORT$path" "$RUNS" "$DUR" >/dev/null
	RUNS=$RUNS "$PEERS/bench-wrk.sh" "nginx-export-$name" "http://127.0.0.1:$NPORT$path" "$RUNS" "$DUR" >/dev/null
done
grep VmRSS "/proc/$hp/status" | awk '{print $2}' > "$WORK/rss.kB"

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

python3 "$ROOT/bench/summary.py" "$WORK" "$PEERS_RESULTS" "$OUT/RESULTS-$stamp.md" \
    "$OUT/chart-$stamp.svg" "$first"
cp "$OUT/RESULTS-$stamp.md" "$OUT/LATEST.md"
cat "$OUT/RESULTS-$stamp.md"
