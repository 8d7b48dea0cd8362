/* test_media.c: uploads checked by content: images made here with libvips
 * go through media_process (variants, rotation, stripping), and files that
 * are not acceptable images (PDF, ELF, text, SVG, too big, damaged) are
 * refused; media_sniff and media_is_pdf on known bytes. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wstrict-prototypes"
#pragma GCC diagnostic ignored "-Wshadow"
#pragma GCC diagnostic ignored "-Wpointer-arith"
#include <vips/vips.h>
#pragma GCC diagnostic pop

#include "extern.h"
#include "unit.h"

#define MEDIA_T_ARTIST "secret-artist-1b7c"
#define MEDIA_T_XMP "secret-xmp-93fa"

static const char media_t_pdf[] =
    "%PDF-1.4\n"
    "1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n"
    "2 0 obj\n<< /Type /Pages /Kids [] /Count 0 >>\nendobj\n"
    "xref\n0 3\n0000000000 65535 f \n0000000009 00000 n \n"
    "0000000058 00000 n \n"
    "trailer\n<< /Size 3 /Root 1 0 R >>\nstartxref\n110\n%%EOF\n";

/* 1 when needle occurs in the n bytes at p. */
static int
media_t_has(const unsigned char *p, size_t n, const char *needle)
{
	size_t i, k = strlen(needle);

	for (i = 0; i + k <= n; i++)
		if (memcmp(p + i, needle, k) == 0)
			return 1;
	return 0;
}

/* A w x h 8-bit sRGB image: noise (like a photo, hard to compress: kind
 * 1), a flat grey (0), or a flat grey with a half-transparent alpha (2).
 * A new reference, or NULL. */
static VipsImage *
media_t_image(int w, int h, int noise)
{
	VipsImage *a = NULL, *b = NULL, *c = NULL, *d = NULL;
	VipsImage *bands[3];

	if (noise) {
		if (vips_gaussnoise(
			&a, w, h, "mean", 128.0, "sigma", 40.0, NULL) != 0 ||
		    vips_cast_uchar(a, &b, NULL) != 0)
			goto done;
		bands[0] = bands[1] = bands[2] = b;
		if (vips_bandjoin(bands, &c, 3, NULL) != 0)
			goto done;
	} else {
		if (vips_black(&a, w, h, "bands", 3, NULL) != 0 ||
		    vips_linear1(a, &b, 1.0, 100.0, NULL) != 0 ||
		    vips_cast_uchar(b, &c, NULL) != 0)
			goto done;
	}
	if (noise == 2) {
		g_object_unref(a);
		a = c;
		c = NULL;
		if (vips_bandjoin_const1(a, &c, 128.0, NULL) != 0)
			goto done;
	}
	if (vips_copy(
		c, &d, "interpretation", VIPS_INTERPRETATION_sRGB, NULL) != 0)
		d = NULL;
done:
	if (a != NULL)
		g_object_unref(a);
	if (b != NULL)
		g_object_unref(b);
	if (c != NULL)
		g_object_unref(c);
	return d;
}

/* Saves im as fmt ("jpeg", "png", "gif", "webp") into malloc'd memory. */
static unsigned char *
media_t_save(VipsImage *im, const char *fmt, size_t *lenp)
{
	void *buf = NULL;
	size_t len = 0;
	unsigned char *p = NULL;
	int rc;

	if (strcmp(fmt, "jpeg") == 0)
		rc = vips_jpegsave_buffer(im, &buf, &len, NULL);
	else if (strcmp(fmt, "png") == 0)
		rc =
		    vips_pngsave_buffer(im, &buf, &len, "compression", 9, NULL);
	else if (strcmp(fmt, "gif") == 0)
		rc = vips_gifsave_buffer(im, &buf, &len, NULL);
	else
		rc = vips_webpsave_buffer(im, &buf, &len, NULL);
	if (rc == 0 && (p = malloc(len)) != NULL) {
		memcpy(p, buf, len);
		*lenp = len;
	}
	g_free(buf);
	vips_error_clear();
	return p;
}

