/* admin_news.c: the admin's newsletter pages (editors): the list, the
 * editor of a draft with its preview, sending it (queueing one mail per
 * reader) and the progress of a sent one; and the subscribers (admins):
 * counts, search, unsubscribe and erasure, CSV export and import. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "extern.h"

#define NEWS_SUBJECT_MAX 300
#define NEWS_INTRO_MAX 20000
#define NEWS_ITEMS 40	     /* recent published items offered */
#define NEWS_LIST_PAGE 50    /* newsletters a page */
#define NEWS_FAILED_SHOWN 20 /* failed mails listed with their error */
#define SUBS_PAGE 50	     /* subscribers a page */
#define SUBS_QUERY_MAX 254
#define SUBS_IMPORT_MAX ((size_t)5 << 20)
#define SUBS_IMPORT_ERRORS 100 /* bad lines listed at most */
#define SUBS_IMPORT_DUPS 100   /* addresses already there listed at most */
#define CSV_FIELDS 256	       /* columns of an imported file kept */
#define CSV_FIELD_MAX 4096     /* bytes of one field */

static const char *const admin_news_mail_statuses[] = {
    "queued", "sending", "sent", "failed", "cancelled"};
static const char *const admin_news_sub_statuses[] = {
    "pending", "confirmed", "unsubscribed"};

/* ---- helpers ------------------------------------------------------------ */

/* "2024-05-01 14:03 UTC" for Unix time t (arena); "" for 0. */
static const char *
admin_news_when(struct req *r, long long t)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (t == 0 || gmtime_r(&tt, &tm) == NULL)
		return "";
	return arena_printf(r->a, "%04d-%02d-%02d %02d:%02d UTC",
	    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
	    tm.tm_min);
}

/* The host of the base URL (no port, no path) for Message-IDs, in the
 * arena; "herald.invalid" when there is none a Message-ID may hold. */
static const char *
admin_news_host(struct req *r)
{
	const char *h = strstr(r->site->conf.base_url, "://");
	size_t n;

	if (h == NULL)
		return "herald.invalid";
	h += 3;
	n = strcspn(h, ":/?#[@");
	if (n == 0 || h[n] == '@')
		return "herald.invalid";
	return arena_strndup(r->a, h, n);
}

/* The site's language (the default of a subscriber and a newsletter). */
static const char *
admin_news_site_lang(struct req *r)
{
	const char *s = page_setting(r, "language");

	return *s ? s : "en";
}

/* The name news_languages() gives lang, or NULL when it is not offered. */
static const char *
admin_news_lang_name(struct req *r, const char *lang)
{
	struct val *list = news_languages(r, NULL);
	size_t i;

	for (i = 0; lang && i < list->u.list.n; i++)
		if (strcmp(page_str(list->u.list.items[i], "code"), lang) == 0)
			return page_str(list->u.list.items[i], "name");
	return NULL;
}

/* The id in s (a path part or a form value), or 0 when it is none. */
static long long
admin_news_id(const char *s)
{
	char *end;
	long long id;

	if (s == NULL || *s < '0' || *s > '9')
		return 0;
	id = strtoll(s, &end, 10);
	return *end == '\0' && id > 0 ? id : 0;
}

/* The newsletters that are sending and have no mail left to send become
 * sent (after mails were cancelled); 0 or -1. */
static int
admin_news_finish(struct db *w, time_t now)
{
	return db_exec(w,
		   "UPDATE newsletter SET status = 'sent', sent_at = ? "
		   "WHERE status = 'sending' AND NOT EXISTS (SELECT 1 FROM "
		   "mail WHERE mail.newsletter_id = newsletter.id AND "
		   "mail.status IN ('queued', 'sending'))",
		   "i", (long long)now) < 0
	    ? -1
	    : 0;
}

/* ---- newsletters: the list ---------------------------------------------- */

static int
admin_news_list(struct req *r, struct auth_user *u)
{
	struct val *v = admin_view(r, "Newsletters"), *rows, *o;
	const char *p = req_arg(r, "page");
	long long page = p ? strtoll(p, NULL, 10) : 1, total;
	size_t i;

	if (page < 1 || page > 1000000)
		page = 1;
	total = db_int(r->db, "SELECT count(*) FROM newsletter", "");
	if (db_query(r->db, r->a, &rows,
		"SELECT n.id, n.subject, n.lang, n.status, n.created_at, "
		"n.updated_at, coalesce(n.queued_at, 0) AS queued_at, "
		"coalesce(n.sent_at, 0) AS sent_at, "
		"coalesce(c.sent, 0) AS n_sent, "
		"coalesce(c.waiting, 0) AS n_waiting, "
		"coalesce(c.failed, 0) AS n_failed, "
		"coalesce(c.cancelled, 0) AS n_cancelled "
		"FROM newsletter n LEFT JOIN (SELECT newsletter_id, "
		"sum(status = 'sent') AS sent, "
		"sum(status IN ('queued', 'sending')) AS waiting, "
		"sum(status = 'failed') AS failed, "
		"sum(status = 'cancelled') AS cancelled FROM mail "
		"WHERE kind = 'newsletter' GROUP BY newsletter_id) c "
		"ON c.newsletter_id = n.id "
		"ORDER BY n.id DESC LIMIT ? OFFSET ?",
		"ii", (long long)NEWS_LIST_PAGE,
		(page - 1) * NEWS_LIST_PAGE) == -1)
		return r->status = 500;
	for (i = 0; i < rows->u.list.n; i++) {
		o = rows->u.list.items[i];
		val_set_str(r->a, o, "url",
		    arena_printf(
			r->a, "/admin/newsletters/%lld", page_int(o, "id")));
		val_set_str(r->a, o, "created",
		    admin_news_when(r, page_int(o, "created_at")));
		val_set_str(r->a, o, "queued",
		    admin_news_when(r, page_int(o, "queued_at")));
		val_set_str(r->a, o, "sent",
		    admin_news_when(r, page_int(o, "sent_at")));
		val_set_bool(r->a, o, "is_draft",
		    strcmp(page_str(o, "status"), "draft") == 0);
		if (*page_str(o, "subject") == '\0')
			val_set_str(r->a, o, "subject", "(no subject)");
	}
	val_set(r->a, v, "newsletters", rows);
	val_set_int(r->a, v, "total", total);
	if (page > 1)
		val_set_str(r->a, v, "newer",
		    arena_printf(
			r->a, "/admin/newsletters?page=%lld", page - 1));
	if (page * NEWS_LIST_PAGE < total)
		val_set_str(r->a, v, "older",
		    arena_printf(
			r->a, "/admin/newsletters?page=%lld", page + 1));
	admin_render(r, u, "news_list", v);
	return r->status;
}

