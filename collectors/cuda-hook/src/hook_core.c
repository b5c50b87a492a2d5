/* Recording core of libmemtrace_cuda.so: per-thread buffers, the writer thread, the log file.
 *
 * Why this shape: the hook sits inside every cudaMalloc of a training job, so the hot path must not
 * take a lock, make a syscall or wait on I/O. Each thread appends records to its own chunk and
 * publishes them with one release store; a full chunk goes onto a lock-free stack (one CAS); a
 * single writer thread drains sealed chunks and the unflushed tails of live ones every
 * MEMTRACE_FLUSH_MS. Memory for chunks is bounded (MEMTRACE_BUFFER_MB); past it, events are dropped
 * and counted, never waited for. A failed write() (full disk, RLIMIT_FSIZE) truncates the file back
 * to the last whole record and counts the bytes lost. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <link.h>
#include <execinfo.h>
#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include "hook_internal.h"

_Static_assert(sizeof(struct mtcu_file_header) == 64, "header layout");
_Static_assert(sizeof(struct mtcu_event) == 88, "event layout");
_Static_assert(sizeof(struct mtcu_meminfo) == 40, "meminfo layout");
_Static_assert(sizeof(struct mtcu_module) == 24, "module layout");
_Static_assert(sizeof(struct mtcu_drops) == 40, "drops layout");

#define CHUNK_BYTES (64u * 1024u)

struct chunk {
    struct chunk *next;             /* link on the sealed stack */
    struct tstate *owner;
    _Atomic uint32_t committed;     /* bytes published by the producer (release) */
    uint32_t flushed;               /* bytes the writer has written (writer only) */
    _Atomic uint32_t uses;          /* times the owner installed it as its current chunk (owner, before publishing it) */
    uint32_t live_from;             /* writer only: the uses count from which it is live again after a recycle */
    char data[CHUNK_BYTES];
};

struct tstate {
    struct tstate *next_all;        /* push-only list of every thread state */
    _Atomic int in_use;
    _Atomic(struct chunk *) current;
    _Atomic uint64_t sealed;        /* chunks this thread pushed (producer) */
    uint64_t taken;                 /* of those, chunks the writer took (writer only) */
    uint64_t seq;
    uint32_t tid;
    int busy;                       /* inside mt_record: a signal handler must not append */
    uintptr_t stack_lo, stack_hi;   /* this thread's stack, bounding the frame-pointer walk */
    _Atomic(struct chunk *) spare;  /* chunks the writer drained, handed back (writer pushes, owner takes all) */
    struct chunk *local_spare;      /* taken from spare, owner only */
};

static struct {
    char dir[512];
    int stack_depth, meminfo_ms, flush_ms, unwind_fp;
    uint64_t buffer_cap;
} cfg;

static _Atomic(struct chunk *) g_sealed;
static _Atomic(struct tstate *) g_threads;
static _Atomic uint64_t g_chunk_bytes;
static _Atomic uint64_t g_drop_full, g_drop_reentrant, g_drop_write;
static _Atomic int g_started, g_stop, g_closed;
static _Atomic uint64_t g_flush_request, g_flush_done;
static _Atomic uint64_t g_devices_seen;
static _Atomic uint64_t g_last_context;
static _Atomic int g_runtime_seen;
static pthread_once_t g_once = PTHREAD_ONCE_INIT;
static pthread_t g_writer;
static int g_fd = -1;
static uint64_t g_file_off, g_records;
static uint32_t g_forked_from;
static pthread_key_t g_key;
static sem_t g_wake;                /* posted to end the writer's nap early: sem_post is async-signal-safe */
/* initial-exec: the hook is preloaded, so its TLS is static and needs no __tls_get_addr call. */
#define MT_TLS __thread __attribute__((tls_model("initial-exec")))
static MT_TLS struct tstate *t_state;
static MT_TLS int t_depth;
static MT_TLS int t_is_writer;

