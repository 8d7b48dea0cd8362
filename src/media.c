/* media.c: uploaded files checked by content (libmagic), and images
 * decoded, bounded, rotated, stripped and resized with libvips. */
#include <dlfcn.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <magic.h>

/*
 * Only the types, enums and macros of these headers are used: herald does
 * not link libvips, whose ~100 libraries the loader would map and
 * relocate at every exec (a start took about twice as long), but opens
 * it on the first upload (media_init). So no macro that calls
 * GLib may be used (VIPS_INIT, G_OBJECT and other checked casts), and
 * every call goes through the pointers in lib (struct media_lib).
 * glib's headers are not clean under our warnings; keep them quiet here.
 */
#define G_DISABLE_CAST_CHECKS
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wstrict-prototypes"
#pragma GCC diagnostic ignored "-Wshadow"
#pragma GCC diagnostic ignored "-Wpointer-arith"
#include <vips/vips.h>
#pragma GCC diagnostic pop

/* GLib's type-safe g_object_ref(x) macro would expand in lib.g_object_ref(x);
 * the function behind the pointer is the same. */
#undef g_object_ref

#include "extern.h"

/* The widths made, smallest first (never wider than the original). */
static const int media_widths[] = {480, 960, 1600};
#define MEDIA_NWIDTHS (sizeof(media_widths) / sizeof(*media_widths))

#define MEDIA_WEBP_Q 80
#define MEDIA_JPEG_Q 82

/* The four formats we accept; the loader is chosen by content only. */
enum media_fmt { MEDIA_JPEG, MEDIA_PNG, MEDIA_GIF, MEDIA_WEBP, MEDIA_FMT__MAX };

static const char *const media_fmt_ctypes[MEDIA_FMT__MAX] = {
    "image/jpeg",
    "image/png",
    "image/gif",
    "image/webp",
};

/*
 * MIME types libmagic commonly reports, so media_sniff can return a
 * static string for them. Anything else is copied into a thread-local
 * buffer (see media_sniff).
 */
static const char *const media_known_types[] = {
    "image/jpeg",
    "image/png",
    "image/gif",
    "image/webp",
    "image/svg+xml",
    "image/bmp",
    "image/tiff",
    "image/heic",
    "image/avif",
    "image/x-icon",
    "image/vnd.microsoft.icon",
    "application/pdf",
    "application/zip",
    "application/gzip",
    "application/x-empty",
    "application/octet-stream",
    "application/x-executable",
    "application/x-pie-executable",
    "application/x-sharedlib",
    "application/x-object",
    "application/x-shellscript",
    "application/javascript",
    "application/json",
    "application/xml",
    "text/plain",
    "text/html",
    "text/xml",
    "text/x-c",
    "text/x-shellscript",
    "text/x-script.python",
    "inode/x-empty",
};

/* The libvips ABI these headers describe, and so the file to open. */
#define MEDIA_VIPS_SONAME "libvips.so.42"
_Static_assert(VIPS_LIBRARY_CURRENT - VIPS_LIBRARY_AGE == 42,
    "the libvips headers are not those of " MEDIA_VIPS_SONAME);

/* vips_block_untrusted_set came with libvips 8.13. */
#if VIPS_MAJOR_VERSION > 8 ||                                                  \
    (VIPS_MAJOR_VERSION == 8 && VIPS_MINOR_VERSION >= 13)
#define MEDIA_VIPS_BLOCK 1
#define MEDIA_LIB_BLOCK X(vips_block_untrusted_set)
#else
#define MEDIA_VIPS_BLOCK 0
#define MEDIA_LIB_BLOCK
#endif

/* Every libvips and GLib function this file calls, each fetched by its
 * name from the library opened by media_init. */
