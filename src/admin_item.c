/* admin_item.c: writing items (news, press releases, statements, events,
 * pages) in the admin: the list, the editor with its server-rendered
 * preview, the workflow (draft, review, scheduled, published, archived),
 * revisions with compare and restore, old paths kept as redirects, and
 * the timer that publishes scheduled items. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "extern.h"

#define ITEM_TITLE_MAX 500
#define ITEM_SUMMARY_MAX 4000
#define ITEM_BODY_MAX (512 * 1024)
#define ITEM_LIST_PAGE 30

static const char *const item_kinds[] = {
    "news", "press-release", "statement", "event", "page"};
static const char *const item_statuses[] = {
    "draft", "review", "scheduled", "published", "archived"};

static int
item_kind_ok(const char *k)
{
	size_t i;

	for (i = 0; k && i < sizeof(item_kinds) / sizeof(*item_kinds); i++)
		if (strcmp(k, item_kinds[i]) == 0)
			return 1;
	return 0;
}

/* The kinds as {value, label, selected} for a <select>. */
static struct val *
item_kind_options(struct req *r, const char *kind)
{
	struct val *opts = val_list(r->a), *o;
	size_t i;

	for (i = 0; i < sizeof(item_kinds) / sizeof(*item_kinds); i++) {
		o = val_obj(r->a);
		val_set_str(r->a, o, "value", item_kinds[i]);
		val_set_str(
		    r->a, o, "label", page_kind_label(item_kinds[i], 0));
		val_set_bool(
		    r->a, o, "selected", strcmp(kind, item_kinds[i]) == 0);
		val_push(r->a, opts, o);
	}
	return opts;
}

/* ---- an item as a content file ---------------------------------------- */

/* "2014-12-10T09:00:00+07:00" for t in the zone off minutes east. */
static void
item_date(char *out, size_t n, long long t, long long off)
{
	time_t tt = (time_t)(t + off * 60);
	struct tm tm;
	long long a = off < 0 ? -off : off;

	gmtime_r(&tt, &tm);
	snprintf(out, n, "%04d-%02d-%02dT%02d:%02d:%02d%c%02lld:%02lld",
	    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
	    tm.tm_sec, off < 0 ? '-' : '+', a / 60, a % 60);
}

const char *
admin_item_text(struct db *db, struct arena *a, long long id)
{
	struct val *it, *rows;
	struct buf b;
	char date[64];
	const char *out;
	size_t i;

	it = db_query_one(db, a,
	    "SELECT i.kind, i.slug, i.title, i.summary, i.body, i.lang, "
	    "i.status, i.published_at, i.tz_offset, e.starts, e.ends, "
	    "e.timezone, e.venue, e.city, e.country FROM item i "
	    "LEFT JOIN event e ON e.item_id = i.id WHERE i.id = ?",
	    "i", id);
	if (it == NULL)
		return NULL;
	buf_init(&b, (size_t)4 << 20);
	buf_puts(&b, "---\n");
	fm_write_kv(&b, "", "title", page_str(it, "title"));
	fm_write_kv(&b, "", "kind", page_str(it, "kind"));
	fm_write_kv(&b, "", "slug", page_str(it, "slug"));
	fm_write_kv(&b, "", "status", page_str(it, "status"));
	item_date(date, sizeof(date), page_int(it, "published_at"),
	    page_int(it, "tz_offset"));
	fm_write_kv(&b, "", "date", date);
	fm_write_kv(&b, "", "lang", page_str(it, "lang"));
	fm_write_kv(&b, "", "summary", page_str(it, "summary"));
	if (db_query(db, a, &rows,
		"SELECT t.name FROM item_tag it JOIN tag t ON t.id = it.tag_id "
		"WHERE it.item_id = ? AND substr(t.name, 1, 1) <> '#' "
		"ORDER BY t.name",
		"i", id) == 0) {
		buf_puts(&b, "tags: [");
		for (i = 0; i < rows->u.list.n; i++) {
			if (i)
				buf_puts(&b, ", ");
			fm_write_str(
			    &b, page_str(rows->u.list.items[i], "name"));
		}
		buf_puts(&b, "]\n");
	}
	if (db_query(db, a, &rows,
		"SELECT r.slug FROM item_region ir JOIN region r "
		"ON r.id = ir.region_id WHERE ir.item_id = ? ORDER BY r.slug",
		"i", id) == 0) {
		buf_puts(&b, "regions: [");
		for (i = 0; i < rows->u.list.n; i++) {
			if (i)
				buf_puts(&b, ", ");
			fm_write_str(
			    &b, page_str(rows->u.list.items[i], "slug"));
		}
		buf_puts(&b, "]\n");
	}
	if (strcmp(page_str(it, "kind"), "event") == 0) {
		fm_write_kv(&b, "", "start", page_str(it, "starts"));
		fm_write_kv(&b, "", "end", page_str(it, "ends"));
		fm_write_kv(&b, "", "timezone", page_str(it, "timezone"));
		fm_write_kv(&b, "", "venue", page_str(it, "venue"));
		fm_write_kv(&b, "", "city", page_str(it, "city"));
		fm_write_kv(&b, "", "country", page_str(it, "country"));
	}
	buf_puts(&b, "---\n\n");
	buf_puts(&b, page_str(it, "body"));
	if (b.len > 0 && b.data[b.len - 1] != '\n')
		buf_putc(&b, '\n');
	out = b.err ? NULL : arena_strdup(a, buf_cstr(&b));
	buf_free(&b);
	return out;
}

