/* admin_things.c: the admin's editors of the content that is not an item:
 * publications (with their PDF, checked by content), members, media
 * contacts, text blocks, and the site settings with the social accounts.
 * Every change is one transaction with an audit row and a revision. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "extern.h"

#define THING_SLUG_MAX 200
#define THING_BODY_MAX (512 * 1024)
#define THING_FILE_NAME_MAX 200

enum thing_input {
	THING_TEXT,
	THING_AREA,
	THING_NUMBER,
	THING_URL,
	THING_EMAIL,
	THING_REGION,
	THING_INPUT__MAX
};

/* One field of an editor: its form name is also the column's name in the
 * kind's get query and the key in its content file. */
struct thing_field {
	const char *name, *label;
	size_t max;
	enum thing_input input;
	int required;
	int md; /* Markdown: addresses in it are registered for the reveal */
	const char *hint;
};

enum thing_kind {
	THING_PUB,
	THING_MEMBER,
	THING_CONTACT,
	THING_BLOCK,
	THING_KIND__MAX
};

struct thing_def {
	const char *section;	 /* "publications": the URL part */
	const char *entity;	 /* "publication": revisions and audit */
	const char *one, *many;	 /* "publication", "Publications" */
	const char *name_field;	 /* "title" or "name" */
	const char *public_base; /* "/publications/" (and the slug), or NULL */
	const char *extra_label; /* the list's third column */
	const struct thing_field *fields;
	size_t nfields;
	/* id and every field as text, by id */
	const char *sql_get;
	/* id, name, slug, extra */
	const char *sql_list;
	const char *sql_slug_taken;
	const char *sql_delete;
};

static const char thing_slug_hint[] =
    "Lowercase letters, digits and dashes. Leave empty to make it from "
    "the name.";
static const char thing_md_hint[] =
    "Markdown: **bold**, _italic_, [link](https://example.org), - list. "
    "E-mail addresses are protected on the site.";

static const struct thing_field thing_pub_fields[] = {
    {"title", "Title", 500, THING_TEXT, 1, 0, NULL},
    {"slug", "Address (slug)", THING_SLUG_MAX, THING_TEXT, 0, 0,
	thing_slug_hint},
    {"year", "Year", 4, THING_NUMBER, 0, 0, "From 1900 to 2100; optional."},
    {"lang", "Language", 16, THING_TEXT, 0, 0,
	"A code such as en, fr, es; empty for the site's language."},
    {"summary", "Summary (Markdown)", 4000, THING_AREA, 0, 1, NULL},
    {"body", "Text (Markdown)", THING_BODY_MAX, THING_AREA, 0, 1,
	thing_md_hint},
};

static const struct thing_field thing_member_fields[] = {
    {"name", "Name", 500, THING_TEXT, 1, 0, NULL},
    {"slug", "Address (slug)", THING_SLUG_MAX, THING_TEXT, 0, 0,
	thing_slug_hint},
    {"acronym", "Acronym", 100, THING_TEXT, 0, 0, NULL},
    {"country", "Country", 200, THING_TEXT, 1, 0, NULL},
    {"country_code", "Country code", 2, THING_TEXT, 0, 0,
	"Two letters (ISO 3166), such as DE or TH; optional."},
    {"region", "Region", 200, THING_REGION, 0, 0, NULL},
    {"website", "Website", 500, THING_URL, 0, 0,
	"A full address starting with https:// or http://; optional."},
    {"body", "Text (Markdown)", THING_BODY_MAX, THING_AREA, 0, 1,
	thing_md_hint},
};

static const struct thing_field thing_contact_fields[] = {
    {"name", "Name", 200, THING_TEXT, 1, 0, NULL},
    {"slug", "Address (slug)", THING_SLUG_MAX, THING_TEXT, 0, 0,
	thing_slug_hint},
    {"role", "Role", 200, THING_TEXT, 0, 0, NULL},
    {"phone", "Phone", 100, THING_TEXT, 0, 0, NULL},
    {"email", "E-mail", EMAIL_MAX, THING_EMAIL, 0, 0,
	"Never shown on the site: visitors get a button that reveals it."},
    {"intro", "Introduction (Markdown)", 4000, THING_AREA, 0, 1,
	"Shown before the name, such as: For media enquiries, contact"},
};

static const struct thing_field thing_block_fields[] = {
    {"title", "Title", 500, THING_TEXT, 1, 0, NULL},
    {"slug", "Address (slug)", THING_SLUG_MAX, THING_TEXT, 0, 0,
	"The name settings use for it, such as about-us. Lowercase "
	"letters, digits and dashes."},
    {"body", "Text (Markdown)", THING_BODY_MAX, THING_AREA, 0, 1,
	thing_md_hint},
};

#define THING_N(a) (sizeof(a) / sizeof(*(a)))

static const struct thing_def thing_defs[THING_KIND__MAX] = {
    {"publications", "publication", "publication", "Publications", "title",
	"/publications/", "Year", thing_pub_fields, THING_N(thing_pub_fields),
	"SELECT id, title, slug, coalesce(CAST(year AS TEXT), '') AS year, "
	"lang, summary, body, coalesce(file_name, '') AS file_name, "
	"coalesce(length(file_data), 0) AS file_size FROM publication "
	"WHERE id = ?",
	"SELECT id, title AS name, slug, coalesce(CAST(year AS TEXT), '') "
	"AS extra FROM publication ORDER BY year DESC, title",
	"SELECT count(*) FROM publication WHERE slug = ? AND id <> ?",
	"DELETE FROM publication WHERE id = ?"},
    {"members", "member", "member", "Members", "name", "/members/", "Country",
	thing_member_fields, THING_N(thing_member_fields),
	"SELECT m.id, m.name, m.slug, m.acronym, m.country, "
	"m.country_code, coalesce(g.slug, '') AS region, m.website, m.body "
	"FROM member m LEFT JOIN region g ON g.id = m.region_id "
	"WHERE m.id = ?",
	"SELECT id, name, slug, country AS extra FROM member "
	"ORDER BY name",
	"SELECT count(*) FROM member WHERE slug = ? AND id <> ?",
	"DELETE FROM member WHERE id = ?"},
    {"contacts", "contact", "contact", "Media contacts", "name", NULL, "Role",
	thing_contact_fields, THING_N(thing_contact_fields),
	"SELECT id, name, slug, role, phone, email, intro FROM contact "
	"WHERE id = ?",
	"SELECT id, name, slug, role AS extra FROM contact ORDER BY name",
	"SELECT count(*) FROM contact WHERE slug = ? AND id <> ?",
	"DELETE FROM contact WHERE id = ?"},
    {"blocks", "block", "block", "Text blocks", "title", NULL, NULL,
	thing_block_fields, THING_N(thing_block_fields),
	"SELECT id, title, slug, body FROM block WHERE id = ?",
	"SELECT id, title AS name, slug, '' AS extra FROM block "
	"ORDER BY title",
	"SELECT count(*) FROM block WHERE slug = ? AND id <> ?",
	"DELETE FROM block WHERE id = ?"},
};