/* A w x h image encoded as fmt, in malloc'd memory; NULL on error. */
static unsigned char *
media_t_make(int w, int h, int noise, const char *fmt, size_t *lenp)
{
	VipsImage *im;
	unsigned char *p;

	if ((im = media_t_image(w, h, noise)) == NULL)
		return NULL;
	p = media_t_save(im, fmt, lenp);
	g_object_unref(im);
	return p;
}

static int
media_t_zeroed(const struct media_img *img)
{
	static const struct media_img zero;

	return memcmp(img, &zero, sizeof(zero)) == 0;
}

/* Decodes a variant whole with the loader for its format, and checks its
 * size and that it carries no metadata. */
static void
media_t_decode(const char *what, const struct media_variant *v)
{
	VipsImage *im = NULL;
	double avg;
	int rc;

	if (strcmp(v->format, "webp") == 0)
		rc = vips_webpload_buffer(v->data, v->len, &im, "fail_on",
		    VIPS_FAIL_ON_WARNING, NULL);
	else if (strcmp(v->format, "jpeg") == 0)
		rc = vips_jpegload_buffer(v->data, v->len, &im, "fail_on",
		    VIPS_FAIL_ON_WARNING, NULL);
	else
		rc = vips_pngload_buffer(v->data, v->len, &im, "fail_on",
		    VIPS_FAIL_ON_WARNING, NULL);
	CHECK(rc == 0 && vips_avg(im, &avg, NULL) == 0, "%s: cannot decode: %s",
	    what, vips_error_buffer());
	vips_error_clear();
	if (rc != 0)
		return;
	CHECK(vips_image_get_width(im) == v->width &&
		vips_image_get_height(im) == v->height,
	    "%s: decodes as %dx%d", what, vips_image_get_width(im),
	    vips_image_get_height(im));
	CHECK(vips_image_get_typeof(im, VIPS_META_EXIF_NAME) == 0 &&
		vips_image_get_typeof(im, VIPS_META_XMP_NAME) == 0 &&
		vips_image_get_typeof(im, VIPS_META_ICC_NAME) == 0 &&
		vips_image_get_typeof(im, VIPS_META_IPTC_NAME) == 0,
	    "%s: has metadata", what);
	g_object_unref(im);
}

/* Checks one variant's size and its first bytes. */
static void
media_t_variant(const char *what, const struct media_variant *v, int w, int h,
    const char *format)
{
	const unsigned char *d = v->data;

	CHECK(v->width == w && v->height == h, "%s: %dx%d, want %dx%d", what,
	    v->width, v->height, w, h);
	CHECK(v->format != NULL && strcmp(v->format, format) == 0,
	    "%s: format %s, want %s", what, v->format ? v->format : "(null)",
	    format);
	if (v->data == NULL || v->len < 12) {
		CHECK(0, "%s: %zu bytes", what, v->len);
		return;
	}
	if (strcmp(format, "webp") == 0)
		CHECK(memcmp(d, "RIFF", 4) == 0 &&
			memcmp(d + 8, "WEBP", 4) == 0 &&
			strcmp(v->ctype, "image/webp") == 0,
		    "%s: not a WebP", what);
	else if (strcmp(format, "jpeg") == 0)
		CHECK(d[0] == 0xff && d[1] == 0xd8 && d[2] == 0xff &&
			strcmp(v->ctype, "image/jpeg") == 0,
		    "%s: not a JPEG", what);
	else
		CHECK(memcmp(d, "\x89PNG\r\n\x1a\n", 8) == 0 &&
			strcmp(v->ctype, "image/png") == 0,
		    "%s: not a PNG", what);
	media_t_decode(what, v);
}

