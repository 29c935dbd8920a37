/* The EDDY_E* table and eddy_error_t. */
#include "eddy/error.h"
#include "eddy/alloc.h"

#include <stdio.h>
#include <string.h>

const char *eddy_strerror(int code) {
  switch (code) {
  case EDDY_OK: return "ok";
#define EDDY_ERRNO_STR(name, val, msg) case EDDY_##name: return msg;
    EDDY_ERRNO_MAP(EDDY_ERRNO_STR)
#undef EDDY_ERRNO_STR
  }
  return "unknown error";
}

const char *eddy_err_name(int code) {
  switch (code) {
  case EDDY_OK: return "OK";
#define EDDY_ERRNO_NAME(name, val, msg) case EDDY_##name: return #name;
    EDDY_ERRNO_MAP(EDDY_ERRNO_NAME)
#undef EDDY_ERRNO_NAME
  }
  return "EUNKNOWN";
}

int eddy_error_setv(eddy_error_t **err, int code, const char *fmt, va_list ap) {
  if (err == NULL || *err != NULL)
    return code;
  va_list ap2;
  va_copy(ap2, ap);
  int len = vsnprintf(NULL, 0, fmt, ap2);
  va_end(ap2);
  if (len < 0)
    len = 0;
  eddy_error_t *e = eddy_malloc(sizeof(*e) + (size_t)len + 1);
  if (e == NULL)
    return code;
  e->code = code;
  e->retriable = false;
  e->fatal = false;
  e->origin = "";
  vsnprintf(e->msg, (size_t)len + 1, fmt, ap);
  *err = e;
  return code;
}

int eddy_error_set(eddy_error_t **err, int code, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  eddy_error_setv(err, code, fmt, ap);
  va_end(ap);
  return code;
}

int eddy_error_set_ex(eddy_error_t **err, int code, const char *origin,
                      bool retriable, const char *fmt, ...) {
  bool fresh = err != NULL && *err == NULL;
  va_list ap;
  va_start(ap, fmt);
  eddy_error_setv(err, code, fmt, ap);
  va_end(ap);
  if (fresh && *err != NULL) {
    (*err)->origin = origin;
    (*err)->retriable = retriable;
  }
  return code;
}

void eddy_error_destroy(eddy_error_t *err) {
  eddy_free(err);
}

const char *eddy_error_msg(const eddy_error_t *err) {
  return err == NULL ? "" : err->msg;
}
