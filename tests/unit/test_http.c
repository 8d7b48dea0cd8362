/* test_http.c: the Range header of upload requests (http_range): a table
 * of headers and body sizes against the part they ask for; and the codings
 * an Accept-Encoding header allows (http_accept_encoding). */
#include <stdint.h>
#include <string.h>

#include "extern.h"
#include "unit.h"

static void
test_http_accept(void)
{
	enum {
		GZ = HTTP_ENC_GZIP,
		BR = HTTP_ENC_BR,
		BR1 = HTTP_ENC_BR | HTTP_ENC_BR_FIRST
	};
	static const struct {
		const char *h;
		int want;
	} cases[] = {
	    {NULL, 0},
	    {"", 0},
	    {"identity", 0},
	    {"gzip", GZ},
	    {"GZip", GZ},
	    {"x-gzip", GZ},
	    {"gzip, deflate, br", GZ | BR1},
	    {"gzip, deflate, br, zstd", GZ | BR1},
	    {"br", BR1},
	    {"gzip;q=0.5, br", GZ | BR1},
	    {"gzip, br;q=0.5", GZ | BR},
	    {"gzip;q=0.5,br;q=0.5", GZ | BR1}, /* a tie: the smaller */
	    {"br;q=0, gzip", GZ},
	    {"br; q=0 , gzip ; q=1", GZ},
	    {"br;Q=0, gzip", GZ},
	    {"gzip;q=0", 0},
	    {"gzip;q=0.000", 0},
	    {"gzip;q=0.001", GZ},
	    {"gzip;q=1.000", GZ},
	    {"gzip;q=", 0},   /* unreadable: refused */
	    {"gzip;q=abc", 0},
	    {"gzip;q=2", 0},
	    {"gzip;level=1;q=0.5", GZ},
	    {"*", GZ | BR1},
	    {"*;q=0", 0},
	    {"br;q=0, *", GZ},
	    {"*;q=0.1, gzip", GZ | BR},
	    {"gzip, gzip;q=0", GZ}, /* named twice: the first says it */
	    {"gzipx, brotli, b", 0},
	    {",,, ;q=1, br", BR1},
	    {"deflate;q=0.5", 0},
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		int got = http_accept_encoding(cases[i].h);

		CHECK(got == cases[i].want, "Accept-Encoding %s: %d, want %d",
		    cases[i].h ? cases[i].h : "(none)", got, cases[i].want);
	}
}

void
test_http(void)
{
	static const struct {
		const char *h;
		uint64_t size;
		int want;	   /* 1: a part, -1: 416, 0: the whole body */
		uint64_t from, to; /* when want is 1 */
	} cases[] = {
	    {NULL, 100, 0, 0, 0},
	    {"", 100, 0, 0, 0},
	    {"bytes=0-9", 100, 1, 0, 9},
	    {"bytes=10-19", 100, 1, 10, 19},
	    {"bytes=0-0", 100, 1, 0, 0},
	    {"bytes=99-99", 100, 1, 99, 99},
	    {"bytes=90-", 100, 1, 90, 99},
	    {"bytes=0-", 100, 1, 0, 99},
	    {"bytes=90-1000", 100, 1, 90, 99}, /* the end is cut to the size */
	    {"bytes=-10", 100, 1, 90, 99},     /* the last 10 */
	    {"bytes=-1000", 100, 1, 0, 99},    /* more than there is: all */
	    {"BYTES=1-2", 100, 1, 1, 2}, /* the unit is case-insensitive */
	    {"bytes = 1-2 ", 100, 1, 1, 2},
	    {"bytes=100-", 100, -1, 0, 0}, /* starts past the end */
	    {"bytes=100-200", 100, -1, 0, 0},
	    {"bytes=-0", 100, -1, 0, 0},     /* an empty suffix */
	    {"bytes=0-", 0, -1, 0, 0},	     /* nothing to give */
	    {"bytes=5-4", 100, 0, 0, 0},     /* last before first: invalid */
	    {"bytes=0-1,5-6", 100, 0, 0, 0}, /* several ranges: all */
	    {"bytes=-", 100, 0, 0, 0},
	    {"bytes=a-b", 100, 0, 0, 0},
	    {"bytes=1", 100, 0, 0, 0},
	    {"bytes 1-2", 100, 0, 0, 0},
	    {"items=1-2", 100, 0, 0, 0},
	    {"bytes=1-2x", 100, 0, 0, 0},
	    {"bytes=+1-2", 100, 0, 0, 0},
	    {"bytes=99999999999999999999-", 100, 0, 0, 0}, /* too long */
	    {"bytes=18446744073709551615-", 100, -1, 0, 0},
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		uint64_t from = 7, to = 7;
		int k = http_range(cases[i].h, cases[i].size, &from, &to);

		CHECK(k == cases[i].want, "Range %s of %llu: %d, want %d",
		    cases[i].h ? cases[i].h : "(none)",
		    (unsigned long long)cases[i].size, k, cases[i].want);
		if (k == 1 && cases[i].want == 1)
			CHECK(from == cases[i].from && to == cases[i].to,
			    "Range %s of %llu: %llu-%llu, want %llu-%llu",
			    cases[i].h, (unsigned long long)cases[i].size,
			    (unsigned long long)from, (unsigned long long)to,
			    (unsigned long long)cases[i].from,
			    (unsigned long long)cases[i].to);
		else
			CHECK(from == 7 && to == 7,
			    "Range %s: the outputs stay untouched",
			    cases[i].h ? cases[i].h : "(none)");
	}

	test_http_accept();
}
