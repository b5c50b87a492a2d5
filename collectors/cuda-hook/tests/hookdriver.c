/* Test program for the CUDA hook. It calls the fake runtime and driver through every route an app
 * uses (PLT calls, cuGetProcAddress pointers, cudaGetDriverEntryPoint pointers) and writes its own
 * ground truth: one TSV line per top-level call, "pid tid op device addr size rc stream handle aux",
 * which the importer's output must match event for event. It has no knowledge of the hook.
 *
 *   hookdriver mix THREADS ITERS TRUTH     mixed calls on THREADS threads, truth written at the end
 *   hookdriver fork ITERS TRUTH            parent, fork, child (writes TRUTH.child), parent again
 *   hookdriver kill THREADS TRUTH          calls forever, each truth line written as it happens
 *   hookdriver fsize ITERS TRUTH           runs under a 64 KiB RLIMIT_FSIZE, then lifts it
 *   hookdriver abort ITERS TRUTH           ITERS calls, truth written, then abort()
 *   hookdriver stress THREADS ITERS TRUTH FORK
 *                                          mix on THREADS threads under a 256 KiB RLIMIT_FSIZE, SIGUSR1 every
 *                                          200 us whose handler calls cudaMalloc, and (FORK=fork) a fork once
 *                                          half the calls are done; prints the program's own results
 *   hookdriver lookup                      checks what dlsym / cudaGetDriverEntryPoint return
 *   hookdriver bench N                     ns per cudaMalloc+cudaFree and cuMemAlloc+cuMemFree pair */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "../src/cuda_abi.h"
#include "../src/mtcu_format.h"

cudaError_t cudaMalloc(void **, size_t);
cudaError_t cudaFree(void *);
cudaError_t cudaMallocAsync(void **, size_t, cudaStream_t);
cudaError_t cudaFreeAsync(void *, cudaStream_t);
cudaError_t cudaMallocFromPoolAsync(void **, size_t, cudaMemPool_t, cudaStream_t);
cudaError_t cudaMallocManaged(void **, size_t, unsigned int);
cudaError_t cudaMallocPitch(void **, size_t *, size_t, size_t);
cudaError_t cudaMallocHost(void **, size_t);
cudaError_t cudaFreeHost(void *);
cudaError_t cudaSetDevice(int);
cudaError_t cudaGetDriverEntryPoint(const char *, void **, unsigned long long, cudaDriverEntryPointQueryResult *);
CUresult cuMemAlloc_v2(CUdeviceptr *, size_t);
CUresult cuMemFree_v2(CUdeviceptr);
CUresult cuMemAllocManaged(CUdeviceptr *, size_t, unsigned int);
CUresult cuMemAllocPitch_v2(CUdeviceptr *, size_t *, size_t, size_t, unsigned int);
CUresult cuMemAddressReserve(CUdeviceptr *, size_t, size_t, CUdeviceptr, unsigned long long);
CUresult cuMemCreate(CUmemGenericAllocationHandle *, size_t, const CUmemAllocationProp *, unsigned long long);
CUresult cuMemRelease(CUmemGenericAllocationHandle);
CUresult cuMemMap(CUdeviceptr, size_t, size_t, CUmemGenericAllocationHandle, unsigned long long);
CUresult cuMemUnmap(CUdeviceptr, size_t);
CUresult cuCtxCreate_v2(CUcontext *, unsigned int, CUdevice);
CUresult cuCtxDestroy_v2(CUcontext);
CUresult cuGetProcAddress_v2(const char *, void **, int, cuuint64_t, CUdriverProcAddressQueryResult *);

struct truth { char *buf; size_t len, cap; int fd; long calls, rc_sum; };    /* fd >= 0: write each line at once */
struct worker { int index, iters, forever; struct truth t; };

static _Atomic long g_progress; /* calls made by all workers: the stress run forks at half */

