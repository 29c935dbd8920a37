/* Configuration: defaults, validation, properties files, pass-through. */
#include <stdio.h>
#include <unistd.h>

#include "eddy_test.h"
#include "engine/config.h"
#include "engine/util.h"

EDDY_TEST(config_defaults) {
  eddy_config_t c;
  ASSERT_OK(eddy_config_init(&c));
  ASSERT_STR_EQ("localhost:9092", c.bootstrap_servers);
  ASSERT_EQ(1, c.num_stream_threads);
  ASSERT_EQ(1000, c.commit_interval_ms);
  ASSERT_EQ(EDDY_AT_LEAST_ONCE, c.processing_guarantee);
  ASSERT_EQ(256LL * 1024 * 1024, c.state_memory_bytes);
  ASSERT_STR_EQ("", c.application_id);
  eddy_config_free(&c);
  EDDY_ASSERT_NO_LEAKS();
}

EDDY_TEST(config_unknown_key_suggests) {
  eddy_config_t c;
  eddy_config_init(&c);
  eddy_error_t *err = NULL;
  ASSERT_EQ(EDDY_ECONFIG, eddy_config_set(&c, "comit.interval.ms", "5", &err));
  ASSERT_STR_EQ("unknown configuration key 'comit.interval.ms' (did you mean 'commit.interval.ms'?)",
                err->msg);
  eddy_error_destroy(err);
  err = NULL;
  ASSERT_EQ(EDDY_ECONFIG, eddy_config_set(&c, "socket.timeout.ms", "5", &err));
  ASSERT_STR_EQ("unknown configuration key 'socket.timeout.ms' (librdkafka settings take a "
                "'kafka.' prefix)", err->msg);
  eddy_error_destroy(err);
  eddy_config_free(&c);
  EDDY_ASSERT_NO_LEAKS();
}

EDDY_TEST(config_validates_values) {
  eddy_config_t c;
  eddy_config_init(&c);
  eddy_error_t *err = NULL;
  ASSERT_EQ(EDDY_ECONFIG, eddy_config_set(&c, "num.stream.threads", "0", &err));
  eddy_error_destroy(err);
  err = NULL;
  ASSERT_EQ(EDDY_ECONFIG, eddy_config_set(&c, "commit.interval.ms", "10x", &err));
  ASSERT_STR_EQ("commit.interval.ms: expected a non-negative integer, got '10x'", err->msg);
  eddy_error_destroy(err);
  err = NULL;
  ASSERT_EQ(EDDY_ECONFIG, eddy_config_set(&c, "processing.guarantee", "maybe", &err));
  eddy_error_destroy(err);
  ASSERT_OK(eddy_config_set(&c, "state.memory.bytes", "512m", NULL));
  ASSERT_EQ(512LL * 1024 * 1024, c.state_memory_bytes);
  ASSERT_OK(eddy_config_set(&c, "state.memory.bytes", "2g", NULL));
  ASSERT_EQ(2LL * 1024 * 1024 * 1024, c.state_memory_bytes);
  ASSERT_OK(eddy_config_set(&c, "processing.guarantee", "exactly_once_v2", NULL));
  ASSERT_EQ(EDDY_EXACTLY_ONCE_V2, c.processing_guarantee);
  eddy_config_free(&c);
  EDDY_ASSERT_NO_LEAKS();
}

EDDY_TEST(config_file_and_passthrough) {
  char *dir = eddy_test_tmpdir("config");
  char path[600];
  snprintf(path, sizeof(path), "%s/app.properties", dir);
  FILE *f = fopen(path, "w");
  fputs("# comment\n! another\n\napplication.id = shop\nbootstrap.servers: k1:9092,k2:9092\n"
        "kafka.security.protocol=plaintext\nkafka.consumer.fetch.wait.max.ms=50\n"
        "kafka.security.protocol=PLAINTEXT\n", f);
  fclose(f);
  eddy_config_t c;
  eddy_config_init(&c);
  ASSERT_OK(eddy_config_load_file(&c, path, NULL));
  ASSERT_STR_EQ("shop", c.application_id);
  ASSERT_STR_EQ("k1:9092,k2:9092", c.bootstrap_servers);
  ASSERT_EQ(2, c.kafka_cnt); /* a repeated key replaces its value */
  ASSERT_STR_EQ("security.protocol", c.kafka_keys[0]);
  ASSERT_STR_EQ("PLAINTEXT", c.kafka_values[0]);
  ASSERT_STR_EQ("consumer.fetch.wait.max.ms", c.kafka_keys[1]);

  eddy_config_t copy;
  ASSERT_OK(eddy_config_copy(&copy, &c));
  ASSERT_STR_EQ("shop", copy.application_id);
  ASSERT_STR_EQ("PLAINTEXT", copy.kafka_values[0]);
  eddy_config_free(&copy);

  f = fopen(path, "a");
  fputs("num.stream.thread=2\n", f);
  fclose(f);
  eddy_error_t *err = NULL;
  ASSERT_EQ(EDDY_ECONFIG, eddy_config_load_file(&c, path, &err));
  char expected[700];
  snprintf(expected, sizeof(expected),
           "%s:9: unknown configuration key 'num.stream.thread' (did you mean "
           "'num.stream.threads'?)", path);
  ASSERT_STR_EQ(expected, err->msg);
  eddy_error_destroy(err);
  eddy_config_free(&c);
  free(dir);
  EDDY_ASSERT_NO_LEAKS();
}

