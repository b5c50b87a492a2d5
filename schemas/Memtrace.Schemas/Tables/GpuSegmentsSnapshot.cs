using Memtrace.Schemas.Model;
using static Memtrace.Schemas.Model.Col;

namespace Memtrace.Schemas.Tables;

/// <summary>One row per block of a segment in an allocator snapshot (the final state of a torch snapshot).</summary>
public static class GpuSegmentsSnapshot
{
    public static readonly TableDef Def = new(
        "gpu_segments_snapshot", 1, TableKind.Raw,
        "One row per block inside a reserved segment at the snapshot instant. Blocks tile their segment; blocks of different segments never merge.",
        ["host", "pid", "device", "pool", "segment_address", "block_address"],
        [
            SourceId(),
            I64("ts_ns", "ns", "Snapshot instant: the last trace event's time, or the file time when the trace is empty."),
            Str("host", "Host name, or empty."),
            I64("pid", "", "Process id; 0 when unknown."),
            I64("device", "", "CUDA device ordinal."),
            Str("pool", "Allocator layer (torch-caching)."),
            I64("segment_address", "bytes", "Segment base address."),
            I64("segment_size", "bytes", "Segment total_size."),
            Str("segment_type", "small or large (torch's two pools)."),
            Str("segment_pool_id", "Private memory pool id, e.g. '0,0' for the default pool."),
            I64("stream", "", "Stream the segment belongs to."),
            Bool("is_expandable", "Segment uses expandable (VMM) mapping."),
            I64("block_address", "bytes", "Block address."),
            I64("block_size", "bytes", "Block size (rounded, as the allocator carved it)."),
            I64("block_requested_size", "bytes", "Bytes the caller asked for; 0 for inactive blocks."),
            Str("block_state", "active_allocated, active_pending_free or inactive."),
            I64("stack_id", "", "Allocation stack of the block; joins stacks.", nullable: true),
        ]);
}
