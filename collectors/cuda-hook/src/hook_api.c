/* The interposed CUDA runtime and driver entry points. Each one calls the real function first, then
 * records what happened; a call made from inside another hooked call (cudaMalloc → cuMemAlloc_v2
 * inside libcudart) is passed through unrecorded, so one user call is one event. When the real
 * library is missing the wrapper returns the API's "not initialized" code instead of crashing. */
#define _GNU_SOURCE
#include "hook_internal.h"

/* cudaGetDevice(int *) and cuCtxGetDevice(CUdevice *) share a signature: the calling thread's device, -1 if none. */
static int device_via(int which) {
    int d = -1;
    int (*get)(int *) = mt_real(which);
    if (!get || get(&d) != 0) d = -1;
    mt_note_device(d);
    return d;
}

static uint64_t current_context(void) {
    CUcontext ctx = 0;
    CUresult (*get)(CUcontext *) = mt_real(F_cuCtxGetCurrent);
    if (!get || get(&ctx) != 0) return 0;
    return (uint64_t)(uintptr_t)ctx;
}

/* One wrapper: resolve, call, and when this call is the outermost hooked one, fill and record.
 * Allocations are stamped when they return (the address exists from then on) and releases when
 * they are entered (the address may be handed out again from then on), so a reused address is
 * never seen allocated again before it was freed, whatever the threads' interleaving. */
#define WRAP_AT(stamp_before, ret, missing, fn, index, params, args, fill) \
    MT_EXPORT ret fn params {                                              \
        ret(*real) params = mt_real(index);                                \
        if (!real) return missing;                                         \
        int recording = mt_enter();                                        \
        uint64_t t0 = stamp_before && recording ? mt_now() : 0;            \
        ret r = real args;                                                 \
        if (recording) {                                                   \
            struct mt_call c = {.ts_ns = t0, .result = r};                 \
            fill;                                                          \
            mt_record(&c);                                                 \
        }                                                                  \
        mt_leave();                                                        \
        return r;                                                          \
    }
#define WRAP(...) WRAP_AT(0, __VA_ARGS__)
#define WRAP_RELEASE(...) WRAP_AT(1, __VA_ARGS__)

#define RT(op_) c.op = op_; c.device = device_via(F_cudaGetDevice); c.context = current_context(); mt_note_runtime()
#define DRV(op_) c.op = op_; c.device = device_via(F_cuCtxGetDevice); c.context = current_context(); mt_note_context(c.context, 0)
#define PTR(p) (r == 0 && (p) ? (uint64_t)(uintptr_t)*(p) : 0)
#define E_RT MT_CUDART_ERROR_INIT
#define E_DRV MT_CUDA_ERROR_NOT_INITIALIZED

/* ---- runtime API ---- */
WRAP(cudaError_t, E_RT, cudaMalloc, F_cudaMalloc, (void **devPtr, size_t size), (devPtr, size),
     RT(MTCU_cudaMalloc); c.addr = PTR(devPtr); c.size = size)
WRAP_RELEASE(cudaError_t, E_RT, cudaFree, F_cudaFree, (void *devPtr), (devPtr),
     RT(MTCU_cudaFree); c.addr = (uint64_t)(uintptr_t)devPtr)
WRAP(cudaError_t, E_RT, cudaMallocAsync, F_cudaMallocAsync, (void **devPtr, size_t size, cudaStream_t stream), (devPtr, size, stream),
     RT(MTCU_cudaMallocAsync); c.addr = PTR(devPtr); c.size = size; c.stream = (uint64_t)(uintptr_t)stream)
WRAP_RELEASE(cudaError_t, E_RT, cudaFreeAsync, F_cudaFreeAsync, (void *devPtr, cudaStream_t stream), (devPtr, stream),
     RT(MTCU_cudaFreeAsync); c.addr = (uint64_t)(uintptr_t)devPtr; c.stream = (uint64_t)(uintptr_t)stream)
WRAP(cudaError_t, E_RT, cudaMallocFromPoolAsync, F_cudaMallocFromPoolAsync,
     (void **ptr, size_t size, cudaMemPool_t pool, cudaStream_t stream), (ptr, size, pool, stream),
     RT(MTCU_cudaMallocFromPoolAsync); c.addr = PTR(ptr); c.size = size; c.handle = (uint64_t)(uintptr_t)pool;
     c.stream = (uint64_t)(uintptr_t)stream)
WRAP(cudaError_t, E_RT, cudaMallocManaged, F_cudaMallocManaged, (void **devPtr, size_t size, unsigned int flags), (devPtr, size, flags),
     RT(MTCU_cudaMallocManaged); c.addr = PTR(devPtr); c.size = size; c.aux = flags)
WRAP(cudaError_t, E_RT, cudaMallocPitch, F_cudaMallocPitch, (void **devPtr, size_t *pitch, size_t width, size_t height),
     (devPtr, pitch, width, height),
     RT(MTCU_cudaMallocPitch); c.addr = PTR(devPtr); c.aux = r == 0 && pitch ? *pitch : 0;
     c.size = r == 0 && pitch ? *pitch * height : width * height)
