/* Application lifecycle: threads, stop, join, counters. */
#include "engine/app_int.h"

#include <string.h>

#include "schema-registry/sr_client.h"

/* One memory budget for every store of the application. */
static int open_state(eddy_app_t *app, eddy_error_t **err) {
  eddy_state_conf_t sc;
  eddy_state_conf_init(&sc);
  sc.dir = app->conf.state_dir;
  sc.memory_bytes = (size_t)app->conf.state_memory_bytes;
  sc.cache_max_bytes = app->conf.state_cache_max_bytes;
  sc.write_buffer_ratio = app->conf.state_write_buffer_ratio;
  sc.background_threads = (int)app->conf.state_background_threads;
  sc.logger = &app->log;
  return eddy_state_env_new(&app->state, &sc, err);
}

int eddy_app_new(eddy_app_t **out, const eddy_plan_t *plan, const eddy_config_t *conf,
                 const eddy_logger_t *log, eddy_error_t **err) {
  *out = NULL;
  eddy_app_t *app = eddy_calloc(1, sizeof(*app));
  if (app == NULL)
    return EDDY_ENOMEM;
  app->plan = plan;
  app->log = *log;
  app->instance = (eddy_instance_t){.fd = -1, .slot = -1};
  int rc = eddy_config_copy(&app->conf, conf);
  if (rc != 0) {
    eddy_free(app);
    return rc;
  }
  if (conf->processing_guarantee == EDDY_EXACTLY_ONCE_V2 && !conf->commit_interval_set)
    app->conf.commit_interval_ms = 100;   /* as Kafka Streams: transactions stay short */
  const char *id = conf->application_id[0] ? conf->application_id : plan->app_id;
  app->app_id = eddy_strdup(id);
  eddy_buf_t dlq = {0};
  if (conf->dlq_topic[0])
    eddy_buf_puts(&dlq, conf->dlq_topic);
  else
    eddy_buf_printf(&dlq, "%s-dlq", id);
  app->dlq_topic = (char *)eddy_buf_cstr(&dlq);
  app->thread_cnt = (int)conf->num_stream_threads;
  app->threads = eddy_calloc((size_t)app->thread_cnt, sizeof(*app->threads));
  if (app->app_id == NULL || app->dlq_topic == NULL || app->threads == NULL) {
    eddy_app_destroy(app);
    return EDDY_ENOMEM;
  }
  rc = plan->store_cnt > 0 ? open_state(app, err) : 0;
  rc = rc == 0 ? eddy__app_registry(app, err) : rc;
  if (rc == 0 && conf->processing_guarantee == EDDY_EXACTLY_ONCE_V2)   /* transactional ids */
    rc = eddy__instance_acquire(&app->instance, app->conf.state_dir, app->app_id, err);
  if (rc != 0) {
    eddy_app_destroy(app);
    return rc;
  }
  for (int i = 0; i < app->thread_cnt; i++) {
    app->threads[i].app = app;
    app->threads[i].index = i;
    rc = eddy__thread_init(&app->threads[i], err);
    if (rc != 0) {
      eddy_app_destroy(app);
      return rc;
    }
  }
  *out = app;
  return 0;
}

void eddy_app_set_topic_creator(eddy_app_t *app, eddy_topic_create_fn create, void *opaque) {
  app->create_topic = create;
  app->create_opaque = opaque;
}

int eddy_app_start(eddy_app_t *app, eddy_error_t **err) {
  eddy_log(&app->log, EDDY_LOG_INFO, "app", "starting application '%s' with %d stream thread(s)",
           app->app_id, app->thread_cnt);
  int rc = eddy__app_topics(app, err);
  if (rc != 0)
    return rc;
  for (int i = 0; i < app->thread_cnt; i++) {
    eddy_stream_thread_t *t = &app->threads[i];
    atomic_fetch_add(&app->running, 1);
    if (pthread_create(&t->tid, NULL, eddy__thread_main, t) != 0) {
      atomic_fetch_sub(&app->running, 1);
      eddy_app_request_stop(app);
      return eddy_error_set(err, EDDY_ESTATE, "cannot start stream thread %d", i);
    }
    t->started = true;
    atomic_fetch_add(&app->started, 1);
  }
  return 0;
}

void eddy_app_request_stop(eddy_app_t *app) { atomic_store(&app->stop, true); }

bool eddy_app_running(const eddy_app_t *app) { return atomic_load(&app->running) > 0; }

int eddy_app_join(eddy_app_t *app, eddy_error_t **err) {
  int rc = 0;
  for (int i = 0; i < app->thread_cnt; i++) {
    eddy_stream_thread_t *t = &app->threads[i];
    if (t->started) {
      pthread_join(t->tid, NULL);
      t->started = false;
    }
    if (t->rc != 0 && rc == 0) {
      rc = t->rc;
      eddy_error_set(err, t->rc, "%s", eddy_error_msg(t->err));
    }
  }
  app->joined = true;
  return rc;
}

void eddy_app_destroy(eddy_app_t *app) {
  if (app == NULL)
    return;
  if (!app->joined && app->threads != NULL) {
    eddy_app_request_stop(app);
    eddy_app_join(app, NULL);
  }
  for (int i = 0; app->threads != NULL && i < app->thread_cnt; i++)
    eddy__thread_free(&app->threads[i]);
  eddy_free(app->threads);
  eddy_state_env_destroy(app->state);
  eddy_sr_client_destroy(app->registry);
  eddy__instance_release(&app->instance);
  eddy_free(app->app_id);
  eddy_free(app->dlq_topic);
  eddy_config_free(&app->conf);
  eddy_free(app);
}

const char *eddy_app_id(const eddy_app_t *app) { return app->app_id; }

const eddy_counters_t *eddy_app_counters(const eddy_app_t *app) { return &app->counters; }

long long eddy_app_lag(const eddy_app_t *app) {
  long long sum = 0;
  for (int i = 0; i < app->thread_cnt; i++) {
    long long l = atomic_load(&app->threads[i].lag);
    if (l < 0)
      return -1;
    sum += l;
  }
  return sum;
}

bool eddy_app_restore(const eddy_app_t *app, eddy_app_restore_t *out) {
  *out = (eddy_app_restore_t){.eta_ms = 0};
  for (int i = 0; i < app->thread_cnt; i++) {
    const eddy_restore_progress_t *p = &app->threads[i].restore;
    out->stores_total += atomic_load(&p->stores_total);
    out->stores_done += atomic_load(&p->stores_done);
    out->records_total += atomic_load(&p->records_total);
    out->records_done += atomic_load(&p->records_done);
    out->rate += atomic_load(&p->rate);
    long long eta = atomic_load(&p->eta_ms);
    if (out->eta_ms >= 0)
      out->eta_ms = eta < 0 ? -1 : (eta > out->eta_ms ? eta : out->eta_ms);
  }
  return out->stores_done < out->stores_total;
}
