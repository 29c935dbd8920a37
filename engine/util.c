/* Suggestions for misspelt names, clocks, listen addresses. */
#include "engine/util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "eddy/alloc.h"

size_t eddy_edit_distance(const char *a, const char *b) {
  size_t la = strlen(a), lb = strlen(b);
  if (la > 256 || lb > 256)
    return la > lb ? la : lb;
  size_t row[257];
  for (size_t j = 0; j <= lb; j++)
    row[j] = j;
  for (size_t i = 1; i <= la; i++) {
    size_t diag = row[0];
    row[0] = i;
    for (size_t j = 1; j <= lb; j++) {
      size_t up = row[j];
      size_t best = diag + (a[i - 1] != b[j - 1]);
      if (up + 1 < best)
        best = up + 1;
      if (row[j - 1] + 1 < best)
        best = row[j - 1] + 1;
      row[j] = best;
      diag = up;
    }
  }
  return row[lb];
}

const char *eddy_suggest(const char *name, const char *const *candidates, size_t cnt) {
  size_t len = strlen(name);
  size_t limit = len / 3 > 1 ? len / 3 : 1;
  const char *best = NULL;
  size_t best_d = (size_t)-1;
  for (size_t i = 0; i < cnt; i++) {
    size_t d = eddy_edit_distance(name, candidates[i]);
    if (d < best_d) {
      best_d = d;
      best = candidates[i];
    }
  }
  return best_d <= limit ? best : NULL;
}

int64_t eddy_clock_monotonic_us(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

int64_t eddy_clock_wall_us(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

int eddy_parse_listen(const char *arg, char *host, size_t cap, int *port) {
  const char *colon = strrchr(arg, ':');
  if (colon == NULL)
    return -1;
  const char *h = arg;
  size_t len = (size_t)(colon - arg);
  if (len >= 2 && h[0] == '[' && h[len - 1] == ']') {   /* [::1]:8081 */
    h++;
    len -= 2;
  }
  if (len >= cap)
    return -1;
  if (len == 0 || (len == 9 && strncmp(h, "localhost", 9) == 0))
    snprintf(host, cap, "127.0.0.1");
  else
    snprintf(host, cap, "%.*s", (int)len, h);
  char *end;
  long p = strtol(colon + 1, &end, 10);
  if (colon[1] == '\0' || *end != '\0' || p < 0 || p > 65535)
    return -1;
  *port = (int)p;
  return 0;
}
