/* page_item.c: one item (news, press release, statement, event, page),
 * with the about-us block and media contact under press releases. */
#include <string.h>

#include "extern.h"

/* Adds one share link. */
static void
item_share_link(struct req *r, struct val *list, const char *label,
    const char *url)
{
	struct val *o = val_obj(r->a);

	val_set_str(r->a, o, "label", label);
	val_set_str(r->a, o, "url", url);
	val_push(r->a, list, o);
}

/* The share links: plain URLs to each network, no script, no tracker. */
static struct val *
item_share(struct req *r, const char *url, const char *title)
{
	struct val *list = val_list(r->a);
	struct buf u, t;
	const char *pu, *pt;

	buf_init(&u, 16384);
	buf_init(&t, 16384);
	html_pct(&u, url, strlen(url));
	html_pct(&t, title, strlen(title));
	pu = arena_strdup(r->a, buf_cstr(&u));
	pt = arena_strdup(r->a, buf_cstr(&t));
	buf_free(&u);
	buf_free(&t);
	item_share_link(r, list, "Twitter",
	    arena_printf(r->a, "https://twitter.com/intent/tweet?text=%s&url=%s",
	        pt, pu));
	item_share_link(r, list, "Facebook",
	    arena_printf(r->a, "https://www.facebook.com/sharer/sharer.php?u=%s",
	        pu));
	item_share_link(r, list, "LinkedIn",
	    arena_printf(r->a,
	        "https://www.linkedin.com/sharing/share-offsite/?url=%s", pu));
	item_share_link(r, list, "E-mail",
	    arena_printf(r->a, "mailto:?subject=%s&body=%s", pt, pu));
	return list;
}

/* The media contact with the token of the address (never the address). */
static struct val *
item_contact(struct req *r)
{
	struct val *c;
	char tok[EMAIL_TOKEN_LEN + 1];

	c = db_query_one(r->db, r->a,
	    "SELECT name, role, phone, email, intro FROM contact "
	    "WHERE slug = ?",
	    "t", page_setting(r, "media_contact"));
	if (c == NULL)
		return NULL;
	if (*page_str(c, "email")) {
		email_token(r->site->key, page_str(c, "email"), tok);
		val_set_str(r->a, c, "email_token", tok);
	}
	val_set(r->a, c, "email", val_null(r->a)); /* never to the page */
	return c;
}

/* 1 when the body's text begins with the summary's (an item without a
 * standfirst of its own repeats its first sentence as summary): the page
 * then shows it once. */
static int
item_summary_repeated(const char *summary, const char *body)
{
	struct md_opts o = {0};
	struct buf s, b;
	size_t n = strlen(body);
	const char *cut;
	int rc;

	buf_init(&s, 65536);
	buf_init(&b, (size_t)1 << 20);
	md_to_text(summary, strlen(summary), &s);
	/* The body's first blocks are enough: its text is read until well
	 * past the summary's length (white space is collapsed after), and
	 * its source is cut at the first blank line past twice as much,
	 * unless it may define a link further down ("[x]: url"). Markup
	 * heavier than that leaves too little text: then all of it. */
	o.text_max = s.len + 1024;
	if (n > 2 * o.text_max && buf_find(body, n, "]:", 2) == NULL &&
	    (cut = buf_find(body + 2 * o.text_max, n - 2 * o.text_max, "\n\n",
	         2)) != NULL)
		n = (size_t)(cut - body);
	md_to_text_opts(body, n, &o, &b);
	if (n < strlen(body) && b.len < s.len) {
		buf_reset(&b);
		md_to_text_opts(body, strlen(body), &o, &b);
	}
	while (s.len > 0 && strchr(".!?… ", s.data[s.len - 1]) != NULL)
		s.len--;
	rc = s.len > 0 && !s.err && !b.err && b.len >= s.len &&
	    memcmp(b.data, s.data, s.len) == 0;
	buf_free(&s);
	buf_free(&b);
	return rc;
}

/* An Organization {name, url} for the site: author, publisher,
 * organizer. */
static struct val *
item_org(struct req *r, const char *name)
{
	struct val *o = val_obj(r->a);

	val_set_str(r->a, o, "@type", "Organization");
	val_set_str(r->a, o, "name", name);
	val_set_str(r->a, o, "url",
	    arena_printf(r->a, "%s/", r->site->conf.base_url));
	return o;
}

/* schema.org data of the item: a NewsArticle, an Event, or NULL for a
 * page. desc is the plain-text summary, url the page's absolute URL. */