static uint64_t now_ns(clockid_t clk) {
    struct timespec ts;
    clock_gettime(clk, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static int env_int(const char *name, int dflt, int lo, int hi) {
    const char *v = getenv(name);
    if (!v || !*v) return dflt;
    char *end;
    long x = strtol(v, &end, 10);
    if (*end || x < lo || x > hi) return dflt;
    return (int)x;
}

uint64_t mt_now(void) { return now_ns(CLOCK_MONOTONIC); }

int mt_enter(void) { return t_depth++ == 0 && !t_is_writer && !atomic_load_explicit(&g_closed, memory_order_relaxed); }
void mt_leave(void) { t_depth--; }

/* These globals are read by the writer; write them only on change so the hot path does not bounce
 * their cache line between cores on every call. */
void mt_note_device(int device) {
    if (device < 0 || device >= 64) return;
    uint64_t bit = 1ull << device;
    if (!(atomic_load_explicit(&g_devices_seen, memory_order_relaxed) & bit)) atomic_fetch_or_explicit(&g_devices_seen, bit, memory_order_relaxed);
}

void mt_note_context(uint64_t ctx, int destroyed) {
    if (destroyed) {
        uint64_t expect = ctx;
        atomic_compare_exchange_strong(&g_last_context, &expect, 0);
    } else if (ctx && atomic_load_explicit(&g_last_context, memory_order_relaxed) != ctx) {
        atomic_store_explicit(&g_last_context, ctx, memory_order_relaxed);
    }
}

/* ---- producer side ---------------------------------------------------------------------------- */

/* Hands a chunk to the writer: one CAS onto the sealed stack, then the count the writer checks
 * before flushing this thread's live tail (so records never reach the file out of order). */
static void seal(struct tstate *s, struct chunk *c) {
    c->next = atomic_load_explicit(&g_sealed, memory_order_relaxed);
    while (!atomic_compare_exchange_weak_explicit(&g_sealed, &c->next, c, memory_order_release, memory_order_relaxed)) {}
    atomic_fetch_add_explicit(&s->sealed, 1, memory_order_release);
}

static void thread_gone(void *p) {
    struct tstate *s = p;
    struct chunk *c = atomic_load_explicit(&s->current, memory_order_relaxed);
    if (c) {
        seal(s, c);
        atomic_store_explicit(&s->current, NULL, memory_order_release);
    }
    atomic_store_explicit(&s->in_use, 0, memory_order_release);
    t_state = NULL;
}

/* Memory for thread states and chunks comes from mmap, not malloc: a CUDA call made inside a signal
 * handler (which the hook records like any other) must not enter malloc, whose lock the interrupted
 * code may hold. mmap and munmap are plain system calls. Found by TSan in the stress test. */
static void *raw_alloc(size_t bytes) {
    void *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    return p == MAP_FAILED ? NULL : p; /* zero-filled */
}

/* The writer hands a drained chunk back to its owner; only the writer pushes and the owner takes the whole
 * list with one exchange, so the stack has no ABA problem. */
static void recycle(struct chunk *c) {
    struct tstate *owner = c->owner;
    c->flushed = 0; /* writer-only field, so the writer resets it (TSan caught the owner doing it) */
    /* The owner seals a full chunk before it publishes the next one as current, so for a moment its current still
     * names this chunk; until the owner installs it again, the live-tail pass must not write it out a second time
     * while the owner refills it (TSan caught the writer reading data[0] as the owner rewrote it). */
    c->live_from = atomic_load_explicit(&c->uses, memory_order_relaxed) + 1;
    c->next = atomic_load_explicit(&owner->spare, memory_order_relaxed);
    while (!atomic_compare_exchange_weak_explicit(&owner->spare, &c->next, c, memory_order_release, memory_order_relaxed)) {}
}

static struct tstate *thread_state(void) {
    struct tstate *s = t_state;
    if (s) return s;
    for (s = atomic_load_explicit(&g_threads, memory_order_acquire); s; s = s->next_all) {
        int free_slot = 0;
        if (atomic_compare_exchange_strong(&s->in_use, &free_slot, 1)) break;
    }
    if (!s) {
        s = raw_alloc(sizeof *s);
        if (!s) return NULL;
        atomic_store(&s->in_use, 1);
        s->next_all = atomic_load_explicit(&g_threads, memory_order_relaxed);
        while (!atomic_compare_exchange_weak_explicit(&g_threads, &s->next_all, s, memory_order_release, memory_order_relaxed)) {}
    }
    s->tid = (uint32_t)syscall(SYS_gettid);
    s->seq = 0;
    s->stack_lo = s->stack_hi = 0;
    pthread_attr_t attr;
    if (cfg.unwind_fp && pthread_getattr_np(pthread_self(), &attr) == 0) {
        void *lo;
        size_t size;
        if (pthread_attr_getstack(&attr, &lo, &size) == 0) { s->stack_lo = (uintptr_t)lo; s->stack_hi = (uintptr_t)lo + size; }
        pthread_attr_destroy(&attr);
    }
    t_state = s;
    pthread_setspecific(g_key, s);
    return s;
}

static struct chunk *fresh_chunk(struct tstate *s) {
    /* A drained chunk comes back to the thread that filled it: no mmap, no page faults, and no munmap (with
     * its TLB shootdown) on the writer. It stays counted against the buffer cap while it waits. */
    if (!s->local_spare) s->local_spare = atomic_exchange_explicit(&s->spare, NULL, memory_order_acquire);
    if (s->local_spare) {
        struct chunk *c = s->local_spare;
        s->local_spare = c->next;
        atomic_store_explicit(&c->committed, 0, memory_order_relaxed); /* flushed is the writer's: it reset it */
        atomic_fetch_add_explicit(&c->uses, 1, memory_order_release); /* after the reset: a writer that sees it sees committed 0 */
        return c;
    }
    if (atomic_fetch_add_explicit(&g_chunk_bytes, sizeof(struct chunk), memory_order_relaxed) + sizeof(struct chunk) > cfg.buffer_cap) {
        atomic_fetch_sub_explicit(&g_chunk_bytes, sizeof(struct chunk), memory_order_relaxed);
        return NULL;
    }
    struct chunk *c = raw_alloc(sizeof *c);
    if (!c) {
        atomic_fetch_sub_explicit(&g_chunk_bytes, sizeof(struct chunk), memory_order_relaxed);
        return NULL;
    }
    c->owner = s;
    c->flushed = 0;
    c->live_from = 0;
    atomic_store_explicit(&c->uses, 1, memory_order_relaxed);
    atomic_store_explicit(&c->committed, 0, memory_order_relaxed);
    return c;
}

/* Reserves len bytes in this thread's chunk; NULL (and nothing changes) when the cap is reached. */
static char *reserve(struct tstate *s, uint32_t len, struct chunk **out) {
    struct chunk *c = atomic_load_explicit(&s->current, memory_order_relaxed);
    if (c && atomic_load_explicit(&c->committed, memory_order_relaxed) + len <= CHUNK_BYTES) {
        *out = c;
        return c->data + atomic_load_explicit(&c->committed, memory_order_relaxed);
    }
    struct chunk *n = fresh_chunk(s);
    if (!n) return NULL;
    if (c) seal(s, c);
    atomic_store_explicit(&s->current, n, memory_order_release);
    *out = n;
    return n->data;
}

/* MEMTRACE_UNWIND=fp: follow saved frame pointers instead of glibc's DWARF unwinder (about 10x
 * cheaper). Every load is checked against this thread's stack bounds and frames must move up the
 * stack, so code built without frame pointers ends the walk early instead of faulting. Same frame
 * numbering as backtrace(): [0] is in mt_record, [1] in the wrapper, [2] the app's call site. */
__attribute__((noinline)) static int fp_backtrace(void **out, int max, const struct tstate *s) {
    const uintptr_t *fp = (const uintptr_t *)__builtin_frame_address(0);
    int n = 0;
    while (n < max && (uintptr_t)fp >= s->stack_lo && (uintptr_t)fp + 2 * sizeof(uintptr_t) <= s->stack_hi && ((uintptr_t)fp & 7) == 0) {
        const uintptr_t *next = (const uintptr_t *)fp[0];
        if (!fp[1]) break;
        out[n++] = (void *)fp[1];
        if (next <= fp) break;
        fp = next;
    }
    return n;
}

static void *writer_main(void *arg);
static void open_log(void);
static void install_fatal_handlers(void);

static void start_once(void) {
    open_log();
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, &old); /* the writer takes no signals meant for the app */
    if (g_fd >= 0 && pthread_create(&g_writer, NULL, writer_main, NULL) == 0) atomic_store(&g_started, 1);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (atomic_load(&g_started)) install_fatal_handlers();
}

void mt_record(const struct mt_call *call) {
    pthread_once(&g_once, start_once);
    if (!atomic_load_explicit(&g_started, memory_order_acquire)) return;
    struct tstate *s = thread_state();
    if (!s) { atomic_fetch_add_explicit(&g_drop_full, 1, memory_order_relaxed); return; }
    if (s->busy) { atomic_fetch_add_explicit(&g_drop_reentrant, 1, memory_order_relaxed); return; }
    s->busy = 1;
    void *frames[MTCU_MAX_FRAMES + 2];
    int n = cfg.stack_depth <= 0 ? 0 : cfg.unwind_fp ? fp_backtrace(frames, cfg.stack_depth + 2, s) : backtrace(frames, cfg.stack_depth + 2);
    n = n > 2 ? n - 2 : 0; /* drop mt_record and the wrapper itself */
    uint32_t len = (uint32_t)(sizeof(struct mtcu_event) + 8u * (uint32_t)n);
    struct chunk *c;
    char *p = reserve(s, len, &c);
    if (!p) {
        atomic_fetch_add_explicit(&g_drop_full, 1, memory_order_relaxed);
        s->seq++; /* the gap in thread_seq shows the importer where the loss was */
        s->busy = 0;
        return;
    }
    struct mtcu_event *e = (struct mtcu_event *)p;
    *e = (struct mtcu_event){
        .h = {MTCU_REC_EVENT, (uint16_t)len, 0}, .ts_mono_ns = call->ts_ns ? call->ts_ns : now_ns(CLOCK_MONOTONIC), .thread_seq = s->seq++,
        .tid = s->tid, .device = call->device, .op = call->op, .nframes = (uint16_t)n, .result = call->result,
        .addr = call->addr, .size = call->size, .stream = call->stream, .context = call->context,
        .handle = call->handle, .aux = call->aux};
    memcpy(p + sizeof *e, frames + 2, 8u * (uint32_t)n);
    e->h.check = mtcu_check(p, len);
    atomic_store_explicit(&c->committed, atomic_load_explicit(&c->committed, memory_order_relaxed) + len, memory_order_release);
    s->busy = 0;
}

/* ---- writer side -------------------------------------------------------------------------------- */

static void write_all(const void *buf, size_t len) {
    if (g_fd < 0) { atomic_fetch_add(&g_drop_write, len); return; }
    const char *p = buf;
    size_t left = len;
    while (left > 0) {
        ssize_t w = write(g_fd, p, left);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) {
            /* Cut back to the last whole record so the file stays readable; later writes may succeed. */
            if (ftruncate(g_fd, (off_t)g_file_off) == 0) lseek(g_fd, (off_t)g_file_off, SEEK_SET);
            atomic_fetch_add(&g_drop_write, len);
            return;
        }
        p += w;
        left -= (size_t)w;
    }
    g_file_off += len;
}