/* Images in, variants out: widths, aspect, formats, first bytes. */
static void
test_media_variants(void)
{
	static const struct {
		const char *in;		 /* the format made */
		int w, h, noise;	 /* of the original */
		const char *ctype, *own; /* of the original; its variants */
		int nw, widths[3];
	} cases[] = {
	    {"jpeg", 2000, 1000, 1, "image/jpeg", "jpeg", 3, {480, 960, 1600}},
	    {"png", 2000, 1000, 0, "image/png", "png", 3, {480, 960, 1600}},
	    {"webp", 1000, 500, 1, "image/webp", "jpeg", 2, {480, 960}},
	    {"gif", 600, 300, 0, "image/gif", "png", 1, {480}},
	    {"jpeg", 300, 200, 1, "image/jpeg", "jpeg", 1, {300}},
	    {"png", 300, 200, 0, "image/png", "png", 1, {300}},
	    {"jpeg", 480, 480, 1, "image/jpeg", "jpeg", 1, {480}},
	    {"jpeg", 960, 100, 1, "image/jpeg", "jpeg", 2, {480, 960}},
	    {"png", 1, 1, 0, "image/png", "png", 1, {1}},
	    {"png", 1000, 800, 2, "image/png", "png", 2, {480, 960}},
	    {"webp", 500, 250, 2, "image/webp", "jpeg", 1, {480}},
	};
	struct media_img img;
	unsigned char *in;
	char err[200], what[80];
	size_t i, j, len = 0;
	int w, h;

	for (i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		in = media_t_make(
		    cases[i].w, cases[i].h, cases[i].noise, cases[i].in, &len);
		if (in == NULL) {
			CHECK(
			    0, "case %zu: cannot make the %s", i, cases[i].in);
			continue;
		}
		err[0] = '\0';
		CHECK(media_process(in, len, &img, err, sizeof(err)) == 0,
		    "case %zu (%s %dx%d): %s", i, cases[i].in, cases[i].w,
		    cases[i].h, err);
		CHECK(
		    img.ctype != NULL && strcmp(img.ctype, cases[i].ctype) == 0,
		    "case %zu: ctype %s", i, img.ctype ? img.ctype : "(null)");
		CHECK(img.width == cases[i].w && img.height == cases[i].h,
		    "case %zu: original %dx%d", i, img.width, img.height);
		CHECK(img.nv == 2 * (size_t)cases[i].nw,
		    "case %zu: %zu variants", i, img.nv);
		for (j = 0; j < img.nv && j / 2 < (size_t)cases[i].nw; j++) {
			w = cases[i].widths[j / 2];
			h = (int)((double)cases[i].h * w / cases[i].w + 0.5);
			snprintf(
			    what, sizeof(what), "case %zu variant %zu", i, j);
			media_t_variant(what, &img.v[j], w, h,
			    j % 2 == 0 ? "webp" : cases[i].own);
		}
		media_img_free(&img);
		CHECK(media_t_zeroed(&img), "case %zu: not freed", i);
		free(in);
	}
	media_img_free(NULL);
}