/* The settings an admin may change (never 'secret'). */
static const struct thing_field thing_setting_fields[] = {
    {"name", "Site name", 200, THING_TEXT, 1, 0, NULL},
    {"short_name", "Short name", 50, THING_TEXT, 0, 0,
	"Such as an acronym; used where space is short."},
    {"tagline", "Tagline", 300, THING_TEXT, 0, 0, NULL},
    {"description", "Description", 1000, THING_AREA, 0, 0,
	"One or two sentences for search engines and link previews."},
    {"language", "Language", 16, THING_TEXT, 1, 0,
	"The site's language code, such as en."},
    {"about_block", "About-us block", THING_SLUG_MAX, THING_TEXT, 0, 0,
	"Shown under every press release."},
    {"media_contact", "Media contact", THING_SLUG_MAX, THING_TEXT, 0, 0,
	"Shown under every press release."},
};

/* ---- helpers --------------------------------------------------------------
 */

/* 1 when s is a slug: lowercase ASCII letters, digits and dashes, not
 * starting with a dash, 1 to THING_SLUG_MAX bytes. */
static int
thing_slug_ok(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > THING_SLUG_MAX || s[0] == '-')
		return 0;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') ||
			*s == '-'))
			return 0;
	return 1;
}

/* Writes a revision row of entity id with text; 0 or -1. */
static int
thing_revision(struct req *r, struct db *w, struct auth_user *u,
    const char *entity, long long id, const char *action, const char *text)
{
	if (text == NULL)
		return -1;
	return db_exec(w,
		   "INSERT INTO revision(entity, entity_id, user_id, "
		   "created_at, action, text) VALUES (?, ?, ?, ?, ?, ?)",
		   "tiiitt", entity, id, u->id, (long long)r->now, action,
		   text) < 0
	    ? -1
	    : 0;
}

/* The row of kind k with id as a content file (front matter and body),
 * in the arena; NULL when there is none. */
static const char *
thing_text(struct req *r, struct db *db, enum thing_kind k, long long id)
{
	const struct thing_def *d = &thing_defs[k];
	struct val *row;
	struct buf b;
	const char *out;
	size_t i;

	if ((row = db_query_one(db, r->a, d->sql_get, "i", id)) == NULL)
		return NULL;
	buf_init(&b, (size_t)4 << 20);
	buf_puts(&b, "---\n");
	for (i = 0; i < d->nfields; i++)
		if (strcmp(d->fields[i].name, "body") != 0)
			fm_write_kv(&b, "", d->fields[i].name,
			    page_str(row, d->fields[i].name));
	if (k == THING_PUB && *page_str(row, "file_name"))
		fm_write_kv(&b, "", "file", page_str(row, "file_name"));
	buf_puts(&b, "---\n\n");
	buf_puts(&b, page_str(row, "body"));
	if (b.len > 0 && b.data[b.len - 1] != '\n')
		buf_putc(&b, '\n');
	out = b.err ? NULL : arena_strdup(r->a, buf_cstr(&b));
	buf_free(&b);
	return out;
}

/* The settings and social accounts as site.md, in the arena. */
static const char *
thing_settings_text(struct req *r, struct db *db)
{
	struct val *rows, *row;
	struct buf b;
	const char *out;
	size_t i;

	buf_init(&b, (size_t)1 << 20);
	buf_puts(&b, "---\n");
	for (i = 0; i < THING_N(thing_setting_fields); i++) {
		row = db_query_one(db, r->a,
		    "SELECT value FROM setting WHERE key = ?", "t",
		    thing_setting_fields[i].name);
		fm_write_kv(&b, "", thing_setting_fields[i].name,
		    page_str(row, "value"));
	}
	if (db_query(db, r->a, &rows,
		"SELECT network, handle, url FROM social "
		"ORDER BY position, id",
		"") == 0) {
		buf_puts(&b, rows->u.list.n ? "social:\n" : "social: []\n");
		for (i = 0; i < rows->u.list.n; i++) {
			row = rows->u.list.items[i];
			fm_write_kv(
			    &b, "  - ", "network", page_str(row, "network"));
			fm_write_kv(
			    &b, "    ", "handle", page_str(row, "handle"));
			fm_write_kv(&b, "    ", "url", page_str(row, "url"));
		}
	}
	buf_puts(&b, "---\n");
	out = b.err ? NULL : arena_strdup(r->a, buf_cstr(&b));
	buf_free(&b);
	return out;
}

/* The options of a select: "(none)" then rows of {value, label}, the one
 * equal to cur selected. */
static struct val *
thing_options(struct req *r, struct val *rows, const char *cur)
{
	struct val *list = val_list(r->a), *o;
	size_t i;

	o = val_obj(r->a);
	val_set_str(r->a, o, "value", "");
	val_set_str(r->a, o, "label", "(none)");
	val_set_bool(r->a, o, "selected", *cur == '\0');
	val_push(r->a, list, o);
	for (i = 0; rows && rows->type == VAL_LIST && i < rows->u.list.n; i++) {
		o = rows->u.list.items[i];
		val_set_bool(r->a, o, "selected",
		    strcmp(page_str(o, "value"), cur) == 0);
		val_push(r->a, list, o);
	}
	return list;
}

