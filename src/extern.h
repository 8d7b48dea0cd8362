/* extern.h: every cross-file type and prototype of herald, grouped by file. */
#ifndef HERALD_EXTERN_H
#define HERALD_EXTERN_H

#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#define HERALD_VERSION "0.1.0"

/* ---- gz.c: gzip of a whole body ------------------------------------------ */

/* A malloc'd gzip member of data (libdeflate's level 6; no name, time 0:
 * the same bytes every time), its size in *outlen; NULL on failure. */
char *gz_compress(const char *data, size_t len, size_t *outlen);

/* ---- br.c: brotli of a whole body -------------------------------------- */

/* Bodies past this stay in gzip. */
#define BR_MAX_BODY ((size_t)2 << 20)
/* A malloc'd brotli stream of data (quality 11 up to 64 KB: slow, so
 * never on a request's path; 5 past that), its size in *outlen; NULL on
 * failure or for more than BR_MAX_BODY bytes. The same input gives the
 * same bytes every time. */
char *br_compress(const char *data, size_t len, size_t *outlen);

/* ---- buf.c: growable byte buffers with a hard cap ---------------------- */

/*
 * A buffer grows up to max bytes; an append past the cap or a failed
 * allocation sets err and every later append is a no-op returning -1, so a
 * caller may append many times and check err once.  data is always
 * NUL-terminated when len > 0 or after buf_cstr().
 */
struct buf {
	char *data;
	size_t len;
	size_t cap;
	size_t max;
	int err;
};

#define BUF_MAX_DEFAULT ((size_t)64 << 20)

void buf_init(struct buf *, size_t max);
int buf_append(struct buf *, const void *, size_t);
int buf_puts(struct buf *, const char *);
int buf_putc(struct buf *, int);
int buf_printf(struct buf *, const char *, ...)
    __attribute__((format(printf, 2, 3)));
int buf_vprintf(struct buf *, const char *, va_list);
/* Appends code point cp as UTF-8; -1 (nothing written) for a surrogate or
 * a value past U+10FFFF. */
int buf_utf8(struct buf *, unsigned long cp);
/* The length (1 to 4) of the valid UTF-8 sequence at s, n bytes left, or 0
 * when it is malformed (overlong, surrogate, past U+10FFFF, cut short). */
size_t buf_utf8_len(const unsigned char *s, size_t n);
/* The first place needle (m bytes) stands in hay (n bytes), or NULL. */
const char *buf_find(const char *hay, size_t n, const char *needle,
    size_t m);
/* FNV-1a of the string s: the hash of the page cache, the export's paths
 * and JSON objects' keys. */
uint32_t buf_hash(const char *s);
/* The same of n bytes. */
uint32_t buf_hash_n(const char *s, size_t n);
const char *buf_cstr(struct buf *);
void buf_reset(struct buf *);
/* Gives the data to the caller (who frees it with free()); buf is empty. */
char *buf_detach(struct buf *, size_t *lenp);
void buf_free(struct buf *);

/* ---- arena.c: per-request memory, freed all at once --------------------- */

struct arena;

struct arena *arena_new(void);
void arena_free(struct arena *);
/* Zeroed memory that lives until arena_free(); never returns NULL (aborts
 * on exhaustion, as a request cannot continue without memory). */
void *arena_alloc(struct arena *, size_t);
char *arena_strdup(struct arena *, const char *);
char *arena_strndup(struct arena *, const char *, size_t);
char *arena_printf(struct arena *, const char *, ...)
    __attribute__((format(printf, 2, 3)));

/* ---- val.c: the tree of values a template renders (also JSON data) ------ */

enum val_type {
	VAL_NULL,
	VAL_BOOL,
	VAL_NUM,
	VAL_STR,
	VAL_HTML, /* a string of trusted, already escaped HTML */
	VAL_LIST,
	VAL_OBJ,
	VAL__MAX
};

struct val;

struct val_kv {
	const char *key;
	struct val *v;
};

struct val {
	enum val_type type;
	union {
		int b;
		double n;
		struct {
			const char *s;
			size_t len;
		} str; /* VAL_STR and VAL_HTML */
		struct {
			struct val **items;
			size_t n, cap;
		} list;
		struct {
			struct val_kv *kv;
			size_t n, cap;
		} obj;
	} u;
};

extern const char *const val_type_names[VAL__MAX];

/* Every value lives in the arena it was made in. Strings are copied. */
struct val *val_null(struct arena *);
struct val *val_bool(struct arena *, int);
struct val *val_num(struct arena *, double);
struct val *val_str(struct arena *, const char *);
struct val *val_strn(struct arena *, const char *, size_t);
struct val *val_html(struct arena *, const char *, size_t);
struct val *val_list(struct arena *);
struct val *val_obj(struct arena *);
void val_push(struct arena *, struct val *list, struct val *item);
/* Sets key (copied) on an object; replaces an existing key. */
void val_set(struct arena *, struct val *obj, const char *key, struct val *);
void val_set_str(struct arena *, struct val *obj, const char *key,
    const char *);
void val_set_int(struct arena *, struct val *obj, const char *key, long long);
void val_set_bool(struct arena *, struct val *obj, const char *key, int);
/* The value of key in obj, or NULL when obj is no object or has no key. */
struct val *val_get(const struct val *obj, const char *key);
/* Mustache truthiness: false for null, false, "", empty list. */
int val_truthy(const struct val *);

/* ---- json.c: JSON text to and from val trees ---------------------------- */

/* Parses a whole JSON text into a tree in the arena. Returns NULL and writes
 * a one-line message ("line 1, column 5: ...") into err on malformed input
 * or nesting over 64; invalid UTF-8, lone surrogates and NUL in a key count
 * as malformed. A repeated key keeps its first place and its last value. */
struct val *json_parse(struct arena *, const char *, size_t, char *err,
    size_t errlen);
/* Appends v as compact JSON text that is safe inside HTML (< > & ' as \u
 * escapes); VAL_HTML is a string, invalid UTF-8 becomes U+FFFD, NaN and
 * infinities null. A tree over 256 levels deep (a cycle) sets b->err. */
void json_write(struct buf *, const struct val *);

/* ---- html.c: escaping, one helper per output context -------------------- */

/* Text between tags: & < > " ' escaped. */
void html_text(struct buf *, const char *, size_t);
/* A quoted attribute value: as text, plus ` = and control characters. */
void html_attr(struct buf *, const char *, size_t);
/* A URL attribute value: allowed only for relative URLs and the http,
 * https and mailto schemes, otherwise "#"; then attribute-escaped. */
void html_url(struct buf *, const char *, size_t);
/* 1 when the URL is relative or uses http, https or mailto. */
int html_url_ok(const char *, size_t);
/* Percent-encodes everything but unreserved characters (for query values). */
void html_pct(struct buf *, const char *, size_t);
/* Writes a lowercase ASCII slug of s (letters, digits, single dashes). */
void html_slug(struct buf *, const char *, size_t);

/* ---- tmpl.c: mustache-compatible templates ------------------------------ */

