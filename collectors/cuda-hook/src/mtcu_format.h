/* memtrace CUDA hook log, format version 1. Little-endian, every record 8-byte aligned.
 *
 * File  = header (64 bytes) then records.
 * Record = { u16 type; u16 length (whole record, bytes, multiple of 8); u32 check } + payload,
 *          where check = mtcu_check(record with check = 0). A reader that meets a bad check or a
 *          length that runs past the end scans forward in 8-byte steps for the next valid record,
 *          so a torn tail (kill -9, full disk) loses only the records it cut.
 * The importer (collectors/Memtrace.Collectors/Importers/CudaHook) mirrors these layouts. */
#ifndef MEMTRACE_MTCU_FORMAT_H
#define MEMTRACE_MTCU_FORMAT_H
#include <stdint.h>

#define MTCU_MAGIC "MTCUHOOK"
#define MTCU_VERSION 1
#define MTCU_MAX_FRAMES 64

enum mtcu_rec_type {
    MTCU_REC_PROCESS = 1, /* pid, ppid, host, exe */
    MTCU_REC_EVENT = 2,   /* one API call */
    MTCU_REC_MEMINFO = 3, /* one cudaMemGetInfo sample */
    MTCU_REC_MODULE = 4,  /* a loaded object's base and path, to symbolize stacks at import */
    MTCU_REC_DROPS = 5,   /* cumulative counts of what the hook had to drop */
    MTCU_REC_END = 6,     /* clean close: the writer finished */
};

enum mtcu_op {
    MTCU_cudaMalloc = 1, MTCU_cudaFree, MTCU_cudaMallocAsync, MTCU_cudaFreeAsync, MTCU_cudaMallocFromPoolAsync,
    MTCU_cudaMallocManaged, MTCU_cudaMallocPitch, MTCU_cudaMallocHost, MTCU_cudaFreeHost,
    MTCU_cuMemAlloc = 20, MTCU_cuMemFree, MTCU_cuMemAllocAsync, MTCU_cuMemFreeAsync, MTCU_cuMemAllocManaged,
    MTCU_cuMemAllocPitch, MTCU_cuMemCreate, MTCU_cuMemRelease, MTCU_cuMemMap, MTCU_cuMemUnmap,
    MTCU_cuCtxCreate, MTCU_cuCtxDestroy,
};

struct mtcu_file_header {          /* 64 bytes */
    char magic[8];                 /* "MTCUHOOK" */
    uint16_t version;              /* MTCU_VERSION */
    uint16_t header_size;          /* 64 */
    uint32_t pid;
    uint32_t ppid;
    uint32_t flags;                /* bit 0: this process is a fork child of ppid */
    int64_t realtime_anchor_ns;    /* CLOCK_REALTIME ... */
    int64_t monotonic_anchor_ns;   /* ... and CLOCK_MONOTONIC, read back to back */
    uint32_t stack_depth;
    uint32_t meminfo_ms;
    uint8_t reserved[16];
};

struct mtcu_rec_header { uint16_t type; uint16_t length; uint32_t check; };

struct mtcu_event {                /* 88 bytes, then nframes u64 return addresses, innermost first */
    struct mtcu_rec_header h;
    uint64_t ts_mono_ns;
    uint64_t thread_seq;           /* per-thread counter from 0: gaps or repeats mean loss or duplication */
    uint32_t tid;
    int32_t device;                /* -1 when unknown */
    uint16_t op;
    uint16_t nframes;
    int32_t result;                /* the API's return code */
    uint64_t addr;                 /* device pointer (0 when the call failed) */
    uint64_t size;                 /* bytes; for pitch allocations pitch * height */
    uint64_t stream;
    uint64_t context;              /* CUcontext current at the call, or the one created/destroyed */
    uint64_t handle;               /* mem pool (FromPoolAsync) or generic allocation handle (VMM) */
    uint64_t aux;                  /* pitch, managed flags or VMM offset */
};

struct mtcu_meminfo {              /* 40 bytes */
    struct mtcu_rec_header h;
    uint64_t ts_mono_ns;
    int32_t device;
    uint32_t pad;
    uint64_t free_bytes;
    uint64_t total_bytes;
};

struct mtcu_module {               /* 24 bytes + path, padded to 8 */
    struct mtcu_rec_header h;
    uint64_t base;                 /* load bias (dlpi_addr) */
    uint32_t span;                 /* bytes from base covered by PT_LOAD segments (saturated) */
    uint16_t path_len;
    uint16_t pad;
};

struct mtcu_process {              /* 16 bytes + host + exe, padded to 8 */
    struct mtcu_rec_header h;
    uint16_t host_len;
    uint16_t exe_len;
    uint32_t pad;
};

struct mtcu_drops {                /* 40 bytes */
    struct mtcu_rec_header h;
    uint64_t ts_mono_ns;
    uint64_t events_buffer_full;   /* the buffer cap (MEMTRACE_BUFFER_MB) was reached */
    uint64_t events_reentrant;     /* a hooked call from a signal handler interrupted a record */
    uint64_t bytes_write_failed;   /* write() failed: full disk, file size limit, I/O error */
};

struct mtcu_end {                  /* 24 bytes */
    struct mtcu_rec_header h;
    uint64_t ts_mono_ns;
    uint64_t records_written;
};

/* Word-wise multiply-xor check over a record whose check field is zero; length is a multiple of 8. */
static inline uint32_t mtcu_check(const void *rec, uint32_t length) {
    const unsigned char *p = (const unsigned char *)rec;
    uint64_t h = 0xcbf29ce484222325ull ^ length;
    for (uint32_t i = 0; i < length; i += 8) {
        uint64_t w;
        __builtin_memcpy(&w, p + i, 8);
        h = (h ^ w) * 0x100000001b3ull;
        h ^= h >> 29;
    }
    return (uint32_t)(h ^ (h >> 32));
}

#endif
