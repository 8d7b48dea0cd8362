/* user.c: editor accounts (herald user add|passwd|del|list), their
 * password hashes and checks, and the audit rows their changes write. */
#include <errno.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "extern.h"

/*
 * argon2id at libsodium's INTERACTIVE limits (64 MiB, 2 passes): about
 * 0.2 s a hash here, against 1.1 s for MODERATE, which would make every
 * login (and test) that slow. Raising these makes user_check_password()
 * rehash each stored password at its next successful check.
 */
#define USER_OPSLIMIT crypto_pwhash_OPSLIMIT_INTERACTIVE
#define USER_MEMLIMIT crypto_pwhash_MEMLIMIT_INTERACTIVE

_Static_assert(USER_HASH_LEN >= crypto_pwhash_STRBYTES,
    "USER_HASH_LEN too small for crypto_pwhash_str");

/*
 * A hash of 32 random bytes (thrown away) at our parameters: checked
 * against when there is no such user or the user is disabled, so that
 * such an answer takes as long as a wrong password.
 */
static const char user_dummy_hash[USER_HASH_LEN] =
    "$argon2id$v=19$m=65536,t=2,p=1$HU/sbL9Dc/yYhWkeitCKRg$"
    "vISMvXdHwhvNI6s9/ma95fgy6ru081PpQ/O8im8J2+A";

const char *const user_role_names[USER_ROLE__MAX] = {
    [USER_ADMIN] = "admin",
    [USER_EDITOR] = "editor",
    [USER_AUTHOR] = "author",
};

int
user_role_parse(const char *s)
{
	int i;

	for (i = 0; i < USER_ROLE__MAX; i++)
		if (s != NULL && strcmp(s, user_role_names[i]) == 0)
			return i;
	return -1;
}

int
user_name_valid(const char *s)
{
	size_t n, i, k;
	const unsigned char *p = (const unsigned char *)s;

	if (s == NULL || (n = strlen(s)) == 0 || n > USER_NAME_MAX)
		return -1;
	for (i = 0; i < n; i += k) {
		if ((k = buf_utf8_len(p + i, n - i)) == 0)
			return -1;
		if (p[i] < 0x20 || p[i] == 0x7f)
			return -1;
		/* C1 controls U+0080..U+009F are C2 80..C2 9F */
		if (k == 2 && p[i] == 0xc2 && p[i + 1] < 0xa0)
			return -1;
	}
	return 0;
}

const char *
user_password_weak(const char *pw, size_t len, const char *email)
{
	size_t i, k;
	const unsigned char *p = (const unsigned char *)pw;

	if (len < USER_PW_MIN)
		return "password too short (12 bytes at least)";
	if (len > USER_PW_MAX)
		return "password too long (1024 bytes at most)";
	for (i = 0; i < len; i += k)
		if (p[i] == '\0' || (k = buf_utf8_len(p + i, len - i)) == 0)
			return "password is not valid UTF-8 text";
	if (email != NULL && strlen(email) == len &&
	    strncasecmp(pw, email, len) == 0)
		return "password must not be the e-mail address";
	return NULL;
}

int
user_hash(const char *pw, size_t len, char hash[USER_HASH_LEN])
{
	if (crypto_pwhash_str(hash, pw, len, USER_OPSLIMIT, USER_MEMLIMIT) != 0)
		return -1;
	return 0;
}

void
user_actor(char *out, size_t n)
{
	struct passwd *pw = getpwuid(geteuid());

	if (pw != NULL && pw->pw_name != NULL)
		snprintf(out, n, "cli:%s", pw->pw_name);
	else
		snprintf(out, n, "cli:%ld", (long)geteuid());
}

int
user_audit(struct db *db, const char *actor, const char *action,
    const char *subject, const char *detail, const char *client)
{
	long long id;

	id = db_exec(db,
	    "INSERT INTO audit(at, actor, action, subject, detail, client) "
	    "VALUES (?, ?, ?, ?, ?, ?)",
	    "ittttt", (long long)time(NULL), actor, action,
	    subject ? subject : "", detail ? detail : "", client ? client : "");
	return id < 0 ? -1 : 0;
}

int
user_exists(struct db *db, const char *email)
{
	long long n =
	    db_int(db, "SELECT count(*) FROM user WHERE email = ?", "t", email);

	return n < 0 ? -1 : n > 0;
}