/*
 * A set holds named templates parsed once; partials and parents are looked up
 * by name in the same set when rendering.  Interpolation escapes by where the
 * tag sits in the HTML: text, attribute value, or URL attribute value (href,
 * src, action, ...), whose values with other schemes than http, https and
 * mailto become "#".  In <script>, <style>, comments and on* attributes
 * nothing is written with TMPL_STRICT.  A set may render in many threads at
 * once; adding to it may not overlap with renders.
 */
struct tmpl_set;

enum tmpl_flags {
	/* Triple mustache and {{& x}} output raw only VAL_HTML values and
	 * escape plain strings: our themes run with this. */
	TMPL_STRICT = 1 << 0,
};

struct tmpl_set *tmpl_set_new(void);
void tmpl_set_free(struct tmpl_set *);
/* Parses src under name (replacing one of that name). Returns 0, or -1 with
 * a message "name:line: reason" in err. */
int tmpl_set_add(struct tmpl_set *, const char *name, const char *src,
    size_t len, char *err, size_t errlen);
int tmpl_set_has(const struct tmpl_set *, const char *name);
/* Renders template name with ctx into out. Returns 0, or -1 (out as it
 * was) when the template is missing, nesting passes 64 levels, the render
 * visits over 4M nodes (nested loops) or out overflows. */
int tmpl_render(const struct tmpl_set *, const char *name,
    const struct val *ctx, unsigned flags, struct buf *out);

/* ---- md.c: Markdown to safe HTML ---------------------------------------- */

/*
 * The renderer never passes raw HTML through, allows link and image URLs
 * only with http, https, mailto or no scheme, turns #hashtags into links to
 * hashtag_base + lowercase tag, and never writes an e-mail address: each one
 * (mailto link, autolink or bare address in text) becomes a reveal button
 * whose token comes from email_token().
 */
struct md_opts {
	const char *hashtag_base; /* "/tags/"; NULL: hashtags stay text */
	/* Writes the token for addr (NUL-terminated, lowercase) into tok, at
	 * most toklen bytes with NUL; returns 0 or -1 (address then dropped). */
	int (*email_token)(void *arg, const char *addr, char *tok,
	    size_t toklen);
	void *email_arg;
	/* Called for each address found, e.g. to register it; may be NULL. */
	void (*email_seen)(void *arg, const char *addr);
	/* For an image with a local src ("/media/12"), called with
	 * email_arg: may append to attrs the attributes that stand for src
	 * (' src="..." srcset="..." sizes="..." width="W" height="H"',
	 * escaped) and to alt the text used when the Markdown gives none;
	 * returns 1 when it did, 0 to keep src as written. May be NULL. */
	int (*image)(void *arg, const char *src, size_t len, struct buf *attrs,
	    struct buf *alt);
	const char *url_base; /* "https://example.org": links and images
				 to a path ("/about") become absolute (a
				 mail); md_to_text_opts then also writes a
				 link's URL after its text */
	int no_images;	      /* an image becomes a link to it (a mail
				 fetches nothing) */
	int inline_only; /* drop the <p> around a single paragraph */
	int heading_shift; /* added to heading levels (1: # becomes h2) */
	int heading_min;   /* no heading above this level (2: the page's
			      title stays its only h1); 0 for none */
	size_t text_max;   /* md_to_text_opts: stop at the first block
			      after this many bytes of text (0: read it
			      all); an address cut there may be kept */
};

/* Appends the HTML of Markdown src to out. Returns 0, or -1 on a parser
 * failure or when out overflows. */
int md_to_html(const char *src, size_t len, const struct md_opts *,
    struct buf *out);
/* Calls seen(arg, addr) for every e-mail address in plain text s. */
void md_find_emails(const char *s, size_t len,
    void (*seen)(void *, const char *), void *arg);
/* Appends plain text of Markdown src (no markup), e.g. for descriptions. */
int md_to_text(const char *src, size_t len, struct buf *out);
/* The same with options (url_base: "text (URL)" for links). */
int md_to_text_opts(const char *src, size_t len, const struct md_opts *,
    struct buf *out);

/* ---- db.c: the SQLite store (the only file that includes sqlite3.h) ----- */

struct db;

enum db_flags {
	DB_READONLY = 1 << 0,
	DB_CREATE = 1 << 1,
};

/* Opens (WAL, foreign keys on); NULL with a message on stderr. */
struct db *db_open(const char *path, int flags);
void db_close(struct db *);
/* The schema version (PRAGMA user_version): 0 for a file herald never
 * set up, -1 on error. */
int db_version(struct db *);
/* Brings the schema to the newest version in one transaction. */
int db_migrate(struct db *);
/*
 * Queries take a static SQL string (statements are cached by its address)
 * and a format naming the bound parameters: i = long long, t = const char *
 * (NULL binds NULL), d = double, b = const void *, size_t (blob).
 */
/* Every row as an object of column name to value, in *out (arena). */
int db_query(struct db *, struct arena *, struct val **out, const char *sql,
    const char *fmt, ...);
/* The first row, or NULL when there is none or on error. */
struct val *db_query_one(struct db *, struct arena *, const char *sql,
    const char *fmt, ...);
/* Runs a write; returns the last insert rowid (>= 0) or -1. */
long long db_exec(struct db *, const char *sql, const char *fmt, ...);
/* The first column of the first row as an integer; -1 when none. */
long long db_int(struct db *, const char *sql, const char *fmt, ...);
/* The first two integer columns of every row, flattened into a malloc'd
 * array of 2 * *n numbers in *out (NULL when there are no rows). */
int db_pairs(struct db *, long long **out, size_t *n, const char *sql,
    const char *fmt, ...);
/* A read transaction: every query until db_read_end sees one snapshot,
 * and the file is locked and checked once rather than at each query. */
int db_read_begin(struct db *);
void db_read_end(struct db *);
/* A write transaction (BEGIN IMMEDIATE). Items changed inside it are
 * indexed for search once, at db_commit. */
int db_begin(struct db *);
int db_commit(struct db *);
void db_rollback(struct db *);
const char *db_path(const struct db *);

/* ---- email.c: e-mail protection ----------------------------------------- */

#define EMAIL_KEY_LEN 32
#define EMAIL_TOKEN_LEN 32 /* hex characters */
#define EMAIL_MAX 254

void email_key_new(unsigned char key[EMAIL_KEY_LEN]);
void email_key_wipe(unsigned char key[EMAIL_KEY_LEN]);
void email_key_hex(const unsigned char key[EMAIL_KEY_LEN],
    char hex[EMAIL_KEY_LEN * 2 + 1]);
int email_key_parse(const char *hex, unsigned char key[EMAIL_KEY_LEN]);
/* The token that stands for addr in pages (keyed hash, lowercase hex). */
void email_token(const unsigned char key[EMAIL_KEY_LEN], const char *addr,
    char tok[EMAIL_TOKEN_LEN + 1]);
/* 0 when s is a plausible address (one @, no spaces or specials). */
int email_valid(const char *s);

/* ---- ratelimit.c: hits per client address over a window ----------------- */

struct ratelimit;

struct ratelimit *ratelimit_new(unsigned limit, unsigned window_seconds);
void ratelimit_free(struct ratelimit *);
/* 0 when allowed, else the seconds to wait. addr is IPv6 (IPv4 mapped). */
unsigned ratelimit_hit(struct ratelimit *, const unsigned char addr[16],
    time_t now);