WRAP(cudaError_t, E_RT, cudaMallocHost, F_cudaMallocHost, (void **ptr, size_t size), (ptr, size),
     RT(MTCU_cudaMallocHost); c.addr = PTR(ptr); c.size = size)
WRAP_RELEASE(cudaError_t, E_RT, cudaFreeHost, F_cudaFreeHost, (void *ptr), (ptr),
     RT(MTCU_cudaFreeHost); c.addr = (uint64_t)(uintptr_t)ptr)

/* ---- driver API ---- */
WRAP(CUresult, E_DRV, cuMemAlloc_v2, F_cuMemAlloc_v2, (CUdeviceptr *dptr, size_t bytesize), (dptr, bytesize),
     DRV(MTCU_cuMemAlloc); c.addr = PTR(dptr); c.size = bytesize)
WRAP_RELEASE(CUresult, E_DRV, cuMemFree_v2, F_cuMemFree_v2, (CUdeviceptr dptr), (dptr),
     DRV(MTCU_cuMemFree); c.addr = dptr)
WRAP(CUresult, E_DRV, cuMemAllocAsync, F_cuMemAllocAsync, (CUdeviceptr *dptr, size_t bytesize, CUstream stream), (dptr, bytesize, stream),
     DRV(MTCU_cuMemAllocAsync); c.addr = PTR(dptr); c.size = bytesize; c.stream = (uint64_t)(uintptr_t)stream)
WRAP_RELEASE(CUresult, E_DRV, cuMemFreeAsync, F_cuMemFreeAsync, (CUdeviceptr dptr, CUstream stream), (dptr, stream),
     DRV(MTCU_cuMemFreeAsync); c.addr = dptr; c.stream = (uint64_t)(uintptr_t)stream)
/* Per-thread-default-stream builds (CUDA_API_PER_THREAD_DEFAULT_STREAM) call the _ptsz twins. */
WRAP(CUresult, E_DRV, cuMemAllocAsync_ptsz, F_cuMemAllocAsync_ptsz, (CUdeviceptr *dptr, size_t bytesize, CUstream stream), (dptr, bytesize, stream),
     DRV(MTCU_cuMemAllocAsync); c.addr = PTR(dptr); c.size = bytesize; c.stream = (uint64_t)(uintptr_t)stream)
WRAP_RELEASE(CUresult, E_DRV, cuMemFreeAsync_ptsz, F_cuMemFreeAsync_ptsz, (CUdeviceptr dptr, CUstream stream), (dptr, stream),
     DRV(MTCU_cuMemFreeAsync); c.addr = dptr; c.stream = (uint64_t)(uintptr_t)stream)
WRAP(CUresult, E_DRV, cuMemAllocManaged, F_cuMemAllocManaged, (CUdeviceptr *dptr, size_t bytesize, unsigned int flags), (dptr, bytesize, flags),
     DRV(MTCU_cuMemAllocManaged); c.addr = PTR(dptr); c.size = bytesize; c.aux = flags)
WRAP(CUresult, E_DRV, cuMemAllocPitch_v2, F_cuMemAllocPitch_v2,
     (CUdeviceptr *dptr, size_t *pPitch, size_t widthInBytes, size_t height, unsigned int elementSizeBytes),
     (dptr, pPitch, widthInBytes, height, elementSizeBytes),
     DRV(MTCU_cuMemAllocPitch); c.addr = PTR(dptr); c.aux = r == 0 && pPitch ? *pPitch : 0;
     c.size = r == 0 && pPitch ? *pPitch * height : widthInBytes * height)
/* VMM (PyTorch expandable segments): physical handles are created, mapped into reserved ranges,
 * unmapped and released. The device of a create is where the handle's memory lives. */
WRAP(CUresult, E_DRV, cuMemCreate, F_cuMemCreate,
     (CUmemGenericAllocationHandle *handle, size_t size, const CUmemAllocationProp *prop, unsigned long long flags),
     (handle, size, prop, flags),
     DRV(MTCU_cuMemCreate); c.handle = r == 0 && handle ? *handle : 0; c.size = size;
     if (prop && prop->location.type == 1) { c.device = prop->location.id; mt_note_device(c.device); })
WRAP_RELEASE(CUresult, E_DRV, cuMemRelease, F_cuMemRelease, (CUmemGenericAllocationHandle handle), (handle),
     DRV(MTCU_cuMemRelease); c.handle = handle)
WRAP(CUresult, E_DRV, cuMemMap, F_cuMemMap,
     (CUdeviceptr ptr, size_t size, size_t offset, CUmemGenericAllocationHandle handle, unsigned long long flags),
     (ptr, size, offset, handle, flags),
     DRV(MTCU_cuMemMap); c.addr = ptr; c.size = size; c.aux = offset; c.handle = handle)
