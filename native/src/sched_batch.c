/*
 * Linux SCHED_BATCH for a key-share node.
 *
 * Why: a node is CPU-bound. Every share is a ~1.5 ms exponentiation on a libuv pool thread, and the
 * event loop wakes one to three times per share (a request read, a pool completion, an audit
 * commit). Under SCHED_NORMAL each of those wake-ups preempts a running exponentiation when all
 * cores are busy; on a saturated 2-core host that is 1.5 involuntary context switches per share,
 * each refilling caches, and a few per cent of throughput. SCHED_BATCH threads never preempt on
 * wake-up (only the scheduler tick, or a free core, lets them run), and nothing else changes: no
 * privilege is needed to choose it, nice values still apply, and on a host with idle cores a woken
 * thread still runs at once. The price, only when every core is busy, is that the event loop waits
 * for the tick or for a share to finish before it reads the next request: well under the time the
 * request spends queued anyway.
 *
 * Threads inherit the policy, but libuv may have started its pool before the node read its
 * configuration (the module loader reads files through it), hence the per-thread step below.
 */
#define _GNU_SOURCE
#include "sched_batch.h"

#include <errno.h>
#include <sched.h>
#include <stdatomic.h>
#include <string.h>

static atomic_int pool_batch;

static int batch_self(void) {
#ifdef SCHED_BATCH
  /* Already batch, inherited from systemd's CPUSchedulingPolicy= (whose unit's seccomp filter
     forbids sched_setscheduler) or from chrt: nothing to set. */
  if (sched_getscheduler(0) == SCHED_BATCH) return 0;
  struct sched_param p;
  memset(&p, 0, sizeof p);
  return sched_setscheduler(0, SCHED_BATCH, &p) == 0 ? 0 : errno;
#else
  return ENOSYS;
#endif
}

int kofn_sched_batch_enable(void) {
  int err = batch_self();
  if (err == 0) atomic_store(&pool_batch, 1);
  return err;
}

void kofn_sched_batch_pool_thread(void) {
  static _Thread_local int done;
  if (done || !atomic_load(&pool_batch)) return;
  done = 1;
  (void)batch_self();
}
