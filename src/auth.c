/* auth.c: signing in to the admin: sessions (a cookie holding a random
 * token, the database holding only its hash), CSRF checks, rate limits,
 * the TOTP second factor with recovery codes, and the account page. */
#include <arpa/inet.h>
#include <errno.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <sodium.h>

#include "extern.h"

#define AUTH_TOKEN_BYTES 32
#define AUTH_TOKEN_LEN 43 /* base64url without padding */
#define AUTH_ID_BYTES 32
#define AUTH_SEEN_EVERY 60 /* seconds between seen_at updates */

static sem_t auth_hash_sem;
static pthread_once_t auth_hash_once = PTHREAD_ONCE_INIT;
static unsigned auth_hash_slots;

static void
auth_hash_init(void)
{
	sem_init(&auth_hash_sem, 0, auth_hash_slots ? auth_hash_slots : 2);
}

int
auth_hash_enter(const struct site *site)
{
	struct timespec until;

	auth_hash_slots = site->conf.hash_limit;
	pthread_once(&auth_hash_once, auth_hash_init);
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += 10;
	while (sem_timedwait(&auth_hash_sem, &until) == -1)
		if (errno != EINTR)
			return -1;
	return 0;
}

void
auth_hash_leave(void)
{
	sem_post(&auth_hash_sem);
}