/* ---- load.c: content files (Markdown with front matter) into the store -- */

struct load_file {
	const char *path; /* relative to the content root: "news/x.md" */
	const char *data;
	size_t len;
};

/* Loads the tree in one transaction; on error nothing is written and err
 * holds "path: reason". */
int load_files(struct db *, const struct load_file *, size_t, char *err,
    size_t errlen);
int load_dir(struct db *, const char *dir, char *err, size_t errlen);
int load_embedded(struct db *, char *err, size_t errlen);
/* Saves an item of kind from front matter meta (title, slug, date,
 * status, summary, lang, tags, regions; start, end, timezone, venue,
 * city, country for events) and body, with the same checks as a content
 * file: a new item when *idp is 0 (its id then in *idp), else item *idp.
 * Runs inside the caller's transaction. Returns 0, or -1 with a reason in
 * err. */
int load_item_save(struct db *, const unsigned char key[EMAIL_KEY_LEN],
    const char *kind, const struct val *meta, const char *body,
    long long *idp, char *err, size_t errlen);
/* Registers every e-mail address in Markdown md (as the renderer finds
 * them, and in plain text) for the public reveal, with the site key;
 * 0 or -1. */
int load_emails(struct db *, const unsigned char key[EMAIL_KEY_LEN],
    const char *md);
/* 1 when s is a slug content files and imports may have: lowercase
 * ASCII letters, digits, dashes and underscores, not starting with a
 * dash, 1 to 200 bytes. */
int load_slug_ok(const char *s);
/* ISO 8601 date or date-time; see load.c. */
int load_parse_date(const char *, struct tm *, int *off, int *has_time,
    int *has_off);

/* ---- conf.c: the serve settings, from a config file and the command line */

struct conf {
	char db[4096];
	char listen[256];	/* "127.0.0.1:8080", "[::1]:8080", ":8080" */
	char base_url[1024];	/* "https://example.org" (no trailing slash) */
	char access_log[4096];	/* file, "-" for stderr, "" for none */
	char theme[4096];	/* a theme folder; "" for the built-in one */
	unsigned threads;	/* 0: one per core */
	unsigned conn_limit;	/* connections in all */
	unsigned per_ip_limit;	/* connections per client address */
	unsigned timeout;	/* seconds a connection may idle */
	unsigned reveal_limit;	/* e-mail reveals per client per window */
	unsigned reveal_window; /* seconds */
	size_t cache_max;	/* bytes of rendered pages kept */
	int dev_http;		/* cookies without Secure and __Host- (plain
				   http on a loopback address only) */
	unsigned session_idle;	/* seconds a session may idle */
	unsigned session_max;	/* seconds a session lives at most */
	unsigned login_limit;	/* sign-in attempts per client per window */
	unsigned login_account_limit; /* per account per window */
	unsigned login_window;	/* seconds */
	unsigned hash_limit;	/* password hashings at once */
	char smtp[1024];	/* "smtp://host:587", "smtps://host"; "": none */
	char smtp_user[256];
	char smtp_password[256];
	char mail_from[256];	/* the newsletter's From address */
	unsigned mail_rate;	/* mails a second at most */
	unsigned subscribe_limit; /* subscriptions per client per hour */
};

void conf_defaults(struct conf *);
/* Reads "key = value" lines ('#' comments). Returns 0, or -1 with
 * "file:line: reason" in err. */
int conf_read(struct conf *, const char *path, char *err, size_t errlen);
/* Sets one key; returns 0, or -1 with the reason in err. */
int conf_set(struct conf *, const char *key, const char *value, char *err,
    size_t errlen);

/* ---- site.c: what every request of a running server shares -------------- */

struct site {
	struct conf conf;
	struct tmpl_set *theme;
	unsigned char key[EMAIL_KEY_LEN];
	struct ratelimit *reveal;
	struct ratelimit *login_client;	 /* sign-in attempts per client */
	struct ratelimit *login_account; /* per account (hashed address) */
	struct ratelimit *subscribe;	 /* subscriptions per client */
	struct tmpl_set *admin;		 /* the admin's templates */
	char admin_css_path[128];
	char css_path[128];	/* "/static/style.HASH.css" */
	char icon_path[128];	/* "/static/icon.HASH.svg" */
	struct asset *assets;	/* the theme's static files */
	size_t nassets;
	char name[512];		/* the site name, for error pages */
	time_t started;
	struct list_cache *lists; /* listings' orders (page_list.c) */
};

struct asset {
	char path[128];	/* the URL path, fingerprinted */
	const char *ctype;
	const char *data;
	size_t len;
	int gzip_ok;
};

/* Loads theme, assets and key for a server on conf. Returns 0 or -1
 * (message on stderr). */
int site_open(struct site *, const struct conf *);
void site_close(struct site *);
const struct asset *site_asset(const struct site *, const char *path);

/* ---- files.c: uploads as files beside the database, for sendfile ------- */

/*
 * A folder DB.files beside the database holds a copy of each upload
 * served (image sizes, publication PDFs), written on its first request
 * as DB.files/STEM/HASH (STEM: "p12.pdf", "m7-480.webp"):
 * the server answers with the file, which libmicrohttpd sends with
 * sendfile(2). The blobs stay the truth; the folder may be deleted at
 * any time (it is made again), and a backup needs only the database.
 */
#define FILES_HEX 64 /* hex digits of the BLAKE2b-256 that names a file */

struct files;

/* The files of the database at db_path (nothing is made until the first
 * write); NULL when out of memory or the path is too long. */
struct files *files_new(const char *db_path);
void files_free(struct files *);
const char *files_dir(const struct files *);
/* A read-only descriptor of the file holding image id's size (width,
 * format "webp", "jpeg" or "png") or publication id's PDF, whose bytes
 * are data: opened, or first written (through a temporary name and a
 * rename) when missing. hex gets the hash of data. -1 when the folder
 * cannot be used (said once on stderr): the caller answers from memory.
 * The caller closes the descriptor. Thread-safe. */
int files_media(struct files *, long long id, long long width,
    const char *format, const void *data, size_t len, char hex[FILES_HEX + 1]);
int files_pub(struct files *, long long id, const void *data, size_t len,
    char hex[FILES_HEX + 1]);
/* Removes the files of uploads that are gone (a deleted image, a removed
 * PDF) and of contents they no longer have (a replaced PDF), and
 * temporary files left over an hour; call before serving, when no
 * request can be about to open one. Returns how many files went. */
int files_sweep(struct files *, struct db *, time_t now);
/* Removes the older contents of the uploads a request wrote a new one of
 * (a replaced PDF), once a few seconds have passed since the last such
 * write: call every now and then while serving. Files written since a
 * second before the database is read stay (a request reading a newer
 * snapshot may just have written one): they get another look later.
 * Returns how many files went. */
int files_sweep_marked(struct files *, struct db *, time_t now);

/* ---- http.c: libmicrohttpd glue, response cache, access log ------------- */

