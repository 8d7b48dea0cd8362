/* main.c: the herald command and its table of subcommands. */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "extern.h"

static int main_init(int, char *[]);
static int main_serve(int, char *[]);
static int main_user(int, char *[]);
static int main_newsletter(int, char *[]);
static int main_export(int, char *[]);
static int main_import(int, char *[]);
static int main_help(int, char *[]);
static int main_version(int, char *[]);

static const struct {
	const char *name;
	int (*fn)(int, char *[]);
	const char *usage;
	const char *what;
} cmds[] = {
	{"init", main_init, "init --db FILE [--force] [--content DIR]",
	    "create a database holding the demo site (or the content in DIR)"},
	{"serve", main_serve,
	    "serve --db FILE [--listen ADDR:PORT] [--base-url URL] "
	    "[--config FILE]\n"
	    "             [--access-log FILE|-] [--threads N] "
	    "[--reveal-limit N] [--theme DIR] [--dev-http]\n"
	    "             [--smtp smtp://HOST:PORT --mail-from ADDR]",
	    "serve the site over HTTP until SIGTERM"},
	{"user", main_user,
	    "user add --db FILE --email ADDR --name NAME "
	    "--role admin|editor|author\n"
	    "       herald user passwd --db FILE --email ADDR\n"
	    "       herald user del --db FILE --email ADDR\n"
	    "       herald user list --db FILE\n"
	    "(the password is read from standard input: one line, or typed "
	    "twice at a terminal)",
	    "add, change, delete or list the editors' accounts"},
	{"newsletter", main_newsletter,
	    "newsletter send --db FILE [--config FILE] [--smtp URL] "
	    "[--mail-from ADDR]\n"
	    "             [--base-url URL] [--id N]\n"
	    "       herald newsletter list --db FILE",
	    "send the queued mails (newsletter N first queued), with a "
	    "progress bar;\n"
	    "or list the newsletters and how far they went"},
	{"export", main_export,
	    "export --db FILE --out DIR --base-url URL [--config FILE] "
	    "[--jobs N] [--incremental] [--brotli]",
	    "write the public site as files (with .gz, and .br, twins) for "
	    "nginx or a CDN"},
	{"import", main_import, "import --db FILE --from DIR",
	    "import a Hugo or Jekyll Markdown site (again: update it)"},
	{"help", main_help, "help [COMMAND]", "show this help, or a command's"},
	{"version", main_version, "version", "print the version"},
};

#define NCMDS (sizeof(cmds) / sizeof(cmds[0]))

static void
main_usage(FILE *f)
{
	size_t i;

	fprintf(f, "usage: herald COMMAND [OPTIONS]\n\n"
	           "Herald serves a publishing site for advocacy networks "
	           "from one SQLite file.\n\ncommands:\n");
	for (i = 0; i < NCMDS; i++)
		fprintf(f, "  %-8s %s\n", cmds[i].name, cmds[i].what);
	fprintf(f, "\n'herald COMMAND --help' shows a command's options.\n");
}

static int
main_cmd_usage(const char *name, FILE *f)
{
	size_t i;

	for (i = 0; i < NCMDS; i++)
		if (strcmp(cmds[i].name, name) == 0) {
			fprintf(f, "usage: herald %s\n%s\n", cmds[i].usage,
			    cmds[i].what);
			return 0;
		}
	return -1;
}

/* getopt_long error: one line on stderr, exit code 2. */
static int
main_bad(const char *cmd, const char *why)
{
	fprintf(stderr, "herald %s: %s (see herald %s --help)\n", cmd, why,
	    cmd);
	return 2;
}

static int
main_help(int argc, char *argv[])
{
	if (argc > 1) {
		if (main_cmd_usage(argv[1], stdout) == -1) {
			fprintf(stderr, "herald: unknown command \"%s\"\n",
			    argv[1]);
			return 2;
		}
		return 0;
	}
	main_usage(stdout);
	return 0;
}

static int
main_version(int argc, char *argv[])
{
	(void)argc;
	(void)argv;
	printf("herald %s\n", HERALD_VERSION);
	return 0;
}

/*
 * Opens an existing herald database for writing and brings its schema up
 * to date; NULL with one line on stderr ("herald WHAT: ...") when the file
 * is missing, is not a herald database or cannot be migrated. It looks
 * read-only first: opening for writing switches a file to WAL, which
 * another program's database must not see.
 */
