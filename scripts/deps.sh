#!/bin/sh
# deps.sh: the one list of what Herald needs to build, run and test.
# Used by `make deps` (and so by `make run`, `make check`, `make bench`).
# Runs as root on Debian 12; installs only what is missing, so it is fast
# (well under 2 s) and silent when everything is there.
# HERALD_DEPS_SKIP=1 skips it all (e.g. on a machine set up by hand).
set -eu

[ "${HERALD_DEPS_SKIP:-0}" = 1 ] && exit 0

cd "$(dirname "$0")/.."

# Build: compiler, pkg-config and the C libraries (libvips-dev: the headers,
# and libvips42, which herald opens at run time on the first upload;
# libcurl4-openssl-dev: the headers, and libcurl4, which herald opens when
# it sends its first mail).
# Tests: pytest and the Python modules of the HTTP tests, Chromium for the
# browser tests, mandoc for the man pages, xmllint for feeds and sitemaps,
# strace to see uploads leave with sendfile (tests/http/test_uploads.py),
# nginx with its brotli_static module to serve an export (test_export.py,
# make bench), python3-brotli to decode brotli answers.
PKGS="build-essential pkg-config clang
libmicrohttpd-dev libsqlite3-dev libmd4c-dev libsodium-dev
libcurl4-openssl-dev libgumbo-dev libstemmer-dev libdeflate-dev libbrotli-dev
liboath-dev libvips-dev libmagic-dev
python3 python3-pytest python3-aiosmtpd python3-feedparser python3-icalendar python3-brotli
chromium mandoc libxml2-utils curl ca-certificates newsboat nginx-light
libnginx-mod-http-brotli-static strace"

# Node.js and npm: keep a node/npm that is already there (e.g. from
# NodeSource): Debian's nodejs/npm would conflict with it.
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
	PKGS="$PKGS nodejs npm"
fi

# One dpkg-query for all; a package dpkg has never heard of prints nothing
# (and an error we do not need), so "missing" = not listed as installed.
# shellcheck disable=SC2086
installed=$(dpkg-query -W -f='${Package} ${db:Status-Status}\n' $PKGS 2>/dev/null |
	awk '$2 == "installed" { printf " %s", $1 }') || true
missing=
for p in $PKGS; do
	case "$installed " in
	*" $p "*) ;;
	*) missing="$missing $p" ;;
	esac
done

if [ -n "$missing" ]; then
	if [ "$(id -u)" != 0 ]; then
		echo "deps: missing Debian packages:$missing" >&2
		echo "deps: run as root (or: sudo sh scripts/deps.sh)" >&2
		exit 1
	fi
	echo "deps: installing$missing"
	log=$(mktemp)
	trap 'rm -f "$log"' EXIT
	export DEBIAN_FRONTEND=noninteractive
	if ! apt-get update -qq >"$log" 2>&1; then
		cat "$log" >&2
		echo "deps: apt-get update failed" >&2
		exit 1
	fi
	# shellcheck disable=SC2086
	if ! apt-get install -y -qq --no-install-recommends $missing >"$log" 2>&1; then
		cat "$log" >&2
		echo "deps: apt-get install failed" >&2
		exit 1
	fi
	grep -iE '^(E|W):' "$log" >&2 || true
fi

# npm modules of the browser tests (playwright-core drives /usr/bin/chromium;
# it never downloads a browser of its own).
b=tests/browser
if [ -f "$b/package-lock.json" ]; then
	if [ ! -d "$b/node_modules" ] ||
		[ -n "$(find "$b/package-lock.json" -newer "$b/node_modules")" ]; then
		echo "deps: npm ci in $b"
		if ! (cd "$b" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 \
			npm ci --no-audit --no-fund --loglevel=error >/dev/null); then
			echo "deps: npm ci failed in $b" >&2
			exit 1
		fi
		touch "$b/node_modules"
	fi
fi
exit 0
