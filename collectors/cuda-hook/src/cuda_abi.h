/* The slice of the CUDA runtime and driver ABI that memtrace's hook interposes.
 * Declared here, not taken from cuda.h, so the hook and its test doubles build on machines
 * without the CUDA toolkit. Types match the toolkit headers on LP64 Linux:
 *   typedef unsigned long long CUdeviceptr_v2;   (cuda.h, CUDA >= 11)
 *   typedef struct CUstream_st *CUstream;         typedef int CUdevice_v1;
 *   typedef unsigned long long CUmemGenericAllocationHandle_v1;
 * Return codes: cudaSuccess = 0, cudaErrorMemoryAllocation = 2 (driver_types.h);
 * CUDA_SUCCESS = 0, CUDA_ERROR_OUT_OF_MEMORY = 2 (cuda.h). */
#ifndef MEMTRACE_CUDA_ABI_H
#define MEMTRACE_CUDA_ABI_H
#include <stddef.h>

typedef int cudaError_t;
typedef int CUresult;
typedef int CUdevice;
typedef unsigned long long CUdeviceptr;
typedef unsigned long long cuuint64_t;
typedef unsigned long long CUmemGenericAllocationHandle;
typedef struct CUstream_st *cudaStream_t;
typedef struct CUstream_st *CUstream;
typedef struct CUctx_st *CUcontext;
typedef struct CUmemPoolHandle_st *cudaMemPool_t;
/* CUmemAllocationProp_v1 (cuda.h): the hook reads location.id, the device the memory lives on. */
typedef struct CUmemAllocationProp_st {
    int type;
    int requestedHandleTypes;
    struct { int type; int id; } location; /* type 1 = CU_MEM_LOCATION_TYPE_DEVICE */
    void *win32HandleMetaData;
    struct { unsigned char compressionType, gpuDirectRDMACapable; unsigned short usage; unsigned char reserved[4]; } allocFlags;
} CUmemAllocationProp;
typedef int cudaDriverEntryPointQueryResult;
typedef int CUdriverProcAddressQueryResult;

enum { MT_CUDA_SUCCESS = 0, MT_CUDA_ERROR_OOM = 2, MT_CUDA_ERROR_NOT_INITIALIZED = 3,
       MT_CUDA_ERROR_NOT_FOUND = 500, MT_CUDART_ERROR_INIT = 3 };

#endif