static struct val *
item_jsonld(struct req *r, struct val *it, const char *site,
    const char *desc, const char *url)
{
	const char *kind = page_str(it, "kind");
	struct val *d = val_obj(r->a), *place, *addr;
	long long allday = page_int(it, "all_day");

	val_set_str(r->a, d, "@context", "https://schema.org");
	if (strcmp(kind, "event") == 0) {
		val_set_str(r->a, d, "@type", "Event");
		val_set_str(r->a, d, "name", page_str(it, "title"));
		val_set_str(r->a, d, "startDate",
		    page_event_iso(r, page_str(it, "starts"),
		        page_int(it, "start_utc"), allday));
		val_set_str(r->a, d, "endDate",
		    page_event_iso(r, page_str(it, "ends"),
		        page_int(it, "end_utc"), allday));
		val_set_str(r->a, d, "eventAttendanceMode",
		    "https://schema.org/OfflineEventAttendanceMode");
		place = val_obj(r->a);
		addr = val_obj(r->a);
		val_set_str(r->a, place, "@type", "Place");
		val_set_str(r->a, place, "name",
		    *page_str(it, "venue") ? page_str(it, "venue")
		                           : page_str(it, "where"));
		val_set_str(r->a, addr, "@type", "PostalAddress");
		if (*page_str(it, "city"))
			val_set_str(r->a, addr, "addressLocality",
			    page_str(it, "city"));
		if (*page_str(it, "country"))
			val_set_str(r->a, addr, "addressCountry",
			    page_str(it, "country"));
		val_set(r->a, place, "address", addr);
		val_set(r->a, d, "location", place);
		val_set(r->a, d, "organizer", item_org(r, site));
	} else if (strcmp(kind, "page") != 0) {
		val_set_str(r->a, d, "@type", "NewsArticle");
		val_set_str(r->a, d, "headline", page_str(it, "title"));
		val_set_str(r->a, d, "datePublished", page_str(it, "date_iso"));
		val_set_str(r->a, d, "dateModified",
		    page_iso(r, page_int(it, "updated_at"),
		        page_int(it, "tz_offset")));
		val_set(r->a, d, "author", item_org(r, site));
		val_set(r->a, d, "publisher", item_org(r, site));
		val_set_str(r->a, d, "mainEntityOfPage", url);
	} else
		return NULL;
	val_set_str(r->a, d, "url", url);
	if (*desc)
		val_set_str(r->a, d, "description", desc);
	val_set_str(r->a, d, "inLanguage", page_str(it, "lang"));
	return d;
}

int
page_item(struct req *r, const char *kind, const char *slug)
{
	struct val *it;

	it = db_query_one(r->db, r->a,
	    "SELECT i.id, i.kind, i.slug, i.title, i.summary, i.body, i.lang, "
	    "i.status, "
	    "i.published_at, i.tz_offset, i.updated_at, e.starts, e.ends, "
	    "e.all_day, e.timezone, e.venue, e.city, e.country, e.start_utc, "
	    "e.end_utc "
	    "FROM item i LEFT JOIN event e ON e.item_id = i.id "
	    "WHERE i.kind = ? AND i.slug = ? AND i.status = 'published' AND "
	    "i.published_at <= ?",
	    "tti", kind, slug, (long long)r->now);
	if (it == NULL)
		return r->status = 404;
	return page_item_show(r, it, 0);
}

int
page_item_show(struct req *r, struct val *it, int preview)
{
	struct val *v, *block, *contact, *ld;
	const char *url, *site, *folder, *kind = page_str(it, "kind");
	const char *slug = page_str(it, "slug");
	long long id;

	id = page_int(it, "id");
	if (!preview)
		r->dep_item = id;
	page_item_val(r, it);
	v = page_base(r, page_str(it, "title"));
	val_set(r->a, v, "item", it);
	val_set_str(r->a, v, "lang", page_str(it, "lang"));
	if (*page_str(it, "summary"))
		val_set_str(r->a, v, "description",
		    page_plain(r, page_str(it, "summary")));
	url = page_str(v, "canonical");
	site = page_str(val_get(v, "site"), "name");
	if ((ld = item_jsonld(r, it, site, page_str(v, "description"), url)))
		page_jsonld(r, v, ld);
	if ((folder = page_kind_folder(kind)) != NULL) {
		page_feed(r, v,
		    arena_printf(r->a, "%s — %s", site,
		        page_kind_label(kind, 1)),
		    arena_printf(r->a, "/%s/feed.atom", folder), 0);
		val_set_str(r->a, v, "og_type", "article");
		val_set_str(r->a, v, "published_time",
		    page_str(it, "date_iso"));
		val_set_str(r->a, v, "modified_time",
		    page_iso(r, page_int(it, "updated_at"),
		        page_int(it, "tz_offset")));
	}
	val_set(r->a, it, "body_html", page_md(r, page_str(it, "body"), 0));
	if (item_summary_repeated(page_str(it, "summary"), page_str(it, "body")))
		val_set(r->a, it, "summary_html", val_null(r->a));
	val_set(r->a, it, "tags", page_item_tags(r, id));
	val_set(r->a, it, "regions", page_item_regions(r, id));
	if (strcmp(kind, "page") != 0)
		val_set(r->a, it, "share",
		    item_share(r,
		        arena_printf(r->a, "%s%s", r->site->conf.base_url,
		            r->path),
		        page_str(it, "title")));
	val_set_bool(r->a, it, "is_page", strcmp(kind, "page") == 0);
	if (strcmp(kind, "event") == 0) {
		val_set_bool(r->a, it, "is_event", 1);
		val_set_str(r->a, it, "ics",
		    arena_printf(r->a, "/events/%s.ics", slug));
		val_set_bool(r->a, it, "past",
		    page_int(it, "end_utc") < (long long)r->now);
	}
	if (strcmp(kind, "press-release") == 0) {
		block = db_query_one(r->db, r->a,
		    "SELECT title, body FROM block WHERE slug = ?", "t",
		    page_setting(r, "about_block"));
		if (block != NULL) {
			val_set(r->a, block, "body_html",
			    page_md(r, page_str(block, "body"), 0));
			val_set(r->a, it, "about", block);
		}
		if ((contact = item_contact(r)) != NULL)
			val_set(r->a, it, "contact", contact);
	}
	if (preview) {
		/* an editor's look at an item that may not be public */
		val_set_bool(r->a, v, "noindex", 1);
		val_set_bool(r->a, v, "preview", 1);
		val_set_str(r->a, v, "preview_status", page_str(it, "status"));
		val_set_str(r->a, v, "preview_edit",
		    arena_printf(r->a, "/admin/items/%lld", id));
	}
	page_render(r, "item", v);
	if (preview) {
		r->cache = 0;
		r->cache_control = "no-store";
	}
	return r->status;
}