/* EXIF orientation is applied; EXIF and XMP are gone from the output. */
static void
test_media_exif(void)
{
	static const char xmp[] =
	    "<x:xmpmeta xmlns:x=\"adobe:ns:meta/\">" MEDIA_T_XMP "</x:xmpmeta>";
	VipsImage *im, *c = NULL;
	struct media_img img;
	unsigned char *in = NULL;
	char err[200], what[80];
	size_t i, len = 0;

	if ((im = media_t_image(200, 100, 1)) == NULL ||
	    vips_copy(im, &c, NULL) != 0) {
		CHECK(0, "cannot make the EXIF image");
		goto done;
	}
	vips_image_set_int(c, VIPS_META_ORIENTATION, 6);
	vips_image_set_string(c, "exif-ifd0-Artist", MEDIA_T_ARTIST);
	vips_image_set_blob_copy(c, VIPS_META_XMP_NAME, xmp, sizeof(xmp) - 1);
	if ((in = media_t_save(c, "jpeg", &len)) == NULL) {
		CHECK(0, "cannot save the EXIF image");
		goto done;
	}
	CHECK(media_t_has(in, len, MEDIA_T_ARTIST) &&
		media_t_has(in, len, MEDIA_T_XMP) &&
		media_t_has(in, len, "Exif"),
	    "the test JPEG lacks its EXIF or XMP");
	CHECK(media_process(in, len, &img, err, sizeof(err)) == 0, "exif: %s",
	    err);
	CHECK(img.width == 100 && img.height == 200,
	    "exif: rotated original %dx%d, want 100x200", img.width,
	    img.height);
	CHECK(img.nv == 2, "exif: %zu variants", img.nv);
	for (i = 0; i < img.nv; i++) {
		snprintf(what, sizeof(what), "exif variant %zu", i);
		media_t_variant(
		    what, &img.v[i], 100, 200, i % 2 == 0 ? "webp" : "jpeg");
		CHECK(!media_t_has(img.v[i].data, img.v[i].len, MEDIA_T_ARTIST),
		    "%s keeps the EXIF artist", what);
		CHECK(!media_t_has(img.v[i].data, img.v[i].len, MEDIA_T_XMP),
		    "%s keeps the XMP", what);
		CHECK(!media_t_has(img.v[i].data, img.v[i].len, "Exif") &&
			!media_t_has(img.v[i].data, img.v[i].len, "EXIF"),
		    "%s has an EXIF block", what);
	}
	media_img_free(&img);
done:
	free(in);
	if (c != NULL)
		g_object_unref(c);
	if (im != NULL)
		g_object_unref(im);
}

