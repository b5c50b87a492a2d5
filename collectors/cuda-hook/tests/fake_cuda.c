/* A stand-in libcuda.so.1 for machines without a GPU: the real driver signatures, addresses handed
 * out from a simulated device range, capacity accounting so cuMemGetInfo moves, and OOM when a
 * request does not fit (FAKE_CUDA_MEM_BYTES, default 8 GiB per device). It knows nothing of the
 * hook: the hook reaches it exactly as it reaches the real driver. */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "../src/cuda_abi.h"

#define DEVICES 2
#define SHARDS 64
#define ERR_INVALID_VALUE 1
#define ERR_INVALID_CONTEXT 201

struct ctx { int device; };
struct entry { uint64_t key, size; struct entry *next; };

static struct ctx primary[DEVICES] = {{0}, {1}};
static _Atomic uint64_t next_addr[DEVICES], in_use[DEVICES], next_va = 0x600000000000ull, next_handle = 1;
static struct { pthread_mutex_t lock; struct entry *head; } shards[SHARDS];
static uint64_t capacity = 8ull << 30;
static __thread struct ctx *ctx_stack[8];
static __thread int ctx_depth;

/* Fork-safe like a well-behaved library: no shard lock is held across fork, so a child forked while
 * other threads allocate (the stress test) finds every lock free. */
static void lock_all(void) { for (int i = 0; i < SHARDS; i++) pthread_mutex_lock(&shards[i].lock); }
static void unlock_all(void) { for (int i = SHARDS - 1; i >= 0; i--) pthread_mutex_unlock(&shards[i].lock); }

__attribute__((constructor)) static void fake_init(void) {
    const char *cap = getenv("FAKE_CUDA_MEM_BYTES");
    if (cap && *cap) capacity = strtoull(cap, NULL, 10);
    for (int d = 0; d < DEVICES; d++) atomic_store(&next_addr[d], 0x7f0000000000ull + ((uint64_t)d << 40));
    for (int i = 0; i < SHARDS; i++) pthread_mutex_init(&shards[i].lock, NULL);
    pthread_atfork(lock_all, unlock_all, unlock_all);
}

static struct ctx *current(void) { return ctx_depth > 0 ? ctx_stack[ctx_depth - 1] : NULL; }

static int track(uint64_t key, uint64_t size) {
    struct entry *e = malloc(sizeof *e);
    if (!e) return 0;
    unsigned s = (unsigned)((key >> 8) * 0x9E3779B97F4A7C15ull >> 58);
    e->key = key; e->size = size;
    pthread_mutex_lock(&shards[s].lock);
    e->next = shards[s].head; shards[s].head = e;
    pthread_mutex_unlock(&shards[s].lock);
    return 1;
}

static int untrack(uint64_t key, uint64_t *size) {
    unsigned s = (unsigned)((key >> 8) * 0x9E3779B97F4A7C15ull >> 58);
    pthread_mutex_lock(&shards[s].lock);
    for (struct entry **p = &shards[s].head; *p; p = &(*p)->next) {
        if ((*p)->key != key) continue;
        struct entry *e = *p;
        *p = e->next;
        pthread_mutex_unlock(&shards[s].lock);
        *size = e->size;
        free(e);
        return 1;
    }
    pthread_mutex_unlock(&shards[s].lock);
    return 0;
}

/* Compare-and-swap, so a request that does not fit never makes others fail while it is refused. */
static int reserve_bytes(int device, uint64_t size) {
    uint64_t used = atomic_load(&in_use[device]);
    do {
        if (size > capacity || used + size > capacity) return 0;
    } while (!atomic_compare_exchange_weak(&in_use[device], &used, used + size));
    return 1;
}

static CUresult device_alloc(CUdeviceptr *dptr, size_t size, int device) {
    if (!dptr || size == 0) return ERR_INVALID_VALUE;
    if (!reserve_bytes(device, size)) return MT_CUDA_ERROR_OOM;
    uint64_t rounded = (size + 511) & ~511ull;
    *dptr = atomic_fetch_add(&next_addr[device], rounded);
    track(*dptr, size);
    return 0;
}

static CUresult alloc_here(CUdeviceptr *dptr, size_t size) {
    struct ctx *c = current();
    return c ? device_alloc(dptr, size, c->device) : ERR_INVALID_CONTEXT;
}