/* ---- newsletters: the editor and the progress --------------------------- */

/* The items the editor offers for newsletter id (0: a new one): the
 * NEWS_ITEMS most recent published ones and those chosen before, newest
 * first, each with "chosen" (1 when in the newsletter). NULL on error. */
static struct val *
admin_news_items(struct req *r, struct db *db, long long id)
{
	struct val *rows, *o;
	size_t i;

	if (db_query(db, r->a, &rows,
		"SELECT i.id, i.kind, i.title, i.status, i.published_at, "
		"i.tz_offset, EXISTS (SELECT 1 FROM newsletter_item x WHERE "
		"x.newsletter_id = ? AND x.item_id = i.id) AS chosen "
		"FROM item i WHERE i.id IN (SELECT id FROM item WHERE "
		"status = 'published' ORDER BY published_at DESC, id DESC "
		"LIMIT ?) OR i.id IN (SELECT item_id FROM newsletter_item "
		"WHERE newsletter_id = ?) "
		"ORDER BY i.published_at DESC, i.id DESC",
		"iii", id, (long long)NEWS_ITEMS, id) == -1)
		return NULL;
	for (i = 0; i < rows->u.list.n; i++) {
		o = rows->u.list.items[i];
		val_set_str(r->a, o, "kind_label",
		    page_kind_label(page_str(o, "kind"), 0));
		val_set_str(r->a, o, "date",
		    page_date(r, page_int(o, "published_at"),
			page_int(o, "tz_offset")));
		val_set_bool(r->a, o, "unpublished",
		    strcmp(page_str(o, "status"), "published") != 0);
	}
	return rows;
}

/* 1 when the form has item id among its "items" values. */
static int
admin_news_form_item(const struct form *f, long long id)
{
	size_t i;

	for (i = 0; i < f->n; i++)
		if (strcmp(f->f[i].name, "items") == 0 &&
		    f->f[i].filename == NULL &&
		    admin_news_id(f->f[i].value) == id)
			return 1;
	return 0;
}

/* Fills v with the mail counts of newsletter id by status, the last
 * errors and the items it holds (a newsletter that is no draft). */
static void
admin_news_progress(struct req *r, struct val *v, long long id)
{
	struct val *rows, *list = val_list(r->a), *o;
	long long total = 0, done = 0, c;
	size_t i, j;

	if (db_query(r->db, r->a, &rows,
		"SELECT status, count(*) AS n FROM mail WHERE newsletter_id = "
		"? GROUP BY status",
		"i", id) == -1)
		rows = val_list(r->a);
	for (i = 0; i < sizeof(admin_news_mail_statuses) /
		 sizeof(*admin_news_mail_statuses);
	     i++) {
		c = 0;
		for (j = 0; j < rows->u.list.n; j++)
			if (strcmp(page_str(rows->u.list.items[j], "status"),
				admin_news_mail_statuses[i]) == 0)
				c = page_int(rows->u.list.items[j], "n");
		o = val_obj(r->a);
		val_set_str(r->a, o, "status", admin_news_mail_statuses[i]);
		val_set_int(r->a, o, "count", c);
		val_push(r->a, list, o);
		total += c;
		if (i >= 2)
			done += c;
	}
	val_set(r->a, v, "progress", list);
	val_set_int(r->a, v, "mails_total", total);
	val_set_int(r->a, v, "mails_done", done);
	if (db_query(r->db, r->a, &rows,
		"SELECT rcpt, last_error FROM mail WHERE newsletter_id = ? AND "
		"status = 'failed' ORDER BY id DESC LIMIT ?",
		"ii", id, (long long)NEWS_FAILED_SHOWN) == 0)
		val_set(r->a, v, "failures", rows);
	if (db_query(r->db, r->a, &rows,
		"SELECT i.title, i.kind FROM newsletter_item n JOIN item i "
		"ON i.id = n.item_id WHERE n.newsletter_id = ? "
		"ORDER BY n.position",
		"i", id) == 0) {
		for (i = 0; i < rows->u.list.n; i++)
			val_set_str(r->a, rows->u.list.items[i], "kind_label",
			    page_kind_label(
				page_str(rows->u.list.items[i], "kind"), 0));
		val_set(r->a, v, "chosen", rows);
	}
	val_set_bool(r->a, v, "no_smtp", r->site->conf.smtp[0] == '\0');
}

/* Renders the page of newsletter id (0: a new one) with values nl
 * (subject, intro, lang, status, as stored or as posted); posted, when
 * not NULL, says which items are ticked. A status >= 400 is kept. */
static int
admin_news_show(struct req *r, struct auth_user *u, struct val *v,
    struct val *nl, long long id, const struct form *posted, int status)
{
	struct val *items, *o;
	const char *st = page_str(nl, "status"), *lang = page_str(nl, "lang");
	const char *subject, *text, *html, *name;
	size_t i;
	int draft = id == 0 || strcmp(st, "draft") == 0;