/* The fields of a form for the template: label, value, input kind, hint,
 * and whether it holds an error. */
/* The query of a field's choices ({value, label} rows), or NULL when the
 * field is no <select>. */
static const char *
thing_select_sql(const struct thing_field *fd)
{
	if (fd->input == THING_REGION)
		return "SELECT slug AS value, name AS label FROM region "
		       "ORDER BY position, name";
	if (strcmp(fd->name, "about_block") == 0)
		return "SELECT slug AS value, title AS label FROM block "
		       "ORDER BY title";
	if (strcmp(fd->name, "media_contact") == 0)
		return "SELECT slug AS value, name AS label FROM contact "
		       "ORDER BY name";
	return NULL;
}

static struct val *
thing_fields_view(struct req *r, const struct thing_field *fields, size_t nf,
    struct val *fv, struct val *v)
{
	static const char *const types[THING_INPUT__MAX] = {
	    "text", "", "number", "url", "email", ""};
	struct val *list = val_list(r->a), *o, *rows, *errs;
	const char *sql;
	size_t i, j;

	errs = val_get(v, "errors");
	for (i = 0; i < nf; i++) {
		const struct thing_field *fd = &fields[i];
		const char *cur = page_str(fv, fd->name);

		o = val_obj(r->a);
		val_set_str(r->a, o, "name", fd->name);
		val_set_str(r->a, o, "label", fd->label);
		val_set_str(r->a, o, "value", cur);
		val_set_int(r->a, o, "max", (long long)fd->max);
		val_set_bool(r->a, o, "required", fd->required);
		if (fd->hint != NULL)
			val_set_str(r->a, o, "hint", fd->hint);
		val_set_bool(r->a, o, "is_area", fd->input == THING_AREA);
		val_set_int(r->a, o, "rows",
		    fd->max > 4000	 ? 16
			: fd->max > 1000 ? 4
					 : 3);
		if ((sql = thing_select_sql(fd)) != NULL) {
			rows = NULL;
			db_query(r->db, r->a, &rows, sql, "");
			val_set_bool(r->a, o, "is_select", 1);
			val_set(
			    r->a, o, "options", thing_options(r, rows, cur));
		} else if (fd->input != THING_AREA)
			val_set_str(r->a, o, "type", types[fd->input]);
		if (fd->input == THING_NUMBER) {
			val_set_int(r->a, o, "min", 1900);
			val_set_int(r->a, o, "maxv", 2100);
		}
		if (strcmp(fd->name, "slug") == 0)
			val_set_str(r->a, o, "pattern", "[a-z0-9][a-z0-9\\-]*");
		for (j = 0; errs && j < errs->u.list.n; j++)
			if (strcmp(page_str(errs->u.list.items[j], "field"),
				fd->name) == 0)
				val_set_bool(r->a, o, "invalid", 1);
		val_push(r->a, list, o);
	}
	return list;
}

/* A slug made from name (cut at 80), unique in kind k. */
static const char *
thing_slug_make(struct req *r, struct db *db, enum thing_kind k,
    const char *name, long long id)
{
	struct buf b;
	const char *base, *s;
	int i;

	buf_init(&b, 4096);
	html_slug(&b, name, strlen(name));
	if (b.len > 80)
		b.len = 80;
	while (b.len > 0 && b.data[b.len - 1] == '-')
		b.len--;
	base = b.len ? arena_strndup(r->a, b.data, b.len)
		     : arena_printf(r->a, "%s-%lld", thing_defs[k].entity,
			   (long long)r->now);
	buf_free(&b);
	s = base;
	for (i = 2; i < 1000 &&
	     db_int(db, thing_defs[k].sql_slug_taken, "ti", s, id) > 0;
	     i++)
		s = arena_printf(r->a, "%s-%d", base, i);
	return s;
}

/* A file name as sent, kept to its last part and to printable UTF-8. */
static const char *
thing_file_name(struct req *r, const char *name, const char *slug)
{
	const char *p;
	struct buf b;
	const unsigned char *s;
	size_t n, k;
	char *out;

	if ((p = strrchr(name, '/')) != NULL)
		name = p + 1;
	if ((p = strrchr(name, '\\')) != NULL)
		name = p + 1;
	buf_init(&b, 4096);
	s = (const unsigned char *)name;
	n = strlen(name);
	while (n > 0 && b.len < THING_FILE_NAME_MAX) {
		if (*s >= 0x80 && (k = buf_utf8_len(s, n)) > 0) {
			buf_append(&b, s, k);
			s += k;
			n -= k;
			continue;
		}
		buf_putc(&b, *s < 0x20 || *s >= 0x7f || *s == '"' ? '_' : *s);
		s++;
		n--;
	}
	out = b.len ? arena_strdup(r->a, buf_cstr(&b))
		    : arena_printf(r->a, "%s.pdf", slug);
	buf_free(&b);
	return out;
}

/* ---- the list ------------------------------------------------------------ */

static int
thing_list(struct req *r, struct auth_user *u, enum thing_kind k)
{
	const struct thing_def *d = &thing_defs[k];
	struct val *v = admin_view(r, d->many), *rows;
	size_t i;

	if (db_query(r->db, r->a, &rows, d->sql_list, "") == -1)
		return r->status = 500;
	for (i = 0; i < rows->u.list.n; i++) {
		struct val *o = rows->u.list.items[i];

		val_set_str(r->a, o, "edit_url",
		    arena_printf(
			r->a, "/admin/%s/%lld", d->section, page_int(o, "id")));
		if (d->public_base != NULL)
			val_set_str(r->a, o, "public_url",
			    arena_printf(r->a, "%s%s", d->public_base,
				page_str(o, "slug")));
	}
	val_set(r->a, v, "things", rows);
	val_set_str(r->a, v, "one", d->one);
	val_set_str(r->a, v, "new_url",
	    arena_printf(r->a, "/admin/%s/new", d->section));
	val_set_str(r->a, v, "name_label",
	    strcmp(d->name_field, "title") == 0 ? "Title" : "Name");
	if (d->extra_label != NULL)
		val_set_str(r->a, v, "extra_label", d->extra_label);
	admin_render(r, u, "things", v);
	return r->status;
}

