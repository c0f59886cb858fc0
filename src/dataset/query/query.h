/* query.h — the SQL engine behind `parq sql`: lexer, parser (-> AST), planner
 * (logical plan: Scan -> Filter -> Aggregate -> Filter(HAVING) -> Project ->
 * Sort -> Limit), vectorised executor over Arrow batches and result output.
 *
 * Values inside the executor are column vectors (qvec) of seven logical
 * types; every Arrow input column is converted once per batch. Errors carry a
 * byte offset into the query text (pq_query_error.pos) so the CLI can print
 * the query with a caret under the offending token.
 *
 * Distributed execution goes through pq_comm (dataset/dist.h): with a
 * one-rank comm the executor is a plain single-process engine. */
#ifndef PARQ_DATASET_QUERY_H
#define PARQ_DATASET_QUERY_H
#include <stdint.h>

#include "dataset/dist.h"
#include "parq.h"
#include "util/arena.h"
#include "util/buf.h"

/* ---- values ---- */
typedef enum { QT_NULL, QT_BOOL, QT_INT, QT_DBL, QT_STR, QT_DATE, QT_TS } qtype;
typedef struct qstr {
  const char *p;
  uint32_t n;
} qstr;

/* A column vector of n rows. nul[i] = 1 marks NULL (nul == NULL: no NULLs).
 * BOOL, INT, DATE (days) and TS (microseconds, UTC) use i; DBL uses d. */
typedef struct qvec {
  qtype t;
  int64_t n;
  uint8_t *nul;
  int64_t *i;
  double *d;
  qstr *s;
} qvec;

/* ---- AST ---- */
typedef enum {
  QE_COL, QE_LIT, QE_NEG, QE_NOT, QE_BIN, QE_FUNC, QE_CASE, QE_CAST, QE_IN, QE_LIKE, QE_ISNULL,
  QE_STAR, QE_SLOT
} qe_kind;

/* Binary operators (QE_BIN). */
typedef enum {
  QO_ADD, QO_SUB, QO_MUL, QO_DIV, QO_MOD, QO_CONCAT, QO_EQ, QO_NE, QO_LT, QO_LE, QO_GT, QO_GE,
  QO_AND, QO_OR
} qop;

/* Functions (QE_FUNC); aggregates first. */
typedef enum {
  QF_COUNT, QF_SUM, QF_AVG, QF_MIN, QF_MAX, QF_AGG_END,
  QF_LENGTH, QF_LOWER, QF_UPPER, QF_SUBSTR, QF_COALESCE, QF_ABS, QF_ROUND, QF_HASH, QF_YEAR,
  QF_MONTH, QF_DAY, QF_HOUR, QF_MINUTE, QF_SECOND
} qfunc;

typedef struct qexpr {
  qe_kind kind;
  int op;          /* qop, qfunc, or target qtype for CAST */
  int pos, end;    /* byte range in the query text */
  char *name;      /* QE_COL: dotted path as written */
  qtype lt;        /* QE_LIT: literal type */
  int64_t li;
  double ld;
  qstr ls;
  struct qexpr **args;
  int nargs;
  int negated;     /* NOT IN / NOT LIKE / IS NOT NULL */
  int ci;          /* ILIKE */
  int distinct;    /* count(DISTINCT x) */
  int star;        /* count(*) */
  int has_else;    /* CASE: last arg is ELSE */
  int slot;        /* QE_COL / QE_SLOT after binding */
  qtype type;      /* result type after binding */
} qexpr;

typedef struct qorder {
  qexpr *e;
  int desc;
  int nulls_first; /* -1 default (NULLS LAST) */
  int col;         /* output column after planning */
} qorder;

/* ---- logical plan ----
 * A tree of nodes, each with one input (child[0]); child[1] is reserved for
 * joins. The executor runs the pipeline bottom-up. */
typedef enum { QP_SCAN, QP_FILTER, QP_AGGREGATE, QP_PROJECT, QP_SORT, QP_LIMIT } qp_kind;
typedef struct qplan {
  qp_kind kind;
  struct qplan *child[2];
} qplan;

typedef struct pq_query {
  parq_arena arena; /* AST and plan */
  const char *text;
  /* parsed */
  qexpr **items;
  char **names;     /* output names (alias or source text) */
  int nitems;
  int star, distinct;
  char *from;
  int from_pos;
  char *alias;
  qexpr *where;
  qexpr **group;
  int ngroup;
  qexpr *having;
  qorder *order;
  int norder;
  int64_t limit, offset; /* limit -1 = none */
  /* planned */
  qplan *plan;
  char **scan_cols;     /* dotted paths read from the input (frame slots) */
  qtype *scan_types;
  int nscan;
  int aggregate;        /* GROUP BY or aggregates present */
  qexpr **aggs;         /* aggregate calls (args bound on the scan frame) */
  int naggs;
  qexpr **proj;         /* items + hidden ORDER BY expressions */
  int nproj;
  parq_predicate *preds;
  int npreds;
} pq_query;

typedef struct pq_query_error {
  parq_error e;
  int pos;   /* byte offset into the query text, -1 when none */
  int usage; /* the query itself is wrong (syntax, names, types), not the data */
} pq_query_error;

/* Parse `text` (must outlive q). Syntax errors: PARQ_EINVAL with pos. */
parq_status pq_query_parse(const char *text, pq_query *q, pq_query_error *err);
void pq_query_free(pq_query *q);

/* ---- results ---- */
typedef struct pq_result {
  int ncols;
  char **names;
  qtype *types;
  qvec *cols;        /* each col: n rows, malloc'ed storage */
  int64_t n, cap;
  parq_arena strings; /* string bytes of all rows */
} pq_result;

