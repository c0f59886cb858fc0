/* repack_inputs.c — the input side of `parq repack`: expanding files,
 * directories and glob patterns into a sorted file list, opening each file
 * (JSONL / CSV through the text reader, Parquet through parq_reader) and
 * checking that all inputs share one schema, naming the file and column
 * when they do not. */
#include <dirent.h>
#include <errno.h>
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "dataset/repack_internal.h"
#include "dataset/store.h"
#include "util/error.h"

/* ---------------- file list ---------------- */

static parq_status push(pq_input_list *l, const char *path, parq_error *err) {
  if (l->n == l->cap) {
    size_t nc = l->cap ? l->cap * 2 : 16;
    pq_input *t = realloc(l->v, nc * sizeof *t);
    if (!t) return parq_err_set(err, PARQ_ENOMEM, "out of memory");
    l->v = t;
    l->cap = nc;
  }
  pq_input *in = &l->v[l->n];
  memset(in, 0, sizeof *in);
  in->path = strdup(path);
  if (!in->path) return parq_err_set(err, PARQ_ENOMEM, "out of memory");
  l->n++;
  struct stat sb;
  if (stat(path, &sb) != 0) return parq_err_errno(err, "%s", path);
  if (!S_ISREG(sb.st_mode)) return parq_err_set(err, PARQ_EINVAL, "%s: not a regular file", path);
  in->size = sb.st_size;
  in->mtime_ns = (int64_t)sb.st_mtim.tv_sec * 1000000000 + sb.st_mtim.tv_nsec;
  in->fmt = pq_format_from_path(path);
  if (in->fmt == PQ_FMT_AUTO)
    return parq_err_set(err, PARQ_EINVAL, "%s: unknown input format (expected .jsonl, .ndjson, .json, .csv, .tsv or .parquet)", path);
  return PARQ_OK;
}