EDDY_TEST(suggest_and_edit_distance) {
  ASSERT_EQ(0, eddy_edit_distance("orders", "orders"));
  ASSERT_EQ(1, eddy_edit_distance("ordrs", "orders"));
  ASSERT_EQ(3, eddy_edit_distance("kitten", "sitting"));
  const char *names[] = {"orders", "order_items", "products"};
  ASSERT_STR_EQ("orders", eddy_suggest("ordres", names, 3));
  ASSERT_TRUE(eddy_suggest("zzz", names, 3) == NULL);
}

EDDY_TEST(config_state_and_window_keys) {
  eddy_config_t c;
  ASSERT_OK(eddy_config_init(&c));
  ASSERT_EQ(-1, c.state_cache_max_bytes);   /* auto: 1/8 of state.memory.bytes */
  ASSERT_DBL_EQ(0.25, c.state_write_buffer_ratio, 1e-12);
  ASSERT_EQ(2, c.state_background_threads);
  ASSERT_EQ(200000, c.state_restore_batch_records);
  ASSERT_EQ(64LL << 20, c.state_restore_memory_bytes);
  ASSERT_EQ(2000, c.state_restore_log_interval_ms);
  ASSERT_EQ(0, c.window_idle_advance_ms);
  ASSERT_STR_EQ("", c.late_records_topic);
  ASSERT_OK(eddy_config_set(&c, "state.cache.max.bytes", "16m", NULL));
  ASSERT_EQ(16LL << 20, c.state_cache_max_bytes);
  ASSERT_OK(eddy_config_set(&c, "state.cache.max.bytes", "0", NULL));
  ASSERT_EQ(0, c.state_cache_max_bytes);
  ASSERT_OK(eddy_config_set(&c, "state.cache.max.bytes", "auto", NULL));
  ASSERT_EQ(-1, c.state_cache_max_bytes);
  ASSERT_OK(eddy_config_set(&c, "state.memory.write.buffer.ratio", "0.5", NULL));
  ASSERT_DBL_EQ(0.5, c.state_write_buffer_ratio, 1e-12);
  eddy_error_t *err = NULL;
  ASSERT_EQ(EDDY_ECONFIG, eddy_config_set(&c, "state.memory.write.buffer.ratio", "1.5", &err));
  ASSERT_STR_EQ("state.memory.write.buffer.ratio: expected a number between 0 and 1, got '1.5'",
                err->msg);
  eddy_error_destroy(err);
  err = NULL;
  ASSERT_EQ(EDDY_ECONFIG, eddy_config_set(&c, "state.cache.max.bytes", "lots", &err));
  eddy_error_destroy(err);
  ASSERT_OK(eddy_config_set(&c, "window.idle.advance.ms", "30000", NULL));
  ASSERT_EQ(30000, c.window_idle_advance_ms);
  ASSERT_OK(eddy_config_set(&c, "late.records.topic", "shop-late", NULL));
  eddy_config_t copy;
  ASSERT_OK(eddy_config_copy(&copy, &c));
  ASSERT_STR_EQ("shop-late", copy.late_records_topic);
  eddy_config_free(&copy);
  eddy_config_free(&c);
  EDDY_ASSERT_NO_LEAKS();
}

EDDY_TEST(config_schema_registry_keys) {
  eddy_config_t c;
  ASSERT_OK(eddy_config_init(&c));
  ASSERT_STR_EQ("", c.schema_registry_url);
  ASSERT_EQ(5000, c.schema_registry_timeout_ms);
  ASSERT_EQ(100, c.schema_registry_backoff_ms);
  ASSERT_EQ(10000, c.schema_registry_backoff_max_ms);
  ASSERT_OK(eddy_config_set(&c, "schema.registry.url", "http://reg-a:8081,http://reg-b:8081", NULL));
  ASSERT_OK(eddy_config_set(&c, "schema.registry.timeout.ms", "1500", NULL));
  ASSERT_OK(eddy_config_set(&c, "schema.registry.retry.backoff.max.ms", "60000", NULL));
  ASSERT_EQ(1500, c.schema_registry_timeout_ms);
  ASSERT_EQ(60000, c.schema_registry_backoff_max_ms);
  eddy_error_t *err = NULL;
  ASSERT_EQ(EDDY_ECONFIG, eddy_config_set(&c, "schema.registry.timeout.ms", "soon", &err));
  ASSERT_STR_EQ("schema.registry.timeout.ms: expected a non-negative integer, got 'soon'", err->msg);
  eddy_error_destroy(err);
  err = NULL;
  ASSERT_EQ(EDDY_ECONFIG, eddy_config_set(&c, "schema.registry.uri", "http://x", &err));
  ASSERT_STR_EQ("unknown configuration key 'schema.registry.uri' (did you mean "
                "'schema.registry.url'?)", err->msg);
  eddy_error_destroy(err);
  eddy_config_t copy;
  ASSERT_OK(eddy_config_copy(&copy, &c));
  ASSERT_STR_EQ("http://reg-a:8081,http://reg-b:8081", copy.schema_registry_url);
  eddy_config_free(&copy);
  eddy_config_free(&c);
  EDDY_ASSERT_NO_LEAKS();
}
