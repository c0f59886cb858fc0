/* dedup_png.c — parq_dedup_write_png(): the dedup picture. One horizontal
 * strip per file, its chunks in file order, orange = first seen in this file
 * (new), blue = seen in an earlier file (shared); strip length proportional
 * to file size. The figures and a legend are drawn with a built-in 5x7
 * bitmap font so the image needs no font library. */
#include <png.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dataset/dedup_internal.h"
#include "util/error.h"

#define IMG_W 1200
#define MARGIN 12
#define SCALE 2                 /* font pixels per bitmap dot */
#define ADV (6 * SCALE)         /* glyph advance */
#define LINE (10 * SCALE)       /* text line height */
#define STRIP_H 28

/* 5x7 glyphs: 7 rows, bit 4 = leftmost column. */
typedef struct glyph { char c; uint8_t rows[7]; } glyph;
static const glyph FONT[] = {
    {'0', {0x0E, 0x11, 0x13, 0x15, 0x19, 0x11, 0x0E}}, {'1', {0x04, 0x0C, 0x04, 0x04, 0x04, 0x04, 0x0E}},
    {'2', {0x0E, 0x11, 0x01, 0x02, 0x04, 0x08, 0x1F}}, {'3', {0x1F, 0x02, 0x04, 0x02, 0x01, 0x11, 0x0E}},
    {'4', {0x02, 0x06, 0x0A, 0x12, 0x1F, 0x02, 0x02}}, {'5', {0x1F, 0x10, 0x1E, 0x01, 0x01, 0x11, 0x0E}},
    {'6', {0x06, 0x08, 0x10, 0x1E, 0x11, 0x11, 0x0E}}, {'7', {0x1F, 0x01, 0x02, 0x04, 0x08, 0x08, 0x08}},
    {'8', {0x0E, 0x11, 0x11, 0x0E, 0x11, 0x11, 0x0E}}, {'9', {0x0E, 0x11, 0x11, 0x0F, 0x01, 0x02, 0x0C}},
    {'A', {0x0E, 0x11, 0x11, 0x1F, 0x11, 0x11, 0x11}}, {'B', {0x1E, 0x11, 0x11, 0x1E, 0x11, 0x11, 0x1E}},
    {'C', {0x0E, 0x11, 0x10, 0x10, 0x10, 0x11, 0x0E}}, {'D', {0x1C, 0x12, 0x11, 0x11, 0x11, 0x12, 0x1C}},
    {'E', {0x1F, 0x10, 0x10, 0x1E, 0x10, 0x10, 0x1F}}, {'F', {0x1F, 0x10, 0x10, 0x1E, 0x10, 0x10, 0x10}},
    {'G', {0x0E, 0x11, 0x10, 0x17, 0x11, 0x11, 0x0F}}, {'H', {0x11, 0x11, 0x11, 0x1F, 0x11, 0x11, 0x11}},
    {'I', {0x0E, 0x04, 0x04, 0x04, 0x04, 0x04, 0x0E}}, {'J', {0x07, 0x02, 0x02, 0x02, 0x02, 0x12, 0x0C}},
    {'K', {0x11, 0x12, 0x14, 0x18, 0x14, 0x12, 0x11}}, {'L', {0x10, 0x10, 0x10, 0x10, 0x10, 0x10, 0x1F}},
    {'M', {0x11, 0x1B, 0x15, 0x15, 0x11, 0x11, 0x11}}, {'N', {0x11, 0x11, 0x19, 0x15, 0x13, 0x11, 0x11}},
    {'O', {0x0E, 0x11, 0x11, 0x11, 0x11, 0x11, 0x0E}}, {'P', {0x1E, 0x11, 0x11, 0x1E, 0x10, 0x10, 0x10}},
    {'Q', {0x0E, 0x11, 0x11, 0x11, 0x15, 0x12, 0x0D}}, {'R', {0x1E, 0x11, 0x11, 0x1E, 0x14, 0x12, 0x11}},
    {'S', {0x0F, 0x10, 0x10, 0x0E, 0x01, 0x01, 0x1E}}, {'T', {0x1F, 0x04, 0x04, 0x04, 0x04, 0x04, 0x04}},
    {'U', {0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x0E}}, {'V', {0x11, 0x11, 0x11, 0x11, 0x11, 0x0A, 0x04}},
    {'W', {0x11, 0x11, 0x11, 0x15, 0x15, 0x15, 0x0A}}, {'X', {0x11, 0x11, 0x0A, 0x04, 0x0A, 0x11, 0x11}},
    {'Y', {0x11, 0x11, 0x11, 0x0A, 0x04, 0x04, 0x04}}, {'Z', {0x1F, 0x01, 0x02, 0x04, 0x08, 0x10, 0x1F}},
    {'.', {0, 0, 0, 0, 0, 0x0C, 0x0C}},                {',', {0, 0, 0, 0, 0x0C, 0x04, 0x08}},
    {':', {0, 0x0C, 0x0C, 0, 0x0C, 0x0C, 0}},          {'%', {0x18, 0x19, 0x02, 0x04, 0x08, 0x13, 0x03}},
    {'(', {0x02, 0x04, 0x08, 0x08, 0x08, 0x04, 0x02}}, {')', {0x08, 0x04, 0x02, 0x02, 0x02, 0x04, 0x08}},
    {'/', {0, 0x01, 0x02, 0x04, 0x08, 0x10, 0}},       {'-', {0, 0, 0, 0x1F, 0, 0, 0}},
    {'_', {0, 0, 0, 0, 0, 0, 0x1F}},                   {'=', {0, 0, 0x1F, 0, 0x1F, 0, 0}},
    {'+', {0, 0x04, 0x04, 0x1F, 0x04, 0x04, 0}},       {'?', {0x0E, 0x11, 0x01, 0x02, 0x04, 0, 0x04}},
};

