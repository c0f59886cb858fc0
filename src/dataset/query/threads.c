/* threads.c — `parq sql --threads N`: runs the distributed executor with N
 * in-process "ranks" that are threads. The pq_comm collectives are barriers
 * over shared memory, so the thread path is the MPI path (same split, same
 * partial-state exchange and merge, same gather on rank 0) and cannot drift
 * from it. The runner asks the executor for the in-order variant
 * (pq_exec_options.in_order): contiguous blocks of row groups and, without
 * ORDER BY, aggregate states merged on rank 0 in rank order, so the output
 * is byte-identical to a one-thread run even where SQL leaves row order open.
 *
 * A thread that fails marks the communicator failed; every thread blocked in
 * (or later entering) a collective returns an error instead of waiting for a
 * peer that will never arrive, and the first failure is the one reported. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "dataset/query/query.h"
#include "util/error.h"

typedef struct tcomm {
  pthread_mutex_t mu;
  pthread_cond_t cv;
  int size;
  int arrived;
  unsigned gen;
  int failed;            /* a thread failed: collectives return errors */
  int first;             /* rank of the first failure, -1 none */
  const parq_buf **send; /* alltoallv deposits: send[rank][dest] */
  const void **data;     /* gather / allgather deposits */
  size_t *len;
  int *ok;
} tcomm;

typedef struct trank {
  tcomm *t;
  int rank;
  pq_comm comm;
  pq_query q;           /* ranks > 0 parse their own copy of the query */
  pq_query *qp;
  pq_exec_options o;
  pq_result res;
  pq_query_error err;
  parq_status st;
} trank;

/* Mark the job failed (first caller wins the report) and wake every waiter. */
static void tcomm_fail(tcomm *t, int rank) {
  pthread_mutex_lock(&t->mu);
  if (!t->failed) t->first = rank;
  t->failed = 1;
  pthread_cond_broadcast(&t->cv);
  pthread_mutex_unlock(&t->mu);
}

/* 0 when every rank arrived, -1 when the job failed meanwhile. */
static int tcomm_barrier(tcomm *t) {
  pthread_mutex_lock(&t->mu);
  int bad = t->failed;
  if (!bad) {
    unsigned g = t->gen;
    if (++t->arrived == t->size) {
      t->arrived = 0;
      t->gen++;
      pthread_cond_broadcast(&t->cv);
    } else {
      while (t->gen == g && !t->failed) pthread_cond_wait(&t->cv, &t->mu);
      bad = t->gen == g; /* woken by a failure, not by the last arrival */
    }
  }
  pthread_mutex_unlock(&t->mu);
  return bad ? -1 : 0;
}

static parq_status peer_failed(parq_error *err) {
  return parq_err_set(err, PARQ_EIO, "another query thread failed");
}

static parq_status t_alltoallv(void *ctx, const parq_buf *send, parq_buf *recv, parq_error *err) {
  trank *me = ctx;
  tcomm *t = me->t;
  t->send[me->rank] = send;
  if (tcomm_barrier(t)) return peer_failed(err);
  parq_status st = PARQ_OK;
  parq_buf_clear(recv);
  size_t total = 0; /* one allocation, not doubling copies */
  for (int r = 0; r < t->size; r++) total += t->send[r][me->rank].len;
  if (parq_buf_reserve(recv, total))
    st = parq_err_set(err, PARQ_ENOMEM, "out of memory exchanging data between threads");
  for (int r = 0; r < t->size && st == PARQ_OK; r++) {
    const parq_buf *b = &t->send[r][me->rank];
    if (b->len && parq_buf_append(recv, b->data, b->len) != PARQ_OK)
      st = parq_err_set(err, PARQ_ENOMEM, "out of memory exchanging data between threads");
  }
  if (st != PARQ_OK) tcomm_fail(t, me->rank);
  /* nobody may free its send buffers before every rank copied from them */
  if (tcomm_barrier(t) && st == PARQ_OK) st = peer_failed(err);
  return st;
}

/* Gather into recv on rank 0 (every rank when all != 0). */
static parq_status t_gather_to(trank *me, const void *data, size_t len, parq_buf *recv,
                               size_t *lens, int all, parq_error *err) {
  tcomm *t = me->t;
  t->data[me->rank] = data;
  t->len[me->rank] = len;
  if (tcomm_barrier(t)) return peer_failed(err);
  parq_status st = PARQ_OK;
  if (all || me->rank == 0) {
    parq_buf_clear(recv);
    for (int r = 0; r < t->size && st == PARQ_OK; r++) {
      if (lens) lens[r] = t->len[r];
      if (t->len[r] && parq_buf_append(recv, t->data[r], t->len[r]) != PARQ_OK)
        st = parq_err_set(err, PARQ_ENOMEM, "out of memory gathering thread results");
    }
  }
  if (st != PARQ_OK) tcomm_fail(t, me->rank);
  if (tcomm_barrier(t) && st == PARQ_OK) st = peer_failed(err);
  return st;
}

