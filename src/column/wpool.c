/* wpool.c — page compression tasks and the worker pool (see wpool.h).
 *
 * One mutex guards the FIFO queue and every queued task's `done` flag; a
 * worker fills a task's results before marking it done under the lock, so a
 * thread that sees done (under the lock) sees the results. Each thread has its
 * own codec context and scratch buffer; so does the producer, which compresses
 * queued pages itself whenever it would otherwise wait. */
#include "column/wpool.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "util/crc32.h"
#include "util/error.h"

/* Backlog per compressing thread before the producer helps. Deep enough that
 * the workers still have pages queued while the producer parses the next
 * input batch (2 cores, 1 GB of JSONL, 2 threads: a sleeping producer with 3
 * tasks / 1 MiB left 16-18% of the CPU idle; helping with 8 tasks / 2 MiB and
 * 2 MB input batches, 10-13%); each queued byte is memory, so no deeper. */
#define MAX_QUEUED_PER_THREAD 8
#define MAX_QUEUED_BYTES_PER_THREAD (2u << 20)

pq_page_task *pq_page_task_new(void) { return calloc(1, sizeof(pq_page_task)); }

void pq_page_task_free(pq_page_task *t) {
  if (!t) return;
  parq_buf_free(&t->raw);
  parq_buf_free(&t->out);
  free(t);
}

parq_status pq_page_task_run(pq_page_task *t, pq_codec_ctx *cctx, parq_buf *scratch) {
  parq_status st = PARQ_OK;
  bool compressed = t->codec != PARQ_CODEC_UNCOMPRESSED;
  size_t bn = t->raw.len - t->keep, sn = bn;
  parq_buf_clear(scratch);
  if (compressed) {
    st = pq_compress(cctx, t->codec, t->level, t->raw.data + t->keep, bn, scratch, &t->err);
    if (st != PARQ_OK) {
      parq_err_prefix(&t->err, "column '%s'", t->path);
      goto fail;
    }
    sn = scratch->len;
  }
  if (t->keep + sn > INT32_MAX) {
    st = parq_err_set(&t->err, PARQ_ENOMEM, "column '%s': compressed page too large", t->path);
    goto fail;
  }
  t->h.compressed_page_size = (int32_t)(t->keep + sn);
  if (t->crc) {
    uint32_t crc = parq_crc32(0, t->raw.data, t->keep);
    if (sn) crc = parq_crc32(crc, compressed ? scratch->data : t->raw.data + t->keep, sn);
    t->h.has_crc = true;
    t->h.crc = (int32_t)crc;
  }
  /* The header goes to scratch after the compressed bytes. */
  size_t hat = scratch->len;
  if (pq_encode_page_header(&t->h, scratch) != PARQ_OK) goto oom;
  size_t hl = scratch->len - hat, need = hl + t->keep + sn;
  /* One exact-size allocation per page: the raw buffer goes back to its
   * producer for the next page, so large buffers are recycled, not churned. */
  parq_buf_free(&t->out);
  if (parq_buf_reserve(&t->out, need) != PARQ_OK) goto oom;
  parq_buf_put(&t->out, scratch->data + hat, hl);
  if (t->keep) parq_buf_put(&t->out, t->raw.data, t->keep);
  if (sn) parq_buf_put(&t->out, compressed ? scratch->data : t->raw.data + t->keep, sn);
  t->hdr_len = hl;
  t->st = PARQ_OK;
  t->err.code = PARQ_OK;
  return PARQ_OK;
oom:
  st = parq_err_set(&t->err, PARQ_ENOMEM, "column '%s': out of memory", t->path);
fail:
  t->st = st;
  return st;
}

/* ------------------------------------------------------------------ pool */

typedef struct worker {
  pq_wpool *pool;
  pthread_t tid;
  pq_codec_ctx *cctx;
  parq_buf scratch;
} worker;

struct pq_wpool {
  pthread_mutex_t mu;
  pthread_cond_t work;     /* queue became non-empty, or stop */
  pthread_cond_t done;     /* some task finished */
  pq_page_task *head, *tail;
  size_t queued, queued_bytes;
  bool stop;
  int n;                   /* threads compressing in all, the producer included */
  int n_workers, started;
  worker *w;
  worker self;             /* the producer's codec context, used while it helps */
  parq_buf *spare;         /* raw buffers of finished tasks, for the producer to reuse */
  size_t n_spare, cap_spare;
};

/* Under the lock: take the oldest queued task, or NULL. */
static pq_page_task *pop(pq_wpool *p) {
  pq_page_task *t = p->head;
  if (!t) return NULL;
  p->head = t->next;
  if (!p->head) p->tail = NULL;
  t->next = NULL;
  p->queued--;
  p->queued_bytes -= t->raw.len;
  return t;
}

/* Run t outside the lock, then mark it done. Called with the lock held. */
static void run_locked(pq_wpool *p, worker *wk, pq_page_task *t) {
  pthread_mutex_unlock(&p->mu);
  (void)pq_page_task_run(t, wk->cctx, &wk->scratch);
  parq_buf_clear(&t->raw);
  pthread_mutex_lock(&p->mu);
  if (p->n_spare < p->cap_spare) {
    p->spare[p->n_spare++] = t->raw;
    t->raw = (parq_buf)PARQ_BUF_INIT;
  } else {
    parq_buf_free(&t->raw); /* before done: the task may be freed right after */
  }
  t->done = true;
  pthread_cond_broadcast(&p->done);
}

