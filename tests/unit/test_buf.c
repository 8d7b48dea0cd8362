/* test_buf.c: buf, arena, val, conf, email, ratelimit and date parsing. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "extern.h"
#include "unit.h"

static void
test_buf_cap(void)
{
	struct buf b;
	int i;

	buf_init(&b, 10);
	CHECK(buf_puts(&b, "0123456789") == 0, "10 bytes fit a cap of 10");
	CHECK(buf_putc(&b, 'x') == -1 && b.err, "the 11th byte is refused");
	CHECK(buf_puts(&b, "") == -1, "after an overflow every append fails");
	CHECK(b.len == 10 && strcmp(buf_cstr(&b), "0123456789") == 0,
	    "the data before the overflow stays");
	buf_reset(&b);
	CHECK(b.len == 0 && !b.err, "reset clears the error");
	CHECK(buf_printf(&b, "%d-%s", 42, "ab") == 0 &&
	        strcmp(buf_cstr(&b), "42-ab") == 0,
	    "printf appends");
	CHECK(buf_printf(&b, "%s", "too long for it") == -1,
	    "printf past the cap fails");
	buf_free(&b);
	buf_init(&b, 0);
	for (i = 0; i < 10000; i++)
		buf_puts(&b, "abcdefghij");
	CHECK(b.len == 100000 && !b.err, "grows to 100000 bytes");
	buf_free(&b);
}

static void
test_utf8(void)
{
	static const struct {
		const char *in;
		size_t n, want;
	} lens[] = {
	    {"a", 1, 1},
	    {"\xc3\xa9", 2, 2},          /* é */
	    {"\xe2\x80\x99", 3, 3},      /* ’ */
	    {"\xf0\x9f\x98\x80", 4, 4}, /* 😀 */
	    {"\xc0\xaf", 2, 0},          /* overlong '/' */
	    {"\xe0\x80\xaf", 3, 0},      /* overlong '/' */
	    {"\xed\xa0\x80", 3, 0},      /* a surrogate */
	    {"\xf4\x90\x80\x80", 4, 0}, /* past U+10FFFF */
	    {"\xe2\x80", 2, 0},          /* cut short */
	    {"\x80", 1, 0},               /* a lone continuation */
	    {"", 0, 0},
	};
	struct buf b;
	size_t i;

	for (i = 0; i < sizeof(lens) / sizeof(*lens); i++)
		CHECK(buf_utf8_len((const unsigned char *)lens[i].in, lens[i].n) ==
		        lens[i].want,
		    "utf8 length of case %zu", i);
	buf_init(&b, 0);
	CHECK(buf_utf8(&b, 0x41) == 0 && buf_utf8(&b, 0xe9) == 0 &&
	        buf_utf8(&b, 0x2019) == 0 && buf_utf8(&b, 0x1f600) == 0 &&
	        strcmp(buf_cstr(&b), "A\xc3\xa9\xe2\x80\x99\xf0\x9f\x98\x80") == 0,
	    "code points encode");
	CHECK(buf_utf8(&b, 0xd800) == -1 && buf_utf8(&b, 0x110000) == -1 &&
	        b.len == 10,
	    "surrogates and values past U+10FFFF write nothing");
	buf_free(&b);
}

static void
test_arena_val(void)
{
	struct arena *a = arena_new();
	struct val *o = val_obj(a), *l = val_list(a);
	char *p;
	int i;

	for (i = 0; i < 100; i++)
		val_push(a, l, val_num(a, i));
	val_set(a, o, "list", l);
	val_set_str(a, o, "s", "hello");
	val_set_str(a, o, "s", "again");
	val_set_int(a, o, "n", 7);
	CHECK(l->u.list.n == 100 && l->u.list.items[99]->u.n == 99,
	    "a list keeps 100 items in order");
	CHECK(strcmp(val_get(o, "s")->u.str.s, "again") == 0 && o->u.obj.n == 3,
	    "setting a key twice replaces it");
	CHECK(val_get(o, "missing") == NULL, "a missing key is NULL");
	CHECK(!val_truthy(val_str(a, "")) && !val_truthy(val_list(a)) &&
	        !val_truthy(val_bool(a, 0)) && !val_truthy(NULL) &&
	        val_truthy(val_num(a, 0)) && val_truthy(l),
	    "truthiness follows mustache");
	p = arena_alloc(a, 1 << 20);
	p[(1 << 20) - 1] = 'x';
	CHECK(p[0] == 0, "big arena blocks are zeroed");
	CHECK(strcmp(arena_printf(a, "%s/%d", "x", 5), "x/5") == 0,
	    "arena_printf");
	arena_free(a);
	arena_free(NULL);
}

