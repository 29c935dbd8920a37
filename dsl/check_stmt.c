/*
 * Program-level checks: every name is defined once and before its use,
 * pipelines start from a defined stream, sinks end pipelines, a bare
 * pipeline ends in a sink, names that are never used get a warning, and the
 * application id is valid.
 */
#include <string.h>

#include "dsl/check.h"
#include "eddy/error.h"

typedef struct {
  eddy_checker_t ck;
  const eddy_ast_program_t *prog;
  uint32_t stmt;                  /* the statement being checked */
  bool has_sink;
  uint32_t app_off;               /* UINT32_MAX: no app statement yet */
} program_checker_t;

static bool plain_name(const char *s) {
  if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || *s == '_'))
    return false;
  for (s++; *s != '\0'; s++)
    if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
          *s == '_'))
      return false;
  return true;
}

static int32_t find_def(const eddy_checker_t *ck, const char *name) {
  for (uint32_t i = 0; i < ck->def_cnt; i++)
    if (strcmp(ck->defs[i].name, name) == 0)
      return (int32_t)i;
  return -1;
}

/* A definition later in the file gets a clearer message than "unknown". */
static void defined_later(eddy_checker_t *ck, const eddy_ast_name_t *n) {
  program_checker_t *pc = (program_checker_t *)ck;
  for (uint32_t i = pc->stmt + 1; i < pc->prog->stmt_cnt; i++) {
    const eddy_ast_stmt_t *st = &pc->prog->stmts[i];
    if ((st->kind == EDDY_STMT_SOURCE || st->kind == EDDY_STMT_ASSIGN) &&
        strcmp(st->name.name, n->name) == 0)
      eddy__dsl_fail(ck->c, EDDY_ETYPE, n->off, n->len,
                     "'%s' is used before its definition at %s", n->name,
                     eddy__dsl_where(ck->c, st->name.off));
  }
}

int32_t eddy__check_lookup(eddy_checker_t *ck, const eddy_ast_name_t *n) {
  int32_t d = find_def(ck, n->name);
  if (d >= 0) {
    ck->defs[d].used = true;
    return d;
  }
  program_checker_t *pc = (program_checker_t *)ck;
  const eddy_ast_stmt_t *st = &pc->prog->stmts[pc->stmt];
  if (st->kind == EDDY_STMT_ASSIGN && strcmp(st->name.name, n->name) == 0)
    eddy__dsl_fail(ck->c, EDDY_ETYPE, n->off, n->len, "'%s' is used in its own definition",
                   n->name);
  defined_later(ck, n);
  eddy_suggest_t sg;
  eddy__suggest_init(&sg, n->name);
  for (uint32_t i = 0; i < ck->def_cnt; i++)
    eddy__suggest_add(&sg, ck->defs[i].name);
  eddy__dsl_fail(ck->c, EDDY_ETYPE, n->off, n->len, "unknown stream '%s'%s", n->name,
                 eddy__suggest_hint(ck->c, &sg));
}

static void check_new_name(eddy_checker_t *ck, const eddy_ast_name_t *n) {
  if (!plain_name(n->name))
    eddy__dsl_fail(ck->c, EDDY_ETYPE, n->off, n->len,
                   "a stream name may contain only letters, digits and '_'");
  int32_t d = find_def(ck, n->name);
  if (d >= 0)
    eddy__dsl_fail(ck->c, EDDY_ETYPE, n->off, n->len, "'%s' is already defined at %s", n->name,
                   eddy__dsl_where(ck->c, ck->defs[d].off));
}

static uint32_t define(eddy_checker_t *ck, const eddy_ast_name_t *n, eddy_ast_source_t *src) {
  eddy_def_t def = {.name = n->name, .off = n->off, .len = n->len, .is_source = src != NULL,
                    .source = src};
  eddy__dsl_push(ck->c, &ck->defs, &ck->def_cnt, &ck->def_cap, &def, sizeof(def));
  return ck->def_cnt - 1;
}

/* ---- statements -------------------------------------------------------- */

