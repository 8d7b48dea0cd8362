/* fuzz_tmpl.c: libFuzzer driver for tmpl.c; the input is up to four
 * templates split at NUL bytes (the page "t", then "p", "q" and "layout",
 * which the page may use as partials or parents). Each renders with data
 * whose strings carry <zz, "zz and 'zz; with TMPL_STRICT none of these may
 * reach the output when no template holds a 'z' (which could build them).
 *
 * clang -g -O1 -fsanitize=fuzzer,address,undefined -std=c17 \
 *     -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE -Isrc \
 *     -o build/fuzz_tmpl fuzz/fuzz_tmpl.c src/tmpl.c src/json.c \
 *     src/val.c src/html.c src/buf.c src/arena.c -lm
 * mkdir -p build/fuzz-tmpl-corpus
 * build/fuzz_tmpl -max_total_time=60 -timeout=10 -artifact_prefix=build/ \
 *     build/fuzz-tmpl-corpus
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "extern.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static const char fuzz_data[] =
    "{\"a\":\"<zz\\\"zz'zz&\",\"u\":\"javascript:<zz\",\"e\":\"\","
    "\"n\":1.5,\"i\":-3,\"t\":true,\"f\":false,\"0\":null,"
    "\"l\":[\"<zz\",{\"a\":\"'zz\"},[1,2],\"\"],"
    "\"o\":{\"a\":\"\\\"zz\",\"o\":{\"u\":\"/x?<zz\"}},"
    "\"r\":[{\"r\":[]}],\"x\":\"a b\\tc\\nd\"}";

static void
fuzz_fail(const char *why, const struct buf *out)
{
	fprintf(stderr, "fuzz_tmpl: %s\n--- output ---\n%.*s\n", why,
	    (int)out->len, out->data != NULL ? out->data : "");
	abort();
}

/* 1 when s[0, n) holds pat. */
static int
fuzz_has(const char *s, size_t n, const char *pat)
{
	size_t plen = strlen(pat), i;

	for (i = 0; i + plen <= n; i++)
		if (memcmp(s + i, pat, plen) == 0)
			return 1;
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const names[] = {"t", "p", "q", "layout"};
	static const char *const poison[] = {"<zz", "\"zz", "'zz"};
	const char *s = (const char *)data, *end = s + size, *nul;
	struct tmpl_set *set;
	struct arena *a;
	struct val *ctx;
	struct buf out;
	char err[256];
	size_t i, len;
	int check = 1, rc;
	unsigned flags;

	set = tmpl_set_new();
	for (i = 0; i < 4 && s <= end; i++) {
		nul = memchr(s, '\0', (size_t)(end - s));
		len = nul != NULL ? (size_t)(nul - s) : (size_t)(end - s);
		if (tmpl_set_add(set, names[i], s, len, err, sizeof(err)) ==
		    -1) {
			if (strncmp(err, names[i], strlen(names[i])) != 0 ||
			    err[strlen(names[i])] != ':')
				abort(); /* errors are "name:line: reason" */
		}
		if (memchr(s, 'z', len) != NULL)
			check = 0;
		s += len + 1;
	}

	a = arena_new();
	ctx = json_parse(a, fuzz_data, sizeof(fuzz_data) - 1, err, sizeof(err));
	if (ctx == NULL)
		abort();
	val_set(a, ctx, "h", val_html(a, "<b>&amp;</b>", 12));
	for (flags = 0; flags <= TMPL_STRICT; flags++) {
		buf_init(&out, (size_t)1 << 20);
		rc = tmpl_render(set, "t", ctx, flags, &out);
		if (rc == 0 && out.err)
			fuzz_fail("success with an overflowed buffer", &out);
		if (rc == -1 && out.len != 0)
			fuzz_fail("failure left output behind", &out);
		for (i = 0; check && flags == TMPL_STRICT && i < 3; i++)
			if (fuzz_has(out.data, out.len, poison[i]))
				fuzz_fail(poison[i], &out);
		buf_free(&out);
	}
	arena_free(a);
	tmpl_set_free(set);
	return 0;
}
