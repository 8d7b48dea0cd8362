/* news.c: the newsletter: subscriptions with double opt-in (the public
 * pages), signed links, the mail queue (one row per recipient) and the
 * sender that works through it, from the server's own thread or from
 * `herald newsletter send`. */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "extern.h"

#define NEWS_MAC 16		     /* bytes of a link's signature */
#define NEWS_CONFIRM_TTL (7 * 86400) /* a confirmation link lives */
#define NEWS_FORM_MIN 3		     /* seconds to fill the form, at least */
#define NEWS_FORM_MAX 86400	     /* a form's token lives */
#define NEWS_RESEND 600		     /* seconds between confirmation mails */
#define NEWS_ATTEMPTS 10	     /* tries of a temporary failure */
#define NEWS_BACKOFF_MAX (6 * 3600)  /* seconds between tries, at most */

const char news_consent_version[] = "1";

static void news_finish(struct db *, long long, time_t);

/* ---- signed values ------------------------------------------------- */

/* A keyed hash of what (a purpose), a number, a second number and a
 * string, with a key derived from the site key for this purpose. */
static void
news_mac(const unsigned char key[EMAIL_KEY_LEN], const char *what, long long a,
    long long b, const char *s, unsigned char mac[NEWS_MAC])
{
	crypto_generichash_state st;
	unsigned char k[crypto_generichash_KEYBYTES];
	unsigned char nums[16];
	int i;

	crypto_generichash(k, sizeof(k), (const unsigned char *)what,
	    strlen(what), key, EMAIL_KEY_LEN);
	for (i = 0; i < 8; i++) {
		nums[i] = (unsigned char)((unsigned long long)a >> (8 * i));
		nums[8 + i] = (unsigned char)((unsigned long long)b >> (8 * i));
	}
	crypto_generichash_init(&st, k, sizeof(k), NEWS_MAC);
	crypto_generichash_update(&st, nums, sizeof(nums));
	if (s != NULL)
		crypto_generichash_update(
		    &st, (const unsigned char *)s, strlen(s));
	crypto_generichash_final(&st, mac, NEWS_MAC);
	sodium_memzero(k, sizeof(k));
}

/* "A.B.MAC" (decimal numbers, hex signature) in the arena. */
static const char *
news_token(struct arena *a, const unsigned char key[EMAIL_KEY_LEN],
    const char *what, long long x, long long y, const char *s)
{
	unsigned char mac[NEWS_MAC];
	char hex[NEWS_MAC * 2 + 1];

	news_mac(key, what, x, y, s, mac);
	sodium_bin2hex(hex, sizeof(hex), mac, sizeof(mac));
	return arena_printf(a, "%lld.%lld.%s", x, y, hex);
}

/* Reads "A.B.MAC" into *x and *y; the signature is checked by the caller
 * (which knows s). Returns 0 or -1. */
static int
news_token_parse(
    const char *t, long long *x, long long *y, unsigned char mac[NEWS_MAC])
{
	char *end;
	const char *p;

	if (t == NULL || strlen(t) > 80)
		return -1;
	*x = strtoll(t, &end, 10);
	if (end == t || *end != '.' || *x < 0)
		return -1;
	p = end + 1;
	*y = strtoll(p, &end, 10);
	if (end == p || *end != '.' || *y < 0)
		return -1;
	p = end + 1;
	if (strlen(p) != NEWS_MAC * 2 ||
	    sodium_hex2bin(mac, NEWS_MAC, p, NEWS_MAC * 2, NULL, NULL, NULL) !=
		0)
		return -1;
	return 0;
}

static int
news_token_ok(const unsigned char key[EMAIL_KEY_LEN], const char *what,
    long long x, long long y, const char *s, const unsigned char mac[])
{
	unsigned char want[NEWS_MAC];

	news_mac(key, what, x, y, s, want);
	return sodium_memcmp(want, mac, NEWS_MAC) == 0;
}

const char *
news_form_token(struct req *r)
{
	/* an exported page is the same file until its content changes */
	return news_token(r->a, r->site->key, "form",
	    r->exporting ? 0 : (long long)r->now, 0, NULL);
}

const char *
news_unsubscribe_url(struct arena *a, const char *base_url,
    const unsigned char key[EMAIL_KEY_LEN], long long id, const char *email)
{
	return arena_printf(a, "%s/unsubscribe?t=%s", base_url,
	    news_token(a, key, "unsubscribe", id, 0, email));
}

