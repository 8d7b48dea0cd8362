/* page_email.c: the answer to the e-mail reveal form: the one place an
 * address is written, to a person who asked, within a rate limit. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "extern.h"

/* The value of field name in an urlencoded form body, decoded, or NULL. */
static const char *
email_field(struct req *r, const char *body, const char *name)
{
	size_t n = strlen(name), i;
	const char *p = body, *e;
	struct buf b;
	char hex[3] = {0}, *out;

	while (p && *p) {
		e = strchr(p, '&');
		if (strncmp(p, name, n) == 0 && p[n] == '=') {
			p += n + 1;
			if (e == NULL)
				e = p + strlen(p);
			buf_init(&b, 1024);
			for (i = 0; p + i < e; i++) {
				if (p[i] == '+')
					buf_putc(&b, ' ');
				else if (p[i] == '%' && p + i + 2 < e + 1 &&
				    isxdigit((unsigned char)p[i + 1]) &&
				    isxdigit((unsigned char)p[i + 2])) {
					hex[0] = p[i + 1];
					hex[1] = p[i + 2];
					buf_putc(&b, (int)strtol(hex, NULL, 16));
					i += 2;
				} else
					buf_putc(&b, p[i]);
			}
			out = b.err ? NULL : arena_strdup(r->a, buf_cstr(&b));
			buf_free(&b);
			return out;
		}
		p = e ? e + 1 : NULL;
	}
	return NULL;
}

int
page_email(struct req *r)
{
	const char *tok;
	struct val *row, *v;
	size_t i;

	r->cache = 0;
	if ((r->retry_after = ratelimit_hit(r->site->reveal, r->addr,
	         r->now)) != 0)
		return r->status = 429;
	tok = email_field(r, r->body, "t");
	if (tok == NULL || strlen(tok) != EMAIL_TOKEN_LEN)
		return r->status = 400;
	for (i = 0; tok[i]; i++)
		if (!isxdigit((unsigned char)tok[i]))
			return r->status = 400;
	row = db_query_one(r->db, r->a,
	    "SELECT address FROM email_token WHERE token = ?", "t", tok);
	if (row == NULL)
		return r->status = 404;
	v = page_base(r, "E-mail address");
	val_set_str(r->a, v, "address", page_str(row, "address"));
	val_set_str(r->a, v, "mailto",
	    arena_printf(r->a, "mailto:%s", page_str(row, "address")));
	val_set_bool(r->a, v, "noindex", 1);
	page_render(r, "email", v);
	r->cache = 0;
	r->cache_control = "no-store";
	return r->status;
}
