/* repartition.c — `parq repartition`: split inputs into N partitions by key
 * hash (every key lands in exactly one partition: xxh3 of the encoded key,
 * the same encoding as GROUP BY and SQL hash(), mod N), by rows (equal
 * contiguous row ranges of the concatenated inputs) or by files (input file
 * i goes whole to partition i mod N).
 *
 * Rows move through the repack row codec (pq_row_encode / pq_row_decode), so
 * every type the writer accepts — nested included — survives unchanged. Each
 * rank reads its share (Parquet row group g goes to rank g % size, text
 * files and by-files inputs whole, file i to rank i % size) and writes its
 * own file per partition; see dist.h for naming and staging. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dataset/dist.h"
#include "dataset/query/plan.h"
#include "dataset/repack_internal.h"
#include "util/error.h"

typedef struct part {
  pq_rnode rows;
  int ready;
  parq_writer *w;
} part;

typedef struct rp {
  const pq_repartition_options *o;
  const pq_comm *comm;
  struct ArrowSchema schema;
  part *parts;
  char staging[4096];
  int64_t total_rows; /* by-rows */
  int64_t flush_rows;
  parq_buf row;
  pq_repartition_stats st;
  parq_error *err;
} rp;

static parq_status flush_part(rp *R, int p) {
  part *pt = &R->parts[p];
  if (!pt->ready || pq_rnode_rows(&pt->rows) == 0) return PARQ_OK;
  if (!pt->w) {
    char path[4200];
    snprintf(path, sizeof path, "%s/part-%05d.parquet", R->staging, p);
    PARQ_TRY(parq_writer_open(path, &R->schema, &R->o->write, &pt->w, R->err));
    R->st.files_out++;
  }
  struct ArrowArray b;
  PARQ_TRY(pq_rnode_finish(&pt->rows, &b, R->err));
  parq_status st = parq_writer_write(pt->w, &b, R->err);
  b.release(&b);
  return st;
}

static parq_status route(rp *R, int p, const struct ArrowArray *batch, int64_t i) {
  part *pt = &R->parts[p];
  if (!pt->ready) {
    PARQ_TRY(pq_rnode_init(&pt->rows, &R->schema, R->err));
    pt->ready = 1;
  }
  parq_buf_clear(&R->row);
  PARQ_TRY(pq_row_encode(&R->parts[p].rows, batch, i, &R->row, R->err));
  PARQ_TRY(pq_row_decode(&pt->rows, R->row.data, R->row.len, R->err));
  if (pq_rnode_rows(&pt->rows) >= R->flush_rows) return flush_part(R, p);
  return PARQ_OK;
}

/* Partition of each row of a batch whose first row has global index g0. */
static parq_status do_batch(rp *R, const struct ArrowSchema *s, const struct ArrowArray *b,
                            int64_t g0, int file_part, const char *file) {
  int N = R->o->partitions;
  int64_t n = b->length;
  R->st.rows_in += n;
  if (R->o->mode == PQ_PART_FILES) {
    for (int64_t i = 0; i < n; i++) PARQ_TRY(route(R, file_part, b, i));
    return PARQ_OK;
  }
  if (R->o->mode == PQ_PART_ROWS) {
    for (int64_t i = 0; i < n; i++) {
      int64_t g = g0 + i;
      int p = (int)((unsigned __int128)g * (unsigned)N / (uint64_t)(R->total_rows ? R->total_rows : 1));
      PARQ_TRY(route(R, p < N ? p : N - 1, b, i));
    }
    return PARQ_OK;
  }
  parq_arena a = PARQ_ARENA_INIT;
  qvec kv[32];
  pq_query_error qe;
  memset(&qe, 0, sizeof qe);
  parq_status st = PARQ_OK;
  size_t nk = R->o->n_hash_cols;
  for (size_t k = 0; k < nk && st == PARQ_OK; k++) {
    st = pq_column_vec(s, b, R->o->hash_cols[k], QT_NULL, &a, &kv[k], file, &qe);
    if (st != PARQ_OK) parq_err_set(R->err, st, "%s", qe.e.message);
  }
  parq_buf key = PARQ_BUF_INIT;
  for (int64_t i = 0; i < n && st == PARQ_OK; i++) {
    parq_buf_clear(&key);
    for (size_t k = 0; k < nk && st == PARQ_OK; k++)
      if (pq_key_encode(&kv[k], i, &key)) st = parq_err_set(R->err, PARQ_ENOMEM, "out of memory");
    if (st == PARQ_OK) st = route(R, (int)(pq_key_hash(key.data, key.len) % (uint64_t)N), b, i);
  }
  parq_buf_free(&key);
  parq_arena_free(&a);
  return st;
}

