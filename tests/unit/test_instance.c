/* Instance ids (exactly_once_v2 transactional ids): one per running instance, kept across restarts. */
#include <stdio.h>
#include <string.h>

#include "eddy_test.h"
#include "engine/instance.h"

EDDY_TEST(instance_id_is_kept_across_restarts) {
  char *dir = eddy_test_tmpdir("instance");
  eddy_instance_t a, again;
  ASSERT_OK(eddy__instance_acquire(&a, dir, "app", NULL));
  ASSERT_EQ(0, a.slot);
  ASSERT_EQ(EDDY_INSTANCE_ID_LEN, strlen(a.id));
  eddy__instance_release(&a);
  eddy__instance_release(&a);   /* twice is harmless */
  ASSERT_OK(eddy__instance_acquire(&again, dir, "app", NULL));
  ASSERT_EQ(0, again.slot);
  ASSERT_STR_EQ(a.id, again.id);
  eddy__instance_release(&again);
  free(dir);
  EDDY_ASSERT_NO_LEAKS();
}

EDDY_TEST(running_instances_get_different_ids) {
  char *dir = eddy_test_tmpdir("instance");
  eddy_instance_t a, b, other_app, c;
  ASSERT_OK(eddy__instance_acquire(&a, dir, "app", NULL));
  ASSERT_OK(eddy__instance_acquire(&b, dir, "app", NULL));   /* same process, same dir */
  ASSERT_EQ(1, b.slot);
  ASSERT_TRUE(strcmp(a.id, b.id) != 0);
  ASSERT_OK(eddy__instance_acquire(&other_app, dir, "other", NULL));
  ASSERT_EQ(0, other_app.slot);
  eddy__instance_release(&a);   /* slot 0 is free again: the next instance takes it and its id */
  char a_id[EDDY_INSTANCE_ID_LEN + 1];
  memcpy(a_id, a.id, sizeof(a_id));
  ASSERT_OK(eddy__instance_acquire(&c, dir, "app", NULL));
  ASSERT_EQ(0, c.slot);
  ASSERT_STR_EQ(a_id, c.id);
  eddy__instance_release(&b);
  eddy__instance_release(&c);
  eddy__instance_release(&other_app);
  free(dir);
  EDDY_ASSERT_NO_LEAKS();
}

EDDY_TEST(damaged_instance_file_gets_a_new_id) {
  char *dir = eddy_test_tmpdir("instance");
  char path[4096];
  snprintf(path, sizeof(path), "%s/app", dir);
  eddy_instance_t a;
  ASSERT_OK(eddy__instance_acquire(&a, dir, "app", NULL));   /* creates the directory */
  eddy__instance_release(&a);
  snprintf(path, sizeof(path), "%s/app/instance-0.id", dir);
  FILE *f = fopen(path, "w");
  ASSERT_TRUE(f != NULL);
  fputs("not-an-id\n", f);
  fclose(f);
  ASSERT_OK(eddy__instance_acquire(&a, dir, "app", NULL));
  ASSERT_EQ(EDDY_INSTANCE_ID_LEN, strlen(a.id));
  ASSERT_EQ(strspn(a.id, "0123456789abcdef"), strlen(a.id));
  eddy__instance_release(&a);
  free(dir);
  EDDY_ASSERT_NO_LEAKS();
}

EDDY_TEST(unwritable_state_dir_is_an_error) {
  eddy_instance_t a;
  eddy_error_t *err = NULL;
  ASSERT_EQ(EDDY_EIO, eddy__instance_acquire(&a, "/proc/no-such-dir", "app", &err));
  ASSERT_TRUE(strstr(eddy_error_msg(err), "/proc/no-such-dir") != NULL);
  eddy_error_destroy(err);
  eddy__instance_release(&a);
  EDDY_ASSERT_NO_LEAKS();
}
