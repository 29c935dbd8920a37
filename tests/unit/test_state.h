/*
 * A state environment in a fresh directory, for the tests of stores and of
 * the operators over RocksDB stores.
 */
#ifndef EDDY_TEST_STATE_H
#define EDDY_TEST_STATE_H

#include <stdlib.h>

#include "eddy/store.h"
#include "eddy_test.h"

/** A state environment with \p memory_bytes in a new directory named after \p tag
 *  (set in *dir; the caller frees it with ts_env_destroy). */
static inline eddy_state_env_t *ts_env_new(char **dir, const char *tag, size_t memory_bytes) {
  *dir = eddy_test_tmpdir(tag);
  eddy_state_conf_t sc;
  eddy_state_conf_init(&sc);
  sc.dir = *dir;
  sc.memory_bytes = memory_bytes;
  eddy_state_env_t *env = NULL;
  ASSERT_OK(eddy_state_env_new(&env, &sc, NULL));
  return env;
}

/** Destroy \p env (may be NULL), remove \p dir (may be NULL) and free it. */
static inline void ts_env_destroy(eddy_state_env_t *env, char *dir) {
  eddy_state_env_destroy(env);
  if (dir != NULL) {
    eddy_test_rmtree(dir);
    free(dir);
  }
}

#endif
