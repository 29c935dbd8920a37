/*
 * HTTP/1.1 server for the registry (see sr_http.h).
 *
 * One connection = one uv_tcp_t + an idle timer + an http_parser. Requests
 * are handled synchronously as soon as they are complete, so responses go
 * out in request order (pipelining works). A request over a limit gets its
 * error response and the connection is closed: we write the response, send
 * FIN, and discard input until the peer closes or a short timer fires, so
 * the client can read the error instead of seeing a reset.
 */
#include "engine/http.h"

#include <http_parser.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>


#define LINGER_MS 2000

typedef struct conn_s conn_t;

struct eddy__http_s {
  uv_tcp_t listener;
  uv_loop_t *loop;
  eddy__http_conf_t conf;
  http_parser_settings settings;
  conn_t *conns;
  int conn_cnt;
  bool closing;
  int port;
  char readbuf[65536];
};

struct conn_s {
  uv_tcp_t tcp;             /* first: the handle casts back to the conn */
  uv_timer_t timer;
  uv_shutdown_t shutdown;
  http_parser parser;
  eddy__http_t *srv;
  conn_t *prev, *next;
  eddy_buf_t url, body;
  int header_cnt;
  bool in_value;            /* the parser's last header callback was a value */
  bool field_is_expect;
  bool expect_continue;
  bool in_message;
  int fail_status;          /* a limit was hit in a parser callback */
  const char *fail_message;
  bool closing;             /* no more requests: finish writes, then close */
  bool shut;                /* FIN sent */
  int open_handles;
  int writes;
};

typedef struct {
  uv_write_t req;
  conn_t *conn;
  eddy_buf_t buf;
} write_t;

static const char *reason(int status) {
  switch (status) {
  case 100: return "Continue";
  case 200: return "OK";
  case 400: return "Bad Request";
  case 404: return "Not Found";
  case 405: return "Method Not Allowed";
  case 408: return "Request Timeout";
  case 409: return "Conflict";
  case 413: return "Payload Too Large";
  case 414: return "URI Too Long";
  case 422: return "Unprocessable Entity";
  case 431: return "Request Header Fields Too Large";
  case 500: return "Internal Server Error";
  case 503: return "Service Unavailable";
  default: return "Unknown";
  }
}

/* ---- closing ------------------------------------------------------------------------ */

static void on_handle_closed(uv_handle_t *h) {
  conn_t *c = h->data;
  if (--c->open_handles > 0)
    return;
  if (c->prev != NULL)
    c->prev->next = c->next;
  else
    c->srv->conns = c->next;
  if (c->next != NULL)
    c->next->prev = c->prev;
  c->srv->conn_cnt--;
  eddy_buf_free(&c->url);
  eddy_buf_free(&c->body);
  eddy_free(c);
}

static void close_now(conn_t *c) {
  if (!uv_is_closing((uv_handle_t *)&c->tcp))
    uv_close((uv_handle_t *)&c->tcp, on_handle_closed);
  if (!uv_is_closing((uv_handle_t *)&c->timer))
    uv_close((uv_handle_t *)&c->timer, on_handle_closed);
}

static void on_linger_timeout(uv_timer_t *t) { close_now(t->data); }

static void on_shutdown(uv_shutdown_t *req, int status) {
  conn_t *c = req->data;
  if (status != 0)
    close_now(c);
}

/* All responses written: send FIN and linger briefly for the peer to close. */
static void finish(conn_t *c) {
  if (!c->closing || c->writes > 0 || c->shut || uv_is_closing((uv_handle_t *)&c->tcp))
    return;
  c->shut = true;
  c->shutdown.data = c;
  uv_timer_start(&c->timer, on_linger_timeout, LINGER_MS, 0);
  if (uv_shutdown(&c->shutdown, (uv_stream_t *)&c->tcp, on_shutdown) != 0)
    close_now(c);
}

/* ---- writing ------------------------------------------------------------------------- */

