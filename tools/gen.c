/* `eddy gen`: command line parsing and --help. */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "eddy/value.h"
#include "engine/cli.h"
#include "engine/util.h"
#include "tools/gen_run.h"

static const gen_model_t *const models[] = {&eddy__gen_ecommerce, &eddy__gen_fraud,
                                            &eddy__gen_temperature};

static void usage(FILE *out) {
  fprintf(out,
      "usage: eddy gen ecommerce|fraud|temperature [options]\n\n"
      "Write realistic Debezium change events (PostgreSQL connector, JSON or Avro\n"
      "converter) to Kafka, or as JSON lines with --output. The same seed and\n"
      "options always give byte-identical records in the same order.\n\n"
      "data sets (topics <prefix>.public.<table>):\n"
      "  ecommerce    users, products, orders, order_items, user_events (prefix ecommerce)\n"
      "  fraud        transactions (prefix ecommerce)\n"
      "  temperature  sensor_readings (prefix office)\n\n"
      "how many, how fast:\n"
      "  -n, --count N          stop after N events\n"
      "  -d, --duration D       stop when event time has advanced by D (10m, 2h, 1d)\n"
      "                         (neither: run until Ctrl-C)\n"
      "  -r, --rate N[/s]       produce N events per wall-clock second; 0 or max: as fast\n"
      "                         as possible (default max)\n"
      "  -e, --event-rate N[/s] events per second of event time: event i happens at\n"
      "                         start + i/N (default: --rate, or 10/s when --rate is max)\n"
      "      --start TIME       event time of the first event, ISO-8601 or `now`\n"
      "                         (default 2026-01-01T00:00:00Z)\n"
      "  -s, --seed S           random seed (default 1)\n\n"
      "encoding:\n"
      "      --schemas on|off   JSON converter schemas.enable: wrap each key and value\n"
      "                         as {\"schema\":...,\"payload\":...} (default off)\n"
      "  -f, --format json|avro value converter (default json); avro writes the\n"
      "                         AvroConverter envelope in the Confluent wire format and\n"
      "                         registers it under <topic>-value (needs --registry)\n"
      "      --key-format json|avro\n"
      "                         key converter (default json: {\"order_id\":1}); avro:\n"
      "                         record <prefix>.public.<table>.Key under <topic>-key\n"
      "      --registry URL     Schema Registry, e.g. http://localhost:8081\n"
      "  -p, --topic-prefix P   topic prefix and Debezium server name\n\n"
      "where to:\n"
      "  -b, --bootstrap HOSTS  Kafka bootstrap servers (default localhost:9092)\n"
      "  -X, --producer-property KEY=VALUE\n"
      "                         extra librdkafka producer setting (repeatable)\n"
      "  -o, --output FILE|-    write JSON lines {\"topic\",\"timestamp\",\"key\",\"value\"}\n"
      "                         instead of producing (Avro keys and values as\n"
      "                         \"key_base64\" and \"value_base64\")\n"
      "      --dump             same as --output -\n"
      "  -q, --quiet            no progress or summary on stderr\n"
      "  -h, --help             show this help\n\n"
      "Decimals are Debezium's precise form (base64 of the unscaled value), times\n"
      "io.debezium.time.MicroTimestamp, record keys the primary key as JSON, record\n"
      "timestamps and ts_ms the event time. Exit status 0 only when every record\n"
      "was acknowledged by Kafka. docs/generator.md describes the data.\n");
}

static int bad(const char *what, const char *arg) {
  fprintf(stderr, "eddy gen: bad %s '%s' (see eddy gen --help)\n", what, arg);
  return 2;
}

/* "1000", "1000/s", "2.5", "max"; 0 and max mean unlimited. */
static int parse_rate(const char *s, double *out) {
  if (strcmp(s, "max") == 0) {
    *out = 0;
    return 0;
  }
  char *end;
  double v = strtod(s, &end);
  if (end == s || !(v >= 0) || isinf(v) || (*end != '\0' && strcmp(end, "/s") != 0))
    return -1;
  *out = v;
  return 0;
}

static int parse_seed(const char *s, uint64_t *out) {
  char *end;
  unsigned long long v = strtoull(s, &end, 0);
  if (*s == '\0' || *s == '-' || *end != '\0')
    return -1;
  *out = v;
  return 0;
}

static int parse_start(const char *s, int64_t *out) {
  if (strcmp(s, "now") == 0) {
    *out = eddy_clock_wall_us();
    return 0;
  }
  return eddy_timestamp_parse(s, strlen(s), out) == 0 ? 0 : -1;
}

static int parse_onoff(const char *s, bool *out) {
  if (strcmp(s, "on") == 0 || strcmp(s, "true") == 0)
    *out = true;
  else if (strcmp(s, "off") == 0 || strcmp(s, "false") == 0)
    *out = false;
  else
    return -1;
  return 0;
}

enum { OPT_START = 256, OPT_SCHEMAS, OPT_REGISTRY, OPT_DUMP, OPT_KEY_FORMAT };