/* Serves until SIGTERM or SIGINT; returns the exit code. */
int http_serve(struct site *);
/* The read connection of the calling worker thread (opened on first use). */
struct db *http_db(struct site *);
/* The calling worker thread's read-write connection (the admin's). */
struct db *http_db_rw(struct site *);
/* Reads a Range header h for a body of size bytes: 1 with the first and
 * last byte in *from and *to for one satisfiable "bytes=A-B", "bytes=A-"
 * or "bytes=-N"; -1 when it cannot be satisfied (416); 0 when it is to be
 * ignored and the whole body sent (none, malformed, several ranges). */
int http_range(const char *h, uint64_t size, uint64_t *from, uint64_t *to);

/* What an Accept-Encoding header allows, by its q-values: HTTP_ENC_GZIP,
 * HTTP_ENC_BR, and HTTP_ENC_BR_FIRST when brotli is wanted at least as
 * much as gzip. 0 (identity) for NULL. */
#define HTTP_ENC_GZIP 1
#define HTTP_ENC_BR 2
#define HTTP_ENC_BR_FIRST 4
int http_accept_encoding(const char *ae);

/* ---- page.c and page_*.c: the public pages ------------------------------ */

struct req {
	struct arena *a;
	struct site *site;
	struct db *db;
	const char *method;	/* "GET", "HEAD", "POST" */
	const char *path;	/* decoded, starts with '/' */
	const char *body;	/* POST form body, NUL-terminated */
	size_t bodylen;
	unsigned char addr[16]; /* client, IPv4 mapped into IPv6 */
	time_t now;
	/* the answer */
	int status;
	const char *ctype;
	struct buf out;
	int cache;		/* 1: keep the rendered page until content changes */
	time_t expires;		/* when cache: also drop it at this time (0: never) */
	time_t lastmod;
	unsigned retry_after;
	const char *allow;	/* for 405 */
	const char *cache_control; /* NULL: the default for the status */
	const struct asset *asset; /* answer with this static file */
	int uses_query;		/* set by req_arg: never cache this answer */
	void *conn;		/* http.c's connection, for req_arg */
	const char *cookies[4];	/* Set-Cookie values */
	size_t ncookies;
	const char *location;	/* for redirects */
	const char *disposition; /* Content-Disposition */
	int exporting;		/* rendered for a static export (export.c) */
	/* An upload's answer may be a file (files.c) instead of out, when
	 * the caller set files (http.c does): the page sets has_fd, fd
	 * (the caller closes it) and fd_len. */
	struct files *files;
	int has_fd;
	int fd;
	size_t fd_len;
	const char *hash; /* hex hash of the body when the page knows it
			     (the ETag without hashing again), or NULL */
	int upload;	  /* an upload: Range requests are honoured, and
			     no item's change touches it */
	/* What the answer shows, so a change redoes only what it touches
	 * (the page cache, herald export --incremental): dep_item is the
	 * one item a page is about (its page, its .ics); a listing page
	 * names its listing and the ids it shows of how many. Anything
	 * else is taken to show every item. */
	long long dep_item;
	const char *list_key;	/* "kind:news", "tag:7", "region:2" */
	const char *list_ids;	/* "[12,9,4]" */
	long long list_total;
};

/* The decoded value of query argument key ("?q=..."), or NULL. Reading one
 * makes the answer uncacheable: the cache is keyed by path alone. */
const char *req_arg(struct req *, const char *key);
/* The value of request header name, or NULL. */
const char *req_header(struct req *, const char *name);

/* Routes the request and fills the answer; a status >= 400 without a body
 * gets the error page. Returns the status. */
int page_dispatch(struct req *);
/* Renders the error page for req->status into req->out. */
void page_error(struct req *);

/* ---- search.c: full-text search (issue 3) ------------------------------ */

/* GET /search?q=&kind=&region=&tag=&year=&page= */
int page_search(struct req *);

#define SEARCH_TERMS_MAX 32
#define SEARCH_QUERY_MAX 512 /* bytes of q after trimming */

/* Appends to out the FTS5 query for the user's text q (n bytes, valid
 * UTF-8) in language lang: each word a quoted string carrying the
 * language marker (see stem.c), a '*' right after a word makes it a
 * prefix, the words ANDed; all other syntax is dropped. Returns the number
 * of words, or -1 when there are more than SEARCH_TERMS_MAX. */
int search_query(const char *q, size_t n, const char *lang, struct buf *out);

/* ---- stem.c: words and their Snowball stems (libstemmer) ---------------- */

/*
 * Text given to the search index starts with a language marker: STEM_MARK,
 * a language code ("en", "pt-BR"), STEM_MARK; the tokenizer (db.c) stems
 * the words after it in that language (English when there is no marker).
 * A stemmer may be used by one thread at a time: one per tokenizer.
 */
#define STEM_MARK '\x01'
#define STEM_WORD_MAX 128 /* bytes of a word kept; the rest is cut */

struct stem;

/* Snowball's name for language code lang ("english" for unknown codes). */
const char *stem_algorithm(const char *lang);
/* A stemmer for lang (unknown: English); NULL when out of memory. */
struct stem *stem_new(const char *lang);
void stem_free(struct stem *);
/* The code the stemmer was made with (may be ""). */
const char *stem_lang(const struct stem *);
/* The stem of lowercase word w (n bytes) and its length in *outlen; valid
 * until the next call on this stemmer. */
const char *stem_word(struct stem *, const char *w, size_t n,
    size_t *outlen);
/* Finds the next word of text (n bytes) from *pos: letters and digits
 * (every multibyte character but punctuation counts as a letter),
 * apostrophes between letters joined. Writes its lowercase form without
 * apostrophes to out (at most cap bytes, whole characters), its bytes in
 * text to *start and *end, moves *pos past it; returns the length written,
 * or 0 when there is no word left. */
size_t stem_next(const char *text, size_t n, size_t *pos, size_t *start,
    size_t *end, char *out, size_t cap);

/* ---- feed.c: Atom and JSON Feed (issue 3) ------------------------------- */

/* /feed.atom, /feed.json, /KIND/feed.atom, /tags/SLUG/feed.atom,
 * /regions/SLUG/feed.atom; sets r->status (404 for other paths). */
int feed_answer(struct req *, const char *path);
/* Appends t (Unix time) as RFC 3339 in the zone off minutes east of UTC:
 * "2014-12-10T09:00:00+07:00", or "...Z" when off is 0. */
void feed_rfc3339(struct buf *, long long t, long long off);
/* XML text and attribute values: & < > " ' escaped; characters XML 1.0
 * forbids (controls but tab, LF, CR; U+FFFE, U+FFFF) dropped, malformed
 * UTF-8 replaced by U+FFFD. */
void feed_xml_text(struct buf *, const char *, size_t);

/* ---- ical.c: iCalendar (issue 3) --------------------------------------- */

/* /events.ics and /events/SLUG.ics */
int ical_answer(struct req *, const char *path);
/* Appends s as an RFC 5545 TEXT value: \\ \; \, escaped, a line break
 * as \n, other control characters dropped. */
void ical_text(struct buf *, const char *, size_t);
/* Appends one content line folded at 75 octets (never inside a UTF-8
 * character), each physical line ended by CRLF. */