/* 0 when a user with email exists (want 1) or does not (want 0); else -1
 * with the reason in err. Checked before the slow hash, and again inside
 * the transaction that writes. */
static int
user_expect(struct db *db, const char *email, int want, char *err,
    size_t errlen)
{
	int r = user_exists(db, email);

	if (r == want)
		return 0;
	snprintf(err, errlen, "%s",
	    r == -1   ? "cannot read the users"
	    : want == 1 ? "no user with that e-mail address"
	                : "a user with that e-mail address exists");
	return -1;
}

int
user_add(struct db *db, const char *actor, const char *email, const char *name,
    const char *role, const char *pw, size_t pwlen, char *err, size_t errlen)
{
	char hash[USER_HASH_LEN], detail[64];
	const char *why;
	long long now = (long long)time(NULL);
	int rc = -1;

	if (email_valid(email) == -1) {
		snprintf(err, errlen, "invalid e-mail address");
		return -1;
	}
	if (user_name_valid(name) == -1) {
		snprintf(err, errlen,
		    "invalid name (1 to %d bytes of text, no "
		    "control characters)",
		    USER_NAME_MAX);
		return -1;
	}
	if (user_role_parse(role) == -1) {
		snprintf(err, errlen,
		    "unknown role \"%s\" (admin, editor or "
		    "author)",
		    role);
		return -1;
	}
	if ((why = user_password_weak(pw, pwlen, email)) != NULL) {
		snprintf(err, errlen, "%s", why);
		return -1;
	}
	if (user_expect(db, email, 0, err, errlen) == -1)
		return -1;
	if (user_hash(pw, pwlen, hash) == -1) {
		snprintf(
		    err, errlen, "cannot hash the password (out of memory?)");
		return -1;
	}
	snprintf(detail, sizeof(detail), "role %s", role);
	if (db_begin(db) == -1) {
		snprintf(err, errlen, "cannot write the database");
		goto done;
	}
	if (user_expect(db, email, 0, err, errlen) == -1) {
		db_rollback(db);
		goto done;
	}
	if (db_exec(db,
		"INSERT INTO user(email, name, role, pw_hash, created_at, "
		"updated_at) VALUES (?, ?, ?, ?, ?, ?)",
		"ttttii", email, name, role, hash, now, now) < 0 ||
	    user_audit(db, actor, "user.add", email, detail, "local") == -1 ||
	    db_commit(db) == -1) {
		db_rollback(db);
		snprintf(err, errlen, "cannot write the database");
		goto done;
	}
	rc = 0;
done:
	sodium_memzero(hash, sizeof(hash));
	return rc;
}

int
user_passwd(struct db *db, const char *actor, const char *email, const char *pw,
    size_t pwlen, char *err, size_t errlen)
{
	char hash[USER_HASH_LEN];
	const char *why;
	int rc = -1;

	if (user_expect(db, email, 1, err, errlen) == -1)
		return -1;
	if ((why = user_password_weak(pw, pwlen, email)) != NULL) {
		snprintf(err, errlen, "%s", why);
		return -1;
	}
	if (user_hash(pw, pwlen, hash) == -1) {
		snprintf(
		    err, errlen, "cannot hash the password (out of memory?)");
		return -1;
	}
	if (db_begin(db) == -1) {
		snprintf(err, errlen, "cannot write the database");
		goto done;
	}
	if (user_expect(db, email, 1, err, errlen) == -1) {
		db_rollback(db);
		goto done;
	}
	if (db_exec(db,
		"UPDATE user SET pw_hash = ?, updated_at = ? WHERE email = ?",
		"tit", hash, (long long)time(NULL), email) < 0 ||
	    user_audit(db, actor, "user.passwd", email, "", "local") == -1 ||
	    db_commit(db) == -1) {
		db_rollback(db);
		snprintf(err, errlen, "cannot write the database");
		goto done;
	}
	rc = 0;
done:
	sodium_memzero(hash, sizeof(hash));
	return rc;
}

