/*
 * sink: a TCP syslog receiver for benchmarks. Listens on one or more ports
 * (port 0 = ephemeral), accepts any number of connections (epoll, one
 * thread), splits octet-counted or LF-framed messages (auto-detected per
 * connection from the first byte), counts messages and bytes per port, and
 * computes end-to-end latency from the "t=<CLOCK_MONOTONIC ns>" stamp the
 * loadgen embeds in MSG.
 *
 * First stdout line (as soon as it listens):  {"ports":[p1,p2,...]}
 * Last stdout line (at exit):                 {"received":N,...}
 *
 * Exits when --expect messages have arrived, after --idle-ms without data
 * (once something has arrived), after --wait-ms if nothing ever arrives, or
 * on SIGTERM/SIGINT. It reads the clock once per read() batch, not per
 * message, so it stays far faster than any router it measures.
 *
 * Build: gcc -O2 -o sink sink.c
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_PORTS 64
#define READ_BYTES (512 * 1024)

static struct {
  long expect;
  long idle_ms;
  long wait_ms;
  long warmup; /* messages excluded from latency */
  int host_stats;
  int framing; /* 0 auto, 1 octet, 2 lf */
} opt = {0, 3000, 60000, 0, 0, 0};

struct conn {
  int fd;
  int port_idx;
  int framing; /* 0 unknown yet, 1 octet, 2 lf */
  char *buf;
  size_t len, cap;
};

static int nports;
static int listen_fds[MAX_PORTS];
static int ports[MAX_PORTS];
static long port_count[MAX_PORTS];
static long received, bytes, bad, conns_total, lat_n;
static uint64_t first_ns, last_ns, batch_ns;
static volatile sig_atomic_t stop;

/* Latency histogram: 1 us buckets below 100 ms, 1 ms buckets up to 100 s. */
#define FINE 100000
#define COARSE 100000
static uint32_t hist_fine[FINE];
static uint32_t hist_coarse[COARSE];
static uint64_t lat_max_us;

/* Hostname stats: open addressing on a 64-bit FNV-1a hash and the length;
 * names are not kept. Compact on purpose: the sink shares the machine's
 * caches with the router it measures. With 72-byte entries (a name copy
 * each) spread over 4.7 MB, 10,000 hostnames made every message a cache
 * miss here and evictions in the router, and scenario 5 measured the sink
 * as much as the router. 16-byte entries over 256 KB. */
#define HT_SIZE (1 << 14)
#define HT_MAX (HT_SIZE / 4 * 3)
struct hent {
  uint64_t hash;
  uint32_t len;
  uint32_t count;
};
static struct hent *ht;
static long ht_used;
static long ht_overflow;

static uint64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void on_signal(int sig) {
  (void)sig;
  stop = 1;
}

static void record_latency(const char *m, size_t n) {
  const char *t = memmem(m, n, " t=", 3);
  if (!t) return;
  t += 3;
  const char *end = m + n;
  uint64_t v = 0;
  int digits = 0;
  while (t < end && *t >= '0' && *t <= '9') {
    v = v * 10 + (uint64_t)(*t - '0');
    t++;
    digits++;
  }
  if (!digits || v > batch_ns) return;
  uint64_t us = (batch_ns - v) / 1000;
  if (us < FINE) hist_fine[us]++;
  else if (us / 1000 < COARSE) hist_coarse[us / 1000]++;
  else hist_coarse[COARSE - 1]++;
  if (us > lat_max_us) lat_max_us = us;
  lat_n++;
}

static void record_host(const char *m, size_t n) {
  /* RFC 5424: "<pri>1 TS HOST ..."; RFC 3164: "<pri>Mmm dd hh:mm:ss HOST ..." */
  const char *p = memchr(m, '>', n < 6 ? n : 6);
  const char *end = m + n;
  if (!p) return;
  p++;
  int skip = (p + 1 < end && p[0] >= '0' && p[0] <= '9' && p[1] == ' ') ? 2 : 0;
  if (skip) {
    for (int i = 0; i < skip && p < end; i++) {
      p = memchr(p, ' ', (size_t)(end - p));
      if (!p) return;
      p++;
    }
  } else {
    p += 16;
  }
  if (p >= end) return;
  const char *q = memchr(p, ' ', (size_t)(end - p));
  if (!q) q = end;
  size_t hl = (size_t)(q - p);
  uint64_t hsh = 14695981039346656037ull;
  for (size_t i = 0; i < hl; i++) hsh = (hsh ^ (uint8_t)p[i]) * 1099511628211ull;
  for (uint32_t i = (uint32_t)hsh & (HT_SIZE - 1);; i = (i + 1) & (HT_SIZE - 1)) {
    struct hent *e = &ht[i];
    if (!e->count) {
      if (ht_used >= HT_MAX) {
        ht_overflow++;
        return;
      }
      e->hash = hsh;
      e->len = (uint32_t)hl;
      e->count = 1;
      ht_used++;
      return;
    }
    if (e->hash == hsh && e->len == hl) {
      e->count++;
      return;
    }
  }
}