static const char *
news_confirm_url(struct arena *a, const char *base_url,
    const unsigned char key[EMAIL_KEY_LEN], long long id, const char *email,
    time_t now)
{
	return arena_printf(a, "%s/subscribe/confirm?t=%s", base_url,
	    news_token(a, key, "confirm", id, (long long)now + NEWS_CONFIRM_TTL,
		email));
}

/* ---- the public pages ---------------------------------------------- */

const char *
news_consent_text(struct req *r)
{
	return arena_printf(r->a,
	    "I agree that %s may send me its newsletter by e-mail. I can "
	    "unsubscribe at any time with the link in every newsletter.",
	    r->site->name);
}

const char *
news_langs_key(struct db *db, struct arena *a)
{
	struct val *row;

	row = db_query_one(db, a,
	    "WITH RECURSIVE l(lang) AS (SELECT min(lang) FROM item "
	    "WHERE status = 'published' UNION ALL SELECT (SELECT "
	    "min(lang) FROM item WHERE status = 'published' AND lang > "
	    "l.lang) FROM l WHERE l.lang IS NOT NULL) "
	    "SELECT coalesce(group_concat(lang, ' '), '') AS langs FROM l "
	    "WHERE lang IS NOT NULL",
	    "");
	return row != NULL ? page_str(row, "langs") : NULL;
}

/* The languages a reader may choose: the site's first, then those of
 * published items. A list of {code, name, selected}. */
struct val *
news_languages(struct req *r, const char *selected)
{
	static const struct {
		const char *code, *name;
	} names[] = {
	    {"en", "English"},
	    {"fr", "Français"},
	    {"es", "Español"},
	    {"pt", "Português"},
	    {"de", "Deutsch"},
	    {"it", "Italiano"},
	    {"ru", "Русский"},
	    {"ar", "العربية"},
	    {"zh", "中文"},
	    {"th", "ไทย"},
	    {"ne", "नेपाली"},
	    {"hi", "हिन्दी"},
	    {"id", "Bahasa Indonesia"},
	    {"vi", "Tiếng Việt"},
	};
	struct val *rows, *list = val_list(r->a), *o;
	const char *site = page_setting(r, "language"), *codes, *code;
	char *end, key[48];
	long long rev;
	struct buf b;
	size_t i, j, len;

	if (*site == '\0')
		site = "en";
	if (selected == NULL || *selected == '\0')
		selected = site;
	/* every page's form lists them: kept per revision */
	snprintf(key, sizeof(key), "langs:%.32s", site);
	if ((codes = list_memo_get(r, key, &rev)) == NULL) {
		if (db_query(r->db, r->a, &rows,
			/* a skip-scan of the index: one seek a language,
			 * not a read of every item */
			"WITH RECURSIVE l(lang) AS (SELECT min(lang) FROM "
			"item WHERE status = 'published' UNION ALL SELECT "
			"(SELECT min(lang) FROM item WHERE status = "
			"'published' AND lang > l.lang) FROM l WHERE l.lang "
			"IS NOT NULL) SELECT lang FROM (SELECT ? AS lang "
			"UNION SELECT lang FROM l WHERE lang IS NOT NULL) "
			"ORDER BY lang <> ?, lang",
			"tt", site, site) == -1)
			return list;
		buf_init(&b, 65536);
		for (i = 0; i < rows->u.list.n; i++) {
			code = page_str(rows->u.list.items[i], "lang");
			buf_printf(&b, "%zu:%s", strlen(code), code);
		}
		codes = arena_strdup(r->a, buf_cstr(&b));
		if (!b.err)
			list_memo_put(r, key, rev, codes);
		buf_free(&b);
	}
	/* codes: each as its length, ':' and its bytes */
	while (*codes != '\0' && (len = strtoul(codes, &end, 10),
	    end != codes) && *end == ':' && strlen(end + 1) >= len) {
		code = arena_strndup(r->a, end + 1, len);
		codes = end + 1 + len;
		o = val_obj(r->a);
		val_set_str(r->a, o, "code", code);
		val_set_str(r->a, o, "name", code);
		for (j = 0; j < sizeof(names) / sizeof(*names); j++)
			if (strcmp(names[j].code, code) == 0)
				val_set_str(r->a, o, "name", names[j].name);
		val_set_bool(r->a, o, "selected", strcmp(code, selected) == 0);
		val_push(r->a, list, o);
	}
	return list;
}

/* 1 when lang is one a reader may choose. */
static int
news_lang_ok(struct req *r, const char *lang)
{
	struct val *list = news_languages(r, NULL);
	size_t i;

	for (i = 0; lang && i < list->u.list.n; i++)
		if (strcmp(page_str(list->u.list.items[i], "code"), lang) == 0)
			return 1;
	return 0;
}

