/*
 * The libpq boundary of the PostgreSQL sink: connecting, running a
 * statement, classifying failures by SQLSTATE, and the start-up checks.
 *
 * Transient (retry with backoff, reconnect, reposition): a bad connection,
 * class 08 (connection exception), 57P01/57P02/57P03 (shutdown, cannot
 * connect now), 40001 (serialization), 40P01 (deadlock), class 53
 * (insufficient resources). Data (the record goes to the dead-letter
 * topic): class 22 (data exception) and 23 (integrity constraint). Anything
 * else (a dropped table, a permission) stops the application.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/pg_sink_int.h"
#include "engine/util.h"

static void ignore_notice(void *arg, const char *message) {
  (void)arg;
  (void)message;
}

int eddy__pg_connect(eddy_pg_sink_t *s, eddy_error_t **err) {
  eddy__pg_disconnect(s);
  const char *keys[] = {"dbname", "application_name", "connect_timeout", NULL};
  const char *vals[] = {s->app->conf.postgres_url, "eddy", "10", NULL};
  /* expand_dbname: the url is a conninfo or URI; an empty one leaves libpq to PG* */
  s->conn = PQconnectdbParams(keys, vals, 1);
  if (s->conn != NULL && PQstatus(s->conn) == CONNECTION_OK) {
    PQsetErrorVerbosity(s->conn, PQERRORS_DEFAULT);
    PQsetNoticeProcessor(s->conn, ignore_notice, NULL);   /* library code never prints */
    return 0;
  }
  char msg[512];
  snprintf(msg, sizeof(msg), "%s", s->conn ? PQerrorMessage(s->conn) : "out of memory");
  size_t len = strlen(msg);
  while (len > 0 && (msg[len - 1] == '\n' || msg[len - 1] == ' '))
    msg[--len] = '\0';
  eddy__pg_disconnect(s);
  return eddy_error_set_ex(err, EDDY_EPG, "postgres", true, "cannot connect to PostgreSQL "
                           "(%s): %s", s->app->conf.postgres_url[0] ? "postgres.url"
                           : "PG* environment", msg);
}

void eddy__pg_disconnect(eddy_pg_sink_t *s) {
  if (s->conn != NULL)
    PQfinish(s->conn);
  s->conn = NULL;
}

static eddy_pg_class_t classify(const char *st) {
  if (st == NULL || strlen(st) != 5)
    return EDDY_PG_TRANSIENT;   /* no SQLSTATE: the connection failed */
  if (strncmp(st, "08", 2) == 0 || strncmp(st, "53", 2) == 0 || strcmp(st, "57P01") == 0 ||
      strcmp(st, "57P02") == 0 || strcmp(st, "57P03") == 0 || strcmp(st, "40001") == 0 ||
      strcmp(st, "40P01") == 0)
    return EDDY_PG_TRANSIENT;
  if (strncmp(st, "22", 2) == 0 || strncmp(st, "23", 2) == 0)
    return EDDY_PG_DATA;
  return EDDY_PG_FATAL;
}

/* The server's message without its trailing newline. */
static void message(PGconn *c, const PGresult *r, char *buf, size_t cap) {
  const char *m = r != NULL ? PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY) : NULL;
  const char *detail = r != NULL ? PQresultErrorField(r, PG_DIAG_MESSAGE_DETAIL) : NULL;
  if (m == NULL)
    m = c != NULL ? PQerrorMessage(c) : "no connection";
  snprintf(buf, cap, "%s%s%s", m, detail ? " (" : "", detail ? detail : "");
  size_t len = strlen(buf);
  while (len > 0 && (buf[len - 1] == '\n' || buf[len - 1] == ' '))
    buf[--len] = '\0';
  if (detail != NULL && len + 1 < cap) {
    buf[len] = ')';
    buf[len + 1] = '\0';
  }
}