/* ---- the editor ---------------------------------------------------------- */

/* Renders the editor of kind k for values fv of id (0: new); status is
 * kept when it is an error. */
static int
thing_show(struct req *r, struct auth_user *u, enum thing_kind k, struct val *v,
    struct val *fv, long long id, int status)
{
	const struct thing_def *d = &thing_defs[k];

	val_set(r->a, v, "fields",
	    thing_fields_view(r, d->fields, d->nfields, fv, v));
	val_set_str(r->a, v, "action",
	    id ? arena_printf(r->a, "/admin/%s/%lld", d->section, id)
	       : arena_printf(r->a, "/admin/%s/new", d->section));
	val_set_str(
	    r->a, v, "list_url", arena_printf(r->a, "/admin/%s", d->section));
	val_set_str(r->a, v, "many", d->many);
	val_set_str(r->a, v, "one", d->one);
	val_set_int(r->a, v, "id", id);
	if (id != 0)
		val_set_str(r->a, v, "revisions_url",
		    arena_printf(
			r->a, "/admin/%s/%lld/revisions", d->section, id));
	val_set_bool(r->a, v, "has_file", k == THING_PUB);
	if (k == THING_PUB && *page_str(fv, "file_name")) {
		val_set_str(r->a, v, "file_name", page_str(fv, "file_name"));
		val_set_str(r->a, v, "file_kb",
		    arena_printf(r->a, "%lld KB",
			(page_int(fv, "file_size") + 1023) / 1024));
		if (id && *page_str(fv, "slug"))
			val_set_str(r->a, v, "file_url",
			    arena_printf(r->a, "/publications/%s.pdf",
				page_str(fv, "slug")));
	}
	val_set_int(r->a, v, "file_max_mb", (long long)(MEDIA_MAX_BYTES >> 20));
	if (id != 0) {
		val_set_bool(r->a, v, "can_delete", 1);
		if (d->public_base != NULL && *page_str(fv, "slug"))
			val_set_str(r->a, v, "public_url",
			    arena_printf(r->a, "%s%s", d->public_base,
				page_str(fv, "slug")));
	}
	admin_render(r, u, "things_edit", v);
	if (status >= 400)
		r->status = status;
	return r->status;
}

static int
thing_editor(
    struct req *r, struct auth_user *u, enum thing_kind k, long long id)
{
	const struct thing_def *d = &thing_defs[k];
	struct val *v, *fv;

	if (id == 0) {
		fv = val_obj(r->a);
		if (k == THING_PUB)
			val_set_str(
			    r->a, fv, "lang", page_setting(r, "language"));
		v = admin_view(r, arena_printf(r->a, "New %s", d->one));
	} else {
		if ((fv = db_query_one(r->db, r->a, d->sql_get, "i", id)) ==
		    NULL)
			return r->status = 404;
		v = admin_view(r,
		    arena_printf(
			r->a, "Edit: %s", page_str(fv, d->name_field)));
	}
	return thing_show(r, u, k, v, fv, id, 0);
}

/* Checks the values sent for kind k into fv (errors into v). */
static void
thing_check(struct req *r, struct db *w, enum thing_kind k,
    const struct form *f, struct val *v, struct val *fv, long long id)
{
	const struct thing_def *d = &thing_defs[k];
	const char *s;
	char *end;
	size_t i;
	long y;

	for (i = 0; i < d->nfields; i++) {
		const struct thing_field *fd = &d->fields[i];

		s = admin_field(r, f, fd->name, fd->label, fd->max,
		    fd->input == THING_AREA, v);
		if (s == NULL) {
			/* the raw text is not shown back: it is malformed */
			val_set_str(r->a, fv, fd->name, "");
			continue;
		}
		val_set_str(r->a, fv, fd->name, s);
		if (fd->required && *s == '\0')
			admin_error(r, v, fd->name,
			    arena_printf(r->a, "%s: required.", fd->label));
	}
	s = page_str(fv, "slug");
	if (*s != '\0' && !thing_slug_ok(s))
		admin_error(r, v, "slug",
		    "Address (slug): use lowercase letters, digits and dashes "
		    "only.");
	else if (*s != '\0' && db_int(w, d->sql_slug_taken, "ti", s, id) > 0)
		admin_error(r, v, "slug",
		    arena_printf(r->a,
			"Address (slug): another %s has this "
			"address already.",
			d->one));
	if (k == THING_PUB) {
		s = page_str(fv, "year");
		if (*s) {
			y = strtol(s, &end, 10);
			if (*end != '\0' || end == s || y < 1900 || y > 2100)
				admin_error(r, v, "year",
				    "Year: a year from 1900 to 2100.");
		}
	}
	s = page_str(fv, "lang");
	for (i = 0; s[i]; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') ||
			(s[i] >= 'A' && s[i] <= 'Z') || s[i] == '-'))
			break;
	if (s[i] != '\0')
		admin_error(
		    r, v, "lang", "Language: a code such as en or pt-BR.");
	if (k == THING_MEMBER) {
		s = page_str(fv, "country_code");
		if (*s &&
		    !(strlen(s) == 2 &&
			((s[0] >= 'A' && s[0] <= 'Z') ||
			    (s[0] >= 'a' && s[0] <= 'z')) &&
			((s[1] >= 'A' && s[1] <= 'Z') ||
			    (s[1] >= 'a' && s[1] <= 'z'))))
			admin_error(r, v, "country_code",
			    "Country code: two letters, such as DE.");
		else if (*s)
			val_set_str(r->a, fv, "country_code",
			    arena_printf(r->a, "%c%c",
				s[0] >= 'a' ? s[0] - 32 : s[0],
				s[1] >= 'a' ? s[1] - 32 : s[1]));
		s = page_str(fv, "region");
		if (*s &&
		    db_int(w, "SELECT id FROM region WHERE slug = ?", "t", s) <=
			0)
			admin_error(
			    r, v, "region", "Region: choose one of the list.");
		s = page_str(fv, "website");
		if (*s &&
		    !((strncmp(s, "https://", 8) == 0 && s[8]) ||
			(strncmp(s, "http://", 7) == 0 && s[7])))
			admin_error(r, v, "website",
			    "Website: a full address starting with https:// "
			    "or http://.");
		else if (*s &&
		    (!html_url_ok(s, strlen(s)) || strpbrk(s, " \"<>") != NULL))
			admin_error(r, v, "website",
			    "Website: this is not a valid address.");
	}
	if (k == THING_CONTACT) {
		s = page_str(fv, "email");
		if (*s && email_valid(s) != 0)
			admin_error(r, v, "email",
			    "E-mail: this is not a valid address.");
	}
}