const char *
auth_client(struct req *r)
{
	char s[INET6_ADDRSTRLEN];
	static const unsigned char v4[12] = {
	    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

	if (memcmp(r->addr, v4, sizeof(v4)) == 0)
		inet_ntop(AF_INET, r->addr + 12, s, sizeof(s));
	else
		inet_ntop(AF_INET6, r->addr, s, sizeof(s));
	return arena_strdup(r->a, s);
}

/* The cookie names: __Host- makes the browser refuse the cookie unless
 * it is Secure, for the whole site and from this host only. */
static const char *
auth_cookie_name(const struct site *site, int login)
{
	if (site->conf.dev_http)
		return login ? "herald-login" : "herald-session";
	return login ? "__Host-herald-login" : "__Host-herald-session";
}

/* Adds a Set-Cookie for name=value living max_age seconds (0: delete). */
static void
auth_set_cookie(
    struct req *r, const char *name, const char *value, long long max_age)
{
	if (r->ncookies == sizeof(r->cookies) / sizeof(*r->cookies))
		return;
	r->cookies[r->ncookies++] = arena_printf(r->a,
	    "%s=%s; Path=/; Max-Age=%lld; HttpOnly; %sSameSite=Strict", name,
	    value, max_age, r->site->conf.dev_http ? "" : "Secure; ");
}

/* The value of cookie name in a Cookie header when it looks like one of
 * our tokens, copied to out; else -1. */
static int
auth_cookie_value(
    const char *header, const char *name, char out[AUTH_TOKEN_LEN + 1])
{
	size_t n = strlen(name), i;
	const char *p = header, *v;

	while (p != NULL && *p) {
		while (*p == ' ' || *p == ';')
			p++;
		if (strncmp(p, name, n) == 0 && p[n] == '=') {
			v = p + n + 1;
			for (i = 0; i < AUTH_TOKEN_LEN; i++)
				if (!(v[i] >= 'A' && v[i] <= 'Z') &&
				    !(v[i] >= 'a' && v[i] <= 'z') &&
				    !(v[i] >= '0' && v[i] <= '9') &&
				    v[i] != '-' && v[i] != '_')
					break;
			if (i == AUTH_TOKEN_LEN &&
			    (v[i] == '\0' || v[i] == ';' || v[i] == ' ')) {
				memcpy(out, v, AUTH_TOKEN_LEN);
				out[AUTH_TOKEN_LEN] = '\0';
				return 0;
			}
		}
		p = strchr(p, ';');
	}
	return -1;
}

static void
auth_token_new(char tok[AUTH_TOKEN_LEN + 1])
{
	unsigned char raw[AUTH_TOKEN_BYTES];

	randombytes_buf(raw, sizeof(raw));
	sodium_bin2base64(tok, AUTH_TOKEN_LEN + 1, raw, sizeof(raw),
	    sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	sodium_memzero(raw, sizeof(raw));
}

/* The stored id of a session: a hash of its token, so a copy of the
 * database opens no session. */
static void
auth_token_id(const char *tok, unsigned char id[AUTH_ID_BYTES])
{
	crypto_generichash(id, AUTH_ID_BYTES, (const unsigned char *)tok,
	    strlen(tok), NULL, 0);
}

/* The session row for the token, or NULL. */
static struct val *
auth_session_row(struct db *db, struct arena *a, const char *tok)
{
	unsigned char id[AUTH_ID_BYTES];

	auth_token_id(tok, id);
	return db_query_one(db, a,
	    "SELECT s.user_id, s.csrf, s.created_at, s.seen_at, "
	    "s.mfa_pending, hex(s.id) AS sid, u.email, u.name, u.role, "
	    "u.disabled, u.totp_secret IS NOT NULL AS has_totp "
	    "FROM session s JOIN user u ON u.id = s.user_id WHERE s.id = ?",
	    "b", id, sizeof(id));
}

/* 1 when the session row is within its idle and absolute limits. */
static int
auth_row_live(const struct site *site, const struct val *row, time_t now)
{
	return row != NULL && page_int(row, "disabled") == 0 &&
	    page_int(row, "created_at") + site->conf.session_max > now &&
	    page_int(row, "seen_at") + site->conf.session_idle > now;
}

struct auth_user *
auth_user(struct req *r)
{
	char tok[AUTH_TOKEN_LEN + 1];
	struct val *row;
	struct auth_user *u;
	struct db *w;
	unsigned char id[AUTH_ID_BYTES];

	if (auth_cookie_value(req_header(r, "Cookie"),
		auth_cookie_name(r->site, 0), tok) == -1)
		return NULL;
	row = auth_session_row(r->db, r->a, tok);
	if (row == NULL)
		return NULL;
	w = http_db_rw(r->site);
	auth_token_id(tok, id);
	sodium_memzero(tok, sizeof(tok));
	if (!auth_row_live(r->site, row, r->now)) {
		if (w != NULL)
			db_exec(w, "DELETE FROM session WHERE id = ?", "b", id,
			    sizeof(id));
		return NULL;
	}
	if (r->now - page_int(row, "seen_at") >= AUTH_SEEN_EVERY && w != NULL)
		db_exec(w, "UPDATE session SET seen_at = ? WHERE id = ?", "ib",
		    (long long)r->now, id, sizeof(id));
	u = arena_alloc(r->a, sizeof(*u));
	u->id = page_int(row, "user_id");
	u->email = page_str(row, "email");
	u->name = page_str(row, "name");
	u->role = (enum user_role)user_role_parse(page_str(row, "role"));
	if ((int)u->role < 0)
		return NULL;
	u->csrf = page_str(row, "csrf");
	u->session = page_str(row, "sid");
	u->mfa_pending = page_int(row, "mfa_pending") != 0;
	u->has_totp = page_int(row, "has_totp") != 0;
	return u;
}

int
auth_may_upload(
    struct site *site, struct db *db, const char *cookie, time_t now)
{
	char tok[AUTH_TOKEN_LEN + 1];
	struct arena *a;
	struct val *row;
	int ok;

	if (db == NULL ||
	    auth_cookie_value(cookie, auth_cookie_name(site, 0), tok) == -1)
		return 0;
	a = arena_new();
	row = auth_session_row(db, a, tok);
	ok = auth_row_live(site, row, now) && page_int(row, "mfa_pending") == 0;
	arena_free(a);
	sodium_memzero(tok, sizeof(tok));
	return ok;
}

/* Starts a session for user id: a new token in the cookie, its hash in
 * the store. Returns 0 or -1. */
static int
auth_session_new(struct req *r, struct db *w, long long user, int pending)
{
	char tok[AUTH_TOKEN_LEN + 1], csrf[AUTH_TOKEN_LEN + 1];
	unsigned char id[AUTH_ID_BYTES];
	const char *agent = req_header(r, "User-Agent");
	int rc;

	auth_token_new(tok);
	auth_token_new(csrf);
	auth_token_id(tok, id);
	rc = db_exec(w,
		 "INSERT INTO session(id, user_id, csrf, created_at, seen_at, "
		 "mfa_pending, client, agent) VALUES (?, ?, ?, ?, ?, ?, ?, "
		 "substr(?, 1, 200))",
		 "bitiiitt", id, sizeof(id), user, csrf, (long long)r->now,
		 (long long)r->now, (long long)pending, auth_client(r),
		 agent ? agent : "") < 0
	    ? -1
	    : 0;
	if (rc == 0)
		auth_set_cookie(r, auth_cookie_name(r->site, 0), tok,
		    r->site->conf.session_max);
	sodium_memzero(tok, sizeof(tok));
	return rc;
}

int
auth_end_sessions(struct db *w, long long user)
{
	return db_exec(w, "DELETE FROM session WHERE user_id = ?", "i", user) <
		0
	    ? -1
	    : 0;
}

/* 1 when the Origin (when sent) is the site's own: its base URL, or the
 * scheme and Host this request came to. */
static int
auth_origin_ok(struct req *r)
{
	const char *origin = req_header(r, "Origin");
	const char *host = req_header(r, "Host");
	const char *base = r->site->conf.base_url, *p;
	size_t n;

	if (origin == NULL)
		return 1;
	/* the base URL without its path */
	if ((p = strstr(base, "://")) != NULL &&
	    (p = strchr(p + 3, '/')) != NULL)
		n = (size_t)(p - base);
	else
		n = strlen(base);
	if (strlen(origin) == n && strncasecmp(origin, base, n) == 0)
		return 1;
	if (host == NULL)
		return 0;
	if (strncmp(origin, "http://", 7) == 0)
		p = origin + 7;
	else if (strncmp(origin, "https://", 8) == 0)
		p = origin + 8;
	else
		return 0;
	return strcasecmp(p, host) == 0;
}

/* Sec-Fetch-Site and Origin, for every POST of the admin. */
static int
auth_fetch_ok(struct req *r)
{
	const char *sfs = req_header(r, "Sec-Fetch-Site");

	if (sfs != NULL && strcmp(sfs, "same-origin") != 0)
		return 0;
	return auth_origin_ok(r);
}

static int
auth_token_eq(const char *a, const char *b)
{
	size_t n;

	if (a == NULL || b == NULL || (n = strlen(b)) == 0 || strlen(a) != n)
		return 0;
	return sodium_memcmp(a, b, n) == 0;
}

int
auth_csrf_ok(struct req *r, const struct auth_user *u, const struct form *f)
{
	return auth_fetch_ok(r) && u != NULL &&
	    auth_token_eq(form_get(f, "csrf"), u->csrf);
}

/* The sign-in form's token: a keyed hash of the pre-sign-in cookie, so a
 * page on another site cannot post a sign-in (login CSRF). */
static const char *
auth_login_token(struct req *r, const char *pre)
{
	unsigned char h[24];
	char out[sizeof(h) * 2 + 1];

	crypto_generichash(h, sizeof(h), (const unsigned char *)pre,
	    strlen(pre), r->site->key, EMAIL_KEY_LEN);
	sodium_bin2hex(out, sizeof(out), h, sizeof(h));
	return arena_strdup(r->a, out);
}

/* Renders the sign-in form; error NULL or a sentence. */
static int
auth_login_form(struct req *r, int status, const char *email, const char *error)
{
	char pre[AUTH_TOKEN_LEN + 1];
	struct val *v = admin_view(r, "Sign in");

	if (auth_cookie_value(req_header(r, "Cookie"),
		auth_cookie_name(r->site, 1), pre) == -1) {
		auth_token_new(pre);
		auth_set_cookie(r, auth_cookie_name(r->site, 1), pre, 86400);
	}
	val_set_str(r->a, v, "login_csrf", auth_login_token(r, pre));
	val_set_str(r->a, v, "email", email ? email : "");
	if (error)
		val_set_str(r->a, v, "error", error);
	admin_render(r, NULL, "login", v);
	r->status = status;
	return status;
}

/* Counts a sign-in attempt for the client and for the account; 0, or
 * sets 429 with Retry-After. */
static int
auth_limit(struct req *r, const char *email)
{
	unsigned char key[16];
	char lower[EMAIL_MAX + 1];
	size_t i;

	if ((r->retry_after =
		    ratelimit_hit(r->site->login_client, r->addr, r->now)) != 0)
		return -1;
	for (i = 0; email[i] && i < EMAIL_MAX; i++)
		lower[i] =
		    (char)((email[i] >= 'A' && email[i] <= 'Z') ? email[i] + 32
								: email[i]);
	lower[i] = '\0';
	crypto_generichash(
	    key, sizeof(key), (const unsigned char *)lower, i, NULL, 0);
	if ((r->retry_after =
		    ratelimit_hit(r->site->login_account, key, r->now)) != 0)
		return -1;
	return 0;
}

int
auth_page_login(struct req *r, const struct form *f)
{
	char pre[AUTH_TOKEN_LEN + 1];
	const char *email, *pw;
	struct db *w;
	struct val *row;
	enum user_auth ok;
	int pending;

	if (strcmp(r->method, "POST") != 0) {
		if (auth_user(r) != NULL)
			return admin_redirect(r, "/admin");
		return auth_login_form(r, 200, NULL, NULL);
	}
	if (!auth_fetch_ok(r) ||
	    auth_cookie_value(req_header(r, "Cookie"),
		auth_cookie_name(r->site, 1), pre) == -1 ||
	    !auth_token_eq(form_get(f, "csrf"), auth_login_token(r, pre)))
		return r->status = 403;
	email = form_get(f, "email");
	pw = form_get(f, "password");
	if (email == NULL || pw == NULL || strlen(email) > EMAIL_MAX ||
	    strlen(pw) > USER_PW_MAX)
		return auth_login_form(r, 422, email,
		    "Enter your e-mail "
		    "address and password.");
	if (auth_limit(r, email) == -1) {
		r->status = 429;
		return 429;
	}
	if ((w = http_db_rw(r->site)) == NULL)
		return r->status = 503;
	if (auth_hash_enter(r->site) == -1) {
		r->retry_after = 5;
		return r->status = 503;
	}
	ok = user_check_password(w, email, pw);
	auth_hash_leave();
	if (ok != USER_AUTH_OK) {
		user_audit(w, email, "login.failed", email, "", auth_client(r));
		/* one answer for an unknown address, a disabled account and a
		 * wrong password */
		return auth_login_form(r, 422, email,
		    "The e-mail address or the password is wrong.");
	}
	row = db_query_one(w, r->a,
	    "SELECT id, totp_secret IS NOT NULL AS totp FROM user "
	    "WHERE email = ?",
	    "t", email);
	if (row == NULL)
		return r->status = 500;
	pending = page_int(row, "totp") != 0;
	if (auth_session_new(r, w, page_int(row, "id"), pending) == -1)
		return r->status = 500;
	auth_set_cookie(r, auth_cookie_name(r->site, 1), "x", 0);
	user_audit(w, email, pending ? "login.password" : "login", email, "",
	    auth_client(r));
	return admin_redirect(r, pending ? "/admin/login/code" : "/admin");
}

/* Checks a TOTP code or a recovery code of user id; 0 or -1. */
static int
auth_second_factor(
    struct req *r, struct db *w, long long user, const char *code)
{
	struct val *row;
	long long last;
	unsigned char h[TOTP_HASH_LEN];
	int rc = -1;

	row = db_query_one(w, r->a,
	    "SELECT totp_secret, totp_last FROM user WHERE id = ?", "i", user);
	if (row == NULL || val_get(row, "totp_secret") == NULL ||
	    val_get(row, "totp_secret")->type != VAL_STR)
		return -1;
	last = page_int(row, "totp_last");
	if (db_begin(w) == -1)
		return -1;
	if (totp_check(page_str(row, "totp_secret"), code, r->now, &last) ==
	    0) {
		/* the step is stored, so the same code cannot serve twice */
		if (db_exec(w, "UPDATE user SET totp_last = ? WHERE id = ?",
			"ii", last, user) >= 0)
			rc = 0;
	} else if (totp_recovery_hash(code, h) == 0 &&
	    db_int(w,
		"SELECT count(*) FROM recovery_code WHERE user_id = ? AND "
		"hash = ? AND used_at IS NULL",
		"ib", user, h, sizeof(h)) == 1 &&
	    db_exec(w,
		"UPDATE recovery_code SET used_at = ? WHERE user_id = ? AND "
		"hash = ?",
		"iib", (long long)r->now, user, h, sizeof(h)) >= 0)
		rc = 1;
	if (rc >= 0 && db_commit(w) == 0)
		return rc;
	db_rollback(w);
	return -1;
}

int
auth_page_code(struct req *r, const struct form *f)
{
	struct auth_user *u = auth_user(r);
	struct val *v;
	struct db *w;
	const char *code;
	int kind;

	if (u == NULL || !u->mfa_pending)
		return admin_redirect(r, "/admin/login");
	v = admin_view(r, "Two-step sign-in");
	val_set_str(r->a, v, "csrf", u->csrf);
	if (strcmp(r->method, "POST") != 0) {
		admin_render(r, NULL, "code", v);
		return r->status;
	}
	if (!auth_csrf_ok(r, u, f))
		return r->status = 403;
	if (auth_limit(r, u->email) == -1)
		return r->status = 429;
	if ((w = http_db_rw(r->site)) == NULL)
		return r->status = 503;
	code = form_get(f, "code");
	if (code == NULL || strlen(code) > 64 ||
	    (kind = auth_second_factor(r, w, u->id, code)) == -1) {
		user_audit(w, u->email, "login.code-failed", u->email, "",
		    auth_client(r));
		val_set_str(r->a, v, "error",
		    "That code is not right. Try "
		    "the newest code from your app, "
		    "or a recovery code.");
		admin_render(r, NULL, "code", v);
		return r->status = 422;
	}
	/* a new session (a new token) for the full sign-in */
	if (db_exec(w, "DELETE FROM session WHERE hex(id) = ?", "t",
		u->session) < 0 ||
	    auth_session_new(r, w, u->id, 0) == -1)
		return r->status = 500;
	user_audit(w, u->email, kind == 1 ? "login.recovery-code" : "login",
	    u->email, "", auth_client(r));
	return admin_redirect(r, "/admin");
}

int
auth_page_logout(struct req *r, struct auth_user *u)
{
	struct db *w = http_db_rw(r->site);

	if (w == NULL)
		return r->status = 503;
	if (db_exec(w, "DELETE FROM session WHERE hex(id) = ?", "t",
		u->session) < 0)
		return r->status = 500;
	auth_set_cookie(r, auth_cookie_name(r->site, 0), "x", 0);
	user_audit(w, u->email, "logout", u->email, "", auth_client(r));
	return admin_redirect(r, "/admin/login");
}

/* ---- the account page ------------------------------------------------- */

/* Checks the current password typed into field "password"; 0 or -1 (and
 * a status set when the server is busy). */
static int
auth_recheck(
    struct req *r, struct db *w, struct auth_user *u, const struct form *f)
{
	const char *pw = form_get(f, "password");
	enum user_auth ok;

	if (pw == NULL || strlen(pw) > USER_PW_MAX)
		return -1;
	if (auth_limit(r, u->email) == -1) {
		r->status = 429;
		return -1;
	}
	if (auth_hash_enter(r->site) == -1) {
		r->retry_after = 5;
		r->status = 503;
		return -1;
	}
	ok = user_check_password(w, u->email, pw);
	auth_hash_leave();
	return ok == USER_AUTH_OK ? 0 : -1;
}

/* Makes new recovery codes for user id (the old ones stop working) and
 * puts them in the view, shown once. 0 or -1. */
static int
auth_recovery_new(struct req *r, struct db *w, long long user, struct val *v)
{
	char codes[TOTP_RECOVERY_N][TOTP_RECOVERY_LEN];
	unsigned char h[TOTP_HASH_LEN];
	struct val *list = val_list(r->a);
	size_t i;
	int rc = -1;

	totp_recovery_new(codes);
	if (db_exec(w, "DELETE FROM recovery_code WHERE user_id = ?", "i",
		user) < 0)
		goto done;
	for (i = 0; i < TOTP_RECOVERY_N; i++) {
		if (totp_recovery_hash(codes[i], h) == -1 ||
		    db_exec(w,
			"INSERT INTO recovery_code(user_id, hash) VALUES (?, "
			"?)",
			"ib", user, h, sizeof(h)) < 0)
			goto done;
		val_push(r->a, list, val_str(r->a, codes[i]));
	}
	val_set(r->a, v, "recovery_codes", list);
	rc = 0;
done:
	sodium_memzero(codes, sizeof(codes));
	return rc;
}

/* Shows the set-up of a second factor for a new secret. */
static void
auth_totp_setup(
    struct req *r, struct auth_user *u, struct val *v, const char *secret)
{
	struct buf b;

	buf_init(&b, 4096);
	totp_uri(&b, r->site->name, u->email, secret);
	val_set_str(r->a, v, "totp_secret", secret);
	val_set_str(r->a, v, "totp_uri", buf_cstr(&b));
	buf_free(&b);
}

int
auth_page_account(struct req *r, struct auth_user *u, const struct form *f)
{
	struct val *v = admin_view(r, "Your account"), *sessions;
	struct db *w = http_db_rw(r->site);
	const char *action = form_get(f, "action"), *npw, *npw2, *code;
	const char *secret;
	char err[256], actor[600], sec[TOTP_SECRET_B32];
	long long last = 0;
	size_t i;

	if (w == NULL)
		return r->status = 503;
	r->status = 200; /* a refusal below sets its own status */
	snprintf(actor, sizeof(actor), "%s", u->email);
	if (strcmp(r->method, "POST") == 0 && action != NULL) {
		if (strcmp(action, "password") == 0) {
			npw = form_get(f, "new_password");
			npw2 = form_get(f, "new_password2");
			if (auth_recheck(r, w, u, f) == -1) {
				if (r->status >= 400)
					return r->status;
				val_set_str(r->a, v, "error",
				    "Your current password is not right.");
			} else if (npw == NULL || npw2 == NULL ||
			    strcmp(npw, npw2) != 0)
				val_set_str(r->a, v, "error",
				    "The new passwords do not match.");
			else if (user_passwd(w, actor, u->email, npw,
				     strlen(npw), err, sizeof(err)) == -1)
				val_set_str(
				    r->a, v, "error", arena_strdup(r->a, err));
			else {
				/* every other session ends with the old
				 * password */
				db_exec(w,
				    "DELETE FROM session WHERE user_id = ? AND "
				    "hex(id) <> ?",
				    "it", u->id, u->session);
				return admin_redirect(
				    r, "/admin/account?done=password");
			}
		} else if (strcmp(action, "totp-start") == 0 && !u->has_totp) {
			totp_secret_new(sec);
			auth_totp_setup(r, u, v, sec);
			sodium_memzero(sec, sizeof(sec));
		} else if (strcmp(action, "totp-confirm") == 0 &&
		    !u->has_totp) {
			secret = form_get(f, "secret");
			code = form_get(f, "code");
			if (secret == NULL || strlen(secret) != 32 ||
			    code == NULL ||
			    totp_check(secret, code, r->now, &last) == -1) {
				val_set_str(r->a, v, "error",
				    "That code is not right: check the "
				    "clock of your phone and try the newest "
				    "code.");
				if (secret != NULL && strlen(secret) == 32)
					auth_totp_setup(r, u, v, secret);
			} else if (db_begin(w) == -1 ||
			    db_exec(w,
				"UPDATE user SET totp_secret = ?, "
				"totp_last = ? WHERE id = ?",
				"tii", secret, last, u->id) < 0 ||
			    auth_recovery_new(r, w, u->id, v) == -1 ||
			    admin_audit(r, u, "user.totp-on", u->email, "") ==
				-1 ||
			    db_commit(w) == -1) {
				db_rollback(w);
				return r->status = 500;
			} else
				u->has_totp = 1;
		} else if ((strcmp(action, "totp-off") == 0 ||
			       strcmp(action, "recovery-new") == 0) &&
		    u->has_totp) {
			if (auth_recheck(r, w, u, f) == -1) {
				if (r->status >= 400)
					return r->status;
				val_set_str(r->a, v, "error",
				    "Your current password is not right.");
			} else if (strcmp(action, "totp-off") == 0) {
				if (db_begin(w) == -1 ||
				    db_exec(w,
					"UPDATE user SET totp_secret = NULL "
					"WHERE id = ?",
					"i", u->id) < 0 ||
				    db_exec(w,
					"DELETE FROM recovery_code WHERE "
					"user_id = ?",
					"i", u->id) < 0 ||
				    admin_audit(r, u, "user.totp-off", u->email,
					"") == -1 ||
				    db_commit(w) == -1) {
					db_rollback(w);
					return r->status = 500;
				}
				return admin_redirect(
				    r, "/admin/account?done=totp-off");
			} else if (db_begin(w) == -1 ||
			    auth_recovery_new(r, w, u->id, v) == -1 ||
			    admin_audit(r, u, "user.recovery-codes", u->email,
				"") == -1 ||
			    db_commit(w) == -1) {
				db_rollback(w);
				return r->status = 500;
			}
		} else if (strcmp(action, "logout-all") == 0) {
			if (auth_end_sessions(w, u->id) == -1)
				return r->status = 500;
			admin_audit(r, u, "logout.everywhere", u->email, "");
			auth_set_cookie(
			    r, auth_cookie_name(r->site, 0), "x", 0);
			return admin_redirect(r, "/admin/login");
		} else
			return r->status = 400;
		if (val_get(v, "error") != NULL)
			r->status = 422;
	}
	val_set_bool(r->a, v, "has_totp", u->has_totp);
	if (db_query(w, r->a, &sessions,
		"SELECT hex(id) AS sid, created_at, seen_at, client, agent "
		"FROM session WHERE user_id = ? AND mfa_pending = 0 "
		"ORDER BY seen_at DESC",
		"i", u->id) == 0) {
		for (i = 0; i < sessions->u.list.n; i++) {
			struct val *s = sessions->u.list.items[i];

			val_set_bool(r->a, s, "current",
			    strcmp(page_str(s, "sid"), u->session) == 0);
			val_set_str(r->a, s, "seen",
			    page_iso(r, page_int(s, "seen_at"), 0));
			val_set_str(r->a, s, "created",
			    page_iso(r, page_int(s, "created_at"), 0));
		}
		val_set(r->a, v, "sessions", sessions);
	}
	val_set_int(r->a, v, "recovery_left",
	    db_int(w,
		"SELECT count(*) FROM recovery_code WHERE user_id = ? AND "
		"used_at IS NULL",
		"i", u->id));
	admin_render(r, u, "account", v);
	if (val_get(v, "error") != NULL)
		r->status = 422;
	return r->status;
}