/* Stores a revision of item id as it is now; 0 or -1. */
static int
item_revision(struct db *w, struct arena *a, long long id, long long user,
    const char *action, time_t now)
{
	const char *text = admin_item_text(w, a, id);

	if (text == NULL)
		return -1;
	return db_exec(w,
		   "INSERT INTO revision(entity, entity_id, user_id, "
		   "created_at, action, text) VALUES ('item', ?, NULLIF(?, 0), "
		   "?, ?, "
		   "?)",
		   "iiitt", id, user, (long long)now, action, text) < 0
	    ? -1
	    : 0;
}

/* ---- the list ------------------------------------------------------------ */

static int
item_list(struct req *r, struct auth_user *u)
{
	const char *kind = req_arg(r, "kind"), *status = req_arg(r, "status");
	const char *q = req_arg(r, "q"), *p = req_arg(r, "page");
	struct val *v = admin_view(r, "Items"), *rows, *o, *opts;
	long long page = p ? strtoll(p, NULL, 10) : 1, total;
	size_t i;

	if (!item_kind_ok(kind))
		kind = "";
	for (i = 0; status && i < 5; i++)
		if (strcmp(status, item_statuses[i]) == 0)
			break;
	if (status == NULL || i == 5)
		status = "";
	if (q == NULL || strlen(q) > 200)
		q = "";
	if (page < 1 || page > 100000)
		page = 1;
	total = db_int(r->db,
	    "SELECT count(*) FROM item WHERE (? = '' OR kind = ?) AND "
	    "(? = '' OR status = ?) AND (? = '' OR instr(lower(title), "
	    "lower(?)) > 0)",
	    "tttttt", kind, kind, status, status, q, q);
	if (db_query(r->db, r->a, &rows,
		"SELECT i.id, i.kind, i.title, i.status, i.published_at, "
		"i.tz_offset, i.updated_at, i.author_id, "
		"coalesce(u.name, '') AS author FROM item i "
		"LEFT JOIN user u ON u.id = i.author_id "
		"WHERE (? = '' OR i.kind = ?) AND (? = '' OR i.status = ?) "
		"AND (? = '' OR instr(lower(i.title), lower(?)) > 0) "
		"ORDER BY i.updated_at DESC, i.id DESC LIMIT ? OFFSET ?",
		"ttttttii", kind, kind, status, status, q, q,
		(long long)ITEM_LIST_PAGE, (page - 1) * ITEM_LIST_PAGE) == -1)
		return r->status = 500;
	for (i = 0; i < rows->u.list.n; i++) {
		o = rows->u.list.items[i];
		val_set_str(r->a, o, "kind_label",
		    page_kind_label(page_str(o, "kind"), 0));
		val_set_str(r->a, o, "when",
		    page_date(r, page_int(o, "published_at"),
			page_int(o, "tz_offset")));
		val_set_bool(r->a, o, "editable",
		    u->role <= USER_EDITOR ||
			(page_int(o, "author_id") == u->id &&
			    (strcmp(page_str(o, "status"), "draft") == 0 ||
				strcmp(page_str(o, "status"), "review") == 0)));
	}
	val_set(r->a, v, "items", rows);
	val_set(r->a, v, "kinds", item_kind_options(r, kind));
	opts = val_list(r->a);
	for (i = 0; i < 5; i++) {
		o = val_obj(r->a);
		val_set_str(r->a, o, "value", item_statuses[i]);
		val_set_bool(
		    r->a, o, "selected", strcmp(status, item_statuses[i]) == 0);
		val_push(r->a, opts, o);
	}
	val_set(r->a, v, "statuses", opts);
	val_set_str(r->a, v, "q", q);
	val_set_int(r->a, v, "total", total);
	if (page > 1)
		val_set_str(r->a, v, "prev",
		    arena_printf(r->a, "?kind=%s&status=%s&page=%lld", kind,
			status, page - 1));
	if (page * ITEM_LIST_PAGE < total)
		val_set_str(r->a, v, "next",
		    arena_printf(r->a, "?kind=%s&status=%s&page=%lld", kind,
			status, page + 1));
	admin_render(r, u, "items", v);
	return r->status;
}

