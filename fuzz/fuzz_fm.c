/*
 * fuzz_fm.c: libFuzzer driver for fm_parse() (front matter).
 *
 * clang -std=c17 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE -g -O1 \
 *     -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
 *     -Isrc -o build/fuzz_fm fuzz/fuzz_fm.c src/fm.c src/arena.c src/val.c \
 *     src/buf.c
 * mkdir -p build/fuzz_fm.corpus
 * build/fuzz_fm -max_total_time=60 -max_len=8192 build/fuzz_fm.corpus \
 *     tests/data/fm content/news
 *
 * Besides memory errors it aborts when a result breaks the contract: the
 * body is not the tail of the input, a string holds a NUL or bad UTF-8,
 * nesting passes 8 levels, or an error is not one "line N: ..." line.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "extern.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* 1 when s[0..n) is valid UTF-8 without NUL. */
static int
fuzz_fm_utf8(const unsigned char *s, size_t n)
{
	size_t i = 0, k, j;
	unsigned long cp;

	while (i < n) {
		if (s[i] == 0)
			return 0;
		if (s[i] < 0x80) {
			i++;
			continue;
		}
		if (s[i] >= 0xc2 && s[i] < 0xe0)
			k = 2, cp = s[i] & 0x1f;
		else if (s[i] >= 0xe0 && s[i] < 0xf0)
			k = 3, cp = s[i] & 0x0f;
		else if (s[i] >= 0xf0 && s[i] < 0xf5)
			k = 4, cp = s[i] & 0x07;
		else
			return 0;
		if (n - i < k)
			return 0;
		for (j = 1; j < k; j++) {
			if ((s[i + j] & 0xc0) != 0x80)
				return 0;
			cp = cp << 6 | (s[i + j] & 0x3f);
		}
		if ((k == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
		    (k == 4 && (cp < 0x10000 || cp > 0x10ffff)))
			return 0;
		i += k;
	}
	return 1;
}

/* Checks the tree below v, which sits at nesting level depth. */
static void
fuzz_fm_walk(const struct val *v, int depth)
{
	size_t i;

	switch (v->type) {
	case VAL_STR:
		if (v->u.str.s[v->u.str.len] != '\0' ||
		    !fuzz_fm_utf8((const unsigned char *)v->u.str.s,
		    v->u.str.len))
			abort();
		break;
	case VAL_LIST:
		if (depth > 8)
			abort();
		for (i = 0; i < v->u.list.n; i++)
			fuzz_fm_walk(v->u.list.items[i], depth + 1);
		break;
	case VAL_OBJ:
		if (depth > 8)
			abort();
		for (i = 0; i < v->u.obj.n; i++) {
			if (v->u.obj.kv[i].key[0] == '\0' ||
			    !fuzz_fm_utf8((const unsigned char *)
			    v->u.obj.kv[i].key, strlen(v->u.obj.kv[i].key)))
				abort();
			fuzz_fm_walk(v->u.obj.kv[i].v, depth + 1);
		}
		break;
	default:
		abort();
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct arena *a = arena_new();
	const char *src = size ? (const char *)data : "", *body = NULL;
	struct val *meta = NULL;
	size_t bodylen = 0;
	char err[256];

	if (fm_parse(a, src, size, &meta, &body, &bodylen, err,
	    sizeof(err)) == 0) {
		if (meta == NULL || meta->type != VAL_OBJ || body == NULL ||
		    body < src || body + bodylen != src + size)
			abort();
		fuzz_fm_walk(meta, 1);
	} else if (strncmp(err, "line ", 5) != 0 ||
	    strchr(err, '\n') != NULL || meta != NULL || body != NULL)
		abort();
	arena_free(a);
	return 0;
}
