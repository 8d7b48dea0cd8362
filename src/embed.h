/* embed.h: theme and demo content compiled into the binary. */
#ifndef HERALD_EMBED_H
#define HERALD_EMBED_H

#include <stddef.h>

struct embed_file {
	const char *path; /* "themes/default/layout.mustache", "content/..." */
	const char *data; /* NUL-terminated */
	size_t len;
};

/* Ends with an entry whose path is NULL. */
extern const struct embed_file embed_files[];

#endif
