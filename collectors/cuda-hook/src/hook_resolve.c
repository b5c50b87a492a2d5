/* Finding the real CUDA entry points, and keeping callers that look them up dynamically on our wrappers.
 *
 * Plain LD_PRELOAD interposition only catches calls bound through the global symbol scope. Three
 * other routes reach the driver and must be covered:
 *  - libcudart (CUDA >= 11.3) dlopen()s libcuda.so.1 and dlsym()s "cuGetProcAddress_v2" on that
 *    handle, then resolves every driver call through it;
 *  - PyTorch's c10/cuda/driver_api.cpp resolves cuMemCreate/cuMemMap (expandable segments) either
 *    with dlsym(handle, "cuMemCreate") or with cudaGetDriverEntryPoint;
 *  - a library loaded RTLD_LOCAL (Python extensions) is invisible to dlsym(RTLD_NEXT).
 * So the hook wraps dlsym, cuGetProcAddress(_v2) and cudaGetDriverEntryPoint(ByVersion), and swaps
 * a returned pointer for our wrapper only when it is exactly the real function we wrap (pointer
 * identity, so a different ABI version such as cuCtxCreate_v4 is passed through untouched). */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <link.h>
#include <stdatomic.h>
#include <string.h>
#include "hook_internal.h"

static const char *const fn_names[F_COUNT] = {
    "cudaMalloc", "cudaFree", "cudaMallocAsync", "cudaFreeAsync", "cudaMallocFromPoolAsync", "cudaMallocManaged",
    "cudaMallocPitch", "cudaMallocHost", "cudaFreeHost", "cudaGetDevice", "cudaSetDevice", "cudaMemGetInfo",
    "cudaGetDriverEntryPoint", "cudaGetDriverEntryPointByVersion",
    "cuMemAlloc_v2", "cuMemFree_v2", "cuMemAllocAsync", "cuMemFreeAsync", "cuMemAllocAsync_ptsz",
    "cuMemFreeAsync_ptsz", "cuMemAllocManaged", "cuMemAllocPitch_v2", "cuMemCreate", "cuMemRelease", "cuMemMap",
    "cuMemUnmap", "cuCtxCreate_v2", "cuCtxDestroy_v2", "cuCtxGetCurrent", "cuCtxSetCurrent", "cuCtxGetDevice",
    "cuMemGetInfo_v2", "cuGetProcAddress", "cuGetProcAddress_v2",
};

static void *_Atomic real_fns[F_COUNT];
static void *(*_Atomic real_dlsym_fn)(void *, const char *);

MT_NO_SANITIZE static void *(*dlsym_impl(void))(void *, const char *) {
    void *(*f)(void *, const char *) = atomic_load_explicit(&real_dlsym_fn, memory_order_acquire);
    if (f) return f;
    /* dlvsym is not interposed, so this finds libc's (glibc >= 2.34) or libdl's dlsym. */
    static const char *const versions[] = {"GLIBC_2.34", "GLIBC_2.2.5", "GLIBC_2.17", "GLIBC_2.0"};
    for (size_t i = 0; i < sizeof versions / sizeof *versions && !f; i++) f = (void *(*)(void *, const char *))dlvsym(RTLD_NEXT, "dlsym", versions[i]);
    atomic_store_explicit(&real_dlsym_fn, f, memory_order_release);
    return f;
}

void *mt_real_dlsym(void *handle, const char *name) {
    void *(*f)(void *, const char *) = dlsym_impl();
    return f ? f(handle, name) : NULL;
}

struct find_lib { const char *stem; char path[1024]; };

static int find_loaded(struct dl_phdr_info *info, size_t size, void *arg) {
    (void)size;
    struct find_lib *want = arg;
    const char *base = strrchr(info->dlpi_name, '/');
    base = base ? base + 1 : info->dlpi_name;
    size_t n = strlen(want->stem);
    if (strncmp(base, want->stem, n) != 0 || (base[n] != 0 && base[n] != '.')) return 0;
    strncpy(want->path, info->dlpi_name, sizeof want->path - 1);
    return 1;
}

/* A symbol of an already-loaded libcudart/libcuda, even one loaded RTLD_LOCAL. Never loads a library. */
static void *from_loaded(const char *stem, const char *name) {
    struct find_lib want = {.stem = stem, .path = ""};
    if (!dl_iterate_phdr(find_loaded, &want)) return NULL;
    void *h = dlopen(want.path, RTLD_LAZY | RTLD_NOLOAD);
    if (!h) return NULL;
    void *f = mt_real_dlsym(h, name);
    dlclose(h); /* NOLOAD took a reference; the library stays loaded */
    return f;
}

void *mt_real(int which) {
    void *f = atomic_load_explicit(&real_fns[which], memory_order_acquire);
    if (f) return f;
    f = mt_real_dlsym(RTLD_NEXT, fn_names[which]);
    if (!f) f = from_loaded(which < F_RUNTIME_END ? "libcudart.so" : "libcuda.so", fn_names[which]);
    if (f == mt_wrappers[which]) f = NULL; /* never call ourselves */
    if (f) atomic_store_explicit(&real_fns[which], f, memory_order_release);
    return f; /* NULL is not cached: the library may be loaded later */
}

void *mt_substitute(void *fn) {
    if (!fn) return fn;
    for (int i = 0; i < F_COUNT; i++) {
        if (mt_wrappers[i] && atomic_load_explicit(&real_fns[i], memory_order_relaxed) == fn) return mt_wrappers[i];
    }
    /* Not resolved yet (first lookup before any call): resolve the wrapped ones and try again. */
    for (int i = 0; i < F_COUNT; i++) {
        if (mt_wrappers[i] && !atomic_load_explicit(&real_fns[i], memory_order_relaxed) && mt_real(i) == fn) return mt_wrappers[i];
    }
    return fn;
}

/* Resolves every wrapped function the process has loaded now, at load time: a first call made from a
 * signal handler must not be the one that runs dlsym (it takes locks and mallocs; found by TSan in the
 * stress test). Functions of a library dlopen'ed later still resolve on their first call. */
int mt_resolve_init(void) {
    (void)dlsym_impl();
    int found = 0;
    for (int i = 0; i < F_COUNT; i++) found += mt_real(i) != NULL;
    return found;
}

/* The caller of dlsym(RTLD_NEXT, …) is found from the return address, so that case must reach the
 * real dlsym as a tail call: the sibling call below compiles to a jump (-O2, checked by the tests
 * through dlsym(RTLD_NEXT, "cudaMalloc") from the test program). */
MT_EXPORT MT_NO_SANITIZE void *dlsym(void *handle, const char *name) {
    void *(*f)(void *, const char *) = dlsym_impl();
    if (handle == RTLD_NEXT) return f(handle, name);
    void *r = f(handle, name);
    return name[0] == 'c' && name[1] == 'u' ? mt_substitute(r) : r; /* cu* and cuda* only */
}