static parq_status t_gather(void *ctx, const void *data, size_t len, parq_buf *recv,
                            parq_error *err) {
  return t_gather_to(ctx, data, len, recv, NULL, 0, err);
}

static parq_status t_allgather(void *ctx, const void *data, size_t len, parq_buf *recv,
                               size_t *lens, parq_error *err) {
  return t_gather_to(ctx, data, len, recv, lens, 1, err);
}

static int t_all_ok(void *ctx, int ok) {
  trank *me = ctx;
  tcomm *t = me->t;
  t->ok[me->rank] = ok;
  if (tcomm_barrier(t)) return 0;
  int all = 1;
  for (int r = 0; r < t->size; r++) all &= t->ok[r] != 0;
  if (tcomm_barrier(t)) return 0;
  return all;
}

static void *rank_main(void *arg) {
  trank *me = arg;
  me->st = pq_query_run(me->qp, &me->o, &me->comm, &me->res, &me->err);
  if (me->st != PARQ_OK) tcomm_fail(me->t, me->rank);
  return NULL;
}

parq_status pq_query_run_threads(pq_query *q, const pq_exec_options *o, pq_result *out,
                                 pq_query_error *err) {
  int n = o->threads;
  memset(out, 0, sizeof *out);
  if (n <= 1) {
    pq_comm c;
    pq_comm_local(&c);
    return pq_query_run(q, o, &c, out, err);
  }
  if (n > 256) return pq_qerr(err, PARQ_EINVAL, -1, "--threads %d: at most 256", n);
  tcomm t;
  memset(&t, 0, sizeof t);
  t.size = n;
  t.first = -1;
  trank *rk = calloc((size_t)n, sizeof *rk);
  t.send = calloc((size_t)n, sizeof *t.send);
  t.data = calloc((size_t)n, sizeof *t.data);
  t.len = calloc((size_t)n, sizeof *t.len);
  t.ok = calloc((size_t)n, sizeof *t.ok);
  pthread_t *tid = calloc((size_t)n, sizeof *tid);
  parq_status st = PARQ_OK;
  int started = 0, parsed = 0, sync = 0;
  if (!rk || !t.send || !t.data || !t.len || !t.ok || !tid) {
    st = pq_qerr(err, PARQ_ENOMEM, -1, "out of memory starting query threads");
    goto done;
  }
  if (pthread_mutex_init(&t.mu, NULL)) {
    st = pq_qerr(err, PARQ_EIO, -1, "cannot create a mutex for query threads");
    goto done;
  }
  if (pthread_cond_init(&t.cv, NULL)) {
    pthread_mutex_destroy(&t.mu);
    st = pq_qerr(err, PARQ_EIO, -1, "cannot create a condition variable for query threads");
    goto done;
  }
  sync = 1;
  for (int r = 0; r < n; r++) {
    trank *me = &rk[r];
    me->t = &t;
    me->rank = r;
    me->o = *o;
    me->o.threads = 1;
    me->o.in_order = 1;
    /* each thread holds its share of the GROUP BY state */
    if (o->memory_limit > 0) me->o.memory_limit = o->memory_limit / n > 0 ? o->memory_limit / n : 1;
    me->comm.rank = r;
    me->comm.size = n;
    me->comm.ctx = me;
    me->comm.alltoallv = t_alltoallv;
    me->comm.gather = t_gather;
    me->comm.all_ok = t_all_ok;
    me->comm.allgather = t_allgather;
    me->err.pos = -1;
    if (r == 0) {
      me->qp = q; /* the caller's query gets planned (for --explain) */
      continue;
    }
    /* the text parsed once already; only memory can fail here */
    if ((st = pq_query_parse(q->text, &me->q, &me->err)) != PARQ_OK) {
      pq_query_free(&me->q);
      *err = me->err;
      goto done;
    }
    me->qp = &me->q;
    parsed = r;
  }
  for (; started < n; started++)
    if (pthread_create(&tid[started], NULL, rank_main, &rk[started])) break;
  if (started < n) {
    /* the ranks already running wait in a collective for the missing ones */
    tcomm_fail(&t, started);
    st = pq_qerr(err, PARQ_EIO, -1, "cannot start query thread %d of %d", started + 1, n);
  }
  for (int r = 0; r < started; r++) pthread_join(tid[r], NULL);
  if (st == PARQ_OK && t.failed) {
    st = rk[t.first].st;
    *err = rk[t.first].err;
  }
  if (st == PARQ_OK) {
    *out = rk[0].res; /* rank 0 finished ORDER BY / LIMIT */
    memset(&rk[0].res, 0, sizeof rk[0].res);
  }
done:
  if (rk) {
    for (int r = 0; r < n; r++) pq_result_free(&rk[r].res);
    for (int r = 1; r <= parsed; r++) pq_query_free(&rk[r].q);
  }
  if (sync) {
    pthread_cond_destroy(&t.cv);
    pthread_mutex_destroy(&t.mu);
  }
  free(rk);
  free((void *)t.send);
  free((void *)t.data);
  free(t.len);
  free(t.ok);
  free(tid);
  return st;
}
