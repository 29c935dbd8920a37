/* The instance id behind exactly_once_v2's transactional ids (see instance.h). */
#include "engine/instance.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/random.h>
#include <unistd.h>

#include "state/store_int.h"

static bool valid_id(const char *s, size_t len) {
  if (len != EDDY_INSTANCE_ID_LEN)
    return false;
  for (size_t i = 0; i < len; i++)
    if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
      return false;
  return true;
}

static int new_id(char *out, eddy_error_t **err) {
  uint8_t raw[EDDY_INSTANCE_ID_LEN / 2];
  if (getrandom(raw, sizeof(raw), 0) != (ssize_t)sizeof(raw))
    return eddy_error_set(err, EDDY_EIO, "instance id: getrandom: %s", strerror(errno));
  for (size_t i = 0; i < sizeof(raw); i++)
    snprintf(out + 2 * i, 3, "%02x", raw[i]);
  return 0;
}

/* The held slot's id: the one it keeps, or a new one written to it. */
static int load_or_create(eddy_instance_t *inst, const char *path, eddy_error_t **err) {
  char buf[EDDY_INSTANCE_ID_LEN + 2];
  ssize_t n = pread(inst->fd, buf, sizeof(buf), 0);
  while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
    n--;
  if (n > 0 && valid_id(buf, (size_t)n)) {
    memcpy(inst->id, buf, EDDY_INSTANCE_ID_LEN);
    inst->id[EDDY_INSTANCE_ID_LEN] = '\0';
    return 0;
  }
  int rc = new_id(inst->id, err);
  if (rc != 0)
    return rc;
  char line[EDDY_INSTANCE_ID_LEN + 2];
  int len = snprintf(line, sizeof(line), "%s\n", inst->id);
  if (ftruncate(inst->fd, 0) != 0 || pwrite(inst->fd, line, (size_t)len, 0) != len ||
      fsync(inst->fd) != 0)
    return eddy_error_set(err, EDDY_EIO, "instance id: writing %s: %s", path, strerror(errno));
  return 0;
}

/* Open and lock slot \p slot: 1 when another instance holds it, 0 when taken, or an error. */
static int try_slot(eddy_instance_t *inst, const char *dir, int slot, eddy_error_t **err) {
  char path[4096];
  if (snprintf(path, sizeof(path), "%s/instance-%d.id", dir, slot) >= (int)sizeof(path))
    return eddy_error_set(err, EDDY_EIO, "instance id: state.dir path too long");
  int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0)
    return eddy_error_set(err, EDDY_EIO, "instance id: open %s: %s", path, strerror(errno));
  if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
    int e = errno;
    close(fd);
    if (e == EWOULDBLOCK)
      return 1;
    return eddy_error_set(err, EDDY_EIO, "instance id: lock %s: %s", path, strerror(e));
  }
  inst->fd = fd;
  inst->slot = slot;
  int rc = load_or_create(inst, path, err);
  if (rc != 0)
    eddy__instance_release(inst);
  return rc;
}

int eddy__instance_acquire(eddy_instance_t *out, const char *state_dir, const char *app_id,
                           eddy_error_t **err) {
  *out = (eddy_instance_t){.fd = -1, .slot = -1};
  char dir[4000];
  if (snprintf(dir, sizeof(dir), "%s/%s", state_dir, app_id) >= (int)sizeof(dir))
    return eddy_error_set(err, EDDY_EIO, "instance id: state.dir path too long");
  int rc = eddy__mkdirs(dir, err);
  for (int slot = 0; rc == 0 && slot < EDDY_INSTANCE_SLOTS; slot++) {
    rc = try_slot(out, dir, slot, err);
    if (rc == 0)
      return 0;
    if (rc == 1)
      rc = 0;
  }
  return rc != 0 ? rc
                 : eddy_error_set(err, EDDY_ELIMIT, "instance id: all %d slots under %s are held "
                                  "by running instances (limit is %d)", EDDY_INSTANCE_SLOTS, dir,
                                  EDDY_INSTANCE_SLOTS);
}

void eddy__instance_release(eddy_instance_t *inst) {
  if (inst->fd >= 0) {
    flock(inst->fd, LOCK_UN);
    close(inst->fd);
  }
  inst->fd = -1;
  inst->slot = -1;
}