typedef struct canvas { uint8_t *px; int w, h; } canvas;

static void fill(canvas *c, int x, int y, int w, int h, const uint8_t rgb[3]) {
  for (int j = y; j < y + h; j++) {
    if (j < 0 || j >= c->h) continue;
    for (int i = x; i < x + w; i++) {
      if (i < 0 || i >= c->w) continue;
      memcpy(c->px + 3 * ((size_t)j * (size_t)c->w + (size_t)i), rgb, 3);
    }
  }
}

static const uint8_t *glyph_rows(char ch) {
  if (ch >= 'a' && ch <= 'z') ch = (char)(ch - 'a' + 'A');
  for (size_t i = 0; i < sizeof FONT / sizeof *FONT; i++)
    if (FONT[i].c == ch) return FONT[i].rows;
  return FONT[sizeof FONT / sizeof *FONT - 1].rows; /* '?' */
}

static void text(canvas *c, int x, int y, const char *s, const uint8_t rgb[3]) {
  for (; *s && x + ADV <= c->w; s++, x += ADV) {
    if (*s == ' ') continue;
    const uint8_t *r = glyph_rows(*s);
    for (int j = 0; j < 7; j++)
      for (int i = 0; i < 5; i++)
        if (r[j] & (0x10 >> i)) fill(c, x + i * SCALE, y + j * SCALE, SCALE, SCALE, rgb);
  }
}

static void fmt_bytes(double b, char *buf, size_t cap) {
  const char *u[] = {"B", "KB", "MB", "GB", "TB"};
  int k = 0;
  while (b >= 1024.0 && k < 4) {
    b /= 1024.0;
    k++;
  }
  if (k == 0) snprintf(buf, cap, "%.0f B", b);
  else snprintf(buf, cap, "%.1f %s", b, u[k]);
}

static const uint8_t WHITE[3] = {255, 255, 255}, BLACK[3] = {20, 20, 20},
                     NEW_C[3] = {244, 140, 30}, OLD_C[3] = {52, 112, 200},
                     GREY[3] = {225, 225, 225};