static struct db *
main_open_db(const char *what, const char *path)
{
	struct db *db;
	int v;

	if (access(path, R_OK) == -1) {
		fprintf(stderr, "herald %s: %s: %s (create it with herald "
		                "init)\n",
		    what, path, strerror(errno));
		return NULL;
	}
	db = db_open(path, DB_READONLY);
	v = db ? db_version(db) : -1;
	db_close(db);
	if (v == 0)
		fprintf(stderr, "herald %s: %s: not a herald database (create "
		                "one with herald init)\n",
		    what, path);
	if (v <= 0)
		return NULL;
	if ((db = db_open(path, 0)) != NULL && db_migrate(db) == -1) {
		db_close(db);
		db = NULL;
	}
	return db;
}

/*
 * Builds the database beside FILE under a temporary name and renames it
 * into place only when complete, so a failed init never leaves half a
 * database and --force replaces the old one atomically.
 */
static int
main_init(int argc, char *argv[])
{
	static const struct option opts[] = {
	    {"db", required_argument, NULL, 'd'},
	    {"force", no_argument, NULL, 'f'},
	    {"content", required_argument, NULL, 'c'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	const char *path = NULL, *content = NULL;
	char tmp[4200], side[4300], err[1024];
	struct stat st;
	struct db *db;
	int c, force = 0, rc;

	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'd':
			path = optarg;
			break;
		case 'f':
			force = 1;
			break;
		case 'c':
			content = optarg;
			break;
		case 'h':
			main_cmd_usage("init", stdout);
			return 0;
		default:
			return main_bad("init", "unknown or incomplete option");
		}
	}
	if (optind != argc)
		return main_bad("init", "unexpected argument");
	if (path == NULL || *path == '\0')
		return main_bad("init", "--db FILE is required");
	if (strlen(path) > 4000)
		return main_bad("init", "path too long");
	if (!force && stat(path, &st) == 0) {
		fprintf(stderr, "herald init: %s exists (use --force to "
		                "replace it)\n",
		    path);
		return 1;
	}
	snprintf(tmp, sizeof(tmp), "%s.init-%ld", path, (long)getpid());
	unlink(tmp);
	if ((db = db_open(tmp, DB_CREATE)) == NULL)
		return 1;
	rc = db_migrate(db);
	if (rc == 0)
		rc = content ? load_dir(db, content, err, sizeof(err))
		             : load_embedded(db, err, sizeof(err));
	if (rc == -1 && err[0] == '\0')
		snprintf(err, sizeof(err), "cannot create the database");
	db_close(db);
	if (rc == 0) {
		/* the old file's WAL and shared memory belong to it alone */
		snprintf(side, sizeof(side), "%s-wal", path);
		unlink(side);
		snprintf(side, sizeof(side), "%s-shm", path);
		unlink(side);
		if (rename(tmp, path) == -1) {
			snprintf(err, sizeof(err), "%s: %s", path,
			    strerror(errno));
			rc = -1;
		}
	}
	if (rc == -1) {
		unlink(tmp);
		snprintf(side, sizeof(side), "%s-wal", tmp);
		unlink(side);
		snprintf(side, sizeof(side), "%s-shm", tmp);
		unlink(side);
		fprintf(stderr, "herald init: %s\n", err);
		return 1;
	}
	fprintf(stderr, "herald: created %s\n", path);
	return 0;
}

/*
 * Reads a command's settings into conf: the --config file first (option
 * 'c'), then each option that names a conf key (keys[c]; a flag with no
 * argument sets "yes"), so the command line wins over the file. Options
 * of the command's own are left for the caller to read again. Returns 0,
 * or -1 with the exit status in *status (0 after --help, 2 for a usage
 * error, 1 for a bad config file), the message printed.
 */