/* Renders the page answering a subscription step. */
static int
news_answer(struct req *r, int status, const char *title, const char *what,
    struct val *extra)
{
	struct val *v = page_base(r, title);
	size_t i;

	val_set_bool(r->a, v, "noindex", 1);
	val_set_bool(r->a, v, arena_printf(r->a, "is_%s", what), 1);
	for (i = 0; extra && i < extra->u.obj.n; i++)
		val_set(r->a, v, extra->u.obj.kv[i].key, extra->u.obj.kv[i].v);
	page_render(r, "subscribe", v);
	r->cache = 0;
	r->cache_control = "no-store";
	r->status = status;
	return status;
}

/* The subscription form alone (GET /subscribe, or again after an error),
 * with a fresh token. */
static int
news_form(struct req *r, int status, const char *email, const char *lang,
    const char *error)
{
	struct val *x = val_obj(r->a);

	val_set_str(r->a, x, "form_email", email ? email : "");
	val_set(r->a, x, "form_languages", news_languages(r, lang));
	if (error)
		val_set_str(r->a, x, "form_error", error);
	return news_answer(r, status, "Subscribe to the newsletter", "form", x);
}

void
news_host(const char *base_url, char *out, size_t n)
{
	const char *h = strstr(base_url, "://");

	snprintf(out, n, "%s", h ? h + 3 : "localhost");
	out[strcspn(out, ":/[]")] = '\0';
	if (*out == '\0')
		snprintf(out, n, "localhost");
}

/* Queues the confirmation mail of subscriber id; 0 or -1. */
static int
news_queue_confirm(struct db *w, struct req *r, long long id, const char *email)
{
	char mid[160], host[256];

	news_host(r->site->conf.base_url, host, sizeof(host));
	mail_message_id(mid, sizeof(mid), host);
	if (db_exec(w,
		"INSERT INTO mail(kind, subscriber_id, rcpt, next_at, "
		"message_id, created_at) VALUES ('confirm', ?, ?, ?, ?, ?)",
		"ititi", id, email, (long long)r->now, mid,
		(long long)r->now) < 0 ||
	    db_exec(w, "UPDATE subscriber SET confirm_sent_at = ? WHERE id = ?",
		"ii", (long long)r->now, id) < 0)
		return -1;
	return 0;
}

/* POST /subscribe. */
static int
news_subscribe(struct req *r, const struct form *f)
{
	const char *email = form_get(f, "email"), *lang = form_get(f, "lang");
	const char *hp = form_get(f, "website"),
		   *consent = form_get(f, "consent");
	char err[256];
	long long ts, zero, id;
	unsigned char mac[NEWS_MAC];
	struct val *row;
	struct db *w;
	int bot;

	if ((r->retry_after =
		    ratelimit_hit(r->site->subscribe, r->addr, r->now)) != 0)
		return r->status = 429;
	if (email == NULL)
		/* missing, or holding a NUL byte */
		return news_form(r, 422, NULL, lang,
		    form_field(f, "email") == NULL
			? "Enter your e-mail address."
			: "An e-mail address cannot hold control characters.");
	if (mail_addr_check(email, err, sizeof(err)) == -1)
		return news_form(r, 422,
		    strpbrk(email, "\r\n") || strlen(email) > EMAIL_MAX ? NULL
									: email,
		    lang, arena_strdup(r->a, err));
	if (lang == NULL || !news_lang_ok(r, lang))
		lang = *page_setting(r, "language")
		    ? page_setting(r, "language")
		    : "en";
	if (consent == NULL || strcmp(consent, "yes") != 0)
		return news_form(r, 422, email, lang,
		    "Please tick the box to agree to receive the newsletter.");
	/* the token: when the form was made; a stale one gets a new form.
	 * A page of a static export carries time 0: it says nothing of when
	 * it was read, so only the other checks apply to it. */
	if (news_token_parse(form_get(f, "t"), &ts, &zero, mac) == -1 ||
	    !news_token_ok(r->site->key, "form", ts, zero, NULL, mac) ||
	    ts > (long long)r->now + 5 ||
	    (ts != 0 && (long long)r->now - ts > NEWS_FORM_MAX))
		return news_form(r, 422, email, lang,
		    "This form was too old. Please press Subscribe again.");
	/* a bot fills the hidden field, or posts faster than a person can:
	 * it gets the same answer, and nothing is stored or sent */
	bot = (hp != NULL && *hp != '\0') ||
	    (ts != 0 && (long long)r->now - ts < NEWS_FORM_MIN);
	if (bot)
		goto answer;
	if ((w = http_db_rw(r->site)) == NULL || db_begin(w) == -1)
		return r->status = 503;
	row = db_query_one(w, r->a,
	    "SELECT id, status, coalesce(confirm_sent_at, 0) AS sent "
	    "FROM subscriber WHERE email = ?",
	    "t", email);
	if (row == NULL) {
		id = db_exec(w,
		    "INSERT INTO subscriber(email, lang, status, consent, "
		    "consent_version, consent_at, source, client, created_at) "
		    "VALUES (?, ?, 'pending', ?, ?, ?, 'form', ?, ?)",
		    "tttti"
		    "ti",
		    email, lang, news_consent_text(r), news_consent_version,
		    (long long)r->now, auth_client(r), (long long)r->now);
		if (id < 0 || news_queue_confirm(w, r, id, email) == -1)
			goto fail;
	} else if (strcmp(page_str(row, "status"), "confirmed") != 0) {
		/* pending or unsubscribed: asks again, with the consent given
		 * now; a confirmation mail at most every NEWS_RESEND s */
		id = page_int(row, "id");
		if (db_exec(w,
			"UPDATE subscriber SET status = 'pending', lang = ?, "
			"consent = ?, consent_version = ?, consent_at = ?, "
			"client = ? WHERE id = ?",
			"tttiti", lang, news_consent_text(r),
			news_consent_version, (long long)r->now, auth_client(r),
			id) < 0)
			goto fail;
		if ((long long)r->now - page_int(row, "sent") >= NEWS_RESEND &&
		    news_queue_confirm(w, r, id, email) == -1)
			goto fail;
	}
	if (db_commit(w) == -1)
		goto fail;
answer:
	/* one answer for a new, a pending and a confirmed address */
	return news_answer(r, 200, "Check your inbox", "sent", NULL);
fail:
	db_rollback(w);
	return r->status = 500;
}

