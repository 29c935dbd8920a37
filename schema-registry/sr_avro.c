/*
 * The boundary to avro-c's schema parser: its error text lives in a global
 * slot (avro_strerror()), so it is copied into an eddy_error_t at once.
 */
#include <avro.h>
#include <string.h>

#include "schema-registry/sr_int.h"

int eddy__sr_avro_parse(const char *json, struct avro_obj_t **out, eddy_error_t **err) {
  *out = NULL;
  if (avro_schema_from_json_length(json, strlen(json), out) != 0)
    return eddy_error_set(err, EDDY_ESCHEMA, "avro-c cannot use the schema: %s", avro_strerror());
  return 0;
}
