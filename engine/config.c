/* Configuration keys, validation and the properties-file reader. */
#include "engine/config.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/util.h"

typedef enum {
  KIND_STR, KIND_INT, KIND_SIZE, KIND_AUTOSIZE, KIND_RATIO, KIND_GUARANTEE, KIND_LOGLEVEL
} kind_t;

typedef struct {
  const char *key;
  kind_t kind;
  const char *def;
  const char *doc;
  size_t offset;
} key_t_;

#define KIND_OF(k) KIND_##k
#define CONFIG_ROW(field, key, kind, def, doc) \
  {key, KIND_OF(kind), def, doc, offsetof(eddy_config_t, field)},
static const key_t_ keys[] = {EDDY_CONFIG_KEYS(CONFIG_ROW)};
#undef CONFIG_ROW
#define KEY_CNT (sizeof(keys) / sizeof(keys[0]))

static int parse_int(const char *s, int64_t *out) {
  char *end;
  errno = 0;
  long long v = strtoll(s, &end, 10);
  if (*s == '\0' || errno != 0)
    return -1;
  while (isspace((unsigned char)*end))
    end++;
  if (*end != '\0')
    return -1;
  *out = v;
  return 0;
}

/* Sizes accept a plain byte count or a suffix: 512k, 256m, 2g (powers of 1024). */
static int parse_size(const char *s, int64_t *out) {
  char *end;
  errno = 0;
  long long v = strtoll(s, &end, 10);
  if (*s == '\0' || errno != 0 || v < 0)
    return -1;
  int64_t mul = 1;
  switch (tolower((unsigned char)*end)) {
  case '\0': break;
  case 'k': mul = 1024; end++; break;
  case 'm': mul = 1024 * 1024; end++; break;
  case 'g': mul = 1024LL * 1024 * 1024; end++; break;
  default: return -1;
  }
  if (tolower((unsigned char)*end) == 'b')
    end++;
  if (*end != '\0' || v > INT64_MAX / mul)
    return -1;
  *out = v * mul;
  return 0;
}

static int set_known(eddy_config_t *c, const key_t_ *k, const char *value, eddy_error_t **err) {
  void *field = (char *)c + k->offset;
  int64_t v;
  switch (k->kind) {
  case KIND_STR: {
    char *dup = eddy_strdup(value);
    if (dup == NULL)
      return EDDY_ENOMEM;
    eddy_free(*(char **)field);
    *(char **)field = dup;
    return 0;
  }
  case KIND_INT:
    if (parse_int(value, &v) != 0 || v < 0)
      return eddy_error_set(err, EDDY_ECONFIG, "%s: expected a non-negative integer, got '%s'",
                            k->key, value);
    if (strcmp(k->key, "num.stream.threads") == 0 && (v < 1 || v > 64))
      return eddy_error_set(err, EDDY_ECONFIG, "num.stream.threads must be 1..64, got %s", value);
    *(int64_t *)field = v;
    return 0;
  case KIND_AUTOSIZE:
    if (strcmp(value, "auto") == 0) {
      *(int64_t *)field = -1;
      return 0;
    }
    /* fall through */
  case KIND_SIZE:
    if (parse_size(value, &v) != 0)
      return eddy_error_set(err, EDDY_ECONFIG, "%s: expected a size like 268435456 or 256m, got '%s'",
                            k->key, value);
    *(int64_t *)field = v;
    return 0;
  case KIND_RATIO: {
    char *end;
    errno = 0;
    double d = strtod(value, &end);
    if (*value == '\0' || *end != '\0' || errno != 0 || !(d > 0 && d < 1))
      return eddy_error_set(err, EDDY_ECONFIG, "%s: expected a number between 0 and 1, got '%s'",
                            k->key, value);
    *(double *)field = d;
    return 0;
  }
  case KIND_GUARANTEE:
    if (strcmp(value, "at_least_once") == 0)
      *(eddy_guarantee_t *)field = EDDY_AT_LEAST_ONCE;
    else if (strcmp(value, "exactly_once_v2") == 0 || strcmp(value, "exactly_once") == 0)
      *(eddy_guarantee_t *)field = EDDY_EXACTLY_ONCE_V2;
    else
      return eddy_error_set(err, EDDY_ECONFIG,
                            "processing.guarantee must be at_least_once or exactly_once_v2, got '%s'",
                            value);
    return 0;
  case KIND_LOGLEVEL:
    if (eddy_log_level_parse(value, (eddy_log_level_t *)field) != 0)
      return eddy_error_set(err, EDDY_ECONFIG, "log.level must be debug, info, warn or error, got '%s'",
                            value);
    return 0;
  }
  return EDDY_EINVAL;
}

static int set_kafka(eddy_config_t *c, const char *key, const char *value) {
  for (uint32_t i = 0; i < c->kafka_cnt; i++) {
    if (strcmp(c->kafka_keys[i], key) == 0) {
      char *dup = eddy_strdup(value);
      if (dup == NULL)
        return EDDY_ENOMEM;
      eddy_free(c->kafka_values[i]);
      c->kafka_values[i] = dup;
      return 0;
    }
  }
  char **ks = eddy_realloc(c->kafka_keys, (c->kafka_cnt + 1) * sizeof(*ks));
  if (ks == NULL)
    return EDDY_ENOMEM;
  c->kafka_keys = ks;
  char **vs = eddy_realloc(c->kafka_values, (c->kafka_cnt + 1) * sizeof(*vs));
  if (vs == NULL)
    return EDDY_ENOMEM;
  c->kafka_values = vs;
  ks[c->kafka_cnt] = eddy_strdup(key);
  vs[c->kafka_cnt] = eddy_strdup(value);
  if (ks[c->kafka_cnt] == NULL || vs[c->kafka_cnt] == NULL) {
    eddy_free(ks[c->kafka_cnt]);
    eddy_free(vs[c->kafka_cnt]);
    return EDDY_ENOMEM;
  }
  c->kafka_cnt++;
  return 0;
}