void pq_result_free(pq_result *r);

typedef struct pq_exec_options {
  int64_t memory_limit;  /* group-by state limit in bytes (0 = none); beyond it the
                          * state is partitioned to spill files */
  int64_t batch_rows;    /* 0 = 65536 */
  int threads;           /* pq_query_run_threads: in-process ranks (<= 1: one) */
  int in_order;          /* set by the thread runner: contiguous row-group blocks per
                          * rank and aggregate states merged on rank 0 in rank order,
                          * so output equals a one-rank run row for row */
} pq_exec_options;

/* Plan and run the query. The result (only meaningful on rank 0 when
 * comm->size > 1) holds the visible output columns after ORDER BY / LIMIT. */
parq_status pq_query_run(pq_query *q, const pq_exec_options *o, const pq_comm *comm,
                         pq_result *out, pq_query_error *err);

/* Run with o->threads threads as in-process ranks of the distributed
 * executor (threads.c); <= 1 is pq_query_run on a one-rank comm. Output is
 * identical to one thread. */
parq_status pq_query_run_threads(pq_query *q, const pq_exec_options *o, pq_result *out,
                                 pq_query_error *err);

/* A text description of the logical plan (for --explain). */
parq_status pq_query_explain(const pq_query *q, parq_buf *out);

/* ---- output ---- */
/* Convert the result into a "+s" Arrow batch and its schema (caller releases). */
parq_status pq_result_to_arrow(const pq_result *r, struct ArrowSchema *schema,
                               struct ArrowArray *batch, parq_error *err);
/* An aligned text table (header, rule, rows). */
parq_status pq_result_table(const pq_result *r, parq_buf *out, parq_error *err);

/* ---- internals shared by the query files ---- */
typedef struct qframe {
  qvec *cols;
  int ncols;
  int64_t n;
} qframe;

/* Evaluate a bound expression over the frame; the output vector's storage
 * lives in `a` (or aliases a frame column). */
parq_status pq_eval(const qexpr *e, const qframe *f, parq_arena *a, qvec *out,
                    pq_query_error *err);
/* Convert v to type t (CAST semantics); out may alias v's storage. */
parq_status pq_vec_cast(const qvec *v, qtype t, parq_arena *a, qvec *out, int pos,
                        pq_query_error *err);
/* Allocate an n-row vector of type t in the arena (values zeroed, no NULLs). */
parq_status pq_vec_alloc(qvec *v, qtype t, int64_t n, parq_arena *a);
/* Append the key encoding of row i of v (tag byte + payload) to b: equal
 * values encode equally (NaNs together, -0 == 0). */
parq_status pq_key_encode(const qvec *v, int64_t i, parq_buf *b);
uint64_t pq_key_hash(const void *p, size_t n);
/* Three-way compare of two non-NULL values of one type (NaN largest). */
int pq_val_cmp(const qvec *a, int64_t i, const qvec *b, int64_t j);
const char *pq_qtype_name(qtype t);
parq_status pq_qerr(pq_query_error *err, parq_status code, int pos, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Column `path` (dotted) of a "+s" batch as a vector of type `want`
 * (QT_NULL: its own type); `file` names the input in errors. */
parq_status pq_column_vec(const struct ArrowSchema *schema, const struct ArrowArray *batch,
                          const char *path, qtype want, parq_arena *a, qvec *v, const char *file,
                          pq_query_error *err);

/* Result row storage (exec.c / result.c). */
parq_status pq_result_init(pq_result *r, int ncols, char *const *names, const qtype *types);
/* Append rows [0,f->n) of frame columns 0..r->ncols-1 (strings are copied). */
parq_status pq_result_append(pq_result *r, const qvec *cols, int64_t n, parq_error *err);
/* Serialise rows / append serialised rows (same column types). */
parq_status pq_result_serialize(const pq_result *r, parq_buf *out);
parq_status pq_result_deserialize(pq_result *r, const uint8_t *p, size_t n, parq_error *err);
/* Sort by ORDER BY keys and keep rows [offset, offset+limit). */
parq_status pq_result_sort_limit(pq_result *r, const qorder *ord, int nord, int64_t offset,
                                 int64_t limit, parq_error *err);
/* Drop columns beyond `keep`. */
void pq_result_truncate_cols(pq_result *r, int keep);

/* Hash aggregation (agg.c). */
typedef struct pq_agg pq_agg;
parq_status pq_agg_new(const pq_query *q, int64_t memory_limit, pq_agg **out, parq_error *err);
void pq_agg_free(pq_agg *g);
/* Add a filtered scan batch. */
parq_status pq_agg_add(pq_agg *g, const qframe *f, parq_arena *a, pq_query_error *err);
/* Distributed merge: exchange group states by key hash, merge locally. to_rank0:
 * every state goes to rank 0 instead, merged in rank order (first-seen group
 * order of a one-rank run when ranks hold consecutive input blocks). */
parq_status pq_agg_exchange(pq_agg *g, const pq_comm *comm, int to_rank0, parq_error *err);
/* Groups as a frame: keys then aggregate values (storage in a). */
parq_status pq_agg_frame(pq_agg *g, parq_arena *a, qframe *out, parq_error *err);
/* Hand every group to emit as frames (keys then aggregate values): one frame when
 * the state stayed in memory, one per spill partition otherwise. */
typedef parq_status (*pq_agg_emit)(void *ctx, qframe *f, parq_arena *a, pq_query_error *err);
parq_status pq_agg_finish(pq_agg *g, pq_agg_emit emit, void *ctx, pq_query_error *err);
/* How many times the state was written to disk (0: stayed in memory). */
int64_t pq_agg_spills(const pq_agg *g);

#endif