/* ---- the editor -------------------------------------------------------- */

/* "YYYY-MM-DDTHH:MM:SS" (local) and "+HH:MM" of t in zone off. */
static void
item_local(struct req *r, struct val *v, long long t, long long off)
{
	char d[64];

	item_date(d, sizeof(d), t, off);
	val_set_str(r->a, v, "date", arena_strndup(r->a, d, 19));
	val_set_str(r->a, v, "tz", arena_strdup(r->a, d + 19));
}

/* The editor's values from item row it (or a new item of kind). */
static struct val *
item_form_from_db(struct req *r, long long id, const char *kind)
{
	struct val *it, *rows, *f = val_obj(r->a);
	struct buf b;
	size_t i;
	long long off;

	if (id == 0) {
		val_set_str(r->a, f, "kind", kind);
		val_set_str(r->a, f, "status", "draft");
		off = db_int(r->db,
		    "SELECT tz_offset FROM item WHERE status = 'published' "
		    "ORDER BY published_at DESC LIMIT 1",
		    "");
		item_local(r, f, (long long)r->now, off < -1000 ? 0 : off);
		val_set_str(r->a, f, "timezone", "UTC");
		return f;
	}
	it = db_query_one(r->db, r->a,
	    "SELECT i.id, i.kind, i.slug, i.title, i.summary, i.body, i.lang, "
	    "i.status, i.published_at, i.tz_offset, i.author_id, e.starts, "
	    "e.ends, e.timezone, e.venue, e.city, e.country FROM item i "
	    "LEFT JOIN event e ON e.item_id = i.id WHERE i.id = ?",
	    "i", id);
	if (it == NULL)
		return NULL;
	item_local(
	    r, it, page_int(it, "published_at"), page_int(it, "tz_offset"));
	val_set_str(r->a, it, "start", page_str(it, "starts"));
	val_set_str(r->a, it, "end", page_str(it, "ends"));
	buf_init(&b, 65536);
	if (db_query(r->db, r->a, &rows,
		"SELECT t.name FROM item_tag it JOIN tag t ON t.id = it.tag_id "
		"WHERE it.item_id = ? AND substr(t.name, 1, 1) <> '#' "
		"ORDER BY t.name",
		"i", id) == 0)
		for (i = 0; i < rows->u.list.n; i++)
			buf_printf(&b, "%s%s", i ? ", " : "",
			    page_str(rows->u.list.items[i], "name"));
	val_set_str(r->a, it, "tags", buf_cstr(&b));
	buf_free(&b);
	if (db_query(r->db, r->a, &rows,
		"SELECT r.slug FROM item_region ir JOIN region r "
		"ON r.id = ir.region_id WHERE ir.item_id = ?",
		"i", id) == 0)
		val_set(r->a, it, "region_slugs", rows);
	return it;
}

/* 1 when region slug is among the item's (a list of {slug}). */
static int
item_has_region(const struct val *list, const char *slug)
{
	size_t i;

	for (i = 0; list && list->type == VAL_LIST && i < list->u.list.n; i++)
		if (strcmp(page_str(list->u.list.items[i], "slug"), slug) == 0)
			return 1;
	return 0;
}

/* Fills the view of the editor for values f of item id (0: new). */
static void
item_editor_view(struct req *r, struct auth_user *u, struct val *v,
    struct val *f, long long id)
{
	struct val *rows, *o;
	const char *kind = page_str(f, "kind"), *status = page_str(f, "status");
	size_t i;
	int mine, editor = u->role <= USER_EDITOR;

