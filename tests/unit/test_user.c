/* test_user.c: accounts: validation tables, password hashing, checks and
 * the rehash of a hash made with weaker parameters, the last-admin rule
 * and the audit rows. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "extern.h"
#include "unit.h"

static void
test_user_tables(void)
{
	static const struct {
		const char *in;
		int want;
	} roles[] =
	    {
		{"admin", USER_ADMIN},
		{"editor", USER_EDITOR},
		{"author", USER_AUTHOR},
		{"Admin", -1},
		{"", -1},
		{"root", -1},
		{"admin ", -1},
	    },
	  names[] = {
	      {"Ann Admin", 0},
	      {"Zoë Ó Súilleabháin", 0},
	      {"李小龍", 0},
	      {"x", 0},
	      {"", -1},
	      {"tab\there", -1},
	      {"new\nline", -1},
	      {"del\x7f", -1},
	      {"c1\xc2\x85", -1},
	      {"bad \xff utf8", -1},
	      {"overlong \xc0\xaf", -1},
	  };
	static const struct {
		const char *pw, *email;
		int ok;
	} pws[] = {
	    {"correct horse battery", "a@x.org", 1},
	    {"twelve bytes", "a@x.org", 1},
	    {"eleven byte", "a@x.org", 0},
	    {"", "a@x.org", 0},
	    {"ann@example.org", "ann@example.org", 0},
	    {"ANN@Example.ORG", "ann@example.org", 0},
	    {"ann@example.org!", "ann@example.org", 1},
	    {"bad utf8 \xff\xfe here", "a@x.org", 0},
	    {"surrogate \xed\xa0\x80 here", "a@x.org", 0},
	    {"pässwörd ünïcödé", "a@x.org", 1},
	};
	char big[USER_PW_MAX + 2], name[USER_NAME_MAX + 2];
	size_t i;

	for (i = 0; i < sizeof(roles) / sizeof(*roles); i++)
		CHECK(user_role_parse(roles[i].in) == roles[i].want,
		    "user_role_parse(\"%s\") != %d", roles[i].in,
		    roles[i].want);
	for (i = 0; i < USER_ROLE__MAX; i++)
		CHECK(user_role_parse(user_role_names[i]) == (int)i,
		    "role name %zu", i);
	for (i = 0; i < sizeof(names) / sizeof(*names); i++)
		CHECK(user_name_valid(names[i].in) == names[i].want,
		    "user_name_valid(\"%s\") != %d", names[i].in,
		    names[i].want);
	memset(name, 'n', sizeof(name));
	name[USER_NAME_MAX] = '\0';
	CHECK(user_name_valid(name) == 0, "a name of 200 bytes is refused");
	name[USER_NAME_MAX] = 'n';
	name[USER_NAME_MAX + 1] = '\0';
	CHECK(user_name_valid(name) == -1, "a name of 201 bytes is taken");
	for (i = 0; i < sizeof(pws) / sizeof(*pws); i++)
		CHECK((user_password_weak(pws[i].pw, strlen(pws[i].pw),
			   pws[i].email) == NULL) == pws[i].ok,
		    "user_password_weak(\"%s\") should %s", pws[i].pw,
		    pws[i].ok ? "pass" : "fail");
	memset(big, 'p', sizeof(big));
	CHECK(user_password_weak(big, USER_PW_MAX, "a@x.org") == NULL,
	    "a password of 1024 bytes is refused");
	CHECK(user_password_weak(big, USER_PW_MAX + 1, "a@x.org") != NULL,
	    "a password of 1025 bytes is taken");
	CHECK(user_password_weak("twelve\0bytes", 12, "a@x.org") != NULL,
	    "a password with a NUL byte is taken");
}

/* The stored hash of email in the arena, or "". */
static const char *
test_user_hash(struct db *db, struct arena *a, const char *email)
{
	struct val *row = db_query_one(
	    db, a, "SELECT pw_hash FROM user WHERE email = ?", "t", email);

	return row ? page_str(row, "pw_hash") : "";
}

