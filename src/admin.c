/* admin.c: the web admin's front door: routing under /admin, the checks
 * every page shares (signed in, role, CSRF), the page frame, the
 * dashboard, users and the audit log. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "extern.h"

#define ADMIN_AUDIT_PAGE 50

/* Notices shown after a redirect ("?done=saved"): codes, never text
 * from the URL, reach the page. */
static const struct {
	const char *code;
	const char *text;
} admin_notices[] = {
    {"saved", "Saved."},
    {"created", "Created."},
    {"published", "Published: it is live on the site."},
    {"scheduled", "Scheduled: it goes live at its time."},
    {"review", "Sent for review."},
    {"unpublished", "Taken off the site: it is a draft again."},
    {"archived", "Archived: it is no longer on the site."},
    {"restored", "The revision is restored (as a new revision)."},
    {"deleted", "Deleted."},
    {"uploaded", "Uploaded."},
    {"queued",
	"Sending has started: the mails go out in the order they "
	"were queued."},
    {"password", "Your password is changed; your other sessions ended."},
    {"totp-off", "Two-step sign-in is off."},
    {"user-added", "The user is added."},
    {"user-changed", "The user is changed."},
    {"sessions-ended", "Every session of that user has ended."},
};

struct val *
admin_view(struct req *r, const char *title)
{
	struct val *v = val_obj(r->a);

	val_set_str(r->a, v, "title", title);
	return v;
}

/* The navigation, by role. */
static struct val *
admin_nav(struct req *r, struct auth_user *u)
{
	static const struct {
		const char *label, *url;
		int role; /* the least role that sees it */
	} links[] = {
	    {"Dashboard", "/admin", USER_AUTHOR},
	    {"Items", "/admin/items", USER_AUTHOR},
	    {"Images", "/admin/media", USER_AUTHOR},
	    {"Publications", "/admin/publications", USER_EDITOR},
	    {"Members", "/admin/members", USER_EDITOR},
	    {"Contacts", "/admin/contacts", USER_EDITOR},
	    {"Blocks", "/admin/blocks", USER_EDITOR},
	    {"Newsletters", "/admin/newsletters", USER_EDITOR},
	    {"Subscribers", "/admin/subscribers", USER_ADMIN},
	    {"Settings", "/admin/settings", USER_ADMIN},
	    {"Users", "/admin/users", USER_ADMIN},
	    {"Audit log", "/admin/audit", USER_ADMIN},
	};
	struct val *list = val_list(r->a), *o;
	size_t i, n;

	for (i = 0; i < sizeof(links) / sizeof(*links); i++) {
		/* roles are ordered admin (0) < editor < author */
		if ((int)u->role > links[i].role)
			continue;
		o = val_obj(r->a);
		val_set_str(r->a, o, "label", links[i].label);
		val_set_str(r->a, o, "url", links[i].url);
		n = strlen(links[i].url);
		if (strcmp(r->path, links[i].url) == 0 ||
		    (n > 6 && strncmp(r->path, links[i].url, n) == 0 &&
			r->path[n] == '/'))
			val_set_bool(r->a, o, "current", 1);
		val_push(r->a, list, o);
	}
	return list;
}

void
admin_render(
    struct req *r, struct auth_user *u, const char *name, struct val *view)
{
	struct val *user;
	const char *done;
	size_t i;

	val_set_str(r->a, view, "css", r->site->admin_css_path);
	val_set_str(r->a, view, "site_name", r->site->name);
	if (u != NULL) {
		user = val_obj(r->a);
		val_set_str(r->a, user, "name", u->name);
		val_set_str(r->a, user, "email", u->email);
		val_set_str(r->a, user, "role", user_role_names[u->role]);
		val_set(r->a, view, "user", user);
		val_set_bool(r->a, view, "is_admin", u->role == USER_ADMIN);
		val_set_bool(r->a, view, "is_editor", u->role <= USER_EDITOR);
		val_set_str(r->a, view, "csrf", u->csrf);
		val_set(r->a, view, "nav", admin_nav(r, u));
	}
	/* has_X for every list X, for "{{#has_X}}<ul>...</ul>{{/has_X}}" */
	for (i = 0; view->type == VAL_OBJ && i < view->u.obj.n; i++)
		if (view->u.obj.kv[i].v->type == VAL_LIST)
			val_set_bool(r->a, view,
			    arena_printf(r->a, "has_%s", view->u.obj.kv[i].key),
			    view->u.obj.kv[i].v->u.list.n > 0);
	if ((done = req_arg(r, "done")) != NULL)
		for (i = 0; i < sizeof(admin_notices) / sizeof(*admin_notices);
		     i++)
			if (strcmp(done, admin_notices[i].code) == 0)
				val_set_str(r->a, view, "notice",
				    admin_notices[i].text);
	buf_reset(&r->out);
	if (tmpl_render(r->site->admin, name, view, TMPL_STRICT, &r->out) ==
	    -1) {
		r->out.err = 1;
		return;
	}
	if (r->status < 200 || r->status == 404)
		r->status = 200;
	r->ctype = "text/html; charset=utf-8";
	r->cache = 0;
	r->cache_control = "no-store";
}

