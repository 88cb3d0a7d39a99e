// Fork/join pool for per-layer parallelism. A decode step issues hundreds of jobs of a few
// microseconds each, so workers spin for a short while between jobs (no syscalls on the hot
// path) and only then sleep on a condition variable. The caller works as thread 0.
// clock_gettime and sched_yield are POSIX, not C11.
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif
#include "ck_internal.h"
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <time.h>

// Waits spin with `pause` for CK_SPIN_NS, then keep polling with sched_yield (so a thread that
// shares our core, e.g. when the machine is oversubscribed, gets to run) until CK_YIELD_NS, then
// sleep. Together they bridge the gaps between the jobs of one decode step, and an idle pool
// stops using CPU within a fraction of a millisecond.
#define CK_SPIN_NS 20000
#define CK_YIELD_NS 200000

struct ck_pool {
    int n_threads;
    pthread_t *workers; // n_threads - 1
    pthread_mutex_t run_lock; // one job at a time
    pthread_mutex_t mu;
    pthread_cond_t wake;
    pthread_cond_t done;
    _Atomic unsigned generation; // bumped (under mu) to publish a job
    _Atomic int next_task;
    _Atomic int busy_workers; // workers that have not finished the current job
    _Atomic int stop;
    int n_tasks;
    ck_task_fn fn;
    void *ctx;
    int isa_level; // the posting thread's kernel level, adopted by the workers for this job
};

typedef struct {
    ck_pool *pool;
    int index;
} worker_arg;

// Set while a thread runs tasks: a nested ck_pool_run from inside a task runs inline.
static _Thread_local int tl_in_pool = 0;
static _Thread_local int tl_thread = 0;

static inline void cpu_relax(void) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ __volatile__("yield");
#endif
}

static inline int64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void run_tasks(ck_pool *p, int thread) {
    int n = p->n_tasks;
    ck_task_fn fn = p->fn;
    void *ctx = p->ctx;
    tl_in_pool = 1;
    tl_thread = thread;
    for (;;) {
        int t = atomic_fetch_add_explicit(&p->next_task, 1, memory_order_relaxed);
        if (t >= n) break;
        fn(ctx, t, thread);
    }
    tl_in_pool = 0;
}

// Polls `done(p, arg)` with the spin-then-yield schedule above; returns whether it became true
// before the budget ran out.
static int spin_wait(int (*done)(ck_pool *, unsigned), ck_pool *p, unsigned arg) {
    int64_t start = 0;
    for (unsigned i = 0;; i++) {
        if (done(p, arg)) return 1;
        if ((i & 63) != 63) {
            cpu_relax();
            continue;
        }
        int64_t t = now_ns();
        if (start == 0) start = t;
        else if (t - start > CK_YIELD_NS) return 0;
        else if (t - start > CK_SPIN_NS) sched_yield();
    }
}

static int job_posted(ck_pool *p, unsigned seen) {
    return atomic_load_explicit(&p->generation, memory_order_acquire) != seen ||
           atomic_load_explicit(&p->stop, memory_order_relaxed);
}

static int workers_idle(ck_pool *p, unsigned unused) {
    (void)unused;
    return atomic_load_explicit(&p->busy_workers, memory_order_acquire) == 0;
}

static void *worker_main(void *arg) {
    worker_arg a = *(worker_arg *)arg;
    free(arg);
    ck_pool *p = a.pool;
    unsigned seen = 0;
    for (;;) {
        if (!spin_wait(job_posted, p, seen)) {
            pthread_mutex_lock(&p->mu);
            while (atomic_load_explicit(&p->generation, memory_order_acquire) == seen &&
                   !atomic_load_explicit(&p->stop, memory_order_relaxed))
                pthread_cond_wait(&p->wake, &p->mu);
            pthread_mutex_unlock(&p->mu);
        }
        if (atomic_load_explicit(&p->stop, memory_order_relaxed)) break;
        seen = atomic_load_explicit(&p->generation, memory_order_acquire);
        ck_isa_adopt(p->isa_level);
        run_tasks(p, a.index);
        if (atomic_fetch_sub_explicit(&p->busy_workers, 1, memory_order_acq_rel) == 1) {
            // Taking mu orders this signal after a caller that checked busy_workers under mu.
            pthread_mutex_lock(&p->mu);
            pthread_cond_signal(&p->done);
            pthread_mutex_unlock(&p->mu);
        }
    }
    return NULL;
}

ck_pool *ck_pool_create(int n_threads) {
    if (n_threads < 1) n_threads = 1;
    ck_pool *p = calloc(1, sizeof *p);
    if (!p) return NULL;
    p->n_threads = n_threads;
    pthread_mutex_init(&p->run_lock, NULL);
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->wake, NULL);
    pthread_cond_init(&p->done, NULL);
    p->workers = calloc((size_t)n_threads, sizeof(pthread_t));
    if (!p->workers) { free(p); return NULL; }
    for (int i = 1; i < n_threads; i++) {
        worker_arg *a = malloc(sizeof *a);
        if (a) { a->pool = p; a->index = i; }
        if (!a || pthread_create(&p->workers[i - 1], NULL, worker_main, a) != 0) {
            free(a);
            p->n_threads = i; // destroy joins the ones already started
            ck_pool_destroy(p);
            return NULL;
        }
    }
    return p;
}

void ck_pool_destroy(ck_pool *p) {
    if (!p) return;
    pthread_mutex_lock(&p->mu);
    atomic_store(&p->stop, 1);
    pthread_cond_broadcast(&p->wake);
    pthread_mutex_unlock(&p->mu);
    for (int i = 1; i < p->n_threads; i++) pthread_join(p->workers[i - 1], NULL);
    pthread_cond_destroy(&p->wake);
    pthread_cond_destroy(&p->done);
    pthread_mutex_destroy(&p->mu);
    pthread_mutex_destroy(&p->run_lock);
    free(p->workers);
    free(p);
}

int ck_pool_threads(const ck_pool *p) { return p ? p->n_threads : 1; }

void ck_pool_run(ck_pool *p, int n_tasks, ck_task_fn fn, void *ctx) {
    if (n_tasks <= 0) return;
    if (!p || p->n_threads == 1 || n_tasks == 1 || tl_in_pool) {
        int thread = tl_in_pool ? tl_thread : 0;
        for (int t = 0; t < n_tasks; t++) fn(ctx, t, thread);
        return;
    }
    pthread_mutex_lock(&p->run_lock);
    p->n_tasks = n_tasks;
    p->fn = fn;
    p->ctx = ctx;
    p->isa_level = ck_isa_level();
    atomic_store_explicit(&p->next_task, 0, memory_order_relaxed);
    atomic_store_explicit(&p->busy_workers, p->n_threads - 1, memory_order_relaxed);
    // Publishing under mu means a worker that checked `generation` under mu cannot miss the wake.
    pthread_mutex_lock(&p->mu);
    atomic_fetch_add_explicit(&p->generation, 1, memory_order_release);
    pthread_cond_broadcast(&p->wake);
    pthread_mutex_unlock(&p->mu);

    run_tasks(p, 0);

    if (!spin_wait(workers_idle, p, 0)) {
        pthread_mutex_lock(&p->mu);
        while (atomic_load_explicit(&p->busy_workers, memory_order_acquire) != 0)
            pthread_cond_wait(&p->done, &p->mu);
        pthread_mutex_unlock(&p->mu);
    }
    pthread_mutex_unlock(&p->run_lock);
}