/* Stores fv of kind k (a new row when *idp is 0; its id then in *idp) in
 * the caller's transaction; 0 or -1. */
static int
thing_store(struct req *r, struct db *w, enum thing_kind k, struct val *fv,
    long long *idp)
{
	long long id = *idp, rid = 0, y = 0, rc = -1;
	const char *region;

#define S(x) page_str(fv, x)
	switch (k) {
	case THING_PUB:
		y = strtoll(S("year"), NULL, 10);
		if (id == 0)
			rc = db_exec(w,
			    "INSERT INTO publication(slug, title, year, lang, "
			    "summary, body, created_at, updated_at) VALUES "
			    "(?, ?, NULLIF(?, 0), ?, ?, ?, ?, ?)",
			    "ttitttii", S("slug"), S("title"), y, S("lang"),
			    S("summary"), S("body"), (long long)r->now,
			    (long long)r->now);
		else
			rc = db_exec(w,
			    "UPDATE publication SET slug = ?, title = ?, year "
			    "= "
			    "NULLIF(?, 0), lang = ?, summary = ?, body = ?, "
			    "updated_at = ? WHERE id = ?",
			    "ttittti"
			    "i",
			    S("slug"), S("title"), y, S("lang"), S("summary"),
			    S("body"), (long long)r->now, id);
		break;
	case THING_MEMBER:
		region = S("region");
		if (*region)
			rid = db_int(w, "SELECT id FROM region WHERE slug = ?",
			    "t", region);
		if (rid < 0)
			rid = 0;
		if (id == 0)
			rc = db_exec(w,
			    "INSERT INTO member(slug, name, acronym, country, "
			    "country_code, region_id, website, body) VALUES "
			    "(?, ?, ?, ?, ?, NULLIF(?, 0), ?, ?)",
			    "tttttitt", S("slug"), S("name"), S("acronym"),
			    S("country"), S("country_code"), rid, S("website"),
			    S("body"));
		else
			rc = db_exec(w,
			    "UPDATE member SET slug = ?, name = ?, acronym = "
			    "?, "
			    "country = ?, country_code = ?, region_id = "
			    "NULLIF(?, 0), website = ?, body = ? WHERE id = ?",
			    "tttttitti", S("slug"), S("name"), S("acronym"),
			    S("country"), S("country_code"), rid, S("website"),
			    S("body"), id);
		break;
	case THING_CONTACT:
		if (id == 0)
			rc = db_exec(w,
			    "INSERT INTO contact(slug, name, role, phone, "
			    "email, "
			    "intro) VALUES (?, ?, ?, ?, ?, ?)",
			    "tttttt", S("slug"), S("name"), S("role"),
			    S("phone"), S("email"), S("intro"));
		else
			rc = db_exec(w,
			    "UPDATE contact SET slug = ?, name = ?, role = ?, "
			    "phone = ?, email = ?, intro = ? WHERE id = ?",
			    "tttttti", S("slug"), S("name"), S("role"),
			    S("phone"), S("email"), S("intro"), id);
		break;
	case THING_BLOCK:
		if (id == 0)
			rc = db_exec(w,
			    "INSERT INTO block(slug, title, body) "
			    "VALUES (?, ?, ?)",
			    "ttt", S("slug"), S("title"), S("body"));
		else
			rc = db_exec(w,
			    "UPDATE block SET slug = ?, title = ?, body = ? "
			    "WHERE id = ?",
			    "ttti", S("slug"), S("title"), S("body"), id);
		break;
	default:
		return -1;
	}
#undef S
	if (rc < 0)
		return -1;
	if (id == 0)
		*idp = rc;
	return 0;
}

/* The setting that names row cur of kind k (a block shown under press
 * releases, the media contact), or NULL when none does. */
static const char *
thing_in_use(struct req *r, struct db *w, enum thing_kind k, struct val *cur)
{
	const char *key = k == THING_BLOCK ? "about_block"
	    : k == THING_CONTACT	   ? "media_contact"
					   : NULL;
	struct val *row;

	if (key == NULL)
		return NULL;
	row = db_query_one(
	    w, r->a, "SELECT value FROM setting WHERE key = ?", "t", key);
	if (row != NULL &&
	    strcmp(page_str(row, "value"), page_str(cur, "slug")) == 0)
		return key;
	return NULL;
}

static int
thing_delete(struct req *r, struct auth_user *u, enum thing_kind k,
    struct db *w, struct val *cur, long long id)
{
	const struct thing_def *d = &thing_defs[k];
	const char *text, *name = page_str(cur, d->name_field);
	struct val *v;

	if (thing_in_use(r, w, k, cur) != NULL) {
		v = admin_view(r, arena_printf(r->a, "Edit: %s", name));
		admin_error(r, v, NULL,
		    k == THING_BLOCK
			? "This block is the site's About-us text (see "
			  "Settings): choose another block there before "
			  "deleting it."
			: "This is the site's media contact (see Settings): "
			  "choose another contact there before deleting it.");
		return thing_show(r, u, k, v, cur, id, 422);
	}
	text = thing_text(r, w, k, id);
	if (db_begin(w) == -1)
		return r->status = 500;
	if (db_exec(w, d->sql_delete, "i", id) < 0 ||
	    thing_revision(r, w, u, d->entity, id, "delete", text) == -1 ||
	    admin_audit(r, u, arena_printf(r->a, "%s.delete", d->entity), name,
		arena_printf(r->a, "id %lld", id)) == -1 ||
	    db_commit(w) == -1) {
		db_rollback(w);
		return r->status = 500;
	}
	return admin_redirect(
	    r, arena_printf(r->a, "/admin/%s?done=deleted", d->section));
}

