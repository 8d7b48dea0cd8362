/* test_totp.c: TOTP codes against the RFC 6238 vectors, the window and
 * replay rules, malformed codes, secrets, the otpauth URI and recovery
 * codes. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "extern.h"
#include "unit.h"

/* "12345678901234567890" in base32: the SHA-1 key of RFC 6238. */
#define RFC_B32 "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"

static void
test_totp_rfc(void)
{
	/* RFC 6238 appendix B, SHA-1: the last 6 of the 8 digits. */
	static const struct {
		time_t t;
		const char *want;
	} vec[] = {
	    {59, "287082"},
	    {1111111109, "081804"},
	    {1111111111, "050471"},
	    {1234567890, "005924"},
	    {2000000000, "279037"},
	};
	char code[7];
	size_t i;

	for (i = 0; i < sizeof(vec) / sizeof(*vec); i++) {
		memset(code, 0, sizeof(code));
		CHECK(totp_code(RFC_B32, vec[i].t, code) == 0 &&
			strcmp(code, vec[i].want) == 0,
		    "totp_code at %lld: \"%s\", want %s", (long long)vec[i].t,
		    code, vec[i].want);
	}
	CHECK(totp_code("gezdgnbvgy3tqojq gezdgnbvgy3tqojq", 59, code) == 0 &&
		strcmp(code, "287082") == 0,
	    "lowercase secret with a space: \"%s\"", code);
	CHECK(totp_code("GEZ1", 59, code) == -1, "bad base32 taken");
	CHECK(totp_code("GEZDGNBV", 59, code) == -1, "5-byte secret taken");
	CHECK(totp_code("", 59, code) == -1, "empty secret taken");
	CHECK(totp_code(NULL, 59, code) == -1, "NULL secret taken");
}

static void
test_totp_check(void)
{
	static const struct {
		const char *code;
	} bad[] = {
	    {""},
	    {"12345"},
	    {"1234567"},
	    {"12a456"},
	    {"12345 "},
	    {"-12345"},
	    {"123456\n"},
	    {"１２３４５６"},
	};
	const time_t t = 1111111111; /* mid step 37037037 */
	char code[7], spaced[16], other[7];
	long long last;
	size_t i;

	/* The code of t itself, and with spaces. */
	CHECK(totp_code(RFC_B32, t, code) == 0, "totp_code");
	last = 0;
	CHECK(totp_check(RFC_B32, code, t, &last) == 0, "own code refused");
	CHECK(
	    last == t / 30, "last %lld, want %lld", last, (long long)(t / 30));
	CHECK(totp_check(RFC_B32, code, t, &last) == -1, "replay taken");
	CHECK(totp_check(RFC_B32, code, t + 5, &last) == -1,
	    "replay within the step taken");
	CHECK(last == t / 30, "a refusal changed last");

	snprintf(spaced, sizeof(spaced), "%.3s %.3s", code, code + 3);
	last = 0;
	CHECK(totp_check(RFC_B32, spaced, t, &last) == 0, "\"%s\" refused",
	    spaced);
	snprintf(spaced, sizeof(spaced), " %.2s %.2s %.2s ", code, code + 2,
	    code + 4);
	last = 0;
	CHECK(totp_check(RFC_B32, spaced, t, &last) == 0, "\"%s\" refused",
	    spaced);

	/* One step either side is taken, three are not. */
	last = 0;
	CHECK(totp_check(RFC_B32, code, t - 30, &last) == 0,
	    "code of t refused at t-30");
	CHECK(last == t / 30, "last after t-30: %lld", last);
	last = 0;
	CHECK(totp_check(RFC_B32, code, t + 30, &last) == 0,
	    "code of t refused at t+30");
	last = 0;
	CHECK(totp_check(RFC_B32, code, t - 90, &last) == -1,
	    "code of t taken at t-90");
	CHECK(totp_check(RFC_B32, code, t + 90, &last) == -1,
	    "code of t taken at t+90");
	CHECK(last == 0, "a refusal changed last");

	/* After the code of step s+1, the code of step s is a replay even
	 * though it is inside the window. */
	CHECK(totp_code(RFC_B32, t + 30, other) == 0, "totp_code t+30");
	last = 0;
	CHECK(totp_check(RFC_B32, other, t, &last) == 0, "next step refused");
	CHECK(last == t / 30 + 1, "last %lld", last);
	if (strcmp(other, code) != 0)
		CHECK(totp_check(RFC_B32, code, t, &last) == -1,
		    "earlier step taken after a later one");

	/* Malformed codes and arguments. */
	for (i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		last = 0;
		CHECK(totp_check(RFC_B32, bad[i].code, t, &last) == -1 &&
			last == 0,
		    "code \"%s\" taken", bad[i].code);
	}
	last = 0;
	CHECK(totp_check(RFC_B32, NULL, t, &last) == -1, "NULL code");
	CHECK(totp_check(NULL, code, t, &last) == -1, "NULL secret");
	CHECK(totp_check(RFC_B32, code, t, NULL) == -1, "NULL last");
	CHECK(totp_check("GEZ1", "123456", t, &last) == -1, "bad secret");
	CHECK(last == 0, "a refusal changed last");
}

