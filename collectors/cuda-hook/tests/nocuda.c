/* A program with no CUDA library at all that still reaches cudaMalloc/cuMemAlloc_v2 symbols (the
 * hook's, when preloaded). The hook must answer "not initialized", not crash. Prints both codes. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>
int main(void) {
    int (*rt)(void **, size_t) = (int (*)(void **, size_t))dlsym(RTLD_DEFAULT, "cudaMalloc");
    int (*drv)(unsigned long long *, size_t) = (int (*)(unsigned long long *, size_t))dlsym(RTLD_DEFAULT, "cuMemAlloc_v2");
    void *p = 0;
    unsigned long long d = 0;
    printf("cudaMalloc=%d cuMemAlloc_v2=%d\n", rt ? rt(&p, 16) : -1, drv ? drv(&d, 16) : -1);
    return 0;
}
