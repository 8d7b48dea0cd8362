/* ratelimit.c: a fixed-size, thread-safe table of hit counters per client
 * address over a fixed window (e-mail reveals; later logins). */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "extern.h"

#define RATELIMIT_SLOTS 4096

struct ratelimit_slot {
	time_t start;
	unsigned count;
};

struct ratelimit {
	pthread_mutex_t lock;
	unsigned limit;
	unsigned window;
	unsigned char salt[16];
	struct ratelimit_slot slot[RATELIMIT_SLOTS];
};

struct ratelimit *
ratelimit_new(unsigned limit, unsigned window)
{
	struct ratelimit *r;
	if ((r = calloc(1, sizeof(*r))) == NULL)
		return NULL;
	pthread_mutex_init(&r->lock, NULL);
	r->limit = limit;
	r->window = window ? window : 1;
	/* a per-process salt keeps the slot of an address unpredictable */
	randombytes_buf(r->salt, sizeof(r->salt));
	return r;
}

void
ratelimit_free(struct ratelimit *r)
{
	if (r == NULL)
		return;
	pthread_mutex_destroy(&r->lock);
	free(r);
}

/*
 * Counts one hit for the 16-byte client address (IPv4 mapped to IPv6).
 * Returns 0 when allowed, or the seconds to wait when over the limit.
 * Addresses sharing a slot share its counter (a stricter limit, never a
 * looser one), so the table stays small under a flood of addresses.
 */
unsigned
ratelimit_hit(struct ratelimit *r, const unsigned char addr[16], time_t now)
{
	struct ratelimit_slot *s;
	uint32_t h = 2166136261u;
	unsigned wait = 0;
	size_t i;

	for (i = 0; i < 16; i++)
		h = (h ^ (uint32_t)(addr[i] ^ r->salt[i])) * 16777619u;
	s = &r->slot[h % RATELIMIT_SLOTS];
	pthread_mutex_lock(&r->lock);
	if (now - s->start >= (time_t)r->window || now < s->start) {
		s->start = now;
		s->count = 0;
	}
	if (s->count >= r->limit)
		wait = (unsigned)((time_t)r->window - (now - s->start));
	else
		s->count++;
	pthread_mutex_unlock(&r->lock);
	return wait;
}