int
admin_redirect(struct req *r, const char *path)
{
	/* only local paths: never an open redirect */
	if (path[0] != '/' || path[1] == '/' || path[1] == '\\')
		path = "/admin";
	r->location = arena_strdup(r->a, path);
	r->status = 303;
	r->cache = 0;
	r->cache_control = "no-store";
	buf_reset(&r->out);
	buf_puts(&r->out,
	    "<!doctype html><title>See other</title>"
	    "<p><a href=\"");
	html_attr(&r->out, path, strlen(path));
	buf_puts(&r->out, "\">Continue</a></p>\n");
	r->ctype = "text/html; charset=utf-8";
	return 303;
}

void
admin_error(
    struct req *r, struct val *view, const char *field, const char *message)
{
	struct val *list = val_get(view, "errors"), *o;

	if (list == NULL) {
		val_set(r->a, view, "errors", val_list(r->a));
		list = val_get(view, "errors");
	}
	o = val_obj(r->a);
	if (field != NULL)
		val_set_str(r->a, o, "field", field);
	val_set_str(r->a, o, "message", message);
	val_push(r->a, list, o);
}

const char *
admin_field(struct req *r, const struct form *f, const char *name,
    const char *label, size_t max, int multiline, struct val *view)
{
	const struct form_field *ff = form_field(f, name);
	const unsigned char *s;
	char *out;
	size_t i, j, n, k;

	if (ff == NULL)
		return "";
	if (ff->filename != NULL) {
		admin_error(r, view, name,
		    arena_printf(
			r->a, "%s: a file is not expected here.", label));
		return NULL;
	}
	s = (const unsigned char *)ff->value;
	n = ff->len;
	out = arena_alloc(r->a, n + 1);
	for (i = j = 0; i < n;) {
		if (s[i] == '\r') {
			if (!multiline)
				goto bad;
			out[j++] = '\n';
			i += i + 1 < n && s[i + 1] == '\n' ? 2 : 1;
			continue;
		}
		if ((s[i] < 0x20 &&
			!(multiline && (s[i] == '\n' || s[i] == '\t'))) ||
		    s[i] == 0x7f)
			goto bad;
		if (s[i] < 0x80) {
			out[j++] = (char)s[i++];
			continue;
		}
		if ((k = buf_utf8_len(s + i, n - i)) == 0)
			goto bad;
		memcpy(out + j, s + i, k);
		i += k;
		j += k;
	}
	out[j] = '\0';
	while (j > 0 &&
	    (out[j - 1] == ' ' || out[j - 1] == '\n' || out[j - 1] == '\t'))
		out[--j] = '\0';
	i = 0;
	while (out[i] == ' ' || (out[i] == '\n' && !multiline))
		i++;
	if (j - i > max) {
		admin_error(r, view, name,
		    arena_printf(r->a, "%s: at most %zu bytes.", label, max));
		return NULL;
	}
	return out + i;
bad:
	admin_error(r, view, name,
	    arena_printf(r->a,
		"%s: this text holds characters that are not "
		"allowed (control characters or broken "
		"UTF-8).",
		label));
	return NULL;
}

int
admin_audit(struct req *r, struct auth_user *u, const char *action,
    const char *subject, const char *detail)
{
	struct db *w = http_db_rw(r->site);

	if (w == NULL)
		return -1;
	return user_audit(w, u ? u->email : "system", action, subject, detail,
	    auth_client(r));
}

/* ---- the dashboard ------------------------------------------------------ */

