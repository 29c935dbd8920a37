/*
 * Blocking HTTP/1.1 client for the registry client: one keep-alive
 * connection, several base URLs tried in turn, responses parsed with
 * http-parser (so Content-Length and chunked bodies both work).
 */
#include <errno.h>
#include <fcntl.h>
#include <http_parser.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "schema-registry/sr_int.h"

typedef struct {
  char *host;
  char *port;
  char *prefix;             /* "" or "/path" without a trailing slash */
} base_t;

struct eddy__sr_conn_s {
  base_t *bases;
  int base_cnt;
  int current;
  int fd;                   /* -1: not connected */
  int timeout_ms;
};

static int64_t now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- URLs ------------------------------------------------------------------------------ */

static int parse_base(const char *url, size_t len, base_t *b) {
  if (len < 8 || strncmp(url, "http://", 7) != 0)
    return -1;
  const char *host = url + 7, *end = url + len;
  const char *slash = memchr(host, '/', (size_t)(end - host));
  const char *hend = slash ? slash : end, *colon = NULL;
  if (*host == '[') {                       /* [v6]:port */
    const char *close = memchr(host, ']', (size_t)(hend - host));
    if (close == NULL)
      return -1;
    colon = close + 1 < hend && close[1] == ':' ? close + 1 : NULL;
    b->host = eddy_strndup(host + 1, (size_t)(close - host - 1));
  } else {
    colon = memchr(host, ':', (size_t)(hend - host));
    b->host = eddy_strndup(host, (size_t)((colon ? colon : hend) - host));
  }
  b->port = colon ? eddy_strndup(colon + 1, (size_t)(hend - colon - 1)) : eddy_strdup("80");
  size_t plen = slash ? (size_t)(end - slash) : 0;
  while (plen > 0 && slash[plen - 1] == '/')
    plen--;
  b->prefix = eddy_strndup(slash ? slash : "", plen);
  if (b->host == NULL || b->port == NULL || b->prefix == NULL || *b->host == '\0' ||
      *b->port == '\0')
    return -1;
  return 0;
}

static void free_bases(eddy__sr_conn_t *c) {
  for (int i = 0; i < c->base_cnt; i++) {
    eddy_free(c->bases[i].host);
    eddy_free(c->bases[i].port);
    eddy_free(c->bases[i].prefix);
  }
  eddy_free(c->bases);
}

int eddy__sr_conn_new(eddy__sr_conn_t **out, const char *urls, int timeout_ms,
                      eddy_error_t **err) {
  *out = NULL;
  eddy__sr_conn_t *c = eddy_calloc(1, sizeof(*c));
  int cnt = 1;
  for (const char *p = urls ? urls : ""; *p; p++)
    cnt += *p == ',';
  if (c == NULL || (c->bases = eddy_calloc((size_t)cnt, sizeof(base_t))) == NULL) {
    eddy_free(c);
    return eddy_error_set(err, EDDY_ENOMEM, "out of memory");
  }
  c->fd = -1;
  c->timeout_ms = timeout_ms > 0 ? timeout_ms : 5000;
  for (const char *p = urls ? urls : ""; c->base_cnt < cnt;) {
    const char *comma = strchr(p, ',');
    size_t len = comma ? (size_t)(comma - p) : strlen(p);
    if (parse_base(p, len, &c->bases[c->base_cnt++]) != 0) {
      eddy__sr_conn_destroy(c);
      return eddy_error_set(err, EDDY_ECONFIG, "bad registry URL '%.*s' (expected "
                                               "http://host:port)", (int)len, p);
    }
    p = comma ? comma + 1 : p + len;
  }
  *out = c;
  return 0;
}

void eddy__sr_conn_destroy(eddy__sr_conn_t *c) {
  if (c == NULL)
    return;
  if (c->fd >= 0)
    close(c->fd);
  free_bases(c);
  eddy_free(c);
}

/* ---- sockets ------------------------------------------------------------------------------ */

static int wait_writable(int fd, int timeout_ms) {
  struct pollfd p = {.fd = fd, .events = POLLOUT};
  int soerr = 0;
  socklen_t len = sizeof(soerr);
  if (poll(&p, 1, timeout_ms) != 1 || getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &len) != 0 ||
      soerr != 0)
    return -1;
  return 0;
}

static int connect_addr(const struct addrinfo *ai, int timeout_ms) {
  int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
  if (fd < 0)
    return -1;
  int flags = fcntl(fd, F_GETFL, 0), one = 1;
  fcntl(fd, F_SETFL, flags | O_NONBLOCK);
  if (connect(fd, ai->ai_addr, ai->ai_addrlen) != 0 &&
      (errno != EINPROGRESS || wait_writable(fd, timeout_ms) != 0)) {
    close(fd);
    return -1;
  }
  fcntl(fd, F_SETFL, flags);
  struct timeval tv = {.tv_sec = timeout_ms / 1000, .tv_usec = (timeout_ms % 1000) * 1000};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  return fd;
}

