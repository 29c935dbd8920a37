/* Private to the store (sr_store.c) and the log-record applier (sr_apply.c). */
#ifndef EDDY_SR_STORE_INT_H
#define EDDY_SR_STORE_INT_H

#include "schema-registry/sr_int.h"

struct eddy__sr_store_s {
  eddy__sr_map_t subjects;    /* name -> eddy__sr_subject_t */
  eddy__sr_map_t ids;         /* decimal id -> eddy__sr_schema_t (owned) */
  eddy__sr_map_t texts;       /* canonical text -> eddy__sr_schema_t (first id) */
  int max_id;
  bool has_global_compat;
  eddy_sr_compat_t global_compat;
  char *global_mode;          /* NULL: READWRITE */
  int64_t next_offset;
  const eddy_logger_t *logger;
};

eddy__sr_subject_t *eddy__sr_store_subject_get_or_add(eddy__sr_store_t *st, const char *name);
void eddy__sr_store_subject_gc(eddy__sr_store_t *st, eddy__sr_subject_t *s);
/** Takes ownership of \p text, \p schema_type and \p parsed, even on failure. */
eddy__sr_schema_t *eddy__sr_store_schema_add(eddy__sr_store_t *st, int id, char *text,
                                             char *schema_type, eddy_sr_schema_t *parsed);
int eddy__sr_subject_insert(eddy__sr_subject_t *s, int version, eddy__sr_schema_t *schema,
                            bool deleted);
void eddy__sr_subject_remove(eddy__sr_store_t *st, eddy__sr_subject_t *s, int version);

#endif
