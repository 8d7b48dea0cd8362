/* stem.c: words of a text and their Snowball stems (libstemmer), shared by
 * the search tokenizer (db.c) and the query parser (search.c). */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libstemmer.h>

#include "extern.h"

struct stem {
	struct sb_stemmer *sb;
	char lang[8];
};

/* Our language codes (ISO 639-1) and Snowball's algorithm names. */
static const struct {
	const char *code;
	const char *algorithm;
} stem_langs[] = {
    {"ar", "arabic"},
    {"ca", "catalan"},
    {"da", "danish"},
    {"de", "german"},
    {"el", "greek"},
    {"en", "english"},
    {"es", "spanish"},
    {"eu", "basque"},
    {"fi", "finnish"},
    {"fr", "french"},
    {"ga", "irish"},
    {"hi", "hindi"},
    {"hu", "hungarian"},
    {"hy", "armenian"},
    {"id", "indonesian"},
    {"it", "italian"},
    {"lt", "lithuanian"},
    {"ne", "nepali"},
    {"nl", "dutch"},
    {"no", "norwegian"},
    {"nb", "norwegian"},
    {"pt", "portuguese"},
    {"ro", "romanian"},
    {"ru", "russian"},
    {"sr", "serbian"},
    {"sv", "swedish"},
    {"ta", "tamil"},
    {"tr", "turkish"},
    {"yi", "yiddish"},
};

const char *
stem_algorithm(const char *lang)
{
	size_t i, n;

	if (lang == NULL)
		return "english";
	/* "pt-BR" and "pt_BR" count as "pt" */
	for (n = 0; lang[n] && lang[n] != '-' && lang[n] != '_'; n++)
		;
	for (i = 0; i < sizeof(stem_langs) / sizeof(*stem_langs); i++)
		if (strlen(stem_langs[i].code) == n &&
		    strncasecmp(lang, stem_langs[i].code, n) == 0)
			return stem_langs[i].algorithm;
	return "english";
}

struct stem *
stem_new(const char *lang)
{
	struct stem *s;

	if ((s = calloc(1, sizeof(*s))) == NULL)
		return NULL;
	if ((s->sb = sb_stemmer_new(stem_algorithm(lang), "UTF_8")) == NULL) {
		free(s);
		return NULL;
	}
	if (lang != NULL)
		strncpy(s->lang, lang, sizeof(s->lang) - 1);
	return s;
}

void
stem_free(struct stem *s)
{
	if (s == NULL)
		return;
	sb_stemmer_delete(s->sb);
	free(s);
}

const char *
stem_lang(const struct stem *s)
{
	return s->lang;
}

const char *
stem_word(struct stem *s, const char *w, size_t n, size_t *outlen)
{
	const sb_symbol *o;

	o = sb_stemmer_stem(s->sb, (const sb_symbol *)w, (int)n);
	if (o == NULL) { /* out of memory: the word as it is */
		*outlen = n;
		return w;
	}
	*outlen = (size_t)sb_stemmer_length(s->sb);
	return (const char *)o;
}

/*
 * What the character at s (n bytes left) is: 1 a letter or digit, 2 an
 * apostrophe (' or U+2019), 0 anything else. *len is its length in bytes
 * (1 for an invalid byte). Multibyte letters count as letters except the
 * Latin-1 punctuation, general punctuation and CJK punctuation blocks.
 */
static int
stem_class(const unsigned char *s, size_t n, size_t *len)
{
	size_t l;

	*len = 1;
	if (*s < 0x80)
		return (*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
			(*s >= '0' && *s <= '9')
		    ? 1
		    : *s == '\'' ? 2
				 : 0;
	if ((l = buf_utf8_len(s, n)) == 0)
		return 0;
	*len = l;
	if (l == 2 && s[0] == 0xc2) /* U+0080..U+00BF */
		return 0;
	if (l == 2 && s[0] == 0xc3 && (s[1] == 0x97 || s[1] == 0xb7))
		return 0; /* × ÷ */
	if (l == 3 && s[0] == 0xe2 && s[1] == 0x80 && s[2] == 0x99)
		return 2; /* ’ */
	if (l == 3 && s[0] == 0xe2 && (s[1] == 0x80 || s[1] == 0x81))
		return 0; /* U+2000..U+207F */
	if (l == 3 && s[0] == 0xe3 && s[1] == 0x80)
		return 0; /* U+3000..U+303F */
	if (l == 3 && s[0] == 0xef && s[1] == 0xbb && s[2] == 0xbf)
		return 0; /* BOM */
	return 1;
}

/* Appends the lowercase form of the letter at s (len bytes) to out. */
static size_t
stem_fold(const unsigned char *s, size_t len, char *out)
{
	if (len == 1) {
		out[0] = (char)(*s >= 'A' && *s <= 'Z' ? *s + 32 : *s);
		return 1;
	}
	memcpy(out, s, len);
	if (len == 2 && s[0] == 0xc3 && s[1] >= 0x80 && s[1] <= 0x9e)
		out[1] = (char)(s[1] + 0x20); /* À..Þ */
	else if (len == 2 && s[0] == 0xd0 && s[1] >= 0x90 && s[1] <= 0x9f)
		out[1] = (char)(s[1] + 0x20); /* А..П */
	else if (len == 2 && s[0] == 0xd0 && s[1] >= 0xa0 && s[1] <= 0xaf) {
		out[0] = (char)0xd1; /* Р..Я */
		out[1] = (char)(s[1] - 0x20);
	} else if (len == 2 && s[0] == 0xd0 && s[1] >= 0x80 && s[1] <= 0x8f) {
		out[0] = (char)0xd1; /* Ѐ..Џ */
		out[1] = (char)(s[1] + 0x10);
	}
	return len;
}

size_t
stem_next(const char *text, size_t n, size_t *pos, size_t *start, size_t *end,
    char *out, size_t cap)
{
	const unsigned char *s = (const unsigned char *)text;
	size_t i = *pos, len, alen, olen = 0;
	int c;

	/* skip to the first letter */
	while (i < n && stem_class(s + i, n - i, &len) != 1)
		i += len;
	if (i >= n) {
		*pos = n;
		return 0;
	}
	*start = i;
	for (;;) {
		if (i < n && (c = stem_class(s + i, n - i, &len)) == 1) {
			if (olen + len <= cap) /* past cap: the word is cut */
				olen += stem_fold(s + i, len, out + olen);
			i += len;
			continue;
		}
		/* an apostrophe between letters joins them */
		if (i < n && c == 2 && i + len < n &&
		    stem_class(s + i + len, n - i - len, &alen) == 1) {
			i += len;
			continue;
		}
		break;
	}
	*end = i;
	*pos = i;
	return olen;
}
