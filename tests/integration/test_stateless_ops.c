/*
 * merge, flatten and key by end to end: two JSON order topics merged, one
 * record per order line, re-keyed by SKU. Expected lines are computed here
 * from the generated orders (integer cents), and outputs parsed with cJSON.
 */
#include <cjson/cJSON.h>
#include <inttypes.h>

#include "eddy_test.h"
#include "kafka_test.h"

static const char *topology =
    "app itest_ops\n"
    "stream web from \"web.orders\" format json\n"
    "  schema (id int, items array<struct<sku string, qty int, price decimal(8,2)>>)\n"
    "stream shop from \"shop.orders\" format json\n"
    "  schema (id int, items array<struct<sku string, qty int, price decimal(8,2)>>)\n"
    "web | merge shop\n"
    "    | flatten items as item\n"
    "    | select order_id = id, sku = item.sku, line_total = item.qty * item.price\n"
    "    | key by sku\n"
    "    | to kafka \"order.lines\"\n";

enum { ORDERS = 400, MAX_ITEMS = 4 };

typedef struct {
  int item_cnt;               /* 0..MAX_ITEMS; -1: items is null */
  int qty[MAX_ITEMS];
  int64_t price_cents[MAX_ITEMS];
} order_t;

static int order_json(int id, const order_t *o, char *buf, size_t size) {
  int n = snprintf(buf, size, "{\"id\":%d,\"items\":", id);
  if (o->item_cnt < 0)
    return n + snprintf(buf + n, size - (size_t)n, "null}");
  n += snprintf(buf + n, size - (size_t)n, "[");
  for (int i = 0; i < o->item_cnt; i++)
    n += snprintf(buf + n, size - (size_t)n, "%s{\"sku\":\"S%d-%d\",\"qty\":%d,\"price\":%" PRId64
                  ".%02" PRId64 "}", i ? "," : "", id, i, o->qty[i], o->price_cents[i] / 100,
                  o->price_cents[i] % 100);
  return n + snprintf(buf + n, size - (size_t)n, "]}");
}

EDDY_TEST(merge_flatten_key_by) {
  const char *topics[] = {"web.orders", "shop.orders", NULL};
  eddy_broker_t *b = tk_broker(topics, 3);
  const char *bs = eddy_broker_bootstrap(b);
  static order_t orders[ORDERS];
  uint64_t r = 12345;
  int lines = 0;
  rd_kafka_t *p = tk_producer(bs);
  char buf[2048];
  for (int id = 0; id < ORDERS; id++) {
    order_t *o = &orders[id];
    r = r * 6364136223846793005ULL + 1442695040888963407ULL;
    o->item_cnt = (int)(r >> 33) % (MAX_ITEMS + 2) - 1;
    for (int i = 0; i < o->item_cnt; i++) {
      r = r * 6364136223846793005ULL + 1442695040888963407ULL;
      o->qty[i] = 1 + (int)((r >> 40) % 9);
      o->price_cents[i] = (int64_t)((r >> 20) % 100000);
      lines++;
    }
    int len = order_json(id, o, buf, sizeof(buf));
    tk_produce(p, id % 2 ? "shop.orders" : "web.orders", -1, NULL, buf, (size_t)len);
  }
  tk_producer_close(p);

  eddy_topology_t *topo = tk_compile(topology);
  eddy_app_t *app = tk_start(topo, bs, 1);
  tk_wait_consumed(app, ORDERS, 60000);
  tk_stop(app);

  tk_msg_t *out;
  int cnt = tk_consume_all(bs, "order.lines", lines, 10000, &out);
  ASSERT_EQ(lines, cnt);
  for (int m = 0; m < cnt; m++) {
    int id, i;
    ASSERT_TRUE(out[m].key != NULL && sscanf(out[m].key, "S%d-%d", &id, &i) == 2);
    ASSERT_TRUE(id >= 0 && id < ORDERS && i < orders[id].item_cnt);
    cJSON *j = cJSON_Parse(out[m].value);
    ASSERT_TRUE(j != NULL);
    ASSERT_EQ(id, cJSON_GetObjectItem(j, "order_id")->valueint);
    ASSERT_STR_EQ(out[m].key, cJSON_GetObjectItem(j, "sku")->valuestring);
    double expected = (double)(orders[id].qty[i] * orders[id].price_cents[i]) / 100.0;
    ASSERT_DBL_EQ(expected, cJSON_GetObjectItem(j, "line_total")->valuedouble, 1e-9);
    cJSON_Delete(j);
  }
  tk_msgs_free(out, cnt);
  eddy_topology_destroy(topo);
  eddy_broker_stop(b);
}
