/* eddy: command line entry point, dispatching to the subcommands. */
#include <stdio.h>
#include <string.h>

#include "engine/cli.h"

typedef struct {
  const char *name;
  int (*fn)(int argc, char **argv);
  const char *summary;
} command_t;

static const command_t commands[] = {
    {"run", eddy_cmd_run, "run topology files against Kafka"},
    {"check", eddy_cmd_check, "validate topology files (syntax and types)"},
    {"describe", eddy_cmd_describe, "print a topology's subtopologies, topics and stores"},
    {"broker", eddy_cmd_broker, "start an embedded Kafka cluster for development and tests"},
    {"registry", eddy_cmd_registry, "run the Confluent-compatible Schema Registry"},
    {"gen", eddy_cmd_gen, "generate Debezium change events (ecommerce, fraud, temperature)"},
};

static void usage(FILE *out) {
  fprintf(out, "usage: eddy <command> [options]\n\n"
               "eddy is a stream-processing engine for Kafka: declarative topologies,\n"
               "Debezium CDC input, RocksDB state, PostgreSQL sinks.\n\ncommands:\n");
  for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
    fprintf(out, "  %-10s %s\n", commands[i].name, commands[i].summary);
  fprintf(out, "\n  eddy <command> --help   options of one command\n"
               "  eddy --version          print the version\n");
}

int main(int argc, char **argv) {
  if (argc < 2) {
    usage(stderr);
    return 2;
  }
  if (eddy_cli_is_help(argv[1])) {
    usage(stdout);
    return 0;
  }
  if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "version") == 0) {
    printf("eddy %s\n", EDDY_VERSION);
    return 0;
  }
  for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
    if (strcmp(argv[1], commands[i].name) == 0)
      return commands[i].fn(argc - 1, argv + 1);
  fprintf(stderr, "eddy: unknown command '%s'\n\n", argv[1]);
  usage(stderr);
  return 2;
}
