/*
 * Subcommands that have not landed yet report so clearly instead of failing
 * to link. Each moves to its own module when implemented.
 */
#include <stdio.h>
#include <string.h>

#include "engine/cli.h"

int eddy_cli_is_help(const char *arg) {
  return strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0;
}

static int not_yet(const char *name) {
  fprintf(stderr, "eddy %s: not available in this build yet\n", name);
  return 2;
}

int eddy_cmd_registry(int argc, char **argv) { (void)argc; (void)argv; return not_yet("registry"); }