static void check_app(program_checker_t *pc, const eddy_ast_stmt_t *st) {
  eddy_dsl_t *c = pc->ck.c;
  if (pc->app_off != UINT32_MAX)
    eddy__dsl_fail(c, EDDY_ETYPE, st->off, st->len, "the application id is declared twice "
                   "(first at %s)", eddy__dsl_where(c, pc->app_off));
  pc->app_off = st->off;
  const char *s = st->name.name;
  size_t len = strlen(s);
  bool ok = len > 0 && len <= 200;
  for (; ok && *s != '\0'; s++)
    ok = (*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
         *s == '.' || *s == '_' || *s == '-';
  if (!ok)
    eddy__dsl_fail(c, EDDY_ETYPE, st->name.off, st->name.len,
                   "invalid application id '%s' (use 1 to 200 letters, digits, '.', '_' or '-')",
                   st->name.name);
}

static void check_source_stmt(program_checker_t *pc, eddy_ast_stmt_t *st) {
  eddy_checker_t *ck = &pc->ck;
  check_new_name(ck, &st->name);
  st->def = (int32_t)define(ck, &st->name, &st->source);
  eddy__check_source(ck, (uint32_t)st->def, &st->source);
  if (st->source.kind != EDDY_SOURCE_STREAM && st->source.key == NULL)
    eddy__dsl_fail(ck->c, EDDY_ETYPE, st->name.off, st->name.len,
                   "table '%s' needs a key: add key <expr>", st->name.name);
}

static const char *sink_name(eddy_op_kind_t kind) {
  return kind == EDDY_OP_TO_KAFKA ? "to kafka" : kind == EDDY_OP_TO_STDOUT ? "to stdout"
                                                                           : "to postgres";
}

static bool is_sink(eddy_op_kind_t kind) {
  return kind == EDDY_OP_TO_KAFKA || kind == EDDY_OP_TO_STDOUT || kind == EDDY_OP_TO_POSTGRES;
}

/* @returns the pipeline's output row; *sink: its sink or NULL. */
static eddy_rowtype_t check_pipeline(program_checker_t *pc, eddy_ast_pipeline_t *pl,
                                     const eddy_ast_op_t **sink) {
  eddy_checker_t *ck = &pc->ck;
  pl->input_def = eddy__check_lookup(ck, &pl->input);
  eddy_rowtype_t row = ck->defs[pl->input_def].row;
  *sink = NULL;
  for (uint32_t i = 0; i < pl->op_cnt; i++) {
    eddy_ast_op_t *op = &pl->ops[i];
    if (*sink != NULL)
      eddy__dsl_fail(ck->c, EDDY_ETYPE, op->off, op->len,
                     "nothing can follow a sink: '%s' at %s ends the pipeline",
                     sink_name((*sink)->kind), eddy__dsl_where(ck->c, (*sink)->off));
    eddy__check_op_in(ck, op, &row, pl->input_def);
    if (is_sink(op->kind))
      *sink = op;
  }
  eddy__check_pipeline_end(ck, &row, pl->op_cnt > 0 ? &pl->ops[pl->op_cnt - 1] : NULL);
  row.aggregated = NULL;  /* emit belongs to the aggregate's own pipeline */
  return row;
}

static void check_assign(program_checker_t *pc, eddy_ast_stmt_t *st) {
  eddy_checker_t *ck = &pc->ck;
  check_new_name(ck, &st->name);
  const eddy_ast_op_t *sink;
  eddy_rowtype_t row = check_pipeline(pc, &st->pipeline, &sink);
  if (sink != NULL)
    eddy__dsl_fail(ck->c, EDDY_ETYPE, st->name.off, st->name.len,
                   "'%s' would hold nothing: its pipeline ends in '%s' (remove '%s =')",
                   st->name.name, sink_name(sink->kind), st->name.name);
  st->def = (int32_t)define(ck, &st->name, NULL);
  ck->defs[st->def].row = row;
}

static void check_bare_pipeline(program_checker_t *pc, eddy_ast_stmt_t *st) {
  const eddy_ast_op_t *sink;
  check_pipeline(pc, &st->pipeline, &sink);
  if (sink == NULL)
    eddy__dsl_fail(pc->ck.c, EDDY_ETYPE, st->off, st->len,
                   "the result of this pipeline is unused: assign it to a name or end it with "
                   "'to \xe2\x80\xa6'");
  pc->has_sink = true;
}

/* ---- the program ------------------------------------------------------- */

/* The file's base name without its extension, made safe for topic names. */
static const char *default_app_id(eddy_dsl_t *c) {
  const char *file = c->src.file != NULL ? c->src.file : "eddy";
  const char *base = strrchr(file, '/');
  base = base != NULL ? base + 1 : file;
  const char *dot = strrchr(base, '.');
  size_t len = dot != NULL && dot != base ? (size_t)(dot - base) : strlen(base);
  if (len > 200)
    len = 200;
  char *id = eddy__dsl_strndup(c, base, len);
  for (char *s = id; *s != '\0'; s++)
    if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
          *s == '.' || *s == '_' || *s == '-'))
      *s = '_';
  return len > 0 ? id : "eddy";
}

static void warn_unused(program_checker_t *pc) {
  for (uint32_t i = 0; i < pc->ck.def_cnt; i++) {
    const eddy_def_t *d = &pc->ck.defs[i];
    if (!d->used)
      eddy__dsl_warn(pc->ck.c, d->off, d->len, "%s'%s' is never used",
                     !d->is_source ? "" : d->source->kind == EDDY_SOURCE_STREAM ? "stream "
                                                                                 : "table ",
                     d->name);
  }
}

void eddy__check_program(eddy_dsl_t *c, eddy_ast_program_t *prog) {
  program_checker_t pc = {.ck = {.c = c}, .prog = prog, .app_off = UINT32_MAX};
  for (pc.stmt = 0; pc.stmt < prog->stmt_cnt; pc.stmt++) {
    eddy_ast_stmt_t *st = &prog->stmts[pc.stmt];
    st->def = -1;
    switch (st->kind) {
    case EDDY_STMT_APP:
      check_app(&pc, st);
      prog->app_id = st->name.name;
      break;
    case EDDY_STMT_SOURCE:
      check_source_stmt(&pc, st);
      break;
    case EDDY_STMT_ASSIGN:
      check_assign(&pc, st);
      break;
    case EDDY_STMT_PIPELINE:
      check_bare_pipeline(&pc, st);
      break;
    }
  }
  warn_unused(&pc);
  if (!pc.has_sink)
    eddy__dsl_fail(c, EDDY_ETYPE, prog->stmt_cnt > 0 ? prog->stmts[0].off : 0, 0,
                   "nothing to run: no pipeline ends in a sink ('to kafka', 'to stdout' or "
                   "'to postgres')");
  prog->def_cnt = pc.ck.def_cnt;
  if (prog->app_id == NULL)
    prog->app_id = default_app_id(c);
}