static void
test_user_db_ops(void)
{
	static const char pw[] = "correct horse battery";
	struct arena *a = arena_new();
	char path[UNIT_DB_PATH], err[256], weak[USER_HASH_LEN];
	const char *h1, *h2;
	struct db *db;
	long long rev;

	if ((db = unit_db_new(path)) == NULL) {
		CHECK(0, "cannot make a test database");
		arena_free(a);
		return;
	}
	CHECK(db_version(db) >= 3, "migration 3 missing");
	rev = db_int(db,
	    "SELECT CAST(value AS INTEGER) FROM meta WHERE key = "
	    "'rev'",
	    "");

	CHECK(user_add(db, "cli:test", "ann@x.org", "Ann", "admin", pw,
		  strlen(pw), err, sizeof(err)) == 0,
	    "add: %s", err);
	CHECK(user_add(db, "cli:test", "ANN@X.ORG", "Ann 2", "editor", pw,
		  strlen(pw), err, sizeof(err)) == -1 &&
		strstr(err, "exists") != NULL,
	    "a duplicate (other case) e-mail is added");
	CHECK(user_add(db, "cli:test", "bob@x.org", "Bob", "boss", pw,
		  strlen(pw), err, sizeof(err)) == -1,
	    "a bad role is taken");
	CHECK(user_add(db, "cli:test", "not-an-address", "Bob", "editor", pw,
		  strlen(pw), err, sizeof(err)) == -1,
	    "a bad address is taken");
	CHECK(user_add(db, "cli:test", "bob@x.org", "Bob", "editor", "short", 5,
		  err, sizeof(err)) == -1,
	    "a short password is taken");
	CHECK(db_int(db, "SELECT count(*) FROM user", "") == 1,
	    "refused adds wrote users");

	h1 = test_user_hash(db, a, "ann@x.org");
	CHECK(
	    strncmp(h1, "$argon2id$", 10) == 0, "hash is not argon2id: %s", h1);
	CHECK(strstr(h1, pw) == NULL, "the hash holds the password");

	CHECK(user_check_password(db, "ann@x.org", pw) == USER_AUTH_OK,
	    "the right password fails");
	CHECK(user_check_password(db, "Ann@X.org", pw) == USER_AUTH_OK,
	    "the address is not case-insensitive");
	CHECK(user_check_password(db, "ann@x.org", "correct horse batterY") ==
		USER_AUTH_FAIL,
	    "a wrong password passes");
	CHECK(user_check_password(db, "nobody@x.org", pw) == USER_AUTH_FAIL,
	    "an unknown user passes");
	CHECK(strcmp(test_user_hash(db, a, "ann@x.org"), h1) == 0,
	    "a hash with our parameters was rehashed");

	/* the rehash path: a hash made with weaker parameters */
	CHECK(crypto_pwhash_str(weak, pw, strlen(pw),
		  crypto_pwhash_OPSLIMIT_MIN, crypto_pwhash_MEMLIMIT_MIN) == 0,
	    "weak hash");
	db_exec(db, "UPDATE user SET pw_hash = ? WHERE email = ?", "tt", weak,
	    "ann@x.org");
	CHECK(user_check_password(db, "ann@x.org", "wrong password!!") ==
		    USER_AUTH_FAIL &&
		strcmp(test_user_hash(db, a, "ann@x.org"), weak) == 0,
	    "a wrong password rehashed (or passed)");
	CHECK(user_check_password(db, "ann@x.org", pw) == USER_AUTH_OK,
	    "the right password fails against a weak hash");
	h2 = test_user_hash(db, a, "ann@x.org");
	CHECK(strcmp(h2, weak) != 0, "the weak hash was not replaced");
	CHECK(crypto_pwhash_str_needs_rehash(h2,
		  crypto_pwhash_OPSLIMIT_INTERACTIVE,
		  crypto_pwhash_MEMLIMIT_INTERACTIVE) == 0,
	    "the new hash has other parameters: %s", h2);
	CHECK(user_check_password(db, "ann@x.org", pw) == USER_AUTH_OK,
	    "the right password fails after the rehash");
	CHECK(db_int(db,
		  "SELECT count(*) FROM audit WHERE action = "
		  "'user.rehash' AND subject = 'ann@x.org'",
		  "") == 1,
	    "no audit row for the rehash");

	/* passwd, the last admin, del */
	CHECK(user_passwd(db, "cli:test", "ann@x.org", "another long one", 16,
		  err, sizeof(err)) == 0,
	    "passwd: %s", err);
	CHECK(user_check_password(db, "ann@x.org", pw) == USER_AUTH_FAIL &&
		user_check_password(db, "ann@x.org", "another long one") ==
		    USER_AUTH_OK,
	    "passwd did not change the password");
	CHECK(user_passwd(db, "cli:test", "nobody@x.org", "another long one",
		  16, err, sizeof(err)) == -1,
	    "passwd of an unknown user");
	CHECK(user_passwd(db, "cli:test", "ann@x.org", "ann@x.org", 9, err,
		  sizeof(err)) == -1,
	    "passwd took a weak password");
	CHECK(user_del(db, "cli:test", "ann@x.org", err, sizeof(err)) == -1 &&
		strstr(err, "last admin") != NULL,
	    "the last admin was deleted");
	CHECK(user_add(db, "cli:test", "bea@x.org", "Bea", "admin", pw,
		  strlen(pw), err, sizeof(err)) == 0,
	    "add: %s", err);
	db_exec(
	    db, "UPDATE user SET disabled = 1 WHERE email = 'bea@x.org'", "");
	CHECK(user_check_password(db, "bea@x.org", pw) == USER_AUTH_FAIL,
	    "a disabled user passes");
	CHECK(user_del(db, "cli:test", "ann@x.org", err, sizeof(err)) == -1,
	    "the last enabled admin was deleted");
	db_exec(
	    db, "UPDATE user SET disabled = 0 WHERE email = 'bea@x.org'", "");
	CHECK(user_del(db, "cli:test", "ann@x.org", err, sizeof(err)) == 0,
	    "del: %s", err);
	CHECK(user_del(db, "cli:test", "ann@x.org", err, sizeof(err)) == -1,
	    "del of an unknown user");
	CHECK(db_int(db, "SELECT count(*) FROM user", "") == 1, "users left");

	CHECK(db_int(db,
		  "SELECT count(*) FROM audit WHERE actor = 'cli:test' "
		  "AND client = 'local'",
		  "") == 4,
	    "want 4 audit rows (add, passwd, add, del)");
	CHECK(db_int(db,
		  "SELECT count(*) FROM audit WHERE action = 'user.del'"
		  " AND subject = 'ann@x.org' AND detail = 'role admin'",
		  "") == 1,
	    "no audit row for the delete");
	CHECK(db_int(db,
		  "SELECT CAST(value AS INTEGER) FROM meta WHERE key = "
		  "'rev'",
		  "") == rev,
	    "account changes bumped meta.rev (they are not content)");
	unit_db_drop(db, path);
	arena_free(a);
}

void
test_user(void)
{
	if (sodium_init() < 0) {
		CHECK(0, "sodium_init");
		return;
	}
	test_user_tables();
	test_user_db_ops();
}
