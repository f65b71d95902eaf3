/*
 * loadgen: sends N syslog messages to a router as fast as possible or at a
 * fixed rate, over TCP (octet-counted or LF), UDP, TLS or HTTP logplex.
 *
 * Every message carries its send time (CLOCK_MONOTONIC ns, 20 zero-padded
 * digits after "t=" at the start of MSG) so the sink on the same machine can
 * compute end-to-end latency. The stamp is taken once per write burst, not
 * per message: a burst leaves in one syscall, so its messages share the send
 * time anyway, and the clock read would otherwise cost more than the copy.
 *
 * Messages are pre-rendered once per hostname (round-robin over H hostnames
 * "<prefix><i>"); sending is memcpy + 20-byte stamp copy + write. This keeps
 * the generator several times faster than the router it measures.
 *
 * Output: one line of JSON on stdout:
 *   {"sent":N,"errors":E,"start_ns":S,"end_ns":E,"elapsed_s":X,"rate":R}
 *
 * Build: gcc -O2 -o loadgen loadgen.c -lpthread [-DHAVE_TLS -lssl -lcrypto]
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>
#ifdef HAVE_TLS
#include <openssl/err.h>
#include <openssl/ssl.h>
#endif

enum proto { P_TCP, P_UDP, P_TLS, P_HTTP };

static struct {
  const char *host;
  int port;
  enum proto proto;
  int octet;      /* 1: octet-counted framing, 0: LF (TCP/TLS only) */
  int rfc3164;    /* 1: RFC 3164 messages, 0: RFC 5424 */
  long count;     /* messages in total */
  double rate;    /* messages/s in total; 0 = as fast as possible */
  int size;       /* bytes per syslog message, without framing */
  int hosts;      /* distinct hostnames, round-robin */
  int conns;      /* parallel connections (threads) */
  int frames;     /* HTTP: messages per logplex body */
  int burst_us;   /* with --rate: send in bursts of this much load (µs) */
  const char *prefix;
  const char *path;
} opt = {"127.0.0.1", 0, P_TCP, 1, 0, 1000000, 0, 200, 100, 1, 100, 200, "host-", "/syslog"};

#define STAMP_DIGITS 20
#define BUF_BYTES (256 * 1024)

/* One pre-rendered, framed message per hostname. */
struct tmpl {
  char *data;
  int len;      /* framed length */
  int stamp_at; /* offset of the 20 stamp digits inside data */
};
static struct tmpl *tmpls;
static struct sockaddr_storage dst;
static socklen_t dst_len;

static uint64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void die(const char *what) {
  fprintf(stderr, "loadgen: %s: %s\n", what, strerror(errno));
  exit(2);
}

static void stamp_digits(char out[STAMP_DIGITS], uint64_t v) {
  for (int i = STAMP_DIGITS - 1; i >= 0; i--) {
    out[i] = (char)('0' + v % 10);
    v /= 10;
  }
}

