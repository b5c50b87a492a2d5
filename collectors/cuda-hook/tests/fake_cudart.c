/* A stand-in libcudart.so.12 that reaches the driver the way the real runtime does (CUDA >= 11.3):
 * dlopen("libcuda.so.1"), dlsym(handle, "cuGetProcAddress_v2"), then every driver entry point
 * through cuGetProcAddress. That is the path plain symbol interposition misses, so the hook's
 * dlsym/cuGetProcAddress handling and its nested-call suppression are exercised for real. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <pthread.h>
#include <stdlib.h>
#include "../src/cuda_abi.h"

typedef CUresult (*proc_fn)(const char *, void **, int, cuuint64_t, CUdriverProcAddressQueryResult *);

static struct {
    CUresult (*alloc)(CUdeviceptr *, size_t);
    CUresult (*free_)(CUdeviceptr);
    CUresult (*alloc_async)(CUdeviceptr *, size_t, CUstream);
    CUresult (*free_async)(CUdeviceptr, CUstream);
    CUresult (*alloc_pool)(CUdeviceptr *, size_t, cudaMemPool_t, CUstream);
    CUresult (*alloc_managed)(CUdeviceptr *, size_t, unsigned int);
    CUresult (*alloc_pitch)(CUdeviceptr *, size_t *, size_t, size_t, unsigned int);
    CUresult (*mem_info)(size_t *, size_t *);
    CUresult (*retain)(CUcontext *, CUdevice);
    CUresult (*set_current)(CUcontext);
    CUresult (*get_current)(CUcontext *);
    proc_fn proc;
} drv;
static pthread_once_t once = PTHREAD_ONCE_INIT;
static int ready;
static __thread int device = 0, bound = 0;

static void load(void) {
    void *h = dlopen("libcuda.so.1", RTLD_NOW | RTLD_LOCAL);
    if (!h || !(drv.proc = (proc_fn)dlsym(h, "cuGetProcAddress_v2"))) return;
    struct { const char *name; void **slot; } want[] = {
        {"cuMemAlloc", (void **)&drv.alloc}, {"cuMemFree", (void **)&drv.free_},
        {"cuMemAllocAsync", (void **)&drv.alloc_async}, {"cuMemFreeAsync", (void **)&drv.free_async},
        {"cuMemAllocFromPoolAsync", (void **)&drv.alloc_pool}, {"cuMemAllocManaged", (void **)&drv.alloc_managed},
        {"cuMemAllocPitch", (void **)&drv.alloc_pitch}, {"cuMemGetInfo", (void **)&drv.mem_info},
        {"cuDevicePrimaryCtxRetain", (void **)&drv.retain}, {"cuCtxSetCurrent", (void **)&drv.set_current},
        {"cuCtxGetCurrent", (void **)&drv.get_current},
    };
    for (size_t i = 0; i < sizeof want / sizeof *want; i++)
        if (drv.proc(want[i].name, want[i].slot, 12000, 0, NULL) != 0) return;
    ready = 1;
}

/* Like the real runtime: the first call on a thread binds the device's primary context. */
static int init(void) {
    pthread_once(&once, load);
    if (!ready) return 0;
    if (!bound) {
        CUcontext ctx;
        drv.retain(&ctx, device);
        drv.set_current(ctx);
        bound = 1;
    }
    return 1;
}

static cudaError_t rt(CUresult r) { return r == 0 ? 0 : r == MT_CUDA_ERROR_OOM ? 2 /* cudaErrorMemoryAllocation */ : 1; }
#define NEED_INIT if (!init()) return MT_CUDART_ERROR_INIT

cudaError_t cudaSetDevice(int d) {
    if (d < 0 || d > 1) return 101; /* cudaErrorInvalidDevice */
    device = d;
    bound = 0;
    return init() ? 0 : MT_CUDART_ERROR_INIT;
}
cudaError_t cudaGetDevice(int *d) { *d = device; return 0; }
cudaError_t cudaMalloc(void **p, size_t size) { NEED_INIT; return rt(drv.alloc((CUdeviceptr *)p, size)); }
cudaError_t cudaFree(void *p) { NEED_INIT; return p ? rt(drv.free_((CUdeviceptr)p)) : 0; }
cudaError_t cudaMallocAsync(void **p, size_t size, cudaStream_t s) { NEED_INIT; return rt(drv.alloc_async((CUdeviceptr *)p, size, s)); }
cudaError_t cudaFreeAsync(void *p, cudaStream_t s) { NEED_INIT; return rt(drv.free_async((CUdeviceptr)p, s)); }
cudaError_t cudaMallocFromPoolAsync(void **p, size_t size, cudaMemPool_t pool, cudaStream_t s) {
    NEED_INIT;
    return rt(drv.alloc_pool((CUdeviceptr *)p, size, pool, s));
}
cudaError_t cudaMallocManaged(void **p, size_t size, unsigned int flags) { NEED_INIT; return rt(drv.alloc_managed((CUdeviceptr *)p, size, flags)); }
cudaError_t cudaMallocPitch(void **p, size_t *pitch, size_t width, size_t height) {
    NEED_INIT;
    return rt(drv.alloc_pitch((CUdeviceptr *)p, pitch, width, height, 4));
}
cudaError_t cudaMallocHost(void **p, size_t size) { NEED_INIT; *p = malloc(size); return *p ? 0 : 2; }
cudaError_t cudaFreeHost(void *p) { free(p); return 0; }
cudaError_t cudaMemGetInfo(size_t *free_bytes, size_t *total) { NEED_INIT; return rt(drv.mem_info(free_bytes, total)); }
cudaError_t cudaGetDriverEntryPoint(const char *symbol, void **fn, unsigned long long flags, cudaDriverEntryPointQueryResult *status) {
    NEED_INIT;
    return rt(drv.proc(symbol, fn, 12000, flags, status));
}
cudaError_t cudaGetDriverEntryPointByVersion(const char *symbol, void **fn, unsigned int version, unsigned long long flags,
                                             cudaDriverEntryPointQueryResult *status) {
    NEED_INIT;
    return rt(drv.proc(symbol, fn, (int)version, flags, status));
}
