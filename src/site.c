/* site.c: what a running server shares: the theme's templates and static
 * files (built in, or from a folder), the site key and the rate limits. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <sodium.h>

#include "embed.h"
#include "extern.h"

#define SITE_MAX_ASSETS 64

static const struct {
	const char *ext;
	const char *ctype;
} site_types[] = {
	{".css", "text/css; charset=utf-8"},
	{".svg", "image/svg+xml"},
	{".png", "image/png"},
	{".jpg", "image/jpeg"},
	{".webp", "image/webp"},
	{".woff2", "font/woff2"},
	{".txt", "text/plain; charset=utf-8"},
};

/* Takes one theme file: a template (*.mustache) or a static asset. data
 * must outlive the site. */
static int
site_theme_file(struct site *s, struct tmpl_set *set, const char *name,
    const char *data, size_t len)
{
	char err[512], tname[128], hex[17];
	unsigned char h[8];
	const char *dot = strrchr(name, '.');
	struct asset *a;
	size_t i, n = strlen(name);

	if (n > 9 && strcmp(name + n - 9, ".mustache") == 0) {
		if (n - 9 >= sizeof(tname))
			return -1;
		memcpy(tname, name, n - 9);
		tname[n - 9] = '\0';
		if (tmpl_set_add(set, tname, data, len, err,
		        sizeof(err)) == -1) {
			fprintf(stderr, "herald: theme: %s\n", err);
			return -1;
		}
		return 0;
	}
	if (dot == NULL || s->nassets >= SITE_MAX_ASSETS || n > 64)
		return 0;
	for (i = 0; i < sizeof(site_types) / sizeof(*site_types); i++)
		if (strcmp(dot, site_types[i].ext) == 0)
			break;
	if (i == sizeof(site_types) / sizeof(*site_types))
		return 0;
	a = &s->assets[s->nassets++];
	/* The URL carries a hash of the bytes, so it can be cached for
	 * ever: a changed file gets a new URL. */
	crypto_generichash(h, sizeof(h), (const unsigned char *)data, len,
	    NULL, 0);
	sodium_bin2hex(hex, sizeof(hex), h, sizeof(h));
	snprintf(a->path, sizeof(a->path), "/static/%.*s.%s%s",
	    (int)(dot - name), name, hex, dot);
	a->ctype = site_types[i].ctype;
	a->data = data;
	a->len = len;
	a->gzip_ok = strcmp(dot, ".css") == 0 || strcmp(dot, ".svg") == 0;
	if (strcmp(name, "style.css") == 0)
		snprintf(s->css_path, sizeof(s->css_path), "%s", a->path);
	if (strcmp(name, "admin.css") == 0)
		snprintf(s->admin_css_path, sizeof(s->admin_css_path), "%s",
		    a->path);
	if (strcmp(name, "icon.svg") == 0)
		snprintf(s->icon_path, sizeof(s->icon_path), "%s", a->path);
	return 0;
}

/* Reads the theme from a folder; the bytes stay for the process's life
 * (kept in s->owned and freed by site_close). */
static int
site_theme_dir(struct site *s, const char *dir, char ***owned, size_t *nowned)
{
	DIR *d;
	struct dirent *de;
	struct stat st;
	char path[4096], *data, **no;
	FILE *f;
	int rc = -1;

	if ((d = opendir(dir)) == NULL) {
		fprintf(stderr, "herald: theme %s: %s\n", dir, strerror(errno));
		return -1;
	}
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		if (stat(path, &st) == -1 || !S_ISREG(st.st_mode) ||
		    st.st_size > (off_t)(4 << 20))
			continue;
		if ((data = malloc((size_t)st.st_size + 1)) == NULL)
			goto done;
		if ((f = fopen(path, "rb")) == NULL ||
		    fread(data, 1, (size_t)st.st_size, f) !=
		        (size_t)st.st_size) {
			fprintf(stderr, "herald: %s: cannot read\n", path);
			if (f)
				fclose(f);
			free(data);
			goto done;
		}
		fclose(f);
		data[st.st_size] = '\0';
		if ((no = realloc(*owned, (*nowned + 1) * sizeof(*no))) ==
		    NULL) {
			free(data);
			goto done;
		}
		*owned = no;
		(*owned)[(*nowned)++] = data;
		if (site_theme_file(s, s->theme, de->d_name, data,
		        (size_t)st.st_size) ==
		    -1)
			goto done;
	}
	rc = 0;
done:
	closedir(d);
	return rc;
}

static char **site_owned;
static size_t site_nowned;