static inline void on_message(struct conn *c, const char *m, size_t n) {
  received++;
  bytes += (long)n;
  port_count[c->port_idx]++;
  if (received > opt.warmup) record_latency(m, n);
  if (opt.host_stats) record_host(m, n);
}

/* Splits complete frames out of c->buf; keeps the partial tail. */
static void drain_frames(struct conn *c) {
  char *p = c->buf, *end = c->buf + c->len;
  if (!c->framing && c->len > 0) c->framing = opt.framing ? opt.framing : (*p >= '0' && *p <= '9' ? 1 : 2);
  while (p < end) {
    if (c->framing == 1) {
      size_t n = 0;
      char *q = p;
      while (q < end && *q >= '0' && *q <= '9') n = n * 10 + (size_t)(*q++ - '0');
      if (q == end) break;
      if (*q != ' ' || q == p) {
        /* Lost framing: count and resync on the next LF. */
        bad++;
        char *lf = memchr(q, '\n', (size_t)(end - q));
        if (!lf) {
          p = end;
          break;
        }
        p = lf + 1;
        continue;
      }
      q++;
      if ((size_t)(end - q) < n) {
        if (n + 32 > c->cap) {
          size_t off = (size_t)(p - c->buf);
          c->cap = n + 32 + READ_BYTES;
          c->buf = realloc(c->buf, c->cap);
          p = c->buf + off;
          end = c->buf + c->len;
        }
        break;
      }
      on_message(c, q, n);
      p = q + n;
    } else {
      char *lf = memchr(p, '\n', (size_t)(end - p));
      if (!lf) break;
      size_t n = (size_t)(lf - p);
      if (n && lf[-1] == '\r') n--;
      if (n) on_message(c, p, n);
      p = lf + 1;
    }
  }
  size_t rest = (size_t)(end - p);
  if (rest && p != c->buf) memmove(c->buf, p, rest);
  c->len = rest;
  if (c->cap - c->len < 4096) {
    c->cap *= 2;
    c->buf = realloc(c->buf, c->cap);
  }
}

static int listen_on(int port) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  struct sockaddr_in a = {0};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons((uint16_t)port);
  if (bind(fd, (struct sockaddr *)&a, sizeof a) < 0 || listen(fd, 1024) < 0) {
    fprintf(stderr, "sink: cannot listen on port %d: %s\n", port, strerror(errno));
    exit(2);
  }
  socklen_t al = sizeof a;
  getsockname(fd, (struct sockaddr *)&a, &al);
  return fd;
}

static double pct(double q) {
  if (!lat_n) return -1;
  uint64_t want = (uint64_t)(q * (double)lat_n);
  if (want >= (uint64_t)lat_n) want = (uint64_t)lat_n - 1;
  uint64_t seen = 0;
  for (int i = 0; i < FINE; i++) {
    seen += hist_fine[i];
    if (seen > want) return i;
  }
  for (int i = 0; i < COARSE; i++) {
    seen += hist_coarse[i];
    if (seen > want) return (double)i * 1000.0;
  }
  return (double)lat_max_us;
}

static void report(void) {
  double secs = last_ns > first_ns ? (double)(last_ns - first_ns) / 1e9 : 0;
  printf("{\"received\":%ld,\"bytes\":%ld,\"bad\":%ld,\"conns\":%ld,\"first_ns\":%llu,\"last_ns\":%llu,"
         "\"elapsed_s\":%.6f,\"rate\":%.0f,\"lat_n\":%ld,\"p50_us\":%.0f,\"p99_us\":%.0f,\"p999_us\":%.0f,"
         "\"max_us\":%llu,\"per_port\":[",
         received, bytes, bad, conns_total, (unsigned long long)first_ns, (unsigned long long)last_ns, secs,
         secs > 0 ? (double)received / secs : 0.0, lat_n, pct(0.50), pct(0.99), pct(0.999),
         (unsigned long long)lat_max_us);
  for (int i = 0; i < nports; i++) printf("%s%ld", i ? "," : "", port_count[i]);
  printf("]");
  if (opt.host_stats) {
    long mn = -1, mx = 0;
    for (int i = 0; i < HT_SIZE; i++) {
      if (!ht[i].count) continue;
      if (mn < 0 || ht[i].count < mn) mn = ht[i].count;
      if (ht[i].count > mx) mx = ht[i].count;
    }
    printf(",\"hosts\":%ld,\"host_min\":%ld,\"host_max\":%ld,\"host_overflow\":%ld", ht_used, mn < 0 ? 0 : mn, mx, ht_overflow);
  }
  printf("}\n");
  fflush(stdout);
}

