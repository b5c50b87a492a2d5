/* Shared state of libmemtrace_cuda.so. See hook_core.c for the buffering design. */
#ifndef MEMTRACE_HOOK_INTERNAL_H
#define MEMTRACE_HOOK_INTERNAL_H
#include <stdatomic.h>
#include <stdint.h>
#include "cuda_abi.h"
#include "mtcu_format.h"

#define MT_EXPORT __attribute__((visibility("default")))
/* For the dlsym interposer only. A sanitizer runtime resolves its interceptors through dlsym while it is
 * still initialising (its shadow memory not yet mapped), and dlsym(RTLD_NEXT, …) must reach the real
 * dlsym as a tail call: instrumentation would touch the shadow and add a frame. So these functions stay
 * uninstrumented in the ASan/TSan builds of the stress test. */
#define MT_NO_SANITIZE __attribute__((no_sanitize_address, no_sanitize_thread, no_sanitize_undefined))
#define MT_LOCAL __attribute__((visibility("hidden")))

/* One event as the wrappers fill it in; hook_core turns it into a record. */
struct mt_call {
    uint64_t ts_ns;                 /* 0: stamp at record time (after the call) */
    uint16_t op;
    int32_t result;
    int32_t device;
    uint64_t addr, size, stream, context, handle, aux;
};

/* hook_core.c */
MT_LOCAL int mt_enter(void);              /* 1 when this call should be recorded (not nested, not the writer) */
MT_LOCAL void mt_leave(void);
MT_LOCAL uint64_t mt_now(void);         /* CLOCK_MONOTONIC ns */
MT_LOCAL void mt_record(const struct mt_call *call);
MT_LOCAL void mt_note_device(int device);   /* a device seen in an event: meminfo samples it */
MT_LOCAL void mt_note_context(uint64_t ctx, int destroyed);
MT_LOCAL void mt_note_runtime(void);        /* the runtime API is in use: meminfo samples through it */

/* hook_resolve.c: the real entry points, resolved lazily and safely (NULL when absent). */
MT_LOCAL void *mt_real(int which);
MT_LOCAL void *mt_real_dlsym(void *handle, const char *name);
MT_LOCAL void *mt_substitute(void *fn);    /* our wrapper for a real driver entry point, else fn */
MT_LOCAL int mt_resolve_init(void); /* how many wrapped functions were found loaded */

/* hook_api.c: our wrapper for each mt_fn, NULL where we only call the real one. */
MT_LOCAL extern void *const mt_wrappers[];

/* Indices for mt_real(). Runtime first, then driver. */
enum mt_fn {
    F_cudaMalloc, F_cudaFree, F_cudaMallocAsync, F_cudaFreeAsync, F_cudaMallocFromPoolAsync, F_cudaMallocManaged,
    F_cudaMallocPitch, F_cudaMallocHost, F_cudaFreeHost, F_cudaGetDevice, F_cudaSetDevice, F_cudaMemGetInfo,
    F_cudaGetDriverEntryPoint, F_cudaGetDriverEntryPointByVersion,
    F_RUNTIME_END,
    F_cuMemAlloc_v2 = F_RUNTIME_END, F_cuMemFree_v2, F_cuMemAllocAsync, F_cuMemFreeAsync, F_cuMemAllocAsync_ptsz,
    F_cuMemFreeAsync_ptsz, F_cuMemAllocManaged, F_cuMemAllocPitch_v2, F_cuMemCreate, F_cuMemRelease, F_cuMemMap,
    F_cuMemUnmap, F_cuCtxCreate_v2, F_cuCtxDestroy_v2, F_cuCtxGetCurrent, F_cuCtxSetCurrent, F_cuCtxGetDevice,
    F_cuMemGetInfo_v2, F_cuGetProcAddress, F_cuGetProcAddress_v2,
    F_COUNT
};

#endif