	val_set(r->a, v, "item", f);
	val_set_int(r->a, v, "id", id);
	val_set_str(r->a, v, "action",
	    id ? arena_printf(r->a, "/admin/items/%lld", id)
	       : "/admin/items/new");
	val_set(r->a, v, "kinds", item_kind_options(r, kind));
	val_set_bool(r->a, v, "is_event", strcmp(kind, "event") == 0);
	if (db_query(r->db, r->a, &rows,
		"SELECT slug, name FROM region ORDER BY position, name",
		"") == 0) {
		for (i = 0; i < rows->u.list.n; i++) {
			o = rows->u.list.items[i];
			val_set_bool(r->a, o, "checked",
			    item_has_region(val_get(f, "region_slugs"),
				page_str(o, "slug")));
		}
		val_set(r->a, v, "regions", rows);
	}
	mine = id == 0 || page_int(f, "author_id") == u->id;
	/* the buttons this user may press in this state */
	val_set_bool(r->a, v, "can_save",
	    editor ||
		(mine &&
		    (strcmp(status, "draft") == 0 ||
			strcmp(status, "review") == 0)));
	val_set_bool(r->a, v, "can_submit", strcmp(status, "draft") == 0);
	val_set_bool(r->a, v, "can_publish", editor);
	val_set_bool(r->a, v, "can_unpublish",
	    editor && strcmp(status, "draft") != 0 && id != 0);
	val_set_bool(r->a, v, "can_archive",
	    editor && id != 0 && strcmp(status, "archived") != 0);
	val_set_bool(r->a, v, "can_delete",
	    id != 0 && (editor || (mine && strcmp(status, "draft") == 0)));
	val_set_str(r->a, v, "status_label", status);
	if (id != 0) {
		val_set_str(r->a, v, "preview_url",
		    arena_printf(r->a, "/admin/items/%lld/preview", id));
		val_set_str(r->a, v, "revisions_url",
		    arena_printf(r->a, "/admin/items/%lld/revisions", id));
		/* the query makes the editor's browser fetch the page anew
		 * rather than show a copy it keeps for a minute */
		if (strcmp(status, "published") == 0)
			val_set_str(r->a, v, "public_url",
			    arena_printf(r->a, "%s?v=%lld",
				page_item_path(r, kind, page_str(f, "slug")),
				(long long)r->now));
	}
}

/* The values the user sent, as the editor shows them again (after an
 * error, or for a preview). NULL when a field is malformed (errors then
 * in v). */
static struct val *
item_form_from_post(
    struct req *r, const struct form *f, struct val *v, struct val *cur)
{
	static const struct {
		const char *name, *label;
		size_t max;
		int multi;
	} fields[] = {
	    {"title", "Title", ITEM_TITLE_MAX, 0},
	    {"slug", "Address (slug)", 200, 0},
	    {"summary", "Summary", ITEM_SUMMARY_MAX, 1},
	    {"body", "Text", ITEM_BODY_MAX, 1},
	    {"lang", "Language", 16, 0},
	    {"tags", "Tags", 2000, 0},
	    {"date", "Date", 32, 0},
	    {"tz", "Time zone offset", 8, 0},
	    {"start", "Starts", 32, 0},
	    {"end", "Ends", 32, 0},
	    {"timezone", "Time zone", 64, 0},
	    {"venue", "Venue", 500, 0},
	    {"city", "City", 200, 0},
	    {"country", "Country", 200, 0},
	};
	struct val *out = val_obj(r->a), *regions = val_list(r->a), *o;
	const char *s, *kind;
	size_t i;
	int bad = 0;

	for (i = 0; i < sizeof(fields) / sizeof(*fields); i++) {
		s = admin_field(r, f, fields[i].name, fields[i].label,
		    fields[i].max, fields[i].multi, v);
		if (s == NULL) {
			bad = 1;
			s = "";
		}
		val_set_str(r->a, out, fields[i].name, s);
	}
	kind = form_get(f, "kind");
	if (cur != NULL && (kind == NULL || !item_kind_ok(kind)))
		kind = page_str(cur, "kind");
	if (!item_kind_ok(kind))
		return NULL;
	val_set_str(r->a, out, "kind", kind);
	val_set_str(
	    r->a, out, "status", cur ? page_str(cur, "status") : "draft");
	val_set_int(
	    r->a, out, "author_id", cur ? page_int(cur, "author_id") : 0);
	for (i = 0; i < f->n; i++)
		if (strcmp(f->f[i].name, "regions") == 0 &&
		    f->f[i].filename == NULL && f->f[i].len <= 200) {
			o = val_obj(r->a);
			val_set_str(r->a, o, "slug", f->f[i].value);
			val_push(r->a, regions, o);
		}
	val_set(r->a, out, "region_slugs", regions);
	return bad ? NULL : out;
}

