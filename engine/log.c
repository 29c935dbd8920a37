/* Structured log lines. */
#include "eddy/log.h"
#include "eddy/error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static const char *const level_names[] = {"debug", "info", "warn", "error", "off"};

const char *eddy_log_level_name(eddy_log_level_t level) {
  return level <= EDDY_LOG_OFF ? level_names[level] : "?";
}

int eddy_log_level_parse(const char *name, eddy_log_level_t *out) {
  for (int i = 0; i <= EDDY_LOG_OFF; i++) {
    if (strcmp(name, level_names[i]) == 0) {
      *out = (eddy_log_level_t)i;
      return 0;
    }
  }
  return EDDY_EINVAL;
}

void eddy_log(const eddy_logger_t *lg, eddy_log_level_t level,
              const char *component, const char *fmt, ...) {
  if (lg == NULL || lg->fn == NULL || level < lg->level)
    return;
  char msg[2048];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof(msg), fmt, ap);
  va_end(ap);
  lg->fn(lg->opaque, level, component, msg);
}

void eddy_log_stderr(void *opaque, eddy_log_level_t level,
                     const char *component, const char *msg) {
  (void)opaque;
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  struct tm tm;
  gmtime_r(&ts.tv_sec, &tm);
  char line[2600];
  int n = snprintf(line, sizeof(line),
                   "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ level=%s component=%s msg=\"",
                   tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
                   tm.tm_min, tm.tm_sec, ts.tv_nsec / 1000000,
                   eddy_log_level_name(level), component);
  /* escape quotes and newlines so one event stays one line */
  for (const char *p = msg; *p != '\0' && n < (int)sizeof(line) - 3; p++) {
    if (*p == '"' || *p == '\\')
      line[n++] = '\\';
    line[n++] = *p == '\n' ? ' ' : *p;
  }
  line[n++] = '"';
  line[n++] = '\n';
  ssize_t w = write(STDERR_FILENO, line, (size_t)n);
  (void)w;
}
