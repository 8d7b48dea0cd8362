/* arena.c: bump allocator for one request's (or one job's) memory. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "extern.h"

#define ARENA_CHUNK ((size_t)16 * 1024)

struct arena_chunk {
	struct arena_chunk *next;
	size_t size;
	size_t used;
	max_align_t data[];
};

struct arena {
	struct arena_chunk *head;
};

struct arena *
arena_new(void)
{
	struct arena *a;

	if ((a = calloc(1, sizeof(*a))) == NULL) {
		fputs("herald: out of memory\n", stderr);
		abort();
	}
	return a;
}

void
arena_free(struct arena *a)
{
	struct arena_chunk *c, *next;

	if (a == NULL)
		return;
	for (c = a->head; c != NULL; c = next) {
		next = c->next;
		free(c);
	}
	free(a);
}

void *
arena_alloc(struct arena *a, size_t n)
{
	struct arena_chunk *c;
	size_t align = sizeof(max_align_t), size;
	void *p;

	n = (n + align - 1) / align * align;
	if (n == 0)
		n = align;
	c = a->head;
	if (c == NULL || c->size - c->used < n) {
		size = n > ARENA_CHUNK ? n : ARENA_CHUNK;
		if ((c = malloc(sizeof(*c) + size)) == NULL) {
			fputs("herald: out of memory\n", stderr);
			abort();
		}
		c->size = size;
		c->used = 0;
		/* A big one-off block goes behind the current chunk so the
		 * space left in that chunk is not wasted. */
		if (a->head != NULL && size > ARENA_CHUNK) {
			c->next = a->head->next;
			a->head->next = c;
		} else {
			c->next = a->head;
			a->head = c;
		}
	}
	p = (char *)c->data + c->used;
	c->used += n;
	memset(p, 0, n);
	return p;
}

char *
arena_strndup(struct arena *a, const char *s, size_t n)
{
	char *p = arena_alloc(a, n + 1);

	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

char *
arena_strdup(struct arena *a, const char *s)
{
	return arena_strndup(a, s, strlen(s));
}

char *
arena_printf(struct arena *a, const char *fmt, ...)
{
	va_list ap;
	int n;
	char *p;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return arena_strdup(a, "");
	p = arena_alloc(a, (size_t)n + 1);
	va_start(ap, fmt);
	vsnprintf(p, (size_t)n + 1, fmt, ap);
	va_end(ap);
	return p;
}
