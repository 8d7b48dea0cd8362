/* fuzz_json.c: libFuzzer driver for json.c; whatever parses is written,
 * and what was written must parse again and write the very same text, with
 * no raw < > & in it.
 *
 * clang -g -O1 -fsanitize=fuzzer,address,undefined -std=c17 \
 *     -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE -Isrc \
 *     -o build/fuzz_json fuzz/fuzz_json.c src/json.c src/val.c \
 *     src/buf.c src/arena.c -lm
 * mkdir -p build/fuzz-json-corpus
 * build/fuzz_json -max_total_time=60 -artifact_prefix=build/ \
 *     build/fuzz-json-corpus tests/data/mustache
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "extern.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void
fuzz_fail(const char *why, const struct buf *b1, const struct buf *b2)
{
	fprintf(stderr,
	    "fuzz_json: %s\n--- first ---\n%.*s\n--- second "
	    "---\n%.*s\n",
	    why, (int)b1->len, b1->data ? b1->data : "", (int)b2->len,
	    b2->data ? b2->data : "");
	abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct arena *a = arena_new();
	struct val *v;
	struct buf b1, b2;
	char err[256];

	buf_init(&b1, 0);
	buf_init(&b2, 0);
	err[0] = 'x';
	v = json_parse(a, (const char *)data, size, err, sizeof(err));
	if (v == NULL) {
		if (strncmp(err, "line ", 5) != 0)
			fuzz_fail("no error message", &b1, &b2);
		goto done;
	}
	json_write(&b1, v);
	if (b1.err)
		fuzz_fail("write failed", &b1, &b2);
	if (memchr(b1.data, '<', b1.len) || memchr(b1.data, '>', b1.len) ||
	    memchr(b1.data, '&', b1.len))
		fuzz_fail("raw < > & in the output", &b1, &b2);
	if ((v = json_parse(a, b1.data, b1.len, err, sizeof(err))) == NULL)
		fuzz_fail(err, &b1, &b2);
	json_write(&b2, v);
	if (b1.len != b2.len || memcmp(b1.data, b2.data, b1.len) != 0)
		fuzz_fail("written twice, not the same", &b1, &b2);
done:
	buf_free(&b1);
	buf_free(&b2);
	arena_free(a);
	return 0;
}