WRAP_RELEASE(CUresult, E_DRV, cuMemUnmap, F_cuMemUnmap, (CUdeviceptr ptr, size_t size), (ptr, size),
     DRV(MTCU_cuMemUnmap); c.addr = ptr; c.size = size)
WRAP(CUresult, E_DRV, cuCtxCreate_v2, F_cuCtxCreate_v2, (CUcontext *pctx, unsigned int flags, CUdevice dev), (pctx, flags, dev),
     c.op = MTCU_cuCtxCreate; c.device = dev; c.aux = flags;
     c.context = r == 0 && pctx ? (uint64_t)(uintptr_t)*pctx : 0; mt_note_context(c.context, 0); mt_note_device(dev))
WRAP_RELEASE(CUresult, E_DRV, cuCtxDestroy_v2, F_cuCtxDestroy_v2, (CUcontext ctx), (ctx),
     c.op = MTCU_cuCtxDestroy; c.device = -1; c.context = (uint64_t)(uintptr_t)ctx; mt_note_context(c.context, 1))

/* ---- dynamic lookups: hand out our wrappers for the real functions ---- */
#define LOOKUP(ret, missing, fn, index, params, args, out)                  \
    MT_EXPORT ret fn params {                                               \
        ret(*real) params = mt_real(index);                                 \
        if (!real) return missing;                                          \
        ret r = real args;                                                  \
        if (r == 0 && (out)) *(out) = mt_substitute(*(out));                \
        return r;                                                           \
    }

LOOKUP(CUresult, E_DRV, cuGetProcAddress, F_cuGetProcAddress,
       (const char *symbol, void **pfn, int cudaVersion, cuuint64_t flags), (symbol, pfn, cudaVersion, flags), pfn)
LOOKUP(CUresult, E_DRV, cuGetProcAddress_v2, F_cuGetProcAddress_v2,
       (const char *symbol, void **pfn, int cudaVersion, cuuint64_t flags, CUdriverProcAddressQueryResult *status),
       (symbol, pfn, cudaVersion, flags, status), pfn)
LOOKUP(cudaError_t, E_RT, cudaGetDriverEntryPoint, F_cudaGetDriverEntryPoint,
       (const char *symbol, void **funcPtr, unsigned long long flags, cudaDriverEntryPointQueryResult *status),
       (symbol, funcPtr, flags, status), funcPtr)
LOOKUP(cudaError_t, E_RT, cudaGetDriverEntryPointByVersion, F_cudaGetDriverEntryPointByVersion,
       (const char *symbol, void **funcPtr, unsigned int cudaVersion, unsigned long long flags, cudaDriverEntryPointQueryResult *status),
       (symbol, funcPtr, cudaVersion, flags, status), funcPtr)

void *const mt_wrappers[F_COUNT] = {
    [F_cudaMalloc] = (void *)cudaMalloc, [F_cudaFree] = (void *)cudaFree, [F_cudaMallocAsync] = (void *)cudaMallocAsync,
    [F_cudaFreeAsync] = (void *)cudaFreeAsync, [F_cudaMallocFromPoolAsync] = (void *)cudaMallocFromPoolAsync,
    [F_cudaMallocManaged] = (void *)cudaMallocManaged, [F_cudaMallocPitch] = (void *)cudaMallocPitch,
    [F_cudaMallocHost] = (void *)cudaMallocHost, [F_cudaFreeHost] = (void *)cudaFreeHost,
    [F_cudaGetDriverEntryPoint] = (void *)cudaGetDriverEntryPoint,
    [F_cudaGetDriverEntryPointByVersion] = (void *)cudaGetDriverEntryPointByVersion,
    [F_cuMemAlloc_v2] = (void *)cuMemAlloc_v2, [F_cuMemFree_v2] = (void *)cuMemFree_v2,
    [F_cuMemAllocAsync] = (void *)cuMemAllocAsync, [F_cuMemFreeAsync] = (void *)cuMemFreeAsync,
    [F_cuMemAllocAsync_ptsz] = (void *)cuMemAllocAsync_ptsz, [F_cuMemFreeAsync_ptsz] = (void *)cuMemFreeAsync_ptsz,
    [F_cuMemAllocManaged] = (void *)cuMemAllocManaged, [F_cuMemAllocPitch_v2] = (void *)cuMemAllocPitch_v2,
    [F_cuMemCreate] = (void *)cuMemCreate, [F_cuMemRelease] = (void *)cuMemRelease, [F_cuMemMap] = (void *)cuMemMap,
    [F_cuMemUnmap] = (void *)cuMemUnmap, [F_cuCtxCreate_v2] = (void *)cuCtxCreate_v2,
    [F_cuCtxDestroy_v2] = (void *)cuCtxDestroy_v2, [F_cuGetProcAddress] = (void *)cuGetProcAddress,
    [F_cuGetProcAddress_v2] = (void *)cuGetProcAddress_v2,
};