/* The subscriber a signed link names, or NULL (status set: 400 for a
 * malformed or forged link, 410 for an expired one). */
static struct val *
news_link_subscriber(struct req *r, const char *what, const char *t)
{
	long long id, exp;
	unsigned char mac[NEWS_MAC];
	struct val *row;

	if (news_token_parse(t, &id, &exp, mac) == -1) {
		r->status = 400;
		return NULL;
	}
	row = db_query_one(r->db, r->a,
	    "SELECT id, email, status FROM subscriber WHERE id = ?", "i", id);
	if (row == NULL ||
	    !news_token_ok(
		r->site->key, what, id, exp, page_str(row, "email"), mac)) {
		r->status = 400;
		return NULL;
	}
	if (strcmp(what, "confirm") == 0 && exp < (long long)r->now) {
		r->status = 410;
		return NULL;
	}
	return row;
}

/* GET and POST /subscribe/confirm?t=: a GET shows a button (so a mail
 * scanner that opens links confirms nothing); the POST confirms. */
static int
news_confirm(struct req *r, const struct form *f)
{
	int post = strcmp(r->method, "POST") == 0;
	const char *t =
	    post && form_get(f, "t") ? form_get(f, "t") : req_arg(r, "t");
	struct val *row = news_link_subscriber(r, "confirm", t), *x;
	struct db *w;

	if (row == NULL)
		return news_answer(r, r->status, "This link does not work",
		    r->status == 410 ? "expired" : "badlink", NULL);
	if (strcmp(page_str(row, "status"), "confirmed") == 0)
		return news_answer(
		    r, 200, "You are subscribed", "confirmed", NULL);
	/* a link mailed before an unsubscription does not undo it */
	if (strcmp(page_str(row, "status"), "pending") != 0)
		return news_answer(
		    r, 410, "This link does not work", "expired", NULL);
	if (!post) {
		x = val_obj(r->a);
		val_set_str(r->a, x, "token", t);
		val_set_str(r->a, x, "email", page_str(row, "email"));
		return news_answer(
		    r, 200, "Confirm your subscription", "confirm", x);
	}
	if ((w = http_db_rw(r->site)) == NULL)
		return r->status = 503;
	if (db_exec(w,
		"UPDATE subscriber SET status = 'confirmed', confirmed_at = ?, "
		"unsubscribed_at = NULL WHERE id = ?",
		"ii", (long long)r->now, page_int(row, "id")) < 0)
		return r->status = 500;
	return news_answer(r, 200, "You are subscribed", "confirmed", NULL);
}