static CUresult device_free(CUdeviceptr p) {
    uint64_t size;
    if (!untrack(p, &size)) return ERR_INVALID_VALUE;
    int device = (int)((p - 0x7f0000000000ull) >> 40);
    atomic_fetch_sub(&in_use[device < DEVICES && device >= 0 ? device : 0], size);
    return 0;
}

CUresult cuDevicePrimaryCtxRetain(CUcontext *pctx, CUdevice dev) {
    if (!pctx || dev < 0 || dev >= DEVICES) return ERR_INVALID_VALUE;
    *pctx = (CUcontext)&primary[dev];
    return 0;
}
CUresult cuCtxSetCurrent(CUcontext ctx) {
    if (ctx_depth == 0) ctx_depth = 1;
    ctx_stack[ctx_depth - 1] = (struct ctx *)ctx;
    return 0;
}
CUresult cuCtxGetCurrent(CUcontext *pctx) { *pctx = (CUcontext)current(); return 0; }
CUresult cuCtxGetDevice(CUdevice *dev) {
    struct ctx *c = current();
    if (!c) return ERR_INVALID_CONTEXT;
    *dev = c->device;
    return 0;
}
CUresult cuCtxCreate_v2(CUcontext *pctx, unsigned int flags, CUdevice dev) {
    (void)flags;
    if (!pctx || dev < 0 || dev >= DEVICES || ctx_depth == 8) return ERR_INVALID_VALUE;
    struct ctx *c = malloc(sizeof *c);
    c->device = dev;
    ctx_stack[ctx_depth++] = c;
    *pctx = (CUcontext)c;
    return 0;
}
CUresult cuCtxDestroy_v2(CUcontext ctx) {
    if (ctx_depth > 0 && ctx_stack[ctx_depth - 1] == (struct ctx *)ctx) ctx_depth--;
    free(ctx);
    return 0;
}
CUresult cuMemGetInfo_v2(size_t *free_bytes, size_t *total) {
    struct ctx *c = current();
    if (!c) return ERR_INVALID_CONTEXT;
    *total = capacity;
    *free_bytes = capacity - atomic_load(&in_use[c->device]);
    return 0;
}
CUresult cuMemAlloc_v2(CUdeviceptr *dptr, size_t bytesize) { return alloc_here(dptr, bytesize); }
CUresult cuMemFree_v2(CUdeviceptr dptr) { return device_free(dptr); }
CUresult cuMemAllocAsync(CUdeviceptr *dptr, size_t bytesize, CUstream s) { (void)s; return alloc_here(dptr, bytesize); }
CUresult cuMemFreeAsync(CUdeviceptr dptr, CUstream s) { (void)s; return device_free(dptr); }
CUresult cuMemAllocAsync_ptsz(CUdeviceptr *dptr, size_t bytesize, CUstream s) { (void)s; return alloc_here(dptr, bytesize); }
CUresult cuMemFreeAsync_ptsz(CUdeviceptr dptr, CUstream s) { (void)s; return device_free(dptr); }
CUresult cuMemAllocFromPoolAsync(CUdeviceptr *dptr, size_t bytesize, cudaMemPool_t pool, CUstream s) {
    (void)pool; (void)s;
    return alloc_here(dptr, bytesize);
}
CUresult cuMemAllocManaged(CUdeviceptr *dptr, size_t bytesize, unsigned int flags) { (void)flags; return alloc_here(dptr, bytesize); }
CUresult cuMemAllocPitch_v2(CUdeviceptr *dptr, size_t *pitch, size_t width, size_t height, unsigned int elem) {
    (void)elem;
    if (!pitch) return ERR_INVALID_VALUE;
    *pitch = (width + 511) & ~(size_t)511;
    return alloc_here(dptr, *pitch * height);
}
CUresult cuMemAddressReserve(CUdeviceptr *ptr, size_t size, size_t align, CUdeviceptr addr, unsigned long long flags) {
    (void)align; (void)addr; (void)flags;
    *ptr = atomic_fetch_add(&next_va, (size + 0x1FFFFF) & ~0x1FFFFFull);
    return 0;
}
CUresult cuMemCreate(CUmemGenericAllocationHandle *handle, size_t size, const CUmemAllocationProp *prop, unsigned long long flags) {
    (void)flags;
    int device = prop ? prop->location.id : 0;
    if (!handle || device < 0 || device >= DEVICES) return ERR_INVALID_VALUE;
    if (!reserve_bytes(device, size)) return MT_CUDA_ERROR_OOM;
    *handle = atomic_fetch_add(&next_handle, 1) << 4 | (uint64_t)device;
    track(*handle, size);
    return 0;
}
CUresult cuMemRelease(CUmemGenericAllocationHandle handle) {
    uint64_t size;
    if (!untrack(handle, &size)) return ERR_INVALID_VALUE;
    atomic_fetch_sub(&in_use[handle & 15], size);
    return 0;
}
CUresult cuMemMap(CUdeviceptr ptr, size_t size, size_t offset, CUmemGenericAllocationHandle h, unsigned long long flags) {
    (void)size; (void)offset; (void)h; (void)flags;
    return ptr ? 0 : ERR_INVALID_VALUE;
}
CUresult cuMemUnmap(CUdeviceptr ptr, size_t size) { (void)size; return ptr ? 0 : ERR_INVALID_VALUE; }