static void *worker_main(void *arg) {
  worker *wk = arg;
  pq_wpool *p = wk->pool;
  pthread_mutex_lock(&p->mu);
  for (;;) {
    while (!p->stop && !p->head) pthread_cond_wait(&p->work, &p->mu);
    if (p->stop) break;
    run_locked(p, wk, pop(p));
  }
  pthread_mutex_unlock(&p->mu);
  return NULL;
}

parq_status pq_wpool_new(int n, pq_wpool **out, parq_error *err) {
  *out = NULL;
  if (n < 1) n = 1;
  pq_wpool *p = calloc(1, sizeof *p);
  if (!p) return parq_err_set(err, PARQ_ENOMEM, "compression pool: out of memory");
  p->n = n;
  p->n_workers = n > 1 ? n - 1 : 1; /* the producer is the n-th */
  p->w = calloc((size_t)p->n_workers, sizeof *p->w);
  p->cap_spare = (size_t)n + 2; /* enough to cover the pipeline, few to hold */
  p->spare = calloc(p->cap_spare, sizeof *p->spare);
  if (!p->w || !p->spare) {
    free(p->spare);
    free(p->w);
    free(p);
    return parq_err_set(err, PARQ_ENOMEM, "compression pool: out of memory");
  }
  if (pthread_mutex_init(&p->mu, NULL) != 0 || pthread_cond_init(&p->work, NULL) != 0 ||
      pthread_cond_init(&p->done, NULL) != 0) {
    /* glibc's init cannot fail for default attributes; treat it as fatal anyway. */
    free(p->spare);
    free(p->w);
    free(p);
    return parq_err_set(err, PARQ_EINTERNAL, "compression pool: cannot create a lock");
  }
  p->self.pool = p;
  p->self.cctx = pq_codec_ctx_new();
  if (!p->self.cctx) {
    pq_wpool_free(p);
    return parq_err_set(err, PARQ_ENOMEM, "compression pool: out of memory");
  }
  for (int i = 0; i < p->n_workers; i++) {
    worker *wk = &p->w[i];
    wk->pool = p;
    wk->cctx = pq_codec_ctx_new();
    if (!wk->cctx) {
      pq_wpool_free(p);
      return parq_err_set(err, PARQ_ENOMEM, "compression pool: out of memory");
    }
    if (pthread_create(&wk->tid, NULL, worker_main, wk) != 0) {
      pq_codec_ctx_free(wk->cctx);
      wk->cctx = NULL;
      pq_wpool_free(p);
      return parq_err_set(err, PARQ_EIO, "compression pool: cannot start thread %d of %d", i + 1,
                          p->n_workers);
    }
    p->started++;
  }
  *out = p;
  return PARQ_OK;
}

void pq_wpool_free(pq_wpool *p) {
  if (!p) return;
  pthread_mutex_lock(&p->mu);
  p->stop = true;
  pthread_cond_broadcast(&p->work);
  pthread_mutex_unlock(&p->mu);
  for (int i = 0; i < p->started; i++) pthread_join(p->w[i].tid, NULL);
  for (int i = 0; i < p->n_workers; i++) {
    pq_codec_ctx_free(p->w[i].cctx);
    parq_buf_free(&p->w[i].scratch);
  }
  pq_codec_ctx_free(p->self.cctx);
  parq_buf_free(&p->self.scratch);
  for (size_t i = 0; i < p->n_spare; i++) parq_buf_free(&p->spare[i]);
  free(p->spare);
  pthread_cond_destroy(&p->done);
  pthread_cond_destroy(&p->work);
  pthread_mutex_destroy(&p->mu);
  free(p->w);
  free(p);
}

void pq_wpool_submit(pq_wpool *p, pq_page_task *t) {
  pthread_mutex_lock(&p->mu);
  t->done = false;
  t->next = NULL;
  if (p->tail) p->tail->next = t;
  else p->head = t;
  p->tail = t;
  p->queued++;
  p->queued_bytes += t->raw.len;
  pthread_cond_signal(&p->work);
  /* Workers fall behind: the producer compresses queued pages itself until
   * the backlog is short again, which bounds the memory of waiting pages.
   * Helping rather than sleeping keeps n threads on n cores: with n workers
   * plus a sleeping producer, the producer's wake-ups preempted workers and
   * a worker could idle while the producer encoded the next page. */
  while (p->head && (p->queued > (size_t)p->n * MAX_QUEUED_PER_THREAD ||
                     p->queued_bytes > (size_t)p->n * MAX_QUEUED_BYTES_PER_THREAD))
    run_locked(p, &p->self, pop(p));
  pthread_mutex_unlock(&p->mu);
}

void pq_wpool_wait(pq_wpool *p, pq_page_task *t) {
  pthread_mutex_lock(&p->mu);
  /* Help with queued pages (t among them, in FIFO order) rather than sleep. */
  while (!t->done) {
    if (p->head) run_locked(p, &p->self, pop(p));
    else pthread_cond_wait(&p->done, &p->mu);
  }
  pthread_mutex_unlock(&p->mu);
}

bool pq_wpool_done(pq_wpool *p, const pq_page_task *t) {
  pthread_mutex_lock(&p->mu);
  bool d = t->done;
  pthread_mutex_unlock(&p->mu);
  return d;
}

void pq_wpool_take_buf(pq_wpool *p, parq_buf *b) {
  pthread_mutex_lock(&p->mu);
  if (p->n_spare && !b->data) *b = p->spare[--p->n_spare];
  pthread_mutex_unlock(&p->mu);
}
