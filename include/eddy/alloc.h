/*
 * Allocation: every eddy allocation goes through these functions so that
 * tests can count live allocations (EDDY_ASSERT_NO_LEAKS) and make the Nth
 * allocation fail (fault injection).
 *
 * Arenas group allocations with one lifetime (a DSL compile, a poll batch):
 * nothing allocated from an arena is freed alone.
 */
#ifndef EDDY_ALLOC_H
#define EDDY_ALLOC_H

#include <stddef.h>
#include <stdint.h>

void *eddy_malloc(size_t size);
void *eddy_calloc(size_t cnt, size_t size);
void *eddy_realloc(void *ptr, size_t size);
/** NULL-safe. */
void eddy_free(void *ptr);
/** @returns a new copy of \p s (NULL if s is NULL); caller frees with eddy_free(). */
char *eddy_strdup(const char *s);
/** @returns a new NUL-terminated copy of the first \p len bytes of \p s. */
char *eddy_strndup(const char *s, size_t len);

/** @returns the number of live eddy_malloc allocations (for leak tests). */
long eddy_alloc_live(void);
/**
 * Fault injection for tests: the \p nth allocation from now fails (returns
 * NULL); 0 turns it off.
 * @locality any thread; @locks none (atomic)
 */
void eddy_alloc_fail_after(long nth);

/* ---- arenas ------------------------------------------------------------ */

typedef struct eddy_arena_s eddy_arena_t;

/** @returns a new arena whose blocks are at least \p block_size bytes. */
eddy_arena_t *eddy_arena_new(size_t block_size);
/** Free the arena and everything allocated from it. NULL-safe. */
void eddy_arena_destroy(eddy_arena_t *a);
/** Forget every allocation but keep the first block for reuse. */
void eddy_arena_reset(eddy_arena_t *a);
/** @returns \p size bytes aligned to 16, owned by the arena; NULL on OOM. */
void *eddy_arena_alloc(eddy_arena_t *a, size_t size);
/** @returns zeroed memory owned by the arena. */
void *eddy_arena_calloc(eddy_arena_t *a, size_t cnt, size_t size);
/** @returns a NUL-terminated copy of \p len bytes of \p s owned by the arena. */
char *eddy_arena_strndup(eddy_arena_t *a, const char *s, size_t len);
char *eddy_arena_strdup(eddy_arena_t *a, const char *s);
/** printf into the arena. */
char *eddy_arena_printf(eddy_arena_t *a, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/** @returns the bytes handed out since creation or the last reset. */
size_t eddy_arena_used(const eddy_arena_t *a);

/* ---- growable byte buffer ---------------------------------------------- */

/** A growable byte buffer; zero-initialise, release with eddy_buf_free(). */
typedef struct {
  char *p;
  size_t len;
  size_t cap;
} eddy_buf_t;

/** Make room for \p extra more bytes. @returns 0 or EDDY_ENOMEM. */
int eddy_buf_reserve(eddy_buf_t *b, size_t extra);
int eddy_buf_append(eddy_buf_t *b, const void *p, size_t len);
int eddy_buf_putc(eddy_buf_t *b, char c);
int eddy_buf_puts(eddy_buf_t *b, const char *s);
int eddy_buf_printf(eddy_buf_t *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/** Keep the allocation, set len to 0. */
static inline void eddy_buf_clear(eddy_buf_t *b) { b->len = 0; }
/** Free the storage; the buffer is empty and reusable afterwards. */
void eddy_buf_free(eddy_buf_t *b);
/** NUL-terminate without changing len; @returns b->p or NULL on OOM. */
const char *eddy_buf_cstr(eddy_buf_t *b);

#endif
