/*
 * The PostgreSQL sink task of a stream thread (see pg_sink_int.h): its
 * consumer, batching, and positions.
 *
 * The stream thread calls eddy__pg_sink_tick() once per loop. The sink
 * takes what its consumer has (never waiting), and writes the pending batch
 * when it holds postgres.batch.rows records or the last write is
 * postgres.batch.ms old: a trickle of rows is written as it comes, a flood
 * in batches, at most one a postgres.batch.ms unless full. A record reaching
 * the sink's queue ends the thread's wait for input, and that wait lasts no
 * longer than the pending batch may (eddy__pg_sink_next_tick_us()). A
 * transient failure drops the pending batch, pauses the partitions and
 * waits (backoff doubling from postgres.retry.backoff.ms to
 * postgres.retry.backoff.max.ms); then the sink reconnects, reads
 * eddy_sink_offsets again and re-assigns its partitions at those offsets,
 * so nothing is lost and nothing is written twice, whether or not the
 * failed COMMIT reached the server.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "engine/pg_sink_int.h"
#include "engine/util.h"

bool eddy__plan_has_pg_sink(const eddy_plan_t *plan) {
  for (uint32_t i = 0; i < plan->node_cnt; i++)
    if (plan->nodes[i]->kind == EDDY_NODE_SINK_POSTGRES)
      return true;
  return false;
}

/* ---- tables ---------------------------------------------------------------------------- */

static char *quote(PGconn *c, const char *name, size_t len) {
  char *q = PQescapeIdentifier(c, name, len);
  char *out = q != NULL ? eddy_strdup(q) : NULL;
  PQfreemem(q);
  return out;
}

/* "schema.table" -> "schema"."table" */
static char *quote_table(PGconn *c, const char *name) {
  const char *dot = strchr(name, '.');
  if (dot == NULL)
    return quote(c, name, strlen(name));
  char *a = quote(c, name, (size_t)(dot - name)), *b = quote(c, dot + 1, strlen(dot + 1));
  eddy_buf_t out = {0};
  if (a != NULL && b != NULL)
    eddy_buf_printf(&out, "%s.%s", a, b);
  eddy_free(a);
  eddy_free(b);
  return out.len > 0 ? (char *)eddy_buf_cstr(&out) : NULL;
}

/* Paths: the value's fields nest at dots (as the JSON encoder wrote them), the key's are flat. */
static const char ***make_paths(const eddy_fields_t *f, bool nested) {
  const char ***paths = eddy_calloc(f->cnt + 1, sizeof(*paths));
  for (uint32_t i = 0; paths != NULL && i < f->cnt; i++) {
    const char *name = f->items[i].name;
    uint32_t cnt = 1;
    for (const char *q = name; nested && *q; q++)
      cnt += *q == '.';
    const char **p = eddy_calloc(cnt + 1, sizeof(char *));
    if ((paths[i] = p) == NULL)
      return paths;
    for (uint32_t k = 0; k < cnt; k++) {
      const char *dot = nested ? strchr(name, '.') : NULL;
      size_t len = dot != NULL ? (size_t)(dot - name) : strlen(name);
      p[k] = eddy_strndup(name, len);
      name += len + 1;
    }
  }
  return paths;
}

static void free_paths(const char ***paths, uint32_t cnt) {
  for (uint32_t i = 0; paths != NULL && i < cnt; i++) {
    for (uint32_t k = 0; paths[i] != NULL && paths[i][k] != NULL; k++)
      eddy_free((void *)paths[i][k]);
    eddy_free((void *)paths[i]);
  }
  eddy_free((void *)paths);
}

static int make_decoder(eddy_decoder_t **dec, eddy_decode_spec_t *spec, const eddy_fields_t *f,
                        const char ***paths, uint8_t **wanted, eddy_error_t **err) {
  *wanted = eddy_malloc(f->cnt + 1);
  if (*wanted == NULL || paths == NULL)
    return eddy_error_set(err, EDDY_ENOMEM, "out of memory");
  memset(*wanted, 1, f->cnt + 1);
  *spec = (eddy_decode_spec_t){.format = EDDY_FMT_JSON, .layout = f,
                               .paths = (const char *const *const *)paths, .wanted = *wanted};
  return eddy_decoder_new(dec, spec, err);
}