/* cuGetProcAddress takes the base name; for cudaVersion >= 3020 the _v2 ABI is what it returns. */
static const struct { const char *name; void *fn; } procs[] = {
    {"cuMemAlloc", (void *)cuMemAlloc_v2}, {"cuMemFree", (void *)cuMemFree_v2},
    {"cuMemAllocAsync", (void *)cuMemAllocAsync}, {"cuMemFreeAsync", (void *)cuMemFreeAsync},
    {"cuMemAllocFromPoolAsync", (void *)cuMemAllocFromPoolAsync}, {"cuMemAllocManaged", (void *)cuMemAllocManaged},
    {"cuMemAllocPitch", (void *)cuMemAllocPitch_v2}, {"cuMemCreate", (void *)cuMemCreate},
    {"cuMemRelease", (void *)cuMemRelease}, {"cuMemMap", (void *)cuMemMap}, {"cuMemUnmap", (void *)cuMemUnmap},
    {"cuMemAddressReserve", (void *)cuMemAddressReserve}, {"cuCtxCreate", (void *)cuCtxCreate_v2},
    {"cuCtxDestroy", (void *)cuCtxDestroy_v2}, {"cuCtxGetCurrent", (void *)cuCtxGetCurrent},
    {"cuCtxSetCurrent", (void *)cuCtxSetCurrent}, {"cuCtxGetDevice", (void *)cuCtxGetDevice},
    {"cuMemGetInfo", (void *)cuMemGetInfo_v2}, {"cuDevicePrimaryCtxRetain", (void *)cuDevicePrimaryCtxRetain},
};
static const struct { const char *name; void *fn; } procs_ptsz[] = {
    {"cuMemAllocAsync", (void *)cuMemAllocAsync_ptsz}, {"cuMemFreeAsync", (void *)cuMemFreeAsync_ptsz},
};

CUresult cuGetProcAddress_v2(const char *symbol, void **pfn, int version, cuuint64_t flags, CUdriverProcAddressQueryResult *status) {
    (void)version;
    if (!symbol || !pfn) return ERR_INVALID_VALUE;
    if (flags & 2) { /* CU_GET_PROC_ADDRESS_PER_THREAD_DEFAULT_STREAM */
        for (size_t i = 0; i < sizeof procs_ptsz / sizeof *procs_ptsz; i++)
            if (!strcmp(symbol, procs_ptsz[i].name)) { *pfn = procs_ptsz[i].fn; if (status) *status = 0; return 0; }
    }
    for (size_t i = 0; i < sizeof procs / sizeof *procs; i++)
        if (!strcmp(symbol, procs[i].name)) { *pfn = procs[i].fn; if (status) *status = 0; return 0; }
    if (!strcmp(symbol, "cuGetProcAddress")) { *pfn = (void *)cuGetProcAddress_v2; return 0; }
    *pfn = NULL;
    if (status) *status = 1; /* CU_GET_PROC_ADDRESS_SYMBOL_NOT_FOUND */
    return MT_CUDA_ERROR_NOT_FOUND;
}
CUresult cuGetProcAddress(const char *symbol, void **pfn, int version, cuuint64_t flags) {
    return cuGetProcAddress_v2(symbol, pfn, version, flags, NULL);
}
