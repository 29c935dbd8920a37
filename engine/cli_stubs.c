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