void ical_fold(struct buf *, const char *, size_t);

/* ---- sitemap.c: sitemap and robots.txt (issue 3) ------------------------ */

/* /sitemap.xml (an index past 50,000 URLs: /sitemap-N.xml), /robots.txt */
int sitemap_answer(struct req *, const char *path);
#define SITEMAP_MAX 50000 /* URLs in one sitemap file */
/* Where part (1-based) of a sitemap of total URLs split per per file
 * starts (*first, 0-based) and how many URLs it has (*count). part 0 is
 * /sitemap.xml: the whole list when total <= per, else the index (then
 * *count is the number of parts). Returns 0, or -1 for no such part. */
int sitemap_split(long long total, long long per, long long part,
    long long *first, long long *count);
/* Answers part (0: /sitemap.xml, N: /sitemap-N.xml) of the sitemap split
 * per URLs a file (SITEMAP_MAX when serving; tests pass less). */
int sitemap_write(struct req *, long long part, long long per);

/* ---- api.c: read-only JSON API (issue 3) -------------------------------- */

/* /api/v1/items and /api/v1/items/ID */
int api_answer(struct req *, const char *path);

/* ---- fm.c: front matter ---- */

/*
 * Splits src into front matter, parsed into an object of strings, lists and
 * objects, and the body after it. A file without front matter gives an empty
 * object and the whole text as body. Returns 0, or -1 with a one-line message
 * "line N: reason" in err.
 *
 * Front matter is a YAML subset between a first line "---" (after an
 * optional UTF-8 BOM, which is never part of the body) and the next line
 * "---" or "...", at most 10,000 lines and 1 MiB; every scalar becomes a
 * VAL_STR (an empty value is ""). meta lives in the arena; body points into
 * src. Outputs are untouched on failure.
 */
int fm_parse(struct arena *, const char *src, size_t len, struct val **meta,
    const char **body, size_t *bodylen, char *err, size_t errlen);
/* Appends s as a double-quoted scalar that fm_parse reads back the same
 * (quotes, backslashes and control characters escaped). */
void fm_write_str(struct buf *, const char *s);
/* Appends the line INDENT KEY: "VALUE". */
void fm_write_kv(struct buf *, const char *indent, const char *key,
    const char *value);

/* page.c: helpers the page_*.c files share */
#define PAGE_SIZE 10

/* The values every page has: site, navigation, social accounts, theme
 * assets. title may be NULL (the site name alone). */
struct val *page_base(struct req *, const char *title);
/* Renders template name with view as the answer (200, HTML, cacheable). */
void page_render(struct req *, const char *name, struct val *view);
/* Markdown to trusted HTML with e-mail protection and hashtag links. */
struct val *page_md(struct req *, const char *md, int inline_only);
/* The value of setting key, or "" (never the site key). */
const char *page_setting(struct req *, const char *key);
/* Listing fields of an item row: url, kind label, dates, summary HTML. */
struct val *page_item_val(struct req *, struct val *row);
/* Splits "/a/b/c" into its parts (in the arena): "/news/" gives "news"
 * and "". Returns the count, or -1 when there are more than max. */
int page_split(struct req *, const char *path, const char **parts, int max);
/* A pager for page (1-based) of total items under base ("/news/"). */
struct val *page_pager(struct req *, const char *base, long long page,
    long long total);
/* 1 when page (1-based) lies past total items (or total is an error). */
int page_beyond(long long total, long long page);
/* Parses "N" of ".../page/N"; 0 when not a page number >= 2. */
long long page_number(const char *);
/* "10 December 2014" for t shifted by off minutes. */
const char *page_date(struct req *, long long t, long long off);
/* RFC 3339 "2014-12-10T09:00:00+07:00" for t shifted by off minutes. */
const char *page_iso(struct req *, long long t, long long off);
/* "Press release" (or "Press releases" when plural) for kind. */
const char *page_kind_label(const char *kind, int plural);
/* The URL folder of kind ("press-releases"), or NULL for pages. */
const char *page_kind_folder(const char *kind);
/* Plain text of Markdown md (in the arena), e.g. for descriptions. */
const char *page_plain(struct req *, const char *md);
/* Adds a feed {title, href, type} to the view's "feeds" (head links);
 * json: JSON Feed, else Atom. */
void page_feed(struct req *, struct val *view, const char *title,
    const char *href, int json);
/* Sets the view's "jsonld": a whole <script type="application/ld+json">
 * element (trusted HTML) holding data as JSON, for the page head. */
void page_jsonld(struct req *, struct val *view, const struct val *data);
/* The URL path of an item of kind with slug (in the arena). */
const char *page_item_path(struct req *, const char *kind, const char *slug);
/* Tags and regions of an item, as lists of {name, url}. */
struct val *page_item_tags(struct req *, long long id);
struct val *page_item_regions(struct req *, long long id);
/* The string value of key in obj, or "". */
const char *page_str(const struct val *obj, const char *key);
long long page_int(const struct val *obj, const char *key);

/* "14–16 November 2014" or "8 October 2014, 10:00" */
const char *page_event_when(struct req *, const char *starts,
    const char *ends, long long all_day);
/* schema.org / RFC 3339 form of an event time as written (starts or
 * ends): "2014-11-14" all day, else the local time with the offset that
 * utc (its UTC time) gives: "2014-10-08T10:00:00+02:00". */
const char *page_event_iso(struct req *, const char *when, long long utc,
    long long all_day);

int page_home(struct req *);
int page_list_kind(struct req *, const char *kind, long long page);
/* The orders of listings (and list_memo_get's texts), kept per content
 * revision (struct site). */
struct list_cache *list_cache_new(void);
void list_cache_free(struct list_cache *);
/* The ids (a JSON array) page of listing key (as req.list_key names it)
 * would show now, and the live total; 0, or -1 for an unknown key. */
int list_ids_at(struct req *, const char *key, long long page,
    long long *total, const char **ids);
/* Beside the orders, short texts a revision determines (key under 48
 * bytes): the one kept for key at the revision r reads, copied into
 * r->a, or NULL; *rev is that revision, to put a new one under. */
const char *list_memo_get(struct req *, const char *key, long long *rev);
void list_memo_put(struct req *, const char *key, long long rev,
    const char *value);
int page_list_tags(struct req *);
int page_list_tag(struct req *, const char *slug, long long page);
int page_list_regions(struct req *);
int page_list_region(struct req *, const char *slug, long long page);
int page_item(struct req *, const char *kind, const char *slug);
/* Renders item row it (the columns page_item selects) as its page; with
 * preview, for an editor: marked, not indexed, never cached. */
int page_item_show(struct req *, struct val *it, int preview);
int page_events(struct req *, long long page);
int page_pubs(struct req *);
int page_pub(struct req *, const char *slug);
int page_pub_file(struct req *, const char *slug);
int page_members(struct req *);
int page_member(struct req *, const char *slug);
int page_email(struct req *);

/* ---- user.c: accounts, password hashes, the audit log ------------------- */

enum user_role { USER_ADMIN, USER_EDITOR, USER_AUTHOR, USER_ROLE__MAX };

