/*
 * fuzz_search.c: libFuzzer driver for search_query() (the user's words
 * into an FTS5 query) and stem_next()/stem_word() (the tokenizer's words).
 *
 * make build/fuzz/fuzz_search && build/fuzz/fuzz_search -max_len=4096
 *
 * Besides memory errors it aborts when a result breaks the contract: a
 * word is empty, longer than STEM_WORD_MAX or not inside the input, the
 * query has an unquoted '"' or any byte but the markers outside its quoted
 * words, " AND ", and '*', or more than SEARCH_TERMS_MAX words.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "extern.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static struct stem *fuzz_stem;

/* Checks the shape of an FTS5 query from search_query(). */
static void
fuzz_search_check(const char *q, size_t n, int terms)
{
	size_t i = 0;
	int seen = 0;

	while (i < n) {
		if (seen > 0) {
			if (n - i < 5 || memcmp(q + i, " AND ", 5) != 0)
				abort();
			i += 5;
		}
		if (q[i++] != '"')
			abort();
		for (;;) {
			if (i >= n)
				abort(); /* an open quoted string */
			if (q[i] == '"') {
				if (i + 1 < n && q[i + 1] == '"') {
					i += 2;
					continue;
				}
				i++;
				break;
			}
			i++;
		}
		if (i < n && q[i] == '*')
			i++;
		seen++;
	}
	if (seen != terms)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data;
	char word[STEM_WORD_MAX];
	size_t pos = 0, start, end, n, sl, last = 0;
	struct buf b;
	int terms;

	if (fuzz_stem == NULL && (fuzz_stem = stem_new("en")) == NULL)
		abort();
	while ((n = stem_next(s, size, &pos, &start, &end, word,
	            sizeof(word))) > 0) {
		if (n > sizeof(word) || start < last || end <= start ||
		    end > size || pos != end)
			abort();
		last = end;
		(void)stem_word(fuzz_stem, word, n, &sl);
	}
	buf_init(&b, 0);
	terms = search_query(s, size, "en", &b);
	if (terms > SEARCH_TERMS_MAX || terms < -1)
		abort();
	if (terms >= 0 && !b.err)
		fuzz_search_check(b.len ? b.data : "", b.len, terms);
	buf_free(&b);
	return 0;
}