/* POST of an editor: save (new or existing), or delete. */
static int
thing_post(struct req *r, struct auth_user *u, enum thing_kind k, long long id,
    const struct form *f)
{
	const struct thing_def *d = &thing_defs[k];
	struct db *w = http_db_rw(r->site);
	struct val *v, *fv = val_obj(r->a), *cur = NULL;
	const struct form_field *file = NULL;
	const char *action = form_get(f, "action"), *remove, *sniff;
	long long nid = id;
	int st = 422, i;

	if (w == NULL)
		return r->status = 503;
	if (action == NULL)
		action = "save";
	if (id != 0 &&
	    (cur = db_query_one(w, r->a, d->sql_get, "i", id)) == NULL)
		return r->status = 404;
	if (strcmp(action, "delete") == 0)
		return id ? thing_delete(r, u, k, w, cur, id)
			  : (r->status = 400);
	if (strcmp(action, "save") != 0)
		return r->status = 400;
	v = admin_view(r,
	    id ? arena_printf(r->a, "Edit: %s", page_str(cur, d->name_field))
	       : arena_printf(r->a, "New %s", d->one));
	thing_check(r, w, k, f, v, fv, id);
	if (k == THING_PUB) {
		if (cur != NULL) {
			val_set_str(
			    r->a, fv, "file_name", page_str(cur, "file_name"));
			val_set_int(
			    r->a, fv, "file_size", page_int(cur, "file_size"));
		}
		file = form_field(f, "file");
		if (file != NULL &&
		    (file->filename == NULL ||
			(file->len == 0 && *file->filename == '\0')))
			file = NULL; /* no file chosen */
		if (file != NULL && file->len > MEDIA_MAX_BYTES) {
			admin_error(r, v, "file",
			    arena_printf(r->a,
				"The file is too large: at most %zu MB.",
				MEDIA_MAX_BYTES >> 20));
			st = 413;
		} else if (file != NULL &&
		    !media_is_pdf(file->value, file->len)) {
			sniff = media_sniff(file->value, file->len);
			admin_error(r, v, "file",
			    arena_printf(r->a,
				"This file is not a PDF document (it is %s).",
				sniff ? sniff : "of an unknown type"));
		}
	}
	if (val_get(v, "errors") != NULL) {
		if (file != NULL)
			admin_error(r, v, NULL,
			    "Nothing is saved: choose the file again.");
		return thing_show(r, u, k, v, fv, id, st);
	}
	if (*page_str(fv, "slug") == '\0')
		val_set_str(r->a, fv, "slug",
		    thing_slug_make(r, w, k, page_str(fv, d->name_field), id));
	if (k == THING_PUB && *page_str(fv, "lang") == '\0')
		val_set_str(r->a, fv, "lang",
		    *page_setting(r, "language") ? page_setting(r, "language")
						 : "en");
	remove = form_get(f, "remove_file");
	if (db_begin(w) == -1)
		return r->status = 500;
	if (thing_store(r, w, k, fv, &nid) == -1)
		goto fail;
	if (k == THING_PUB && file != NULL) {
		if (db_exec(w,
			"UPDATE publication SET file_name = ?, file_type = "
			"'application/pdf', file_data = ? WHERE id = ?",
			"tbi",
			thing_file_name(
			    r, file->filename, page_str(fv, "slug")),
			(const void *)file->value, file->len, nid) < 0)
			goto fail;
	} else if (k == THING_PUB && remove != NULL && *remove != '\0') {
		if (db_exec(w,
			"UPDATE publication SET file_name = NULL, file_type = "
			"NULL, file_data = NULL WHERE id = ?",
			"i", nid) < 0)
			goto fail;
	}
	for (i = 0; i < (int)d->nfields; i++)
		if (d->fields[i].md &&
		    load_emails(
			w, r->site->key, page_str(fv, d->fields[i].name)) == -1)
			goto fail;
	if (k == THING_CONTACT &&
	    load_emails(w, r->site->key, page_str(fv, "email")) == -1)
		goto fail;
	if (thing_revision(r, w, u, d->entity, nid, id ? "save" : "create",
		thing_text(r, w, k, nid)) == -1 ||
	    admin_audit(r, u,
		arena_printf(r->a, "%s.%s", d->entity, id ? "save" : "create"),
		page_str(fv, d->name_field),
		arena_printf(r->a, "id %lld%s", nid,
		    file ? ", new file"
			 : (remove && *remove ? ", file removed" : ""))) ==
		-1 ||
	    db_commit(w) == -1)
		goto fail;
	return admin_redirect(r,
	    arena_printf(r->a, "/admin/%s/%lld?done=%s", d->section, nid,
		id ? "saved" : "created"));
fail:
	db_rollback(w);
	return r->status = 500;
}

/* /admin/KIND/ID/revisions, /compare and (POST) /restore: a restore
 * sends the revision's fields through the editor's own save, so it is
 * checked like any save (a publication keeps its current file). */