static parq_status open_input(rp *R, const pq_input *in, const int64_t *rgs, size_t nrg,
                              parq_reader **pr, pq_text_reader **tr) {
  *pr = NULL;
  *tr = NULL;
  if (in->fmt == PQ_FMT_PARQUET) {
    parq_read_options ro;
    parq_read_options_init(&ro);
    ro.row_groups = rgs;
    ro.n_row_groups = nrg;
    return parq_reader_open(in->path, &ro, pr, R->err);
  }
  pq_text_read_options to;
  pq_text_read_options_init(&to);
  to.format = in->fmt;
  to.batch_rows = 65536;
  to.schema = R->schema.release ? &R->schema : NULL;
  return pq_text_reader_open(in->path, &to, tr, R->err);
}

static parq_status count_text(rp *R, const pq_input *in, int64_t *rows) {
  parq_reader *pr;
  pq_text_reader *tr;
  PARQ_TRY(open_input(R, in, NULL, 0, &pr, &tr));
  struct ArrowArray b;
  parq_status st;
  *rows = 0;
  while ((st = pq_text_reader_next(tr, &b, R->err)) == PARQ_OK) {
    *rows += b.length;
    b.release(&b);
  }
  pq_text_reader_close(tr);
  return st == PARQ_DONE ? PARQ_OK : st;
}

/* Read one input (this rank's row groups) and route its rows. */
static parq_status do_input(rp *R, const pq_input *in, const int64_t *rgs, size_t nrg,
                            const int64_t *rg_start, int64_t file_start, int file_part) {
  parq_reader *pr;
  pq_text_reader *tr;
  if (in->fmt == PQ_FMT_PARQUET && nrg == 0) return PARQ_OK;
  PARQ_TRY(open_input(R, in, rgs, nrg, &pr, &tr));
  struct ArrowSchema s = {0};
  struct ArrowArray b = {0};
  parq_status st = pr ? parq_reader_schema(pr, &s, R->err) : pq_text_reader_schema(tr, &s, R->err);
  char msg[256];
  if (st == PARQ_OK && (pq_schema_names_diff(&R->schema, &s, msg, sizeof msg) ||
                        pq_schema_types_diff(&R->schema, &s, "", msg, sizeof msg)))
    st = parq_err_set(R->err, PARQ_ESCHEMA, "%s: schema differs from the first input: %s",
                      in->path, msg);
  size_t k = 0;
  int64_t g = pr ? (rg_start ? rg_start[0] : 0) : file_start;
  int64_t in_rg = 0;
  while (st == PARQ_OK) {
    st = pr ? parq_reader_next(pr, &b, R->err) : pq_text_reader_next(tr, &b, R->err);
    if (st == PARQ_DONE) {
      st = PARQ_OK;
      break;
    }
    if (st != PARQ_OK) break;
    if (pr && rg_start) { /* batches never span row groups */
      int64_t rows = parq_reader_row_group_num_rows(pr, rgs[k]);
      if (in_rg >= rows) {
        k++;
        in_rg = 0;
      }
      g = rg_start[k] + in_rg;
      in_rg += b.length;
    }
    st = do_batch(R, &s, &b, g, file_part, in->path);
    if (!(pr && rg_start)) g += b.length;
    b.release(&b);
  }
  if (st != PARQ_OK && !strstr(R->err ? R->err->message : "", in->path))
    parq_err_prefix(R->err, "%s", in->path);
  pq_arrow_array_release(&b);
  pq_arrow_schema_release(&s);
  parq_reader_close(pr);
  pq_text_reader_close(tr);
  return st;
}

