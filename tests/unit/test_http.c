/* test_http.c: the Range header of upload requests (http_range): a table
 * of headers and body sizes against the part they ask for. */
#include <stdint.h>
#include <string.h>

#include "extern.h"
#include "unit.h"

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
}