	val_set(r->a, v, "nl", nl);
	val_set_int(r->a, v, "id", id);
	val_set_bool(r->a, v, "is_stored", id != 0);
	val_set_bool(r->a, v, "is_draft", draft);
	val_set_bool(r->a, v, "is_sending", strcmp(st, "sending") == 0);
	val_set_bool(r->a, v, "is_sent", strcmp(st, "sent") == 0);
	val_set_str(r->a, v, "action",
	    id ? arena_printf(r->a, "/admin/newsletters/%lld", id)
	       : "/admin/newsletters/new");
	name = admin_news_lang_name(r, lang);
	val_set_str(r->a, v, "lang_name", name ? name : lang);
	if (draft) {
		val_set(r->a, v, "languages",
		    news_languages(r, *lang ? lang : NULL));
		if ((items = admin_news_items(r, r->db, id)) == NULL)
			return r->status = 500;
		for (i = 0; i < items->u.list.n; i++) {
			o = items->u.list.items[i];
			val_set_bool(r->a, o, "checked",
			    posted ? admin_news_form_item(
					 posted, page_int(o, "id"))
				   : page_int(o, "chosen") != 0);
		}
		val_set(r->a, v, "items", items);
		val_set_int(r->a, v, "item_max", NEWS_ITEMS);
		if (id != 0) {
			val_set_bool(r->a, v, "can_send", 1);
			val_set_bool(r->a, v, "can_delete", 1);
			val_set_int(r->a, v, "recipients",
			    db_int(r->db,
				"SELECT count(*) FROM subscriber WHERE "
				"status = 'confirmed' AND lang = ?",
				"t", page_str(nl, "stored_lang")));
			name = admin_news_lang_name(
			    r, page_str(nl, "stored_lang"));
			val_set_str(r->a, v, "recipients_lang",
			    name ? name : page_str(nl, "stored_lang"));
		}
	} else {
		admin_news_progress(r, v, id);
		val_set_str(r->a, v, "refresh_url",
		    arena_printf(r->a, "/admin/newsletters/%lld", id));
		val_set_str(r->a, v, "queued",
		    admin_news_when(r, page_int(nl, "queued_at")));
		val_set_str(r->a, v, "sent",
		    admin_news_when(r, page_int(nl, "sent_at")));
	}
	if (id != 0) {
		/* the mail as stored, for a sample reader */
		if (news_render(r->site, r->db, r->a, id,
			arena_printf(r->a, "%s/unsubscribe?t=SAMPLE",
			    r->site->conf.base_url),
			&subject, &text, &html) == 0)
			val_set_str(r->a, v, "preview_text", text);
		val_set_str(r->a, v, "preview_url",
		    arena_printf(r->a, "/admin/newsletters/%lld/preview", id));
		val_set_bool(r->a, v, "preview_stale", posted != NULL);
	}
	admin_render(r, u, "news_edit", v);
	if (status >= 400)
		r->status = status;
	return r->status;
}

/* The newsletter row id as the page wants it, or NULL. */
static struct val *
admin_news_get(struct req *r, struct db *db, long long id)
{
	struct val *nl;

	nl = db_query_one(db, r->a,
	    "SELECT id, subject, intro, lang, lang AS stored_lang, status, "
	    "coalesce(queued_at, 0) AS queued_at, coalesce(sent_at, 0) AS "
	    "sent_at FROM newsletter WHERE id = ?",
	    "i", id);
	return nl;
}

/* GET /admin/newsletters/new and /admin/newsletters/ID. */
static int
admin_news_page(struct req *r, struct auth_user *u, long long id)
{
	struct val *v, *nl;

	if (id == 0) {
		nl = val_obj(r->a);
		val_set_str(r->a, nl, "status", "draft");
		val_set_str(r->a, nl, "lang", admin_news_site_lang(r));
		v = admin_view(r, "New newsletter");
		return admin_news_show(r, u, v, nl, 0, NULL, 0);
	}
	if ((nl = admin_news_get(r, r->db, id)) == NULL)
		return r->status = 404;
	v = admin_view(r,
	    arena_printf(r->a, "Newsletter: %s",
		*page_str(nl, "subject") ? page_str(nl, "subject")
					 : "(no subject)"));
	return admin_news_show(r, u, v, nl, id, NULL, 0);
}

/* GET /admin/newsletters/ID/preview: the mail's HTML part alone. */
static int
admin_news_preview(struct req *r, long long id)
{
	const char *subject, *text, *html;

	if (db_int(r->db, "SELECT count(*) FROM newsletter WHERE id = ?", "i",
		id) != 1)
		return r->status = 404;
	if (news_render(r->site, r->db, r->a, id,
		arena_printf(
		    r->a, "%s/unsubscribe?t=SAMPLE", r->site->conf.base_url),
		&subject, &text, &html) == -1)
		return r->status = 500;
	buf_reset(&r->out);
	buf_puts(&r->out, html);
	if (r->out.err)
		return r->status = 500;
	r->status = 200;
	r->ctype = "text/html; charset=utf-8";
	r->cache = 0;
	r->cache_control = "no-store";
	return r->status;
}

/* Queues newsletter id for its readers in the transaction open on w.
 * Returns 0; 1 when it is refused (the reason then in v's "error"); -1
 * on an error. */
static int
admin_news_queue(struct req *r, struct auth_user *u, struct db *w,
    struct val *v, long long id)
{
	struct val *nl;
	const char *name;
	long long n;

	nl = db_query_one(w, r->a,
	    "SELECT subject, lang, status FROM newsletter WHERE id = ?", "i",
	    id);
	if (nl == NULL)
		return -1;
	if (strcmp(page_str(nl, "status"), "draft") != 0) {
		val_set_str(
		    r->a, v, "error", "This newsletter has been sent already.");
		return 1;
	}
	if (*page_str(nl, "subject") == '\0') {
		val_set_str(r->a, v, "error",
		    "A newsletter needs a subject before it can be sent.");
		return 1;
	}
	n = db_int(w,
	    "SELECT count(*) FROM subscriber WHERE status = 'confirmed' AND "
	    "lang = ?",
	    "t", page_str(nl, "lang"));
	if (n <= 0) {
		name = admin_news_lang_name(r, page_str(nl, "lang"));
		val_set_str(r->a, v, "error",
		    arena_printf(r->a,
			"Nothing is sent: no subscriber who reads %s has "
			"confirmed a subscription yet, so nobody would "
			"receive this newsletter.",
			name ? name : page_str(nl, "lang")));
		return 1;
	}
	if ((n = news_enqueue(w, id, admin_news_host(r), r->now)) < 0 ||
	    admin_audit(r, u, "newsletter.send", page_str(nl, "subject"),
		arena_printf(r->a, "id %lld, %lld recipients", id, n)) == -1)
		return -1;
	return 0;
}

/* Deletes draft id (POST action=delete). */
static int
admin_news_delete(
    struct req *r, struct auth_user *u, struct db *w, struct val *cur)
{
	long long id = page_int(cur, "id");

