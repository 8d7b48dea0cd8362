/* gz.c: gzip of a whole body, the same bytes for the server's cache and
 * the export's .gz twins. Each thread keeps its deflate state: setting one
 * up allocates and clears some 400 KB, which cost more than compressing a
 * 14 KB page. */
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <zlib.h>

#include "extern.h"

#define GZ_LEVEL 6

static pthread_key_t gz_key;
static pthread_once_t gz_once = PTHREAD_ONCE_INIT;

static void
gz_end(void *p)
{
	z_stream *z = p;

	deflateEnd(z);
	free(z);
}

static void
gz_key_make(void)
{
	(void)pthread_key_create(&gz_key, gz_end);
}

/* The calling thread's stream, reset for a new body; NULL on failure. */
static z_stream *
gz_stream(void)
{
	z_stream *z;

	(void)pthread_once(&gz_once, gz_key_make);
	if ((z = pthread_getspecific(gz_key)) != NULL)
		return deflateReset(z) == Z_OK ? z : NULL;
	if ((z = calloc(1, sizeof(*z))) == NULL)
		return NULL;
	/* gzip framing (16 + 15) with no name and time 0: the same input
	 * gives the same bytes on every run */
	if (deflateInit2(z, GZ_LEVEL, Z_DEFLATED, 16 + 15, 9,
	        Z_DEFAULT_STRATEGY) != Z_OK) {
		free(z);
		return NULL;
	}
	if (pthread_setspecific(gz_key, z) != 0) {
		gz_end(z);
		return NULL;
	}
	return z;
}

char *
gz_compress(const char *data, size_t len, size_t *outlen)
{
	z_stream *z;
	char *out;
	size_t cap;

	if (len > UINT32_MAX / 2 || (z = gz_stream()) == NULL)
		return NULL;
	cap = deflateBound(z, (uLong)len);
	if ((out = malloc(cap)) == NULL)
		return NULL;
	z->next_in = (Bytef *)(uintptr_t)data;
	z->avail_in = (uInt)len;
	z->next_out = (Bytef *)out;
	z->avail_out = (uInt)cap;
	if (deflate(z, Z_FINISH) != Z_STREAM_END) {
		free(out);
		return NULL;
	}
	*outlen = z->total_out;
	return out;
}
