/*
 * `eddy check FILE…` and `eddy describe FILE [--dot]`: compile topology
 * files and report like a compiler (diagnostics on stderr).
 */
#include <stdio.h>
#include <string.h>

#include "dsl/dsl.h"
#include "engine/cli.h"

static void print_diag(void *opaque, const eddy_diag_t *d) {
  (void)opaque;
  eddy_buf_t buf = {0};
  if (eddy_diag_format(d, &buf) == 0)
    fwrite(buf.p, 1, buf.len, stderr);
  eddy_buf_free(&buf);
}

static void check_usage(FILE *out) {
  fprintf(out, "usage: eddy check FILE...\n\n"
               "Validate topology files: syntax, names and types. Errors and warnings are\n"
               "printed as file:line:col with the source line; each valid file prints\n"
               "'FILE: ok'. Exits 1 when any file has an error.\n");
}

int eddy_cmd_check(int argc, char **argv) {
  int files = 0, failed = 0;
  for (int i = 1; i < argc; i++) {
    if (eddy_cli_is_help(argv[i])) {
      check_usage(stdout);
      return 0;
    }
    if (argv[i][0] == '-' && argv[i][1] != '\0') {
      fprintf(stderr, "eddy check: unknown option '%s'\n\n", argv[i]);
      check_usage(stderr);
      return 2;
    }
  }
  for (int i = 1; i < argc; i++) {
    eddy_topology_t *topo = NULL;
    files++;
    if (eddy_topology_compile_file(&topo, argv[i], print_diag, NULL) == 0)
      printf("%s: ok\n", argv[i]);
    else
      failed = 1;
    eddy_topology_destroy(topo);
  }
  if (files == 0) {
    check_usage(stderr);
    return 2;
  }
  return failed;
}

static void describe_usage(FILE *out) {
  fprintf(out, "usage: eddy describe FILE [--dot]\n\n"
               "Print a topology's sub-topologies, nodes, topics and stores, with the\n"
               "stable node names the runtime uses. --dot prints Graphviz instead:\n"
               "  eddy describe revenue.eddy --dot | dot -Tsvg > revenue.svg\n");
}

int eddy_cmd_describe(int argc, char **argv) {
  const char *file = NULL;
  int dot = 0;
  for (int i = 1; i < argc; i++) {
    if (eddy_cli_is_help(argv[i])) {
      describe_usage(stdout);
      return 0;
    }
    if (strcmp(argv[i], "--dot") == 0) {
      dot = 1;
    } else if (argv[i][0] == '-' || file != NULL) {
      fprintf(stderr, "eddy describe: unexpected argument '%s'\n\n", argv[i]);
      describe_usage(stderr);
      return 2;
    } else {
      file = argv[i];
    }
  }
  if (file == NULL) {
    describe_usage(stderr);
    return 2;
  }
  eddy_topology_t *topo = NULL;
  if (eddy_topology_compile_file(&topo, file, print_diag, NULL) != 0)
    return 1;
  eddy_buf_t out = {0};
  const eddy_plan_t *plan = eddy_topology_plan(topo);
  int rc = dot ? eddy_plan_describe_dot(plan, &out) : eddy_plan_describe(plan, &out);
  if (rc == 0)
    fwrite(out.p, 1, out.len, stdout);
  else
    fprintf(stderr, "eddy describe: out of memory\n");
  eddy_buf_free(&out);
  eddy_topology_destroy(topo);
  return rc == 0 ? 0 : 1;
}