/* Items of a status, newest change first, for the dashboard. */
static struct val *
admin_recent(
    struct req *r, struct db *db, const char *status, struct auth_user *u)
{
	struct val *rows;
	size_t i;

	if (db_query(db, r->a, &rows,
		"SELECT i.id, i.kind, i.title, i.status, i.published_at, "
		"i.tz_offset, i.updated_at, coalesce(u.name, '') AS author "
		"FROM item i LEFT JOIN user u ON u.id = i.author_id "
		"WHERE i.status = ? AND (? = 0 OR i.author_id = ?) "
		"ORDER BY i.updated_at DESC LIMIT 10",
		"tii", status, (long long)(u->role == USER_AUTHOR),
		u->id) == -1)
		return val_list(r->a);
	for (i = 0; i < rows->u.list.n; i++) {
		struct val *it = rows->u.list.items[i];

		val_set_str(r->a, it, "kind_label",
		    page_kind_label(page_str(it, "kind"), 0));
		val_set_str(r->a, it, "when",
		    page_date(r, page_int(it, "published_at"),
			page_int(it, "tz_offset")));
		val_set_str(r->a, it, "when_iso",
		    page_iso(r, page_int(it, "published_at"),
			page_int(it, "tz_offset")));
	}
	return rows;
}

static int
admin_dashboard(struct req *r, struct auth_user *u)
{
	static const char *const kinds[] = {
	    "news", "press-release", "statement", "event", "page"};
	struct val *v = admin_view(r, "Dashboard"), *list, *o;
	size_t i;

	list = val_list(r->a);
	for (i = 0; i < sizeof(kinds) / sizeof(*kinds); i++) {
		o = val_obj(r->a);
		val_set_str(r->a, o, "kind", kinds[i]);
		val_set_str(r->a, o, "label", page_kind_label(kinds[i], 0));
		val_push(r->a, list, o);
	}
	val_set(r->a, v, "kinds", list);
	val_set(r->a, v, "review", admin_recent(r, r->db, "review", u));
	val_set(r->a, v, "scheduled", admin_recent(r, r->db, "scheduled", u));
	val_set(r->a, v, "drafts", admin_recent(r, r->db, "draft", u));
	admin_render(r, u, "dashboard", v);
	return r->status;
}

/* ---- users (admins only) --------------------------------------------------
 */

/* 1 when taking user id out of the admins (role change, disabling,
 * deleting) leaves no active admin. */
static int
admin_last_admin(struct db *db, long long id)
{
	return db_int(db,
		   "SELECT count(*) FROM user WHERE role = 'admin' AND "
		   "disabled = 0 AND id <> ?",
		   "i", id) == 0;
}