static int
thing_revisions(struct req *r, struct auth_user *u, enum thing_kind k,
    long long id, const char *what, const struct form *f)
{
	const struct thing_def *d = &thing_defs[k];
	int post = strcmp(r->method, "POST") == 0;
	struct val *cur, *meta;
	struct form rf;
	const char *base, *text, *body;
	size_t i, blen;
	char err[256];

	if ((cur = db_query_one(r->db, r->a, d->sql_get, "i", id)) == NULL)
		return r->status = 404;
	base = arena_printf(r->a, "/admin/%s/%lld", d->section, id);
	if (strcmp(what, "revisions") == 0 && !post)
		return admin_rev_list(
		    r, u, d->entity, id, page_str(cur, d->name_field), base, 1);
	if (strcmp(what, "compare") == 0 && !post)
		return admin_rev_compare(
		    r, u, d->entity, id, page_str(cur, d->name_field), base);
	if (strcmp(what, "restore") != 0 || !post)
		return r->status = 404;
	text = admin_rev_text(
	    r, http_db_rw(r->site), d->entity, id, form_get(f, "revision"));
	if (text == NULL)
		return r->status = 404;
	if (fm_parse(r->a, text, strlen(text), &meta, &body, &blen, err,
		sizeof(err)) == -1)
		return r->status = 500;
	while (blen > 0 && *body == '\n') {
		body++;
		blen--;
	}
	memset(&rf, 0, sizeof(rf));
	rf.cap = meta->u.obj.n + 2;
	rf.f = arena_alloc(r->a, rf.cap * sizeof(*rf.f));
	for (i = 0; i < meta->u.obj.n; i++) {
		if (meta->u.obj.kv[i].v->type != VAL_STR ||
		    strcmp(meta->u.obj.kv[i].key, "file") == 0)
			continue;
		rf.f[rf.n].name = meta->u.obj.kv[i].key;
		rf.f[rf.n].value = meta->u.obj.kv[i].v->u.str.s;
		rf.f[rf.n++].len = meta->u.obj.kv[i].v->u.str.len;
	}
	rf.f[rf.n].name = "body";
	rf.f[rf.n].value = arena_strndup(r->a, body, blen);
	rf.f[rf.n++].len = blen;
	rf.f[rf.n].name = "action";
	rf.f[rf.n].value = "save";
	rf.f[rf.n++].len = 4;
	thing_post(r, u, k, id, &rf);
	if (r->status == 303)
		admin_audit(r, u, arena_printf(r->a, "%s.restore", d->entity),
		    page_str(cur, d->name_field),
		    arena_printf(r->a, "id %lld, revision %s", id,
			form_get(f, "revision")));
	return r->status;
}

/* ---- settings and social accounts (admins only) ------------------------- */

/* Renders the settings page; fv: the settings form's values (NULL: from
 * the store); add: the add-account form's values. */
static int
thing_settings_show(struct req *r, struct auth_user *u, struct val *v,
    struct val *fv, struct val *add, int status)
{
	struct val *rows, *social;
	size_t i;

	if (fv == NULL) {
		fv = val_obj(r->a);
		if (db_query(r->db, r->a, &rows,
			"SELECT key, value FROM setting WHERE key <> 'secret'",
			"") == -1)
			return r->status = 500;
		for (i = 0; i < rows->u.list.n; i++)
			val_set_str(r->a, fv,
			    page_str(rows->u.list.items[i], "key"),
			    page_str(rows->u.list.items[i], "value"));
	}
	val_set(r->a, v, "fields",
	    thing_fields_view(
		r, thing_setting_fields, THING_N(thing_setting_fields), fv, v));
	if (db_query(r->db, r->a, &social,
		"SELECT id, network, handle, url, position FROM social "
		"ORDER BY position, id",
		"") == -1)
		return r->status = 500;
	val_set(r->a, v, "social", social);
	val_set(r->a, v, "add", add ? add : val_obj(r->a));
	admin_render(r, u, "things_settings", v);
	if (status >= 400)
		r->status = status;
	return r->status;
}

/* Reads and checks a social account's fields (names network, handle,
 * url, position) into o; errors carry field names with suffix (such as
 * "-3" for account 3, "" for the add form). */
static void
thing_social_check(struct req *r, const struct form *f, struct val *v,
    struct val *o, const char *suffix)
{
	static const struct {
		const char *name, *label;
		size_t max;
	} fs[] = {
	    {"network", "Network", 50},
	    {"handle", "Handle", 200},
	    {"url", "Address", 500},
	    {"position", "Position", 6},
	};
	struct val *errs;
	const char *s;
	char *end;
	size_t i, before;

	errs = val_get(v, "errors");
	before = errs ? errs->u.list.n : 0;
	for (i = 0; i < THING_N(fs); i++) {
		s = admin_field(r, f, fs[i].name, fs[i].label, fs[i].max, 0, v);
		val_set_str(r->a, o, fs[i].name, s ? s : "");
	}
	if (*page_str(o, "network") == '\0')
		admin_error(r, v, "network", "Network: required.");
	s = page_str(o, "url");
	if (strncmp(s, "https://", 8) != 0 || s[8] == '\0' ||
	    !html_url_ok(s, strlen(s)) || strpbrk(s, " \"<>") != NULL)
		admin_error(r, v, "url",
		    "Address: a full address starting with https://.");
	s = page_str(o, "position");
	if (*s) {
		strtol(s, &end, 10);
		if (*end != '\0')
			admin_error(r, v, "position", "Position: a number.");
	}
	/* the error links go to this form's own fields */
	errs = val_get(v, "errors");
	for (i = before; *suffix && errs && i < errs->u.list.n; i++)
		if (*page_str(errs->u.list.items[i], "field"))
			val_set_str(r->a, errs->u.list.items[i], "field",
			    arena_printf(r->a, "%s%s",
				page_str(errs->u.list.items[i], "field"),
				suffix));
}

static int
thing_settings_post(
    struct req *r, struct auth_user *u, struct val *v, const struct form *f)
{
	struct db *w = http_db_rw(r->site);
	const char *action = form_get(f, "action"), *s, *what, *subject;
	struct val *fv, *o;
	long long id = 0, pos;
	size_t i;

