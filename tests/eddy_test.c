/* The runner behind EDDY_TEST: registration, fork per test, reporting. */
#include "eddy_test.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdarg.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_TESTS 1024

static struct {
  const char *name;
  eddy_test_fn fn;
  const char *file;
} tests[MAX_TESTS];
static int test_cnt;

void eddy_test_register(const char *name, eddy_test_fn fn, const char *file) {
  if (test_cnt == MAX_TESTS) {
    fprintf(stderr, "too many tests (limit is %d)\n", MAX_TESTS);
    exit(2);
  }
  tests[test_cnt].name = name;
  tests[test_cnt].fn = fn;
  tests[test_cnt].file = file;
  test_cnt++;
}

void eddy_test_fail(const char *file, int line, const char *fmt, ...) {
  va_list ap;
  fprintf(stderr, "%s:%d: assertion failed: ", file, line);
  va_start(ap, fmt);
  vfprintf(stderr, fmt, ap);
  va_end(ap);
  fputc('\n', stderr);
  fflush(stderr);
  _exit(1);
}

int eddy_test_tmout(int ms) {
  const char *s = getenv("EDDY_TEST_TIMEOUT_SCALE");
  double scale = s ? atof(s) : 1.0;
  if (scale <= 0)
    scale = 1.0;
  return (int)(ms * scale);
}

int eddy_test_free_port(void) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = 0};
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(a);
  if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) != 0 ||
      getsockname(fd, (struct sockaddr *)&a, &len) != 0) {
    perror("eddy_test_free_port");
    exit(2);
  }
  close(fd);
  return ntohs(a.sin_port);
}

static int rm_rf(const char *path) {
  char cmd[1100];
  snprintf(cmd, sizeof(cmd), "rm -rf '%s'", path);
  return system(cmd);
}

void eddy_test_rmtree(const char *path) {
  if (rm_rf(path) != 0)
    eddy_test_fail(__FILE__, __LINE__, "rm -rf '%s' failed", path);
}

char *eddy_test_tmpdir(const char *tag) {
  const char *base = getenv("TMPDIR");
  char path[512];
  snprintf(path, sizeof(path), "%s/eddy-test-%s-%d-%ld", base ? base : "/tmp",
           tag, (int)getpid(), (long)time(NULL));
  if (rm_rf(path) != 0 || mkdir(path, 0700) != 0) {
    perror(path);
    exit(2);
  }
  return strdup(path);
}

static int run_one(int i, bool fork_each) {
  if (!fork_each) {
    tests[i].fn();
    return 0;
  }
  fflush(stdout);
  pid_t pid = fork();
  if (pid == 0) {
    tests[i].fn();
    fflush(stdout);
    _exit(0);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  if (WIFSIGNALED(status)) {
    fprintf(stderr, "  killed by signal %d (%s)\n", WTERMSIG(status),
            strsignal(WTERMSIG(status)));
    return 1;
  }
  return WEXITSTATUS(status);
}

static bool selected(const char *name, int argc, char **argv) {
  if (argc <= 1)
    return true;
  for (int i = 1; i < argc; i++)
    if (strcmp(argv[i], name) == 0)
      return true;
  return false;
}

int main(int argc, char **argv) {
  bool fork_each = getenv("EDDY_TEST_NOFORK") == NULL;
  int failed = 0, ran = 0;
  for (int i = 0; i < test_cnt; i++) {
    if (!selected(tests[i].name, argc, argv))
      continue;
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    int rc = run_one(i, fork_each);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double ms = (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6;
    printf("%s %s (%.0f ms)\n", rc == 0 ? "ok  " : "FAIL", tests[i].name, ms);
    fflush(stdout);
    failed += rc != 0;
    ran++;
  }
  if (ran == 0) {
    fprintf(stderr, "no test matched\n");
    return 2;
  }
  printf("%d/%d passed\n", ran - failed, ran);
  return failed == 0 ? 0 : 1;
}