static void say(struct truth *t, int op, int device, uint64_t addr, uint64_t size, int rc, uint64_t stream, uint64_t handle, uint64_t aux) {
    char line[256];
    t->calls++;
    t->rc_sum += rc;
    atomic_fetch_add(&g_progress, 1);
    int n = snprintf(line, sizeof line, "%d\t%ld\t%d\t%d\t%llu\t%llu\t%d\t%llu\t%llu\t%llu\n", (int)getpid(), (long)syscall(SYS_gettid), op, device,
                     (unsigned long long)addr, (unsigned long long)size, rc, (unsigned long long)stream, (unsigned long long)handle, (unsigned long long)aux);
    if (t->fd >= 0) { if (write(t->fd, line, (size_t)n) != n) abort(); return; }
    if (t->len + (size_t)n > t->cap) { t->cap = t->cap * 2 + 4096; t->buf = realloc(t->buf, t->cap); }
    memcpy(t->buf + t->len, line, (size_t)n);
    t->len += (size_t)n;
}

static uint64_t rng(uint64_t *s) { *s ^= *s << 13; *s ^= *s >> 7; *s ^= *s << 17; return *s; }

#define LIVE 64
struct live { uint64_t addr[LIVE]; int op[LIVE]; int n; };

static void release_one(struct truth *t, struct live *l, int i, int device, uint64_t stream,
                        CUresult (*free_async)(CUdeviceptr, CUstream)) {
    uint64_t a = l->addr[i];
    int op = l->op[i], rc;
    switch (op) {
    case MTCU_cudaMallocAsync: case MTCU_cudaMallocFromPoolAsync:
        rc = cudaFreeAsync((void *)a, (cudaStream_t)stream); say(t, MTCU_cudaFreeAsync, device, a, 0, rc, stream, 0, 0); break;
    case MTCU_cudaMallocHost:
        rc = cudaFreeHost((void *)a); say(t, MTCU_cudaFreeHost, device, a, 0, rc, 0, 0, 0); break;
    case MTCU_cuMemAlloc: case MTCU_cuMemAllocManaged: case MTCU_cuMemAllocPitch:
        rc = cuMemFree_v2(a); say(t, MTCU_cuMemFree, device, a, 0, rc, 0, 0, 0); break;
    case MTCU_cuMemAllocAsync:
        rc = free_async(a, (CUstream)stream); say(t, MTCU_cuMemFreeAsync, device, a, 0, rc, stream, 0, 0); break;
    default:
        rc = cudaFree((void *)a); say(t, MTCU_cudaFree, device, a, 0, rc, 0, 0, 0); break;
    }
    l->addr[i] = l->addr[--l->n];
    l->op[i] = l->op[l->n];
}