/* Everything that is not an acceptable image is refused, cleanly. */
static void
test_media_refused(void)
{
	struct {
		const char *name, *want; /* want: in the message */
		unsigned char *data;
		size_t len;
	} cases[10];
	static const char text[] =
	    "Hello, this is plain text.\nNot a picture.\n";
	static const char svg[] =
	    "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"10\" "
	    "height=\"10\"><rect width=\"10\" height=\"10\"/></svg>\n";
	struct media_img img;
	VipsImage *im = NULL;
	unsigned char *jpeg;
	char err[200];
	size_t n = 0, i, len = 0;

	memset(cases, 0, sizeof(cases));
	cases[n].name = "pdf";
	cases[n].want = "not an image (it is application/pdf)";
	cases[n].len = sizeof(media_t_pdf) - 1;
	cases[n].data = malloc(cases[n].len);
	if (cases[n].data != NULL)
		memcpy(cases[n].data, media_t_pdf, cases[n].len);
	n++;
	cases[n].name = "elf";
	cases[n].want = "not an image (it is application/x-";
	cases[n].data = (unsigned char *)unit_slurp("/bin/true", &cases[n].len);
	n++;
	cases[n].name = "text";
	cases[n].want = "text/plain";
	cases[n].len = sizeof(text) - 1;
	if ((cases[n].data = malloc(cases[n].len)) != NULL)
		memcpy(cases[n].data, text, cases[n].len);
	n++;
	cases[n].name = "svg";
	cases[n].want = "not an image (it is image/svg+xml)";
	cases[n].len = sizeof(svg) - 1;
	if ((cases[n].data = malloc(cases[n].len)) != NULL)
		memcpy(cases[n].data, svg, cases[n].len);
	n++;
	cases[n].name = "empty";
	cases[n].want = "empty";
	cases[n].data = malloc(1);
	cases[n].len = 0;
	n++;

	/* 10000 x 6000 = 60 MP, a few kB as a flat grey PNG. */
	cases[n].name = "60 MP";
	cases[n].want = "at most 50 megapixels";
	if (vips_black(&im, 10000, 6000, NULL) == 0) {
		cases[n].data = media_t_save(im, "png", &cases[n].len);
		g_object_unref(im);
		im = NULL;
	}
	n++;

	/* A JPEG cut in half. */
	cases[n].name = "truncated";
	cases[n].want = "damaged";
	if ((jpeg = media_t_make(800, 600, 1, "jpeg", &len)) != NULL) {
		cases[n].len = len / 2;
		cases[n].data = jpeg;
	}
	n++;

	/* A real JPEG header, then more than MEDIA_MAX_BYTES. */
	cases[n].name = "too many bytes";
	cases[n].want = "at most 20 MB";
	cases[n].len = MEDIA_MAX_BYTES + 1;
	if ((cases[n].data = calloc(1, cases[n].len)) != NULL &&
	    (jpeg = media_t_make(16, 16, 1, "jpeg", &len)) != NULL) {
		memcpy(cases[n].data, jpeg, len);
		free(jpeg);
	}
	n++;

	/* A GIF header on random bytes. */
	cases[n].name = "bad gif";
	cases[n].want = "damaged";
	cases[n].len = 4096;
	if ((cases[n].data = malloc(cases[n].len)) != NULL) {
		for (i = 0; i < cases[n].len; i++)
			cases[n].data[i] = (unsigned char)(i * 7919 >> 3);
		memcpy(cases[n].data, "GIF89a\x10\x00\x10\x00\xf7\x00\x00", 13);
	}
	n++;

	for (i = 0; i < n; i++) {
		if (cases[i].data == NULL) {
			CHECK(0, "%s: cannot make the input", cases[i].name);
			continue;
		}
		memset(&img, 0xa5, sizeof(img));
		memset(err, 0, sizeof(err));
		CHECK(media_process(cases[i].data, cases[i].len, &img, err,
			  sizeof(err)) == -1,
		    "%s: taken", cases[i].name);
		CHECK(media_t_zeroed(&img), "%s: out is not empty",
		    cases[i].name);
		CHECK(err[0] != '\0' && strstr(err, cases[i].want) != NULL,
		    "%s: message \"%s\", want \"%s\"", cases[i].name, err,
		    cases[i].want);
		CHECK(strchr(err, '\n') == NULL && err[strlen(err) - 1] == '.',
		    "%s: message \"%s\" is not one sentence", cases[i].name,
		    err);
		free(cases[i].data);
	}

	/* NULL data and a tiny err buffer. */
	CHECK(media_process(NULL, 0, &img, err, sizeof(err)) == -1 &&
		media_t_zeroed(&img) && err[0] != '\0',
	    "NULL data is taken");
	err[0] = 'x';
	err[1] = 'y';
	CHECK(media_process(svg, sizeof(svg) - 1, &img, err, 2) == -1 &&
		strlen(err) == 1,
	    "a 2-byte err buffer overflows");
}

static void
test_media_sniff(void)
{
	unsigned char *elf, *fake;
	const char *t, *t2;
	size_t len = 0;

	t = media_sniff(media_t_pdf, sizeof(media_t_pdf) - 1);
	CHECK(t != NULL && strcmp(t, "application/pdf") == 0,
	    "pdf sniffed as %s", t ? t : "(null)");
	t2 = media_sniff(media_t_pdf, sizeof(media_t_pdf) - 1);
	CHECK(t == t2, "the type string of a known type is not static");
	CHECK(media_is_pdf(media_t_pdf, sizeof(media_t_pdf) - 1) == 1,
	    "a PDF is not a PDF");
	/* libmagic takes a newline before "%PDF-" for a PDF too. */
	CHECK(media_is_pdf("\n%PDF-1.4\n%%EOF\n", 16) == 0,
	    "a PDF header at offset 1 is a PDF");
	CHECK(media_is_pdf("%PDF", 4) == 0 && media_is_pdf("", 0) == 0 &&
		media_is_pdf(NULL, 0) == 0,
	    "short input is a PDF");
	t = media_sniff("", 0);
	CHECK(t != NULL, "empty input: no type");
	t = media_sniff("hello world\n", 12);
	CHECK(t != NULL && strcmp(t, "text/plain") == 0, "text sniffed as %s",
	    t ? t : "(null)");

	if ((elf = (unsigned char *)unit_slurp("/bin/true", &len)) == NULL ||
	    len < 64) {
		CHECK(0, "cannot read /bin/true");
		free(elf);
		return;
	}
	t = media_sniff(elf, len);
	CHECK(t != NULL &&
		(strstr(t, "executable") != NULL ||
		    strcmp(t, "application/x-sharedlib") == 0),
	    "/bin/true sniffed as %s", t ? t : "(null)");
	CHECK(media_is_pdf(elf, len) == 0, "/bin/true is a PDF");
	/* An executable given a PDF header (libmagic says PDF). */
	if ((fake = malloc(len)) != NULL) {
		memcpy(fake, elf, len);
		memcpy(fake, "%PDF-", 5);
		CHECK(media_is_pdf(fake, len) == 0, "%%PDF- + ELF is a PDF");
		free(fake);
	}
	free(elf);
}