/* Writes a region of whole records and counts them. */
static void write_records(const char *p, uint32_t len) {
    write_all(p, len);
    for (uint32_t off = 0; off < len;) {
        off += ((const struct mtcu_rec_header *)(p + off))->length;
        g_records++;
    }
}

static void seal_and_write(void *rec, uint32_t len) {
    ((struct mtcu_rec_header *)rec)->length = (uint16_t)len;
    ((struct mtcu_rec_header *)rec)->check = 0;
    ((struct mtcu_rec_header *)rec)->check = mtcu_check(rec, len);
    write_records(rec, len);
}

static void flush_chunk_tail(struct chunk *c) {
    uint32_t committed = atomic_load_explicit(&c->committed, memory_order_acquire);
    if (committed > c->flushed) {
        write_records(c->data + c->flushed, committed - c->flushed);
        c->flushed = committed;
    }
}

static void drain(void) {
    /* Sealed chunks first, oldest first: the stack is LIFO, so reverse it. */
    struct chunk *list = atomic_exchange_explicit(&g_sealed, NULL, memory_order_acquire), *fifo = NULL;
    while (list) { struct chunk *n = list->next; list->next = fifo; fifo = list; list = n; }
    while (fifo) {
        struct chunk *n = fifo->next;
        flush_chunk_tail(fifo);
        fifo->owner->taken++;
        recycle(fifo);
        fifo = n;
    }
    /* Then the live tails. A thread with a sealed chunk still unseen is skipped this round so its
     * records never reach the file out of order. */
    for (struct tstate *s = atomic_load_explicit(&g_threads, memory_order_acquire); s; s = s->next_all) {
        struct chunk *c = atomic_load_explicit(&s->current, memory_order_acquire);
        if (!c || atomic_load_explicit(&s->sealed, memory_order_acquire) != s->taken) continue;
        if (atomic_load_explicit(&c->uses, memory_order_acquire) < c->live_from) continue; /* drained, not yet reinstalled */
        flush_chunk_tail(c);
    }
}