static void on_written(uv_write_t *req, int status) {
  write_t *w = (write_t *)req;
  conn_t *c = w->conn;
  eddy_buf_free(&w->buf);
  eddy_free(w);
  c->writes--;
  if (status != 0)
    close_now(c);
  else
    finish(c);
}

/* Write \p buf (taken over) to the connection. */
static void send_buf(conn_t *c, eddy_buf_t *buf) {
  write_t *w = eddy_calloc(1, sizeof(*w));
  if (w == NULL) {
    eddy_buf_free(buf);
    close_now(c);
    return;
  }
  w->conn = c;
  w->buf = *buf;
  *buf = (eddy_buf_t){0};
  uv_buf_t b = uv_buf_init(w->buf.p, (unsigned)w->buf.len);
  c->writes++;
  if (uv_write(&w->req, (uv_stream_t *)&c->tcp, &b, 1, on_written) != 0) {
    c->writes--;
    eddy_buf_free(&w->buf);
    eddy_free(w);
    close_now(c);
  }
}

static void send_response(conn_t *c, eddy__http_resp_t *resp, bool keep_alive, bool head) {
  eddy_buf_t out = {0};
  const char *type = resp->content_type ? resp->content_type
                                        : c->srv->conf.default_content_type;
  int rc = eddy_buf_printf(&out, "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n"
                                 "Connection: %s\r\n",
                           resp->status, reason(resp->status), type, resp->body.len,
                           keep_alive ? "keep-alive" : "close");
  if (rc == 0 && resp->allow[0] != '\0')
    rc = eddy_buf_printf(&out, "Allow: %s\r\n", resp->allow);
  if (rc == 0)
    rc = eddy_buf_puts(&out, "\r\n");
  if (rc == 0 && !head)
    rc = eddy_buf_append(&out, resp->body.p, resp->body.len);
  if (!keep_alive)
    c->closing = true;
  if (rc != 0) {
    eddy_buf_free(&out);
    close_now(c);
    return;
  }
  send_buf(c, &out);
}

/* Answer with an error and close the connection. */
static void fail(conn_t *c, int status, const char *message) {
  if (c->closing)
    return;
  eddy__http_resp_t resp = {.status = status};
  if (c->srv->conf.error_body != NULL) {
    c->srv->conf.error_body(&resp.body, status, message);
  } else {
    resp.content_type = "text/plain; charset=utf-8";
    eddy_buf_printf(&resp.body, "%s\n", message);
  }
  send_response(c, &resp, false, false);
  eddy_buf_free(&resp.body);
  finish(c);   /* input is still read, and discarded, until the peer closes */
}

/* ---- parsing -------------------------------------------------------------------------- */

static int limit(conn_t *c, int status, const char *message) {
  c->fail_status = status;
  c->fail_message = message;
  return -1;
}

static int on_message_begin(http_parser *p) {
  conn_t *c = p->data;
  eddy_buf_clear(&c->url);
  eddy_buf_clear(&c->body);
  c->header_cnt = 0;
  c->in_value = c->field_is_expect = c->expect_continue = false;
  c->in_message = true;
  return 0;
}

static int on_url(http_parser *p, const char *at, size_t len) {
  conn_t *c = p->data;
  if (c->url.len + len > c->srv->conf.max_url)
    return limit(c, 414, "URI Too Long");
  return eddy_buf_append(&c->url, at, len) == 0 ? 0 : limit(c, 500, "out of memory");
}

static int on_header_field(http_parser *p, const char *at, size_t len) {
  conn_t *c = p->data;
  if (c->in_value || c->header_cnt == 0) {   /* a new header starts */
    if (++c->header_cnt > c->srv->conf.max_headers)
      return limit(c, 431, "Request Header Fields Too Large: too many headers");
    c->in_value = false;
    c->field_is_expect = len == 6 && strncasecmp(at, "expect", 6) == 0;
  } else {
    c->field_is_expect = false;               /* a field split across reads: not ours */
  }
  return 0;
}

static int on_header_value(http_parser *p, const char *at, size_t len) {
  conn_t *c = p->data;
  c->in_value = true;
  if (c->field_is_expect && len >= 12 && strncasecmp(at, "100-continue", 12) == 0)
    c->expect_continue = true;
  return 0;
}