int eddy_config_set(eddy_config_t *c, const char *key, const char *value, eddy_error_t **err) {
  if (strncmp(key, "kafka.", 6) == 0 && key[6] != '\0')
    return set_kafka(c, key + 6, value);
  for (size_t i = 0; i < KEY_CNT; i++)
    if (strcmp(keys[i].key, key) == 0) {
      int rc = set_known(c, &keys[i], value, err);
      if (rc == 0 && strcmp(key, "commit.interval.ms") == 0)
        c->commit_interval_set = true;
      return rc;
    }
  const char *names[KEY_CNT];
  for (size_t i = 0; i < KEY_CNT; i++)
    names[i] = keys[i].key;
  const char *best = eddy_suggest(key, names, KEY_CNT);
  if (best != NULL)
    return eddy_error_set(err, EDDY_ECONFIG, "unknown configuration key '%s' (did you mean '%s'?)",
                          key, best);
  return eddy_error_set(err, EDDY_ECONFIG,
                        "unknown configuration key '%s' (librdkafka settings take a 'kafka.' prefix)",
                        key);
}

int eddy_config_init(eddy_config_t *c) {
  memset(c, 0, sizeof(*c));
  for (size_t i = 0; i < KEY_CNT; i++) {
    int rc = set_known(c, &keys[i], keys[i].def, NULL);
    if (rc != 0) {
      eddy_config_free(c);
      return rc;
    }
  }
  return 0;
}

void eddy_config_free(eddy_config_t *c) {
  for (size_t i = 0; i < KEY_CNT; i++)
    if (keys[i].kind == KIND_STR) {
      char **field = (char **)((char *)c + keys[i].offset);
      eddy_free(*field);
      *field = NULL;
    }
  for (uint32_t i = 0; i < c->kafka_cnt; i++) {
    eddy_free(c->kafka_keys[i]);
    eddy_free(c->kafka_values[i]);
  }
  eddy_free(c->kafka_keys);
  eddy_free(c->kafka_values);
  c->kafka_keys = c->kafka_values = NULL;
  c->kafka_cnt = 0;
}

int eddy_config_copy(eddy_config_t *dst, const eddy_config_t *src) {
  *dst = *src;
  dst->kafka_keys = dst->kafka_values = NULL;
  dst->kafka_cnt = 0;
  for (size_t i = 0; i < KEY_CNT; i++)
    if (keys[i].kind == KIND_STR) {
      char **field = (char **)((char *)dst + keys[i].offset);
      *field = eddy_strdup(*field);
    }
  for (uint32_t i = 0; i < src->kafka_cnt; i++)
    if (set_kafka(dst, src->kafka_keys[i], src->kafka_values[i]) != 0) {
      eddy_config_free(dst);
      return EDDY_ENOMEM;
    }
  return 0;
}

static char *trim(char *s) {
  while (isspace((unsigned char)*s))
    s++;
  char *e = s + strlen(s);
  while (e > s && isspace((unsigned char)e[-1]))
    *--e = '\0';
  return s;
}

static int load_line(eddy_config_t *c, const char *path, int lineno, char *line, eddy_error_t **err) {
  char *s = trim(line);
  if (*s == '\0' || *s == '#' || *s == '!')
    return 0;
  char *sep = strpbrk(s, "=:");
  if (sep == NULL)
    return eddy_error_set(err, EDDY_ECONFIG, "%s:%d: expected 'key=value', got '%s'", path,
                          lineno, s);
  *sep = '\0';
  char *key = trim(s), *value = trim(sep + 1);
  eddy_error_t *inner = NULL;
  int rc = eddy_config_set(c, key, value, &inner);
  if (rc != 0) {
    eddy_error_set(err, rc, "%s:%d: %s", path, lineno, inner ? inner->msg : eddy_strerror(rc));
    eddy_error_destroy(inner);
  }
  return rc;
}

int eddy_config_load_file(eddy_config_t *c, const char *path, eddy_error_t **err) {
  FILE *f = fopen(path, "r");
  if (f == NULL)
    return eddy_error_set(err, EDDY_ECONFIG, "%s: %s", path, strerror(errno));
  char line[4096];
  int lineno = 0, rc = 0;
  while (rc == 0 && fgets(line, sizeof(line), f) != NULL) {
    lineno++;
    rc = load_line(c, path, lineno, line, err);
  }
  fclose(f);
  return rc;
}

int eddy_config_describe(eddy_buf_t *out) {
  int rc = 0;
  for (size_t i = 0; i < KEY_CNT && rc == 0; i++)
    rc = eddy_buf_printf(out, "  %-33s %s (default: %s)\n", keys[i].key, keys[i].doc,
                         keys[i].def[0] ? keys[i].def : "-");
  if (rc == 0)
    rc = eddy_buf_puts(out, "  kafka.<name>                      any librdkafka setting, passed through\n");
  return rc;
}
