using Memtrace.Schemas.Model;
using static Memtrace.Schemas.Model.Col;

namespace Memtrace.Schemas.Results;

/// <summary>Address-space × time raster per pool (seed colours: allocated, free, fragmented gap).</summary>
public static class Heatmap
{
    public static readonly TableDef Def = new(
        "heatmap", 1, TableKind.Result,
        "Raster of time bins × address bins per pool. Address bins run over the pool's segments laid end to end in address order.",
        ["host", "pid", "device", "pool", "source_id", "time_bin", "addr_bin"],
        [
            .. PoolKey(),
            I64("time_bin", "", "Time bin index."),
            I64("addr_bin", "", "Address bin index."),
            I64("ts_ns", "ns", "Time at which the bin was sampled (state after the last event before it)."),
            I64("offset_start", "bytes", "First byte of the bin in the compacted segment space."),
            I64("offset_end", "bytes", "End (exclusive) of the bin."),
            F64("allocated_fraction", "", "Allocated bytes / bin bytes."),
            F64("fragmented_fraction", "", "Bytes in free blocks smaller than the reference request / bin bytes."),
            Str("state", "allocated, free, fragmented or unmapped (the majority class of the bin)."),
        ]);
}
