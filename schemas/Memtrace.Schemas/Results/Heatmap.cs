using Memtrace.Schemas.Model;
using static Memtrace.Schemas.Model.Col;

namespace Memtrace.Schemas.Results;

/// <summary>Address-space × time raster per pool (seed colours: allocated, free, fragmented gap).</summary>
public static class Heatmap
{
    public static readonly TableDef Def = new(
        "heatmap", 2, TableKind.Result,
        "Raster of time bins × address bins per pool, at several levels (0 coarsest; each next level is finer in both axes, for zooming). Address bins run over the pool's segments laid end to end in address order.",
        ["host", "pid", "device", "pool", "source_id", "level", "time_bin", "addr_bin"],
        [
            .. PoolKey(),
            I64("level", "", "Resolution level: 0 is the overview; level n+1 has HeatmapZoom× the bins of level n in each axis."),
            I64("time_bin", "", "Time bin index."),
            I64("addr_bin", "", "Address bin index."),
            I64("ts_ns", "ns", "Time at which the bin was sampled (state after the last event before it)."),
            I64("offset_start", "bytes", "First byte of the bin in the compacted segment space."),
            I64("offset_end", "bytes", "End (exclusive) of the bin."),
            I64("address_start", "bytes", "Device address of the bin's first byte (segments are laid end to end, so addresses jump between segments)."),
            F64("allocated_fraction", "", "Allocated bytes / bin bytes."),
            F64("fragmented_fraction", "", "Bytes in free blocks smaller than the reference request / bin bytes."),
            Str("state", "allocated, free, fragmented or unmapped (the majority class of the bin)."),
            I64("top_stack_id", "", "The stack whose live blocks hold the most bytes of the bin (null: no stack recorded, or nothing live).", nullable: true),
            I64("top_stack_bytes", "bytes", "Live bytes of the bin held by that stack."),
        ]);
}
