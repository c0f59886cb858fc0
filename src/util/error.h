/* error.h — building parq_error values and early-return helpers.
 *
 * Errors are values: every fallible internal function returns parq_status and
 * takes a parq_error* (may be NULL). parq_err_set() formats the message; the
 * first error set wins so outer layers can add context with parq_err_prefix(). */
#ifndef PARQ_UTIL_ERROR_H
#define PARQ_UTIL_ERROR_H
#include "parq.h"
#include <stdarg.h>

#if defined(__GNUC__)
#define PARQ_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define PARQ_PRINTF(a, b)
#endif

/* Set err (if non-NULL) to code and a formatted message; returns code. */
parq_status parq_err_set(parq_error *err, parq_status code, const char *fmt, ...) PARQ_PRINTF(3, 4);
/* Prepend "prefix: " to an existing message (used to add file / row group / column context). */
void parq_err_prefix(parq_error *err, const char *fmt, ...) PARQ_PRINTF(2, 3);
/* Set from errno: "<what>: strerror(errno)". */
parq_status parq_err_errno(parq_error *err, const char *fmt, ...) PARQ_PRINTF(2, 3);
void parq_err_clear(parq_error *err);

#define PARQ_TRY(expr)                   \
  do {                                   \
    parq_status parq__st = (expr);       \
    if (parq__st < 0) return parq__st;   \
  } while (0)

#define PARQ_CHECK(cond, err, code, ...)                             \
  do {                                                               \
    if (!(cond)) return parq_err_set((err), (code), __VA_ARGS__);    \
  } while (0)

#define PARQ_CORRUPT_IF(cond, err, ...) PARQ_CHECK(!(cond), err, PARQ_ECORRUPT, __VA_ARGS__)

#endif