static void
test_totp_secret(void)
{
	char s1[TOTP_SECRET_B32], s2[TOTP_SECRET_B32], code[7];
	long long last = 0;
	size_t i;

	memset(s1, 'x', sizeof(s1));
	totp_secret_new(s1);
	totp_secret_new(s2);
	CHECK(strlen(s1) == 32 && strlen(s2) == 32, "secret length %zu",
	    strlen(s1));
	CHECK(strspn(s1, "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567") == 32,
	    "secret \"%s\" not base32", s1);
	CHECK(strcmp(s1, s2) != 0, "two secrets the same: %s", s1);
	CHECK(totp_code(s1, 1700000000, code) == 0 &&
		totp_check(s1, code, 1700000000, &last) == 0,
	    "a new secret's code refused");
	for (i = 0; i < 6; i++)
		CHECK(code[i] >= '0' && code[i] <= '9', "code \"%s\"", code);
}

static void
test_totp_uri(void)
{
	struct buf b;

	buf_init(&b, 0);
	totp_uri(&b, "Herald Site", "ann+x@example.org", RFC_B32);
	CHECK(b.data != NULL &&
		strcmp(b.data,
		    "otpauth://totp/Herald%20Site:ann%2Bx%40"
		    "example.org?secret=" RFC_B32
		    "&issuer=Herald%20Site&algorithm=SHA1"
		    "&digits=6&period=30") == 0,
	    "uri \"%s\"", b.data ? b.data : "(null)");
	free(b.data);

	buf_init(&b, 0);
	totp_uri(&b, "A:B&C", "x?y", RFC_B32);
	CHECK(b.data != NULL && strstr(b.data, "totp/A%3AB%26C:x%3Fy?") &&
		strstr(b.data, "&issuer=A%3AB%26C&"),
	    "uri \"%s\"", b.data ? b.data : "(null)");
	free(b.data);
}

static size_t
count_dashes(const char *s)
{
	size_t n = 0;

	for (; *s != '\0'; s++)
		n += *s == '-';
	return n;
}

static void
test_totp_recovery(void)
{
	static const struct {
		const char *typed;
		int want;
	} forms[] = {
	    {"ABCD-EFGH-JK", 0},
	    {"abcd-efgh-jk", 0},
	    {"abcdefghjk", 0},
	    {"ABCD EFGH JK", 0},
	    {" aBcD - eFgH - jK ", 0},
	    {"A-B-C-D-E-F-G-H-J-K", 0},
	    {"ABCDE-FGHJK", 0},
	    {"ABCD-EFGH-J", -1},   /* 9 */
	    {"ABCD-EFGH-JKM", -1}, /* 11 */
	    {"ABCD-EFGH-JI", -1},  /* I is a look-alike */
	    {"ABCD-EFGH-J0", -1},  /* so is 0 */
	    {"ABCD-EFGH-J8", -1},
	    {"ABCD-EFGH-JL", -1},
	    {"ABCD-EFGH-JO", -1},
	    {"ABCD_EFGH_JK", -1},
	    {"ABCD\tEFGH-JK", -1},
	    {"", -1},
	    {"----------", -1},
	};
	char codes[TOTP_RECOVERY_N][TOTP_RECOVERY_LEN];
	unsigned char want[TOTP_HASH_LEN], h[TOTP_HASH_LEN];
	size_t i, j;

	totp_recovery_new(codes);
	for (i = 0; i < TOTP_RECOVERY_N; i++) {
		CHECK(strlen(codes[i]) == 12 && codes[i][4] == '-' &&
			codes[i][9] == '-',
		    "recovery code \"%s\" is XXXX-XXXX-XX", codes[i]);
		for (j = 0; codes[i][j] != '\0'; j++)
			CHECK(codes[i][j] == '-' ||
				strchr("ABCDEFGHJKMNPQRSTUVWXYZ234567",
				    codes[i][j]) != NULL,
			    "code \"%s\" char %zu", codes[i], j);
		CHECK(
		    j - count_dashes(codes[i]) == 10, "code \"%s\"", codes[i]);
		for (j = 0; j < i; j++)
			CHECK(strcmp(codes[i], codes[j]) != 0,
			    "codes %zu and %zu the same", i, j);
		CHECK(totp_recovery_hash(codes[i], h) == 0, "hash of \"%s\"",
		    codes[i]);
	}

	CHECK(totp_recovery_hash("ABCD-EFGH-JK", want) == 0, "hash");
	for (i = 0; i < sizeof(forms) / sizeof(*forms); i++) {
		memset(h, 0, sizeof(h));
		CHECK(totp_recovery_hash(forms[i].typed, h) == forms[i].want,
		    "totp_recovery_hash(\"%s\") != %d", forms[i].typed,
		    forms[i].want);
		if (forms[i].want == 0)
			CHECK(memcmp(h, want, sizeof(h)) == 0,
			    "hash of \"%s\" differs", forms[i].typed);
	}
	CHECK(totp_recovery_hash(NULL, h) == -1, "NULL taken");
	CHECK(totp_recovery_hash("ABCD-EFGH-JM", h) == 0 &&
		memcmp(h, want, sizeof(h)) != 0,
	    "two codes hash the same");
	/* BLAKE2b-256 of the normalised code, nothing else. */
	crypto_generichash(want, sizeof(want),
	    (const unsigned char *)"ABCDEFGHJK", 10, NULL, 0);
	CHECK(totp_recovery_hash("abcd-efgh-jk", h) == 0 &&
		memcmp(h, want, sizeof(h)) == 0,
	    "hash is not BLAKE2b of the normalised code");
}

void
test_totp(void)
{
	if (sodium_init() < 0) {
		CHECK(0, "sodium_init");
		return;
	}
	test_totp_rfc();
	test_totp_check();
	test_totp_secret();
	test_totp_uri();
	test_totp_recovery();
}