/* Front matter for the loader from the editor's values. */
static struct val *
item_meta(struct req *r, struct val *fv, const char *status, const char *date)
{
	static const char *const keys[] = {"title", "slug", "summary", "lang",
	    "tags", "start", "end", "timezone", "venue", "city", "country"};
	struct val *m = val_obj(r->a), *regions = val_list(r->a), *list;
	size_t i;

	for (i = 0; i < sizeof(keys) / sizeof(*keys); i++)
		if (*page_str(fv, keys[i]) || strcmp(keys[i], "tags") == 0)
			val_set_str(r->a, m, keys[i], page_str(fv, keys[i]));
	val_set_str(r->a, m, "status", status);
	val_set_str(r->a, m, "date", date);
	list = val_get(fv, "region_slugs");
	for (i = 0; list && i < list->u.list.n; i++)
		val_push(r->a, regions,
		    val_str(r->a, page_str(list->u.list.items[i], "slug")));
	val_set(r->a, m, "regions", regions);
	return m;
}

/* The date the user gave ("2014-12-10T09:00" and "+07:00") as ISO 8601
 * with seconds and offset, and its time in *t; NULL when malformed. */
static const char *
item_when(struct req *r, struct val *fv, time_t *t)
{
	const char *d = page_str(fv, "date"), *tz = page_str(fv, "tz");
	const char *iso;
	struct tm tm;
	int off, has_time, has_off;

	if (*tz == '\0')
		tz = "+00:00";
	if (strcmp(tz, "Z") == 0)
		tz = "+00:00";
	iso = arena_printf(r->a, "%s%s%s", d, strlen(d) == 16 ? ":00" : "", tz);
	if (load_parse_date(iso, &tm, &off, &has_time, &has_off) == -1 ||
	    !has_time || !has_off)
		return NULL;
	*t = timegm(&tm) - (time_t)off * 60;
	return iso;
}

/* The page after a save: the editor with a notice. */
static int
item_saved(struct req *r, long long id, const char *done)
{
	return admin_redirect(
	    r, arena_printf(r->a, "/admin/items/%lld?done=%s", id, done));
}

/* What a press of button action does to status cur; NULL when the user
 * may not do it (403). */
static const char *
item_next_status(const char *action, const char *cur, int editor)
{
	if (strcmp(action, "save") == 0)
		return cur;
	if (strcmp(action, "submit") == 0)
		return strcmp(cur, "draft") == 0 || strcmp(cur, "review") == 0
		    ? "review"
		    : NULL;
	if (!editor)
		return NULL;
	if (strcmp(action, "publish") == 0)
		return "published";
	if (strcmp(action, "schedule") == 0)
		return "scheduled";
	if (strcmp(action, "unpublish") == 0)
		return "draft";
	if (strcmp(action, "archive") == 0)
		return "archived";
	return NULL;
}

static const char *
item_done(const char *action, long long was_new)
{
	if (strcmp(action, "publish") == 0)
		return "published";
	if (strcmp(action, "schedule") == 0)
		return "scheduled";
	if (strcmp(action, "submit") == 0)
		return "review";
	if (strcmp(action, "unpublish") == 0)
		return "unpublished";
	if (strcmp(action, "archive") == 0)
		return "archived";
	return was_new ? "created" : "saved";
}

/* Shows the editor again with what was sent and why it was refused. */
static int
item_refuse(struct req *r, struct auth_user *u, struct val *v, struct val *fv,
    long long id, const char *why)
{
	if (why != NULL)
		admin_error(r, v, NULL, why);
	item_editor_view(r, u, v, fv, id);
	admin_render(r, u, "item", v);
	r->status = 422;
	return 422;
}

/* POST of the editor: save, a workflow step, or a preview. */
static int
item_post(
    struct req *r, struct auth_user *u, long long id, const struct form *f)
{
	struct val *v = admin_view(r, id ? "Edit" : "New item"), *cur = NULL;
	struct val *fv, *meta;
	struct db *w = http_db_rw(r->site);
	const char *action = form_get(f, "action"), *status, *date, *oldpath;
	const char *newpath;
	char err[512];
	time_t when;
	long long nid = id;
	int editor = u->role <= USER_EDITOR;