/* libmagic handles are per thread: sniff from several at once, and
 * process an image in each (as the server's threads do). */
static void *
media_t_thread(void *arg)
{
	int i, *bad = arg;
	const char *t;
	struct media_img img;
	unsigned char *in;
	char err[200];
	size_t len = 0;

	memset(&img, 0, sizeof(img));
	if ((in = media_t_make(700, 350, 1, "jpeg", &len)) == NULL ||
	    media_process(in, len, &img, err, sizeof(err)) != 0 ||
	    img.nv != 2 || img.v[0].width != 480 || img.v[0].height != 240)
		(*bad)++;
	media_img_free(&img);
	free(in);

	for (i = 0; i < 50; i++) {
		t = media_sniff(media_t_pdf, sizeof(media_t_pdf) - 1);
		if (t == NULL || strcmp(t, "application/pdf") != 0)
			(*bad)++;
		t = media_sniff("plain words\n", 12);
		if (t == NULL || strcmp(t, "text/plain") != 0)
			(*bad)++;
	}
	return NULL;
}

static void
test_media_threads(void)
{
	pthread_t th[4];
	int bad[4] = {0}, i, started[4] = {0};

	for (i = 0; i < 4; i++)
		started[i] =
		    pthread_create(&th[i], NULL, media_t_thread, &bad[i]) == 0;
	for (i = 0; i < 4; i++) {
		CHECK(started[i], "thread %d not started", i);
		if (started[i]) {
			pthread_join(th[i], NULL);
			CHECK(bad[i] == 0, "thread %d: %d wrong types", i,
			    bad[i]);
		}
	}
}

/* How long the common case takes (printed, not checked). */
static void
test_media_timing(void)
{
	struct timespec a, b;
	struct media_img img;
	unsigned char *in;
	char err[200];
	size_t len = 0;
	int i, runs = 3, ok = 1;
	double ms;

	if ((in = media_t_make(2000, 1000, 1, "jpeg", &len)) == NULL) {
		CHECK(0, "cannot make the timing JPEG");
		return;
	}
	clock_gettime(CLOCK_MONOTONIC, &a);
	for (i = 0; i < runs; i++) {
		if (media_process(in, len, &img, err, sizeof(err)) != 0)
			ok = 0;
		media_img_free(&img);
	}
	clock_gettime(CLOCK_MONOTONIC, &b);
	ms = ((double)(b.tv_sec - a.tv_sec) * 1e3 +
		 (double)(b.tv_nsec - a.tv_nsec) / 1e6) /
	    runs;
	CHECK(ok, "timing run failed: %s", err);
	fprintf(stderr, "media: a 2000x1000 JPEG (%zu kB) takes %.0f ms\n",
	    len >> 10, ms);
	free(in);
}

void
test_media(void)
{
	if (media_init() != 0) {
		CHECK(0, "media_init failed");
		return;
	}
	CHECK(media_init() == 0, "media_init twice");
	test_media_sniff();
	test_media_variants();
	test_media_exif();
	test_media_refused();
	test_media_threads();
	test_media_timing();
}
