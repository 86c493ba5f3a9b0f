/*
 * The socket side of the shim: connecting and the handshake, frames with a deadline, the idle
 * check. Sockets are non-blocking and close-on-exec; every wait is a poll() against the call's
 * deadline; EINTR is retried everywhere; send() never raises SIGPIPE (MSG_NOSIGNAL).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "shim.h"

int64_t kofn_now_ms(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Waits until fd is ready for ev (or reports a hang-up/error, which the next read/write sees). */
static kofn_io wait_fd(int fd, short ev, int64_t deadline)
{
  for (;;) {
    int64_t left = deadline - kofn_now_ms();
    if (left <= 0)
      return KOFN_IO_TIMEOUT;
    struct pollfd p = { .fd = fd, .events = ev, .revents = 0 };
    int r = poll(&p, 1, left > INT_MAX ? INT_MAX : (int)left);
    if (r > 0)
      return KOFN_IO_OK;
    if (r < 0 && errno != EINTR)
      return KOFN_IO_ERROR;
  }
}

static kofn_io io_errno(int e)
{
  switch (e) {
  case EPIPE:
  case ECONNRESET:
  case ECONNABORTED:
  case ENOTCONN:
    return KOFN_IO_CLOSED;
  case ENOMEM:
  case ENOBUFS:
    return KOFN_IO_NOMEM;
  default:
    return KOFN_IO_ERROR;
  }
}

kofn_io kofn_io_send(int fd, const uint8_t *p, size_t n, int64_t deadline, size_t *sent)
{
  *sent = 0;
  while (*sent < n) {
    ssize_t r = send(fd, p + *sent, n - *sent, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (r > 0) {
      *sent += (size_t)r;
      continue;
    }
    if (r < 0 && errno == EINTR)
      continue;
    if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      kofn_io w = wait_fd(fd, POLLOUT, deadline);
      if (w != KOFN_IO_OK)
        return w;
      continue;
    }
    return r == 0 ? KOFN_IO_CLOSED : io_errno(errno);
  }
  return KOFN_IO_OK;
}

static kofn_io recv_exact(int fd, uint8_t *p, size_t n, int64_t deadline, size_t *got)
{
  size_t at = 0;
  while (at < n) {
    ssize_t r = recv(fd, p + at, n - at, MSG_DONTWAIT);
    if (r > 0) {
      at += (size_t)r;
      *got += (size_t)r;
      continue;
    }
    if (r == 0)
      return KOFN_IO_CLOSED;
    if (errno == EINTR)
      continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) {
      kofn_io w = wait_fd(fd, POLLIN, deadline);
      if (w != KOFN_IO_OK)
        return w;
      continue;
    }
    return io_errno(errno);
  }
  return KOFN_IO_OK;
}

kofn_io kofn_io_recv_frame(int fd, int64_t deadline, uint8_t **payload, size_t *len, size_t *got)
{
  uint8_t h[4];
  *payload = NULL;
  *len = 0;
  kofn_io r = recv_exact(fd, h, 4, deadline, got);
  if (r != KOFN_IO_OK)
    return r;
  uint32_t n = kofn_be32(h);
  if (n > KOFN_MAX_FRAME)
    return KOFN_IO_PROTOCOL;
  uint8_t *p = malloc(n ? n : 1);
  if (p == NULL)
    return KOFN_IO_NOMEM;
  r = recv_exact(fd, p, n, deadline, got);
  if (r != KOFN_IO_OK) {
    free(p);
    return r;
  }
  *payload = p;
  *len = n;
  return KOFN_IO_OK;
}

int kofn_io_idle_ok(int fd)
{
  /* An idle connection has nothing to say: readable means EOF, a reset, or stray bytes (desynced). */
  for (;;) {
    struct pollfd p = { .fd = fd, .events = POLLIN | POLLRDHUP, .revents = 0 };
    int r = poll(&p, 1, 0);
    if (r == 0)
      return 1;
    if (r < 0 && errno == EINTR)
      continue;
    return 0;
  }
}