static int
admin_user_change(struct req *r, struct auth_user *u, struct db *w,
    const struct form *f, struct val *v)
{
	const char *action = form_get(f, "action"), *email, *name, *role;
	const char *pw;
	char err[256];
	long long id;
	struct val *row;

	if (action == NULL)
		return r->status = 400;
	if (strcmp(action, "add") == 0) {
		email = form_get(f, "email");
		name = form_get(f, "name");
		role = form_get(f, "role");
		pw = form_get(f, "new_password");
		if (email == NULL || name == NULL || role == NULL ||
		    pw == NULL) {
			val_set_str(r->a, v, "error", "Fill in every field.");
			return r->status = 422;
		}
		if (auth_hash_enter(r->site) == -1) {
			r->retry_after = 5;
			return r->status = 503;
		}
		if (user_add(w, u->email, email, name, role, pw, strlen(pw),
			err, sizeof(err)) == -1) {
			auth_hash_leave();
			val_set_str(r->a, v, "error", arena_strdup(r->a, err));
			return r->status = 422;
		}
		auth_hash_leave();
		return admin_redirect(r, "/admin/users?done=user-added");
	}
	id = strtoll(form_get(f, "id") ? form_get(f, "id") : "0", NULL, 10);
	row = db_query_one(w, r->a,
	    "SELECT id, email, role, disabled FROM user WHERE id = ?", "i", id);
	if (row == NULL)
		return r->status = 404;
	email = page_str(row, "email");
	if (db_begin(w) == -1)
		return r->status = 500;
	if (strcmp(action, "role") == 0) {
		role = form_get(f, "role");
		if (role == NULL || user_role_parse(role) < 0) {
			db_rollback(w);
			return r->status = 400;
		}
		if (strcmp(role, "admin") != 0 &&
		    strcmp(page_str(row, "role"), "admin") == 0 &&
		    admin_last_admin(w, id)) {
			db_rollback(w);
			val_set_str(r->a, v, "error",
			    "The last admin must stay an admin.");
			return r->status = 422;
		}
		if (db_exec(w,
			"UPDATE user SET role = ?, updated_at = ? WHERE id = ?",
			"tii", role, (long long)r->now, id) < 0 ||
		    admin_audit(r, u, "user.role", email, role) == -1)
			goto fail;
	} else if (strcmp(action, "disable") == 0 ||
	    strcmp(action, "enable") == 0) {
		int off = strcmp(action, "disable") == 0;

		if (off && admin_last_admin(w, id) &&
		    strcmp(page_str(row, "role"), "admin") == 0) {
			db_rollback(w);
			val_set_str(r->a, v, "error",
			    "The last active admin cannot be disabled.");
			return r->status = 422;
		}
		if (db_exec(w,
			"UPDATE user SET disabled = ?, updated_at = ? "
			"WHERE id = ?",
			"iii", (long long)off, (long long)r->now, id) < 0 ||
		    (off && auth_end_sessions(w, id) == -1) ||
		    admin_audit(r, u, off ? "user.disable" : "user.enable",
			email, "") == -1)
			goto fail;
	} else if (strcmp(action, "logout") == 0) {
		if (auth_end_sessions(w, id) == -1 ||
		    admin_audit(r, u, "user.logout-everywhere", email, "") ==
			-1)
			goto fail;
		if (db_commit(w) == -1)
			goto fail;
		return admin_redirect(r,
		    id == u->id ? "/admin/login"
				: "/admin/users?done=sessions-ended");
	} else if (strcmp(action, "delete") == 0) {
		db_rollback(w);
		if (user_del(w, u->email, email, err, sizeof(err)) == -1) {
			val_set_str(r->a, v, "error", arena_strdup(r->a, err));
			return r->status = 422;
		}
		return admin_redirect(r, "/admin/users?done=deleted");
	} else {
		db_rollback(w);
		return r->status = 400;
	}
	if (db_commit(w) == -1)
		goto fail;
	return admin_redirect(r, "/admin/users?done=user-changed");
fail:
	db_rollback(w);
	return r->status = 500;
}

int
admin_users(struct req *r, struct auth_user *u, const char **part, int n,
    const struct form *f)
{
	struct val *v = admin_view(r, "Users"), *rows, *roles, *o;
	struct db *w = http_db_rw(r->site);
	size_t i, j;

	(void)part;
	if (n > 0 && *part[0] != '\0')
		return r->status = 404;
	if (w == NULL)
		return r->status = 503;
	if (strcmp(r->method, "POST") == 0) {
		admin_user_change(r, u, w, f, v);
		if (r->status == 303 || val_get(v, "error") == NULL)
			return r->status;
	}
	if (db_query(w, r->a, &rows,
		"SELECT u.id, u.email, u.name, u.role, u.disabled, "
		"u.totp_secret IS NOT NULL AS totp, "
		"(SELECT count(*) FROM session s WHERE s.user_id = u.id) "
		"AS sessions FROM user u ORDER BY u.role, u.email",
		"") == -1)
		return r->status = 500;
	for (i = 0; i < rows->u.list.n; i++) {
		struct val *row = rows->u.list.items[i];

		roles = val_list(r->a);
		for (j = 0; j < USER_ROLE__MAX; j++) {
			o = val_obj(r->a);
			val_set_str(r->a, o, "name", user_role_names[j]);
			val_set_bool(r->a, o, "selected",
			    strcmp(page_str(row, "role"), user_role_names[j]) ==
				0);
			val_push(r->a, roles, o);
		}
		val_set(r->a, row, "roles", roles);
		val_set_bool(r->a, row, "self", page_int(row, "id") == u->id);
	}
	val_set(r->a, v, "users", rows);
	admin_render(r, u, "users", v);
	if (val_get(v, "error") != NULL)
		r->status = 422;
	return r->status;
}