/* GET and POST /unsubscribe?t=: the POST (a person's button, or a mail
 * program's one-click request, RFC 8058) takes effect at once. */
static int
news_unsubscribe(struct req *r, const struct form *f)
{
	int post = strcmp(r->method, "POST") == 0;
	const char *t = req_arg(r, "t"), *ft = form_get(f, "t");
	struct val *row, *x;
	struct db *w;

	if (t == NULL)
		t = ft;
	if ((row = news_link_subscriber(r, "unsubscribe", t)) == NULL)
		return news_answer(
		    r, r->status, "This link does not work", "badlink", NULL);
	if (!post) {
		x = val_obj(r->a);
		val_set_str(r->a, x, "token", t);
		val_set_str(r->a, x, "email", page_str(row, "email"));
		if (strcmp(page_str(row, "status"), "unsubscribed") == 0)
			return news_answer(
			    r, 200, "You are unsubscribed", "unsubscribed", x);
		return news_answer(r, 200, "Unsubscribe", "unsubscribe", x);
	}
	if ((w = http_db_rw(r->site)) == NULL || db_begin(w) == -1)
		return r->status = 503;
	if (db_exec(w,
		"UPDATE subscriber SET status = 'unsubscribed', "
		"unsubscribed_at = ? WHERE id = ? AND status <> "
		"'unsubscribed'",
		"ii", (long long)r->now, page_int(row, "id")) < 0 ||
	    /* what is queued for them is not sent */
	    db_exec(w,
		"UPDATE mail SET status = 'cancelled' WHERE subscriber_id = ? "
		"AND status = 'queued'",
		"i", page_int(row, "id")) < 0) {
		db_rollback(w);
		return r->status = 500;
	}
	news_finish(w, 0, r->now);
	if (db_commit(w) == -1) {
		db_rollback(w);
		return r->status = 500;
	}
	x = val_obj(r->a);
	val_set_str(r->a, x, "email", page_str(row, "email"));
	return news_answer(r, 200, "You are unsubscribed", "unsubscribed", x);
}

int
news_page(struct req *r, const char *path)
{
	struct form f;
	int post = strcmp(r->method, "POST") == 0;

	memset(&f, 0, sizeof(f));
	r->cache = 0;
	if (post &&
	    form_parse(r->a, req_header(r, "Content-Type"), r->body, r->bodylen,
		&f) == -1)
		return r->status = 400;
	if (strcmp(path, "/subscribe") == 0)
		return post ? news_subscribe(r, &f)
			    : news_form(r, 200, NULL, NULL, NULL);
	if (strcmp(path, "/subscribe/confirm") == 0)
		return news_confirm(r, &f);
	if (strcmp(path, "/unsubscribe") == 0)
		return news_unsubscribe(r, &f);
	return r->status = 404;
}

/* ---- the mails ------------------------------------------------------- */