static const struct option long_opts[] = {
    {"count", required_argument, 0, 'n'},      {"duration", required_argument, 0, 'd'},
    {"rate", required_argument, 0, 'r'},       {"event-rate", required_argument, 0, 'e'},
    {"start", required_argument, 0, OPT_START}, {"seed", required_argument, 0, 's'},
    {"schemas", required_argument, 0, OPT_SCHEMAS}, {"format", required_argument, 0, 'f'},
    {"registry", required_argument, 0, OPT_REGISTRY},
    {"key-format", required_argument, 0, OPT_KEY_FORMAT},
    {"topic-prefix", required_argument, 0, 'p'}, {"bootstrap", required_argument, 0, 'b'},
    {"producer-property", required_argument, 0, 'X'}, {"output", required_argument, 0, 'o'},
    {"dump", no_argument, 0, OPT_DUMP},         {"quiet", no_argument, 0, 'q'},
    {"help", no_argument, 0, 'h'},              {0, 0, 0, 0}};

/* One option; @returns 0, 1 for --help, or 2 for a usage error. */
static int option(gen_opts_t *o, int c, const char *arg, bool *event_rate_set) {
  char *end;
  switch (c) {
  case 'n':
    o->count = strtoll(arg, &end, 10);
    return (*arg == '\0' || *end != '\0' || o->count < 0) ? bad("--count", arg) : 0;
  case 'd':
    return (eddy_duration_parse(arg, strlen(arg), &o->duration_us) != 0 || o->duration_us < 0)
               ? bad("--duration", arg) : 0;
  case 'r':
    return parse_rate(arg, &o->rate) != 0 ? bad("--rate", arg) : 0;
  case 'e':
    *event_rate_set = true;
    return (parse_rate(arg, &o->event_rate) != 0 || o->event_rate <= 0)
               ? bad("--event-rate", arg) : 0;
  case OPT_START:
    return parse_start(arg, &o->start_us) != 0 ? bad("--start", arg) : 0;
  case 's':
    return parse_seed(arg, &o->seed) != 0 ? bad("--seed", arg) : 0;
  case OPT_SCHEMAS:
    return parse_onoff(arg, &o->schemas) != 0 ? bad("--schemas", arg) : 0;
  case 'f':
    if (strcmp(arg, "json") != 0 && strcmp(arg, "avro") != 0)
      return bad("--format", arg);
    o->avro = strcmp(arg, "avro") == 0;
    return 0;
  case OPT_KEY_FORMAT:
    if (strcmp(arg, "json") != 0 && strcmp(arg, "avro") != 0)
      return bad("--key-format", arg);
    o->avro_keys = strcmp(arg, "avro") == 0;
    return 0;
  case OPT_REGISTRY: o->registry = arg; return 0;
  case 'p': o->prefix = *arg ? arg : NULL; return *arg ? 0 : bad("--topic-prefix", arg);
  case 'b': o->bootstrap = arg; return 0;
  case 'o': o->output = arg; return 0;
  case OPT_DUMP: o->output = "-"; return 0;
  case 'q': o->quiet = true; return 0;
  case 'X':
    if (o->prop_cnt == GEN_MAX_PROPS)
      return bad("--producer-property (too many)", arg);
    o->props[o->prop_cnt++] = arg;
    return 0;
  case 'h': usage(stdout); return 1;
  default: return 2;
  }
}

static int parse(gen_opts_t *o, int argc, char **argv) {
  bool event_rate_set = false;
  int c;
  optind = 1;
  while ((c = getopt_long(argc, argv, "n:d:r:e:s:f:p:b:X:o:qh", long_opts, NULL)) != -1) {
    int rc = option(o, c, optarg, &event_rate_set);
    if (rc != 0)
      return rc;
  }
  if (optind != argc - 1) {
    fprintf(stderr, "eddy gen: expected one data set: ecommerce, fraud or temperature\n");
    return 2;
  }
  for (size_t i = 0; i < sizeof(models) / sizeof(models[0]); i++)
    if (strcmp(argv[optind], models[i]->name) == 0)
      o->model = models[i];
  if (o->model == NULL) {
    static const char *const names[] = {"ecommerce", "fraud", "temperature"};
    const char *near = eddy_suggest(argv[optind], names, 3);
    fprintf(stderr, "eddy gen: unknown data set '%s'%s%s%s (ecommerce, fraud or temperature)\n",
            argv[optind], near ? ": did you mean " : "", near ? near : "", near ? "?" : "");
    return 2;
  }
  if (!event_rate_set)
    o->event_rate = o->rate > 0 ? o->rate : 10;
  if ((o->avro || o->avro_keys) && o->registry == NULL) {
    fprintf(stderr, "eddy gen: --format avro and --key-format avro need --registry URL\n");
    return 2;
  }
  return 0;
}

int eddy_cmd_gen(int argc, char **argv) {
  gen_opts_t o = {.count = -1, .duration_us = -1, .seed = 1, .bootstrap = "localhost:9092"};
  eddy_timestamp_parse("2026-01-01T00:00:00Z", 20, &o.start_us);
  if (argc >= 2 && eddy_cli_is_help(argv[1])) {
    usage(stdout);
    return 0;
  }
  int rc = parse(&o, argc, argv);
  if (rc != 0)
    return rc == 1 ? 0 : 2;
  return gen_run(&o);
}