	if (db_begin(w) == -1)
		return r->status = 500;
	if (db_int(w,
		"SELECT count(*) FROM newsletter WHERE id = ? AND "
		"status = 'draft'",
		"i", id) != 1) {
		db_rollback(w);
		return r->status = 409;
	}
	if (db_exec(w, "DELETE FROM newsletter WHERE id = ?", "i", id) < 0 ||
	    admin_audit(r, u, "newsletter.delete", page_str(cur, "subject"),
		arena_printf(r->a, "id %lld", id)) == -1 ||
	    db_commit(w) == -1) {
		db_rollback(w);
		return r->status = 500;
	}
	return admin_redirect(r, "/admin/newsletters?done=deleted");
}

/* Stores the checked values of the form into newsletter *idp (0: a new
 * one, its id then in *idp) with its items, in the transaction open on
 * w; 0 or -1. */
static int
admin_news_store(struct req *r, struct auth_user *u, struct db *w,
    const struct form *f, struct val *nl, long long *idp)
{
	struct val *items;
	long long id = *idp, pos = 0, item;
	size_t i;

	/* the items offered, read before the old choice goes */
	if ((items = admin_news_items(r, w, id)) == NULL)
		return -1;
	if (id == 0) {
		id = db_exec(w,
		    "INSERT INTO newsletter(subject, intro, lang, user_id, "
		    "created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)",
		    "tttiii", page_str(nl, "subject"), page_str(nl, "intro"),
		    page_str(nl, "lang"), u->id, (long long)r->now,
		    (long long)r->now);
		if (id <= 0)
			return -1;
	} else if (db_exec(w,
		       "UPDATE newsletter SET subject = ?, intro = ?, lang = "
		       "?, updated_at = ? WHERE id = ?",
		       "tttii", page_str(nl, "subject"), page_str(nl, "intro"),
		       page_str(nl, "lang"), (long long)r->now, id) < 0 ||
	    db_exec(w, "DELETE FROM newsletter_item WHERE newsletter_id = ?",
		"i", id) < 0)
		return -1;
	/* in the order of the list the editor showed */
	for (i = 0; i < items->u.list.n; i++) {
		item = page_int(items->u.list.items[i], "id");
		if (!admin_news_form_item(f, item))
			continue;
		if (db_exec(w,
			"INSERT INTO newsletter_item(newsletter_id, item_id, "
			"position) VALUES (?, ?, ?)",
			"iii", id, item, pos) < 0)
			return -1;
		pos++;
	}
	if (admin_audit(r, u, *idp ? "newsletter.save" : "newsletter.create",
		page_str(nl, "subject"),
		arena_printf(r->a, "id %lld, %lld items", id, pos)) == -1)
		return -1;
	*idp = id;
	return 0;
}

/* POST /admin/newsletters/new and /admin/newsletters/ID: save, send or
 * delete. */
static int
admin_news_post(
    struct req *r, struct auth_user *u, long long id, const struct form *f)
{
	struct db *w = http_db_rw(r->site);
	const char *action = form_get(f, "action"), *subject, *intro, *lang;
	struct val *v, *cur = NULL, *nl;
	long long nid = id;
	int send, rc;

	if (w == NULL)
		return r->status = 503;
	if (action == NULL)
		action = "save";
	if (id != 0 && (cur = admin_news_get(r, w, id)) == NULL)
		return r->status = 404;
	send = strcmp(action, "send") == 0;
	if ((strcmp(action, "save") != 0 && !send &&
		strcmp(action, "delete") != 0) ||
	    (id == 0 && strcmp(action, "save") != 0))
		return r->status = 400;
	if (cur != NULL && strcmp(page_str(cur, "status"), "draft") != 0)
		return r->status = 409; /* sent: it no longer changes */
	if (strcmp(action, "delete") == 0)
		return admin_news_delete(r, u, w, cur);
	v = admin_view(r,
	    id == 0 ? "New newsletter"
		    : arena_printf(r->a, "Newsletter: %s",
			  *page_str(cur, "subject") ? page_str(cur, "subject")
						    : "(no subject)"));
	if (send && form_field(f, "subject") == NULL) {
		/* a bare Send button: sends what is stored */
		if (db_begin(w) == -1)
			return r->status = 500;
		if ((rc = admin_news_queue(r, u, w, v, id)) != 0) {
			db_rollback(w);
			return rc == 1
			    ? admin_news_show(r, u, v, cur, id, NULL, 422)
			    : (r->status = 500);
		}
		if (db_commit(w) == -1)
			goto fail;
		return admin_redirect(r,
		    arena_printf(
			r->a, "/admin/newsletters/%lld?done=queued", id));
	}
	nl = val_obj(r->a);
	subject =
	    admin_field(r, f, "subject", "Subject", NEWS_SUBJECT_MAX, 0, v);
	intro =
	    admin_field(r, f, "intro", "Introduction", NEWS_INTRO_MAX, 1, v);
	lang = admin_field(r, f, "lang", "Language", 32, 0, v);
	val_set_str(r->a, nl, "subject", subject ? subject : "");
	val_set_str(r->a, nl, "intro", intro ? intro : "");
	val_set_str(r->a, nl, "status", "draft");
	val_set_str(r->a, nl, "stored_lang",
	    cur ? page_str(cur, "lang") : admin_news_site_lang(r));
	if (subject != NULL && *subject == '\0')
		admin_error(r, v, "subject", "Subject: please write one.");
	if (lang != NULL && *lang == '\0')
		lang = admin_news_site_lang(r);
	if (lang != NULL && admin_news_lang_name(r, lang) == NULL) {
		admin_error(
		    r, v, "lang", "Language: please choose one from the list.");
		lang = NULL;
	}
	val_set_str(r->a, nl, "lang", lang ? lang : admin_news_site_lang(r));
	if (val_get(v, "errors") != NULL)
		return admin_news_show(r, u, v, nl, id, f, 422);
	if (db_begin(w) == -1)
		return r->status = 500;
	if (id != 0 &&
	    db_int(w,
		"SELECT count(*) FROM newsletter WHERE id = ? AND status = "
		"'draft'",
		"i", id) != 1) {
		db_rollback(w);
		return r->status = 409;
	}
	if (admin_news_store(r, u, w, f, nl, &nid) == -1)
		goto fail;
	if (send) {
		if ((rc = admin_news_queue(r, u, w, v, nid)) == -1)
			goto fail;
		if (rc == 1) {
			/* nothing stored: the page shows what was sent */
			db_rollback(w);
			return admin_news_show(r, u, v, nl, id, f, 422);
		}
	}
	if (db_commit(w) == -1)
		goto fail;
	return admin_redirect(r,
	    arena_printf(r->a, "/admin/newsletters/%lld?done=%s", nid,
		send	      ? "queued"
		    : id == 0 ? "created"
			      : "saved"));
fail:
	db_rollback(w);
	return r->status = 500;
}

