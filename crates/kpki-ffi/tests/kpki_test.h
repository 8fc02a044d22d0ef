/* A small harness for the kpki C tests: checks that count, print what failed with
 * kpki_last_error(), and a closing "N passed, N failed" line. */
#ifndef KPKI_TEST_H
#define KPKI_TEST_H

#define _POSIX_C_SOURCE 200809L

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kpki.h"

static int tests_passed = 0;
static int tests_failed = 0;

static inline int check_at(int ok, const char *file, int line, const char *fmt, ...) {
  if (ok) {
    tests_passed++;
    return 1;
  }
  tests_failed++;
  fprintf(stderr, "FAIL %s:%d: ", file, line);
  va_list ap;
  va_start(ap, fmt);
  vfprintf(stderr, fmt, ap);
  va_end(ap);
  fputc('\n', stderr);
  return 0;
}

/* CHECK(condition, printf-format, ...): counts a check, prints the message if it fails. */
#define CHECK(cond, ...) check_at((cond) ? 1 : 0, __FILE__, __LINE__, __VA_ARGS__)

/* OK(call): the call returns KPKI_OK and leaves kpki_last_error() empty. */
#define OK(call) expect_ok_at((call), #call, __FILE__, __LINE__)
static inline int expect_ok_at(kpki_result rc, const char *what, const char *file, int line) {
  const char *msg = kpki_last_error();
  return check_at(rc == KPKI_OK && msg[0] == '\0', file, line, "%s -> %s: %s", what,
                  kpki_result_name((int32_t)rc), msg);
}

/* ERR(call, code, text): the call returns `code`, and kpki_last_error() contains `text`. */
#define ERR(call, code, text) expect_err_at((call), (code), (text), #call, __FILE__, __LINE__)
static inline int expect_err_at(kpki_result rc, kpki_result want, const char *needle,
                                const char *what, const char *file, int line) {
  const char *msg = kpki_last_error();
  return check_at(rc == want && strstr(msg, needle) != NULL, file, line,
                  "%s -> %s (want %s with message containing \"%s\"): \"%s\"", what,
                  kpki_result_name((int32_t)rc), kpki_result_name((int32_t)want), needle, msg);
}

/* Runs a shell command built like printf; returns its exit status (-1 if it died). */
static inline int run(const char *fmt, ...) {
  char cmd[4096];
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(cmd, sizeof cmd, fmt, ap);
  va_end(ap);
  if (n < 0 || (size_t)n >= sizeof cmd) {
    return -1;
  }
  int status = system(cmd);
  if (status == -1 || !WIFEXITED(status)) {
    return -1;
  }
  return WEXITSTATUS(status);
}

/* RUN_OK(fmt, ...): the shell command exits 0. */
#define RUN_OK(...) check_at(run(__VA_ARGS__) == 0, __FILE__, __LINE__, "command failed: " __VA_ARGS__)

/* A path under `dir` (static buffer: use before the next call). */
static inline const char *path_in(const char *dir, const char *name) {
  static char buf[1024];
  snprintf(buf, sizeof buf, "%s/%s", dir, name);
  return buf;
}

static inline int write_file(const char *path, const uint8_t *data, size_t len) {
  FILE *f = fopen(path, "wb");
  if (f == NULL) {
    return 0;
  }
  size_t n = fwrite(data, 1, len, f);
  return fclose(f) == 0 && n == len;
}

static inline int write_bytes(const char *path, const kpki_bytes *bytes) {
  return write_file(path, kpki_bytes_data(bytes), kpki_bytes_len(bytes));
}

/* The whole file, NUL-terminated (free() it), or NULL. */
static inline char *read_file(const char *path, size_t *len_out) {
  FILE *f = fopen(path, "rb");
  if (f == NULL) {
    return NULL;
  }
  size_t cap = 4096, len = 0;
  char *buf = malloc(cap);
  size_t n;
  while (buf != NULL && (n = fread(buf + len, 1, cap - len - 1, f)) > 0) {
    len += n;
    if (cap - len - 1 == 0) {
      char *bigger = realloc(buf, cap * 2);
      if (bigger == NULL) {
        free(buf);
        buf = NULL;
        break;
      }
      buf = bigger;
      cap *= 2;
    }
  }
  fclose(f);
  if (buf != NULL) {
    buf[len] = '\0';
    if (len_out != NULL) {
      *len_out = len;
    }
  }
  return buf;
}

static inline int file_mode(const char *path) {
  struct stat st;
  return stat(path, &st) == 0 ? (int)(st.st_mode & 07777) : -1;
}

/* A fresh temporary directory (static buffer). */
static inline const char *make_temp_dir(const char *tag) {
  static char dir[512];
  const char *base = getenv("TMPDIR");
  snprintf(dir, sizeof dir, "%s/kpki-c-%s-XXXXXX", base != NULL ? base : "/tmp", tag);
  if (mkdtemp(dir) == NULL) {
    perror("mkdtemp");
    exit(2);
  }
  return dir;
}

static inline void remove_tree(const char *dir) {
  if (getenv("KPKI_KEEP_TMP") == NULL) {
    run("rm -rf '%s'", dir);
  }
}

/* Prints the closing line and returns the process exit status. */
static inline int finish(const char *program) {
  printf("%s: %d passed, %d failed\n", program, tests_passed, tests_failed);
  return tests_failed == 0 && tests_passed > 0 ? 0 : 1;
}

#endif /* KPKI_TEST_H */
