/*
 * One side of a socket benchmark, played by native libzmq from C: the
 * ceiling zedge is held against. bench/native_peer.ts compiles it with
 * `cc -O2 … -lzmq` (libzmq3-dev) and bench/zmq.ts starts one process per
 * socket (or per group of sockets), driven over stdio exactly like
 * tests/peers/python/bench_peer.py:
 *
 *     zmq_peer ROLE SIZE [ENDPOINT|-] [WARMUP DURATION] [COUNT]
 *
 * ROLE: rep | req | push | pull | pub | sub | push-many | sub-many | req-latency.
 * Binders bind a random loopback port and print {"endpoint": …}; measuring
 * roles print {"rate": r, "count": n, "seconds": s} (req-latency adds
 * "p50"/"p99" in µs; pull and a lone sub add "rss", bytes, at its peak over
 * the window, sampled every 100 ms as the zedge peer samples its own); sub roles print {"ready": true} once connected; pub
 * waits for a line "go" on stdin; every role exits when stdin reaches EOF.
 * push-many and sub-many open COUNT sockets in this one process.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <zmq.h>

#define BATCH 256

static volatile int go = 0;

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec + t.tv_nsec / 1e9;
}

static void fail(const char *what) {
  fprintf(stderr, "zmq_peer: %s: %s\n", what, zmq_strerror(zmq_errno()));
  exit(1);
}

/* Sets `go` on a line "go"; ends the process at EOF. */
static void *watch_stdin(void *unused) {
  (void)unused;
  char line[64];
  while (fgets(line, sizeof line, stdin) != NULL) {
    if (strncmp(line, "go", 2) == 0) go = 1;
  }
  _exit(0);
  return NULL;
}

static void *open_socket(void *ctx, int type) {
  void *sock = zmq_socket(ctx, type);
  if (sock == NULL) fail("zmq_socket");
  int linger = 0;
  zmq_setsockopt(sock, ZMQ_LINGER, &linger, sizeof linger);
  return sock;
}

static void bind_random(void *sock) {
  if (zmq_bind(sock, "tcp://127.0.0.1:*") != 0) fail("zmq_bind");
  char endpoint[256];
  size_t size = sizeof endpoint;
  zmq_getsockopt(sock, ZMQ_LAST_ENDPOINT, endpoint, &size);
  printf("{\"endpoint\": \"%s\"}\n", endpoint);
  fflush(stdout);
}

static void emit_rate(long count, double seconds) {
  printf("{\"rate\": %f, \"count\": %ld, \"seconds\": %f}\n", count / seconds, count, seconds);
  fflush(stdout);
}

/* The process's resident set in bytes (/proc/self/statm), 0 when unreadable. */
static long rss_bytes(void) {
  long pages = 0, resident = 0;
  FILE *statm = fopen("/proc/self/statm", "r");
  if (statm == NULL) return 0;
  if (fscanf(statm, "%ld %ld", &pages, &resident) != 2) resident = 0;
  fclose(statm);
  return resident * sysconf(_SC_PAGESIZE);
}

static void check_first(void *sock, char *buffer, int size) {
  int got = zmq_recv(sock, buffer, size + 1, 0);
  if (got != size) {
    fprintf(stderr, "zmq_peer: expected a %d-byte message, got %d bytes\n", size, got);
    exit(1);
  }
}

/* Receive rate after `warmup` s, over at least `duration` s, and the peak RSS over that window. */
static void measure_receiver(void *sock, int size, double warmup, double duration) {
  char *buffer = malloc(size + 1);
  check_first(sock, buffer, size);
  double started = now();
  while (now() - started < warmup) {
    for (int i = 0; i < BATCH; i++) zmq_recv(sock, buffer, size + 1, 0);
  }
  double t0 = now(), next_sample = t0 + 0.1;
  long count = 0, rss = rss_bytes();
  for (;;) {
    for (int i = 0; i < BATCH; i++) zmq_recv(sock, buffer, size + 1, 0);
    count += BATCH;
    double t = now(), seconds = t - t0;
    if (t >= next_sample || seconds >= duration) {
      long sample = rss_bytes();
      if (sample > rss) rss = sample;
      next_sample = t + 0.1;
    }
    if (seconds >= duration) {
      printf("{\"rate\": %f, \"count\": %ld, \"seconds\": %f, \"rss\": %ld}\n", count / seconds,
             count, seconds, rss);
      fflush(stdout);
      return;
    }
  }
}