static int on_headers_complete(http_parser *p) {
  conn_t *c = p->data;
  if ((p->flags & F_CONTENTLENGTH) && p->content_length > c->srv->conf.max_body)
    return limit(c, 413, "Payload Too Large");
  if (c->expect_continue) {
    eddy_buf_t cont = {0};
    if (eddy_buf_puts(&cont, "HTTP/1.1 100 Continue\r\n\r\n") == 0)
      send_buf(c, &cont);
  }
  return 0;
}

static int on_body(http_parser *p, const char *at, size_t len) {
  conn_t *c = p->data;
  if (c->body.len + len > c->srv->conf.max_body)
    return limit(c, 413, "Payload Too Large");
  return eddy_buf_append(&c->body, at, len) == 0 ? 0 : limit(c, 500, "out of memory");
}

static int on_message_complete(http_parser *p) {
  conn_t *c = p->data;
  eddy__http_t *srv = c->srv;
  c->in_message = false;
  const char *url = eddy_buf_cstr(&c->url), *body = eddy_buf_cstr(&c->body);
  if (url == NULL || body == NULL)
    return limit(c, 500, "out of memory");
  char *q = strchr(url, '?');
  if (q != NULL)
    *q = '\0';
  eddy__http_req_t req = {.method = http_method_str((enum http_method)p->method),
                             .path = url, .query = q ? q + 1 : "", .body = body,
                             .body_len = c->body.len};
  eddy__http_resp_t resp = {.status = 200};
  srv->conf.handler(srv->conf.opaque, &req, &resp);
  bool keep = http_should_keep_alive(p) && !srv->closing;
  send_response(c, &resp, keep, p->method == HTTP_HEAD);
  eddy_buf_free(&resp.body);
  if (!keep)
    http_parser_pause(p, 1);
  return 0;
}

/* ---- reading -------------------------------------------------------------------------- */

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf) {
  conn_t *c = h->data;
  (void)suggested;
  *buf = uv_buf_init(c->srv->readbuf, sizeof(c->srv->readbuf));
}

static void on_eof(conn_t *c) {
  uv_read_stop((uv_stream_t *)&c->tcp);
  if (c->in_message && !c->closing) {
    fail(c, 400, "Bad Request: the connection ended inside a request");
    return;
  }
  c->closing = true;
  if (c->writes == 0)
    close_now(c);
}

static void on_read(uv_stream_t *s, ssize_t n, const uv_buf_t *buf) {
  conn_t *c = s->data;
  if (n == 0)
    return;
  if (n < 0) {
    if (n == UV_EOF && !c->shut)
      on_eof(c);
    else
      close_now(c);
    return;
  }
  if (c->closing)
    return;   /* lingering: discard */
  uv_timer_again(&c->timer);
  size_t done = http_parser_execute(&c->parser, &c->srv->settings, buf->base, (size_t)n);
  enum http_errno e = HTTP_PARSER_ERRNO(&c->parser);
  if (e == HPE_PAUSED || (e == HPE_OK && done == (size_t)n))
    return;
  if (c->fail_status != 0)
    fail(c, c->fail_status, c->fail_message);
  else if (e == HPE_HEADER_OVERFLOW)
    fail(c, 431, "Request Header Fields Too Large");
  else {
    char msg[160];
    snprintf(msg, sizeof(msg), "Bad Request: %s", http_errno_description(e));
    fail(c, 400, msg);
  }
}

static void on_idle(uv_timer_t *t) {
  conn_t *c = t->data;
  eddy_log(c->srv->conf.logger, EDDY_LOG_DEBUG, "http", "closing idle connection");
  close_now(c);
}

/* ---- accepting ------------------------------------------------------------------------ */