	if (w == NULL)
		return r->status = 503;
	if (action == NULL)
		action = "save";
	if (id != 0) {
		if ((cur = item_form_from_db(r, id, NULL)) == NULL)
			return r->status = 404;
		if (!editor &&
		    (page_int(cur, "author_id") != u->id ||
			(strcmp(page_str(cur, "status"), "draft") &&
			    strcmp(page_str(cur, "status"), "review"))))
			return r->status = 403;
	}
	if (strcmp(action, "delete") == 0) {
		if (id == 0 ||
		    (!editor && strcmp(page_str(cur, "status"), "draft") != 0))
			return r->status = 403;
		if (db_begin(w) == -1 ||
		    db_exec(w,
			"DELETE FROM revision WHERE entity = 'item' AND "
			"entity_id = ?",
			"i", id) < 0 ||
		    db_exec(w, "DELETE FROM item WHERE id = ?", "i", id) < 0 ||
		    admin_audit(r, u, "item.delete", page_str(cur, "title"),
			arena_printf(r->a, "id %lld", id)) == -1 ||
		    db_commit(w) == -1) {
			db_rollback(w);
			return r->status = 500;
		}
		return admin_redirect(r, "/admin/items?done=deleted");
	}
	if ((fv = item_form_from_post(r, f, v, cur)) == NULL) {
		if (val_get(v, "errors") == NULL)
			return r->status = 400;
		fv = val_obj(r->a);
		val_set_str(
		    r->a, fv, "kind", cur ? page_str(cur, "kind") : "news");
		val_set_str(r->a, fv, "status",
		    cur ? page_str(cur, "status") : "draft");
		return item_refuse(r, u, v, cur ? cur : fv, id, NULL);
	}
	if (strcmp(action, "preview") == 0) {
		/* the text as it will look, not saved */
		val_set(r->a, v, "preview_html",
		    page_md(r, page_str(fv, "body"), 0));
		val_set(r->a, v, "preview_summary",
		    page_md(r, page_str(fv, "summary"), 1));
		val_set_str(r->a, v, "preview_title", page_str(fv, "title"));
		item_editor_view(r, u, v, fv, id);
		admin_render(r, u, "item", v);
		return r->status;
	}
	if ((status = item_next_status(action,
		 cur ? page_str(cur, "status") : "draft", editor)) == NULL)
		return r->status = 403;
	if (*page_str(fv, "title") == '\0')
		return item_refuse(r, u, v, fv, id, "Give it a title.");
	if (*page_str(fv, "date") == '\0') {
		/* no date: now, in the zone given */
		item_local(r, fv, (long long)r->now, 0);
	}
	if ((date = item_when(r, fv, &when)) == NULL)
		return item_refuse(r, u, v, fv, id,
		    "The date is not right: use the date and time fields "
		    "(2014-12-10 09:00) and an offset such as +07:00.");
	if (strcmp(status, "scheduled") == 0 && when <= r->now)
		return item_refuse(r, u, v, fv, id,
		    "To schedule, pick a time in the future (or press "
		    "Publish now).");
	if (strcmp(status, "published") == 0 && when > r->now) {
		/* publishing now: the date becomes now */
		item_local(r, fv, (long long)r->now, 0);
		val_set_str(r->a, fv, "tz", "+00:00");
		date = item_when(r, fv, &when);
	}
	if (*page_str(fv, "slug") == '\0') {
		struct buf sb;

		buf_init(&sb, 4096);
		html_slug(
		    &sb, page_str(fv, "title"), strlen(page_str(fv, "title")));
		if (sb.len > 80)
			sb.len = 80;
		while (sb.len > 0 && sb.data[sb.len - 1] == '-')
			sb.len--;
		if (sb.len == 0)
			buf_printf(&sb, "%s-%lld", page_str(fv, "kind"),
			    (long long)r->now);
		val_set_str(
		    r->a, fv, "slug", arena_strndup(r->a, sb.data, sb.len));
		buf_free(&sb);
	}
	meta = item_meta(r, fv, status, date);
	oldpath = cur
	    ? page_item_path(r, page_str(cur, "kind"), page_str(cur, "slug"))
	    : NULL;
	if (db_begin(w) == -1)
		return r->status = 500;
	if (load_item_save(w, r->site->key, page_str(fv, "kind"), meta,
		page_str(fv, "body"), &nid, err, sizeof(err)) == -1) {
		db_rollback(w);
		/* "item: reason" from the loader */
		return item_refuse(r, u, v, fv, id,
		    arena_strdup(
			r->a, strncmp(err, "item: ", 6) == 0 ? err + 6 : err));
	}
	if (id == 0 &&
	    db_exec(w, "UPDATE item SET author_id = ? WHERE id = ?", "ii",
		u->id, nid) < 0)
		goto fail;
	newpath = page_item_path(r, page_str(fv, "kind"), page_str(fv, "slug"));
	/* a renamed item: its old address keeps working */
	if (oldpath && strcmp(oldpath, newpath) != 0 &&
	    (db_exec(w,
		 "INSERT OR REPLACE INTO redirect(path, item_id) VALUES (?, ?)",
		 "ti", oldpath, nid) < 0))
		goto fail;
	if (db_exec(w, "DELETE FROM redirect WHERE path = ?", "t", newpath) <
		0 ||
	    item_revision(w, r->a, nid, u->id, action, r->now) == -1 ||
	    admin_audit(r, u, arena_printf(r->a, "item.%s", action),
		page_str(fv, "title"),
		arena_printf(r->a, "id %lld, %s", nid, status)) == -1 ||
	    db_commit(w) == -1)
		goto fail;
	return item_saved(r, nid, item_done(action, id == 0));
fail:
	db_rollback(w);
	return r->status = 500;
}

