/* plan.h — planner entry points shared by the executor (exec.c). */
#ifndef PARQ_QUERY_PLAN_H
#define PARQ_QUERY_PLAN_H
#include "dataset/query/query.h"

/* Bind the parsed query against the input schema and build its plan. */
parq_status pq_query_plan(pq_query *q, const struct ArrowSchema *schema, pq_query_error *err);
/* Column by dotted path in a "+s" schema (NULL when absent). */
const struct ArrowSchema *pq_qschema_find(const struct ArrowSchema *s, const char *path);
/* Map an Arrow type to the executor's type; 0 when unsupported. */
int pq_arrow_to_qtype(const struct ArrowSchema *s, qtype *t);
int pq_expr_equal(const qexpr *a, const qexpr *b);
#endif
