/*
 * The identity of one running instance (process) of an application, for the
 * transactional ids of exactly_once_v2.
 *
 * Several `eddy run` processes of one application each run stream threads
 * numbered from 0, so "<app>-<thread>" would give two processes the same
 * transactional id; on Kafka each InitProducerId then fences the other
 * process's producer (the embedded broker does not fence by transactional id
 * and would hide it). Each instance therefore holds a slot file
 * `state.dir/<app>/instance-<n>.id` with a random id, locked (flock) for the
 * life of the process: a restart with the same state.dir takes the same id
 * back, so its InitProducerId ends the transaction the crashed process left
 * open at once rather than after transaction.timeout.ms; two live processes
 * sharing a state.dir take different slots, hence different ids.
 */
#ifndef EDDY_ENGINE_INSTANCE_H
#define EDDY_ENGINE_INSTANCE_H

#include "eddy/error.h"

#define EDDY_INSTANCE_ID_LEN 16   /* hex digits */
#define EDDY_INSTANCE_SLOTS 64

typedef struct {
  int fd;                                /* the locked slot file; -1 when not held */
  int slot;
  char id[EDDY_INSTANCE_ID_LEN + 1];     /* hex, NUL-terminated */
} eddy_instance_t;

/**
 * Take the first free slot under \p state_dir/\p app_id, creating the
 * directory and a new random id when the slot has none.
 * @returns 0 and fills *out (release with eddy__instance_release()), or an
 *          error (EDDY_EIO; EDDY_ELIMIT when every slot is held).
 * @locality any thread; files are locked per open file, so two applications
 *           in one process get different slots too
 */
int eddy__instance_acquire(eddy_instance_t *out, const char *state_dir, const char *app_id,
                           eddy_error_t **err);

/** Unlock and close the slot. Safe again on a released instance and after a failed acquire. */
void eddy__instance_release(eddy_instance_t *inst);

#endif
