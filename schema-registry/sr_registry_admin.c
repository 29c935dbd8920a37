/*
 * Deletes, compatibility configs and modes. Each reads the log to its end,
 * checks the request against the store, appends its records and returns once
 * they have been read back (sr_registry.c). These writes need no conflict
 * check: soft deletes are idempotent and configs are last-writer-wins, as in
 * Confluent's registry.
 */
#include <string.h>

#include "schema-registry/sr_int.h"

static int sync(eddy__sr_registry_t *r, eddy__sr_status_t *st) {
  return eddy__sr_registry_sync(r, 0, st);
}

static eddy__sr_store_t *store(eddy__sr_registry_t *r) { return eddy__sr_registry_store(r); }

/* Soft delete: rewrite every live version with "deleted":true. */
static int soft_delete_subject(eddy__sr_registry_t *r, const eddy__sr_subject_t *s,
                               int **versions, int *cnt, eddy__sr_status_t *st) {
  if (!eddy__sr_subject_live(s))
    return eddy__sr_fail(st, 40404, "Subject '%s' was soft deleted.Set permanent=true to "
                                    "delete permanently", s->name);
  eddy__sr_record_t *recs = eddy_calloc((size_t)s->version_cnt, sizeof(*recs));
  int *out = eddy_malloc((size_t)s->version_cnt * sizeof(int));
  int n = 0, rc = recs && out ? 0 : EDDY_ENOMEM;
  for (int i = 0; rc == 0 && i < s->version_cnt; i++) {
    const eddy__sr_version_t *v = &s->versions[i];
    if (v->deleted)
      continue;
    out[n] = v->version;
    rc = eddy__sr_record_schema(&recs[n++], s->name, v->version, v->schema->id, v->schema->text,
                                v->schema->schema_type, true);
  }
  if (rc == 0)
    rc = eddy__sr_registry_write(r, recs, n, st);
  else
    rc = eddy__sr_fail(st, 50001, "out of memory deleting subject");
  for (int i = 0; i < n; i++)
    eddy__sr_record_clear(&recs[i]);
  eddy_free(recs);
  if (rc != 0) {
    eddy_free(out);
    return rc;
  }
  *versions = out;
  *cnt = n;
  return 0;
}

/* Hard delete: a tombstone per version, and the subject's config and mode. */
static int hard_delete_subject(eddy__sr_registry_t *r, const eddy__sr_subject_t *s,
                               int **versions, int *cnt, eddy__sr_status_t *st) {
  if (eddy__sr_subject_live(s))
    return eddy__sr_fail(st, 40405, "Subject '%s' was not deleted first before being "
                                    "deleted permanently", s->name);
  int n = s->version_cnt, total = n + 2;
  eddy__sr_record_t *recs = eddy_calloc((size_t)total, sizeof(*recs));
  int *out = eddy_malloc((size_t)n * sizeof(int));
  int used = 0, rc = recs && out ? 0 : EDDY_ENOMEM;
  for (int i = 0; rc == 0 && i < n; i++) {
    out[i] = s->versions[i].version;
    rc = eddy__sr_record_schema_tombstone(&recs[used++], s->name, out[i]);
  }
  if (rc == 0 && s->has_compat)
    rc = eddy__sr_record_config(&recs[used++], s->name, NULL);
  if (rc == 0 && s->mode != NULL)
    rc = eddy__sr_record_mode(&recs[used++], s->name, NULL);
  rc = rc == 0 ? eddy__sr_registry_write(r, recs, used, st)
               : eddy__sr_fail(st, 50001, "out of memory deleting subject");
  for (int i = 0; i < used; i++)
    eddy__sr_record_clear(&recs[i]);
  eddy_free(recs);
  if (rc != 0) {
    eddy_free(out);
    return rc;
  }
  *versions = out;
  *cnt = n;
  return 0;
}

int eddy__sr_delete_subject(eddy__sr_registry_t *r, const char *subject, bool permanent,
                            int **versions, int *cnt, eddy__sr_status_t *st) {
  *versions = NULL;
  *cnt = 0;
  if (sync(r, st) != 0 || eddy__sr_registry_writable(r, subject, st) != 0)
    return st->code;
  const eddy__sr_subject_t *s = eddy__sr_store_subject(store(r), subject);
  if (s == NULL || s->version_cnt == 0)
    return eddy__sr_fail(st, 40401, "Subject '%s' not found.", subject);
  return permanent ? hard_delete_subject(r, s, versions, cnt, st)
                   : soft_delete_subject(r, s, versions, cnt, st);
}

