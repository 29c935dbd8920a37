/* Allocation counters, fault injection, arenas, buffers and error values. */
#include "eddy_test.h"
#include "eddy/error.h"

EDDY_TEST(alloc_counts_live_allocations) {
  void *p = eddy_malloc(10);
  ASSERT_EQ(1, eddy_alloc_live());
  p = eddy_realloc(p, 1000);
  ASSERT_EQ(1, eddy_alloc_live());
  eddy_free(p);
  EDDY_ASSERT_NO_LEAKS();
}

EDDY_TEST(alloc_fault_injection_fails_nth) {
  eddy_alloc_fail_after(2);
  void *a = eddy_malloc(1);
  void *b = eddy_malloc(1);
  void *c = eddy_malloc(1);
  ASSERT_TRUE(a != NULL);
  ASSERT_TRUE(b == NULL);
  ASSERT_TRUE(c != NULL);
  eddy_free(a);
  eddy_free(c);
  EDDY_ASSERT_NO_LEAKS();
}

EDDY_TEST(arena_grows_and_resets) {
  eddy_arena_t *a = eddy_arena_new(1024);
  char *s = eddy_arena_strdup(a, "hello");
  ASSERT_STR_EQ("hello", s);
  void *big = eddy_arena_alloc(a, 10000);
  ASSERT_TRUE(big != NULL);
  ASSERT_EQ(0, (uintptr_t)big % 16);
  ASSERT_STR_EQ("x=42", eddy_arena_printf(a, "x=%d", 42));
  eddy_arena_reset(a);
  ASSERT_EQ(0, eddy_arena_used(a));
  eddy_arena_destroy(a);
  EDDY_ASSERT_NO_LEAKS();
}

EDDY_TEST(buf_appends_and_formats) {
  eddy_buf_t b = {0};
  for (int i = 0; i < 1000; i++)
    ASSERT_OK(eddy_buf_printf(&b, "%d,", i % 10));
  ASSERT_EQ(2000, b.len);
  ASSERT_TRUE(strncmp(eddy_buf_cstr(&b), "0,1,2,", 6) == 0);
  eddy_buf_free(&b);
  EDDY_ASSERT_NO_LEAKS();
}

EDDY_TEST(error_first_error_wins) {
  eddy_error_t *err = NULL;
  ASSERT_EQ(EDDY_EDECODE, eddy_error_set(&err, EDDY_EDECODE, "bad byte at %d", 7));
  eddy_error_set(&err, EDDY_EINVAL, "second");
  ASSERT_EQ(EDDY_EDECODE, err->code);
  ASSERT_STR_EQ("bad byte at 7", err->msg);
  ASSERT_STR_EQ("EDECODE", eddy_err_name(err->code));
  ASSERT_STR_EQ("cannot decode record", eddy_strerror(EDDY_EDECODE));
  eddy_error_destroy(err);
  EDDY_ASSERT_NO_LEAKS();
}
