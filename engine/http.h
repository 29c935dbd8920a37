/*
 * A small HTTP/1.1 server on libuv and http-parser, for the registry's REST
 * API and the engine's metrics endpoint: keep-alive, pipelining (responses
 * in request order), bounded request line, headers and body, idle timeout,
 * connection limit.
 */
#ifndef EDDY_ENGINE_HTTP_H
#define EDDY_ENGINE_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <uv.h>

#include "eddy/alloc.h"
#include "eddy/error.h"
#include "eddy/log.h"

typedef struct {
  const char *method;       /* "GET", "POST", ... */
  const char *path;         /* raw (still %-encoded), NUL-terminated, no query */
  const char *query;        /* raw query string without '?', or "" */
  const char *body;         /* NUL-terminated copy; body_len excludes the NUL */
  size_t body_len;
} eddy__http_req_t;

typedef struct {
  int status;               /* 200 unless set */
  const char *content_type; /* NULL: the server's default_content_type */
  char allow[96];           /* Allow header for 405, or "" */
  eddy_buf_t body;
} eddy__http_resp_t;

/**
 * Writes the body of an error the server answers by itself (a limit hit, a
 * malformed request) into \p body; returns 0 or an error code.
 */
typedef int (*eddy__http_error_fn)(eddy_buf_t *body, int status, const char *message);

/** Called once per complete request, on the loop thread; fills \p resp. */
typedef void (*eddy__http_handler_fn)(void *opaque, const eddy__http_req_t *req,
                                         eddy__http_resp_t *resp);

typedef struct {
  const char *host;         /* "127.0.0.1" */
  int port;                 /* 0: any free port */
  size_t max_body;          /* bytes; larger -> 413 */
  size_t max_url;           /* bytes of the request target; longer -> 414 */
  int max_headers;          /* header count; more -> 431 */
  int idle_timeout_ms;      /* close connections idle this long */
  int max_connections;      /* further connections are closed at once */
  eddy__http_handler_fn handler;
  void *opaque;
  const char *default_content_type; /* of responses that set none */
  eddy__http_error_fn error_body;   /* NULL: the message as text/plain */
  const eddy_logger_t *logger;
} eddy__http_conf_t;

typedef struct eddy__http_s eddy__http_t;

/**
 * Bind and listen on \p loop. @returns 0 and *out, or EDDY_EIO with the
 * reason (address in use, bad address).
 * @locality the loop thread
 */
int eddy__http_start(eddy__http_t **out, uv_loop_t *loop, const eddy__http_conf_t *conf,
                        eddy_error_t **err);

/** @returns the port actually bound (useful with port 0). */
int eddy__http_port(const eddy__http_t *srv);

/** Stop listening and close every connection (asynchronously, on the loop). */
void eddy__http_close(eddy__http_t *srv);

/** Free the server once the loop has run the close callbacks. NULL-safe. */
void eddy__http_destroy(eddy__http_t *srv);

#endif