static int add_module(struct dl_phdr_info *info, size_t size, void *arg) {
    (void)size; (void)arg;
    const char *path = info->dlpi_name;
    char exe[512];
    if (!path || !*path) {
        ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
        if (n <= 0) return 0;
        exe[n] = 0;
        path = exe;
    }
    uint64_t hi = 0;
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        if (ph->p_type == PT_LOAD && ph->p_vaddr + ph->p_memsz > hi) hi = ph->p_vaddr + ph->p_memsz;
    }
    size_t plen = strnlen(path, 4096);
    struct { struct mtcu_module m; char path[4096 + 8]; } rec;
    memset(&rec, 0, sizeof rec);
    rec.m.h.type = MTCU_REC_MODULE;
    rec.m.base = info->dlpi_addr;
    rec.m.span = hi > UINT32_MAX ? UINT32_MAX : (uint32_t)hi;
    rec.m.path_len = (uint16_t)plen;
    memcpy(rec.path, path, plen);
    seal_and_write(&rec, (uint32_t)((sizeof rec.m + plen + 7) & ~7u));
    return 0;
}

/* Loaded objects are re-listed whenever dlopen/dlclose changed them (dlpi_adds/dlpi_subs). */
static int count_changes(struct dl_phdr_info *info, size_t size, void *arg) {
    if (size >= offsetof(struct dl_phdr_info, dlpi_subs) + sizeof info->dlpi_subs)
        *(unsigned long long *)arg = info->dlpi_adds * 1000003ull + info->dlpi_subs;
    return 1;
}