static void on_connection(uv_stream_t *server, int status) {
  eddy__http_t *srv = server->data;
  if (status != 0 || srv->closing)
    return;
  conn_t *c = eddy_calloc(1, sizeof(*c));
  if (c == NULL)
    return;
  c->srv = srv;
  uv_tcp_init(srv->loop, &c->tcp);
  uv_timer_init(srv->loop, &c->timer);
  c->tcp.data = c->timer.data = c;
  c->open_handles = 2;
  c->next = srv->conns;
  if (srv->conns != NULL)
    srv->conns->prev = c;
  srv->conns = c;
  srv->conn_cnt++;
  if (uv_accept(server, (uv_stream_t *)&c->tcp) != 0 || srv->conn_cnt > srv->conf.max_connections) {
    close_now(c);
    return;
  }
  http_parser_init(&c->parser, HTTP_REQUEST);
  c->parser.data = c;
  uv_timer_start(&c->timer, on_idle, (uint64_t)srv->conf.idle_timeout_ms,
                 (uint64_t)srv->conf.idle_timeout_ms);
  uv_read_start((uv_stream_t *)&c->tcp, on_alloc, on_read);
}

static void init_settings(http_parser_settings *s) {
  http_parser_settings_init(s);
  s->on_message_begin = on_message_begin;
  s->on_url = on_url;
  s->on_header_field = on_header_field;
  s->on_header_value = on_header_value;
  s->on_headers_complete = on_headers_complete;
  s->on_body = on_body;
  s->on_message_complete = on_message_complete;
}

static int bind_listen(eddy__http_t *srv, eddy_error_t **err) {
  struct sockaddr_storage addr;
  int rc = uv_ip4_addr(srv->conf.host, srv->conf.port, (struct sockaddr_in *)&addr);
  if (rc != 0)
    rc = uv_ip6_addr(srv->conf.host, srv->conf.port, (struct sockaddr_in6 *)&addr);
  if (rc != 0)
    return eddy_error_set(err, EDDY_EINVAL, "bad listen address '%s'", srv->conf.host);
  if ((rc = uv_tcp_bind(&srv->listener, (const struct sockaddr *)&addr, 0)) != 0 ||
      (rc = uv_listen((uv_stream_t *)&srv->listener, 128, on_connection)) != 0)
    return eddy_error_set(err, EDDY_EIO, "listen on %s:%d: %s", srv->conf.host, srv->conf.port,
                          uv_strerror(rc));
  struct sockaddr_storage bound;
  int len = sizeof(bound);
  uv_tcp_getsockname(&srv->listener, (struct sockaddr *)&bound, &len);
  srv->port = bound.ss_family == AF_INET6 ? ntohs(((struct sockaddr_in6 *)&bound)->sin6_port)
                                          : ntohs(((struct sockaddr_in *)&bound)->sin_port);
  return 0;
}

static void on_listener_closed(uv_handle_t *h) { (void)h; }

int eddy__http_start(eddy__http_t **out, uv_loop_t *loop, const eddy__http_conf_t *conf,
                        eddy_error_t **err) {
  *out = NULL;
  eddy__http_t *srv = eddy_calloc(1, sizeof(*srv));
  if (srv == NULL)
    return eddy_error_set(err, EDDY_ENOMEM, "out of memory");
  srv->loop = loop;
  srv->conf = *conf;
  if (srv->conf.default_content_type == NULL)
    srv->conf.default_content_type = "application/json";
  init_settings(&srv->settings);
  uv_tcp_init(loop, &srv->listener);
  srv->listener.data = srv;
  int rc = bind_listen(srv, err);
  if (rc != 0) {
    uv_close((uv_handle_t *)&srv->listener, on_listener_closed);
    uv_run(loop, UV_RUN_NOWAIT);   /* let the close callback run before freeing */
    eddy_free(srv);
    return rc;
  }
  *out = srv;
  return 0;
}

int eddy__http_port(const eddy__http_t *srv) { return srv->port; }

void eddy__http_close(eddy__http_t *srv) {
  if (srv == NULL || srv->closing)
    return;
  srv->closing = true;
  uv_close((uv_handle_t *)&srv->listener, on_listener_closed);
  for (conn_t *c = srv->conns; c != NULL; c = c->next)
    close_now(c);
}

void eddy__http_destroy(eddy__http_t *srv) { eddy_free(srv); }