extern const char *const user_role_names[USER_ROLE__MAX];

#define USER_PW_MIN 12	  /* bytes */
#define USER_PW_MAX 1024  /* bytes */
#define USER_NAME_MAX 200 /* bytes */
#define USER_HASH_LEN 128 /* crypto_pwhash_STRBYTES */

enum user_auth {
	USER_AUTH_OK,
	USER_AUTH_FAIL,	/* unknown user, disabled, or a wrong password */
	USER_AUTH__MAX
};

/* The role's index in user_role_names, or -1. */
int user_role_parse(const char *);
/* 0 for a display name of 1 to USER_NAME_MAX bytes of UTF-8 without
 * control characters, else -1. */
int user_name_valid(const char *);
/* NULL when pw (len bytes) is acceptable for the account email, else
 * why not (a static string): length, UTF-8, equal to the address. */
const char *user_password_weak(const char *pw, size_t len,
    const char *email);
/* argon2id hash string of pw (NUL-terminated in hash); 0 or -1. */
int user_hash(const char *pw, size_t len, char hash[USER_HASH_LEN]);
/* "cli:" and the name of the effective Unix user, for audit rows. */
void user_actor(char *, size_t);
/* 1 when a user with that e-mail address exists, 0 when not, -1 on
 * error. */
int user_exists(struct db *, const char *email);
/* Writes one audit row (who, what, to whom, detail, from where); 0/-1. */
int user_audit(struct db *, const char *actor, const char *action,
    const char *subject, const char *detail, const char *client);
/* The account changes of herald user: each checks its input, changes the
 * user and writes its audit row in one transaction. Return 0, or -1 with
 * a one-line reason in err (nothing written). */
int user_add(struct db *, const char *actor, const char *email,
    const char *name, const char *role, const char *pw, size_t pwlen,
    char *err, size_t errlen);
int user_passwd(struct db *, const char *actor, const char *email,
    const char *pw, size_t pwlen, char *err, size_t errlen);
/* Refuses to delete the last admin that is not disabled. */
int user_del(struct db *, const char *actor, const char *email, char *err,
    size_t errlen);
/* Prints the users as a table on stdout (never their hashes); 0 or -1. */
int user_list(struct db *);
/* Checks password (NUL-terminated) for email; when the stored hash was
 * made with other parameters than ours, stores a new one. */
enum user_auth user_check_password(struct db *, const char *email,
    const char *password);
/* Reads a password from stdin: on a terminal prompts twice with echo off
 * (they must match), else reads one line. Returns 0 with the password
 * NUL-terminated in buf and its length in *lenp, or -1 with the reason in
 * err (buf wiped). The caller wipes buf with sodium_memzero(). */
int user_read_password(char *buf, size_t size, size_t *lenp, char *err,
    size_t errlen);

/* ---- form.c: form bodies (urlencoded and multipart) --------------------- */

struct form_field {
	const char *name;
	const char *value; /* NUL after len bytes; may hold NULs (files) */
	size_t len;
	const char *filename; /* a file part: its name as sent, else NULL */
	const char *ctype;    /* a file part's Content-Type ("" if none) */
};

struct form {
	struct form_field *f;
	size_t n, cap;
};

/* Parses body by its Content-Type (NULL: urlencoded) into out, all in the
 * arena. Returns 0, or -1 for a malformed body, another type, or more than
 * 512 fields. */
int form_parse(struct arena *, const char *ctype, const char *body,
    size_t len, struct form *out);
/* The first field called name, or NULL. */
const struct form_field *form_field(const struct form *, const char *name);
/* The first field called name as a string: NULL when missing, a file,
 * or holding a NUL byte. */
const char *form_get(const struct form *, const char *name);

/* ---- auth.c: sign-in, sessions, CSRF, the second factor ----------------- */

/* The signed-in user of a request. */
struct auth_user {
	long long id;
	const char *email;
	const char *name;
	enum user_role role;
	const char *csrf;	/* this session's form token */
	const char *session;	/* hex of the session id (its token's hash) */
	int mfa_pending;	/* password given, second factor not yet */
	int has_totp;
};

/* The user of the session in the request's cookie, or NULL when there is
 * none, it is unknown, idle or too old, or the user is disabled. */
struct auth_user *auth_user(struct req *);
/* 1 when cookie (the Cookie header) names a live, fully signed-in
 * session (for admitting an upload before reading its body). */
int auth_may_upload(struct site *, struct db *, const char *cookie,
    time_t now);
/* 1 when a POST may change something: Sec-Fetch-Site (when sent) is
 * same-origin, Origin (when sent) is the site's, and the form's "csrf"
 * field matches the session's token (constant-time). */
int auth_csrf_ok(struct req *, const struct auth_user *, const struct form *);
/* The sign-in pages: GET and POST /admin/login, /admin/login/code;
 * POST /admin/logout. Set r->status (303 on success). */
int auth_page_login(struct req *, const struct form *);
int auth_page_code(struct req *, const struct form *);
int auth_page_logout(struct req *, struct auth_user *);
/* The account page /admin/account: password, second factor, recovery
 * codes, sessions, sign out everywhere. */
int auth_page_account(struct req *, struct auth_user *, const struct form *);
/* Ends every session of user id (sign out everywhere); 0 or -1. */
int auth_end_sessions(struct db *, long long user_id);
/* Waits for one of conf.hash_limit hashing slots (at most 10 s); 0, or
 * -1 when none came free (answer 503). auth_hash_leave gives it back. */
int auth_hash_enter(const struct site *);
void auth_hash_leave(void);
/* The client address as text, for audit rows. */
const char *auth_client(struct req *);

/* ---- admin.c and admin_*.c: the web admin ------------------------------- */

/* Everything under /admin: sign-in, then the pages by role. */
int admin_dispatch(struct req *);
/* The admin's page frame: renders template name with view (the user,
 * navigation and CSRF token added) as a no-store answer. */
void admin_render(struct req *, struct auth_user *, const char *name,
    struct val *view);
/* A 303 redirect to path (a local path) with an optional notice shown
 * on the next page. */
int admin_redirect(struct req *, const char *path);
/* A fresh view with title set. */
struct val *admin_view(struct req *, const char *title);
/* The text of form field name, checked: valid UTF-8, no control
 * characters (but tab and line breaks when multiline; CRLF becomes LF),
 * at most max bytes, spaces trimmed at both ends. A missing field is "".
 * On a bad value returns NULL and adds {field, message} to the view's
 * "errors" list (label names the field for people). */
const char *admin_field(struct req *, const struct form *, const char *name,
    const char *label, size_t max, int multiline, struct val *view);
/* Adds {field, message} to the view's "errors", which the page frame
 * lists (a field, when not NULL, links to its input #f-FIELD). */
void admin_error(struct req *, struct val *view, const char *field,
    const char *message);
/* Writes an audit row for the request's user; 0 or -1. */
int admin_audit(struct req *, struct auth_user *, const char *action,
    const char *subject, const char *detail);
/* Items: /admin/items... */
int admin_items(struct req *, struct auth_user *, const char **part,
    int n, const struct form *);
