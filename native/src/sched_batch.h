/* SCHED_BATCH for the key-share node's threads (see sched_batch.c). */
#ifndef KOFN_SCHED_BATCH_H
#define KOFN_SCHED_BATCH_H

/* Puts the calling thread under SCHED_BATCH and asks every pool thread to follow at its next share.
 * Returns 0, or an errno value (ENOSYS where the platform has no SCHED_BATCH). */
int kofn_sched_batch_enable(void);

/* Called by each pool job before its exponentiation: moves this thread to SCHED_BATCH once, if
 * kofn_sched_batch_enable was called. Failures are ignored: the job runs either way. */
void kofn_sched_batch_pool_thread(void);

#endif