static void build_templates(void) {
  /* The header timestamp is the wall-clock time at start: routers parse it,
   * but nothing measures with it. */
  time_t wall = time(NULL);
  struct tm tm;
  gmtime_r(&wall, &tm);
  char ts5424[40], ts3164[20];
  strftime(ts5424, sizeof ts5424, "%Y-%m-%dT%H:%M:%S.000000Z", &tm);
  strftime(ts3164, sizeof ts3164, "%b %e %H:%M:%S", &tm);
  tmpls = calloc((size_t)opt.hosts, sizeof *tmpls);
  for (int h = 0; h < opt.hosts; h++) {
    char head[256];
    int hl;
    if (opt.rfc3164)
      hl = snprintf(head, sizeof head, "<134>%s %s%d bench[4242]: t=", ts3164, opt.prefix, h);
    else
      hl = snprintf(head, sizeof head, "<134>1 %s %s%d bench 4242 - - t=", ts5424, opt.prefix, h);
    int body = opt.size - hl - STAMP_DIGITS;
    if (body < 1) {
      fprintf(stderr, "loadgen: --size %d is too small for the header (%d bytes)\n", opt.size, hl + STAMP_DIGITS + 1);
      exit(2);
    }
    char *msg = malloc((size_t)opt.size);
    memcpy(msg, head, (size_t)hl);
    memset(msg + hl, '0', STAMP_DIGITS);
    msg[hl + STAMP_DIGITS] = ' ';
    for (int i = hl + STAMP_DIGITS + 1; i < opt.size; i++) msg[i] = (char)('a' + i % 26);

    char prefix[16] = "";
    int pl = 0;
    int lf = 0;
    if (opt.proto == P_HTTP || ((opt.proto == P_TCP || opt.proto == P_TLS) && opt.octet))
      pl = snprintf(prefix, sizeof prefix, "%d ", opt.size);
    else if (opt.proto == P_TCP || opt.proto == P_TLS)
      lf = 1;
    struct tmpl *t = &tmpls[h];
    t->len = pl + opt.size + lf;
    t->data = malloc((size_t)t->len);
    memcpy(t->data, prefix, (size_t)pl);
    memcpy(t->data + pl, msg, (size_t)opt.size);
    if (lf) t->data[t->len - 1] = '\n';
    t->stamp_at = pl + hl;
    free(msg);
  }
}

/* Fill buf with n messages starting at hostname index *h; returns bytes. */
static size_t fill(char *buf, long n, int *h, const char stamp[STAMP_DIGITS]) {
  size_t off = 0;
  int hh = *h;
  for (long i = 0; i < n; i++) {
    const struct tmpl *t = &tmpls[hh];
    memcpy(buf + off, t->data, (size_t)t->len);
    memcpy(buf + off + t->stamp_at, stamp, STAMP_DIGITS);
    off += (size_t)t->len;
    if (++hh == opt.hosts) hh = 0;
  }
  *h = hh;
  return off;
}

struct worker {
  pthread_t th;
  int id;
  long count;
  double rate;
  long sent;
  long errors;
};

/* How many messages are due now under pacing. Waits until a whole burst
 * (opt.burst_us of load, at least one message) is due, then returns all that
 * is due. Waiting only for "at least one" made the burst size depend on how
 * long the previous write took: once a write outlasted one message's
 * interval the loop never slept and sent a few messages per write. Over TCP
 * the kernel merges such writes; over TLS each write is a record, so the
 * paced run offered the router many times more (tiny) records than the
 * full-speed run whose maximum it is meant to be half of. */
static long due(struct worker *w, uint64_t start, long sent, long cap) {
  long left = w->count - sent;
  if (left < cap) cap = left;
  if (w->rate <= 0) return cap;
  long burst = (long)(w->rate * opt.burst_us / 1e6);
  if (burst < 1) burst = 1;
  if (burst > cap) burst = cap;
  uint64_t at = start + (uint64_t)((double)(sent + burst) / w->rate * 1e9);
  struct timespec ts = {(time_t)(at / 1000000000ull), (long)(at % 1000000000ull)};
  while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR) {
  }
  long d = (long)(w->rate * ((double)(now_ns() - start) / 1e9)) - sent;
  if (d < burst) d = burst; /* rounding: the burst is due by construction */
  return d < cap ? d : cap;
}

static int connect_stream(void) {
  int fd = socket(dst.ss_family, SOCK_STREAM, 0);
  if (fd < 0) die("socket");
  if (connect(fd, (struct sockaddr *)&dst, dst_len) < 0) die("connect");
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  return fd;
}

static int write_all(int fd, const char *p, size_t n) {
  while (n > 0) {
    ssize_t w = write(fd, p, n);
    if (w < 0) {
      if (errno == EINTR) continue;
      return -1;
    }
    p += w;
    n -= (size_t)w;
  }
  return 0;
}