static int
item_editor(struct req *r, struct auth_user *u, long long id)
{
	struct val *v = admin_view(r, id ? "Edit" : "New item"), *fv;
	const char *kind = req_arg(r, "kind");

	if (id == 0 && !item_kind_ok(kind))
		kind = "news";
	if ((fv = item_form_from_db(r, id, kind)) == NULL)
		return r->status = 404;
	if (id != 0 && u->role == USER_AUTHOR &&
	    page_int(fv, "author_id") != u->id)
		return r->status = 403;
	if (id != 0)
		val_set_str(r->a, v, "title",
		    arena_printf(r->a, "Edit: %s", page_str(fv, "title")));
	item_editor_view(r, u, v, fv, id);
	admin_render(r, u, "item", v);
	return r->status;
}

/* ---- preview, revisions -------------------------------------------------- */

static int
item_preview(struct req *r, struct auth_user *u, long long id)
{
	struct val *it;

	it = db_query_one(r->db, r->a,
	    "SELECT i.id, i.kind, i.slug, i.title, i.summary, i.body, i.lang, "
	    "i.status, i.author_id, i.published_at, i.tz_offset, "
	    "i.updated_at, e.starts, e.ends, e.all_day, e.timezone, e.venue, "
	    "e.city, e.country, e.start_utc, e.end_utc "
	    "FROM item i LEFT JOIN event e ON e.item_id = i.id WHERE i.id = ?",
	    "i", id);
	if (it == NULL)
		return r->status = 404;
	if (u->role == USER_AUTHOR && page_int(it, "author_id") != u->id)
		return r->status = 403;
	return page_item_show(r, it, 1);
}

/* The item's title and author for the revision pages; NULL (status
 * set) when there is none or the user may not see it. */
static struct val *
item_rev_item(struct req *r, struct auth_user *u, long long id)
{
	struct val *it = db_query_one(r->db, r->a,
	    "SELECT id, title, author_id FROM item WHERE id = ?", "i", id);

	if (it == NULL)
		r->status = 404;
	else if (u->role == USER_AUTHOR && page_int(it, "author_id") != u->id)
		r->status = 403;
	else
		return it;
	return NULL;
}

static int
item_revisions(struct req *r, struct auth_user *u, long long id)
{
	struct val *it = item_rev_item(r, u, id);

	if (it == NULL)
		return r->status;
	return admin_rev_list(r, u, "item", id, page_str(it, "title"),
	    arena_printf(r->a, "/admin/items/%lld", id),
	    u->role <= USER_EDITOR || page_int(it, "author_id") == u->id);
}

static int
item_compare(struct req *r, struct auth_user *u, long long id)
{
	struct val *it = item_rev_item(r, u, id);

	if (it == NULL)
		return r->status;
	return admin_rev_compare(r, u, "item", id, page_str(it, "title"),
	    arena_printf(r->a, "/admin/items/%lld", id));
}

/* POST /admin/items/ID/restore: the content of a revision comes back;
 * the item keeps its status and date (a restore never publishes or hides
 * anything by surprise). */
static int
item_restore(
    struct req *r, struct auth_user *u, long long id, const struct form *f)
{
	struct db *w = http_db_rw(r->site);
	struct val *it, *meta;
	const char *text;
	const char *rid = form_get(f, "revision"), *body, *kind, *oldpath;
	size_t blen;
	char err[512], date[64];