	if (w == NULL)
		return r->status = 503;
	if (action == NULL)
		return r->status = 400;
	if (strcmp(action, "save") == 0) {
		fv = val_obj(r->a);
		for (i = 0; i < THING_N(thing_setting_fields); i++) {
			const struct thing_field *fd = &thing_setting_fields[i];

			s = admin_field(
			    r, f, fd->name, fd->label, fd->max, 0, v);
			val_set_str(r->a, fv, fd->name, s ? s : "");
			if (s != NULL && fd->required && *s == '\0')
				admin_error(r, v, fd->name,
				    arena_printf(
					r->a, "%s: required.", fd->label));
		}
		s = page_str(fv, "language");
		for (i = 0; s[i]; i++)
			if (!((s[i] >= 'a' && s[i] <= 'z') ||
				(s[i] >= 'A' && s[i] <= 'Z') || s[i] == '-'))
				break;
		if (s[i] != '\0')
			admin_error(r, v, "language",
			    "Language: a code such as en or pt-BR.");
		s = page_str(fv, "about_block");
		if (*s &&
		    db_int(w, "SELECT id FROM block WHERE slug = ?", "t", s) <=
			0)
			admin_error(r, v, "about_block",
			    "About-us block: choose one of the list.");
		s = page_str(fv, "media_contact");
		if (*s &&
		    db_int(w, "SELECT id FROM contact WHERE slug = ?", "t",
			s) <= 0)
			admin_error(r, v, "media_contact",
			    "Media contact: choose one of the list.");
		if (val_get(v, "errors") != NULL)
			return thing_settings_show(r, u, v, fv, NULL, 422);
		if (db_begin(w) == -1)
			return r->status = 500;
		for (i = 0; i < THING_N(thing_setting_fields); i++)
			if (db_exec(w,
				"INSERT OR REPLACE INTO setting(key, value) "
				"VALUES (?, ?)",
				"tt", thing_setting_fields[i].name,
				page_str(fv, thing_setting_fields[i].name)) < 0)
				goto fail;
		what = "settings.save";
		subject = "settings";
	} else if (strcmp(action, "social-add") == 0 ||
	    strcmp(action, "social-save") == 0) {
		o = val_obj(r->a);
		if (action[7] == 's') {
			id =
			    strtoll(form_get(f, "id") ? form_get(f, "id") : "0",
				NULL, 10);
			if (db_int(w, "SELECT id FROM social WHERE id = ?", "i",
				id) <= 0)
				return r->status = 404;
		}
		thing_social_check(
		    r, f, v, o, id ? arena_printf(r->a, "-%lld", id) : "");
		if (val_get(v, "errors") != NULL)
			return thing_settings_show(
			    r, u, v, NULL, id ? NULL : o, 422);
		s = page_str(o, "position");
		pos = *s ? strtoll(s, NULL, 10)
			 : db_int(w,
			       "SELECT coalesce(max(position), -1) + 1 "
			       "FROM social",
			       "");
		if (db_begin(w) == -1)
			return r->status = 500;
		if (id == 0) {
			if ((id = db_exec(w,
				 "INSERT INTO social(network, handle, url, "
				 "position) VALUES (?, ?, ?, ?)",
				 "ttti", page_str(o, "network"),
				 page_str(o, "handle"), page_str(o, "url"),
				 pos)) < 0)
				goto fail;
			what = "social.add";
		} else {
			if (db_exec(w,
				"UPDATE social SET network = ?, handle = ?, "
				"url = ?, position = ? WHERE id = ?",
				"tttii", page_str(o, "network"),
				page_str(o, "handle"), page_str(o, "url"), pos,
				id) < 0)
				goto fail;
			what = "social.save";
		}
		subject = arena_printf(r->a, "%s %s", page_str(o, "network"),
		    page_str(o, "handle"));
	} else if (strcmp(action, "social-delete") == 0) {
		id = strtoll(
		    form_get(f, "id") ? form_get(f, "id") : "0", NULL, 10);
		o = db_query_one(w, r->a,
		    "SELECT network, handle FROM social WHERE id = ?", "i", id);
		if (o == NULL)
			return r->status = 404;
		if (db_begin(w) == -1)
			return r->status = 500;
		if (db_exec(w, "DELETE FROM social WHERE id = ?", "i", id) < 0)
			goto fail;
		what = "social.delete";
		subject = arena_printf(r->a, "%s %s", page_str(o, "network"),
		    page_str(o, "handle"));
	} else
		return r->status = 400;
	if (thing_revision(r, w, u, "settings", 0, what,
		thing_settings_text(r, w)) == -1 ||
	    admin_audit(r, u, what, subject,
		id ? arena_printf(r->a, "id %lld", id) : "") == -1 ||
	    db_commit(w) == -1)
		goto fail;
	return admin_redirect(r,
	    strcmp(what, "social.delete") == 0 ? "/admin/settings?done=deleted"
					       : "/admin/settings?done=saved");
fail:
	db_rollback(w);
	return r->status = 500;
}

static int
thing_settings(struct req *r, struct auth_user *u, const struct form *f)
{
	struct val *v = admin_view(r, "Settings");

	if (u->role != USER_ADMIN)
		return r->status = 403;
	if (strcmp(r->method, "POST") == 0)
		return thing_settings_post(r, u, v, f);
	return thing_settings_show(r, u, v, NULL, NULL, 0);
}

/* ---- routing --------------------------------------------------------------
 */

int
admin_things(struct req *r, struct auth_user *u, const char **part, int n,
    const struct form *f)
{
	int post = strcmp(r->method, "POST") == 0, k;
	long long id;
	char *end;

	if (n < 1 || u->role > USER_EDITOR)
		return r->status = n < 1 ? 404 : 403;
	if (strcmp(part[0], "settings") == 0) {
		if (n > 2 || (n == 2 && *part[1] != '\0'))
			return r->status = 404;
		return thing_settings(r, u, f);
	}
	for (k = 0; k < THING_KIND__MAX; k++)
		if (strcmp(part[0], thing_defs[k].section) == 0)
			break;
	if (k == THING_KIND__MAX || n > 3)
		return r->status = 404;
	if (n == 1 || *part[1] == '\0')
		return post ? (r->status = 405)
			    : thing_list(r, u, (enum thing_kind)k);
	if (strcmp(part[1], "new") == 0)
		return post ? thing_post(r, u, (enum thing_kind)k, 0, f)
			    : thing_editor(r, u, (enum thing_kind)k, 0);
	id = strtoll(part[1], &end, 10);
	if (*end != '\0' || end == part[1] || id <= 0)
		return r->status = 404;
	if (n == 3)
		return thing_revisions(
		    r, u, (enum thing_kind)k, id, part[2], f);
	return post ? thing_post(r, u, (enum thing_kind)k, id, f)
		    : thing_editor(r, u, (enum thing_kind)k, id);
}
