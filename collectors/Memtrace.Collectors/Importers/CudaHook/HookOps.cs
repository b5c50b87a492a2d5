namespace Memtrace.Collectors.Importers.CudaHook;

public enum HookOpKind { Alloc, Free, Vmm, Context }

/// <summary>How each hooked API maps onto gpu_alloc_events: its allocator layer (pool) and op.</summary>
public static class HookOps
{
    /// <summary>cudaErrorMemoryAllocation (driver_types.h) and CUDA_ERROR_OUT_OF_MEMORY (cuda.h) are both 2.</summary>
    public const int OutOfMemory = 2;

    public static HookOpKind Kind(MtcuOp op) => op switch
    {
        MtcuOp.cudaFree or MtcuOp.cudaFreeAsync or MtcuOp.cudaFreeHost or MtcuOp.cuMemFree or MtcuOp.cuMemFreeAsync => HookOpKind.Free,
        MtcuOp.cuMemCreate or MtcuOp.cuMemRelease or MtcuOp.cuMemMap or MtcuOp.cuMemUnmap => HookOpKind.Vmm,
        MtcuOp.cuCtxCreate or MtcuOp.cuCtxDestroy => HookOpKind.Context,
        _ => HookOpKind.Alloc,
    };

    /// <summary>
    /// Address spaces that must not be replayed together: plain device allocations, stream-ordered
    /// pools, managed memory, pinned host memory and VMM mappings. A free takes the pool of the
    /// allocation it releases; these are the defaults when that allocation was not seen.
    /// </summary>
    public static string Pool(MtcuOp op) => op switch
    {
        MtcuOp.cudaMallocAsync or MtcuOp.cudaMallocFromPoolAsync or MtcuOp.cudaFreeAsync or MtcuOp.cuMemAllocAsync or MtcuOp.cuMemFreeAsync => "cuda-async",
        MtcuOp.cudaMallocManaged or MtcuOp.cuMemAllocManaged => "cuda-managed",
        MtcuOp.cudaMallocHost or MtcuOp.cudaFreeHost => "cuda-host",
        MtcuOp.cuMemCreate or MtcuOp.cuMemRelease or MtcuOp.cuMemMap or MtcuOp.cuMemUnmap => "cuda-vmm",
        _ => "cuda",
    };

    public static string Name(MtcuOp op, int result) => op switch
    {
        MtcuOp.cuMemCreate => result == OutOfMemory ? "oom" : "vmm_create", // expandable segments run out here
        MtcuOp.cuMemRelease => "vmm_release",
        MtcuOp.cuMemMap => "segment_map",
        MtcuOp.cuMemUnmap => "segment_unmap",
        MtcuOp.cuCtxCreate => "context_create",
        MtcuOp.cuCtxDestroy => "context_destroy",
        _ when Kind(op) == HookOpKind.Free => "free",
        _ => result == OutOfMemory ? "oom" : "alloc",
    };

    public static bool HasStream(MtcuOp op) =>
        op is MtcuOp.cudaMallocAsync or MtcuOp.cudaFreeAsync or MtcuOp.cudaMallocFromPoolAsync or MtcuOp.cuMemAllocAsync or MtcuOp.cuMemFreeAsync;

    public static string Api(MtcuOp op) => Enum.IsDefined(op) ? op.ToString() : $"op{(int)op}";
}