/* The newsletter's text and HTML for one recipient; 0 or -1. */
int
news_render(struct site *site, struct db *db, struct arena *a,
    long long newsletter, const char *unsub_url, const char **subject,
    const char **text, const char **html)
{
	struct val *nl, *items, *v, *it, *list;
	struct md_opts o;
	struct buf b, t;
	struct req rq;
	const char *url;
	size_t i;
	int rc = -1;

	nl = db_query_one(db, a,
	    "SELECT subject, intro, lang FROM newsletter WHERE id = ?", "i",
	    newsletter);
	if (nl == NULL ||
	    db_query(db, a, &items,
		"SELECT i.kind, i.slug, i.title, i.summary, i.published_at, "
		"i.tz_offset FROM newsletter_item n JOIN item i "
		"ON i.id = n.item_id WHERE n.newsletter_id = ? "
		"ORDER BY n.position",
		"i", newsletter) == -1)
		return -1;
	/* page_* helpers want a request: a bare one on this arena */
	memset(&rq, 0, sizeof(rq));
	rq.a = a;
	rq.site = site;
	rq.db = db;
	rq.now = time(NULL);
	buf_init(&b, (size_t)1 << 20);
	buf_init(&t, (size_t)1 << 20);
	/* the introduction: no address is written into a mail either; links
	 * lead to the site, and a mail fetches no image */
	memset(&o, 0, sizeof(o));
	o.heading_min = 2;
	o.url_base = site->conf.base_url;
	o.no_images = 1;
	md_to_html(
	    page_str(nl, "intro"), strlen(page_str(nl, "intro")), &o, &b);
	v = val_obj(a);
	val_set_str(a, v, "subject", page_str(nl, "subject"));
	val_set_str(a, v, "lang", page_str(nl, "lang"));
	val_set_str(a, v, "site_name", site->name);
	val_set_str(a, v, "base_url", site->conf.base_url);
	val_set_str(a, v, "unsubscribe", unsub_url);
	val_set(a, v, "intro_html", val_html(a, buf_cstr(&b), b.len));
	md_to_text_opts(
	    page_str(nl, "intro"), strlen(page_str(nl, "intro")), &o, &t);
	buf_reset(&b);
	buf_printf(&b, "%s\n\n", page_str(nl, "subject"));
	if (t.len)
		buf_printf(&b, "%s\n\n", buf_cstr(&t));
	list = val_list(a);
	for (i = 0; i < items->u.list.n; i++) {
		it = items->u.list.items[i];
		url = arena_printf(a, "%s%s", site->conf.base_url,
		    page_item_path(
			&rq, page_str(it, "kind"), page_str(it, "slug")));
		buf_reset(&t);
		md_to_text(page_str(it, "summary"),
		    strlen(page_str(it, "summary")), &t);
		val_set_str(a, it, "url", url);
		val_set_str(a, it, "summary_text", buf_cstr(&t));
		val_set_str(a, it, "date",
		    page_date(&rq, page_int(it, "published_at"),
			page_int(it, "tz_offset")));
		val_push(a, list, it);
		buf_printf(&b, "* %s\n  %s\n", page_str(it, "title"),
		    page_date(&rq, page_int(it, "published_at"),
			page_int(it, "tz_offset")));
		if (t.len)
			buf_printf(&b, "  %s\n", buf_cstr(&t));
		buf_printf(&b, "  %s\n\n", url);
	}
	val_set(a, v, "items", list);
	buf_printf(&b, "-- \n%s\n%s/\n\nUnsubscribe: %s\n", site->name,
	    site->conf.base_url, unsub_url);
	*text = b.err ? NULL : arena_strdup(a, buf_cstr(&b));
	*subject = page_str(nl, "subject");
	buf_reset(&b);
	if (*text != NULL &&
	    tmpl_render(site->theme, "newsletter", v, TMPL_STRICT, &b) == 0) {
		*html = arena_strdup(a, buf_cstr(&b));
		rc = 0;
	}
	buf_free(&b);
	buf_free(&t);
	return rc;
}

struct news_sender {
	struct site *site;
	struct db *w;
	struct mail_smtp *smtp;
	struct timespec gap; /* between two mails: 1 / mail_rate s */
	char host[256];	     /* of the base URL, for List-Id */
};

struct news_sender *
news_sender_new(struct site *site, struct db *w)
{
	struct news_sender *s;

	if ((s = calloc(1, sizeof(*s))) == NULL)
		return NULL;
	s->site = site;
	s->w = w;
	if ((s->smtp = mail_smtp_new(&site->conf)) == NULL) {
		free(s);
		return NULL;
	}
	s->gap.tv_sec = 0;
	s->gap.tv_nsec = 1000000000L /
	    (long)(site->conf.mail_rate ? site->conf.mail_rate : 10);
	news_host(site->conf.base_url, s->host, sizeof(s->host));
	return s;
}

void
news_sender_free(struct news_sender *s)
{
	if (s == NULL)
		return;
	mail_smtp_free(s->smtp);
	free(s);
}

int
news_recover(struct db *w)
{
	struct arena *a = arena_new();
	struct val *rows;
	long long pid;
	size_t i;
	int n = 0;

	if (db_query(w, a, &rows,
		"SELECT DISTINCT claimed_by FROM mail WHERE status = 'sending'",
		"") == 0)
		for (i = 0; i < rows->u.list.n; i++) {
			pid = page_int(rows->u.list.items[i], "claimed_by");
			/* a sender that is gone (or a pid now ours) left it:
			 * it may have reached the server, or not: send it */
			if (pid == (long long)getpid() ||
			    (kill((pid_t)pid, 0) == -1 && errno == ESRCH)) {
				db_exec(w,
				    "UPDATE mail SET status = 'queued' WHERE "
				    "status = 'sending' AND claimed_by = ?",
				    "i", pid);
				n++;
			}
		}
	arena_free(a);
	return n;
}

/* Builds the message of mail row m; 0 or -1 (then err says why). */
static int
news_message(struct news_sender *s, struct arena *a, struct val *m,
    struct buf *out, char *err, size_t errlen)
{
	struct mail_msg msg;
	struct val *sub;
	const char *text = NULL, *html = NULL, *subject = NULL, *unsub;
	time_t now = time(NULL);