static int compare(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

/* Round trips/s; with `latency`, each one's time too, as p50 and p99 in µs. */
static void measure_round_trips(void *sock, int size, double warmup, double duration, int latency) {
  char *payload = calloc(size + 1, 1);
  memset(payload, 'x', size);
  zmq_send(sock, payload, size, 0);
  check_first(sock, payload, size);
  double started = now();
  while (now() - started < warmup) {
    zmq_send(sock, payload, size, 0);
    zmq_recv(sock, payload, size + 1, 0);
  }
  size_t capacity = 1 << 16, count = 0;
  double *times = latency ? malloc(capacity * sizeof *times) : NULL;
  double t0 = now(), last = t0;
  for (;;) {
    zmq_send(sock, payload, size, 0);
    zmq_recv(sock, payload, size + 1, 0);
    double t = now();
    if (latency) {
      if (count == capacity) times = realloc(times, (capacity *= 2) * sizeof *times);
      times[count] = (t - last) * 1e6;
    }
    last = t;
    count++;
    if (t - t0 >= duration) break;
  }
  double seconds = last - t0;
  if (!latency) return emit_rate(count, seconds);
  qsort(times, count, sizeof *times, compare);
  printf("{\"rate\": %f, \"count\": %zu, \"seconds\": %f, \"p50\": %f, \"p99\": %f}\n",
         count / seconds, count, seconds, times[count / 2], times[(size_t)(count * 0.99)]);
  fflush(stdout);
}

/* Total delivered rate over `n` SUB sockets read in turn. */
static void measure_subscribers(void **socks, int n, int size, double warmup, double duration) {
  char *buffer = malloc(size + 1);
  zmq_pollitem_t *items = calloc(n, sizeof *items);
  for (int i = 0; i < n; i++) items[i] = (zmq_pollitem_t){socks[i], 0, ZMQ_POLLIN, 0};
  double started = 0, t0 = 0;
  long count = 0;
  for (;;) {
    if (zmq_poll(items, n, 100) < 0) fail("zmq_poll");
    for (int i = 0; i < n; i++) {
      if (!(items[i].revents & ZMQ_POLLIN)) continue;
      for (int k = 0; k < BATCH && zmq_recv(socks[i], buffer, size + 1, ZMQ_DONTWAIT) >= 0; k++) {
        count++;
      }
    }
    double t = now();
    if (started == 0 && count > 0) started = t;
    if (started == 0) continue;
    if (t0 == 0 && t - started >= warmup) {
      t0 = t;
      count = 0;
    }
    if (t0 != 0 && t - t0 >= duration) return emit_rate(count, t - t0);
  }
}

int main(int argc, char **argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: zmq_peer ROLE SIZE [ENDPOINT|-] [WARMUP DURATION] [COUNT]\n");
    return 2;
  }
  const char *role = argv[1];
  int size = atoi(argv[2]);
  const char *endpoint = argc > 3 ? argv[3] : "-";
  double warmup = argc > 5 ? atof(argv[4]) : 0, duration = argc > 5 ? atof(argv[5]) : 0;
  int count = argc > 6 ? atoi(argv[6]) : 1;
  pthread_t stdin_thread;
  pthread_create(&stdin_thread, NULL, watch_stdin, NULL);
  void *ctx = zmq_ctx_new();
  char *payload = calloc(size + 1, 1);
  memset(payload, 'x', size);

  if (strcmp(role, "rep") == 0) {
    void *sock = open_socket(ctx, ZMQ_REP);
    bind_random(sock);
    char *buffer = malloc(size + 1 + (1 << 20));
    for (;;) {
      zmq_recv(sock, buffer, size + 1 + (1 << 20), 0);
      zmq_send(sock, payload, size, 0);
    }
  } else if (strcmp(role, "req") == 0 || strcmp(role, "req-latency") == 0) {
    void *sock = open_socket(ctx, ZMQ_REQ);
    if (zmq_connect(sock, endpoint) != 0) fail("zmq_connect");
    measure_round_trips(sock, size, warmup, duration, strcmp(role, "req-latency") == 0);
  } else if (strcmp(role, "pull") == 0) {
    void *sock = open_socket(ctx, ZMQ_PULL);
    bind_random(sock);
    measure_receiver(sock, size, warmup, duration);
  } else if (strcmp(role, "push") == 0 || strcmp(role, "push-many") == 0) {
    void **socks = calloc(count, sizeof *socks);
    for (int i = 0; i < count; i++) {
      socks[i] = open_socket(ctx, ZMQ_PUSH);
      if (zmq_connect(socks[i], endpoint) != 0) fail("zmq_connect");
    }
    for (;;) {
      for (int i = 0; i < count; i++) zmq_send(socks[i], payload, size, 0);
    }
  } else if (strcmp(role, "pub") == 0) {
    void *sock = open_socket(ctx, ZMQ_PUB);
    bind_random(sock);
    while (!go) usleep(1000);
    for (;;) zmq_send(sock, payload, size, 0);
  } else if (strcmp(role, "sub") == 0 || strcmp(role, "sub-many") == 0) {
    void **socks = calloc(count, sizeof *socks);
    for (int i = 0; i < count; i++) {
      socks[i] = open_socket(ctx, ZMQ_SUB);
      zmq_setsockopt(socks[i], ZMQ_SUBSCRIBE, "", 0);
      if (zmq_connect(socks[i], endpoint) != 0) fail("zmq_connect");
    }
    printf("{\"ready\": true}\n");
    fflush(stdout);
    if (count == 1) measure_receiver(socks[0], size, warmup, duration);
    else measure_subscribers(socks, count, size, warmup, duration);
  } else {
    fprintf(stderr, "zmq_peer: unknown role %s\n", role);
    return 2;
  }
  _exit(0);
}