int
admin_newsletters(struct req *r, struct auth_user *u, const char **part, int n,
    const struct form *f)
{
	int post = strcmp(r->method, "POST") == 0;
	long long id;

	if (u->role > USER_EDITOR)
		return r->status = 403;
	if (n == 0 || (n == 1 && *part[0] == '\0'))
		return post ? (r->status = 405) : admin_news_list(r, u);
	if (n > 2)
		return r->status = 404;
	if (strcmp(part[0], "new") == 0 && n == 1)
		return post ? admin_news_post(r, u, 0, f)
			    : admin_news_page(r, u, 0);
	if ((id = admin_news_id(part[0])) == 0)
		return r->status = 404;
	if (n == 2) {
		if (strcmp(part[1], "preview") != 0)
			return r->status = 404;
		return post ? (r->status = 405) : admin_news_preview(r, id);
	}
	return post ? admin_news_post(r, u, id, f) : admin_news_page(r, u, id);
}

/* ---- subscribers: the page ---------------------------------------------- */

/* The counts by language and status, with a row of totals. */
static void
admin_news_subs_counts(struct req *r, struct val *v)
{
	struct val *rows, *tot;
	const char *name;
	size_t i;

	if (db_query(r->db, r->a, &rows,
		"SELECT lang, sum(status = 'pending') AS pending, "
		"sum(status = 'confirmed') AS confirmed, "
		"sum(status = 'unsubscribed') AS unsubscribed, "
		"count(*) AS total FROM subscriber GROUP BY lang ORDER BY lang",
		"") == -1)
		return;
	for (i = 0; i < rows->u.list.n; i++) {
		name = admin_news_lang_name(
		    r, page_str(rows->u.list.items[i], "lang"));
		val_set_str(r->a, rows->u.list.items[i], "name",
		    name ? name : page_str(rows->u.list.items[i], "lang"));
	}
	val_set(r->a, v, "counts", rows);
	tot = db_query_one(r->db, r->a,
	    "SELECT coalesce(sum(status = 'pending'), 0) AS pending, "
	    "coalesce(sum(status = 'confirmed'), 0) AS confirmed, "
	    "coalesce(sum(status = 'unsubscribed'), 0) AS unsubscribed, "
	    "count(*) AS total FROM subscriber",
	    "");
	if (tot != NULL)
		val_set(r->a, v, "totals", tot);
}

/* "?q=...&status=...&page=N" (arena). */
static const char *
admin_news_subs_url(
    struct req *r, const char *q, const char *status, long long page)
{
	struct buf b;
	const char *out;

	buf_init(&b, 4096);
	buf_puts(&b, "/admin/subscribers?q=");
	html_pct(&b, q, strlen(q));
	buf_printf(&b, "&status=%s&page=%lld", status, page);
	out = arena_strdup(r->a, b.err ? "/admin/subscribers" : buf_cstr(&b));
	buf_free(&b);
	return out;
}

/* Renders the subscribers page (counts, search, rows, import form). */
static int
admin_news_subs_show(
    struct req *r, struct auth_user *u, struct val *v, int status)
{
	const char *q = req_arg(r, "q"), *st = req_arg(r, "status");
	const char *p = req_arg(r, "page");
	long long page = p ? strtoll(p, NULL, 10) : 1, total;
	struct val *rows, *o, *opts;
	size_t i;

	if (q == NULL || strlen(q) > SUBS_QUERY_MAX)
		q = "";
	for (i = 0; st && i < 3; i++)
		if (strcmp(st, admin_news_sub_statuses[i]) == 0)
			break;
	if (st == NULL || i == 3)
		st = "";
	if (page < 1 || page > 1000000)
		page = 1;
	admin_news_subs_counts(r, v);
	total = db_int(r->db,
	    "SELECT count(*) FROM subscriber WHERE (? = '' OR "
	    "instr(lower(email), lower(?)) > 0) AND (? = '' OR status = ?)",
	    "tttt", q, q, st, st);
	if (db_query(r->db, r->a, &rows,
		"SELECT id, email, lang, status, coalesce(consent_at, 0) AS "
		"consent_at, coalesce(confirmed_at, 0) AS confirmed_at, "
		"source FROM subscriber WHERE (? = '' OR "
		"instr(lower(email), lower(?)) > 0) AND (? = '' OR status = ?) "
		"ORDER BY id DESC LIMIT ? OFFSET ?",
		"ttttii", q, q, st, st, (long long)SUBS_PAGE,
		(page - 1) * SUBS_PAGE) == -1)
		return r->status = 500;
	for (i = 0; i < rows->u.list.n; i++) {
		o = rows->u.list.items[i];
		val_set_str(r->a, o, "consent",
		    admin_news_when(r, page_int(o, "consent_at")));
		val_set_str(r->a, o, "confirmed",
		    admin_news_when(r, page_int(o, "confirmed_at")));
		val_set_bool(r->a, o, "subscribed",
		    strcmp(page_str(o, "status"), "unsubscribed") != 0);
	}
	val_set(r->a, v, "rows", rows);
	opts = val_list(r->a);
	for (i = 0; i < 3; i++) {
		o = val_obj(r->a);
		val_set_str(r->a, o, "value", admin_news_sub_statuses[i]);
		val_set_bool(r->a, o, "selected",
		    strcmp(st, admin_news_sub_statuses[i]) == 0);
		val_push(r->a, opts, o);
	}
	val_set(r->a, v, "statuses", opts);
	val_set_str(r->a, v, "q", q);
	val_set_int(r->a, v, "found", total);
	val_set_bool(r->a, v, "searched", *q || *st);
	if (page > 1)
		val_set_str(
		    r->a, v, "prev", admin_news_subs_url(r, q, st, page - 1));
	if (page * SUBS_PAGE < total)
		val_set_str(
		    r->a, v, "next", admin_news_subs_url(r, q, st, page + 1));
	val_set_int(
	    r->a, v, "import_max_mb", (long long)(SUBS_IMPORT_MAX >> 20));
	val_set_str(r->a, v, "admin_email", u->email);
	admin_render(r, u, "subscribers", v);
	if (status >= 400)
		r->status = status;
	return r->status;
}

