/* admin_news.c: placeholder while the newsletter pages are written (not
 * to be committed as is). */
#include "extern.h"

int
admin_newsletters(struct req *r, struct auth_user *u, const char **part,
    int n, const struct form *f)
{
	(void)u;
	(void)part;
	(void)n;
	(void)f;
	return r->status = 404;
}

int
admin_subscribers(struct req *r, struct auth_user *u, const char **part,
    int n, const struct form *f)
{
	(void)u;
	(void)part;
	(void)n;
	(void)f;
	return r->status = 404;
}
