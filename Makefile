# Herald: `make` builds build/herald; `make run` serves the demo site;
# `make check` runs every test (also under ASan+UBSan). See README.md.

CC      ?= cc
PREFIX  ?= /usr/local
DESTDIR ?=
PKGS     = libmicrohttpd sqlite3 md4c libsodium libdeflate libbrotlienc liboath
WARN     = -Wall -Wextra -Wshadow -Wmissing-prototypes -Wstrict-prototypes \
           -Wpointer-arith -Wformat=2 -Werror
CSTD     = -std=c17 -D_XOPEN_SOURCE=700 -D_DEFAULT_SOURCE
# libvips: its headers only. herald does not link it (media.c opens it on
# the first upload): the loader would map its ~100 libraries at every exec.
# The unit tests make their test images with it, so they link it.
VIPSCFLAGS = $(shell pkg-config --cflags vips 2>/dev/null)
VIPSLIBS  = $(shell pkg-config --libs vips 2>/dev/null)
# libcurl: its headers only, too (mail.c opens it for the first mail sent):
# it brings 30-odd libraries (OpenSSL, Kerberos, LDAP, ssh2, ...) that only
# sending mail needs. No test calls it directly.
CURLCFLAGS = $(shell pkg-config --cflags libcurl 2>/dev/null)
PKGCFLAGS = $(shell pkg-config --cflags $(PKGS) 2>/dev/null) $(VIPSCFLAGS) \
            $(CURLCFLAGS)
PKGLIBS   = $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lstemmer -lmagic -lpthread -lm
CFLAGS  ?= -O2 -g
ALLCFLAGS = $(CSTD) $(WARN) $(CFLAGS) $(PKGCFLAGS) -Isrc -Ibuild/gen
SANFLAGS = -O1 -g -fsanitize=address,undefined -fno-sanitize-recover=undefined \
           -fno-omit-frame-pointer