static kofn_io do_connect(int fd, const struct sockaddr_un *sa, int64_t deadline)
{
  for (;;) {
    if (connect(fd, (const struct sockaddr *)sa, sizeof *sa) == 0)
      return KOFN_IO_OK;
    int e = errno;
    if (e == EINTR || e == EINPROGRESS) {
      /* The connection goes on asynchronously: wait for it and read its outcome. */
      kofn_io w = wait_fd(fd, POLLOUT, deadline);
      if (w != KOFN_IO_OK)
        return w;
      int err = 0;
      socklen_t l = sizeof err;
      if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &l) != 0)
        return KOFN_IO_ERROR;
      if (err == 0)
        return KOFN_IO_OK;
      e = err;
    } else if (e == EAGAIN) {
      /* The listener's backlog is full: try again shortly, within the deadline. */
      if (kofn_now_ms() >= deadline)
        return KOFN_IO_TIMEOUT;
      struct timespec ts = { 0, 5 * 1000 * 1000 };
      nanosleep(&ts, NULL);
      continue;
    }
    switch (e) {
    case ENOENT:
    case ECONNREFUSED:
    case EACCES:
    case EPERM:
    case ENOTDIR:
    case ELOOP:
    case ENAMETOOLONG:
    case ENOTSOCK:
    case EPROTOTYPE:
      return KOFN_IO_UNREACHABLE;
    default:
      return io_errno(e);
    }
  }
}

kofn_io kofn_io_connect(const char *path, int64_t deadline, uint64_t instance, int *fdp, uint64_t *epoch)
{
  struct sockaddr_un sa;
  memset(&sa, 0, sizeof sa);
  sa.sun_family = AF_UNIX;
  size_t plen = strlen(path);
  if (plen == 0 || plen >= sizeof sa.sun_path)
    return KOFN_IO_UNREACHABLE;
  memcpy(sa.sun_path, path, plen);

  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0)
    return io_errno(errno);
  kofn_io r = do_connect(fd, &sa, deadline);
  if (r != KOFN_IO_OK) {
    close(fd);
    return r;
  }

  /* Hello: magic, version, sizeof(CK_ULONG), byte order, pid, instance. */
  uint8_t hello[4 + 4 + 2 + 1 + 1 + 4 + 8];
  kofn_buf b = { 0 };
  kofn_frame_begin(&b);
  kofn_put_raw(&b, "KFN1", 4);
  kofn_put_u16(&b, KOFN_PROTOCOL_VERSION);
  kofn_put_u8(&b, (uint8_t)sizeof(CK_ULONG));
  const uint16_t one = 1;
  kofn_put_u8(&b, *(const uint8_t *)&one == 1 ? 1 : 2);
  kofn_put_u32(&b, (uint32_t)getpid());
  kofn_put_u64(&b, instance);
  kofn_frame_end(&b);
  if (b.err != CKR_OK || b.len != sizeof hello) {
    kofn_buf_free(&b);
    close(fd);
    return KOFN_IO_NOMEM;
  }
  memcpy(hello, b.p, sizeof hello);
  kofn_buf_free(&b);

  size_t sent = 0, got = 0;
  r = kofn_io_send(fd, hello, sizeof hello, deadline, &sent);
  uint8_t *w = NULL;
  size_t wlen = 0;
  if (r == KOFN_IO_OK)
    r = kofn_io_recv_frame(fd, deadline, &w, &wlen, &got);
  if (r == KOFN_IO_CLOSED)
    r = KOFN_IO_UNREACHABLE; /* the service went away before the handshake ended: nothing was asked */
  if (r == KOFN_IO_OK) {
    /* Welcome: magic, u16 version (0 refuses), u64 epoch. */
    if (wlen != 4 + 2 + 8 || memcmp(w, "KFN1", 4) != 0 || ((uint16_t)(w[4] << 8 | w[5])) != KOFN_PROTOCOL_VERSION)
      r = KOFN_IO_PROTOCOL;
    else
      *epoch = kofn_be64(w + 6);
  }
  free(w);
  if (r != KOFN_IO_OK) {
    close(fd);
    return r;
  }
  *fdp = fd;
  return KOFN_IO_OK;
}

static uint64_t splitmix64(uint64_t x)
{
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

uint64_t kofn_random_u64(void)
{
  uint64_t v = 0;
  size_t at = 0;
  while (at < sizeof v) {
    ssize_t r = getrandom((uint8_t *)&v + at, sizeof v - at, GRND_NONBLOCK);
    if (r > 0)
      at += (size_t)r;
    else if (r < 0 && errno == EINTR)
      continue;
    else
      break;
  }
  if (at < sizeof v) {
    /* No kernel randomness yet (early boot): unique enough to tell applications apart. */
    struct timespec a, m;
    clock_gettime(CLOCK_REALTIME, &a);
    clock_gettime(CLOCK_MONOTONIC, &m);
    v = splitmix64((uint64_t)a.tv_sec * 1000000000ull + (uint64_t)a.tv_nsec);
    v = splitmix64(v ^ ((uint64_t)m.tv_nsec << 20) ^ (uint64_t)getpid() ^ (uint64_t)(uintptr_t)&a);
  }
  return v ? v : 1;
}
