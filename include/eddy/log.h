/*
 * Logging. Library code never prints: it logs through the eddy_logger_t its
 * caller supplied. The CLI installs eddy_log_stderr, which writes one
 * structured line per event:
 *
 *   2026-11-22T10:00:00.123Z level=info component=task msg="restored 1200 records"
 */
#ifndef EDDY_LOG_H
#define EDDY_LOG_H

typedef enum {
  EDDY_LOG_DEBUG = 0,
  EDDY_LOG_INFO = 1,
  EDDY_LOG_WARN = 2,
  EDDY_LOG_ERROR = 3,
  EDDY_LOG_OFF = 4,
} eddy_log_level_t;

typedef void (*eddy_log_fn)(void *opaque, eddy_log_level_t level,
                            const char *component, const char *msg);

typedef struct {
  eddy_log_fn fn;          /* NULL: discard */
  void *opaque;
  eddy_log_level_t level;  /* events below this level are discarded */
} eddy_logger_t;

/** Format and emit one event. NULL-safe on \p lg. @locality any thread */
void eddy_log(const eddy_logger_t *lg, eddy_log_level_t level,
              const char *component, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/** The stderr sink: one logfmt line per event; thread-safe (one write()). */
void eddy_log_stderr(void *opaque, eddy_log_level_t level,
                     const char *component, const char *msg);

/** @returns "debug", "info", "warn", "error" or "off". */
const char *eddy_log_level_name(eddy_log_level_t level);
/** Parse a level name. @returns 0 or EDDY_EINVAL. */
int eddy_log_level_parse(const char *name, eddy_log_level_t *out);

#endif