static void usage(void) {
  fprintf(stderr, "usage: sink [--port P]... [--framing auto|octet|lf] [--expect N] [--idle-ms 3000]\n"
                  "            [--wait-ms 60000] [--warmup N] [--host-stats 1]\n");
  exit(2);
}

int main(int argc, char **argv) {
  int want_ports[MAX_PORTS];
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    const char *v = i + 1 < argc ? argv[i + 1] : NULL;
    if (!v) usage();
    if (!strcmp(a, "--port")) {
      if (nports == MAX_PORTS) usage();
      want_ports[nports++] = atoi(v);
    } else if (!strcmp(a, "--framing")) opt.framing = !strcmp(v, "octet") ? 1 : !strcmp(v, "lf") ? 2 : 0;
    else if (!strcmp(a, "--expect")) opt.expect = atol(v);
    else if (!strcmp(a, "--idle-ms")) opt.idle_ms = atol(v);
    else if (!strcmp(a, "--wait-ms")) opt.wait_ms = atol(v);
    else if (!strcmp(a, "--warmup")) opt.warmup = atol(v);
    else if (!strcmp(a, "--host-stats")) opt.host_stats = atoi(v);
    else usage();
    i++;
  }
  if (!nports) want_ports[nports++] = 0;
  if (opt.host_stats) ht = calloc(HT_SIZE, sizeof *ht);
  signal(SIGTERM, on_signal);
  signal(SIGINT, on_signal);
  signal(SIGPIPE, SIG_IGN);

  int ep = epoll_create1(0);
  for (int i = 0; i < nports; i++) {
    listen_fds[i] = listen_on(want_ports[i]);
    struct sockaddr_in a;
    socklen_t al = sizeof a;
    getsockname(listen_fds[i], (struct sockaddr *)&a, &al);
    ports[i] = ntohs(a.sin_port);
    struct epoll_event ev = {.events = EPOLLIN, .data.u64 = (uint64_t)i};
    epoll_ctl(ep, EPOLL_CTL_ADD, listen_fds[i], &ev);
  }
  printf("{\"ports\":[");
  for (int i = 0; i < nports; i++) printf("%s%d", i ? "," : "", ports[i]);
  printf("]}\n");
  fflush(stdout);

  uint64_t started = now_ns();
  struct epoll_event evs[64];
  while (!stop) {
    int n = epoll_wait(ep, evs, 64, 50);
    if (n < 0 && errno != EINTR) break;
    for (int i = 0; i < n; i++) {
      uint64_t tag = evs[i].data.u64;
      if (tag < MAX_PORTS) {
        for (;;) {
          int fd = accept4(listen_fds[tag], NULL, NULL, SOCK_NONBLOCK);
          if (fd < 0) break;
          int rcv = 4 << 20;
          setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcv, sizeof rcv);
          struct conn *c = calloc(1, sizeof *c);
          c->fd = fd;
          c->port_idx = (int)tag;
          c->cap = READ_BYTES * 2;
          c->buf = malloc(c->cap);
          conns_total++;
          struct epoll_event ev = {.events = EPOLLIN, .data.ptr = c};
          epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
        }
        continue;
      }
      struct conn *c = evs[i].data.ptr;
      size_t room = c->cap - c->len;
      ssize_t r = read(c->fd, c->buf + c->len, room > READ_BYTES ? READ_BYTES : room);
      if (r > 0) {
        batch_ns = now_ns();
        if (!first_ns) first_ns = batch_ns;
        c->len += (size_t)r;
        long before = received;
        drain_frames(c);
        if (received != before) last_ns = batch_ns;
      } else if (r == 0 || (errno != EAGAIN && errno != EINTR)) {
        epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
        close(c->fd);
        free(c->buf);
        free(c);
      }
    }
    if (opt.expect && received >= opt.expect) break;
    uint64_t t = now_ns();
    if (received && opt.idle_ms && (t - last_ns) / 1000000 >= (uint64_t)opt.idle_ms) break;
    if (!received && opt.wait_ms && (t - started) / 1000000 >= (uint64_t)opt.wait_ms) break;
  }
  report();
  return 0;
}
