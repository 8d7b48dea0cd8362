/* conf.c: serve settings from a "key = value" file and the command line. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "extern.h"

void
conf_defaults(struct conf *c)
{
	memset(c, 0, sizeof(*c));
	snprintf(c->listen, sizeof(c->listen), "127.0.0.1:8080");
	snprintf(c->access_log, sizeof(c->access_log), "-");
	c->conn_limit = 4096;
	c->per_ip_limit = 256;
	c->timeout = 30;
	c->reveal_limit = 20;
	c->reveal_window = 600;
	c->cache_max = (size_t)256 << 20;
	c->session_idle = 2 * 3600;
	c->session_max = 12 * 3600;
	c->login_limit = 20;
	c->login_account_limit = 8;
	c->login_window = 900;
	c->hash_limit = 2;
	c->mail_rate = 10;
	c->subscribe_limit = 10;
}

static int
conf_str(char *dst, size_t n, const char *v, char *err, size_t errlen)
{
	if (strlen(v) >= n) {
		snprintf(err, errlen, "value too long");
		return -1;
	}
	memcpy(dst, v, strlen(v) + 1);
	return 0;
}

static int
conf_uint(unsigned *dst, const char *v, unsigned lo, unsigned hi, char *err,
    size_t errlen)
{
	unsigned long n;
	char *end;

	errno = 0;
	n = strtoul(v, &end, 10);
	if (errno || *end || end == v || v[0] == '-' || n < lo || n > hi) {
		snprintf(err, errlen, "want a number from %u to %u", lo, hi);
		return -1;
	}
	*dst = (unsigned)n;
	return 0;
}

int
conf_set(struct conf *c, const char *key, const char *v, char *err,
    size_t errlen)
{
	unsigned mb;
	size_t n;

	if (strcmp(key, "db") == 0)
		return conf_str(c->db, sizeof(c->db), v, err, errlen);
	if (strcmp(key, "listen") == 0)
		return conf_str(c->listen, sizeof(c->listen), v, err, errlen);
	if (strcmp(key, "base_url") == 0) {
		if (strncmp(v, "http://", 7) != 0 &&
		    strncmp(v, "https://", 8) != 0) {
			snprintf(err, errlen, "base_url must start with "
			                      "http:// or https://");
			return -1;
		}
		if (conf_str(c->base_url, sizeof(c->base_url), v, err,
		        errlen) == -1)
			return -1;
		n = strlen(c->base_url);
		while (n > 0 && c->base_url[n - 1] == '/')
			c->base_url[--n] = '\0';
		return 0;
	}
	if (strcmp(key, "access_log") == 0)
		return conf_str(c->access_log, sizeof(c->access_log), v, err,
		    errlen);
	if (strcmp(key, "theme") == 0)
		return conf_str(c->theme, sizeof(c->theme), v, err, errlen);
	if (strcmp(key, "threads") == 0)
		return conf_uint(&c->threads, v, 0, 256, err, errlen);
	if (strcmp(key, "connection_limit") == 0)
		return conf_uint(&c->conn_limit, v, 1, 1000000, err, errlen);
	if (strcmp(key, "per_ip_limit") == 0)
		return conf_uint(&c->per_ip_limit, v, 1, 1000000, err, errlen);
	if (strcmp(key, "timeout") == 0)
		return conf_uint(&c->timeout, v, 1, 3600, err, errlen);
	if (strcmp(key, "reveal_limit") == 0)
		return conf_uint(&c->reveal_limit, v, 1, 1000000, err, errlen);
	if (strcmp(key, "reveal_window") == 0)
		return conf_uint(&c->reveal_window, v, 1, 86400, err, errlen);
	if (strcmp(key, "dev_http") == 0) {
		if (strcmp(v, "yes") != 0 && strcmp(v, "no") != 0) {
			snprintf(err, errlen, "want yes or no");
			return -1;
		}
		c->dev_http = strcmp(v, "yes") == 0;
		return 0;
	}
	if (strcmp(key, "session_idle") == 0)
		return conf_uint(&c->session_idle, v, 60, 30 * 86400, err,
		    errlen);
	if (strcmp(key, "session_max") == 0)
		return conf_uint(&c->session_max, v, 60, 90 * 86400, err,
		    errlen);
	if (strcmp(key, "login_limit") == 0)
		return conf_uint(&c->login_limit, v, 1, 1000000, err, errlen);
	if (strcmp(key, "login_account_limit") == 0)
		return conf_uint(&c->login_account_limit, v, 1, 1000000, err,
		    errlen);
	if (strcmp(key, "login_window") == 0)
		return conf_uint(&c->login_window, v, 1, 86400, err, errlen);
	if (strcmp(key, "hash_limit") == 0)
		return conf_uint(&c->hash_limit, v, 1, 256, err, errlen);
	if (strcmp(key, "smtp") == 0) {
		if (*v && strncmp(v, "smtp://", 7) != 0 &&
		    strncmp(v, "smtps://", 8) != 0) {
			snprintf(err, errlen, "want smtp://HOST:PORT or "
			                      "smtps://HOST:PORT");
			return -1;
		}
		return conf_str(c->smtp, sizeof(c->smtp), v, err, errlen);
	}
	if (strcmp(key, "smtp_user") == 0)
		return conf_str(c->smtp_user, sizeof(c->smtp_user), v, err,
		    errlen);
	if (strcmp(key, "smtp_password") == 0)
		return conf_str(c->smtp_password, sizeof(c->smtp_password), v,
		    err, errlen);
	if (strcmp(key, "mail_from") == 0) {
		if (email_valid(v) != 0) {
			snprintf(err, errlen, "want an e-mail address");
			return -1;
		}
		return conf_str(c->mail_from, sizeof(c->mail_from), v, err,
		    errlen);
	}
	if (strcmp(key, "mail_rate") == 0)
		return conf_uint(&c->mail_rate, v, 1, 10000, err, errlen);
	if (strcmp(key, "subscribe_limit") == 0)
		return conf_uint(&c->subscribe_limit, v, 1, 1000000, err,
		    errlen);
	if (strcmp(key, "cache_mb") == 0) {
		if (conf_uint(&mb, v, 1, 65536, err, errlen) == -1)
			return -1;
		c->cache_max = (size_t)mb << 20;
		return 0;
	}
	snprintf(err, errlen, "unknown setting \"%s\"", key);
	return -1;
}

int
conf_read(struct conf *c, const char *path, char *err, size_t errlen)
{
	FILE *f;
	char line[8192], why[256], *k, *v, *e;
	int lineno = 0, rc = -1;

	if ((f = fopen(path, "r")) == NULL) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	while (fgets(line, sizeof(line), f) != NULL) {
		lineno++;
		if (strchr(line, '\n') == NULL && !feof(f)) {
			snprintf(err, errlen, "%s:%d: line too long", path,
			    lineno);
			goto done;
		}
		for (k = line; isspace((unsigned char)*k); k++)
			;
		if (*k == '#' || *k == '\0')
			continue;
		if ((v = strchr(k, '=')) == NULL) {
			snprintf(err, errlen, "%s:%d: want key = value", path,
			    lineno);
			goto done;
		}
		for (e = v; e > k && isspace((unsigned char)e[-1]); e--)
			;
		*e = '\0';
		for (v++; isspace((unsigned char)*v); v++)
			;
		for (e = v + strlen(v); e > v && isspace((unsigned char)e[-1]);
		    e--)
			;
		*e = '\0';
		if (conf_set(c, k, v, why, sizeof(why)) == -1) {
			snprintf(err, errlen, "%s:%d: %s: %s", path, lineno, k,
			    why);
			goto done;
		}
	}
	rc = 0;
done:
	fclose(f);
	return rc;
}