static void write_drops(void) {
    struct mtcu_drops d = {.h = {MTCU_REC_DROPS, 0, 0}, .ts_mono_ns = now_ns(CLOCK_MONOTONIC),
        .events_buffer_full = atomic_load(&g_drop_full), .events_reentrant = atomic_load(&g_drop_reentrant),
        .bytes_write_failed = atomic_load(&g_drop_write)};
    seal_and_write(&d, sizeof d);
}

static void write_meminfo(int device, size_t free_bytes, size_t total) {
    struct mtcu_meminfo m = {.h = {MTCU_REC_MEMINFO, 0, 0}, .ts_mono_ns = now_ns(CLOCK_MONOTONIC), .device = device, .free_bytes = free_bytes, .total_bytes = total};
    seal_and_write(&m, sizeof m);
}

static void sample_meminfo(void) {
    uint64_t devices = atomic_load_explicit(&g_devices_seen, memory_order_relaxed);
    if (!devices) return; /* before the app touched CUDA, sampling would create a context for it */
    cudaError_t (*rt_info)(size_t *, size_t *) = mt_real(F_cudaMemGetInfo);
    cudaError_t (*rt_set)(int) = mt_real(F_cudaSetDevice);
    CUresult (*drv_info)(size_t *, size_t *) = mt_real(F_cuMemGetInfo_v2);
    CUresult (*drv_set)(CUcontext) = mt_real(F_cuCtxSetCurrent);
    CUresult (*drv_dev)(CUdevice *) = mt_real(F_cuCtxGetDevice);
    if (atomic_load(&g_runtime_seen) && rt_info && rt_set) {
        for (int d = 0; d < 64; d++) {
            size_t fr = 0, tot = 0;
            if (!(devices >> d & 1) || rt_set(d) != 0 || rt_info(&fr, &tot) != 0) continue;
            write_meminfo(d, fr, tot);
        }
    } else if (drv_info && drv_set && drv_dev) {
        uint64_t ctx = atomic_load(&g_last_context);
        size_t fr = 0, tot = 0;
        CUdevice d = -1;
        if (!ctx || drv_set((CUcontext)ctx) != 0 || drv_dev(&d) != 0 || drv_info(&fr, &tot) != 0) return;
        write_meminfo(d, fr, tot);
    }
}