eddy_pg_class_t eddy__pg_exec(eddy_pg_sink_t *s, const char *sql, int n,
                              const char *const *params, PGresult **res, char *sqlstate,
                              eddy_error_t **err) {
  if (res != NULL)
    *res = NULL;
  if (sqlstate != NULL)
    strcpy(sqlstate, "08006");
  if (s->conn == NULL || PQstatus(s->conn) != CONNECTION_OK) {
    eddy_error_set_ex(err, EDDY_EPG, "postgres", true, "PostgreSQL connection lost");
    return EDDY_PG_TRANSIENT;
  }
  PGresult *r = PQexecParams(s->conn, sql, n, NULL, params, NULL, NULL, 0);
  ExecStatusType st = r != NULL ? PQresultStatus(r) : PGRES_FATAL_ERROR;
  if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK) {
    if (res != NULL)
      *res = r;
    else
      PQclear(r);
    return EDDY_PG_OK;
  }
  const char *state = r != NULL ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
  eddy_pg_class_t cls = PQstatus(s->conn) != CONNECTION_OK ? EDDY_PG_TRANSIENT : classify(state);
  char msg[1024];
  message(s->conn, r, msg, sizeof(msg));
  if (sqlstate != NULL && state != NULL)
    snprintf(sqlstate, 6, "%s", state);
  eddy_error_set_ex(err, EDDY_EPG, "postgres", cls == EDDY_PG_TRANSIENT, "SQLSTATE %s: %s",
                    state != NULL ? state : "08006", msg);
  PQclear(r);
  return cls;
}

/* ---- start-up checks ------------------------------------------------------------------ */

static const char offsets_ddl[] =
    "CREATE TABLE IF NOT EXISTS eddy_sink_offsets (app text NOT NULL, topic text NOT NULL, "
    "\"partition\" integer NOT NULL, next_offset bigint NOT NULL, "
    "updated_at timestamptz NOT NULL DEFAULT now(), PRIMARY KEY (app, topic, \"partition\"))";

static int create_offsets(eddy_pg_sink_t *s, eddy_error_t **err) {
  char state[6];
  eddy_error_t *why = NULL;
  eddy_pg_class_t c = eddy__pg_exec(s, offsets_ddl, 0, NULL, NULL, state, &why);
  /* two instances creating it at once: one loses the race on the catalog */
  if (c != EDDY_PG_OK && strcmp(state, "23505") != 0 && strcmp(state, "42P07") != 0) {
    eddy_error_set_ex(err, EDDY_EPG, "postgres", c == EDDY_PG_TRANSIENT,
                      "cannot create eddy_sink_offsets: %s", eddy_error_msg(why));
    eddy_error_destroy(why);
    return EDDY_EPG;
  }
  eddy_error_destroy(why);
  return 0;
}

/* The table's columns, one string "a","b",... for messages; missing ones into \p missing. */
static int check_columns(eddy_pg_sink_t *s, const eddy_pg_table_t *t, eddy_error_t **err) {
  const char *p[1] = {t->table};
  PGresult *r = NULL;
  eddy_error_t *why = NULL;
  if (eddy__pg_exec(s, "SELECT attname FROM pg_attribute WHERE attrelid = to_regclass($1) "
                    "AND attnum > 0 AND NOT attisdropped", 1, p, &r, NULL, &why) != EDDY_PG_OK) {
    int rc = eddy_error_set(err, EDDY_EPG, "%s: cannot read the columns of %s: %s",
                            t->node->name, t->node->u.sink_postgres.table, eddy_error_msg(why));
    eddy_error_destroy(why);
    return rc;
  }
  eddy_buf_t missing = {0};
  for (uint32_t i = 0; i < t->row->cnt; i++) {
    bool found = false;
    for (int k = 0; k < PQntuples(r) && !found; k++)
      found = strcmp(PQgetvalue(r, k, 0), t->row->items[i].name) == 0;
    if (!found)
      eddy_buf_printf(&missing, "%s'%s'", missing.len ? ", " : "", t->row->items[i].name);
  }
  PQclear(r);
  int rc = 0;
  if (missing.len > 0)
    rc = eddy_error_set(err, EDDY_ECONFIG, "%s: PostgreSQL table %s has no column %s (the row "
                        "writes every column it has; add them or select fewer)", t->node->name,
                        t->node->u.sink_postgres.table, eddy_buf_cstr(&missing));
  eddy_buf_free(&missing);
  return rc;
}