/* " ON CONFLICT (k) DO UPDATE SET c = EXCLUDED.c, ..." (DO NOTHING when every column is key) */
static int upsert_tail(eddy_pg_table_t *t) {
  eddy_buf_t b = {0};
  eddy_buf_puts(&b, " ON CONFLICT (");
  for (uint32_t k = 0; k < t->key_cnt; k++)
    eddy_buf_printf(&b, "%s%s", k ? "," : "", t->cols[t->key_slot[k]]);
  eddy_buf_puts(&b, ") DO ");
  uint32_t set = 0;
  for (uint32_t i = 0; i < t->col_cnt; i++) {
    bool key = false;
    for (uint32_t k = 0; k < t->key_cnt; k++)
      key = key || t->key_slot[k] == i;
    if (!key)
      eddy_buf_printf(&b, "%s%s = EXCLUDED.%s", set++ ? ", " : "UPDATE SET ", t->cols[i],
                      t->cols[i]);
  }
  if (set == 0)
    eddy_buf_puts(&b, "NOTHING");
  t->upsert_tail = (char *)eddy_buf_cstr(&b);
  return t->upsert_tail != NULL ? 0 : EDDY_ENOMEM;
}

static int table_names(eddy_pg_sink_t *s, eddy_pg_table_t *t, eddy_error_t **err) {
  const eddy_plan_node_t *n = t->node;
  char topic[512];
  eddy_plan_internal_topic(topic, sizeof(topic), s->app->app_id, n->name);
  t->topic = eddy_strdup(topic);
  t->table = quote_table(s->conn, n->u.sink_postgres.table);
  t->cols = eddy_calloc(t->col_cnt + 1, sizeof(char *));
  t->key_slot = eddy_calloc(t->key_cnt + 1, sizeof(uint32_t));
  t->key_items = eddy_calloc(t->key_cnt + 1, sizeof(eddy_field_t));
  if (t->topic == NULL || t->table == NULL || t->cols == NULL || t->key_slot == NULL ||
      t->key_items == NULL)
    return eddy_error_set(err, EDDY_ENOMEM, "out of memory");
  for (uint32_t i = 0; i < t->col_cnt; i++)
    if ((t->cols[i] = quote(s->conn, t->row->items[i].name, strlen(t->row->items[i].name))) == NULL)
      return eddy_error_set(err, EDDY_ENOMEM, "out of memory");
  for (uint32_t k = 0; k < t->key_cnt; k++) {
    int slot = eddy_fields_find(t->row, n->u.sink_postgres.key_columns[k]);
    if (slot < 0)
      return eddy_error_set(err, EDDY_ESTATE, "%s: key column %s is not in the row", n->name,
                            n->u.sink_postgres.key_columns[k]);
    t->key_slot[k] = (uint32_t)slot;
    t->key_items[k] = t->row->items[slot];
  }
  t->key_layout = (eddy_fields_t){.cnt = t->key_cnt, .items = t->key_items};
  return upsert_tail(t) == 0 ? 0 : eddy_error_set(err, EDDY_ENOMEM, "out of memory");
}

int eddy__pg_table_init(eddy_pg_sink_t *s, eddy_pg_table_t *t, const eddy_plan_node_t *n,
                        eddy_error_t **err) {
  t->node = n;
  t->row = n->in;
  t->col_cnt = n->in->cnt;
  t->key_cnt = n->u.sink_postgres.key_column_cnt;
  int rc = table_names(s, t, err);
  if (rc != 0)
    return rc;
  t->value_paths = make_paths(t->row, true);
  t->key_paths = make_paths(&t->key_layout, false);
  rc = make_decoder(&t->value_dec, &t->value_spec, t->row, t->value_paths, &t->value_wanted, err);
  return rc == 0 ? make_decoder(&t->key_dec, &t->key_spec, &t->key_layout, t->key_paths,
                                &t->key_wanted, err)
                 : rc;
}

void eddy__pg_table_free(eddy_pg_table_t *t) {
  eddy_decoder_destroy(t->value_dec);
  eddy_decoder_destroy(t->key_dec);
  free_paths(t->value_paths, t->col_cnt);
  free_paths(t->key_paths, t->key_cnt);
  eddy_free(t->value_wanted);
  eddy_free(t->key_wanted);
  for (uint32_t i = 0; t->cols != NULL && i < t->col_cnt; i++)
    eddy_free(t->cols[i]);
  eddy_free(t->cols);
  eddy_free(t->key_slot);
  eddy_free(t->key_items);
  eddy_free(t->topic);
  eddy_free(t->table);
  eddy_free(t->upsert_tail);
}

long long eddy_app_pg_sink_lag(const eddy_app_t *app) {
  long long sum = 0;
  for (int i = 0; i < app->thread_cnt; i++)
    sum += eddy__pg_sink_lag(app->threads[i].pg_sink);
  return sum;
}