int
user_del(struct db *db, const char *actor, const char *email, char *err,
    size_t errlen)
{
	struct arena *a = arena_new();
	struct val *row;
	char detail[64];
	int rc = -1;

	if (db_begin(db) == -1) {
		snprintf(err, errlen, "cannot write the database");
		goto done;
	}
	row = db_query_one(
	    db, a, "SELECT id, role FROM user WHERE email = ?", "t", email);
	if (row == NULL) {
		snprintf(err, errlen, "no user with that e-mail address");
		goto fail;
	}
	if (strcmp(page_str(row, "role"), "admin") == 0 &&
	    db_int(db,
		"SELECT count(*) FROM user WHERE role = 'admin' AND "
		"disabled = 0 AND id != ?",
		"i", page_int(row, "id")) == 0) {
		snprintf(err, errlen,
		    "refusing to delete the last admin (add "
		    "another admin first)");
		goto fail;
	}
	snprintf(detail, sizeof(detail), "role %s", page_str(row, "role"));
	if (db_exec(db, "DELETE FROM user WHERE id = ?", "i",
		page_int(row, "id")) < 0 ||
	    user_audit(db, actor, "user.del", email, detail, "local") == -1 ||
	    db_commit(db) == -1) {
		snprintf(err, errlen, "cannot write the database");
		goto fail;
	}
	rc = 0;
	goto done;
fail:
	db_rollback(db);
done:
	arena_free(a);
	return rc;
}

int
user_list(struct db *db)
{
	FILE *out = stdout;
	static const char *const head[5] = {
	    "EMAIL", "NAME", "ROLE", "CREATED", "DISABLED"};
	static const char *const cols[3] = {"email", "name", "role"};
	struct arena *a = arena_new();
	struct val *rows;
	const char *cell[5];
	char date[32];
	size_t w[5], i, j, n;
	time_t t;
	struct tm tm;
	int rc = -1;

	if (db_query(db, a, &rows,
		"SELECT email, name, role, created_at, disabled FROM user "
		"ORDER BY email",
		"") == -1)
		goto done;
	for (j = 0; j < 5; j++)
		w[j] = strlen(head[j]);
	for (i = 0; i < rows->u.list.n; i++) {
		struct val *r = rows->u.list.items[i];

		for (j = 0; j < 3; j++) {
			n = strlen(page_str(r, cols[j]));
			if (n > w[j])
				w[j] = n;
		}
	}
	w[3] = 16; /* "2026-11-27 23:50" */
	for (j = 0; j < 4; j++)
		fprintf(out, "%-*s  ", (int)w[j], head[j]);
	fprintf(out, "%s\n", head[4]);
	for (i = 0; i < rows->u.list.n; i++) {
		struct val *r = rows->u.list.items[i];

		t = (time_t)page_int(r, "created_at");
		if (gmtime_r(&t, &tm) == NULL ||
		    strftime(date, sizeof(date), "%Y-%m-%d %H:%M", &tm) == 0)
			snprintf(date, sizeof(date), "?");
		for (j = 0; j < 3; j++)
			cell[j] = page_str(r, cols[j]);
		cell[3] = date;
		cell[4] = page_int(r, "disabled") ? "yes" : "no";
		for (j = 0; j < 4; j++)
			fprintf(out, "%-*s  ", (int)w[j], cell[j]);
		fprintf(out, "%s\n", cell[4]);
	}
	rc = ferror(out) ? -1 : 0;
done:
	arena_free(a);
	return rc;
}

enum user_auth
user_check_password(struct db *db, const char *email, const char *password)
{
	struct arena *a = arena_new();
	struct val *row;
	char hash[USER_HASH_LEN];
	const char *stored;
	size_t len = strlen(password);
	enum user_auth rc = USER_AUTH_FAIL;

	row = db_query_one(db, a,
	    "SELECT id, pw_hash, disabled FROM user WHERE email = ?", "t",
	    email);
	if (len > USER_PW_MAX)
		goto done;
	if (row == NULL || page_int(row, "disabled") != 0) {
		/* the same work as for a wrong password; always fails */
		(void)!crypto_pwhash_str_verify(user_dummy_hash, password, len);
		goto done;
	}
	stored = page_str(row, "pw_hash");
	if (crypto_pwhash_str_verify(stored, password, len) != 0)
		goto done;
	rc = USER_AUTH_OK;
	if (crypto_pwhash_str_needs_rehash(
		stored, USER_OPSLIMIT, USER_MEMLIMIT) == 0)
		goto done;
	/* made with other parameters: store a hash made with ours; the
	 * password was right, so a failure here does not refuse the login */
	if (user_hash(password, len, hash) == -1)
		goto done;
	if (db_begin(db) == -1)
		goto wipe;
	if (db_exec(db,
		"UPDATE user SET pw_hash = ?, updated_at = ? WHERE id = ? AND "
		"pw_hash = ?",
		"tiit", hash, (long long)time(NULL), page_int(row, "id"),
		stored) < 0 ||
	    user_audit(db, "system", "user.rehash", email, "", "") == -1 ||
	    db_commit(db) == -1)
		db_rollback(db);
wipe:
	sodium_memzero(hash, sizeof(hash));
done:
	arena_free(a);
	return rc;
}