parq_status parq_dedup_write_png(const parq_dedup *d, const char *path, parq_error *err) {
  if (!d || !path) return parq_err_set(err, PARQ_EINVAL, "parq_dedup_write_png: bad arguments");
  size_t nf = d->n_files;
  if (nf > 4096) return parq_err_set(err, PARQ_EINVAL, "dedup png: %zu files is too many for one picture", nf);
  int per_file = LINE + STRIP_H + 10;
  canvas c = {NULL, IMG_W, MARGIN * 2 + 3 * LINE + (int)nf * per_file};
  c.px = malloc((size_t)c.w * (size_t)c.h * 3);
  if (!c.px) return parq_err_set(err, PARQ_ENOMEM, "dedup png: out of memory");
  fill(&c, 0, 0, c.w, c.h, WHITE);
  parq_dedup_totals t;
  parq_dedup_get_totals(d, &t);
  char line[256], a[32], b[32], z[32];
  fmt_bytes((double)t.unique_bytes, a, sizeof a);
  fmt_bytes((double)t.total_bytes, b, sizeof b);
  fmt_bytes((double)t.compressed_unique_bytes, z, sizeof z);
  int y = MARGIN;
  snprintf(line, sizeof line, "dedup ratio: %.4f (unique %s of %s), zstd: %s", t.ratio, a, b, z);
  text(&c, MARGIN, y, line, BLACK);
  y += LINE;
  /* Legend. */
  fill(&c, MARGIN, y, 7 * SCALE, 7 * SCALE, NEW_C);
  text(&c, MARGIN + 10 * SCALE, y, "new", BLACK);
  fill(&c, MARGIN + 50 * SCALE, y, 7 * SCALE, 7 * SCALE, OLD_C);
  text(&c, MARGIN + 60 * SCALE, y, "shared (seen in an earlier file)", BLACK);
  y += 2 * LINE;
  int64_t maxb = 1;
  for (size_t i = 0; i < nf; i++)
    if (d->files[i].bytes > maxb) maxb = d->files[i].bytes;
  int plot_w = IMG_W - 2 * MARGIN;
  for (size_t i = 0; i < nf; i++) {
    const pq_dd_file *f = &d->files[i];
    const char *base = strrchr(f->path, '/');
    base = base ? base + 1 : f->path;
    fmt_bytes((double)f->bytes, a, sizeof a);
    fmt_bytes((double)f->new_bytes, b, sizeof b);
    snprintf(line, sizeof line, "%.40s: %s, new %s (%.1f%%)", base, a, b,
             f->bytes ? 100.0 * (double)f->new_bytes / (double)f->bytes : 0.0);
    text(&c, MARGIN, y, line, BLACK);
    y += LINE;
    int len = (int)((double)plot_w * (double)f->bytes / (double)maxb);
    fill(&c, MARGIN, y, plot_w, STRIP_H, GREY);
    const uint32_t *sz = (const uint32_t *)f->sizes.data;
    const uint8_t *nw = f->is_new.data;
    size_t n = f->is_new.len;
    int64_t pos = 0;
    for (size_t k = 0; k < n; k++) {
      int x0 = f->bytes ? (int)((double)len * (double)pos / (double)f->bytes) : 0;
      pos += sz[k];
      int x1 = f->bytes ? (int)((double)len * (double)pos / (double)f->bytes) : 0;
      if (x1 <= x0) x1 = x0 + 1; /* every chunk stays visible */
      fill(&c, MARGIN + x0, y, x1 - x0, STRIP_H, nw[k] ? NEW_C : OLD_C);
    }
    y += STRIP_H + 10;
  }
  png_image img;
  memset(&img, 0, sizeof img);
  img.version = PNG_IMAGE_VERSION;
  img.width = (png_uint_32)c.w;
  img.height = (png_uint_32)c.h;
  img.format = PNG_FORMAT_RGB;
  int ok = png_image_write_to_file(&img, path, 0, c.px, 0, NULL);
  free(c.px);
  if (!ok) {
    parq_status st = parq_err_set(err, PARQ_EIO, "write %s: %s", path, img.message);
    png_image_free(&img);
    return st;
  }
  return PARQ_OK;
}