int
site_open(struct site *s, const struct conf *conf)
{
	static const char prefix[] = "themes/default/";
	static const char aprefix[] = "themes/admin/";
	struct db *db = NULL;
	struct arena *a = arena_new();
	struct val *row;
	size_t i;
	int rc = -1;

	memset(s, 0, sizeof(*s));
	s->conf = *conf;
	s->started = time(NULL);
	if ((s->theme = tmpl_set_new()) == NULL ||
	    (s->assets = calloc(SITE_MAX_ASSETS, sizeof(*s->assets))) == NULL)
		goto done;
	if (conf->theme[0] != '\0') {
		if (site_theme_dir(s, conf->theme, &site_owned, &site_nowned) ==
		    -1)
			goto done;
	} else
		for (i = 0; embed_files[i].path != NULL; i++)
			if (strncmp(embed_files[i].path, prefix,
			        sizeof(prefix) - 1) == 0 &&
			    strchr(embed_files[i].path + sizeof(prefix) - 1,
			        '/') == NULL &&
			    site_theme_file(s, s->theme,
			        embed_files[i].path + sizeof(prefix) - 1,
			        embed_files[i].data, embed_files[i].len) == -1)
				goto done;
	/* the admin's own templates and style, never from a theme folder */
	if ((s->admin = tmpl_set_new()) == NULL)
		goto done;
	for (i = 0; embed_files[i].path != NULL; i++)
		if (strncmp(embed_files[i].path, aprefix,
		        sizeof(aprefix) - 1) == 0 &&
		    site_theme_file(s, s->admin,
		        embed_files[i].path + sizeof(aprefix) - 1,
		        embed_files[i].data, embed_files[i].len) == -1)
			goto done;
	if (!tmpl_set_has(s->theme, "layout") || s->css_path[0] == '\0') {
		fprintf(stderr, "herald: the theme needs layout.mustache and "
		                "style.css\n");
		goto done;
	}
	if ((db = db_open(conf->db, DB_READONLY)) == NULL)
		goto done;
	row = db_query_one(db, a, "SELECT "
	                          "(SELECT value FROM setting WHERE key = 'secret') "
	                          "AS secret, "
	                          "(SELECT value FROM setting WHERE key = 'name') "
	                          "AS name",
	    "");
	if (row == NULL || email_key_parse(val_get(row, "secret")->type ==
	                                           VAL_STR
	                                       ? val_get(row, "secret")->u.str.s
	                                       : NULL,
	                       s->key) == -1) {
		fprintf(stderr, "herald: %s: not a herald database (no site "
		                "key; run herald init)\n",
		    conf->db);
		goto done;
	}
	if (val_get(row, "name")->type == VAL_STR)
		snprintf(s->name, sizeof(s->name), "%s",
		    val_get(row, "name")->u.str.s);
	if ((s->reveal = ratelimit_new(conf->reveal_limit,
	         conf->reveal_window)) == NULL ||
	    (s->login_client = ratelimit_new(conf->login_limit,
	         conf->login_window)) == NULL ||
	    (s->login_account = ratelimit_new(conf->login_account_limit,
	         conf->login_window)) == NULL ||
	    (s->subscribe = ratelimit_new(conf->subscribe_limit, 3600)) ==
	        NULL ||
	    (s->lists = list_cache_new()) == NULL)
		goto done;
	/* libvips is opened and set up by the first upload (media_process),
	 * not here: it costs some 50 ms that every start would pay */
	rc = 0;
done:
	db_close(db);
	arena_free(a);
	if (rc == -1)
		site_close(s);
	return rc;
}

void
site_close(struct site *s)
{
	size_t i;

	tmpl_set_free(s->theme);
	s->theme = NULL;
	free(s->assets);
	s->assets = NULL;
	ratelimit_free(s->reveal);
	s->reveal = NULL;
	ratelimit_free(s->login_client);
	ratelimit_free(s->login_account);
	s->login_client = s->login_account = NULL;
	ratelimit_free(s->subscribe);
	s->subscribe = NULL;
	tmpl_set_free(s->admin);
	s->admin = NULL;
	list_cache_free(s->lists);
	s->lists = NULL;
	email_key_wipe(s->key);
	for (i = 0; i < site_nowned; i++)
		free(site_owned[i]);
	free(site_owned);
	site_owned = NULL;
	site_nowned = 0;
}

const struct asset *
site_asset(const struct site *s, const char *path)
{
	size_t i;

	for (i = 0; i < s->nassets; i++)
		if (strcmp(s->assets[i].path, path) == 0)
			return &s->assets[i];
	return NULL;
}
