/*
 * fuzz_http.c: libFuzzer driver for the request headers http.c reads
 * itself: Accept-Encoding (http_accept_encoding) and Range (http_range).
 *
 * make fuzz (FUZZ_SECONDS each), or build/fuzz/fuzz_http -max_len=4096 DIR
 *
 * The input is one header value; the first 8 bytes (when there are more)
 * give the body size Range is read against. Besides memory errors it
 * aborts when a result breaks the contract: codings other than the three
 * bits, brotli first without brotli; a part that is not inside the body,
 * or outputs touched when no part is given.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "extern.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint64_t body = 1000, from = 7, to = 7;
	char *h;
	int enc, k;

	if (size > 8) {
		memcpy(&body, data, 8);
		data += 8;
		size -= 8;
	}
	if ((h = malloc(size + 1)) == NULL)
		return 0;
	memcpy(h, data, size);
	h[size] = '\0';
	enc = http_accept_encoding(h);
	if ((enc & ~(HTTP_ENC_GZIP | HTTP_ENC_BR | HTTP_ENC_BR_FIRST)) != 0 ||
	    ((enc & HTTP_ENC_BR_FIRST) && !(enc & HTTP_ENC_BR)))
		abort();
	k = http_range(h, body, &from, &to);
	if (k == 1 && !(from <= to && to < body))
		abort();
	if (k != 1 && (from != 7 || to != 7))
		abort();
	if (k < -1 || k > 1)
		abort();
	free(h);
	return 0;
}
