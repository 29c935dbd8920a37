/*
 * eddy error values.
 *
 * One X-macro table produces the EDDY_E* codes (negative = error, 0 = OK),
 * eddy_strerror() and eddy_err_name(). When a caller needs context it gets an
 * eddy_error_t: code, message, retriable/fatal flags and origin, allocated in
 * one block.
 */
#ifndef EDDY_ERROR_H
#define EDDY_ERROR_H

#include <stdbool.h>
#include <stdarg.h>

#define EDDY_ERRNO_MAP(X)                                              \
  X(ENOMEM,    -1,  "out of memory")                                   \
  X(EINVAL,    -2,  "invalid argument")                                \
  X(ENOENT,    -3,  "not found")                                       \
  X(EPARSE,    -4,  "syntax error")                                    \
  X(ETYPE,     -5,  "type error")                                      \
  X(EDECODE,   -6,  "cannot decode record")                            \
  X(EKAFKA,    -7,  "kafka error")                                     \
  X(ESTORE,    -8,  "state store error")                               \
  X(EIO,       -9,  "input/output error")                              \
  X(ECONFIG,   -10, "configuration error")                             \
  X(ERANGE,    -11, "value out of range")                              \
  X(EOVERFLOW, -12, "arithmetic overflow")                             \
  X(EDIVZERO,  -13, "division by zero")                                \
  X(ECHECK,    -14, "data-quality rule failed")                        \
  X(EPG,       -15, "postgresql error")                                \
  X(EAVRO,     -16, "avro error")                                      \
  X(EHTTP,     -17, "http error")                                      \
  X(ETIMEOUT,  -18, "timed out")                                       \
  X(ELIMIT,    -19, "limit exceeded")                                  \
  X(EEXIST,    -20, "already exists")                                  \
  X(ESTATE,    -21, "invalid state")                                   \
  X(ESCHEMA,   -22, "schema error")                                    \
  X(ECOMPAT,   -23, "incompatible schema")                             \
  X(ECANCELED, -24, "operation canceled")                              \
  X(EFENCED,   -25, "producer fenced")

typedef enum {
  EDDY_OK = 0,
#define EDDY_ERRNO_ENUM(name, val, msg) EDDY_##name = (val),
  EDDY_ERRNO_MAP(EDDY_ERRNO_ENUM)
#undef EDDY_ERRNO_ENUM
} eddy_errno_t;

/** @returns a static description of \p code ("unknown error" if unknown). */
const char *eddy_strerror(int code);
/** @returns the static symbolic name of \p code, e.g. "EDECODE". */
const char *eddy_err_name(int code);

/**
 * An error with context. Struct and message are one allocation; free with
 * eddy_error_destroy() and nothing else.
 */
typedef struct eddy_error_s {
  int code;          /* EDDY_E* */
  bool retriable;    /* the operation may succeed if retried */
  bool fatal;        /* the instance must stop */
  const char *origin;/* static string naming the layer: "kafka", "rocksdb", "dsl" ... */
  char msg[];        /* formatted message, NUL-terminated */
} eddy_error_t;

/**
 * Set *err (when err is not NULL and *err is NULL) to a new error built from
 * \p fmt. An existing *err is kept: the first error wins.
 * @returns \p code, so that `return eddy_error_set(err, EDDY_EINVAL, ...)` reads well.
 */
int eddy_error_set(eddy_error_t **err, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
int eddy_error_setv(eddy_error_t **err, int code, const char *fmt, va_list ap);
/** Like eddy_error_set() and also sets origin/retriable on the new error. */
int eddy_error_set_ex(eddy_error_t **err, int code, const char *origin,
                      bool retriable, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
/** Free \p err. NULL-safe. */
void eddy_error_destroy(eddy_error_t *err);
/** @returns the message of \p err, or "" when err is NULL. */
const char *eddy_error_msg(const eddy_error_t *err);

#endif