/* POST action=unsubscribe or delete, for the subscriber in field id. */
static int
admin_news_subs_change(struct req *r, struct auth_user *u, struct db *w,
    const char *action, const struct form *f)
{
	long long id = admin_news_id(form_get(f, "id")), mails;
	struct val *row;
	int del = strcmp(action, "delete") == 0;

	if (id == 0)
		return r->status = 400;
	row = db_query_one(w, r->a,
	    "SELECT id, email, status FROM subscriber WHERE id = ?", "i", id);
	if (row == NULL)
		return r->status = 404;
	if (db_begin(w) == -1)
		return r->status = 500;
	if (del) {
		/* erasure: the row and every mail to it; the audit row
		 * keeps the number, not the address */
		mails = db_int(w,
		    "SELECT count(*) FROM mail WHERE subscriber_id = ?", "i",
		    id);
		if (db_exec(w, "DELETE FROM mail WHERE subscriber_id = ?", "i",
			id) < 0 ||
		    db_exec(w, "DELETE FROM subscriber WHERE id = ?", "i", id) <
			0 ||
		    admin_audit(r, u, "subscriber.delete",
			arena_printf(r->a, "subscriber %lld", id),
			arena_printf(r->a,
			    "erased with its %lld mails (was %s)", mails,
			    page_str(row, "status"))) == -1)
			goto fail;
	} else if (db_exec(w,
		       "UPDATE subscriber SET status = 'unsubscribed', "
		       "unsubscribed_at = ? WHERE id = ? AND status <> "
		       "'unsubscribed'",
		       "ii", (long long)r->now, id) < 0 ||
	    db_exec(w,
		"UPDATE mail SET status = 'cancelled' WHERE subscriber_id = ? "
		"AND status = 'queued'",
		"i", id) < 0 ||
	    admin_audit(r, u, "subscriber.unsubscribe", page_str(row, "email"),
		arena_printf(r->a, "id %lld, was %s", id,
		    page_str(row, "status"))) == -1)
		goto fail;
	if (admin_news_finish(w, r->now) == -1 || db_commit(w) == -1)
		goto fail;
	return admin_redirect(r,
	    del ? "/admin/subscribers?done=deleted"
		: "/admin/subscribers?done=saved");
fail:
	db_rollback(w);
	return r->status = 500;
}

/* ---- subscribers: CSV ------------------------------------------------- */

/* Appends s as one RFC 4180 field; a value a spreadsheet would take for
 * a formula gets a leading apostrophe. */
static void
admin_news_csv_put(struct buf *b, const char *s)
{
	int guard = s[0] != '\0' && strchr("=+-@\t\r", s[0]) != NULL;
	int quote = strpbrk(s, ",\"\r\n") != NULL;

	if (quote)
		buf_putc(b, '"');
	if (guard)
		buf_putc(b, '\'');
	for (; *s; s++) {
		if (*s == '"')
			buf_putc(b, '"');
		buf_putc(b, *s);
	}
	if (quote)
		buf_putc(b, '"');
}

