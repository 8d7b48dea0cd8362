/*
 * fuzz_form.c: libFuzzer driver for form_parse() (urlencoded and
 * multipart bodies). `make fuzz` builds and runs it.
 *
 * The first input byte picks the Content-Type (urlencoded, multipart with
 * boundary "b", or multipart with a boundary taken from the input); the
 * rest is the body. Besides memory errors it aborts when a result breaks
 * the contract: a value not NUL-terminated after len bytes, a value or a
 * file lying outside the input's size, more than 512 fields, or
 * form_get() returning a string that holds a NUL.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "extern.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct arena *a;
	struct form f;
	const char *ct, *body, *s;
	char ctbuf[128];
	size_t len, i, n;

	if (size < 1)
		return 0;
	body = (const char *)data + 1;
	len = size - 1;
	switch (data[0] % 3) {
	case 0:
		ct = "application/x-www-form-urlencoded";
		break;
	case 1:
		ct = "multipart/form-data; boundary=b";
		break;
	default:
		/* the boundary: the body's bytes up to the first CR */
		for (n = 0; n < len && n < 80 && body[n] != '\r'; n++)
			;
		memcpy(ctbuf, "multipart/form-data; boundary=", 30);
		memcpy(ctbuf + 30, body, n < 90 ? n : 90);
		ctbuf[30 + (n < 90 ? n : 90)] = '\0';
		ct = ctbuf;
		break;
	}
	a = arena_new();
	memset(&f, 0, sizeof(f));
	if (form_parse(a, ct, body, len, &f) == 0) {
		if (f.n > 512)
			abort();
		for (i = 0; i < f.n; i++) {
			if (f.f[i].name == NULL || f.f[i].value == NULL ||
			    f.f[i].value[f.f[i].len] != '\0' ||
			    f.f[i].len > len)
				abort();
			s = form_get(&f, f.f[i].name);
			if (s != NULL && strlen(s) != form_field(&f,
			                                  f.f[i].name)->len)
				abort();
		}
	}
	arena_free(a);
	return 0;
}