static void *work(void *arg) {
    struct worker *w = arg;
    struct truth *t = &w->t;
    int device = w->index % 2;
    uint64_t s = 0x9E3779B97F4A7C15ull * (uint64_t)(w->index + 1), stream = (uint64_t)(w->index * 16 + 1);
    struct live l = {.n = 0};
    CUresult (*alloc_async)(CUdeviceptr *, size_t, CUstream) = NULL;
    CUresult (*free_async)(CUdeviceptr, CUstream) = NULL;
    cudaSetDevice(device);
    cuGetProcAddress_v2("cuMemAllocAsync", (void **)&alloc_async, 12000, 0, NULL);
    cudaGetDriverEntryPoint("cuMemFreeAsync", (void **)&free_async, 0, NULL);
    for (int k = 0; w->forever || k < w->iters; k++) {
        uint64_t r = rng(&s);
        size_t size = (size_t)(1 + (r >> 20) % (1 << 20));
        int choice = (int)(r % 15), rc;
        if (l.n == LIVE || (l.n > 0 && choice >= 12)) { release_one(t, &l, (int)(r >> 40) % l.n, device, stream, free_async); continue; }
        void *p = NULL;
        CUdeviceptr d = 0;
        size_t pitch = 0;
        int op;
        switch (choice) {
        case 0: op = MTCU_cudaMalloc; rc = cudaMalloc(&p, size); say(t, op, device, rc ? 0 : (uint64_t)p, size, rc, 0, 0, 0); break;
        case 1: op = MTCU_cudaMallocAsync; rc = cudaMallocAsync(&p, size, (cudaStream_t)stream); say(t, op, device, rc ? 0 : (uint64_t)p, size, rc, stream, 0, 0); break;
        case 2: op = MTCU_cudaMallocFromPoolAsync; rc = cudaMallocFromPoolAsync(&p, size, (cudaMemPool_t)0x5000, (cudaStream_t)stream);
            say(t, op, device, rc ? 0 : (uint64_t)p, size, rc, stream, 0x5000, 0); break;
        case 3: op = MTCU_cudaMallocManaged; rc = cudaMallocManaged(&p, size, 1); say(t, op, device, rc ? 0 : (uint64_t)p, size, rc, 0, 0, 1); break;
        case 4: op = MTCU_cudaMallocPitch; rc = cudaMallocPitch(&p, &pitch, size % 4000 + 1, 8);
            say(t, op, device, rc ? 0 : (uint64_t)p, rc ? (size % 4000 + 1) * 8 : pitch * 8, rc, 0, 0, rc ? 0 : pitch); break;
        case 5: op = MTCU_cudaMallocHost; rc = cudaMallocHost(&p, size % 4096 + 1); say(t, op, device, rc ? 0 : (uint64_t)p, size % 4096 + 1, rc, 0, 0, 0); break;
        case 6: op = MTCU_cuMemAlloc; rc = cuMemAlloc_v2(&d, size); p = (void *)d; say(t, op, device, rc ? 0 : d, size, rc, 0, 0, 0); break;
        case 7: op = MTCU_cuMemAllocAsync; rc = alloc_async(&d, size, (CUstream)stream); p = (void *)d; say(t, op, device, rc ? 0 : d, size, rc, stream, 0, 0); break;
        case 8: op = MTCU_cuMemAllocManaged; rc = cuMemAllocManaged(&d, size, 1); p = (void *)d; say(t, op, device, rc ? 0 : d, size, rc, 0, 0, 1); break;
        case 9: op = MTCU_cuMemAllocPitch; rc = cuMemAllocPitch_v2(&d, &pitch, 300, 3, 4); p = (void *)d;
            say(t, op, device, rc ? 0 : d, rc ? 900 : pitch * 3, rc, 0, 0, rc ? 0 : pitch); break;
        case 10: { /* expandable-segment style: reserve, create, map, unmap, release */
            CUdeviceptr va; CUmemGenericAllocationHandle h = 0;
            CUmemAllocationProp prop = {.type = 1, .location = {1, device}};
            cuMemAddressReserve(&va, 2 << 20, 0, 0, 0);
            rc = cuMemCreate(&h, 2 << 20, &prop, 0); say(t, MTCU_cuMemCreate, device, 0, 2 << 20, rc, 0, rc ? 0 : h, 0);
            rc = cuMemMap(va, 2 << 20, 0, h, 0); say(t, MTCU_cuMemMap, device, va, 2 << 20, rc, 0, h, 0);
            rc = cuMemUnmap(va, 2 << 20); say(t, MTCU_cuMemUnmap, device, va, 2 << 20, rc, 0, 0, 0);
            rc = cuMemRelease(h); say(t, MTCU_cuMemRelease, device, 0, 0, rc, 0, h, 0);
            continue; }
        default: /* an allocation that cannot fit: OOM */
            if (k % 7 == 0) {
                CUcontext ctx;
                rc = cuCtxCreate_v2(&ctx, 0, device); say(t, MTCU_cuCtxCreate, device, 0, 0, rc, 0, 0, 0);
                rc = cuCtxDestroy_v2(ctx); say(t, MTCU_cuCtxDestroy, device, 0, 0, rc, 0, 0, 0); /* the importer recovers it from the create */
                continue;
            }
            op = MTCU_cudaMalloc; rc = cudaMalloc(&p, (size_t)1 << 50); say(t, op, device, 0, (size_t)1 << 50, rc, 0, 0, 0); continue;
        }
        if (rc == 0) { l.addr[l.n] = (uint64_t)p; l.op[l.n++] = op; }
    }
    while (l.n > 0) release_one(t, &l, l.n - 1, device, stream, free_async);
    return NULL;
}

