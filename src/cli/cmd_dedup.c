/* cmd_dedup.c — `parq dedup FILE...`: estimate what chunk-level dedup (a
 * content-addressed storage layer) keeps of a set of files, optionally draw
 * the picture (--png) and compare two Parquet versions page by page (--pages). */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"

static void json_string(const char *s) {
  putchar('"');
  for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
    if (*p == '"' || *p == '\\') printf("\\%c", *p);
    else if (*p < 0x20) printf("\\u%04x", *p);
    else putchar(*p);
  }
  putchar('"');
}

static int dedup_run(const cli_args *a) {
  int json = cli_flag(a, "json"), pages = cli_flag(a, "pages");
  const char *png = cli_value(a, "png");
  if (pages && a->n_pos != 2)
    return cli_usage_error(a->cmd, "--pages compares exactly two files (OLD NEW), got %zu", a->n_pos);
  parq_error err;
  memset(&err, 0, sizeof err);
  parq_dedup *d = NULL;
  parq_status st = parq_dedup_new(&d, &err);
  if (st != PARQ_OK) return cli_fail_err(&err, st, NULL);
  for (size_t i = 0; i < a->n_pos; i++) {
    if (cli_interrupted) { parq_dedup_free(d); return cli_failf("interrupted"); }
    st = parq_dedup_add_file(d, a->pos[i], &err);
    if (st != PARQ_OK) { parq_dedup_free(d); return cli_fail_err(&err, st, a->pos[i]); }
  }
  parq_page_diff *pd = NULL;
  size_t npd = 0;
  if (pages) {
    st = parq_dedup_pages(a->pos[0], a->pos[1], &pd, &npd, &err);
    if (st != PARQ_OK) { parq_dedup_free(d); return cli_fail_err(&err, st, NULL); }
  }
  if (png) {
    st = parq_dedup_write_png(d, png, &err);
    if (st != PARQ_OK) {
      parq_dedup_free(d);
      parq_page_diff_free(pd, npd);
      return cli_fail_err(&err, st, png);
    }
  }
  parq_dedup_totals t;
  parq_dedup_get_totals(d, &t);
  char b1[32], b2[32], b3[32];
  if (json) {
    printf("{\"total_bytes\":%lld,\"unique_bytes\":%lld,\"ratio\":%.6f,\"compressed_unique_bytes\":%lld,"
           "\"files\":[",
           (long long)t.total_bytes, (long long)t.unique_bytes, t.ratio,
           (long long)t.compressed_unique_bytes);
    for (size_t i = 0; i < t.n_files; i++) {
      parq_dedup_file_info f;
      parq_dedup_file(d, i, &f);
      printf("%s{\"path\":", i ? "," : "");
      json_string(f.path);
      printf(",\"bytes\":%lld,\"new_bytes\":%lld,\"chunks\":%lld,\"new_chunks\":%lld}",
             (long long)f.bytes, (long long)f.new_bytes, (long long)f.chunks, (long long)f.new_chunks);
    }
    printf("]");
    if (pages) {
      printf(",\"pages\":[");
      for (size_t i = 0; i < npd; i++) {
        printf("%s{\"column\":", i ? "," : "");
        json_string(pd[i].column);
        printf(",\"pages\":%lld,\"changed_pages\":%lld,\"bytes\":%lld,\"changed_bytes\":%lld}",
               (long long)pd[i].pages, (long long)pd[i].changed_pages, (long long)pd[i].bytes,
               (long long)pd[i].changed_bytes);
      }
      printf("]");
    }
    printf("}\n");
  } else {
    for (size_t i = 0; i < t.n_files; i++) {
      parq_dedup_file_info f;
      parq_dedup_file(d, i, &f);
      printf("%s: %s, new %s (%lld of %lld chunks)\n", f.path,
             cli_fmt_bytes((double)f.bytes, b1, sizeof b1),
             cli_fmt_bytes((double)f.new_bytes, b2, sizeof b2), (long long)f.new_chunks,
             (long long)f.chunks);
    }
    if (pages) {
      printf("pages of %s not in %s:\n", a->pos[1], a->pos[0]);
      for (size_t i = 0; i < npd; i++)
        printf("  %s: %lld of %lld pages changed (%s of %s)\n", pd[i].column,
               (long long)pd[i].changed_pages, (long long)pd[i].pages,
               cli_fmt_bytes((double)pd[i].changed_bytes, b1, sizeof b1),
               cli_fmt_bytes((double)pd[i].bytes, b2, sizeof b2));
    }
    printf("compressed unique (zstd-3): %s\n",
           cli_fmt_bytes((double)t.compressed_unique_bytes, b3, sizeof b3));
    printf("dedup ratio: %.4f (unique %s of %s)\n", t.ratio,
           cli_fmt_bytes((double)t.unique_bytes, b1, sizeof b1),
           cli_fmt_bytes((double)t.total_bytes, b2, sizeof b2));
  }
  parq_page_diff_free(pd, npd);
  parq_dedup_free(d);
  return CLI_OK;
}

static const cli_option dedup_options[] = {
    {"png", 0, "OUT.png", "draw each file's chunks (new vs shared) into a PNG"},
    {"json", 0, NULL, "print one JSON object instead of text"},
    {"pages", 0, NULL, "with two files OLD NEW: also count NEW's Parquet pages not found in OLD"},
};

const cli_command cli_cmd_dedup = {
    "dedup",
    "estimate chunk-level dedup of files (what a content-addressed store would keep)",
    "FILE... [--png OUT.png] [--json] [--pages]",
    "Cuts each file into content-defined chunks like a content-addressed storage layer (gear "
    "hash, 64 KiB average, 8 KiB min, 128 KiB max), identifies chunks by XXH3-128 and reports "
    "per file its size and new bytes (first seen in this file), and for the set the unique "
    "bytes and the dedup ratio unique/total (lower is better; two identical files give 0.5).",
    dedup_options,
    sizeof dedup_options / sizeof *dedup_options,
    "parq dedup old.parquet new.parquet\n"
    "parq dedup old.parquet new.parquet --pages --png dedup.png",
    1,
    -1,
    dedup_run,
};