int
admin_audit_page(struct req *r, struct auth_user *u)
{
	struct val *v = admin_view(r, "Audit log"), *rows;
	const char *p = req_arg(r, "page");
	long long page = p ? strtoll(p, NULL, 10) : 1, total;
	size_t i;

	if (page < 1 || page > 1000000)
		page = 1;
	total = db_int(r->db, "SELECT count(*) FROM audit", "");
	if (db_query(r->db, r->a, &rows,
		"SELECT at, actor, action, subject, detail, client FROM audit "
		"ORDER BY id DESC LIMIT ? OFFSET ?",
		"ii", (long long)ADMIN_AUDIT_PAGE,
		(page - 1) * ADMIN_AUDIT_PAGE) == -1)
		return r->status = 500;
	for (i = 0; i < rows->u.list.n; i++)
		val_set_str(r->a, rows->u.list.items[i], "when",
		    page_iso(r, page_int(rows->u.list.items[i], "at"), 0));
	val_set(r->a, v, "rows", rows);
	if (page > 1)
		val_set_str(r->a, v, "newer",
		    arena_printf(r->a, "/admin/audit?page=%lld", page - 1));
	if (page * ADMIN_AUDIT_PAGE < total)
		val_set_str(r->a, v, "older",
		    arena_printf(r->a, "/admin/audit?page=%lld", page + 1));
	admin_render(r, u, "audit", v);
	return r->status;
}

/* ---- routing --------------------------------------------------------------
 */

int
admin_dispatch(struct req *r)
{
	struct form f;
	struct auth_user *u;
	const char *part[8] = {0};
	int n, post = strcmp(r->method, "POST") == 0;

	r->cache = 0;
	r->cache_control = "no-store";
	memset(&f, 0, sizeof(f));
	if (post &&
	    form_parse(r->a, req_header(r, "Content-Type"), r->body, r->bodylen,
		&f) == -1)
		return r->status = 400;
	n = page_split(r, r->path, part, 7);
	if (n < 1)
		return r->status = 404;
	/* part[0] is "admin" */
	if (n >= 2 && strcmp(part[1], "login") == 0) {
		if (n == 2)
			return auth_page_login(r, &f);
		if (n == 3 && strcmp(part[2], "code") == 0)
			return auth_page_code(r, &f);
		return r->status = 404;
	}
	u = auth_user(r);
	if (u == NULL || u->mfa_pending) {
		if (post)
			return r->status = 403;
		return admin_redirect(
		    r, u ? "/admin/login/code" : "/admin/login");
	}
	if (post && !auth_csrf_ok(r, u, &f))
		return r->status = 403;
	if (n == 1 || (n == 2 && *part[1] == '\0'))
		return post ? (r->status = 405) : admin_dashboard(r, u);
	if (strcmp(part[1], "logout") == 0 && n == 2)
		return post ? auth_page_logout(r, u) : (r->status = 405);
	if (strcmp(part[1], "account") == 0 && n == 2)
		return auth_page_account(r, u, &f);
	if (strcmp(part[1], "items") == 0)
		return admin_items(r, u, part + 2, n - 2, &f);
	if (strcmp(part[1], "media") == 0)
		return admin_media(r, u, part + 2, n - 2, &f);
	if (strcmp(part[1], "users") == 0 || strcmp(part[1], "audit") == 0) {
		if (u->role != USER_ADMIN)
			return r->status = 403;
		if (part[1][0] == 'u')
			return admin_users(r, u, part + 2, n - 2, &f);
		return post ? (r->status = 405) : admin_audit_page(r, u);
	}
	if (strcmp(part[1], "newsletters") == 0) {
		if (u->role > USER_EDITOR)
			return r->status = 403;
		return admin_newsletters(r, u, part + 2, n - 2, &f);
	}
	if (strcmp(part[1], "subscribers") == 0 ||
	    strcmp(part[1], "subscribers.csv") == 0) {
		if (u->role != USER_ADMIN)
			return r->status = 403;
		return admin_subscribers(r, u, part + 1, n - 1, &f);
	}
	if (strcmp(part[1], "publications") == 0 ||
	    strcmp(part[1], "members") == 0 ||
	    strcmp(part[1], "contacts") == 0 ||
	    strcmp(part[1], "blocks") == 0 ||
	    strcmp(part[1], "settings") == 0) {
		if (u->role > USER_EDITOR ||
		    (strcmp(part[1], "settings") == 0 && u->role != USER_ADMIN))
			return r->status = 403;
		return admin_things(r, u, part + 1, n - 1, &f);
	}
	return r->status = 404;
}
