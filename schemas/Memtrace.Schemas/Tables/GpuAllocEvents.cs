using Memtrace.Schemas.Model;
using static Memtrace.Schemas.Model.Col;

namespace Memtrace.Schemas.Tables;

/// <summary>One row per allocation-layer event (torch caching allocator, RMM, the CUDA hook, nsys).</summary>
public static class GpuAllocEvents
{
    public static readonly I64Key Seq = I64("seq", "", "Order of the event within its source file; breaks ties between equal timestamps.");
    public static readonly I64Key TsNs = I64("ts_ns", "ns", "Event time on the UTC nanosecond timeline (torch time_us × 1000; RMM local time + date).");
    public static readonly StrKey Host = Str("host", "Host name, or empty when the source does not say.");
    public static readonly I64Key Pid = I64("pid", "", "Process id; 0 when the source does not say (torch snapshots).");
    public static readonly I64Key Tid = I64("tid", "", "Thread id, when the source records it.", nullable: true);
    public static readonly I64Key Device = I64("device", "", "CUDA device ordinal.");
    public static readonly StrKey Pool = Str("pool", "Allocator layer: torch-caching, rmm, nsys, driver; from the CUDA hook cuda (cudaMalloc/cuMemAlloc), cuda-async (stream-ordered pools), cuda-managed, cuda-host (pinned host), cuda-vmm (cuMemCreate/cuMemMap).");
    public static readonly StrKey Op = Str("op", "alloc, free, free_requested, free_completed, segment_alloc, segment_free, segment_map, segment_unmap, oom, snapshot; from the CUDA hook also vmm_create, vmm_release, context_create, context_destroy.");
    public static readonly I64Key Address = I64("address", "bytes", "Device address of the block or segment; null for oom.", nullable: true);
    public static readonly I64Key Size = I64("size", "bytes", "Block or segment size in bytes as the source reports it (torch: requested size for alloc/free).");
    public static readonly I64Key RequestedSize = I64("requested_size", "bytes", "Size the caller asked for, when known.", nullable: true);
    public static readonly I64Key BlockSize = I64("block_size", "bytes", "Rounded block size, where it could be recovered (e.g. from the final snapshot blocks).", nullable: true);
    public static readonly I64Key Stream = I64("stream", "", "CUDA stream handle, when known.", nullable: true);
    public static readonly StrKey Api = Str("api", "API that produced the event (cudaMalloc, torch, rmm logging_resource_adaptor, …).", nullable: true);
    public static readonly I64Key StackId = I64("stack_id", "", "Call stack of the event; joins stacks.stack_id.", nullable: true);
    public static readonly I64Key DeviceFree = I64("device_free", "bytes", "cudaMemGetInfo free bytes carried by an OOM event.", nullable: true);
    public static readonly I64Key ReturnCode = I64("return_code", "", "API return code where the source records it; non-zero on failed allocations.", nullable: true);

    public static readonly TableDef Def = new(
        "gpu_alloc_events", 1, TableKind.Raw,
        "One row per allocation-layer event: an alloc, a free, a segment (de)reservation or an OOM, from any GPU source.",
        [Host, Pid, Device, Pool, TsNs, Seq],
        [
            SourceId,
            Seq,
            TsNs,
            Host,
            Pid,
            Tid,
            Device,
            Pool,
            Op,
            Address,
            Size,
            RequestedSize,
            BlockSize,
            Stream,
            Api,
            StackId,
            DeviceFree,
            ReturnCode,
        ]);
}
