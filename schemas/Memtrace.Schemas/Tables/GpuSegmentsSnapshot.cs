using Memtrace.Schemas.Model;
using static Memtrace.Schemas.Model.Col;

namespace Memtrace.Schemas.Tables;

/// <summary>One row per block of a segment in an allocator snapshot (the final state of a torch snapshot).</summary>
public static class GpuSegmentsSnapshot
{
    public static readonly I64Key TsNs = I64("ts_ns", "ns", "Snapshot instant: the last trace event's time, or the file time when the trace is empty.");
    public static readonly StrKey Host = Str("host", "Host name, or empty.");
    public static readonly I64Key Pid = I64("pid", "", "Process id; 0 when unknown.");
    public static readonly I64Key Device = I64("device", "", "CUDA device ordinal.");
    public static readonly StrKey Pool = Str("pool", "Allocator layer (torch-caching).");
    public static readonly I64Key SegmentAddress = I64("segment_address", "bytes", "Segment base address.");
    public static readonly I64Key SegmentSize = I64("segment_size", "bytes", "Segment total_size.");
    public static readonly StrKey SegmentType = Str("segment_type", "small or large (torch's two pools).");
    public static readonly StrKey SegmentPoolId = Str("segment_pool_id", "Private memory pool id, e.g. '0,0' for the default pool.");
    public static readonly I64Key Stream = I64("stream", "", "Stream the segment belongs to.");
    public static readonly BoolKey IsExpandable = Bool("is_expandable", "Segment uses expandable (VMM) mapping.");
    public static readonly I64Key BlockAddress = I64("block_address", "bytes", "Block address.");
    public static readonly I64Key BlockSize = I64("block_size", "bytes", "Block size (rounded, as the allocator carved it).");
    public static readonly I64Key BlockRequestedSize = I64("block_requested_size", "bytes", "Bytes the caller asked for; 0 for inactive blocks.");
    public static readonly StrKey BlockState = Str("block_state", "active_allocated, active_pending_free or inactive.");
    public static readonly I64Key StackId = I64("stack_id", "", "Allocation stack of the block; joins stacks.", nullable: true);

    public static readonly TableDef Def = new(
        "gpu_segments_snapshot", 1, TableKind.Raw,
        "One row per block inside a reserved segment at the snapshot instant. Blocks tile their segment; blocks of different segments never merge.",
        [Host, Pid, Device, Pool, SegmentAddress, BlockAddress],
        [
            SourceId,
            TsNs,
            Host,
            Pid,
            Device,
            Pool,
            SegmentAddress,
            SegmentSize,
            SegmentType,
            SegmentPoolId,
            Stream,
            IsExpandable,
            BlockAddress,
            BlockSize,
            BlockRequestedSize,
            BlockState,
            StackId,
        ]);
}