/* Appends t as "2024-05-01T14:03:00Z", or nothing for 0. */
static void
admin_news_csv_time(struct buf *b, long long t)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (t == 0 || gmtime_r(&tt, &tm) == NULL)
		return;
	buf_printf(b, "%04d-%02d-%02dT%02d:%02d:%02dZ", tm.tm_year + 1900,
	    tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

/* GET /admin/subscribers.csv: every subscriber. */
static int
admin_news_subs_csv(struct req *r, struct auth_user *u)
{
	struct val *rows, *o;
	size_t i;

	if (db_query(r->db, r->a, &rows,
		"SELECT email, lang, status, consent_version, "
		"coalesce(consent_at, 0) AS consent_at, "
		"coalesce(confirmed_at, 0) AS confirmed_at, source "
		"FROM subscriber ORDER BY id",
		"") == -1)
		return r->status = 500;
	buf_reset(&r->out);
	r->out.max = (size_t)512 << 20; /* a big list: 100 bytes a row */
	buf_puts(&r->out,
	    "email,lang,status,consent_version,consent_at,"
	    "confirmed_at,source\r\n");
	for (i = 0; i < rows->u.list.n; i++) {
		o = rows->u.list.items[i];
		admin_news_csv_put(&r->out, page_str(o, "email"));
		buf_putc(&r->out, ',');
		admin_news_csv_put(&r->out, page_str(o, "lang"));
		buf_putc(&r->out, ',');
		admin_news_csv_put(&r->out, page_str(o, "status"));
		buf_putc(&r->out, ',');
		admin_news_csv_put(&r->out, page_str(o, "consent_version"));
		buf_putc(&r->out, ',');
		admin_news_csv_time(&r->out, page_int(o, "consent_at"));
		buf_putc(&r->out, ',');
		admin_news_csv_time(&r->out, page_int(o, "confirmed_at"));
		buf_putc(&r->out, ',');
		admin_news_csv_put(&r->out, page_str(o, "source"));
		buf_puts(&r->out, "\r\n");
	}
	if (r->out.err)
		return r->status = 500;
	/* who took the addresses away, and how many */
	if (admin_audit(r, u, "subscriber.export", "subscribers.csv",
		arena_printf(r->a, "%zu subscribers", rows->u.list.n)) == -1)
		return r->status = 500;
	r->status = 200;
	r->ctype = "text/csv; charset=utf-8";
	r->disposition = "attachment; filename=\"subscribers.csv\"";
	r->cache = 0;
	r->cache_control = "no-store";
	return r->status;
}

/* A reader of RFC 4180 records (quotes doubled in quoted fields; CRLF,
 * LF or CR between records). */
struct admin_news_csv {
	const char *p, *end;
	long line;	/* the line the cursor is on (1-based) */
	struct buf rec; /* the record's fields, each NUL-ended */
	size_t off[CSV_FIELDS];
	int n;	  /* fields kept (at most CSV_FIELDS) */
	int more; /* fields past CSV_FIELDS */
};

/* Reads the next record; 1 with a record (its first line in *start), 0
 * at the end, -1 when it is malformed (reason in *why; the rest of the
 * input is then not read). */
static int
admin_news_csv_next(struct admin_news_csv *c, long *start, const char **why)
{
	size_t len;

	if (c->p >= c->end)
		return 0;
	*start = c->line;
	buf_reset(&c->rec);
	c->n = c->more = 0;
	for (;;) {
		/* one field */
		if (c->n < CSV_FIELDS)
			c->off[c->n] = c->rec.len;
		len = c->rec.len;
		if (c->p < c->end && *c->p == '"') {
			c->p++;
			for (;;) {
				if (c->p >= c->end) {
					*why = "a quoted field is not closed";
					return -1;
				}
				if (*c->p == '"') {
					if (c->p + 1 < c->end &&
					    c->p[1] == '"') {
						buf_putc(&c->rec, '"');
						c->p += 2;
						continue;
					}
					c->p++;
					break;
				}
				if (*c->p == '\n' ||
				    (*c->p == '\r' &&
					(c->p + 1 >= c->end ||
					    c->p[1] != '\n')))
					c->line++;
				buf_putc(&c->rec, *c->p++);
			}
			if (c->p < c->end && *c->p != ',' && *c->p != '\r' &&
			    *c->p != '\n') {
				*why = "text follows a closing quote";
				return -1;
			}
		} else
			while (c->p < c->end && *c->p != ',' && *c->p != '\r' &&
			    *c->p != '\n')
				buf_putc(&c->rec, *c->p++);
		if (c->rec.len - len > CSV_FIELD_MAX) {
			*why = "a field is too long";
			return -1;
		}
		buf_putc(&c->rec, '\0');
		if (c->rec.err) {
			*why = "a line is too long";
			return -1;
		}
		if (c->n < CSV_FIELDS)
			c->n++;
		else
			c->more++;
		if (c->p < c->end && *c->p == ',') {
			c->p++;
			continue;
		}
		/* the end of the record */
		if (c->p < c->end && *c->p == '\r')
			c->p++;
		if (c->p < c->end && *c->p == '\n')
			c->p++;
		c->line++;
		return 1;
	}
}

/* Field i of the record with spaces trimmed and a guard apostrophe
 * (admin_news_csv_put) taken off; "" when the record has no such field.
 * Valid until the next record. */
static char *
admin_news_csv_field(struct admin_news_csv *c, int i)
{
	char *s, *e;

	if (i < 0 || i >= c->n)
		return (char *)"";
	s = c->rec.data + c->off[i];
	while (*s == ' ' || *s == '\t')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t'))
		*--e = '\0';
	if (s[0] == '\'' && s[1] != '\0' && strchr("=+-@\t\r", s[1]) != NULL)
		s++;
	return s;
}

/* The import's outcome. */
struct admin_news_import {
	long long added, already;
	struct val *errors; /* {message} */
	long long nerrors;
	struct val *dups; /* {email} */
};

/* Reads the file: with w NULL only checks every line (errors into
 * out->errors), else stores them in the transaction open on w. Returns
 * 0, or -1 on a database error. */
static int
admin_news_import_run(struct req *r, struct auth_user *u, struct db *w,
    const char *data, size_t len, int consent, struct admin_news_import *out)
{
	struct admin_news_csv c;
	struct val *o;
	const char *why = NULL, *site_lang = admin_news_site_lang(r);
	const char *consent_text;
	char *email, *lang, err[256], mid[160];
	long line = 0;
	int ecol = -1, lcol = -1, i, rc = 0, got;
	long long id;

	memset(&c, 0, sizeof(c));
	buf_init(&c.rec, (size_t)CSV_FIELDS * (CSV_FIELD_MAX + 2));
	if (len >= 3 && memcmp(data, "\xef\xbb\xbf", 3) == 0) {
		data += 3;
		len -= 3;
	}
	c.p = data;
	c.end = data + len;
	c.line = 1;
	consent_text = arena_printf(
	    r->a, "Prior consent recorded by %s at import", u->email);
#define IMPORT_ERROR(...)                                                      \
	do {                                                                   \
		if (out->nerrors++ < SUBS_IMPORT_ERRORS) {                     \
			o = val_obj(r->a);                                     \
			val_set_str(r->a, o, "message",                        \
			    arena_printf(r->a, __VA_ARGS__));                  \
			val_push(r->a, out->errors, o);                        \
		}                                                              \
	} while (0)
	got = admin_news_csv_next(&c, &line, &why);
	if (got == 1)
		for (i = 0; i < c.n; i++) {
			email = admin_news_csv_field(&c, i);
			if (strcasecmp(email, "email") == 0 ||
			    strcasecmp(email, "e-mail") == 0)
				ecol = ecol < 0 ? i : ecol;
			else if (strcasecmp(email, "lang") == 0 ||
			    strcasecmp(email, "language") == 0)
				lcol = lcol < 0 ? i : lcol;
		}
	if (got == -1) {
		IMPORT_ERROR("Line %ld: %s.", line, why);
		goto done;
	}
	if (ecol < 0) {
		IMPORT_ERROR("Line 1 must name the columns, one of them "
			     "\"email\" (and \"lang\" if you like), such as: "
			     "email,lang");
		goto done;
	}
	while ((got = admin_news_csv_next(&c, &line, &why)) == 1) {
		if (c.n == 1 && c.more == 0 &&
		    *admin_news_csv_field(&c, 0) == '\0')
			continue; /* an empty line */
		email = admin_news_csv_field(&c, ecol);
		lang = admin_news_csv_field(&c, lcol);
		if (ecol >= c.n) {
			IMPORT_ERROR("Line %ld: there is no email column in "
				     "this line.",
			    line);
			continue;
		}
		if (mail_addr_check(email, err, sizeof(err)) == -1) {
			IMPORT_ERROR("Line %ld: %s", line, err);
			continue;
		}
		if (*lang == '\0' || admin_news_lang_name(r, lang) == NULL)
			lang = (char *)site_lang;
		if (w == NULL)
			continue;
		if (db_int(w, "SELECT count(*) FROM subscriber WHERE email = ?",
			"t", email) != 0) {
			if (out->already++ < SUBS_IMPORT_DUPS) {
				o = val_obj(r->a);
				val_set_str(r->a, o, "email", email);
				val_push(r->a, out->dups, o);
			}
			continue;
		}
		if (consent)
			id = db_exec(w,
			    "INSERT INTO subscriber(email, lang, status, "
			    "consent, consent_version, consent_at, source, "
			    "client, created_at, confirmed_at) VALUES (?, ?, "
			    "'confirmed', ?, 'import', ?, 'import', ?, ?, ?)",
			    "tttitii", email, lang, consent_text,
			    (long long)r->now, auth_client(r),
			    (long long)r->now, (long long)r->now);
		else
			id = db_exec(w,
			    "INSERT INTO subscriber(email, lang, status, "
			    "consent, consent_version, source, client, "
			    "created_at) VALUES (?, ?, 'pending', '', '', "
			    "'import', ?, ?)",
			    "ttti", email, lang, auth_client(r),
			    (long long)r->now);
		if (id <= 0)
			goto fail;
		if (!consent) {
			/* as news.c does for a subscription form */
			mail_message_id(mid, sizeof(mid), admin_news_host(r));
			if (db_exec(w,
				"INSERT INTO mail(kind, subscriber_id, rcpt, "
				"next_at, message_id, created_at) VALUES "
				"('confirm', ?, ?, ?, ?, ?)",
				"ititi", id, email, (long long)r->now, mid,
				(long long)r->now) < 0 ||
			    db_exec(w,
				"UPDATE subscriber SET confirm_sent_at = ? "
				"WHERE id = ?",
				"ii", (long long)r->now, id) < 0)
				goto fail;
		}
		out->added++;
	}
	if (got == -1)
		IMPORT_ERROR("Line %ld: %s (the lines after it were not read).",
		    line, why);
	goto done;
fail:
	rc = -1;
done:
#undef IMPORT_ERROR
	buf_free(&c.rec);
	return rc;
}

/* POST action=import: a CSV file of addresses, all or nothing. */
static int
admin_news_subs_import(
    struct req *r, struct auth_user *u, struct db *w, const struct form *f)
{
	const struct form_field *file = form_field(f, "file");
	const char *consent = form_get(f, "consent");
	struct val *v = admin_view(r, "Subscribers"), *res;
	struct admin_news_import imp;
	int yes = consent != NULL && strcmp(consent, "yes") == 0;

	memset(&imp, 0, sizeof(imp));
	imp.errors = val_list(r->a);
	imp.dups = val_list(r->a);
	if (file == NULL || file->filename == NULL ||
	    (file->len == 0 && *file->filename == '\0')) {
		admin_error(r, v, "file", "Choose a CSV file to import.");
		return admin_news_subs_show(r, u, v, 422);
	}
	if (file->len > SUBS_IMPORT_MAX) {
		admin_error(r, v, "file",
		    arena_printf(r->a, "The file is too large: at most %zu MB.",
			SUBS_IMPORT_MAX >> 20));
		return admin_news_subs_show(r, u, v, 413);
	}
	if (memchr(file->value, '\0', file->len) != NULL) {
		admin_error(r, v, "file",
		    "This is not a CSV file: it holds NUL bytes.");
		return admin_news_subs_show(r, u, v, 422);
	}
	if (admin_news_import_run(
		r, u, NULL, file->value, file->len, yes, &imp) == -1)
		return r->status = 500;
	if (imp.nerrors > 0) {
		val_set_str(r->a, v, "error",
		    arena_printf(r->a,
			"Nothing is imported: %lld line%s of the file %s "
			"wrong. Correct %s and send the file again.",
			imp.nerrors, imp.nerrors == 1 ? "" : "s",
			imp.nerrors == 1 ? "is" : "are",
			imp.nerrors == 1 ? "it" : "them"));
		val_set(r->a, v, "import_errors", imp.errors);
		if (imp.nerrors > SUBS_IMPORT_ERRORS)
			val_set_int(r->a, v, "import_errors_more",
			    imp.nerrors - SUBS_IMPORT_ERRORS);
		return admin_news_subs_show(r, u, v, 422);
	}
	if (db_begin(w) == -1)
		return r->status = 500;
	if (admin_news_import_run(r, u, w, file->value, file->len, yes, &imp) ==
		-1 ||
	    imp.nerrors > 0 ||
	    admin_audit(r, u, "subscriber.import", "subscribers",
		arena_printf(r->a, "%lld added as %s, %lld already there",
		    imp.added,
		    yes ? "confirmed (consent given before)"
			: "pending (asked to confirm)",
		    imp.already)) == -1 ||
	    db_commit(w) == -1) {
		db_rollback(w);
		return r->status = 500;
	}
	res = val_obj(r->a);
	val_set_int(r->a, res, "added", imp.added);
	val_set_int(r->a, res, "already", imp.already);
	val_set_bool(r->a, res, "confirmed", yes);
	val_set(r->a, res, "dups", imp.dups);
	val_set_bool(r->a, res, "has_dups", imp.dups->u.list.n > 0);
	if (imp.already > SUBS_IMPORT_DUPS)
		val_set_int(
		    r->a, res, "dups_more", imp.already - SUBS_IMPORT_DUPS);
	val_set(r->a, v, "imported", res);
	return admin_news_subs_show(r, u, v, 200);
}

int
admin_subscribers(struct req *r, struct auth_user *u, const char **part, int n,
    const struct form *f)
{
	int post = strcmp(r->method, "POST") == 0;
	const char *action;
	struct db *w;

	if (u->role != USER_ADMIN)
		return r->status = 403;
	if (n < 1 || n > 2 || (n == 2 && *part[1] != '\0'))
		return r->status = 404;
	if (strcmp(part[0], "subscribers.csv") == 0)
		return post ? (r->status = 405) : admin_news_subs_csv(r, u);
	if (strcmp(part[0], "subscribers") != 0)
		return r->status = 404;
	if (!post)
		return admin_news_subs_show(
		    r, u, admin_view(r, "Subscribers"), 0);
	if ((w = http_db_rw(r->site)) == NULL)
		return r->status = 503;
	if ((action = form_get(f, "action")) == NULL)
		return r->status = 400;
	if (strcmp(action, "import") == 0)
		return admin_news_subs_import(r, u, w, f);
	if (strcmp(action, "unsubscribe") == 0 || strcmp(action, "delete") == 0)
		return admin_news_subs_change(r, u, w, action, f);
	return r->status = 400;
}
