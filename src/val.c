/* val.c: the value trees that templates render and JSON reads into. */
#include <string.h>

#include "extern.h"

const char *const val_type_names[VAL__MAX] = {
	"null", "bool", "number", "string", "html", "list", "object",
};

static struct val *
val_new(struct arena *a, enum val_type t)
{
	struct val *v = arena_alloc(a, sizeof(*v));

	v->type = t;
	return v;
}

struct val *
val_null(struct arena *a)
{
	return val_new(a, VAL_NULL);
}

struct val *
val_bool(struct arena *a, int b)
{
	struct val *v = val_new(a, VAL_BOOL);

	v->u.b = b != 0;
	return v;
}

struct val *
val_num(struct arena *a, double n)
{
	struct val *v = val_new(a, VAL_NUM);

	v->u.n = n;
	return v;
}

struct val *
val_strn(struct arena *a, const char *s, size_t n)
{
	struct val *v = val_new(a, VAL_STR);

	v->u.str.s = arena_strndup(a, s ? s : "", s ? n : 0);
	v->u.str.len = s ? n : 0;
	return v;
}

struct val *
val_str(struct arena *a, const char *s)
{
	return val_strn(a, s, s ? strlen(s) : 0);
}

struct val *
val_html(struct arena *a, const char *s, size_t n)
{
	struct val *v = val_strn(a, s, n);

	v->type = VAL_HTML;
	return v;
}

struct val *
val_list(struct arena *a)
{
	return val_new(a, VAL_LIST);
}

struct val *
val_obj(struct arena *a)
{
	return val_new(a, VAL_OBJ);
}

void
val_push(struct arena *a, struct val *l, struct val *item)
{
	struct val **items;
	size_t ncap;

	if (l == NULL || l->type != VAL_LIST || item == NULL)
		return;
	if (l->u.list.n == l->u.list.cap) {
		ncap = l->u.list.cap ? l->u.list.cap * 2 : 8;
		items = arena_alloc(a, ncap * sizeof(*items));
		if (l->u.list.n)
			memcpy(items, l->u.list.items,
			    l->u.list.n * sizeof(*items));
		l->u.list.items = items;
		l->u.list.cap = ncap;
	}
	l->u.list.items[l->u.list.n++] = item;
}

void
val_set(struct arena *a, struct val *o, const char *key, struct val *v)
{
	struct val_kv *kv;
	size_t i, ncap;

	if (o == NULL || o->type != VAL_OBJ || v == NULL)
		return;
	for (i = 0; i < o->u.obj.n; i++)
		if (o->u.obj.kv[i].key[0] == key[0] &&
		    strcmp(o->u.obj.kv[i].key, key) == 0) {
			o->u.obj.kv[i].v = v;
			return;
		}
	if (o->u.obj.n == o->u.obj.cap) {
		ncap = o->u.obj.cap ? o->u.obj.cap * 2 : 8;
		kv = arena_alloc(a, ncap * sizeof(*kv));
		if (o->u.obj.n)
			memcpy(kv, o->u.obj.kv, o->u.obj.n * sizeof(*kv));
		o->u.obj.kv = kv;
		o->u.obj.cap = ncap;
	}
	o->u.obj.kv[o->u.obj.n].key = arena_strdup(a, key);
	o->u.obj.kv[o->u.obj.n].v = v;
	o->u.obj.n++;
}

void
val_set_str(struct arena *a, struct val *o, const char *key, const char *s)
{
	val_set(a, o, key, val_str(a, s));
}

void
val_set_int(struct arena *a, struct val *o, const char *key, long long n)
{
	val_set(a, o, key, val_num(a, (double)n));
}

void
val_set_bool(struct arena *a, struct val *o, const char *key, int b)
{
	val_set(a, o, key, val_bool(a, b));
}

struct val *
val_get(const struct val *o, const char *key)
{
	size_t i;

	if (o == NULL || o->type != VAL_OBJ)
		return NULL;
	/* the first byte first: most keys differ there, and a call of
	 * strcmp for each key of each lookup was 4% of an export */
	for (i = 0; i < o->u.obj.n; i++)
		if (o->u.obj.kv[i].key[0] == key[0] &&
		    strcmp(o->u.obj.kv[i].key, key) == 0)
			return o->u.obj.kv[i].v;
	return NULL;
}

int
val_truthy(const struct val *v)
{
	if (v == NULL)
		return 0;
	switch (v->type) {
	case VAL_NULL:
		return 0;
	case VAL_BOOL:
		return v->u.b;
	case VAL_NUM:
		return 1;
	case VAL_STR:
	case VAL_HTML:
		return v->u.str.len > 0;
	case VAL_LIST:
		return v->u.list.n > 0;
	default:
		return 1;
	}
}