#ifdef HAVE_TLS
static SSL_CTX *tls_ctx;
static int ssl_write_all(SSL *ssl, const char *p, size_t n) {
  while (n > 0) {
    int w = SSL_write(ssl, p, (int)n);
    if (w <= 0) return -1;
    p += w;
    n -= (size_t)w;
  }
  return 0;
}
#endif

/* Ends a stream so that nothing we sent is lost. TLS 1.3 servers send
 * session tickets we never read; closing with unread bytes makes the kernel
 * send RST, and the peer then discards whatever it had not read yet. So:
 * close_notify, FIN, then read until the peer closes (or 10 s pass). */
static void shutdown_stream(int fd, void *tls) {
#ifdef HAVE_TLS
  if (tls) {
    SSL_shutdown((SSL *)tls);
    SSL_free((SSL *)tls);
  }
#endif
  shutdown(fd, SHUT_WR);
  if (tls) {
    struct timeval tv = {10, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    char sink[4096];
    while (read(fd, sink, sizeof sink) > 0) {
    }
  }
  close(fd);
}

static void run_stream(struct worker *w) {
  int fd = connect_stream();
#ifdef HAVE_TLS
  SSL *ssl = NULL;
  if (opt.proto == P_TLS) {
    ssl = SSL_new(tls_ctx);
    SSL_set_fd(ssl, fd);
    if (SSL_connect(ssl) != 1) {
      ERR_print_errors_fp(stderr);
      fprintf(stderr, "loadgen: TLS handshake failed\n");
      exit(2);
    }
  }
#endif
  char *buf = malloc(BUF_BYTES);
  long cap = BUF_BYTES / (tmpls[0].len + 8);
  int h = w->id % opt.hosts;
  char stamp[STAMP_DIGITS];
  uint64_t start = now_ns();
  while (w->sent < w->count) {
    long n = due(w, start, w->sent, cap);
    stamp_digits(stamp, now_ns());
    size_t bytes = fill(buf, n, &h, stamp);
    int rc;
#ifdef HAVE_TLS
    if (ssl) rc = ssl_write_all(ssl, buf, bytes);
    else
#endif
      rc = write_all(fd, buf, bytes);
    if (rc < 0) {
      fprintf(stderr, "loadgen: write failed after %ld messages: %s\n", w->sent, strerror(errno));
      w->errors++;
      break;
    }
    w->sent += n;
  }
  shutdown_stream(fd,
#ifdef HAVE_TLS
                  ssl
#else
                  NULL
#endif
  );
  free(buf);
}

static void run_udp(struct worker *w) {
  int fd = socket(dst.ss_family, SOCK_DGRAM, 0);
  if (fd < 0) die("socket");
  if (connect(fd, (struct sockaddr *)&dst, dst_len) < 0) die("connect");
  int sndbuf = 4 << 20;
  setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof sndbuf);
  enum { BATCH = 64 };
  char *buf = malloc((size_t)BATCH * (size_t)tmpls[0].len);
  struct mmsghdr msgs[BATCH];
  struct iovec iov[BATCH];
  memset(msgs, 0, sizeof msgs);
  int h = w->id % opt.hosts;
  char stamp[STAMP_DIGITS];
  uint64_t start = now_ns();
  while (w->sent < w->count) {
    long n = due(w, start, w->sent, BATCH);
    stamp_digits(stamp, now_ns());
    size_t off = 0;
    for (long i = 0; i < n; i++) {
      const struct tmpl *t = &tmpls[h];
      iov[i].iov_base = buf + off;
      iov[i].iov_len = (size_t)t->len;
      off += fill(buf + off, 1, &h, stamp);
      msgs[i].msg_hdr.msg_iov = &iov[i];
      msgs[i].msg_hdr.msg_iovlen = 1;
    }
    long done = 0;
    while (done < n) {
      int r = sendmmsg(fd, msgs + done, (unsigned)(n - done), 0);
      if (r < 0) {
        if (errno == EINTR || errno == ENOBUFS || errno == EAGAIN) continue;
        /* ECONNREFUSED: nobody listening; count and keep the pace. */
        w->errors += n - done;
        break;
      }
      done += r;
    }
    w->sent += n;
  }
  close(fd);
  free(buf);
}