static int connect_base(const base_t *b, int timeout_ms) {
  struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM}, *res = NULL;
  if (getaddrinfo(b->host, b->port, &hints, &res) != 0)
    return -1;
  int fd = -1;
  for (struct addrinfo *ai = res; ai != NULL && fd < 0; ai = ai->ai_next)
    fd = connect_addr(ai, timeout_ms);
  freeaddrinfo(res);
  return fd;
}

static int send_all(int fd, const char *p, size_t len) {
  while (len > 0) {
    ssize_t n = send(fd, p, len, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      return -1;
    p += n;
    len -= (size_t)n;
  }
  return 0;
}

/* ---- responses ------------------------------------------------------------------------------ */

typedef struct {
  eddy_buf_t *body;
  bool complete;
  bool oom;
} reading_t;

static int on_body(http_parser *p, const char *at, size_t len) {
  reading_t *r = p->data;
  if (eddy_buf_append(r->body, at, len) != 0) {
    r->oom = true;
    return -1;
  }
  return 0;
}

static int on_complete(http_parser *p) {
  ((reading_t *)p->data)->complete = true;
  http_parser_pause(p, 1);
  return 0;
}

/* @returns 0 with *status, or -1 (connection failed), -2 (timed out). */
static int read_response(int fd, int timeout_ms, int *status, eddy_buf_t *body, bool *keep) {
  http_parser_settings s;
  http_parser_settings_init(&s);
  s.on_body = on_body;
  s.on_message_complete = on_complete;
  http_parser p;
  http_parser_init(&p, HTTP_RESPONSE);
  reading_t r = {.body = body};
  p.data = &r;
  char buf[16384];
  int64_t deadline = now_ms() + timeout_ms;
  while (!r.complete) {
    ssize_t n = recv(fd, buf, sizeof(buf), 0);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0)
      return errno == EAGAIN || errno == EWOULDBLOCK ? -2 : -1;
    size_t done = http_parser_execute(&p, &s, buf, (size_t)n);
    if (r.complete)
      break;
    if (n == 0 || done != (size_t)n || r.oom)
      return -1;
    if (now_ms() > deadline)
      return -2;
  }
  *status = (int)p.status_code;
  *keep = http_should_keep_alive(&p);
  return 0;
}

/* ---- requests ------------------------------------------------------------------------------- */

static int build(eddy_buf_t *out, const base_t *b, const char *method, const char *path,
                 const char *body) {
  int rc = eddy_buf_printf(out, "%s %s%s HTTP/1.1\r\nHost: %s:%s\r\n"
                                "Accept: application/vnd.schemaregistry.v1+json\r\n",
                           method, b->prefix, path, b->host, b->port);
  if (rc == 0 && body != NULL)
    rc = eddy_buf_printf(out, "Content-Type: application/vnd.schemaregistry.v1+json\r\n"
                              "Content-Length: %zu\r\n\r\n%s", strlen(body), body);
  else if (rc == 0)
    rc = eddy_buf_puts(out, "\r\n");
  return rc;
}

/* One exchange on the current connection. @returns 0, -1 or -2 as read_response. */
static int exchange(eddy__sr_conn_t *c, const char *method, const char *path, const char *body,
                    int *status, eddy_buf_t *resp) {
  eddy_buf_t req = {0};
  if (build(&req, &c->bases[c->current], method, path, body) != 0) {
    eddy_buf_free(&req);
    return -1;
  }
  int rc = send_all(c->fd, req.p, req.len);
  eddy_buf_free(&req);
  bool keep = false;
  eddy_buf_clear(resp);
  if (rc == 0)
    rc = read_response(c->fd, c->timeout_ms, status, resp, &keep);
  if (rc != 0 || !keep) {
    close(c->fd);
    c->fd = -1;
  }
  return rc;
}

int eddy__sr_conn_request(eddy__sr_conn_t *c, const char *method, const char *path,
                          const char *body, int *status, eddy_buf_t *resp, eddy_error_t **err) {
  int last = -1;
  for (int attempt = 0; attempt <= 2 * c->base_cnt; attempt++) {
    bool fresh = c->fd < 0;
    if (fresh && (c->fd = connect_base(&c->bases[c->current], c->timeout_ms)) < 0) {
      c->current = (c->current + 1) % c->base_cnt;
      continue;
    }
    if ((last = exchange(c, method, path, body, status, resp)) == 0)
      return 0;
    if (fresh)   /* a kept-alive connection may just have been closed: retry it once */
      c->current = (c->current + 1) % c->base_cnt;
  }
  const base_t *b = &c->bases[c->current];
  return eddy_error_set_ex(err, last == -2 ? EDDY_ETIMEOUT : EDDY_EIO, "registry", true,
                           "schema registry http://%s:%s unreachable (%s %s)", b->host, b->port,
                           method, path);
}
