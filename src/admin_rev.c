/* admin_rev.c: revisions of anything the admin saves (items,
 * publications, members, contacts, blocks): the list, the comparison of
 * two, and the text of one for a restore. Each revision is the thing as a
 * content file, so a comparison is a line diff. */
#include <stdlib.h>
#include <string.h>

#include "extern.h"

int
admin_rev_list(struct req *r, struct auth_user *u, const char *entity,
    long long id, const char *title, const char *base, int can_restore)
{
	struct val *v, *rows;
	size_t i;

	v = admin_view(r, arena_printf(r->a, "Revisions: %s", title));
	if (db_query(r->db, r->a, &rows,
		"SELECT r.id, r.created_at, r.action, coalesce(u.name, "
		"'(timer)') AS who FROM revision r LEFT JOIN user u "
		"ON u.id = r.user_id WHERE r.entity = ? AND "
		"r.entity_id = ? ORDER BY r.id DESC",
		"ti", entity, id) == -1)
		return r->status = 500;
	for (i = 0; i < rows->u.list.n; i++) {
		struct val *o = rows->u.list.items[i];

		val_set_str(
		    r->a, o, "when", page_iso(r, page_int(o, "created_at"), 0));
		val_set_int(r->a, o, "n", (long long)(rows->u.list.n - i));
		val_set_bool(r->a, o, "first_a", i == 1);
		val_set_bool(r->a, o, "first_b", i == 0);
	}
	val_set(r->a, v, "revisions", rows);
	val_set_str(r->a, v, "base", base);
	val_set_bool(r->a, v, "can_restore", can_restore);
	admin_render(r, u, "revisions", v);
	return r->status;
}

/* Revision rid of entity id, or NULL. */
static struct val *
admin_rev_get(struct req *r, struct db *db, const char *entity, long long id,
    const char *rid)
{
	char *end;
	long long n;

	if (rid == NULL)
		return NULL;
	n = strtoll(rid, &end, 10);
	if (*end != '\0' || end == rid || n <= 0)
		return NULL;
	return db_query_one(db, r->a,
	    "SELECT id, created_at, text FROM revision WHERE id = ? AND "
	    "entity = ? AND entity_id = ?",
	    "iti", n, entity, id);
}

int
admin_rev_compare(struct req *r, struct auth_user *u, const char *entity,
    long long id, const char *title, const char *base)
{
	struct val *v, *ra, *rb;
	struct buf b;
	const char *ta, *tb;
	int changed;

	ra = admin_rev_get(r, r->db, entity, id, req_arg(r, "a"));
	rb = admin_rev_get(r, r->db, entity, id, req_arg(r, "b"));
	if (ra == NULL || rb == NULL)
		return r->status = 404;
	v = admin_view(r, arena_printf(r->a, "Compare: %s", title));
	ta = page_str(ra, "text");
	tb = page_str(rb, "text");
	buf_init(&b, (size_t)8 << 20);
	changed = diff_html(&b, ta, strlen(ta), tb, strlen(tb));
	if (changed < 0) {
		buf_free(&b);
		return r->status = 500;
	}
	val_set(r->a, v, "diff", val_html(r->a, buf_cstr(&b), b.len));
	buf_free(&b);
	val_set_int(r->a, v, "changed", changed);
	val_set_str(r->a, v, "base", base);
	val_set_str(
	    r->a, v, "a_when", page_iso(r, page_int(ra, "created_at"), 0));
	val_set_str(
	    r->a, v, "b_when", page_iso(r, page_int(rb, "created_at"), 0));
	admin_render(r, u, "compare", v);
	return r->status;
}

const char *
admin_rev_text(struct req *r, struct db *db, const char *entity, long long id,
    const char *rid)
{
	struct val *row = admin_rev_get(r, db, entity, id, rid);

	return row ? page_str(row, "text") : NULL;
}
