/*
 * Task checkpoint files: the changelog offset of each store of a task.
 *
 *   eddy-checkpoint 1            version
 *   2                            number of stores
 *   counts 1041                  <store> <offset>, one per line
 *   totals 977
 *
 * Written to <path>.tmp, fsync'ed, renamed over <path>, and the directory
 * fsync'ed, so a reader sees the old file or the new one, never a mix.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "eddy/alloc.h"
#include "state/store_int.h"

#define MAGIC "eddy-checkpoint 1"
#define MAX_STORES 100000

typedef struct {
  char *store;
  int64_t offset;
} entry_t;

struct eddy_checkpoint_s {
  entry_t *items;
  size_t cnt, cap;
};

eddy_checkpoint_t *eddy_checkpoint_new(void) { return eddy_calloc(1, sizeof(eddy_checkpoint_t)); }

void eddy_checkpoint_destroy(eddy_checkpoint_t *cp) {
  if (cp == NULL)
    return;
  for (size_t i = 0; i < cp->cnt; i++)
    eddy_free(cp->items[i].store);
  eddy_free(cp->items);
  eddy_free(cp);
}

static entry_t *find(const eddy_checkpoint_t *cp, const char *store) {
  for (size_t i = 0; i < cp->cnt; i++)
    if (strcmp(cp->items[i].store, store) == 0)
      return &cp->items[i];
  return NULL;
}

static bool plain_name(const char *s) {
  if (*s == '\0')
    return false;
  for (; *s; s++)
    if (*s <= ' ' || *s == 0x7f)
      return false;
  return true;
}

int eddy_checkpoint_set(eddy_checkpoint_t *cp, const char *store, int64_t offset) {
  if (store == NULL || !plain_name(store))
    return EDDY_EINVAL;
  entry_t *e = find(cp, store);
  if (e != NULL) {
    e->offset = offset;
    return 0;
  }
  if (cp->cnt == cp->cap) {
    size_t cap = cp->cap ? cp->cap * 2 : 8;
    entry_t *p = eddy_realloc(cp->items, cap * sizeof(*p));
    if (p == NULL)
      return EDDY_ENOMEM;
    cp->items = p;
    cp->cap = cap;
  }
  char *name = eddy_strdup(store);
  if (name == NULL)
    return EDDY_ENOMEM;
  cp->items[cp->cnt].store = name;
  cp->items[cp->cnt].offset = offset;
  cp->cnt++;
  return 0;
}

int64_t eddy_checkpoint_get(const eddy_checkpoint_t *cp, const char *store) {
  const entry_t *e = find(cp, store);
  return e ? e->offset : EDDY_OFFSET_NONE;
}

size_t eddy_checkpoint_count(const eddy_checkpoint_t *cp) { return cp->cnt; }

int eddy_checkpoint_path(char *buf, size_t cap, const char *dir, const char *app,
                         const char *task) {
  int n = snprintf(buf, cap, "%s/%s/%s/.checkpoint", dir, app, task);
  return n < 0 || (size_t)n >= cap ? EDDY_ERANGE : 0;
}

int eddy__mkdirs(const char *path, eddy_error_t **err) {
  char buf[4096];
  size_t len = strlen(path);
  if (len >= sizeof(buf))
    return eddy_error_set(err, EDDY_ERANGE, "path too long: %s", path);
  memcpy(buf, path, len + 1);
  for (size_t i = 1; i <= len; i++) {
    if (buf[i] != '/' && buf[i] != '\0')
      continue;
    char c = buf[i];
    buf[i] = '\0';
    if (mkdir(buf, 0755) != 0 && errno != EEXIST)
      return eddy_error_set(err, EDDY_EIO, "mkdir %s: %s", buf, strerror(errno));
    buf[i] = c;
  }
  return 0;
}

/* ---- reading ------------------------------------------------------------------ */

static int parse_entry(eddy_checkpoint_t *cp, char *line) {
  char *sp = strrchr(line, ' ');
  if (sp == NULL || sp == line)
    return EDDY_EDECODE;
  *sp = '\0';
  char *end;
  errno = 0;
  long long off = strtoll(sp + 1, &end, 10);
  if (errno != 0 || end == sp + 1 || *end != '\0' || off < -1)
    return EDDY_EDECODE;
  if (find(cp, line) != NULL)
    return EDDY_EDECODE;
  int rc = eddy_checkpoint_set(cp, line, (int64_t)off);
  return rc == EDDY_EINVAL ? EDDY_EDECODE : rc;
}