/* The key columns must be exactly the columns of a unique index (ON CONFLICT needs one). */
static int check_unique(eddy_pg_sink_t *s, const eddy_pg_table_t *t, eddy_error_t **err) {
  eddy_buf_t arr = {0}, cnt = {0};
  eddy_buf_putc(&arr, '{');
  for (uint32_t k = 0; k < t->key_cnt; k++) {
    eddy_buf_puts(&arr, k ? ",\"" : "\"");
    for (const char *c = t->node->u.sink_postgres.key_columns[k]; *c; c++) {
      if (*c == '"' || *c == '\\')
        eddy_buf_putc(&arr, '\\');
      eddy_buf_putc(&arr, *c);
    }
    eddy_buf_putc(&arr, '"');
  }
  eddy_buf_putc(&arr, '}');
  eddy_buf_printf(&cnt, "%u", t->key_cnt);
  const char *p[3] = {t->table, eddy_buf_cstr(&cnt), eddy_buf_cstr(&arr)};
  PGresult *r = NULL;
  eddy_error_t *why = NULL;
  eddy_pg_class_t c = eddy__pg_exec(
      s, "SELECT 1 FROM pg_index i WHERE i.indrelid = to_regclass($1) AND i.indisunique "
      "AND i.indpred IS NULL AND i.indexprs IS NULL AND i.indnkeyatts = $2::int "
      "AND (SELECT count(*) FROM pg_attribute a WHERE a.attrelid = i.indrelid "
      "AND a.attnum = ANY(i.indkey) AND a.attname = ANY($3::text[])) = $2::int", 3, p, &r,
      NULL, &why);
  int rc = 0;
  if (c != EDDY_PG_OK)
    rc = eddy_error_set(err, EDDY_EPG, "%s: cannot read the indexes of %s: %s", t->node->name,
                        t->node->u.sink_postgres.table, eddy_error_msg(why));
  else if (PQntuples(r) == 0)
    rc = eddy_error_set(err, EDDY_ECONFIG, "%s: the key (%s) of PostgreSQL table %s is not its "
                        "primary key or a unique constraint; upserts need one (ALTER TABLE %s ADD "
                        "PRIMARY KEY (%s))", t->node->name, arr.p + 1, t->node->u.sink_postgres.table,
                        t->node->u.sink_postgres.table, arr.p + 1);
  PQclear(r);
  eddy_error_destroy(why);
  eddy_buf_free(&arr);
  eddy_buf_free(&cnt);
  return rc;
}

static int check_table(eddy_pg_sink_t *s, const eddy_pg_table_t *t, eddy_error_t **err) {
  const char *p[1] = {t->table};
  PGresult *r = NULL;
  eddy_error_t *why = NULL;
  eddy_pg_class_t c = eddy__pg_exec(s, "SELECT to_regclass($1) IS NOT NULL", 1, p, &r, NULL, &why);
  if (c != EDDY_PG_OK) {
    int rc = eddy_error_set(err, EDDY_EPG, "%s: %s", t->node->name, eddy_error_msg(why));
    eddy_error_destroy(why);
    return rc;
  }
  bool exists = strcmp(PQgetvalue(r, 0, 0), "t") == 0;
  PQclear(r);
  if (!exists)
    return eddy_error_set(err, EDDY_ECONFIG, "%s: PostgreSQL table %s does not exist (create it "
                          "first, e.g. with sql/analytics.sql)", t->node->name,
                          t->node->u.sink_postgres.table);
  int rc = check_columns(s, t, err);
  return rc == 0 ? check_unique(s, t, err) : rc;
}

int eddy__pg_prepare(eddy_pg_sink_t *s, eddy_error_t **err) {
  int rc = create_offsets(s, err);
  for (uint32_t i = 0; rc == 0 && i < s->table_cnt; i++)
    rc = check_table(s, &s->tables[i], err);
  return rc;
}

eddy_pg_class_t eddy__pg_read_offsets(eddy_pg_sink_t *s, eddy_error_t **err) {
  for (uint32_t i = 0; i < s->part_cnt; i++)
    s->parts[i].stored = -1;
  for (uint32_t t = 0; t < s->table_cnt; t++) {
    const char *p[2] = {s->app->app_id, s->tables[t].topic};
    PGresult *r = NULL;
    eddy_pg_class_t c = eddy__pg_exec(s, "SELECT \"partition\", next_offset FROM "
                                      "eddy_sink_offsets WHERE app = $1 AND topic = $2", 2, p,
                                      &r, NULL, err);
    if (c != EDDY_PG_OK)
      return c;
    for (int k = 0; k < PQntuples(r); k++) {
      eddy_pg_part_t *pp = eddy__pg_part(s, t, (int32_t)atoi(PQgetvalue(r, k, 0)));
      if (pp != NULL)
        pp->stored = strtoll(PQgetvalue(r, k, 1), NULL, 10);
    }
    PQclear(r);
  }
  for (uint32_t i = 0; i < s->part_cnt; i++)
    s->parts[i].next = s->parts[i].stored;
  return EDDY_PG_OK;
}