/* Reads one HTTP response; returns its status or -1. Bodies are skipped by
 * Content-Length; the router answers 204 so there usually is none. */
static int read_response(int fd, char *rb, size_t cap) {
  size_t have = 0;
  for (;;) {
    ssize_t r = read(fd, rb + have, cap - have - 1);
    if (r <= 0) return -1;
    have += (size_t)r;
    rb[have] = 0;
    char *end = strstr(rb, "\r\n\r\n");
    if (!end) continue;
    int status = atoi(rb + 9);
    long clen = 0;
    char *cl = strcasestr(rb, "\r\ncontent-length:");
    if (cl && cl < end) clen = atol(cl + 17);
    size_t body_have = have - (size_t)(end + 4 - rb);
    while ((long)body_have < clen) {
      r = read(fd, rb, cap - 1);
      if (r <= 0) return -1;
      body_have += (size_t)r;
    }
    return status;
  }
}

static void run_http(struct worker *w) {
  int fd = connect_stream();
  size_t body_cap = (size_t)opt.frames * (size_t)tmpls[0].len + 64;
  char *req = malloc(body_cap + 512);
  char rb[8192];
  int h = w->id % opt.hosts;
  char stamp[STAMP_DIGITS];
  uint64_t start = now_ns();
  long frame_id = 0;
  while (w->sent < w->count) {
    long n = due(w, start, w->sent, opt.frames);
    stamp_digits(stamp, now_ns());
    /* Render the body after a fixed-size header slot, then write the header
     * right in front of it so the request is one contiguous write. */
    char *body = req + 512;
    size_t blen = fill(body, n, &h, stamp);
    char head[512];
    int hl = snprintf(head, sizeof head,
                      "POST %s HTTP/1.1\r\nHost: %s:%d\r\nContent-Type: application/logplex-1\r\n"
                      "Logplex-Msg-Count: %ld\r\nLogplex-Frame-Id: bench-%d-%ld\r\n"
                      "Logplex-Drain-Token: d.bench\r\nContent-Length: %zu\r\n\r\n",
                      opt.path, opt.host, opt.port, n, w->id, frame_id++, blen);
    memcpy(body - hl, head, (size_t)hl);
    if (write_all(fd, body - hl, (size_t)hl + blen) < 0) {
      fprintf(stderr, "loadgen: HTTP write failed: %s\n", strerror(errno));
      w->errors++;
      break;
    }
    int status = read_response(fd, rb, sizeof rb);
    if (status < 0) {
      fprintf(stderr, "loadgen: HTTP connection closed after %ld messages\n", w->sent);
      w->errors++;
      break;
    }
    if (status < 200 || status > 299) w->errors += n;
    w->sent += n;
  }
  close(fd);
  free(req);
}

static void *worker_main(void *arg) {
  struct worker *w = arg;
  switch (opt.proto) {
  case P_TCP:
  case P_TLS: run_stream(w); break;
  case P_UDP: run_udp(w); break;
  case P_HTTP: run_http(w); break;
  }
  return NULL;
}

static void usage(void) {
  fprintf(stderr,
          "usage: loadgen --port P [--host 127.0.0.1] [--proto tcp|udp|tls|http]\n"
          "               [--framing octet|lf] [--format 5424|3164] [--count N] [--rate MSGS_PER_S]\n"
          "               [--size BYTES] [--hosts H] [--prefix host-] [--conns C] [--frames 100]\n"
          "               [--path /syslog] [--burst-us 200]\n");
  exit(2);
}