static void flush_truth(struct truth *t, const char *path) {
    int fd = open(path, O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (fd < 0 || write(fd, t->buf, t->len) != (ssize_t)t->len) { perror(path); exit(2); }
    close(fd);
    free(t->buf); /* leak-free, so LeakSanitizer in the stress run speaks of the hook only */
    *t = (struct truth){.fd = t->fd, .calls = t->calls, .rc_sum = t->rc_sum};
}

static int run_threads(int threads, int iters, int forever, int fd, const char *truth) {
    pthread_t tids[64];
    struct worker w[64];
    if (threads > 64) threads = 64;
    for (int i = 0; i < threads; i++) {
        w[i] = (struct worker){.index = i, .iters = iters, .forever = forever, .t = {.fd = fd}};
        pthread_create(&tids[i], NULL, work, &w[i]);
    }
    for (int i = 0; i < threads; i++) pthread_join(tids[i], NULL);
    for (int i = 0; i < threads && truth; i++) flush_truth(&w[i].t, truth);
    return 0;
}

static double ns_per(int n, int driver) {
    struct timespec a, b;
    clock_gettime(CLOCK_MONOTONIC, &a);
    for (int i = 0; i < n; i++) {
        if (driver) { CUdeviceptr d; cuMemAlloc_v2(&d, 256); cuMemFree_v2(d); }
        else { void *p; cudaMalloc(&p, 256); cudaFree(p); }
    }
    clock_gettime(CLOCK_MONOTONIC, &b);
    return ((b.tv_sec - a.tv_sec) * 1e9 + (b.tv_nsec - a.tv_nsec)) / (2.0 * n);
}

/* ---- stress: threads, a fork, signals and a full disk at once ----------------------------------- */
static _Atomic long g_handler_calls, g_handler_failures;
static _Atomic int g_stop;

static void on_usr1(int sig) {
    (void)sig;
    void *p = NULL;
    /* A CUDA call from a signal handler: the hook must neither deadlock nor corrupt its buffers. The request
     * cannot fit, so the fake library answers OOM lock-free and malloc-free; anything the handler then
     * does that is not async-signal-safe is the hook's doing, and TSan reports it. */
    if (cudaMalloc(&p, (size_t)1 << 50) == 0) atomic_fetch_add(&g_handler_failures, 1);
    atomic_fetch_add(&g_handler_calls, 1);
}

static void *signaller(void *arg) {
    (void)arg;
    struct timespec nap = {0, 200 * 1000L};
    while (!atomic_load(&g_stop)) { kill(getpid(), SIGUSR1); nanosleep(&nap, NULL); }
    return NULL;
}

static int stress(int threads, int iters, const char *truth, int do_fork) {
    cudaSetDevice(0); /* the app initialises CUDA before it can take a signal that calls it */
    struct rlimit old, low;
    getrlimit(RLIMIT_FSIZE, &old);
    low = (struct rlimit){256 * 1024, old.rlim_max};
    signal(SIGXFSZ, SIG_IGN);
    struct sigaction sa = {0};
    sa.sa_handler = on_usr1;
    sa.sa_flags = SA_RESTART;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGUSR1, &sa, NULL);
    setrlimit(RLIMIT_FSIZE, &low);

    pthread_t tids[64], sig;
    struct worker w[64];
    if (threads > 64) threads = 64;
    pthread_create(&sig, NULL, signaller, NULL);
    for (int i = 0; i < threads; i++) {
        w[i] = (struct worker){.index = i, .iters = iters, .t = {.fd = -1}};
        pthread_create(&tids[i], NULL, work, &w[i]);
    }
    /* Fork in the middle: the child inherits the hook mid-flight with eight threads' buffers half full. */
    struct timespec poll = {0, 1000000L};
    while (do_fork && atomic_load(&g_progress) < (long)threads * iters / 2) nanosleep(&poll, NULL);
    fflush(stdout); /* nothing buffered to be printed twice */
    pid_t child = do_fork ? fork() : -1;
    if (child == 0) {
        struct worker c = {.index = threads, .iters = iters / 4, .t = {.fd = -1}};
        char path[1024];
        work(&c);
        snprintf(path, sizeof path, "%s.child", truth);
        setrlimit(RLIMIT_FSIZE, &old);
        flush_truth(&c.t, path);
        printf("child calls=%ld rc_sum=%ld\n", c.t.calls, c.t.rc_sum);
        /* _exit, as forked workers do: no atexit work in a child of a multi-threaded parent (LeakSanitizer
         * and TSan cannot run theirs there). The hook's destructor does not run either, so the child's
         * log has no END record and may lack the last flush period of calls: the importer says so. */
        _exit(0);
    }
    for (int i = 0; i < threads; i++) pthread_join(tids[i], NULL);
    atomic_store(&g_stop, 1);
    pthread_join(sig, NULL);
    int status = 0;
    if (child > 0) waitpid(child, &status, 0);
    struct timespec nap = {0, 100 * 1000000L};
    nanosleep(&nap, NULL); /* let the hook's writer meet the limit before it is lifted */
    setrlimit(RLIMIT_FSIZE, &old);
    for (int i = 0; i < threads; i++) {
        flush_truth(&w[i].t, truth);
        printf("thread %d calls=%ld rc_sum=%ld\n", i, w[i].t.calls, w[i].t.rc_sum);
    }
    printf("handler calls>0=%d failures=%ld child_exit=%d\n", atomic_load(&g_handler_calls) > 0, atomic_load(&g_handler_failures),
           WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
    return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : 3;
}

int main(int argc, char **argv) {
    const char *mode = argc > 1 ? argv[1] : "";
    if (!strcmp(mode, "mix") && argc == 5) return run_threads(atoi(argv[2]), atoi(argv[3]), 0, -1, argv[4]);
    if (!strcmp(mode, "stress") && argc == 6) return stress(atoi(argv[2]), atoi(argv[3]), argv[4], !strcmp(argv[5], "fork"));
    if (!strcmp(mode, "kill") && argc == 4) {
        int fd = open(argv[3], O_WRONLY | O_CREAT | O_APPEND, 0644);
        return run_threads(atoi(argv[2]), 0, 1, fd, NULL);
    }
    if (!strcmp(mode, "fork") && argc == 4) {
        struct worker w = {.index = 0, .iters = atoi(argv[2]), .t = {.fd = -1}};
        work(&w);
        pid_t child = fork();
        if (child == 0) {
            struct worker c = {.index = 1, .iters = atoi(argv[2]), .t = {.fd = -1}};
            char path[1024];
            snprintf(path, sizeof path, "%s.child", argv[3]);
            work(&c);
            flush_truth(&c.t, path);
            exit(0);
        }
        work(&w);
        int status;
        waitpid(child, &status, 0);
        flush_truth(&w.t, argv[3]);
        return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : 3;
    }
    if (!strcmp(mode, "fsize") && argc == 4) {
        struct rlimit old, low;
        getrlimit(RLIMIT_FSIZE, &old);
        low = (struct rlimit){64 * 1024, old.rlim_max};
        signal(SIGXFSZ, SIG_IGN); /* write() then fails with EFBIG instead of killing us */
        setrlimit(RLIMIT_FSIZE, &low);
        struct worker w = {.index = 0, .iters = atoi(argv[2]), .t = {.fd = -1}};
        work(&w);
        struct timespec nap = {0, 100 * 1000000L};
        nanosleep(&nap, NULL); /* let the writer meet the limit */
        setrlimit(RLIMIT_FSIZE, &old);
        flush_truth(&w.t, argv[3]);
        return 0;
    }
    if (!strcmp(mode, "abort") && argc == 4) {
        struct worker w = {.index = 0, .iters = atoi(argv[2]), .t = {.fd = -1}};
        work(&w);
        flush_truth(&w.t, argv[3]);
        abort();
    }
    if (!strcmp(mode, "lookup")) {
        /* With the hook preloaded, the object after this executable is the hook, so RTLD_NEXT from
         * here must find the hook's cudaMalloc: proof the hook kept the caller's identity. */
        void *next = dlsym(RTLD_NEXT, "cudaMalloc"), *global = dlsym(RTLD_DEFAULT, "cudaMalloc");
        void *entry = NULL, *driver = dlsym(RTLD_DEFAULT, "cuMemAlloc_v2");
        cudaGetDriverEntryPoint("cuMemAlloc", &entry, 0, NULL);
        void *h = dlopen("libcuda.so.1", RTLD_NOW | RTLD_NOLOAD), *by_handle = h ? dlsym(h, "cuMemAlloc_v2") : NULL;
        printf("rtld_next_is_global=%d entry_is_global=%d handle_is_global=%d\n", next == global, entry == driver, by_handle == driver);
        return 0;
    }
    if (!strcmp(mode, "bench") && argc == 3) {
        int n = atoi(argv[2]);
        cudaSetDevice(0);
        ns_per(n / 10 + 1, 0);
        ns_per(n / 10 + 1, 1);
        printf("runtime_ns=%.1f driver_ns=%.1f\n", ns_per(n, 0), ns_per(n, 1));
        return 0;
    }
    fprintf(stderr, "usage: see the comment at the top of hookdriver.c\n");
    return 2;
}