	sub = db_query_one(s->w, a,
	    "SELECT id, email FROM subscriber WHERE id = ?", "i",
	    page_int(m, "subscriber_id"));
	if (sub == NULL) {
		snprintf(err, errlen, "no such subscriber");
		return -1;
	}
	memset(&msg, 0, sizeof(msg));
	msg.from_name = s->site->name;
	msg.from = s->site->conf.mail_from;
	msg.to = page_str(m, "rcpt");
	msg.message_id = page_str(m, "message_id");
	msg.date = now;
	unsub = news_unsubscribe_url(a, s->site->conf.base_url, s->site->key,
	    page_int(sub, "id"), page_str(sub, "email"));
	if (strcmp(page_str(m, "kind"), "confirm") == 0) {
		msg.subject = arena_printf(
		    a, "Confirm your subscription to %s", s->site->name);
		msg.text = arena_printf(a,
		    "Hello,\n\nSomeone, probably you, asked to receive the "
		    "newsletter of %s at this address.\n\nTo confirm, open "
		    "this link (it works for 7 days) and press the button:\n"
		    "%s\n\nIf you did not ask for it, ignore this mail: you "
		    "will get nothing more.\n\n-- \n%s\n%s/\n",
		    s->site->name,
		    news_confirm_url(a, s->site->conf.base_url, s->site->key,
			page_int(sub, "id"), page_str(sub, "email"), now),
		    s->site->name, s->site->conf.base_url);
	} else {
		if (news_render(s->site, s->w, a, page_int(m, "newsletter_id"),
			unsub, &subject, &text, &html) == -1) {
			snprintf(err, errlen, "cannot render the newsletter");
			return -1;
		}
		msg.subject = subject;
		msg.text = text;
		msg.html = html;
		msg.list_unsubscribe = unsub;
		msg.list_id = arena_printf(a, "newsletter.%s", s->host);
	}
	if (mail_build(&msg, out) == -1) {
		snprintf(err, errlen, "cannot build the message");
		return -1;
	}
	return 0;
}

/* A newsletter (0: any) whose every mail is done is sent. */
static void
news_finish(struct db *w, long long newsletter, time_t now)
{
	db_exec(w,
	    "UPDATE newsletter SET status = 'sent', sent_at = ? WHERE "
	    "(? = 0 OR id = ?) AND status = 'sending' AND NOT EXISTS "
	    "(SELECT 1 FROM mail WHERE newsletter_id = newsletter.id AND "
	    "status IN ('queued', 'sending'))",
	    "iii", (long long)now, newsletter, newsletter);
}

int
news_send_due(struct news_sender *s, volatile sig_atomic_t *stop,
    void (*progress)(void *), void *arg)
{
	struct arena *a;
	struct val *m;
	struct buf msg;
	char err[512];
	enum mail_result res;
	long long id, attempts, backoff;
	time_t now;
	int done = 0, ok;

	for (;;) {
		if (stop != NULL && *stop)
			break;
		now = time(NULL);
		a = arena_new();
		/* claim one: from here only this process may send it */
		m = db_query_one(s->w, a,
		    "UPDATE mail SET status = 'sending', claimed_by = ?, "
		    "attempts = attempts + 1 WHERE id = (SELECT id FROM mail "
		    "WHERE status = 'queued' AND next_at <= ? ORDER BY id "
		    "LIMIT 1) RETURNING id, kind, newsletter_id, "
		    "subscriber_id, rcpt, message_id, attempts",
		    "ii", (long long)getpid(), (long long)now);
		if (m == NULL) {
			arena_free(a);
			break;
		}
		id = page_int(m, "id");
		attempts = page_int(m, "attempts");
		/* unsubscribed (or confirmed) since it was queued */
		ok = db_int(s->w,
			 "SELECT count(*) FROM subscriber WHERE id = ? AND "
			 "status = ?",
			 "it", page_int(m, "subscriber_id"),
			 strcmp(page_str(m, "kind"), "confirm") == 0
			     ? "pending"
			     : "confirmed") == 1;
		buf_init(&msg, (size_t)8 << 20);
		if (!ok) {
			db_exec(s->w,
			    "UPDATE mail SET status = 'cancelled' WHERE id = ?",
			    "i", id);
		} else if (news_message(s, a, m, &msg, err, sizeof(err)) ==
		    -1) {
			db_exec(s->w,
			    "UPDATE mail SET status = 'failed', last_error = ? "
			    "WHERE id = ?",
			    "ti", err, id);
		} else {
			res = mail_smtp_send(s->smtp, s->site->conf.mail_from,
			    page_str(m, "rcpt"), msg.data, msg.len, err,
			    sizeof(err));
			if (res == MAIL_SENT)
				db_exec(s->w,
				    "UPDATE mail SET status = 'sent', sent_at "
				    "= "
				    "?, last_error = '' WHERE id = ?",
				    "ii", (long long)time(NULL), id);
			else if (res == MAIL_TEMPFAIL &&
			    attempts < NEWS_ATTEMPTS) {
				backoff = 30LL
				    << (attempts < 12 ? attempts : 12);
				if (backoff > NEWS_BACKOFF_MAX)
					backoff = NEWS_BACKOFF_MAX;
				db_exec(s->w,
				    "UPDATE mail SET status = 'queued', "
				    "next_at "
				    "= ?, last_error = ? WHERE id = ?",
				    "iti", (long long)now + backoff, err, id);
			} else
				db_exec(s->w,
				    "UPDATE mail SET status = 'failed', "
				    "last_error = ? WHERE id = ?",
				    "ti", err, id);
		}
		buf_free(&msg);
		if (strcmp(page_str(m, "kind"), "newsletter") == 0)
			news_finish(
			    s->w, page_int(m, "newsletter_id"), time(NULL));
		arena_free(a);
		done++;
		if (progress)
			progress(arg);
		if (ok)
			nanosleep(&s->gap, NULL);
	}
	return done;
}

