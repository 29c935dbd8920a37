/* Task checkpoint files: round trip, exact format, missing and corrupt
 * files, atomic replacement. */
#include "eddy_test.h"
#include "eddy/store.h"

#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

static char *dir;

static void setup(void) { dir = eddy_test_tmpdir("checkpoint"); }

static void teardown(void) {
  eddy_test_rmtree(dir);
  free(dir);
  EDDY_ASSERT_NO_LEAKS();
}

static void slurp(const char *path, char *buf, size_t cap) {
  FILE *f = fopen(path, "r");
  ASSERT_TRUE(f != NULL);
  size_t n = fread(buf, 1, cap - 1, f);
  buf[n] = '\0';
  fclose(f);
}

static void spit(const char *path, const char *text) {
  FILE *f = fopen(path, "w");
  ASSERT_TRUE(f != NULL);
  fputs(text, f);
  fclose(f);
}

EDDY_TEST(checkpoint_round_trip) {
  setup();
  char path[700];
  ASSERT_OK(eddy_checkpoint_path(path, sizeof(path), dir, "app", "1_4"));
  eddy_checkpoint_t *cp = eddy_checkpoint_new();
  ASSERT_OK(eddy_checkpoint_set(cp, "counts", 1041));
  ASSERT_OK(eddy_checkpoint_set(cp, "totals", 0));
  ASSERT_OK(eddy_checkpoint_set(cp, "counts", 1042));  /* replaces */
  ASSERT_EQ(EDDY_EINVAL, eddy_checkpoint_set(cp, "has space", 1));
  ASSERT_OK(eddy_checkpoint_write(cp, path, NULL));  /* creates app/1_4/ */
  eddy_checkpoint_destroy(cp);
  char text[256];
  slurp(path, text, sizeof(text));
  ASSERT_STR_EQ("eddy-checkpoint 1\n2\ncounts 1042\ntotals 0\n", text);
  ASSERT_OK(eddy_checkpoint_read(&cp, path, NULL));
  ASSERT_EQ(2, eddy_checkpoint_count(cp));
  ASSERT_EQ(1042, eddy_checkpoint_get(cp, "counts"));
  ASSERT_EQ(0, eddy_checkpoint_get(cp, "totals"));
  ASSERT_EQ(EDDY_OFFSET_NONE, eddy_checkpoint_get(cp, "other"));
  eddy_checkpoint_destroy(cp);
  teardown();
}

EDDY_TEST(checkpoint_missing_is_empty) {
  setup();
  char path[700];
  snprintf(path, sizeof(path), "%s/none/.checkpoint", dir);
  eddy_checkpoint_t *cp = NULL;
  ASSERT_OK(eddy_checkpoint_read(&cp, path, NULL));
  ASSERT_EQ(0, eddy_checkpoint_count(cp));
  eddy_checkpoint_destroy(cp);
  teardown();
}

EDDY_TEST(checkpoint_corrupt_is_an_error) {
  setup();
  char path[700];
  snprintf(path, sizeof(path), "%s/.checkpoint", dir);
  const char *bad[] = {
      "",                                             /* empty */
      "eddy-checkpoint 2\n0\n",                       /* unknown version */
      "eddy-checkpoint 1\n2\ncounts 5\n",             /* truncated */
      "eddy-checkpoint 1\n1\ncounts 5x\n",            /* bad number */
      "eddy-checkpoint 1\n1\ncounts 5\nextra 1\n",    /* trailing data */
      "eddy-checkpoint 1\n2\ncounts 5\ncounts 6\n",   /* duplicate */
      "eddy-checkpoint 1\n1\ncounts -7\n",            /* impossible offset */
  };
  for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
    spit(path, bad[i]);
    eddy_checkpoint_t *cp = NULL;
    eddy_error_t *err = NULL;
    ASSERT_EQ(EDDY_EDECODE, eddy_checkpoint_read(&cp, path, &err));
    ASSERT_TRUE(cp == NULL);
    char want[800];
    snprintf(want, sizeof(want), "checkpoint %s is corrupt", path);
    ASSERT_STR_EQ(want, eddy_error_msg(err));
    eddy_error_destroy(err);
  }
  teardown();
}

EDDY_TEST(checkpoint_write_is_atomic) {
  setup();
  char path[700], tmp[720];
  snprintf(path, sizeof(path), "%s/.checkpoint", dir);
  snprintf(tmp, sizeof(tmp), "%s.tmp", path);
  eddy_checkpoint_t *cp = eddy_checkpoint_new();
  ASSERT_OK(eddy_checkpoint_set(cp, "s", 10));
  ASSERT_OK(eddy_checkpoint_write(cp, path, NULL));
  struct stat sb;
  ASSERT_TRUE(stat(tmp, &sb) != 0);  /* no temp file left behind */
  /* a writer that died halfway left a partial temp file: readers never see it */
  spit(tmp, "eddy-checkpoint 1\n1\ns 2");
  eddy_checkpoint_t *got = NULL;
  ASSERT_OK(eddy_checkpoint_read(&got, path, NULL));
  ASSERT_EQ(10, eddy_checkpoint_get(got, "s"));
  eddy_checkpoint_destroy(got);
  /* a write that fails before the rename keeps the old file whole */
  ASSERT_EQ(0, remove(tmp));
  ASSERT_EQ(0, mkdir(tmp, 0700));  /* the temp file cannot be created */
  ASSERT_OK(eddy_checkpoint_set(cp, "s", 20));
  eddy_error_t *err = NULL;
  ASSERT_EQ(EDDY_EIO, eddy_checkpoint_write(cp, path, &err));
  eddy_error_destroy(err);
  ASSERT_OK(eddy_checkpoint_read(&got, path, NULL));
  ASSERT_EQ(10, eddy_checkpoint_get(got, "s"));
  eddy_checkpoint_destroy(got);
  ASSERT_EQ(0, rmdir(tmp));
  ASSERT_OK(eddy_checkpoint_write(cp, path, NULL));
  ASSERT_OK(eddy_checkpoint_read(&got, path, NULL));
  ASSERT_EQ(20, eddy_checkpoint_get(got, "s"));
  eddy_checkpoint_destroy(got);
  eddy_checkpoint_destroy(cp);
  teardown();
}
