/* wpool.h — page compression tasks and the worker pool that runs them.
 *
 * A page task is one encoded page waiting for its stored form: the main
 * thread fills the header (everything but compressed size and CRC) and the
 * uncompressed body; pq_page_task_run() compresses, checksums and encodes the
 * header. With a pool, tasks run on worker threads; without one the column
 * writer runs them inline. The result only depends on the task, so output is
 * identical whatever thread ran it.
 *
 * Ownership: tasks belong to their column chunk, never to the pool; the pool
 * only links queued tasks. Free the pool (which joins the workers and drops
 * queued tasks unrun) before freeing tasks that may still be queued. */
#ifndef PARQ_COLUMN_WPOOL_H
#define PARQ_COLUMN_WPOOL_H
#include <stdbool.h>
#include <stddef.h>

#include "codec/codec.h"
#include "format/metadata.h"
#include "util/buf.h"

typedef struct pq_page_task {
  struct pq_page_task *next;  /* pool queue link */
  pq_page_header h;           /* all but compressed size / CRC; may point into a chunk arena */
  parq_buf raw;               /* uncompressed body (recycled once run) */
  size_t keep;                /* leading raw bytes stored uncompressed (v2 levels) */
  int codec, level;
  bool crc;
  const char *path;           /* column path, for messages */
  /* results, valid once done */
  parq_buf out;               /* encoded header + stored body */
  size_t hdr_len;
  parq_status st;
  parq_error err;
  bool done;                  /* guarded by the pool lock when queued */
} pq_page_task;

pq_page_task *pq_page_task_new(void);
void pq_page_task_free(pq_page_task *t);
/* Compress + CRC + header into t->out (scratch: a reusable buffer of the
 * caller's thread). Leaves t->raw for the caller to recycle. Sets t->st /
 * t->err and returns t->st. */
parq_status pq_page_task_run(pq_page_task *t, pq_codec_ctx *cctx, parq_buf *scratch);

typedef struct pq_wpool pq_wpool;

/* Compress on n threads in all (n >= 1): n - 1 workers (at least one) plus
 * the producer, which runs queued tasks itself in pq_wpool_submit when the
 * backlog is long and in pq_wpool_wait instead of sleeping. */
parq_status pq_wpool_new(int n, pq_wpool **out, parq_error *err);
/* Stop and join the workers; tasks still queued are left unrun. NULL is fine. */
void pq_wpool_free(pq_wpool *p);
/* Queue a task. When the backlog is long the caller runs queued tasks until
 * it is short again, which bounds the memory of pages waiting for compression. */
void pq_wpool_submit(pq_wpool *p, pq_page_task *t);
/* Return once t is done, running queued tasks meanwhile. */
void pq_wpool_wait(pq_wpool *p, pq_page_task *t);
/* Is t done? (non-blocking) */
bool pq_wpool_done(pq_wpool *p, const pq_page_task *t);
/* Give an unallocated buffer the (empty) raw buffer of a finished task, if
 * any, so the producer reuses page-sized allocations instead of churning. */
void pq_wpool_take_buf(pq_wpool *p, parq_buf *b);

#endif