static int cmp_str(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

static parq_status add_dir(pq_input_list *l, const char *dir, parq_error *err) {
  DIR *d = opendir(dir);
  if (!d) return parq_err_errno(err, "%s", dir);
  char **names = NULL;
  size_t n = 0, cap = 0;
  parq_status st = PARQ_OK;
  struct dirent *e;
  while ((e = readdir(d)) != NULL) {
    /* Hidden files and "_" files (_SUCCESS, _metadata, a store's _parq_store.json) are not data. */
    if (e->d_name[0] == '.' || e->d_name[0] == '_' || pq_format_from_path(e->d_name) == PQ_FMT_AUTO) continue;
    if (n == cap) {
      size_t nc = cap ? cap * 2 : 64;
      char **t = realloc(names, nc * sizeof *t);
      if (!t) { st = parq_err_set(err, PARQ_ENOMEM, "out of memory"); break; }
      names = t, cap = nc;
    }
    size_t len = strlen(dir) + strlen(e->d_name) + 2;
    if (!(names[n] = malloc(len))) { st = parq_err_set(err, PARQ_ENOMEM, "out of memory"); break; }
    snprintf(names[n], len, "%s%s%s", dir, dir[strlen(dir) - 1] == '/' ? "" : "/", e->d_name);
    n++;
  }
  closedir(d);
  if (st == PARQ_OK && n == 0)
    st = parq_err_set(err, PARQ_EINVAL, "%s: directory holds no .jsonl/.csv/.parquet files", dir);
  if (st == PARQ_OK) qsort(names, n, sizeof *names, cmp_str);
  for (size_t i = 0; i < n; i++) {
    if (st == PARQ_OK) st = push(l, names[i], err);
    free(names[i]);
  }
  free(names);
  return st;
}

parq_status pq_inputs_expand(const char *const *args, size_t n, pq_input_list *out, parq_error *err) {
  memset(out, 0, sizeof *out);
  if (n == 0) return parq_err_set(err, PARQ_EINVAL, "repack: no inputs");
  for (size_t i = 0; i < n; i++) {
    const char *a = args[i];
    struct stat sb;
    parq_status st;
    if (stat(a, &sb) == 0 && S_ISDIR(sb.st_mode) && pq_store_is_store(a)) {
      /* A parq store: its current data files, then its pending increments. */
      char **fs = NULL;
      size_t nf = 0;
      st = pq_store_resolve_files(a, &fs, &nf, err);
      for (size_t k = 0; k < nf; k++) {
        if (st == PARQ_OK) st = push(out, fs[k], err);
        free(fs[k]);
      }
      free(fs);
    } else if (stat(a, &sb) == 0 && S_ISDIR(sb.st_mode)) {
      st = add_dir(out, a, err);
    } else if (strpbrk(a, "*?[") && stat(a, &sb) != 0) {
      glob_t g;
      int rc = glob(a, 0, NULL, &g);
      if (rc == GLOB_NOMATCH) return parq_err_set(err, PARQ_EINVAL, "%s: no files match", a);
      if (rc != 0) return parq_err_set(err, PARQ_EIO, "%s: glob failed", a);
      st = PARQ_OK;
      for (size_t k = 0; k < g.gl_pathc && st == PARQ_OK; k++) st = push(out, g.gl_pathv[k], err);
      globfree(&g);
    } else {
      st = push(out, a, err);
    }
    if (st != PARQ_OK) return st;
  }
  return PARQ_OK;
}

void pq_inputs_free(pq_input_list *l) {
  for (size_t i = 0; i < l->n; i++) free(l->v[i].path);
  free(l->v);
  memset(l, 0, sizeof *l);
}

/* ---------------- sources ---------------- */

void pq_src_close(pq_src *s) {
  pq_text_reader_close(s->text);
  parq_reader_close(s->pq);
  free(s->sel_start);
  memset(s, 0, sizeof *s);
}

/* A row-group selection: the first row (within the file) of each selected
 * group, so every batch knows its rows' indexes in the file. */
static parq_status select_groups(pq_src *s, const pq_src_options *o, const char *path,
                                 parq_error *err) {
  int64_t n = parq_reader_num_row_groups(s->pq);
  s->sel = o->row_groups;
  s->n_sel = o->n_row_groups;
  s->sel_start = malloc((s->n_sel ? s->n_sel : 1) * sizeof *s->sel_start);
  if (!s->sel_start) return parq_err_set(err, PARQ_ENOMEM, "out of memory");
  int64_t first = 0, g = 0;
  s->rows_total = 0;
  for (size_t k = 0; k < s->n_sel; k++) {
    if (s->sel[k] < g || s->sel[k] >= n)
      return parq_err_set(err, PARQ_EINTERNAL, "%s: bad row group selection", path);
    for (; g < s->sel[k]; g++) first += parq_reader_row_group_num_rows(s->pq, g);
    s->sel_start[k] = first;
    s->rows_total += parq_reader_row_group_num_rows(s->pq, s->sel[k]);
  }
  return PARQ_OK;
}

parq_status pq_src_open(const pq_input *in, const pq_src_options *o, const struct ArrowSchema *fixed,
                        pq_src *s, parq_error *err) {
  memset(s, 0, sizeof *s);
  parq_status st;
  if (in->fmt == PQ_FMT_PARQUET) {
    parq_read_options ro;
    parq_read_options_init(&ro);
    ro.columns = o->columns;
    ro.n_columns = o->n_columns;
    ro.batch_rows = o->batch_rows;
    ro.row_groups = o->row_groups;
    ro.n_row_groups = o->n_row_groups;
    st = parq_reader_open(in->path, &ro, &s->pq, err);
    if (st == PARQ_OK) s->rows_total = parq_reader_num_rows(s->pq);
    if (st == PARQ_OK && o->row_groups) st = select_groups(s, o, in->path, err);
  } else {
    pq_text_read_options to;
    pq_text_read_options_init(&to);
    to.format = in->fmt;
    to.batch_rows = o->batch_rows;
    to.schema = fixed;
    to.columns = o->columns;
    to.n_columns = o->n_columns;
    st = pq_text_reader_open(in->path, &to, &s->text, err);
  }
  if (st != PARQ_OK) {
    parq_err_prefix(err, "%s", in->path);
    pq_src_close(s);
  }
  s->size = in->size;
  return st;
}

parq_status pq_src_schema(pq_src *s, struct ArrowSchema *out, parq_error *err) {
  return s->pq ? parq_reader_schema(s->pq, out, err) : pq_text_reader_schema(s->text, out, err);
}

parq_status pq_src_next(pq_src *s, struct ArrowArray *out, parq_error *err) {
  parq_status st = s->pq ? parq_reader_next(s->pq, out, err) : pq_text_reader_next(s->text, out, err);
  if (st != PARQ_OK) return st;
  s->first_row = s->rows_done;
  if (s->sel) { /* batches never span row groups; empty groups yield none */
    while (s->k < s->n_sel && s->in_group >= parq_reader_row_group_num_rows(s->pq, s->sel[s->k])) {
      s->k++;
      s->in_group = 0;
    }
    if (s->k == s->n_sel ||
        s->in_group + out->length > parq_reader_row_group_num_rows(s->pq, s->sel[s->k])) {
      out->release(out);
      return parq_err_set(err, PARQ_EINTERNAL, "a batch crosses a row-group boundary");
    }
    s->first_row = s->sel_start[s->k] + s->in_group;
    s->in_group += out->length;
  }
  s->rows_done += out->length;
  return PARQ_OK;
}

int64_t pq_src_bytes_done(const pq_src *s) {
  if (s->text) return pq_text_reader_bytes_read(s->text);
  if (s->rows_total <= 0) return s->size;
  return (int64_t)((double)s->size * (double)s->rows_done / (double)s->rows_total);
}

/* ---------------- schema comparison ---------------- */

int pq_schema_names_diff(const struct ArrowSchema *ref, const struct ArrowSchema *s, char *msg,
                         size_t cap) {
  for (int64_t i = 0; i < ref->n_children; i++) {
    const char *name = ref->children[i]->name ? ref->children[i]->name : "";
    int64_t k = 0;
    while (k < s->n_children && strcmp(s->children[k]->name ? s->children[k]->name : "", name)) k++;
    if (k == s->n_children) {
      snprintf(msg, cap, "column '%s' is missing", name);
      return 1;
    }
  }
  for (int64_t k = 0; k < s->n_children; k++) {
    const char *name = s->children[k]->name ? s->children[k]->name : "";
    int64_t i = 0;
    while (i < ref->n_children && strcmp(ref->children[i]->name ? ref->children[i]->name : "", name)) i++;
    if (i == ref->n_children) {
      snprintf(msg, cap, "column '%s' is not in the first input (use --columns to keep a subset)", name);
      return 1;
    }
  }
  if (ref->n_children == s->n_children) {
    for (int64_t i = 0; i < ref->n_children; i++)
      if (strcmp(ref->children[i]->name ? ref->children[i]->name : "",
                 s->children[i]->name ? s->children[i]->name : "")) {
        snprintf(msg, cap, "column %lld is '%s', not '%s' as in the first input", (long long)i + 1,
                 s->children[i]->name, ref->children[i]->name);
        return 1;
      }
  }
  return 0;
}

int pq_schema_types_diff(const struct ArrowSchema *a, const struct ArrowSchema *b,
                         const char *prefix, char *msg, size_t cap) {
  if (a->n_children != b->n_children) {
    snprintf(msg, cap, "column '%s' has %lld fields, not %lld", *prefix ? prefix : "(root)",
             (long long)b->n_children, (long long)a->n_children);
    return 1;
  }
  for (int64_t i = 0; i < a->n_children; i++) {
    const struct ArrowSchema *ca = a->children[i], *cb = b->children[i];
    char sub[512];
    snprintf(sub, sizeof sub, "%s%s%s", prefix, *prefix ? "." : "", ca->name ? ca->name : "");
    if (strcmp(ca->format, cb->format) || (!ca->dictionary) != (!cb->dictionary) ||
        strcmp(ca->name ? ca->name : "", cb->name ? cb->name : "")) {
      snprintf(msg, cap, "column '%s' has Arrow type '%s', not '%s' as in the first input", sub,
               cb->format, ca->format);
      return 1;
    }
    if (pq_schema_types_diff(ca, cb, sub, msg, cap)) return 1;
  }
  return 0;
}