	if (w == NULL)
		return r->status = 503;
	it = db_query_one(w, r->a,
	    "SELECT kind, slug, status, author_id, published_at, tz_offset "
	    "FROM item WHERE id = ?",
	    "i", id);
	if (it == NULL || rid == NULL)
		return r->status = 404;
	if (u->role == USER_AUTHOR &&
	    (page_int(it, "author_id") != u->id ||
		(strcmp(page_str(it, "status"), "draft") &&
		    strcmp(page_str(it, "status"), "review"))))
		return r->status = 403;
	if ((text = admin_rev_text(r, w, "item", id, rid)) == NULL)
		return r->status = 404;
	if (fm_parse(r->a, text, strlen(text), &meta, &body, &blen, err,
		sizeof(err)) == -1)
		return r->status = 500;
	/* the text of a revision ends with a line break the editor's
	 * field never keeps */
	while (blen > 0 && (body[blen - 1] == '\n' || body[blen - 1] == ' '))
		blen--;
	body = arena_strndup(r->a, body, blen);
	while (*body == '\n')
		body++;
	kind = page_str(meta, "kind");
	if (!item_kind_ok(kind))
		return r->status = 500;
	val_set_str(r->a, meta, "status", page_str(it, "status"));
	item_date(date, sizeof(date), page_int(it, "published_at"),
	    page_int(it, "tz_offset"));
	val_set_str(r->a, meta, "date", date);
	oldpath = page_item_path(r, page_str(it, "kind"), page_str(it, "slug"));
	if (db_begin(w) == -1)
		return r->status = 500;
	if (load_item_save(w, r->site->key, kind, meta, body, &id, err,
		sizeof(err)) == -1) {
		db_rollback(w);
		return r->status = 422;
	}
	if ((strcmp(oldpath, page_item_path(r, kind, page_str(meta, "slug"))) !=
		    0 &&
		db_exec(w,
		    "INSERT OR REPLACE INTO redirect(path, item_id) "
		    "VALUES (?, ?)",
		    "ti", oldpath, id) < 0) ||
	    db_exec(w, "DELETE FROM redirect WHERE path = ?", "t",
		page_item_path(r, kind, page_str(meta, "slug"))) < 0 ||
	    item_revision(w, r->a, id, u->id,
		arena_printf(r->a, "restore %s", rid), r->now) == -1 ||
	    admin_audit(r, u, "item.restore", page_str(meta, "title"),
		arena_printf(r->a, "id %lld, revision %s", id, rid)) == -1 ||
	    db_commit(w) == -1) {
		db_rollback(w);
		return r->status = 500;
	}
	return item_saved(r, id, "restored");
}

int
admin_items(struct req *r, struct auth_user *u, const char **part, int n,
    const struct form *f)
{
	int post = strcmp(r->method, "POST") == 0;
	long long id;
	char *end;

	if (n == 0 || (n == 1 && *part[0] == '\0'))
		return post ? (r->status = 405) : item_list(r, u);
	if (strcmp(part[0], "new") == 0 && n == 1)
		return post ? item_post(r, u, 0, f) : item_editor(r, u, 0);
	id = strtoll(part[0], &end, 10);
	if (*end != '\0' || id <= 0 || end == part[0])
		return r->status = 404;
	if (n == 1)
		return post ? item_post(r, u, id, f) : item_editor(r, u, id);
	if (n == 2 && strcmp(part[1], "preview") == 0 && !post)
		return item_preview(r, u, id);
	if (n == 2 && strcmp(part[1], "revisions") == 0 && !post)
		return item_revisions(r, u, id);
	if (n == 2 && strcmp(part[1], "compare") == 0 && !post)
		return item_compare(r, u, id);
	if (n == 2 && strcmp(part[1], "restore") == 0 && post)
		return item_restore(r, u, id, f);
	return r->status = 404;
}

/* ---- the timer -------------------------------------------------------- */

int
admin_publish_due(struct db *w, time_t now)
{
	struct arena *a;
	struct val *rows;
	size_t i;
	int done = 0;

	/* cheap when nothing is due: one indexed lookup */
	if (db_int(w,
		"SELECT count(*) FROM item WHERE status = 'scheduled' AND "
		"published_at <= ?",
		"i", (long long)now) <= 0)
		return 0;
	a = arena_new();
	if (db_query(w, a, &rows,
		"SELECT id, title FROM item WHERE status = 'scheduled' AND "
		"published_at <= ? ORDER BY published_at LIMIT 100",
		"i", (long long)now) == -1) {
		arena_free(a);
		return -1;
	}
	for (i = 0; i < rows->u.list.n; i++) {
		long long id = page_int(rows->u.list.items[i], "id");

		if (db_begin(w) == -1)
			break;
		if (db_exec(w,
			"UPDATE item SET status = 'published' WHERE id = ? AND "
			"status = 'scheduled'",
			"i", id) < 0 ||
		    item_revision(w, a, id, 0, "publish (scheduled)", now) ==
			-1 ||
		    user_audit(w, "timer", "item.publish",
			page_str(rows->u.list.items[i], "title"),
			arena_printf(a, "id %lld, scheduled", id), "") == -1 ||
		    db_commit(w) == -1) {
			db_rollback(w);
			continue;
		}
		done++;
	}
	arena_free(a);
	return done;
}
