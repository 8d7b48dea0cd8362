/* email.c: e-mail protection: the site key, the token that stands for an
 * address in public pages, and address checks. */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "extern.h"

void
email_key_new(unsigned char key[EMAIL_KEY_LEN])
{
	randombytes_buf(key, EMAIL_KEY_LEN);
}

void
email_key_wipe(unsigned char key[EMAIL_KEY_LEN])
{
	sodium_memzero(key, EMAIL_KEY_LEN);
}

void
email_key_hex(const unsigned char key[EMAIL_KEY_LEN],
    char hex[EMAIL_KEY_LEN * 2 + 1])
{
	sodium_bin2hex(hex, EMAIL_KEY_LEN * 2 + 1, key, EMAIL_KEY_LEN);
}

int
email_key_parse(const char *hex, unsigned char key[EMAIL_KEY_LEN])
{
	size_t n = 0;

	if (hex == NULL || strlen(hex) != EMAIL_KEY_LEN * 2 ||
	    sodium_hex2bin(key, EMAIL_KEY_LEN, hex, EMAIL_KEY_LEN * 2, NULL,
	        &n, NULL) != 0 ||
	    n != EMAIL_KEY_LEN)
		return -1;
	return 0;
}

/*
 * The token is a keyed BLAKE2b hash of the lowercased address: stable, so
 * pages do not change between renders, and without the key nobody can go
 * from the token back to the address (the server looks it up).
 */
void
email_token(const unsigned char key[EMAIL_KEY_LEN], const char *addr,
    char tok[EMAIL_TOKEN_LEN + 1])
{
	unsigned char h[EMAIL_TOKEN_LEN / 2];
	char low[EMAIL_MAX + 1];
	size_t i;

	for (i = 0; addr[i] && i < EMAIL_MAX; i++)
		low[i] = (char)tolower((unsigned char)addr[i]);
	low[i] = '\0';
	crypto_generichash(h, sizeof(h), (const unsigned char *)low, i, key,
	    EMAIL_KEY_LEN);
	sodium_bin2hex(tok, EMAIL_TOKEN_LEN + 1, h, sizeof(h));
}

int
email_valid(const char *s)
{
	const char *at = strchr(s, '@'), *p;
	size_t n = strlen(s);

	if (n == 0 || n > EMAIL_MAX || at == NULL || at == s ||
	    strchr(at + 1, '@') != NULL || at - s > 64)
		return -1;
	for (p = s; *p; p++) {
		unsigned char c = (unsigned char)*p;

		if (c <= 0x20 || c >= 0x7f || c == '<' || c == '>' ||
		    c == '"' || c == '\\' || c == ',' || c == ';' ||
		    c == '(' || c == ')' || c == '[' || c == ']')
			return -1;
	}
	p = at + 1;
	if (*p == '\0' || *p == '.' || *p == '-' || strchr(p, '.') == NULL ||
	    s[n - 1] == '.' || strstr(p, "..") != NULL)
		return -1;
	for (; *p; p++)
		if (!isalnum((unsigned char)*p) && *p != '-' && *p != '.')
			return -1;
	return 0;
}