/* Images: /admin/media... ; and the public /media/ID-W.FMT */
int admin_media(struct req *, struct auth_user *, const char **part,
    int n, const struct form *);
int page_media(struct req *, const char *name);
/* md_opts.image for pages (arg: the request): "/media/ID" becomes the
 * image's sizes in srcset, its width and height, its alt text. */
int page_media_img(void *arg, const char *src, size_t len,
    struct buf *attrs, struct buf *alt);
/* Publications, members, contacts, blocks, settings, social accounts. */
int admin_things(struct req *, struct auth_user *, const char **part,
    int n, const struct form *);
/* Newsletters (editors): /admin/newsletters, .../new, .../ID (compose,
 * preview, send, progress), .../ID/preview (the mail's HTML). */
int admin_newsletters(struct req *, struct auth_user *, const char **part,
    int n, const struct form *);
/* Subscribers (admins): /admin/subscribers (counts, search, import),
 * /admin/subscribers.csv (export); part[0] is "subscribers" or
 * "subscribers.csv". */
int admin_subscribers(struct req *, struct auth_user *, const char **part,
    int n, const struct form *);
/* Users and the audit log (admins only). */
int admin_users(struct req *, struct auth_user *, const char **part,
    int n, const struct form *);
int admin_audit_page(struct req *, struct auth_user *);
/* Revisions of entity ("item", "publication", ...) id, whose editor is
 * at base ("/admin/items/12"): the list (with restore buttons when
 * can_restore), the comparison of revisions ?a= and ?b=, and the text of
 * revision rid (NULL when it is not one of that entity's). */
int admin_rev_list(struct req *, struct auth_user *, const char *entity,
    long long id, const char *title, const char *base, int can_restore);
int admin_rev_compare(struct req *, struct auth_user *, const char *entity,
    long long id, const char *title, const char *base);
const char *admin_rev_text(struct req *, struct db *, const char *entity,
    long long id, const char *rid);
/* Publishes the scheduled items whose time has come (the server's timer
 * calls it every second); returns how many, or -1. */
int admin_publish_due(struct db *, time_t now);
/* An item as a content file (front matter and body), the text of a
 * revision; in the arena, NULL when there is no such item. */
const char *admin_item_text(struct db *, struct arena *, long long id);

/* ---- mail.c: e-mail messages and sending them by SMTP (libcurl) -------- */

struct mail_msg {
	const char *from_name;	      /* display name (UTF-8), or NULL */
	const char *from;	      /* address */
	const char *to;		      /* address */
	const char *subject;	      /* UTF-8 */
	const char *message_id;	      /* "<...@host>" */
	time_t date;
	const char *text;	      /* the text/plain part (UTF-8, LF) */
	const char *html;	      /* the text/html part, or NULL */
	const char *list_unsubscribe; /* URL for List-Unsubscribe, or NULL */
	const char *list_id;	      /* "news.example.org", or NULL */
};

enum mail_result { MAIL_SENT, MAIL_TEMPFAIL, MAIL_PERMFAIL, MAIL__MAX };

/* 0 when addr can be sent to: at most EMAIL_MAX bytes of ASCII, no line
 * break or control character, a plausible address; else -1 with a
 * sentence for the person who typed it in err. */
int mail_addr_check(const char *addr, char *err, size_t errlen);
/* Appends the whole message (headers with CRLF, non-ASCII words encoded
 * per RFC 2047; a text part, or multipart/alternative text and HTML, in
 * quoted-printable UTF-8). Returns 0, or -1 for a bad address or header
 * value, or when out overflows. */
int mail_build(const struct mail_msg *, struct buf *out);
/* A new random Message-ID "<hex@host>" into out. */
void mail_message_id(char *out, size_t n, const char *host);
/* An SMTP client for conf's smtp URL (NULL when none is set, or out of
 * memory); one connection is reused from mail to mail. Not thread-safe:
 * one per sending thread. TLS is used when the server offers STARTTLS,
 * and required when a password would leave this machine. libcurl is
 * opened (dlopen: herald does not link it) by the first mail sent. */
struct mail_smtp;
struct mail_smtp *mail_smtp_new(const struct conf *);
void mail_smtp_free(struct mail_smtp *);
/* Sends msg (len bytes) from one address to one; a temporary failure (no
 * connection, a 4xx answer, libcurl not installed) may be retried, a
 * permanent one (5xx) not. err gets the reason. */
enum mail_result mail_smtp_send(struct mail_smtp *, const char *from,
    const char *to, const char *msg, size_t len, char *err, size_t errlen);

/* ---- news.c: the newsletter: subscriptions, the mail queue, sending ---- */

extern const char news_consent_version[];
/* The public pages: GET and POST /subscribe, /subscribe/confirm,
 * /unsubscribe (signed links; a POST to /unsubscribe is RFC 8058's
 * one-click unsubscription). */
int news_page(struct req *, const char *path);
/* The host name of base_url ("example.org"), for Message-IDs. */
void news_host(const char *base_url, char *out, size_t n);
/* The token of a subscription form made now (when it was made, signed). */
const char *news_form_token(struct req *);
/* The consent wording the form shows and each subscriber's row keeps. */
const char *news_consent_text(struct req *);
/* The languages of published items, space-separated (arena), to see
 * whether a change altered the choice every page's form offers; NULL on
 * error. */
const char *news_langs_key(struct db *, struct arena *);
/* The languages a reader may choose, as {code, name, selected}. */
struct val *news_languages(struct req *, const char *selected);
/* The one-click unsubscription URL of subscriber id (arena). */
const char *news_unsubscribe_url(struct arena *, const char *base_url,
    const unsigned char key[EMAIL_KEY_LEN], long long id, const char *email);
/* Newsletter id as a mail for one reader: subject, text and HTML (the
 * theme's newsletter template) into the arena; 0 or -1. */
int news_render(struct site *, struct db *, struct arena *, long long id,
    const char *unsub_url, const char **subject, const char **text,
    const char **html);
/* Queues newsletter id (a draft) for every confirmed subscriber of its
 * language, one mail row each, and marks it sending; in the caller's
 * transaction. Returns how many, or -1. */
long long news_enqueue(struct db *, long long id, const char *host,
    time_t now);
/* Puts back in the queue the mails a sender that is gone left half sent
 * (a crash): they may have reached the server or not, so they are sent
 * again: the only way a mail is ever sent twice. Returns how many
 * senders were gone. */
int news_recover(struct db *);
/* A sender of the queue through conf's SMTP server on connection w
 * (NULL when no smtp is set). news_send_due sends every due mail, one
 * claimed at a time, at most mail_rate a second, until none is due or
 * *stop; progress(arg) after each. Returns how many it handled. */
struct news_sender;
struct news_sender *news_sender_new(struct site *, struct db *w);
void news_sender_free(struct news_sender *);
int news_send_due(struct news_sender *, volatile sig_atomic_t *stop,
    void (*progress)(void *), void *arg);
/* The serve's sending thread (none when no smtp is set): 0 or -1. */
int news_thread_start(struct site *);
void news_thread_stop(void);

/* ---- export.c: the public site as files (issue 6) ----------------------- */

