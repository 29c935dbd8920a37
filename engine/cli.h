/*
 * The eddy command's subcommands. Each takes the arguments after its name
 * (argv[0] is the subcommand name), prints its own --help, and returns the
 * process exit code.
 */
#ifndef EDDY_ENGINE_CLI_H
#define EDDY_ENGINE_CLI_H

int eddy_cmd_run(int argc, char **argv);
int eddy_cmd_check(int argc, char **argv);
int eddy_cmd_describe(int argc, char **argv);
int eddy_cmd_broker(int argc, char **argv);
int eddy_cmd_registry(int argc, char **argv);   /* schema-registry/ */
int eddy_cmd_gen(int argc, char **argv);        /* tools/ */

/** @returns true when \p arg is -h or --help. */
int eddy_cli_is_help(const char *arg);

#endif