#define MEDIA_LIB_FUNCS                                                        \
	X(g_free)                                                              \
	X(g_object_ref)                                                        \
	X(g_object_unref)                                                      \
	X(g_strfreev)                                                          \
	X(vips_area_unref)                                                     \
	X(vips_array_double_new)                                               \
	MEDIA_LIB_BLOCK                                                        \
	X(vips_cache_set_max)                                                  \
	X(vips_cache_set_max_files)                                            \
	X(vips_cache_set_max_mem)                                              \
	X(vips_cast_uchar)                                                     \
	X(vips_colourspace)                                                    \
	X(vips_concurrency_set)                                                \
	X(vips_copy)                                                           \
	X(vips_error_buffer)                                                   \
	X(vips_error_clear)                                                    \
	X(vips_flatten)                                                        \
	X(vips_gifload_buffer)                                                 \
	X(vips_image_copy_memory)                                              \
	X(vips_image_get_bands)                                                \
	X(vips_image_get_fields)                                               \
	X(vips_image_get_format)                                               \
	X(vips_image_get_height)                                               \
	X(vips_image_get_int)                                                  \
	X(vips_image_get_interpretation)                                       \
	X(vips_image_get_typeof)                                               \
	X(vips_image_get_width)                                                \
	X(vips_image_hasalpha)                                                 \
	X(vips_image_remove)                                                   \
	X(vips_init)                                                           \
	X(vips_jpegload_buffer)                                                \
	X(vips_jpegsave_buffer)                                                \
	X(vips_pngload_buffer)                                                 \
	X(vips_pngsave_buffer)                                                 \
	X(vips_thumbnail_image)                                                \
	X(vips_version)                                                        \
	X(vips_webpload_buffer)                                                \
	X(vips_webpsave_buffer)

/* Pointers of the very types the headers declare; all set once
 * media_init has returned 0, and never changed after. */
static struct media_lib {
#define X(f) __typeof__(f) *f;
	MEDIA_LIB_FUNCS
#undef X
} lib;

static pthread_once_t media_once = PTHREAD_ONCE_INIT;
static int media_init_rc = -1;
/* Why uploads fail when media_init did, for the editor (one sentence). */
static const char *media_init_why = "Images cannot be processed right now.";

/*
 * Opens libvips and starts it. The handle is never closed, not even on
 * failure: once vips_init has run, GLib's types and threads cannot be
 * unloaded, and a failed start is not tried again anyway.
 */