SRCS    = $(filter-out src/main.c,$(wildcard src/*.c))
HDRS    = $(wildcard src/*.h)
ASSETS  = $(shell find themes content -type f ! -name '*~' 2>/dev/null | LC_ALL=C sort)
UNIT    = $(wildcard tests/unit/*.c)
DB      ?= herald.db
LISTEN  ?= 127.0.0.1:8080

.PHONY: all run check deps test lint install uninstall clean fuzz format golden bench

all: build/herald

build/tools/embed: tools/embed.c
	@mkdir -p $(@D)
	$(CC) $(CSTD) $(WARN) -O1 -o $@ tools/embed.c

build/gen/embed.c: build/tools/embed $(ASSETS)
	@mkdir -p $(@D)
	build/tools/embed $(ASSETS) > $@.tmp && mv $@.tmp $@

# One build directory per flavour: default (gcc -O2), asan, clang.
build/herald: src/main.c $(SRCS) $(HDRS) build/gen/embed.c
	@mkdir -p $(@D)
	$(CC) $(ALLCFLAGS) -o $@ src/main.c $(SRCS) build/gen/embed.c $(PKGLIBS)

build/asan/herald: src/main.c $(SRCS) $(HDRS) build/gen/embed.c
	@mkdir -p $(@D)
	$(CC) $(CSTD) $(WARN) $(SANFLAGS) $(PKGCFLAGS) -Isrc -Ibuild/gen -o $@ \
	    src/main.c $(SRCS) build/gen/embed.c $(PKGLIBS)

build/clang/herald: src/main.c $(SRCS) $(HDRS) build/gen/embed.c
	@mkdir -p $(@D)
	clang $(CSTD) $(WARN) -O2 $(PKGCFLAGS) -Isrc -Ibuild/gen -o $@ \
	    src/main.c $(SRCS) build/gen/embed.c $(PKGLIBS)

build/test-unit: $(UNIT) $(SRCS) $(HDRS) build/gen/embed.c
	@mkdir -p $(@D)
	$(CC) $(ALLCFLAGS) -Itests/unit -o $@ $(UNIT) $(SRCS) build/gen/embed.c \
	    $(PKGLIBS) $(VIPSLIBS)

build/asan/test-unit: $(UNIT) $(SRCS) $(HDRS) build/gen/embed.c
	@mkdir -p $(@D)
	$(CC) $(CSTD) $(WARN) $(SANFLAGS) $(PKGCFLAGS) -Isrc -Ibuild/gen -Itests/unit -o $@ \
	    $(UNIT) $(SRCS) build/gen/embed.c $(PKGLIBS) $(VIPSLIBS)

deps:
	@sh scripts/deps.sh

# The demo site, with an admin account made on first run (its password is
# printed once); --dev-http lets the admin's cookies work over plain http
# on this machine.
run: deps build/herald
	@if [ ! -f $(DB) ]; then \
	    build/herald init --db $(DB) && \
	    pw=$$(head -c 15 /dev/urandom | base64 | tr '+/' 'xy') && \
	    echo "$$pw" | build/herald user add --db $(DB) \
	        --email admin@example.org --name "Demo admin" --role admin && \
	    echo "admin: http://localhost:8080/admin as admin@example.org," \
	        "password $$pw"; \
	fi
	build/herald serve --db $(DB) --listen $(LISTEN) \
	    --base-url http://localhost:8080 --dev-http

# The whole suite: once with the normal build, once under ASan+UBSan.
check: deps
	$(MAKE) -j2 all build/test-unit build/asan/herald build/asan/test-unit build/clang/herald
	$(MAKE) lint
	sh tests/run.sh build build/asan

test: all build/test-unit
	sh tests/run.sh build

# Herald against nginx, hugo and WordPress in one run (bench/run.sh);
# writes bench/results/. BENCH_N="1000 10000 100000" by default.
bench: deps all
	bash bench/run.sh

lint:
	mandoc -Tlint -W warning man/herald.1 man/herald.conf.5

# libFuzzer drivers for every parser, FUZZ_SECONDS each.
FUZZ_SECONDS ?= 60
FUZZERS = $(patsubst fuzz/%.c,build/fuzz/%,$(wildcard fuzz/*.c))

build/fuzz/%: fuzz/%.c $(SRCS) $(HDRS) build/gen/embed.c
	@mkdir -p $(@D)
	clang $(CSTD) -g -O1 -fsanitize=fuzzer,address,undefined $(PKGCFLAGS) \
	    -Isrc -Ibuild/gen -o $@ $< $(SRCS) build/gen/embed.c $(PKGLIBS)

fuzz: $(FUZZERS)
	@for f in $(FUZZERS); do \
	    mkdir -p build/fuzz/corpus-$${f##*/}; \
	    echo "fuzz: $$f for $(FUZZ_SECONDS) s"; \
	    $$f -max_total_time=$(FUZZ_SECONDS) -max_len=65536 \
	        build/fuzz/corpus-$${f##*/} > $$f.log 2>&1 || \
	        { tail -40 $$f.log; exit 1; }; \
	    tail -1 $$f.log; \
	done

golden: build/test-unit
	HERALD_GOLDEN_UPDATE=1 build/test-unit md

format:
	clang-format -i src/*.c src/*.h tools/*.c tests/unit/*.c

install: build/herald
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/man/man1 \
	    $(DESTDIR)$(PREFIX)/share/man/man5
	install -m 755 build/herald $(DESTDIR)$(PREFIX)/bin/herald
	install -m 644 man/herald.1 $(DESTDIR)$(PREFIX)/share/man/man1/herald.1
	install -m 644 man/herald.conf.5 $(DESTDIR)$(PREFIX)/share/man/man5/herald.conf.5

uninstall:
	rm -f $(DESTDIR)$(PREFIX)/bin/herald \
	    $(DESTDIR)$(PREFIX)/share/man/man1/herald.1 \
	    $(DESTDIR)$(PREFIX)/share/man/man5/herald.conf.5

clean:
	rm -rf build
