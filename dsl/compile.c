/* The compiler's entry points: source text -> AST -> checked program -> plan. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "dsl/check.h"
#include "dsl/parser.h"
#include "eddy/error.h"

struct eddy_topology_s {
  eddy_arena_t *arena;
  eddy_plan_t *plan;
};

typedef struct {
  eddy_ast_program_t prog;
  eddy_plan_t *plan;
} result_t;

/* Runs under setjmp: the first error longjmps back to compile(). */
static void run(eddy_dsl_t *c, result_t *r) {
  eddy__parse_program(c, &r->prog);
  eddy__check_program(c, &r->prog);
  r->plan = eddy__plan_build(c, &r->prog);
}

static void report_plain(const char *file, eddy_diag_fn diag, void *opaque, const char *msg) {
  if (diag == NULL)
    return;
  eddy_diag_t d = {.severity = EDDY_DIAG_ERROR, .file = file, .message = msg, .span = 1,
                   .line_text = ""};
  diag(opaque, &d);
}

int eddy_topology_compile(eddy_topology_t **out, const char *file, const char *text, size_t len,
                          eddy_diag_fn diag, void *opaque) {
  *out = NULL;
  if (file == NULL)
    file = "<input>";
  if (len > EDDY_DSL_MAX_FILE) {
    report_plain(file, diag, opaque, "topology file too large (limit is 16 MiB)");
    return EDDY_EPARSE;
  }
  /* The compile state lives in the arena: nothing that setjmp() must
   * preserve is a local variable modified after it. */
  eddy_arena_t *arena = eddy_arena_new(64 * 1024);
  eddy_topology_t *topo = eddy_calloc(1, sizeof(*topo));
  eddy_dsl_t *c = arena ? eddy_arena_calloc(arena, 1, sizeof(*c)) : NULL;
  result_t *r = arena ? eddy_arena_calloc(arena, 1, sizeof(*r)) : NULL;
  if (topo == NULL || c == NULL || r == NULL ||
      eddy__dsl_init(c, arena, file, text, len, diag, opaque) != 0) {
    report_plain(file, diag, opaque, "out of memory");
    eddy_arena_destroy(arena);
    eddy_free(topo);
    return EDDY_ENOMEM;
  }
  jmp_buf bail;
  c->bail = &bail;
  if (setjmp(bail) == 0)
    run(c, r);
  if (c->error != 0) {
    int rc = c->error;
    eddy_arena_destroy(arena);
    eddy_free(topo);
    return rc;
  }
  topo->arena = arena;
  topo->plan = r->plan;
  *out = topo;
  return 0;
}

static int read_file(const char *path, eddy_buf_t *buf, char *why, size_t why_size) {
  FILE *f = fopen(path, "rb");
  if (f == NULL) {
    snprintf(why, why_size, "cannot read '%s': %s", path, strerror(errno));
    return EDDY_EIO;
  }
  char chunk[65536];
  size_t n;
  int rc = 0;
  while (rc == 0 && (n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
    if (buf->len + n > EDDY_DSL_MAX_FILE) {
      snprintf(why, why_size, "topology file too large (limit is 16 MiB)");
      rc = EDDY_EPARSE;
    } else if (eddy_buf_append(buf, chunk, n) != 0) {
      snprintf(why, why_size, "out of memory");
      rc = EDDY_ENOMEM;
    }
  }
  if (rc == 0 && ferror(f)) {
    snprintf(why, why_size, "cannot read '%s': %s", path, strerror(errno));
    rc = EDDY_EIO;
  }
  fclose(f);
  return rc;
}

int eddy_topology_compile_file(eddy_topology_t **out, const char *path, eddy_diag_fn diag,
                               void *opaque) {
  *out = NULL;
  eddy_buf_t buf = {0};
  char why[512];
  int rc = read_file(path, &buf, why, sizeof(why));
  if (rc != 0)
    report_plain(path, diag, opaque, why);
  else
    rc = eddy_topology_compile(out, path, buf.p != NULL ? buf.p : "", buf.len, diag, opaque);
  eddy_buf_free(&buf);
  return rc;
}

const eddy_plan_t *eddy_topology_plan(const eddy_topology_t *topo) { return topo->plan; }

void eddy_topology_destroy(eddy_topology_t *topo) {
  if (topo == NULL)
    return;
  eddy_arena_destroy(topo->arena);
  eddy_free(topo);
}
