#!/bin/sh
# run.sh BUILDDIR...: runs every test against BUILDDIR/herald and
# BUILDDIR/test-unit (BUILDDIR is build or build/asan):
#   1. the unit tests        BUILDDIR/test-unit
#   2. the HTTP tests        /usr/bin/python3 -m pytest -q tests/http
#   3. the browser tests     node --test tests/browser/
# and ends with one line "total: N passed, N failed" (summed over all
# runners and all BUILDDIRs); exits 1 if anything failed or a runner broke.
# Several BUILDDIRs may be given (`sh tests/run.sh build build/asan`): each is
# run in turn, and the total covers them all.
#
# Environment: HERALD_TEST_SKIP_BROWSER=1 skips the browser tests (counted as
# nothing; say so in the output), HERALD_TEST_ARGS passes extra arguments to
# pytest (e.g. "-k crawl -x").
set -u

if [ $# -lt 1 ]; then
	echo "usage: sh tests/run.sh BUILDDIR [BUILDDIR...]" >&2
	exit 2
fi

cd "$(dirname "$0")/.." || exit 2
ROOT=$(pwd)
PY=/usr/bin/python3
PYTHONDONTWRITEBYTECODE=1
export PYTHONDONTWRITEBYTECODE
logs=$(mktemp -d)
trap 'rm -rf "$logs"' EXIT INT TERM

total_pass=0
total_fail=0

# add P F: adds to the totals of the current build directory
add() {
	dir_pass=$((dir_pass + $1))
	dir_fail=$((dir_fail + $2))
}

# run NAME LOG CMD...: runs CMD with output to the terminal and to LOG;
# sets rc to CMD's exit status.
run() {
	name=$1 log=$2
	shift 2
	echo "== $name: $*"
	{ "$@" 2>&1; echo $? >"$log.rc"; } | tee "$log"
	rc=$(cat "$log.rc" 2>/dev/null || echo 99)
}

for BUILDDIR in "$@"; do
	case $BUILDDIR in
	/*) B=$BUILDDIR ;;
	*) B=$ROOT/${BUILDDIR%/} ;;
	esac
	dir_pass=0
	dir_fail=0

	case $BUILDDIR in
	*asan*)
		ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
		UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
		export ASAN_OPTIONS UBSAN_OPTIONS
		;;
	*)
		unset ASAN_OPTIONS UBSAN_OPTIONS
		;;
	esac
	HERALD=$B/herald
	export HERALD

	echo "=== tests against $BUILDDIR"

	# 1. unit tests: they print "unit: N passed, N failed".
	if [ -x "$B/test-unit" ]; then
		run unit "$logs/unit" timeout -k 10 600 "$B/test-unit"
		line=$(grep -E '^unit: [0-9]+ passed, [0-9]+ failed' "$logs/unit" | tail -n 1)
		if [ -n "$line" ]; then
			p=$(echo "$line" | sed -E 's/^unit: ([0-9]+) passed, ([0-9]+) failed.*/\1/')
			f=$(echo "$line" | sed -E 's/^unit: ([0-9]+) passed, ([0-9]+) failed.*/\2/')
			add "$p" "$f"
			[ "$rc" != 0 ] && [ "$f" = 0 ] && add 0 1 &&
				echo "run.sh: $B/test-unit exited $rc with no failure counted: counted as 1 failure"
		else
			echo "run.sh: $B/test-unit printed no summary (exit $rc, crashed?): counted as 1 failure"
			add 0 1
		fi
	else
		echo "run.sh: $B/test-unit is missing: counted as 1 failure"
		add 0 1
	fi

	if [ ! -x "$HERALD" ]; then
		echo "run.sh: $HERALD is missing: HTTP and browser tests not run, counted as 2 failures"
		add 0 2
	else
		# 2. HTTP tests. The pytest summary line looks like
		# "3 failed, 40 passed, 1 error in 12.3s" (order varies).
		# shellcheck disable=SC2086
		run pytest "$logs/pytest" timeout -k 10 1800 \
			"$PY" -m pytest -q -p no:cacheprovider ${HERALD_TEST_ARGS:-} tests/http
		line=$(grep -E '^=*[ ]*([0-9]+ [a-z]+(, )?)+ in [0-9.]+s' "$logs/pytest" | tail -n 1)
		p=$(echo "$line" | grep -oE '[0-9]+ passed' | grep -oE '[0-9]+' || true)
		f=$(echo "$line" | grep -oE '[0-9]+ failed' | grep -oE '[0-9]+' || true)
		e=$(echo "$line" | grep -oE '[0-9]+ errors?' | grep -oE '[0-9]+' || true)
		p=${p:-0} f=${f:-0} e=${e:-0}
		add "$p" $((f + e))
		if [ "$rc" != 0 ] && [ $((f + e)) = 0 ]; then
			echo "run.sh: pytest exited $rc with no failure counted (no tests? crash? timeout?): counted as 1 failure"
			add 0 1
		fi

		# 3. browser tests. node's TAP summary has "# pass N", "# fail N",
		# "# cancelled N" (the spec reporter the same after "ℹ").
		if [ "${HERALD_TEST_SKIP_BROWSER:-0}" = 1 ]; then
			echo "== browser: skipped (HERALD_TEST_SKIP_BROWSER=1)"
		elif [ ! -d tests/browser/node_modules/playwright-core ]; then
			echo "run.sh: tests/browser/node_modules is missing (run make deps): counted as 1 failure"
			add 0 1
		else
			# readable output on the terminal, TAP in a file to count
			run browser "$logs/node" timeout -k 10 900 node --test \
				--test-reporter=spec --test-reporter-destination=stdout \
				--test-reporter=tap --test-reporter-destination="$logs/tap" \
				tests/browser/
			[ -s "$logs/tap" ] || cp "$logs/node" "$logs/tap"
			p=$(sed -nE 's/^(# |ℹ )pass ([0-9]+).*/\2/p' "$logs/tap" | tail -n 1)
			f=$(sed -nE 's/^(# |ℹ )fail ([0-9]+).*/\2/p' "$logs/tap" | tail -n 1)
			c=$(sed -nE 's/^(# |ℹ )cancelled ([0-9]+).*/\2/p' "$logs/tap" | tail -n 1)
			p=${p:-0} f=${f:-0} c=${c:-0}
			add "$p" $((f + c))
			if [ "$rc" != 0 ] && [ $((f + c)) = 0 ]; then
				echo "run.sh: node --test exited $rc with no failure counted: counted as 1 failure"
				add 0 1
			elif [ "$p" = 0 ] && [ $((f + c)) = 0 ]; then
				echo "run.sh: node --test ran no test: counted as 1 failure"
				add 0 1
			fi
		fi
	fi

	echo "=== $BUILDDIR: $dir_pass passed, $dir_fail failed"
	total_pass=$((total_pass + dir_pass))
	total_fail=$((total_fail + dir_fail))
done

echo "total: $total_pass passed, $total_fail failed"
[ "$total_fail" = 0 ]
