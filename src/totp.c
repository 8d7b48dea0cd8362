/* totp.c: the second factor: TOTP codes (RFC 6238 via liboath) and
 * one-time recovery codes stored as hashes. */
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <liboath/oath.h>
#include <sodium.h>

#include "extern.h"

#define TOTP_STEP 30	    /* seconds per time step (RFC 6238 default) */
#define TOTP_DIGITS 6	    /* digits of a code */
#define TOTP_KEY_BYTES 20   /* bytes of a new secret (160 bits, RFC 4226) */
#define TOTP_KEY_MAX 64	    /* most secret bytes taken */
#define TOTP_KEY_MIN 16	    /* fewest secret bytes taken (128 bits, R6) */
#define TOTP_RECOVERY_CH 10 /* significant characters of a recovery code */

/* RFC 4648 base32, the alphabet of secrets. */
static const char totp_b32[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/* RFC 4648 base32 without the look-alikes I, L and O (0, 1 and 8 are not
 * in it anyway): 29 symbols, so a recovery code carries 48.6 bits. */
static const char totp_rc_alpha[] = "ABCDEFGHJKMNPQRSTUVWXYZ234567";

/* Where a recovery code "XXXX-XXXX-XX" has its dashes. */
#define TOTP_RC_DASH(j) ((j) == 4 || (j) == 8)
_Static_assert(TOTP_RECOVERY_LEN >= 13, "room for a recovery code");

static pthread_once_t totp_once = PTHREAD_ONCE_INIT;
static int totp_oath_rc = -1;

static void
totp_oath_init(void)
{
	totp_oath_rc = oath_init() == OATH_OK ? 0 : -1;
}

/* Initialises liboath once per process; 0 or -1. */
static int
totp_init(void)
{
	if (pthread_once(&totp_once, totp_oath_init) != 0)
		return -1;
	return totp_oath_rc;
}

/* Decodes secret b32 (case and spaces do not matter) into key (size
 * TOTP_KEY_MAX). Returns the key's length, or -1 when b32 is no base32 or
 * too short or long. The caller wipes key. */
static int
totp_key(const char *b32, char key[TOTP_KEY_MAX])
{
	char *raw = NULL;
	size_t rawlen = 0;
	int rc = -1;

	if (b32 == NULL || totp_init() == -1)
		return -1;
	if (oath_base32_decode(b32, strlen(b32), &raw, &rawlen) != OATH_OK)
		return -1;
	if (raw == NULL || rawlen < TOTP_KEY_MIN || rawlen > TOTP_KEY_MAX)
		goto done;
	memcpy(key, raw, rawlen);
	rc = (int)rawlen;
done:
	if (raw != NULL) {
		sodium_memzero(raw, rawlen);
		free(raw);
	}
	return rc;
}

/* The code of key for time step step into code (7 bytes); 0 or -1. */
static int
totp_step_code(const char *key, size_t keylen, long long step, char code[7])
{
	if (step < 0)
		return -1;
	return oath_totp_generate2(key, keylen, (time_t)(step * TOTP_STEP),
		   TOTP_STEP, OATH_TOTP_DEFAULT_START_TIME, TOTP_DIGITS, 0,
		   code) == OATH_OK
	    ? 0
	    : -1;
}

void
totp_secret_new(char b32[TOTP_SECRET_B32])
{
	unsigned char key[TOTP_KEY_BYTES];
	unsigned int acc = 0;
	size_t i, n = 0;
	int bits = 0;

	/* 20 bytes are 160 bits: exactly 32 base32 digits, no padding. */
	randombytes_buf(key, sizeof(key));
	for (i = 0; i < sizeof(key); i++) {
		acc = (acc << 8) | key[i];
		bits += 8;
		while (bits >= 5) {
			bits -= 5;
			b32[n++] = totp_b32[(acc >> bits) & 31];
		}
		acc &= (1u << bits) - 1;
	}
	b32[n] = '\0';
	sodium_memzero(key, sizeof(key));
	sodium_memzero(&acc, sizeof(acc));
}

void
totp_uri(
    struct buf *out, const char *issuer, const char *account, const char *b32)
{
	buf_puts(out, "otpauth://totp/");
	html_pct(out, issuer, strlen(issuer));
	buf_putc(out, ':');
	html_pct(out, account, strlen(account));
	buf_puts(out, "?secret=");
	html_pct(out, b32, strlen(b32));
	buf_puts(out, "&issuer=");
	html_pct(out, issuer, strlen(issuer));
	buf_puts(out, "&algorithm=SHA1&digits=6&period=30");
}

/* A NULL or malformed secret, or one under 16 bytes, gives -1. */
int
totp_code(const char *b32, time_t t, char code[7])
{
	char key[TOTP_KEY_MAX];
	int keylen, rc = -1;

	if (t < 0 || (keylen = totp_key(b32, key)) == -1)
		goto done;
	rc = totp_step_code(
	    key, (size_t)keylen, (long long)(t / TOTP_STEP), code);
done:
	sodium_memzero(key, sizeof(key));
	return rc;
}

/*
 * Takes the six digits of code into want (NUL-terminated), skipping
 * spaces; anything else, or another number of digits, returns -1.
 */
static int
totp_digits(const char *code, char want[TOTP_DIGITS + 1])
{
	size_t n = 0;

	for (; *code != '\0'; code++) {
		if (*code == ' ')
			continue;
		if (*code < '0' || *code > '9' || n == TOTP_DIGITS)
			return -1;
		want[n++] = *code;
	}
	want[n] = '\0';
	return n == TOTP_DIGITS ? 0 : -1;
}

/* NULL b32, code or last, and a time before 1970, are refused (-1). */
int
totp_check(const char *b32, const char *code, time_t now, long long *last)
{
	char key[TOTP_KEY_MAX], typed[TOTP_DIGITS + 1], got[7];
	long long step, s, match = -1;
	int keylen, rc = -1;

	if (code == NULL || last == NULL || now < 0)
		goto done;
	if (totp_digits(code, typed) == -1)
		goto done;
	if ((keylen = totp_key(b32, key)) == -1)
		goto done;
	step = (long long)(now / TOTP_STEP);
	/* Look at every step of the window (no early exit), and prefer the
	 * latest that matches so a replay is never made easier. */
	for (s = step - 1; s <= step + 1; s++) {
		if (s <= *last || totp_step_code(key, (size_t)keylen, s, got))
			continue;
		if (sodium_memcmp(got, typed, TOTP_DIGITS) == 0)
			match = s;
	}
	if (match != -1) {
		*last = match;
		rc = 0;
	}
done:
	sodium_memzero(key, sizeof(key));
	sodium_memzero(typed, sizeof(typed));
	sodium_memzero(got, sizeof(got));
	return rc;
}

void
totp_recovery_new(char codes[TOTP_RECOVERY_N][TOTP_RECOVERY_LEN])
{
	size_t i, j, n;
	char c;

	for (i = 0; i < TOTP_RECOVERY_N; i++) {
		/* Codes are random (48.6 bits each), so two the same would be
		 * a broken generator; redraw anyway so the set is distinct. */
		do {
			for (j = n = 0; j < TOTP_RECOVERY_CH; j++) {
				if (TOTP_RC_DASH(j))
					codes[i][n++] = '-';
				c = totp_rc_alpha[randombytes_uniform(
				    sizeof(totp_rc_alpha) - 1)];
				codes[i][n++] = c;
			}
			codes[i][n] = '\0';
			for (j = 0; j < i; j++)
				if (strcmp(codes[i], codes[j]) == 0)
					break;
		} while (j < i);
	}
}

int
totp_recovery_hash(const char *typed, unsigned char h[TOTP_HASH_LEN])
{
	char norm[TOTP_RECOVERY_CH];
	size_t n = 0;
	int c, rc = -1;

	if (typed == NULL)
		return -1;
	for (; *typed != '\0'; typed++) {
		if (*typed == ' ' || *typed == '-')
			continue;
		c = (unsigned char)*typed;
		if (c >= 'a' && c <= 'z')
			c -= 'a' - 'A'; /* ASCII only, whatever the locale */
		if (strchr(totp_rc_alpha, c) == NULL || n == sizeof(norm))
			goto done;
		norm[n++] = (char)c;
	}
	if (n != sizeof(norm))
		goto done;
	if (crypto_generichash(h, TOTP_HASH_LEN, (unsigned char *)norm,
		sizeof(norm), NULL, 0) != 0)
		goto done;
	rc = 0;
done:
	sodium_memzero(norm, sizeof(norm));
	return rc;
}