static int parse(eddy_checkpoint_t *cp, FILE *f) {
  char line[1024];
  if (fgets(line, sizeof(line), f) == NULL || strcmp(line, MAGIC "\n") != 0)
    return EDDY_EDECODE;
  char *end;
  if (fgets(line, sizeof(line), f) == NULL)
    return EDDY_EDECODE;
  long cnt = strtol(line, &end, 10);
  if (end == line || *end != '\n' || cnt < 0 || cnt > MAX_STORES)
    return EDDY_EDECODE;
  for (long i = 0; i < cnt; i++) {
    if (fgets(line, sizeof(line), f) == NULL)
      return EDDY_EDECODE;
    size_t len = strlen(line);
    if (len == 0 || line[len - 1] != '\n')
      return EDDY_EDECODE;
    line[len - 1] = '\0';
    int rc = parse_entry(cp, line);
    if (rc != 0)
      return rc;
  }
  return fgetc(f) == EOF ? 0 : EDDY_EDECODE;
}

int eddy_checkpoint_read(eddy_checkpoint_t **out, const char *path, eddy_error_t **err) {
  *out = NULL;
  eddy_checkpoint_t *cp = eddy_checkpoint_new();
  if (cp == NULL)
    return eddy_error_set(err, EDDY_ENOMEM, "out of memory");
  FILE *f = fopen(path, "r");
  if (f == NULL) {
    if (errno == ENOENT) {
      *out = cp;
      return 0;
    }
    eddy_checkpoint_destroy(cp);
    return eddy_error_set(err, EDDY_EIO, "checkpoint %s: %s", path, strerror(errno));
  }
  int rc = parse(cp, f);
  fclose(f);
  if (rc != 0) {
    eddy_checkpoint_destroy(cp);
    if (rc == EDDY_EDECODE)
      return eddy_error_set(err, rc, "checkpoint %s is corrupt", path);
    return eddy_error_set(err, rc, "checkpoint %s: %s", path, eddy_strerror(rc));
  }
  *out = cp;
  return 0;
}

/* ---- writing ------------------------------------------------------------------- */

static int format(const eddy_checkpoint_t *cp, eddy_buf_t *b) {
  int rc = eddy_buf_printf(b, "%s\n%zu\n", MAGIC, cp->cnt);
  for (size_t i = 0; i < cp->cnt && rc == 0; i++)
    rc = eddy_buf_printf(b, "%s %" PRId64 "\n", cp->items[i].store, cp->items[i].offset);
  return rc;
}

static int write_all(int fd, const char *p, size_t len) {
  while (len > 0) {
    ssize_t n = write(fd, p, len);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      return -1;
    p += n;
    len -= (size_t)n;
  }
  return 0;
}

static int fsync_dir(const char *path) {
  char buf[4096];
  snprintf(buf, sizeof(buf), "%s", path);
  int fd = open(dirname(buf), O_RDONLY | O_DIRECTORY);
  if (fd < 0)
    return -1;
  int rc = fsync(fd);
  close(fd);
  return rc;
}

int eddy_checkpoint_write(const eddy_checkpoint_t *cp, const char *path, eddy_error_t **err) {
  char tmp[4096], dir[4096];
  if (snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp))
    return eddy_error_set(err, EDDY_ERANGE, "checkpoint path too long: %s", path);
  snprintf(dir, sizeof(dir), "%s", path);
  int rc = eddy__mkdirs(dirname(dir), err);
  if (rc != 0)
    return rc;
  eddy_buf_t b = {0};
  if (format(cp, &b) != 0) {
    eddy_buf_free(&b);
    return eddy_error_set(err, EDDY_ENOMEM, "out of memory");
  }
  int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  bool ok = fd >= 0 && write_all(fd, b.p, b.len) == 0 && fsync(fd) == 0;
  int saved = errno;
  if (fd >= 0 && close(fd) != 0 && ok) {
    ok = false;
    saved = errno;
  }
  eddy_buf_free(&b);
  if (ok && rename(tmp, path) != 0) {
    ok = false;
    saved = errno;
  }
  if (!ok) {
    unlink(tmp);
    return eddy_error_set(err, EDDY_EIO, "write checkpoint %s: %s", path, strerror(saved));
  }
  if (fsync_dir(path) != 0)
    return eddy_error_set(err, EDDY_EIO, "fsync directory of %s: %s", path, strerror(errno));
  return 0;
}