static void *writer_main(void *arg) {
    (void)arg;
    t_is_writer = 1;
    unsigned long long modules = 0, seen;
    uint64_t next_info = 0, drops_written = 0;
    for (;;) {
        int stopping = atomic_load(&g_stop);
        uint64_t request = atomic_load(&g_flush_request);
        seen = 0;
        dl_iterate_phdr(count_changes, &seen);
        if (seen != modules) { modules = seen; dl_iterate_phdr(add_module, NULL); }
        drain();
        uint64_t t = now_ns(CLOCK_MONOTONIC);
        if (cfg.meminfo_ms > 0 && t >= next_info) { sample_meminfo(); next_info = t + (uint64_t)cfg.meminfo_ms * 1000000ull; }
        uint64_t drops = atomic_load(&g_drop_full) + atomic_load(&g_drop_reentrant) + atomic_load(&g_drop_write);
        if (drops != drops_written) { write_drops(); drops_written = drops; }
        atomic_store(&g_flush_done, request);
        if (stopping) break;
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_nsec += (long)cfg.flush_ms * 1000000L;
        until.tv_sec += until.tv_nsec / 1000000000L;
        until.tv_nsec %= 1000000000L;
        while (sem_timedwait(&g_wake, &until) != 0 && errno == EINTR) {}
    }
    return NULL;
}

static void open_log(void) {
    char path[640], host[256] = "";
    uint64_t real = now_ns(CLOCK_REALTIME), mono = now_ns(CLOCK_MONOTONIC);
    gethostname(host, sizeof host - 1);
    snprintf(path, sizeof path, "%s/memtrace-cuda.%s.%d.%llu.mtcu", cfg.dir, host, (int)getpid(), (unsigned long long)(real / 1000000ull));
    g_fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (g_fd < 0) {
        fprintf(stderr, "memtrace-cuda: cannot create %s: %s; recording is off\n", path, strerror(errno));
        return;
    }
    g_file_off = 0;
    g_records = 0;
    struct mtcu_file_header h = {.version = MTCU_VERSION, .header_size = sizeof h, .pid = (uint32_t)getpid(),
        .ppid = g_forked_from ? g_forked_from : (uint32_t)getppid(), .flags = g_forked_from ? 1u : 0u,
        .realtime_anchor_ns = (int64_t)real, .monotonic_anchor_ns = (int64_t)mono,
        .stack_depth = (uint32_t)cfg.stack_depth, .meminfo_ms = (uint32_t)cfg.meminfo_ms};
    memcpy(h.magic, MTCU_MAGIC, 8);
    write_all(&h, sizeof h);
    char exe[1024] = "";
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    exe[n > 0 ? n : 0] = 0;
    struct { struct mtcu_process p; char text[256 + 1024 + 8]; } rec;
    memset(&rec, 0, sizeof rec);
    rec.p.h.type = MTCU_REC_PROCESS;
    rec.p.host_len = (uint16_t)strlen(host);
    rec.p.exe_len = (uint16_t)strlen(exe);
    memcpy(rec.text, host, rec.p.host_len);
    memcpy(rec.text + rec.p.host_len, exe, rec.p.exe_len);
    seal_and_write(&rec, (uint32_t)((sizeof rec.p + rec.p.host_len + rec.p.exe_len + 7) & ~7u));
}

/* Stops the writer, writes the last records and the END marker. Runs at exit and on fatal signals. */
static void finish(void) {
    if (!atomic_load(&g_started) || atomic_exchange(&g_closed, 1)) return;
    atomic_store(&g_stop, 1);
    sem_post(&g_wake);
    pthread_join(g_writer, NULL);
    t_is_writer = 1;
    drain();
    write_drops();
    struct mtcu_end e = {.h = {MTCU_REC_END, 0, 0}, .ts_mono_ns = now_ns(CLOCK_MONOTONIC), .records_written = g_records + 1};
    seal_and_write(&e, sizeof e);
    close(g_fd);
    g_fd = -1;
}