static int
main_conf(const char *what, int argc, char *argv[], const struct option *opts,
    const char *const keys[], size_t nkeys, struct conf *conf, int *status)
{
	char err[1024], why[256];
	const char *config = NULL;
	int c;

	conf_defaults(conf);
	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1)
		if (c == 'c')
			config = optarg;
		else if (c == 'h') {
			main_cmd_usage(what, stdout);
			*status = 0;
			return -1;
		} else if (c == '?' || c == ':') {
			*status =
			    main_bad(what, "unknown or incomplete option");
			return -1;
		}
	if (optind != argc) {
		*status = main_bad(what, "unexpected argument");
		return -1;
	}
	if (config && conf_read(conf, config, err, sizeof(err)) == -1) {
		fprintf(stderr, "herald %s: %s\n", what, err);
		*status = 1;
		return -1;
	}
	optind = 1;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c == 'c' || c < 0 || (size_t)c >= nkeys || !keys[c])
			continue;
		if (conf_set(conf, keys[c], optarg ? optarg : "yes", why,
			sizeof(why)) == -1) {
			snprintf(err, sizeof(err), "--%s: %s", keys[c], why);
			*status = main_bad(what, err);
			return -1;
		}
	}
	return 0;
}

static int
main_serve(int argc, char *argv[])
{
	static const struct option opts[] = {
	    {"db", required_argument, NULL, 'd'},
	    {"listen", required_argument, NULL, 'l'},
	    {"base-url", required_argument, NULL, 'b'},
	    {"config", required_argument, NULL, 'c'},
	    {"access-log", required_argument, NULL, 'a'},
	    {"threads", required_argument, NULL, 't'},
	    {"reveal-limit", required_argument, NULL, 'r'},
	    {"theme", required_argument, NULL, 'T'},
	    {"dev-http", no_argument, NULL, 'D'},
	    {"smtp", required_argument, NULL, 'S'},
	    {"mail-from", required_argument, NULL, 'F'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	static const char *const keys[] = {
	    ['D'] = "dev_http", ['S'] = "smtp", ['F'] = "mail_from",
	    ['d'] = "db", ['l'] = "listen", ['b'] = "base_url",
	    ['a'] = "access_log", ['t'] = "threads", ['r'] = "reveal_limit",
	    ['T'] = "theme",
	};
	struct conf conf;
	struct site site;
	struct db *db;
	int rc;

	if (main_conf("serve", argc, argv, opts, keys,
	        sizeof(keys) / sizeof(*keys), &conf, &rc) == -1)
		return rc;
	if (conf.db[0] == '\0')
		return main_bad("serve", "--db FILE (or db in the config) is "
		                         "required");
	if (conf.base_url[0] == '\0')
		snprintf(conf.base_url, sizeof(conf.base_url), "http://%s",
		    conf.listen);
	if (conf.smtp[0] != '\0' && conf.mail_from[0] == '\0')
		return main_bad("serve", "smtp needs mail_from (--mail-from "
		                         "ADDR): the newsletter's From address");
	/* cookies without Secure would travel in clear text over a network:
	 * plain http is for a developer's own machine only */
	if (conf.dev_http && strncmp(conf.listen, "127.", 4) != 0 &&
	    strncmp(conf.listen, "[::1]:", 6) != 0 &&
	    strncmp(conf.listen, "localhost:", 10) != 0)
		return main_bad("serve", "dev_http needs a loopback listen "
		                         "address (127.0.0.1:PORT or [::1]:PORT)");
	/* the schema may need a migration before readers start */
	if ((db = main_open_db("serve", conf.db)) == NULL)
		return 1;
	db_close(db);
	if (site_open(&site, &conf) == -1)
		return 1;
	rc = http_serve(&site);
	site_close(&site);
	return rc;
}

/*
 * herald user add|passwd|del|list: the accounts of the web admin. The
 * database must be herald's (checked read-only first, as serve does) and
 * is brought to the newest schema. Passwords come from standard input,
 * never from argv or the environment, and are wiped after use.
 */
static int
main_user(int argc, char *argv[])
{
	static const struct option opts[] = {
	    {"db", required_argument, NULL, 'd'},
	    {"email", required_argument, NULL, 'e'},
	    {"name", required_argument, NULL, 'n'},
	    {"role", required_argument, NULL, 'r'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	enum { ADD, PASSWD, DEL, LIST, NSUBS };
	static const char *const subs[NSUBS] = {
	    [ADD] = "add", [PASSWD] = "passwd", [DEL] = "del", [LIST] = "list"};
	const char *path = NULL, *email = NULL, *name = NULL, *role = NULL;
	char pw[USER_PW_MAX + 1], err[512], actor[300], what[32];
	size_t pwlen = 0;
	struct db *db = NULL;
	int c, v, sub, rc = 1;

	if (argc < 2 || strcmp(argv[1], "--help") == 0 ||
	    strcmp(argv[1], "-h") == 0) {
		main_cmd_usage("user", argc < 2 ? stderr : stdout);
		return argc < 2 ? 2 : 0;
	}
	for (sub = 0; sub < NSUBS; sub++)
		if (strcmp(argv[1], subs[sub]) == 0)
			break;
	if (sub == NSUBS)
		return main_bad("user", "unknown subcommand (add, passwd, del "
		                        "or list)");
	snprintf(what, sizeof(what), "user %s", subs[sub]);
	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc - 1, argv + 1, "", opts, NULL)) != -1) {
		switch (c) {
		case 'd':
			path = optarg;
			break;
		case 'e':
			email = optarg;
			break;
		case 'n':
			name = optarg;
			break;
		case 'r':
			role = optarg;
			break;
		case 'h':
			main_cmd_usage("user", stdout);
			return 0;
		default:
			return main_bad(what, "unknown or incomplete option");
		}
	}
	if (optind != argc - 1)
		return main_bad(what, "unexpected argument");
	if (path == NULL || *path == '\0')
		return main_bad(what, "--db FILE is required");
	if (sub != LIST && (email == NULL || *email == '\0'))
		return main_bad(what, "--email ADDR is required");
	if (sub == ADD && (name == NULL || role == NULL))
		return main_bad(what, "--name NAME and --role ROLE are "
		                      "required");
	if (sub != ADD && (name != NULL || role != NULL))
		return main_bad(what, "--name and --role only go with add");
	if (sub == LIST && email != NULL)
		return main_bad(what, "--email does not go with list");
	if (sub == ADD && user_role_parse(role) == -1) {
		fprintf(stderr, "herald %s: unknown role \"%s\" (admin, editor "
		                "or author)\n",
		    what, role);
		return 1;
	}
	if ((db = main_open_db(what, path)) == NULL)
		return 1;
	user_actor(actor, sizeof(actor));
	err[0] = '\0';
	switch (sub) {
	case ADD:
	case PASSWD:
		/* what can be refused is refused before the prompt */
		if (sub == ADD && email_valid(email) == -1)
			snprintf(err, sizeof(err), "invalid e-mail address");
		else if (sub == ADD && user_name_valid(name) == -1)
			snprintf(err, sizeof(err), "invalid name (1 to %d bytes "
			    "of text, no control characters)", USER_NAME_MAX);
		else if ((v = user_exists(db, email)) == -1)
			snprintf(err, sizeof(err), "cannot read the users");
		else if (sub == ADD && v == 1)
			snprintf(err, sizeof(err), "a user with that e-mail "
			    "address exists");
		else if (sub == PASSWD && v == 0)
			snprintf(err, sizeof(err), "no user with that e-mail "
			    "address");
		if (err[0] != '\0')
			break;
		if (user_read_password(pw, sizeof(pw), &pwlen, err,
		        sizeof(err)) == -1)
			break;
		if (sub == ADD && user_add(db, actor, email, name, role, pw,
		                    pwlen, err, sizeof(err)) == 0) {
			fprintf(stderr, "herald: added %s (%s)\n", email, role);
			rc = 0;
		} else if (sub == PASSWD && user_passwd(db, actor, email, pw, pwlen,
		                           err, sizeof(err)) == 0) {
			fprintf(stderr, "herald: changed the password of %s\n",
			    email);
			rc = 0;
		}
		break;
	case DEL:
		if (user_del(db, actor, email, err, sizeof(err)) == 0) {
			fprintf(stderr, "herald: deleted %s\n", email);
			rc = 0;
		}
		break;
	default:
		if (user_list(db) == 0)
			rc = 0;
		else
			snprintf(err, sizeof(err), "cannot list the users");
		break;
	}
	if (rc != 0 && err[0] != '\0')
		fprintf(stderr, "herald %s: %s\n", what, err);
	sodium_memzero(pw, sizeof(pw));
	db_close(db);
	return rc;
}

/* ---- herald newsletter ------------------------------------------------- */

static volatile sig_atomic_t main_stop;

static void
main_on_signal(int sig)
{
	(void)sig;
	main_stop = 1;
}

struct main_progress {
	long long done, total;
	int tty;
};

/* Draws "[#####.....] 1234/2000" on the terminal's last line. */
static void
main_progress(void *arg)
{
	struct main_progress *p = arg;
	int width = 40, fill, i;

	p->done++;
	if (!p->tty || p->total <= 0)
		return;
	fill = (int)(p->done * width / (p->done > p->total ? p->done
	                                                   : p->total));
	fputs("\r[", stderr);
	for (i = 0; i < width; i++)
		fputc(i < fill ? '#' : '.', stderr);
	fprintf(stderr, "] %lld/%lld", p->done, p->total);
	fflush(stderr);
}

/* Prints the newsletters and their mails by status. */
static int
main_newsletter_list(struct db *db)
{
	struct arena *a = arena_new();
	struct val *rows, *o;
	size_t i;

	if (db_query(db, a, &rows,
	        "SELECT n.id, n.status, n.lang, n.subject, "
	        "(SELECT count(*) FROM mail m WHERE m.newsletter_id = n.id "
	        "AND m.status = 'sent') AS sent, "
	        "(SELECT count(*) FROM mail m WHERE m.newsletter_id = n.id "
	        "AND m.status IN ('queued', 'sending')) AS waiting, "
	        "(SELECT count(*) FROM mail m WHERE m.newsletter_id = n.id "
	        "AND m.status = 'failed') AS failed FROM newsletter n "
	        "ORDER BY n.id",
	        "") == -1) {
		arena_free(a);
		return 1;
	}
	printf("%-5s %-8s %-5s %7s %7s %7s  %s\n", "ID", "STATUS", "LANG",
	    "SENT", "WAITING", "FAILED", "SUBJECT");
	for (i = 0; i < rows->u.list.n; i++) {
		o = rows->u.list.items[i];
		printf("%-5lld %-8s %-5s %7lld %7lld %7lld  %s\n",
		    page_int(o, "id"), page_str(o, "status"),
		    page_str(o, "lang"), page_int(o, "sent"),
		    page_int(o, "waiting"), page_int(o, "failed"),
		    page_str(o, "subject"));
	}
	arena_free(a);
	return 0;
}

/*
 * herald newsletter send|list: sends what is queued (after queueing
 * newsletter --id N) through the SMTP server of the config or options,
 * as the server's own thread would; a kill at any point leaves each mail
 * either sent, or queued to be sent by the next run.
 */
static int
main_newsletter(int argc, char *argv[])
{
	static const struct option opts[] = {
	    {"db", required_argument, NULL, 'd'},
	    {"config", required_argument, NULL, 'c'},
	    {"smtp", required_argument, NULL, 'S'},
	    {"mail-from", required_argument, NULL, 'F'},
	    {"base-url", required_argument, NULL, 'b'},
	    {"id", required_argument, NULL, 'i'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	static const char *const keys[] = {
	    ['d'] = "db", ['S'] = "smtp", ['F'] = "mail_from",
	    ['b'] = "base_url",
	};
	struct conf conf;
	struct site site;
	struct db *db = NULL;
	struct news_sender *sender = NULL;
	struct main_progress pr = {0, 0, 0};
	struct sigaction sa;
	const char *sub;
	char *end;
	long long id = 0, n;
	int c, rc = 1, site_ok = 0;

	if (argc < 2 || (strcmp(argv[1], "send") != 0 &&
	                    strcmp(argv[1], "list") != 0)) {
		if (argc >= 2 && strcmp(argv[1], "--help") == 0) {
			main_cmd_usage("newsletter", stdout);
			return 0;
		}
		return main_bad("newsletter", "want send or list");
	}
	sub = argv[1];
	argc--;
	argv++;
	if (main_conf("newsletter", argc, argv, opts, keys,
	        sizeof(keys) / sizeof(*keys), &conf, &rc) == -1)
		return rc;
	rc = 1;
	optind = 1;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1)
		if (c == 'i') {
			id = strtoll(optarg, &end, 10);
			if (*end != '\0' || id <= 0)
				return main_bad("newsletter", "--id wants a "
				                              "newsletter's number");
		}
	if (conf.db[0] == '\0')
		return main_bad("newsletter", "--db FILE is required");
	if (strcmp(sub, "list") == 0) {
		if ((db = main_open_db("newsletter", conf.db)) == NULL)
			return 1;
		rc = main_newsletter_list(db);
		db_close(db);
		return rc;
	}
	if (conf.smtp[0] == '\0' || conf.mail_from[0] == '\0')
		return main_bad("newsletter", "send needs --smtp URL and "
		                              "--mail-from ADDR (or the config)");
	if (conf.base_url[0] == '\0')
		return main_bad("newsletter", "send needs --base-url URL (the "
		                              "links in the mails point there)");
	if ((db = main_open_db("newsletter", conf.db)) == NULL)
		return 1;
	if (site_open(&site, &conf) == -1)
		goto done;
	site_ok = 1;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = main_on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	news_recover(db);
	if (id != 0) {
		char host[256];

		news_host(conf.base_url, host, sizeof(host));
		if (db_begin(db) == -1)
			goto done;
		if ((n = news_enqueue(db, id, host, time(NULL))) < 0) {
			db_rollback(db);
			fprintf(stderr, "herald newsletter: no draft newsletter "
			                "%lld to send\n", id);
			goto done;
		}
		if (db_commit(db) == -1)
			goto done;
		fprintf(stderr, "herald: newsletter %lld queued for %lld "
		                "subscribers\n", id, n);
	}
	if ((sender = news_sender_new(&site, db)) == NULL) {
		fprintf(stderr, "herald newsletter: cannot set up SMTP\n");
		goto done;
	}
	pr.total = db_int(db, "SELECT count(*) FROM mail WHERE status = "
	                      "'queued' AND next_at <= ?",
	    "i", (long long)time(NULL));
	pr.tty = isatty(STDERR_FILENO);
	news_send_due(sender, &main_stop, main_progress, &pr);
	if (pr.tty && pr.total > 0)
		fputc('\n', stderr);
	n = db_int(db, "SELECT count(*) FROM mail WHERE status = 'queued'",
	    "");
	fprintf(stderr, "herald: %lld mails handled; %lld sent in all, %lld "
	                "failed, %lld waiting\n",
	    pr.done,
	    db_int(db, "SELECT count(*) FROM mail WHERE status = 'sent'", ""),
	    db_int(db, "SELECT count(*) FROM mail WHERE status = 'failed'", ""),
	    n);
	rc = main_stop ? 1 : 0;
done:
	news_sender_free(sender);
	if (site_ok)
		site_close(&site);
	db_close(db);
	return rc;
}

/*
 * herald import --db FILE --from DIR: a Hugo or Jekyll site's Markdown
 * files become items, all or none; items of the same kind and slug are
 * updated, so a second run changes nothing.
 */
static int
main_import(int argc, char *argv[])
{
	static const struct option opts[] = {
	    {"db", required_argument, NULL, 'd'},
	    {"from", required_argument, NULL, 'f'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	const char *path = NULL, *from = NULL, *secret;
	unsigned char key[EMAIL_KEY_LEN];
	struct import_counts ic;
	struct arena *a = NULL;
	struct val *row;
	struct db *db = NULL;
	char err[1024];
	size_t i;
	int c, rc = 1, tty = isatty(STDERR_FILENO);

	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'd':
			path = optarg;
			break;
		case 'f':
			from = optarg;
			break;
		case 'h':
			main_cmd_usage("import", stdout);
			return 0;
		default:
			return main_bad("import", "unknown or incomplete option");
		}
	}
	if (optind != argc)
		return main_bad("import", "unexpected argument");
	if (path == NULL || *path == '\0')
		return main_bad("import", "--db FILE is required");
	if (from == NULL || *from == '\0')
		return main_bad("import", "--from DIR is required");
	if ((db = main_open_db("import", path)) == NULL)
		return 1;
	a = arena_new();
	row = db_query_one(db, a,
	    "SELECT value FROM setting WHERE key = 'secret'", "");
	secret = row ? page_str(row, "value") : "";
	if (email_key_parse(*secret ? secret : NULL, key) == -1) {
		fprintf(stderr, "herald import: %s: not a herald database (no "
		                "site key; run herald init)\n",
		    path);
		goto done;
	}
	if (import_dir(db, key, from, tty, &ic, err, sizeof(err)) == -1) {
		fprintf(stderr, "herald import: %s\n", err);
		goto done;
	}
	fprintf(stderr, "herald: imported %zu files from %s: %zu new, %zu "
	                "updated (",
	    ic.files, from, ic.added, ic.updated);
	for (i = 0; i < IMPORT_KINDS; i++)
		fprintf(stderr, "%s%s %zu", i ? ", " : "", import_kind_names[i],
		    ic.kinds[i]);
	fprintf(stderr, ")");
	if (ic.unknown)
		fprintf(stderr, "; %zu of no known kind imported as news",
		    ic.unknown);
	fputc('\n', stderr);
	rc = 0;
done:
	email_key_wipe(key);
	arena_free(a);
	db_close(db);
	return rc;
}

/* herald export: the public site as files (export.c). */
static int
main_export(int argc, char *argv[])
{
	static const struct option opts[] = {
	    {"db", required_argument, NULL, 'd'},
	    {"out", required_argument, NULL, 'o'},
	    {"base-url", required_argument, NULL, 'b'},
	    {"config", required_argument, NULL, 'c'},
	    {"jobs", required_argument, NULL, 'j'},
	    {"incremental", no_argument, NULL, 'i'},
	    {"brotli", no_argument, NULL, 'z'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	static const char *const keys[] = {['d'] = "db", ['b'] = "base_url"};
	struct conf conf;
	struct site site;
	struct export_stats st;
	struct timespec t0, t1;
	struct db *db;
	const char *out = NULL;
	char err[1024], *end;
	unsigned long jobs = 0;
	long n;
	unsigned flags = 0;
	int c, rc;

	if (main_conf("export", argc, argv, opts, keys,
		sizeof(keys) / sizeof(*keys), &conf, &rc) == -1)
		return rc;
	optind = 1;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1)
		if (c == 'o')
			out = optarg;
		else if (c == 'i')
			flags |= EXPORT_INCREMENTAL;
		else if (c == 'z')
			flags |= EXPORT_BROTLI;
		else if (c == 'j') {
			jobs = strtoul(optarg, &end, 10);
			if (*end != '\0' || jobs == 0 || jobs > 64)
				return main_bad(
				    "export", "--jobs: want 1 to 64");
		}
	if (conf.db[0] == '\0' || out == NULL || *out == '\0')
		return main_bad(
		    "export", "--db FILE and --out DIR are required");
	if (conf.base_url[0] == '\0')
		return main_bad("export",
		    "--base-url URL is required (the "
		    "site's public address, for its links)");
	if (jobs == 0) {
		n = sysconf(_SC_NPROCESSORS_ONLN);
		jobs = n > 0 && n <= 64 ? (unsigned long)n : 2;
	}
	/* the schema brought up to date first, as serve does: the export
	 * reads through the newest indexes and the change log */
	if ((db = main_open_db("export", conf.db)) == NULL)
		return 1;
	db_close(db);
	if (site_open(&site, &conf) == -1)
		return 1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	rc = export_site(&site, out, (unsigned)jobs, flags, &st, err,
	    sizeof(err));
	clock_gettime(CLOCK_MONOTONIC, &t1);
	site_close(&site);
	if (rc == -1) {
		fprintf(stderr, "herald export: %s\n", err);
		return 1;
	}
	fprintf(stderr,
	    "herald: exported %lld files (%s: %lld pages rendered, %lld "
	    "files written, %lld the same, %lld removed), %lld bytes (%lld "
	    "gzip, %lld brotli) in %.2f s with %lu threads\n",
	    st.files, st.incremental ? "incremental" : "full", st.rendered,
	    st.written, st.files - st.written, st.removed, st.bytes,
	    st.gzbytes, st.brbytes,
	    (double)(t1.tv_sec - t0.tv_sec) +
		(double)(t1.tv_nsec - t0.tv_nsec) / 1e9,
	    jobs);
	return 0;
}

int
main(int argc, char *argv[])
{
	size_t i;

	if (sodium_init() < 0) {
		fputs("herald: cannot initialise libsodium\n", stderr);
		return 1;
	}
	if (argc < 2) {
		main_usage(stderr);
		return 2;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		main_usage(stdout);
		return 0;
	}
	if (strcmp(argv[1], "--version") == 0)
		return main_version(argc - 1, argv + 1);
	for (i = 0; i < NCMDS; i++)
		if (strcmp(argv[1], cmds[i].name) == 0)
			return cmds[i].fn(argc - 1, argv + 1);
	fprintf(stderr, "herald: unknown command \"%s\" (see herald --help)\n",
	    argv[1]);
	return 2;
}