int eddy__sr_delete_version(eddy__sr_registry_t *r, const char *subject, int version,
                            bool permanent, int *deleted, eddy__sr_status_t *st) {
  if (sync(r, st) != 0 || eddy__sr_registry_writable(r, subject, st) != 0)
    return st->code;
  const eddy__sr_subject_t *s = eddy__sr_store_subject(store(r), subject);
  if (s == NULL || s->version_cnt == 0)
    return eddy__sr_fail(st, 40401, "Subject '%s' not found.", subject);
  const eddy__sr_version_t *v = version == -1 ? eddy__sr_subject_latest(s, permanent)
                                              : eddy__sr_subject_version(s, version);
  if (v == NULL)
    return eddy__sr_fail(st, 40402, "Version %d not found.", version);
  if (!permanent && v->deleted)
    return eddy__sr_fail(st, 40406, "Subject '%s' Version %d was soft deleted.Set "
                                    "permanent=true to delete permanently", subject, v->version);
  if (permanent && !v->deleted)
    return eddy__sr_fail(st, 40407, "Subject '%s' Version %d was not deleted first before "
                                    "being permanently deleted", subject, v->version);
  *deleted = v->version;
  eddy__sr_record_t rec = {0};
  int rc = permanent ? eddy__sr_record_schema_tombstone(&rec, subject, v->version)
                     : eddy__sr_record_schema(&rec, subject, v->version, v->schema->id,
                                              v->schema->text, v->schema->schema_type, true);
  if (rc != 0)
    return eddy__sr_fail(st, 50001, "out of memory deleting version");
  return eddy__sr_registry_write(r, &rec, 1, st);
}

int eddy__sr_set_config(eddy__sr_registry_t *r, const char *subject, const char *level,
                        eddy__sr_status_t *st) {
  eddy_sr_compat_t parsed;
  if (level != NULL && eddy_sr_compat_parse(level, &parsed) != 0)
    return eddy__sr_fail(st, 42203, "Invalid compatibility level. Valid values are none, "
                                    "backward, forward, full, backward_transitive, "
                                    "forward_transitive, and full_transitive");
  if ((subject != NULL && eddy__sr_check_subject(subject, st) != 0) || sync(r, st) != 0)
    return st->code;
  if (level == NULL && subject != NULL) {
    const eddy__sr_subject_t *s = eddy__sr_store_subject(store(r), subject);
    if (s == NULL || !s->has_compat)
      return eddy__sr_fail(st, 40408, "Subject '%s' does not have subject-level "
                                      "compatibility configured", subject);
  }
  eddy__sr_record_t rec = {0};
  int rc = eddy__sr_record_config(&rec, subject, level ? eddy_sr_compat_name(parsed) : NULL);
  if (rc != 0)
    return eddy__sr_fail(st, 50001, "out of memory");
  return eddy__sr_registry_write(r, &rec, 1, st);
}

static bool valid_mode(const char *m) {
  return strcmp(m, "READWRITE") == 0 || strcmp(m, "READONLY") == 0 ||
         strcmp(m, "READONLY_OVERRIDE") == 0 || strcmp(m, "IMPORT") == 0;
}

int eddy__sr_set_mode(eddy__sr_registry_t *r, const char *subject, const char *mode,
                      eddy__sr_status_t *st) {
  if (mode != NULL && !valid_mode(mode))
    return eddy__sr_fail(st, 42204, "Invalid mode. Valid values are READWRITE, READONLY, "
                                    "READONLY_OVERRIDE and IMPORT");
  if ((subject != NULL && eddy__sr_check_subject(subject, st) != 0) || sync(r, st) != 0)
    return st->code;
  if (mode == NULL && subject != NULL) {
    const eddy__sr_subject_t *s = eddy__sr_store_subject(store(r), subject);
    if (s == NULL || s->mode == NULL)
      return eddy__sr_fail(st, 40409, "Subject '%s' does not have subject-level mode "
                                      "configured", subject);
  }
  eddy__sr_record_t rec = {0};
  if (eddy__sr_record_mode(&rec, subject, mode) != 0)
    return eddy__sr_fail(st, 50001, "out of memory");
  return eddy__sr_registry_write(r, &rec, 1, st);
}