/* ---- reading a password from stdin ---------------------------------- */

static struct termios user_tty_saved;
static volatile sig_atomic_t user_tty_off;

/* A signal while echo is off: turn it back on, then die of the signal. */
static void
user_tty_signal(int sig)
{
	if (user_tty_off)
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &user_tty_saved);
	signal(sig, SIG_DFL);
	raise(sig);
}

/* Reads one line from fd 0 byte by byte (no stdio buffer keeps a copy)
 * into buf; returns its length without the newline (and a CR before it),
 * or -1 at EOF before any byte, -2 when it is over max bytes, -3 on a read
 * error. The rest of an overlong line is read and dropped. */
static long
user_read_line(char *buf, size_t max)
{
	size_t n = 0;
	int over = 0, any = 0;
	ssize_t r;
	char c;

	for (;;) {
		r = read(STDIN_FILENO, &c, 1);
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1)
			return -3;
		if (r == 0)
			break;
		any = 1;
		if (c == '\n')
			break;
		if (n < max)
			buf[n++] = c;
		else
			over = 1;
	}
	if (!any)
		return -1;
	if (over)
		return -2;
	if (n > 0 && buf[n - 1] == '\r')
		n--;
	return (long)n;
}

/* One prompt on the terminal with echo off. */
static long
user_tty_line(const char *prompt, char *buf, size_t max)
{
	struct termios t;
	struct sigaction sa, old[4];
	static const int sigs[4] = {SIGINT, SIGTERM, SIGQUIT, SIGTSTP};
	long n;
	int i;

	if (tcgetattr(STDIN_FILENO, &user_tty_saved) == -1)
		return -3;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = user_tty_signal;
	sigemptyset(&sa.sa_mask);
	for (i = 0; i < 4; i++)
		sigaction(sigs[i], &sa, &old[i]);
	t = user_tty_saved;
	t.c_lflag &= ~(tcflag_t)(ECHO | ECHONL);
	t.c_lflag |= ICANON;
	/* echo off before the prompt: TCSAFLUSH drops what was typed
	 * before it, so nothing typed after the prompt is lost */
	user_tty_off = 1;
	if (tcsetattr(STDIN_FILENO, TCSAFLUSH, &t) == -1)
		n = -3;
	else {
		fputs(prompt, stderr);
		fflush(stderr);
		n = user_read_line(buf, max);
	}
	tcsetattr(STDIN_FILENO, TCSAFLUSH, &user_tty_saved);
	user_tty_off = 0;
	for (i = 0; i < 4; i++)
		sigaction(sigs[i], &old[i], NULL);
	fputc('\n', stderr);
	return n;
}

int
user_read_password(
    char *buf, size_t size, size_t *lenp, char *err, size_t errlen)
{
	char again[USER_PW_MAX + 1];
	size_t max = size - 1;
	long n, m;
	int rc = -1;

	if (max > USER_PW_MAX)
		max = USER_PW_MAX;
	if (isatty(STDIN_FILENO)) {
		n = user_tty_line("Password: ", buf, max);
		m = n >= 0 ? user_tty_line("Password again: ", again, max) : n;
		if (n >= 0 && m >= 0 &&
		    (n != m || sodium_memcmp(buf, again, (size_t)n) != 0)) {
			snprintf(err, errlen, "the passwords do not match");
			goto done;
		}
		if (m < 0)
			n = m;
	} else
		n = user_read_line(buf, max);
	if (n == -1)
		snprintf(err, errlen, "no password on standard input");
	else if (n == -2)
		snprintf(err, errlen, "password too long (%d bytes at most)",
		    USER_PW_MAX);
	else if (n < 0)
		snprintf(err, errlen, "cannot read the password: %s",
		    strerror(errno));
	if (n < 0)
		goto done;
	buf[n] = '\0';
	*lenp = (size_t)n;
	rc = 0;
done:
	sodium_memzero(again, sizeof(again));
	if (rc == -1)
		sodium_memzero(buf, size);
	return rc;
}