static void
test_conf(void)
{
	struct conf c;
	char err[256], path[] = "/tmp/herald-conf-XXXXXX";
	FILE *f;
	int fd;

	conf_defaults(&c);
	CHECK(strcmp(c.listen, "127.0.0.1:8080") == 0, "default listen");
	CHECK(conf_set(&c, "threads", "4", err, sizeof(err)) == 0 &&
	        c.threads == 4,
	    "threads");
	CHECK(conf_set(&c, "threads", "-1", err, sizeof(err)) == -1,
	    "negative threads refused");
	CHECK(conf_set(&c, "threads", "4x", err, sizeof(err)) == -1,
	    "junk after a number refused");
	CHECK(conf_set(&c, "nope", "1", err, sizeof(err)) == -1 &&
	        strstr(err, "nope") != NULL,
	    "unknown key named in the error");
	CHECK(conf_set(&c, "base_url", "ftp://x", err, sizeof(err)) == -1,
	    "base_url needs http(s)");
	CHECK(conf_set(&c, "base_url", "https://example.org/", err,
	          sizeof(err)) == 0 &&
	        strcmp(c.base_url, "https://example.org") == 0,
	    "base_url loses its trailing slash");
	fd = mkstemp(path);
	f = fdopen(fd, "w");
	fputs("# comment\n\ndb = /tmp/x.db\n  listen=127.0.0.1:9\nbogus\n", f);
	fclose(f);
	conf_defaults(&c);
	CHECK(conf_read(&c, path, err, sizeof(err)) == -1 &&
	        strstr(err, ":5:") != NULL,
	    "a bad line is reported with its number: %s", err);
	CHECK(strcmp(c.db, "/tmp/x.db") == 0 &&
	        strcmp(c.listen, "127.0.0.1:9") == 0,
	    "keys before the bad line were read");
	unlink(path);
	CHECK(conf_read(&c, "/nonexistent/herald.conf", err, sizeof(err)) == -1,
	    "a missing file fails");
}

static void
test_email(void)
{
	static const struct {
		const char *in;
		int ok;
	} addrs[] = {
	    {"jasmin.qureshi@example.org", 1},
	    {"a@b.co", 1},
	    {"no-at.example.org", 0},
	    {"two@@example.org", 0},
	    {"sp ace@example.org", 0},
	    {"x@example", 0},
	    {"x@.example.org", 0},
	    {"x@example..org", 0},
	    {"x@example.org\r\nBcc: y@example.org", 0},
	    {"<x@example.org>", 0},
	    {"", 0},
	};
	unsigned char key[EMAIL_KEY_LEN], key2[EMAIL_KEY_LEN];
	char t1[EMAIL_TOKEN_LEN + 1], t2[EMAIL_TOKEN_LEN + 1], hex[65];
	char long_addr[400];
	size_t i;

	for (i = 0; i < sizeof(addrs) / sizeof(*addrs); i++)
		CHECK((email_valid(addrs[i].in) == 0) == addrs[i].ok,
		    "email_valid(%s)", addrs[i].in);
	memset(long_addr, 'a', sizeof(long_addr));
	memcpy(long_addr + 300, "@example.org", 13);
	CHECK(email_valid(long_addr) == -1, "a 312-byte address is refused");
	email_key_new(key);
	email_token(key, "Jane@Example.org", t1);
	email_token(key, "jane@example.org", t2);
	CHECK(strcmp(t1, t2) == 0 && strlen(t1) == EMAIL_TOKEN_LEN,
	    "tokens ignore case and are stable");
	CHECK(strstr(t1, "jane") == NULL, "the token does not hold the address");
	email_key_hex(key, hex);
	CHECK(email_key_parse(hex, key2) == 0 && memcmp(key, key2, 32) == 0,
	    "the key survives hex");
	CHECK(email_key_parse("abc", key2) == -1, "a short key is refused");
	email_key_new(key2);
	email_token(key2, "jane@example.org", t2);
	CHECK(strcmp(t1, t2) != 0, "another site key, another token");
}

static void
test_ratelimit(void)
{
	struct ratelimit *r = ratelimit_new(3, 60);
	unsigned char a[16] = {0};
	int i, allowed = 0;

	a[15] = 1;
	for (i = 0; i < 5; i++)
		allowed += ratelimit_hit(r, a, 1000) == 0;
	CHECK(allowed == 3, "3 of 5 hits allowed, got %d", allowed);
	CHECK(ratelimit_hit(r, a, 1010) == 50, "wait is the rest of the window");
	CHECK(ratelimit_hit(r, a, 1060) == 0, "a new window allows again");

	ratelimit_free(r);
	ratelimit_free(NULL);
}

static void
test_dates(void)
{
	static const struct {
		const char *in;
		int ok, off, has_time;
		long long utc; /* timegm(tm) - off * 60 */
	} cases[] = {
	    {"2014-12-10", 1, 0, 0, 1418169600},
	    {"2014-12-10T09:00:00+07:00", 1, 420, 1, 1418176800},
	    {"2014-12-10T09:00+0700", 1, 420, 1, 1418176800},
	    {"2014-12-10T02:00:00Z", 1, 0, 1, 1418176800},
	    {"2014-12-10T02:00:00.123Z", 1, 0, 1, 1418176800},
	    {"2014-11-16T10:00:00-05:30", 1, -330, 1, 1416151800},
	    {"2014-13-10", 0, 0, 0, 0},
	    {"2014-12-10T25:00", 0, 0, 0, 0},
	    {"2014-12-10 junk", 0, 0, 0, 0},
	    {"10 December 2014", 0, 0, 0, 0},
	    {"2014-12-10T09:00:00+15:00", 0, 0, 0, 0},
	    {"", 0, 0, 0, 0},
	};
	struct tm tm;
	int off, ht, ho, rc;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		rc = load_parse_date(cases[i].in, &tm, &off, &ht, &ho);
		CHECK((rc == 0) == cases[i].ok, "parse %s", cases[i].in);
		if (rc == 0 && cases[i].ok)
			CHECK(off == cases[i].off && ht == cases[i].has_time &&
			        (long long)timegm(&tm) - off * 60 ==
			            cases[i].utc,
			    "%s: off %d time %d utc %lld", cases[i].in, off, ht,
			    (long long)timegm(&tm) - off * 60);
	}
}

void
test_buf(void)
{
	test_buf_cap();
	test_utf8();
	test_arena_val();
	test_conf();
	test_email();
	test_ratelimit();
	test_dates();
}