int main(int argc, char **argv) {
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    const char *v = i + 1 < argc ? argv[i + 1] : NULL;
    if (!v) usage();
    if (!strcmp(a, "--host")) opt.host = v;
    else if (!strcmp(a, "--port")) opt.port = atoi(v);
    else if (!strcmp(a, "--proto")) {
      if (!strcmp(v, "tcp")) opt.proto = P_TCP;
      else if (!strcmp(v, "udp")) opt.proto = P_UDP;
      else if (!strcmp(v, "tls")) opt.proto = P_TLS;
      else if (!strcmp(v, "http")) opt.proto = P_HTTP;
      else usage();
    } else if (!strcmp(a, "--framing")) opt.octet = strcmp(v, "lf") != 0;
    else if (!strcmp(a, "--format")) opt.rfc3164 = !strcmp(v, "3164");
    else if (!strcmp(a, "--count")) opt.count = atol(v);
    else if (!strcmp(a, "--rate")) opt.rate = atof(v);
    else if (!strcmp(a, "--size")) opt.size = atoi(v);
    else if (!strcmp(a, "--hosts")) opt.hosts = atoi(v);
    else if (!strcmp(a, "--prefix")) opt.prefix = v;
    else if (!strcmp(a, "--conns")) opt.conns = atoi(v);
    else if (!strcmp(a, "--frames")) opt.frames = atoi(v);
    else if (!strcmp(a, "--path")) opt.path = v;
    else if (!strcmp(a, "--burst-us")) opt.burst_us = atoi(v);
    else usage();
    i++;
  }
  if (opt.port <= 0 || opt.hosts < 1 || opt.conns < 1 || opt.frames < 1 || opt.count < 0 || opt.burst_us < 0) usage();
#ifndef HAVE_TLS
  if (opt.proto == P_TLS) {
    fprintf(stderr, "loadgen: built without TLS; install libssl-dev and rebuild\n");
    return 3;
  }
#else
  if (opt.proto == P_TLS) {
    tls_ctx = SSL_CTX_new(TLS_client_method());
    SSL_CTX_set_verify(tls_ctx, SSL_VERIFY_NONE, NULL);
  }
#endif
  struct addrinfo hints = {0}, *res;
  hints.ai_socktype = opt.proto == P_UDP ? SOCK_DGRAM : SOCK_STREAM;
  char port[16];
  snprintf(port, sizeof port, "%d", opt.port);
  int gai = getaddrinfo(opt.host, port, &hints, &res);
  if (gai) {
    fprintf(stderr, "loadgen: %s: %s\n", opt.host, gai_strerror(gai));
    return 2;
  }
  memcpy(&dst, res->ai_addr, res->ai_addrlen);
  dst_len = res->ai_addrlen;
  freeaddrinfo(res);

  build_templates();
  struct worker *ws = calloc((size_t)opt.conns, sizeof *ws);
  uint64_t start = now_ns();
  for (int i = 0; i < opt.conns; i++) {
    ws[i].id = i;
    ws[i].count = opt.count / opt.conns + (i < opt.count % opt.conns ? 1 : 0);
    ws[i].rate = opt.rate / opt.conns;
    pthread_create(&ws[i].th, NULL, worker_main, &ws[i]);
  }
  long sent = 0, errors = 0;
  for (int i = 0; i < opt.conns; i++) {
    pthread_join(ws[i].th, NULL);
    sent += ws[i].sent;
    errors += ws[i].errors;
  }
  uint64_t end = now_ns();
  double secs = (double)(end - start) / 1e9;
  printf("{\"sent\":%ld,\"errors\":%ld,\"start_ns\":%llu,\"end_ns\":%llu,\"elapsed_s\":%.6f,\"rate\":%.0f}\n", sent,
         errors, (unsigned long long)start, (unsigned long long)end, secs, secs > 0 ? (double)sent / secs : 0.0);
  return errors ? 1 : 0;
}