static void remove_staging(const char *dir) {
  DIR *d = opendir(dir);
  if (!d) return;
  struct dirent *e;
  char path[4400];
  while ((e = readdir(d)) != NULL) {
    if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
    snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
    unlink(path);
  }
  closedir(d);
  rmdir(dir);
}

static parq_status check_output_dir(const char *dir, parq_error *err) {
  if (mkdir(dir, 0777) != 0 && errno != EEXIST) return parq_err_errno(err, "%s", dir);
  DIR *d = opendir(dir);
  if (!d) return parq_err_errno(err, "%s", dir);
  struct dirent *e;
  parq_status st = PARQ_OK;
  while ((e = readdir(d)) != NULL)
    if (!strncmp(e->d_name, "part-", 5)) {
      st = parq_err_set(err, PARQ_EINVAL,
                        "%s: already holds partitions (%s); remove them or choose another directory",
                        dir, e->d_name);
      break;
    }
  closedir(d);
  return st;
}

parq_status pq_repartition(const pq_repartition_options *o, const pq_comm *comm,
                           pq_repartition_stats *stats, parq_error *err) {
  if (o->partitions < 1 || o->partitions > 100000)
    return parq_err_set(err, PARQ_EINVAL, "--partitions must be 1..100000");
  if (o->mode == PQ_PART_HASH && (o->n_hash_cols == 0 || o->n_hash_cols > 32))
    return parq_err_set(err, PARQ_EINVAL, "--hash-by needs 1..32 columns");
  rp R;
  memset(&R, 0, sizeof R);
  R.o = o;
  R.comm = comm;
  R.err = err;
  R.flush_rows = o->write.row_group_rows > 0 && o->write.row_group_rows < 65536 ? o->write.row_group_rows : 65536;
  pq_input_list in;
  int64_t *counts = NULL, **sel = NULL, **starts = NULL;
  size_t *nsel = NULL;
  parq_status st = pq_inputs_expand(o->inputs, o->n_inputs, &in, err);
  if (st == PARQ_OK && in.n == 0) st = parq_err_set(err, PARQ_EINVAL, "no input files");
  if (st == PARQ_OK) st = check_output_dir(o->output_dir, err);
  snprintf(R.staging, sizeof R.staging, "%s/.staging-%05d", o->output_dir, comm->rank);
  remove_staging(R.staging);
  if (st == PARQ_OK && mkdir(R.staging, 0777) != 0) st = parq_err_errno(err, "%s", R.staging);
  R.parts = calloc((size_t)o->partitions, sizeof *R.parts);
  counts = calloc(in.n + 1, sizeof *counts);
  starts = calloc(in.n + 1, sizeof *starts);
  if (st == PARQ_OK && (!R.parts || !counts || !starts))
    st = parq_err_set(err, PARQ_ENOMEM, "out of memory");
  /* schema of the first input; row group counts and global row offsets */
  if (st == PARQ_OK) {
    parq_reader *pr;
    pq_text_reader *tr;
    st = open_input(&R, &in.v[0], NULL, 0, &pr, &tr);
    if (st == PARQ_OK) {
      st = pr ? parq_reader_schema(pr, &R.schema, err) : pq_text_reader_schema(tr, &R.schema, err);
      parq_reader_close(pr);
      pq_text_reader_close(tr);
    }
  }
  if (st == PARQ_OK && o->mode == PQ_PART_HASH) {
    for (size_t k = 0; k < o->n_hash_cols && st == PARQ_OK; k++)
      if (!pq_qschema_find(&R.schema, o->hash_cols[k]))
        st = parq_err_set(err, PARQ_EINVAL, "--hash-by: column '%s' not found in %s", o->hash_cols[k],
                          in.v[0].path);
  }
  int64_t *file_start = calloc(in.n + 1, sizeof *file_start);
  if (!file_start && st == PARQ_OK) st = parq_err_set(err, PARQ_ENOMEM, "out of memory");
  int64_t g = 0;
  for (size_t f = 0; f < in.n && st == PARQ_OK; f++) {
    file_start[f] = g;
    if (in.v[f].fmt == PQ_FMT_PARQUET && o->mode != PQ_PART_FILES) {
      parq_reader *r;
      if ((st = parq_reader_open(in.v[f].path, NULL, &r, err)) != PARQ_OK) break;
      counts[f] = parq_reader_num_row_groups(r);
      starts[f] = calloc((size_t)counts[f] + 1, sizeof **starts);
      if (!starts[f]) st = parq_err_set(err, PARQ_ENOMEM, "out of memory");
      for (int64_t k = 0; k < counts[f] && st == PARQ_OK; k++) {
        starts[f][k] = g;
        g += parq_reader_row_group_num_rows(r, k);
      }
      parq_reader_close(r);
    } else if (o->mode == PQ_PART_ROWS) {
      int64_t rows = 0;
      st = count_text(&R, &in.v[f], &rows);
      g += rows;
    }
  }
  R.total_rows = g;
  if (st == PARQ_OK) st = pq_dist_split(counts, in.n, comm->rank, comm->size, &sel, &nsel, err);
  for (size_t f = 0; f < in.n && st == PARQ_OK; f++) {
    int whole = in.v[f].fmt != PQ_FMT_PARQUET || o->mode == PQ_PART_FILES;
    if (whole) {
      if ((int)(f % (size_t)comm->size) != comm->rank) continue;
      st = do_input(&R, &in.v[f], NULL, 0, NULL, file_start[f], (int)(f % (size_t)o->partitions));
    } else if (nsel[f]) {
      /* rg_start[k] = global row index of selected row group k */
      int64_t *rs = malloc(nsel[f] * sizeof *rs);
      if (!rs) {
        st = parq_err_set(err, PARQ_ENOMEM, "out of memory");
        break;
      }
      for (size_t k = 0; k < nsel[f]; k++) rs[k] = starts[f][sel[f][k]];
      st = do_input(&R, &in.v[f], sel[f], nsel[f], rs, 0, 0);
      free(rs);
    }
  }
  for (int p = 0; p < o->partitions && st == PARQ_OK && R.parts; p++) st = flush_part(&R, p);
  for (int p = 0; p < o->partitions && R.parts; p++) {
    if (R.parts[p].w) {
      if (st == PARQ_OK) st = parq_writer_close(R.parts[p].w, err);
      else parq_writer_abort(R.parts[p].w);
      R.parts[p].w = NULL;
    }
    if (R.parts[p].ready) pq_rnode_free(&R.parts[p].rows);
  }
  /* commit only when every rank succeeded */
  int all = comm->all_ok(comm->ctx, st == PARQ_OK);
  if (st == PARQ_OK && !all)
    st = parq_err_set(err, PARQ_EIO, "another rank failed; nothing was written");
  for (int p = 0; p < o->partitions && st == PARQ_OK; p++) {
    char from[4200], dir[4200], to[4400];
    snprintf(from, sizeof from, "%s/part-%05d.parquet", R.staging, p);
    if (access(from, F_OK) != 0) continue;
    snprintf(dir, sizeof dir, "%s/part-%05d", o->output_dir, p);
    if (mkdir(dir, 0777) != 0 && errno != EEXIST) st = parq_err_errno(err, "%s", dir);
    snprintf(to, sizeof to, "%s/part-%05d.parquet", dir, comm->rank);
    if (st == PARQ_OK && rename(from, to) != 0) st = parq_err_errno(err, "rename %s", to);
  }
  remove_staging(R.staging);
  if (stats) *stats = R.st;
  free(file_start);
  for (size_t f = 0; f < in.n && starts; f++) free(starts[f]);
  free(starts);
  free(counts);
  pq_dist_split_free(sel, nsel, in.n);
  free(R.parts);
  parq_buf_free(&R.row);
  pq_arrow_schema_release(&R.schema);
  pq_inputs_free(&in);
  return st;
}