static void
media_init_once(void)
{
	void *h;
	int abi;

	/* RTLD_LOCAL: libvips' GLib is no one else's business; its
	 * modules (vips-heif.so, ...) link libvips themselves. */
	if ((h = dlopen(MEDIA_VIPS_SONAME, RTLD_NOW | RTLD_LOCAL)) == NULL) {
		fprintf(stderr,
		    "media: cannot load libvips, so images cannot be "
		    "uploaded (install libvips42): %s\n",
		    dlerror());
		media_init_why = "Images cannot be processed: libvips is not "
				 "installed on the server.";
		return;
	}
#define X(f)                                                                   \
	if ((lib.f = (__typeof__(lib.f))dlsym(h, #f)) == NULL) {               \
		fprintf(                                                       \
		    stderr, "media: %s: %s\n", MEDIA_VIPS_SONAME, dlerror());  \
		return;                                                        \
	}
	MEDIA_LIB_FUNCS
#undef X
	/* What VIPS_INIT checks, without its calls (g_warning, ...). */
	abi = lib.vips_version(3) - lib.vips_version(5);
	if (abi != VIPS_LIBRARY_CURRENT - VIPS_LIBRARY_AGE) {
		fprintf(stderr,
		    "media: %s has ABI version %d, herald was built for %d\n",
		    MEDIA_VIPS_SONAME, abi,
		    VIPS_LIBRARY_CURRENT - VIPS_LIBRARY_AGE);
		return;
	}
	if (lib.vips_init("herald") != 0) {
		fprintf(stderr, "media: cannot start libvips: %s\n",
		    lib.vips_error_buffer());
		lib.vips_error_clear();
		return;
	}
	/* The server has its own threads; one uploaded image at a time
	 * needs no pool of its own, and nothing is kept between uploads. */
	lib.vips_concurrency_set(1);
	lib.vips_cache_set_max(0);
	lib.vips_cache_set_max_mem(0);
	lib.vips_cache_set_max_files(0);
#if MEDIA_VIPS_BLOCK
	/* Only the four loaders below are ever called by name, but this
	 * also shuts out the risky ones (ImageMagick, PDF, ...) if some
	 * later code reaches them through a generic entry point. */
	lib.vips_block_untrusted_set(TRUE);
#endif
	media_init_rc = 0;
}

int
media_init(void)
{
	if (pthread_once(&media_once, media_init_once) != 0)
		return -1;
	return media_init_rc;
}

/* The libmagic handle of this thread (not thread safe, so one each),
 * opened on first use and closed when the thread exits; NULL on error. */
static pthread_key_t media_magic_key;
static pthread_once_t media_magic_once = PTHREAD_ONCE_INIT;
static int media_magic_key_ok;

static void
media_magic_destroy(void *p)
{
	magic_close(p);
}

static void
media_magic_key_init(void)
{
	media_magic_key_ok =
	    pthread_key_create(&media_magic_key, media_magic_destroy) == 0;
}

static magic_t
media_magic(void)
{
	static _Thread_local magic_t m;

	if (m != NULL)
		return m;
	if (pthread_once(&media_magic_once, media_magic_key_init) != 0 ||
	    !media_magic_key_ok)
		return NULL;
	m = magic_open(MAGIC_MIME_TYPE | MAGIC_NO_CHECK_COMPRESS | MAGIC_ERROR);
	if (m == NULL)
		return NULL;
	if (magic_load(m, NULL) != 0 ||
	    pthread_setspecific(media_magic_key, m) != 0) {
		magic_close(m);
		m = NULL;
	}
	return m;
}

/*
 * Known types come back as static strings; any other type is copied into
 * a thread-local buffer, valid until the next media_sniff in the same
 * thread (callers use it at once, for a message).
 */
const char *
media_sniff(const void *data, size_t len)
{
	static _Thread_local char other[128];
	magic_t m;
	const char *t;
	size_t i, n;

	if ((m = media_magic()) == NULL)
		return NULL;
	if (data == NULL)
		data = "";
	if ((t = magic_buffer(m, data, len)) == NULL)
		return NULL;
	for (i = 0; i < sizeof(media_known_types) / sizeof(*media_known_types);
	     i++)
		if (strcmp(t, media_known_types[i]) == 0)
			return media_known_types[i];
	n = strlen(t);
	if (n >= sizeof(other))
		n = sizeof(other) - 1;
	memcpy(other, t, n);
	other[n] = '\0';
	return other;
}

/*
 * libmagic calls anything that starts with "%PDF-" a PDF, so also ask for
 * the trailer's "%%EOF" in the last 1024 bytes (where PDF readers look
 * for it): other files given a PDF header are not taken for documents.
 */
int
media_is_pdf(const void *data, size_t len)
{
	const unsigned char *p = data;
	const char *t;
	size_t off;

	if (data == NULL || len < 5 || memcmp(data, "%PDF-", 5) != 0)
		return 0;
	off = len > 1024 ? len - 1024 : 0;
	for (; off + 5 <= len; off++)
		if (memcmp(p + off, "%%EOF", 5) == 0)
			break;
	if (off + 5 > len)
		return 0;
	t = media_sniff(data, len);
	return t != NULL && strcmp(t, "application/pdf") == 0;
}

void
media_img_free(struct media_img *img)
{
	size_t i;

	if (img == NULL)
		return;
	for (i = 0; i < img->nv && i < MEDIA_MAX_VARIANTS; i++)
		free(img->v[i].data);
	memset(img, 0, sizeof(*img));
}

/* Writes one sentence into err (printf-like). */
static void media_err(char *, size_t, const char *, ...)
    __attribute__((format(printf, 3, 4)));

static void
media_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL || errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

/* Opens the bytes with the one loader for fmt, lazily and sequentially,
 * failing on truncation and decoder errors. NULL on error. */
static VipsImage *
media_load(enum media_fmt fmt, const void *data, size_t len)
{
	VipsImage *im = NULL;
	void *buf = (void *)data; /* vips does not write to it */
	int rc = -1;

	switch (fmt) {
	case MEDIA_JPEG:
		rc = lib.vips_jpegload_buffer(buf, len, &im, "access",
		    VIPS_ACCESS_SEQUENTIAL, "fail_on", VIPS_FAIL_ON_ERROR,
		    NULL);
		break;
	case MEDIA_PNG:
		rc = lib.vips_pngload_buffer(buf, len, &im, "access",
		    VIPS_ACCESS_SEQUENTIAL, "fail_on", VIPS_FAIL_ON_ERROR,
		    NULL);
		break;
	case MEDIA_GIF:
		rc = lib.vips_gifload_buffer(buf, len, &im, "access",
		    VIPS_ACCESS_SEQUENTIAL, "fail_on", VIPS_FAIL_ON_ERROR,
		    NULL);
		break;
	case MEDIA_WEBP:
		rc = lib.vips_webpload_buffer(buf, len, &im, "access",
		    VIPS_ACCESS_SEQUENTIAL, "fail_on", VIPS_FAIL_ON_ERROR,
		    NULL);
		break;
	default:
		break;
	}
	if (rc != 0) {
		if (im != NULL)
			lib.g_object_unref(im);
		return NULL;
	}
	return im;
}

/*
 * Brings a decoded image to 8-bit sRGB (or 8-bit grey) without metadata,
 * and for a JPEG output flattens any alpha onto white. Returns a new reference
 * in *out (the caller unrefs it) or -1.
 */
static int
media_normalise(VipsImage *in, int for_jpeg, VipsImage **out)
{
	VipsImage *cur, *t = NULL;
	VipsInterpretation want;
	gchar **fields;
	size_t i;

	cur = in;
	lib.g_object_ref(cur);
	want = lib.vips_image_get_bands(cur) - lib.vips_image_hasalpha(cur) >= 3
	    ? VIPS_INTERPRETATION_sRGB
	    : VIPS_INTERPRETATION_B_W;
	if (lib.vips_image_get_interpretation(cur) != want ||
	    lib.vips_image_get_format(cur) != VIPS_FORMAT_UCHAR) {
		if (lib.vips_colourspace(cur, &t, want, NULL) != 0)
			goto fail;
		lib.g_object_unref(cur);
		cur = t;
		t = NULL;
	}
	if (lib.vips_image_get_format(cur) != VIPS_FORMAT_UCHAR) {
		if (lib.vips_cast_uchar(cur, &t, NULL) != 0)
			goto fail;
		lib.g_object_unref(cur);
		cur = t;
		t = NULL;
	}
	if (for_jpeg && lib.vips_image_hasalpha(cur)) {
		double white[3] = {255, 255, 255};
		VipsArrayDouble *bg;
		int rc;

		bg = lib.vips_array_double_new(
		    white, lib.vips_image_get_bands(cur) >= 3 ? 3 : 1);
		rc = lib.vips_flatten(cur, &t, "background", bg, NULL);
		lib.vips_area_unref(VIPS_AREA(bg));
		if (rc != 0)
			goto fail;
		lib.g_object_unref(cur);
		cur = t;
		t = NULL;
	}
	/* A copy without any metadata (EXIF, XMP, IPTC, ICC, ...): libvips
	 * 8.14's webpsave keeps the EXIF even with "strip", so the savers'
	 * "strip" is not relied on alone. */
	if (lib.vips_copy(cur, &t, NULL) != 0)
		goto fail;
	lib.g_object_unref(cur);
	cur = t;
	t = NULL;
	if ((fields = lib.vips_image_get_fields(cur)) != NULL) {
		for (i = 0; fields[i] != NULL; i++)
			(void)lib.vips_image_remove(cur, fields[i]);
		lib.g_strfreev(fields);
	}
	*out = cur;
	return 0;
fail:
	if (t != NULL)
		lib.g_object_unref(t);
	lib.g_object_unref(cur);
	return -1;
}

static uint32_t
media_le32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	    (uint32_t)p[3] << 24;
}

/*
 * Takes the EXIF, XMP and ICC chunks out of a WebP file in place (libvips
 * 8.14 writes an EXIF chunk even when asked to strip), clearing their
 * flags in VP8X and fixing the RIFF size. Returns 0, or -1 if the file
 * is not the RIFF WebP it should be.
 */
static int
media_webp_strip(unsigned char *p, size_t *lenp)
{
	size_t len = *lenp, in = 12, o = 12, csz;
	uint32_t n;

	if (len < 12 || memcmp(p, "RIFF", 4) != 0 ||
	    memcmp(p + 8, "WEBP", 4) != 0 || media_le32(p + 4) != len - 8)
		return -1;
	while (in < len) {
		if (len - in < 8)
			return -1;
		n = media_le32(p + in + 4);
		csz = 8 + (size_t)n + (n & 1);
		if (csz > len - in)
			return -1;
		if (memcmp(p + in, "EXIF", 4) == 0 ||
		    memcmp(p + in, "XMP ", 4) == 0 ||
		    memcmp(p + in, "ICCP", 4) == 0) {
			in += csz;
			continue;
		}
		if (memcmp(p + in, "VP8X", 4) == 0 && n >= 1)
			p[in + 8] &= (unsigned char)~(0x20 | 0x08 | 0x04);
		memmove(p + o, p + in, csz);
		o += csz;
		in += csz;
	}
	n = (uint32_t)(o - 8);
	p[4] = (unsigned char)n;
	p[5] = (unsigned char)(n >> 8);
	p[6] = (unsigned char)(n >> 16);
	p[7] = (unsigned char)(n >> 24);
	*lenp = o;
	return 0;
}

/* Saves im in format ("webp", "jpeg" or "png") into v, with all metadata
 * stripped; v->data is malloc'd. Returns 0 or -1. */
static int
media_save(VipsImage *im, const char *format, struct media_variant *v)
{
	VipsImage *norm = NULL;
	void *vbuf = NULL;
	size_t vlen = 0;
	int rc = -1, is_jpeg, is_png;

	is_jpeg = strcmp(format, "jpeg") == 0;
	is_png = strcmp(format, "png") == 0;
	if (media_normalise(im, is_jpeg, &norm) != 0)
		goto done;
	if (is_jpeg)
		rc = lib.vips_jpegsave_buffer(norm, &vbuf, &vlen, "Q",
		    MEDIA_JPEG_Q, "interlace", TRUE, "strip", TRUE,
		    "optimize_coding", TRUE, NULL);
	else if (is_png)
		rc = lib.vips_pngsave_buffer(
		    norm, &vbuf, &vlen, "strip", TRUE, NULL);
	else
		rc = lib.vips_webpsave_buffer(
		    norm, &vbuf, &vlen, "Q", MEDIA_WEBP_Q, "strip", TRUE, NULL);
	if (rc != 0)
		goto done;
	rc = -1;
	if (vlen == 0 || (v->data = malloc(vlen)) == NULL)
		goto done;
	memcpy(v->data, vbuf, vlen);
	if (!is_jpeg && !is_png && media_webp_strip(v->data, &vlen) != 0) {
		free(v->data);
		v->data = NULL;
		goto done;
	}
	v->len = vlen;
	v->width = lib.vips_image_get_width(norm);
	v->height = lib.vips_image_get_height(norm);
	v->format = is_jpeg ? "jpeg" : is_png ? "png" : "webp";
	v->ctype = is_jpeg ? "image/jpeg" : is_png ? "image/png" : "image/webp";
	rc = 0;
done:
	lib.g_free(vbuf);
	if (norm != NULL)
		lib.g_object_unref(norm);
	return rc;
}

/* Resizes in (already rotated) to exactly width pixels wide, keeping the
 * aspect ratio. A new reference in *out, or -1. */
static int
media_resize(VipsImage *in, int width, VipsImage **out)
{
	if (lib.vips_image_get_width(in) == width) {
		lib.g_object_ref(in);
		*out = in;
		return 0;
	}
	return lib.vips_thumbnail_image(in, out, width, "height",
	    VIPS_MAX_COORD, "size", VIPS_SIZE_DOWN, "no_rotate", TRUE, NULL);
}

int
media_process(const void *data, size_t len, struct media_img *out, char *err,
    size_t errlen)
{
	static const char damaged[] =
	    "The image could not be read; it may be damaged.";
	VipsImage *in = NULL, *top = NULL, *sized = NULL;
	const char *t, *ownfmt;
	enum media_fmt fmt;
	int widths[MEDIA_NWIDTHS], w, h, rw, nw = 0, rc = -1, orient;
	size_t i;

	memset(out, 0, sizeof(*out));
	if (err != NULL && errlen > 0)
		err[0] = '\0';
	if (media_init() != 0) {
		media_err(err, errlen, "%s", media_init_why);
		return -1;
	}
	if (data == NULL || len == 0) {
		media_err(err, errlen, "The file is empty.");
		return -1;
	}
	if (len > MEDIA_MAX_BYTES) {
		media_err(err, errlen,
		    "The image is too large: at most %zu MB.",
		    MEDIA_MAX_BYTES >> 20);
		return -1;
	}
	if ((t = media_sniff(data, len)) == NULL) {
		media_err(err, errlen, "The type of this file is unknown.");
		return -1;
	}
	for (fmt = 0; fmt < MEDIA_FMT__MAX; fmt++)
		if (strcmp(t, media_fmt_ctypes[fmt]) == 0)
			break;
	if (fmt == MEDIA_FMT__MAX) {
		media_err(
		    err, errlen, "This file is not an image (it is %s).", t);
		return -1;
	}

	/* The header only: no pixel is decoded before the size is known. */
	if ((in = media_load(fmt, data, len)) == NULL) {
		media_err(err, errlen, "%s", damaged);
		goto done;
	}
	w = lib.vips_image_get_width(in);
	h = lib.vips_image_get_height(in);
	if (w <= 0 || h <= 0) {
		media_err(err, errlen, "%s", damaged);
		goto done;
	}
	if ((int64_t)w * h > MEDIA_MAX_PIXELS) {
		media_err(err, errlen,
		    "The image is too large: at most %d megapixels.",
		    MEDIA_MAX_PIXELS / 1000000);
		goto done;
	}

	/* The width after EXIF rotation (orientations 5 to 8 turn by 90). */
	orient = 1;
	if (lib.vips_image_get_typeof(in, VIPS_META_ORIENTATION) != 0 &&
	    lib.vips_image_get_int(in, VIPS_META_ORIENTATION, &orient) != 0)
		orient = 1;
	rw = orient >= 5 && orient <= 8 ? h : w;

	for (i = 0; i < MEDIA_NWIDTHS; i++)
		if (media_widths[i] <= rw)
			widths[nw++] = media_widths[i];
	if (nw == 0)
		widths[nw++] = rw;

	/*
	 * The widest variant straight from the sequential source (vips
	 * shrinks, then applies the EXIF rotation, and drops the
	 * orientation tag), made whole in memory: this is where the file
	 * is decoded, so truncation and decoder errors show up here. The
	 * narrower ones are made from it.
	 */
	if (lib.vips_thumbnail_image(in, &sized, widths[nw - 1], "height",
		VIPS_MAX_COORD, "size", VIPS_SIZE_DOWN, NULL) != 0) {
		media_err(err, errlen, "%s", damaged);
		goto done;
	}
	top = lib.vips_image_copy_memory(sized);
	lib.g_object_unref(sized);
	sized = NULL;
	if (top == NULL) {
		media_err(err, errlen, "%s", damaged);
		goto done;
	}
	lib.g_object_unref(in);
	in = NULL;

	ownfmt = fmt == MEDIA_PNG || fmt == MEDIA_GIF ? "png" : "jpeg";
	for (i = 0; i < (size_t)nw; i++) {
		if (out->nv + 2 > MEDIA_MAX_VARIANTS)
			break;
		if (media_resize(top, widths[i], &sized) != 0 ||
		    media_save(sized, "webp", &out->v[out->nv]) != 0) {
			media_err(err, errlen, "%s", damaged);
			goto done;
		}
		out->nv++;
		if (media_save(sized, ownfmt, &out->v[out->nv]) != 0) {
			media_err(err, errlen, "%s", damaged);
			goto done;
		}
		out->nv++;
		lib.g_object_unref(sized);
		sized = NULL;
	}
	out->ctype = media_fmt_ctypes[fmt];
	out->width = rw;
	out->height = orient >= 5 && orient <= 8 ? w : h;
	rc = 0;
done:
	if (sized != NULL)
		lib.g_object_unref(sized);
	if (top != NULL)
		lib.g_object_unref(top);
	if (in != NULL)
		lib.g_object_unref(in);
	if (rc != 0) {
		media_img_free(out);
		lib.vips_error_clear();
		if (err != NULL && errlen > 0 && err[0] == '\0')
			media_err(err, errlen, "%s", damaged);
	}
	return rc;
}
