#include "util/error.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

parq_status parq_err_set(parq_error *err, parq_status code, const char *fmt, ...) {
  if (err) {
    err->code = code;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->message, sizeof err->message, fmt, ap);
    va_end(ap);
  }
  return code;
}

void parq_err_prefix(parq_error *err, const char *fmt, ...) {
  if (!err) return;
  char prefix[256];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(prefix, sizeof prefix, fmt, ap);
  va_end(ap);
  char old[PARQ_ERROR_MSG_MAX];
  memcpy(old, err->message, sizeof old);
  old[sizeof old - 1] = 0;
  /* Truncation is acceptable: messages are for people. */
  size_t pl = strlen(prefix);
  if (pl > sizeof err->message - 3) pl = sizeof err->message - 3;
  memcpy(err->message, prefix, pl);
  err->message[pl] = ':';
  err->message[pl + 1] = ' ';
  size_t room = sizeof err->message - pl - 3;
  size_t ol = strlen(old);
  if (ol > room) ol = room;
  memcpy(err->message + pl + 2, old, ol);
  err->message[pl + 2 + ol] = 0;
}

parq_status parq_err_errno(parq_error *err, const char *fmt, ...) {
  int e = errno;
  if (err) {
    char what[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    err->code = e == ENOMEM ? PARQ_ENOMEM : PARQ_EIO;
    snprintf(err->message, sizeof err->message, "%s: %s", what, strerror(e));
    return err->code;
  }
  return e == ENOMEM ? PARQ_ENOMEM : PARQ_EIO;
}

void parq_err_clear(parq_error *err) {
  if (err) {
    err->code = PARQ_OK;
    err->message[0] = 0;
  }
}

const char *parq_strerror(parq_status st) {
  switch (st) {
    case PARQ_OK: return "ok";
    case PARQ_DONE: return "end of data";
    case PARQ_EINVAL: return "invalid argument";
    case PARQ_EIO: return "I/O error";
    case PARQ_ECORRUPT: return "corrupt or invalid input";
    case PARQ_ENOMEM: return "out of memory or size limit exceeded";
    case PARQ_EUNSUPPORTED: return "unsupported feature";
    case PARQ_ECHECKSUM: return "checksum mismatch";
    case PARQ_ESCHEMA: return "schema mismatch";
    case PARQ_ECONFLICT: return "conflict with a concurrent change";
    case PARQ_EINTERNAL: return "internal error";
  }
  return "unknown status";
}

const char *parq_version(void) { return PARQ_VERSION_STRING; }
