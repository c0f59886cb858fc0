/* dist.c — the single-process pq_comm and the row-group split shared by
 * the distributed SQL executor and repartition (see dist.h). */
#include <stdlib.h>
#include <string.h>

#include "dataset/dist.h"
#include "util/error.h"

static parq_status local_alltoallv(void *ctx, const parq_buf *send, parq_buf *recv,
                                   parq_error *err) {
  (void)ctx;
  parq_buf_clear(recv);
  if (parq_buf_append(recv, send[0].data, send[0].len) != PARQ_OK)
    return parq_err_set(err, PARQ_ENOMEM, "out of memory exchanging data");
  return PARQ_OK;
}

static parq_status local_gather(void *ctx, const void *data, size_t len, parq_buf *recv,
                                parq_error *err) {
  (void)ctx;
  parq_buf_clear(recv);
  if (parq_buf_append(recv, data, len) != PARQ_OK)
    return parq_err_set(err, PARQ_ENOMEM, "out of memory gathering data");
  return PARQ_OK;
}

static parq_status local_allgather(void *ctx, const void *data, size_t len, parq_buf *recv,
                                   size_t *lens, parq_error *err) {
  if (lens) lens[0] = len;
  return local_gather(ctx, data, len, recv, err);
}

static int local_all_ok(void *ctx, int ok) {
  (void)ctx;
  return ok;
}

void pq_comm_local(pq_comm *c) {
  memset(c, 0, sizeof *c);
  c->rank = 0;
  c->size = 1;
  c->alltoallv = local_alltoallv;
  c->gather = local_gather;
  c->all_ok = local_all_ok;
  c->allgather = local_allgather;
}

void pq_dist_split_free(int64_t **sel, size_t *n, size_t n_files) {
  if (sel)
    for (size_t f = 0; f < n_files; f++) free(sel[f]);
  free(sel);
  free(n);
}

parq_status pq_dist_split(const int64_t *counts, size_t n_files, int rank, int size,
                          int64_t ***out, size_t **n_out, parq_error *err) {
  int64_t **sel = calloc(n_files ? n_files : 1, sizeof *sel);
  size_t *ns = calloc(n_files ? n_files : 1, sizeof *ns);
  if (!sel || !ns) goto oom;
  int64_t g = 0;
  for (size_t f = 0; f < n_files; f++) {
    int64_t c = counts[f] > 0 ? counts[f] : 0;
    sel[f] = malloc((size_t)(c ? c : 1) * sizeof **sel);
    if (!sel[f]) goto oom;
    for (int64_t k = 0; k < c; k++, g++)
      if (g % size == rank) sel[f][ns[f]++] = k;
  }
  *out = sel;
  *n_out = ns;
  return PARQ_OK;
oom:
  pq_dist_split_free(sel, ns, n_files);
  return parq_err_set(err, PARQ_ENOMEM, "out of memory splitting row groups");
}