/* ---- process lifetime: fork, fatal signals, exit ------------------------------------------------- */

static void child_after_fork(void) {
    /* The parent's buffers belong to the parent's file; the child starts its own, lazily. */
    g_forked_from = (uint32_t)getppid();
    atomic_store(&g_sealed, NULL);
    atomic_store(&g_threads, NULL);
    atomic_store(&g_chunk_bytes, 0);
    atomic_store(&g_started, 0);
    atomic_store(&g_stop, 0);
    atomic_store(&g_closed, 0);
    atomic_store(&g_drop_full, 0);
    atomic_store(&g_drop_reentrant, 0);
    atomic_store(&g_drop_write, 0);
    if (g_fd >= 0) close(g_fd);
    g_fd = -1;
    t_state = NULL;
    g_once = (pthread_once_t)PTHREAD_ONCE_INIT;
    sem_init(&g_wake, 0, 0);
}

static const int fatal_signals[] = {SIGABRT, SIGTERM, SIGINT, SIGHUP, SIGSEGV, SIGBUS};

/* Installed only where the app left the default action, and reset on delivery: asks the writer for
 * one last drain (waiting at most 500 ms, with async-signal-safe calls only), then lets the signal
 * do what it would have done. */
static void on_fatal(int sig) {
    if (atomic_load(&g_started) && !t_is_writer) {
        uint64_t want = atomic_fetch_add(&g_flush_request, 1) + 1;
        sem_post(&g_wake);
        for (int i = 0; i < 500 && atomic_load(&g_flush_done) < want; i++) {
            struct timespec ms = {0, 1000000};
            nanosleep(&ms, NULL);
        }
    }
    if (sig != SIGSEGV && sig != SIGBUS) raise(sig); /* SIG_DFL again (SA_RESETHAND) */
}

static void install_fatal_handlers(void) {
    for (size_t i = 0; i < sizeof fatal_signals / sizeof *fatal_signals; i++) {
        struct sigaction old;
        if (sigaction(fatal_signals[i], NULL, &old) != 0 || old.sa_handler != SIG_DFL || (old.sa_flags & SA_SIGINFO)) continue;
        struct sigaction sa = {0};
        sa.sa_handler = on_fatal;
        sa.sa_flags = SA_RESETHAND | SA_NODEFER;
        sigemptyset(&sa.sa_mask);
        sigaction(fatal_signals[i], &sa, NULL);
    }
}

__attribute__((constructor)) static void hook_init(void) {
    const char *out = getenv("MEMTRACE_OUT");
    snprintf(cfg.dir, sizeof cfg.dir, "%s", out && *out ? out : ".");
    cfg.stack_depth = env_int("MEMTRACE_STACK_DEPTH", 16, 0, MTCU_MAX_FRAMES);
    cfg.meminfo_ms = env_int("MEMTRACE_MEMINFO_MS", 100, 0, 3600000);
    cfg.flush_ms = env_int("MEMTRACE_FLUSH_MS", 5, 1, 1000);
    cfg.buffer_cap = (uint64_t)env_int("MEMTRACE_BUFFER_MB", 64, 1, 65536) << 20;
    const char *unwind = getenv("MEMTRACE_UNWIND");
    cfg.unwind_fp = unwind && !strcmp(unwind, "fp");
    pthread_key_create(&g_key, thread_gone);
    sem_init(&g_wake, 0, 0);
    pthread_atfork(NULL, NULL, child_after_fork);
    if (cfg.stack_depth > 0) { void *warm[2]; backtrace(warm, 2); } /* loads libgcc_s now, not in a handler */
    /* A process linked against CUDA starts recording now, so no first call (perhaps from a signal
     * handler) has to open the log and start the writer; one that dlopens CUDA later starts lazily. */
    if (mt_resolve_init()) pthread_once(&g_once, start_once);
}

__attribute__((destructor)) static void hook_fini(void) { finish(); }

void mt_note_runtime(void) {
    if (!atomic_load_explicit(&g_runtime_seen, memory_order_relaxed)) atomic_store_explicit(&g_runtime_seen, 1, memory_order_relaxed);
}
