/* repack_feed.c — a reader thread for `parq repack`'s pass 1: it opens the
 * inputs in order, reads and parses their batches and hands them over
 * through a small bounded queue, so parsing overlaps the row encoding and
 * spilling on the caller's thread.
 *
 * Why a pipeline and not one thread per input or byte range: it keeps the
 * spill files in the order a serial run writes them (and so identical for
 * any --jobs), with one reader's memory. Batches own their buffers (Arrow release callbacks),
 * so they outlive the source they came from. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "dataset/repack_internal.h"
#include "util/error.h"

#define FEED_MAX_DEPTH 8

typedef struct feed_item {
  struct ArrowArray b;
  size_t input;
  int64_t first_row, bytes_done;
  parq_status st; /* PARQ_OK: b holds a batch; PARQ_DONE: end of all inputs; else error */
  parq_error err;
} feed_item;

struct pq_feed {
  pthread_t tid;
  int started;
  pthread_mutex_t mu;
  pthread_cond_t cv;
  feed_item q[FEED_MAX_DEPTH];
  int head, len, depth;
  int stop, finished; /* finished: the final item (DONE or an error) is queued */
  size_t n_inputs;
  pq_feed_open_fn open;
  void *user;
};

/* Queue one item; blocks while the queue is full. 0 when told to stop (the
 * item is then released here). */
static int put(pq_feed *f, feed_item *it) {
  pthread_mutex_lock(&f->mu);
  while (!f->stop && f->len == f->depth) pthread_cond_wait(&f->cv, &f->mu);
  int ok = !f->stop;
  if (ok) {
    f->q[(f->head + f->len) % f->depth] = *it;
    f->len++;
    if (it->st != PARQ_OK) f->finished = 1;
    pthread_cond_broadcast(&f->cv);
  }
  pthread_mutex_unlock(&f->mu);
  if (!ok && it->st == PARQ_OK && it->b.release) it->b.release(&it->b);
  return ok;
}

static void *feed_main(void *arg) {
  pq_feed *f = arg;
  feed_item it;
  for (size_t i = 0; i < f->n_inputs; i++) {
    pq_src s;
    memset(&it, 0, sizeof it);
    it.input = i;
    it.st = f->open(f->user, i, &s, &it.err);
    if (it.st != PARQ_OK) {
      put(f, &it);
      return NULL;
    }
    for (;;) {
      memset(&it.b, 0, sizeof it.b);
      it.st = pq_src_next(&s, &it.b, &it.err);
      if (it.st == PARQ_DONE) break;
      it.bytes_done = pq_src_bytes_done(&s);
      it.first_row = s.first_row;
      if (!put(f, &it) || it.st != PARQ_OK) {
        pq_src_close(&s);
        return NULL;
      }
    }
    pq_src_close(&s);
  }
  memset(&it, 0, sizeof it);
  it.st = PARQ_DONE;
  put(f, &it);
  return NULL;
}

parq_status pq_feed_start(size_t n_inputs, int depth, pq_feed_open_fn open, void *user,
                          pq_feed **out, parq_error *err) {
  *out = NULL;
  pq_feed *f = calloc(1, sizeof *f);
  if (!f) return parq_err_set(err, PARQ_ENOMEM, "out of memory");
  f->depth = depth < 1 ? 1 : depth > FEED_MAX_DEPTH ? FEED_MAX_DEPTH : depth;
  f->n_inputs = n_inputs;
  f->open = open;
  f->user = user;
  if (pthread_mutex_init(&f->mu, NULL) != 0) {
    free(f);
    return parq_err_set(err, PARQ_EINTERNAL, "repack: cannot create a lock");
  }
  if (pthread_cond_init(&f->cv, NULL) != 0) {
    pthread_mutex_destroy(&f->mu);
    free(f);
    return parq_err_set(err, PARQ_EINTERNAL, "repack: cannot create a condition variable");
  }
  if (pthread_create(&f->tid, NULL, feed_main, f) != 0) {
    pthread_cond_destroy(&f->cv);
    pthread_mutex_destroy(&f->mu);
    free(f);
    return parq_err_set(err, PARQ_EIO, "repack: cannot start the reader thread");
  }
  f->started = 1;
  *out = f;
  return PARQ_OK;
}

parq_status pq_feed_next(pq_feed *f, struct ArrowArray *b, size_t *input, int64_t *first_row,
                         int64_t *bytes_done, parq_error *err) {
  pthread_mutex_lock(&f->mu);
  while (f->len == 0) pthread_cond_wait(&f->cv, &f->mu);
  feed_item *it = &f->q[f->head];
  parq_status st = it->st;
  *input = it->input;
  *bytes_done = it->bytes_done;
  *first_row = it->first_row;
  if (st == PARQ_OK) {
    *b = it->b;
    memset(&it->b, 0, sizeof it->b);
  } else if (st != PARQ_DONE && err) {
    *err = it->err;
  }
  if (st == PARQ_OK) { /* the final item stays queued: later calls see it again */
    f->head = (f->head + 1) % f->depth;
    f->len--;
    pthread_cond_broadcast(&f->cv);
  }
  pthread_mutex_unlock(&f->mu);
  return st;
}

void pq_feed_stop(pq_feed *f) {
  if (!f) return;
  pthread_mutex_lock(&f->mu);
  f->stop = 1;
  pthread_cond_broadcast(&f->cv);
  pthread_mutex_unlock(&f->mu);
  if (f->started) pthread_join(f->tid, NULL);
  for (int k = 0; k < f->len; k++) {
    feed_item *it = &f->q[(f->head + k) % f->depth];
    if (it->st == PARQ_OK && it->b.release) it->b.release(&it->b);
  }
  pthread_cond_destroy(&f->cv);
  pthread_mutex_destroy(&f->mu);
  free(f);
}