struct export_stats {
	long long paths;    /* paths known */
	long long rendered; /* of them, rendered in this run */
	long long files;    /* files made (pages, feeds, assets, media) */
	long long written;  /* of them, written (the others were the same) */
	long long removed;  /* files of pages gone since the last run */
	long long bytes, gzbytes, brbytes;
	int incremental;    /* 1: an incremental run (not a full one) */
};

/* Writes every public page reachable from the home page, the sitemap
 * and the feeds (bodies byte for byte as the server sends them) under
 * out, with .gz twins, on jobs threads; files that are the same are not
 * written again, and the pages gone since the last run are deleted.
 * Flags: EXPORT_INCREMENTAL: render only what changed since the last run
 * (its state in out.herald-export, beside the folder), or all when that
 * cannot be told; EXPORT_BROTLI: .br twins too, the server's brotli
 * bytes (without it, .br twins of pages written are deleted). 0, or -1
 * with a message in err. */
#define EXPORT_INCREMENTAL 1
#define EXPORT_BROTLI 2
int export_site(struct site *, const char *out, unsigned jobs,
    unsigned flags, struct export_stats *, char *err, size_t errlen);

/* ---- totp.c: second factor: TOTP (RFC 6238, liboath) and recovery codes */

#define TOTP_SECRET_B32 33  /* 20 random bytes as base32 (32) + NUL */
#define TOTP_RECOVERY_N 10  /* recovery codes made at once */
#define TOTP_RECOVERY_LEN 13 /* "XXXX-XXXX-XX" + NUL: 10 code characters */
#define TOTP_HASH_LEN 32     /* bytes of a recovery code's hash */

/* A new random secret (20 bytes, RFC 4648 base32 without padding). */
void totp_secret_new(char b32[TOTP_SECRET_B32]);
/* The otpauth:// URI authenticator apps take (issuer and account
 * percent-encoded), appended to out. */
void totp_uri(struct buf *out, const char *issuer, const char *account,
    const char *b32);
/* Checks a 6-digit code (spaces ignored) against secret b32 at time now,
 * one 30 s step either side. A step at or before *last is refused (no
 * replay); on success *last becomes the matched step and 0 is returned,
 * else -1. */
int totp_check(const char *b32, const char *code, time_t now,
    long long *last);
/* The code for secret b32 at time t (for tests and set-up), 0 or -1. */
int totp_code(const char *b32, time_t t, char code[7]);
/* TOTP_RECOVERY_N new codes, each "XXXX-XXXX-XX" from a base32 alphabet
 * without 0/1/8/O/I/L look-alikes. */
void totp_recovery_new(char codes[TOTP_RECOVERY_N][TOTP_RECOVERY_LEN]);
/* The hash of a recovery code as typed: case, spaces and dashes do not
 * matter. Returns 0, or -1 when it is no well-formed code. */
int totp_recovery_hash(const char *typed, unsigned char h[TOTP_HASH_LEN]);

/* ---- diff.c: line differences between two texts (revisions) ------------ */

enum diff_op { DIFF_SAME, DIFF_DEL, DIFF_ADD, DIFF_OP__MAX };

/*
 * Appends to out an HTML table (class "diff") of the line differences from
 * text a to text b (shortest edit script): unchanged lines as <tr
 * class="same">, removed as <tr class="del"> with <del>, added as <tr
 * class="add"> with <ins>, each with the old and new line numbers; every
 * line escaped with html_text. Runs of more than 6 unchanged lines are
 * folded to 3 lines of context around changes. Inputs past DIFF_MAX_LINES
 * lines compare as a whole block replaced. Returns the number of changed
 * lines (0: the same), or -1 when out overflows.
 */
#define DIFF_MAX_LINES 20000
int diff_html(struct buf *out, const char *a, size_t alen, const char *b,
    size_t blen);

/* ---- media.c: uploaded images and files checked by content ------------- */

#define MEDIA_MAX_BYTES ((size_t)20 << 20) /* an uploaded original */
#define MEDIA_MAX_PIXELS (50 * 1000 * 1000) /* width x height */
#define MEDIA_MAX_VARIANTS 8

/* One resized copy of an image. data is malloc'd (media_img_free). */
struct media_variant {
	int width, height;
	const char *format; /* "webp", "jpeg" or "png" (static) */
	const char *ctype;  /* "image/webp", ... (static) */
	unsigned char *data;
	size_t len;
};

struct media_img {
	const char *ctype; /* of the original: "image/jpeg", "image/png",
			      "image/gif" or "image/webp" (static) */
	int width, height; /* of the original, after EXIF rotation */
	struct media_variant v[MEDIA_MAX_VARIANTS];
	size_t nv;
};

/* Opens libvips (dlopen: herald does not link it) and sets it up, once per
 * process (media_process calls it; thread-safe through pthread_once); 0, or
 * -1 with a message on stderr (e.g. when libvips is not installed). */
int media_init(void);
/* The MIME type libmagic finds in the bytes (e.g. "application/pdf",
 * "application/x-sharedlib"), or NULL on error: a static string for
 * common types, else valid until this thread's next media_sniff. */
const char *media_sniff(const void *data, size_t len);
/* 1 when the bytes are a PDF document by content (libmagic's type,
 * "%PDF-" first and "%%EOF" near the end), else 0. */
int media_is_pdf(const void *data, size_t len);
/* Checks an uploaded image by content (JPEG, PNG, GIF or WebP only, at
 * most MEDIA_MAX_BYTES and MEDIA_MAX_PIXELS), and makes its variants:
 * widths 480, 960 and 1600 that are at most the original's (the
 * original width when it is narrower than 480; never upscaled) in WebP
 * and in the
 * original's format (PNG stays PNG, GIF becomes PNG, others JPEG), with
 * EXIF rotation applied and all metadata (EXIF, GPS, XMP) stripped.
 * Returns 0, or -1 with a sentence for the editor in err ("This file is
 * not an image (it is application/pdf)."); out is then empty. */
int media_process(const void *data, size_t len, struct media_img *out,
    char *err, size_t errlen);
void media_img_free(struct media_img *);

/* ---- import.c: a Hugo or Jekyll Markdown site into the store ----------- */

#define IMPORT_KINDS 5

/* The item kinds, in the order of import_counts.kinds. */
extern const char *const import_kind_names[IMPORT_KINDS];

struct import_counts {
	size_t files;	/* Markdown files read */
	size_t added;	/* new items */
	size_t updated; /* items an earlier import made (same kind and slug) */
	size_t unknown; /* files of no known kind, imported as news */
	size_t kinds[IMPORT_KINDS];
};

/* Imports every *.md and *.markdown file under dir (no dot-files, no
 * symlinks, no Hugo _index.md) as items, in one transaction: an item of
 * the same kind and slug is updated in place, so importing twice changes
 * nothing. key is the site key (e-mail tokens). A progress bar goes to
 * stderr when tty is set. Returns 0 with the counts in *out, or -1 with
 * "PATH: reason" in err and nothing written. */
int import_dir(struct db *, const unsigned char key[EMAIL_KEY_LEN],
    const char *dir, int tty, struct import_counts *out, char *err,
    size_t errlen);

#endif /* HERALD_EXTERN_H */
