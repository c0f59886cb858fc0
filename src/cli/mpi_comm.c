/* mpi_comm.c — the CLI's MPI glue (built with PARQ_HAVE_MPI). Under mpirun
 * (detected from the launcher's environment) a command joins MPI_COMM_WORLD
 * and hands the library a pq_comm backed by MPI collectives; the library
 * itself never calls MPI. A rank that fails prints "rank R of W failed:
 * cause" and calls MPI_Abort so the whole job stops with nothing written.
 * Without MPI (or outside a launcher) the comm is the one-rank local one. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/mpi_comm.h"
#include "util/error.h"

#ifdef PARQ_HAVE_MPI
#include <mpi.h>
#endif

#ifdef PARQ_HAVE_MPI
static int under_launcher(void) {
  return getenv("OMPI_COMM_WORLD_SIZE") || getenv("PMI_SIZE") || getenv("PMIX_RANK") ||
         getenv("MPI_LOCALNRANKS");
}

static parq_status mpi_alltoallv(void *ctx, const parq_buf *send, parq_buf *recv,
                                 parq_error *err) {
  (void)ctx;
  int W;
  MPI_Comm_size(MPI_COMM_WORLD, &W);
  int *sc = calloc((size_t)W * 4, sizeof *sc);
  if (!sc) return parq_err_set(err, PARQ_ENOMEM, "out of memory");
  int *sd = sc + W, *rc = sc + 2 * W, *rd = sc + 3 * W;
  size_t total = 0;
  for (int r = 0; r < W; r++) {
    if (send[r].len > INT32_MAX) {
      free(sc);
      return parq_err_set(err, PARQ_EUNSUPPORTED, "exchange of more than 2 GiB to one rank");
    }
    sc[r] = (int)send[r].len;
  }
  MPI_Alltoall(sc, 1, MPI_INT, rc, 1, MPI_INT, MPI_COMM_WORLD);
  parq_buf out = PARQ_BUF_INIT;
  size_t stot = 0;
  for (int r = 0; r < W; r++) {
    sd[r] = (int)stot;
    stot += (size_t)sc[r];
    rd[r] = (int)total;
    total += (size_t)rc[r];
  }
  if (stot > INT32_MAX || total > INT32_MAX) {
    free(sc);
    return parq_err_set(err, PARQ_EUNSUPPORTED, "exchange larger than 2 GiB per rank");
  }
  parq_buf flat = PARQ_BUF_INIT;
  for (int r = 0; r < W; r++)
    if (send[r].len && parq_buf_append(&flat, send[r].data, send[r].len)) goto oom;
  if (parq_buf_resize(&out, total ? total : 1)) goto oom;
  MPI_Alltoallv(flat.data, sc, sd, MPI_BYTE, out.data, rc, rd, MPI_BYTE, MPI_COMM_WORLD);
  out.len = total;
  parq_buf_free(recv);
  *recv = out;
  parq_buf_free(&flat);
  free(sc);
  return PARQ_OK;
oom:
  parq_buf_free(&flat);
  parq_buf_free(&out);
  free(sc);
  return parq_err_set(err, PARQ_ENOMEM, "out of memory in exchange");
}

static parq_status mpi_gather(void *ctx, const void *data, size_t len, parq_buf *recv,
                              parq_error *err) {
  (void)ctx;
  int W, me;
  MPI_Comm_size(MPI_COMM_WORLD, &W);
  MPI_Comm_rank(MPI_COMM_WORLD, &me);
  if (len > INT32_MAX) return parq_err_set(err, PARQ_EUNSUPPORTED, "result larger than 2 GiB per rank");
  int n = (int)len;
  int *cnt = calloc((size_t)W * 2, sizeof *cnt);
  if (!cnt) return parq_err_set(err, PARQ_ENOMEM, "out of memory");
  int *disp = cnt + W;
  MPI_Gather(&n, 1, MPI_INT, cnt, 1, MPI_INT, 0, MPI_COMM_WORLD);
  size_t total = 0;
  for (int r = 0; r < W && me == 0; r++) {
    disp[r] = (int)total;
    total += (size_t)cnt[r];
  }
  if (total > INT32_MAX) {
    free(cnt);
    return parq_err_set(err, PARQ_EUNSUPPORTED, "gathered result larger than 2 GiB");
  }
  if (me == 0) {
    parq_buf_clear(recv);
    if (parq_buf_resize(recv, total ? total : 1)) {
      free(cnt);
      return parq_err_set(err, PARQ_ENOMEM, "out of memory");
    }
    recv->len = total;
  }
  MPI_Gatherv(data, n, MPI_BYTE, me == 0 ? recv->data : NULL, cnt, disp, MPI_BYTE, 0,
              MPI_COMM_WORLD);
  free(cnt);
  return PARQ_OK;
}

static parq_status mpi_allgather(void *ctx, const void *data, size_t len, parq_buf *recv,
                                 size_t *lens, parq_error *err) {
  (void)ctx;
  int W;
  MPI_Comm_size(MPI_COMM_WORLD, &W);
  if (len > INT32_MAX) return parq_err_set(err, PARQ_EUNSUPPORTED, "allgather of more than 2 GiB per rank");
  int n = (int)len;
  int *cnt = calloc((size_t)W * 2, sizeof *cnt);
  if (!cnt) return parq_err_set(err, PARQ_ENOMEM, "out of memory");
  int *disp = cnt + W;
  MPI_Allgather(&n, 1, MPI_INT, cnt, 1, MPI_INT, MPI_COMM_WORLD);
  size_t total = 0;
  for (int r = 0; r < W; r++) {
    disp[r] = (int)total;
    total += (size_t)cnt[r];
    if (lens) lens[r] = (size_t)cnt[r];
    if (total > INT32_MAX) {
      free(cnt);
      return parq_err_set(err, PARQ_EUNSUPPORTED, "allgather larger than 2 GiB");
    }
  }
  parq_buf_clear(recv);
  if (parq_buf_resize(recv, total ? total : 1)) {
    free(cnt);
    return parq_err_set(err, PARQ_ENOMEM, "out of memory");
  }
  recv->len = total;
  MPI_Allgatherv(data, n, MPI_BYTE, recv->data, cnt, disp, MPI_BYTE, MPI_COMM_WORLD);
  free(cnt);
  return PARQ_OK;
}

static int mpi_all_ok(void *ctx, int ok) {
  (void)ctx;
  int all = 0;
  MPI_Allreduce(&ok, &all, 1, MPI_INT, MPI_MIN, MPI_COMM_WORLD);
  return all;
}
#endif

/* Join MPI when launched by mpirun; else a one-rank comm. 0 ok, -1 failed. */
int cli_mpi_begin(pq_comm *c) {
  pq_comm_local(c);
#ifdef PARQ_HAVE_MPI
  if (!under_launcher()) return 0;
  int inited = 0;
  MPI_Initialized(&inited);
  if (!inited && MPI_Init(NULL, NULL) != MPI_SUCCESS) {
    fprintf(stderr, "parq: MPI_Init failed\n");
    return -1;
  }
  MPI_Comm_rank(MPI_COMM_WORLD, &c->rank);
  MPI_Comm_size(MPI_COMM_WORLD, &c->size);
  c->alltoallv = mpi_alltoallv;
  c->gather = mpi_gather;
  c->all_ok = mpi_all_ok;
  c->allgather = mpi_allgather;
  c->ctx = c;
#endif
  return 0;
}

void cli_mpi_end(const pq_comm *c) {
#ifdef PARQ_HAVE_MPI
  if (c->ctx) MPI_Finalize();
#else
  (void)c;
#endif
}

/* A rank failed: stop every rank (nothing is printed to stdout by then). */
void cli_mpi_fail(const pq_comm *c, const char *what) {
#ifdef PARQ_HAVE_MPI
  if (c->ctx && c->size > 1) {
    fprintf(stderr, "parq: rank %d of %d failed: %s\n", c->rank, c->size, what);
    fflush(stderr);
    MPI_Abort(MPI_COMM_WORLD, 1);
  }
#else
  (void)c;
  (void)what;
#endif
}