long long
news_enqueue(struct db *w, long long newsletter, const char *host, time_t now)
{
	struct arena *a = arena_new();
	struct val *rows, *nl;
	char mid[160];
	size_t i;
	long long n = -1;

	nl = db_query_one(w, a,
	    "SELECT lang, status FROM newsletter WHERE id = ?", "i",
	    newsletter);
	if (nl == NULL || strcmp(page_str(nl, "status"), "draft") != 0)
		goto done;
	if (db_query(w, a, &rows,
		"SELECT id, email FROM subscriber WHERE status = 'confirmed' "
		"AND lang = ? ORDER BY id",
		"t", page_str(nl, "lang")) == -1)
		goto done;
	for (i = 0; i < rows->u.list.n; i++) {
		mail_message_id(mid, sizeof(mid), host);
		if (db_exec(w,
			"INSERT OR IGNORE INTO mail(kind, newsletter_id, "
			"subscriber_id, rcpt, next_at, message_id, created_at) "
			"VALUES ('newsletter', ?, ?, ?, ?, ?, ?)",
			"iititi", newsletter,
			page_int(rows->u.list.items[i], "id"),
			page_str(rows->u.list.items[i], "email"),
			(long long)now, mid, (long long)now) < 0)
			goto done;
	}
	if (db_exec(w,
		"UPDATE newsletter SET status = 'sending', queued_at = ? "
		"WHERE id = ?",
		"ii", (long long)now, newsletter) < 0)
		goto done;
	news_finish(w, newsletter, now);
	n = (long long)rows->u.list.n;
done:
	arena_free(a);
	return n;
}

/* ---- the server's sending thread ------------------------------------ */

static struct {
	pthread_t th;
	int running;
	volatile sig_atomic_t stop;
	struct site *site;
} news_th;

static void *
news_thread(void *arg)
{
	struct site *site = arg;
	struct db *w;
	struct news_sender *s;
	struct timespec tick = {1, 0};
	int n = 0;

	if ((w = db_open(site->conf.db, 0)) == NULL)
		return NULL;
	if ((s = news_sender_new(site, w)) == NULL) {
		db_close(w);
		return NULL;
	}
	while (!news_th.stop) {
		/* a sender gone mid-mail is noticed within a minute */
		if (n++ % 60 == 0)
			news_recover(w);
		news_send_due(s, &news_th.stop, NULL, NULL);
		nanosleep(&tick, NULL);
	}
	news_sender_free(s);
	db_close(w);
	return NULL;
}

int
news_thread_start(struct site *site)
{
	if (site->conf.smtp[0] == '\0')
		return 0;
	if (site->conf.mail_from[0] == '\0') {
		fprintf(stderr,
		    "herald: smtp needs mail_from (the address "
		    "newsletters come from)\n");
		return -1;
	}
	news_th.stop = 0;
	news_th.site = site;
	if (pthread_create(&news_th.th, NULL, news_thread, site) != 0)
		return -1;
	news_th.running = 1;
	return 0;
}

void
news_thread_stop(void)
{
	if (!news_th.running)
		return;
	news_th.stop = 1;
	pthread_join(news_th.th, NULL);
	news_th.running = 0;
}
