using Memtrace.Schemas.Model;
using static Memtrace.Schemas.Model.Col;

namespace Memtrace.Schemas.Results;

/// <summary>Address-space × time raster per pool (seed colours: allocated, free, fragmented gap).</summary>
public static class Heatmap
{
    public static readonly I64Key Level = I64("level", "", "Resolution level: 0 is the overview; level n+1 has HeatmapZoom× the bins of level n in each axis.");
    public static readonly I64Key TimeBin = I64("time_bin", "", "Time bin index.");
    public static readonly I64Key AddrBin = I64("addr_bin", "", "Address bin index.");
    public static readonly I64Key TsNs = I64("ts_ns", "ns", "Time at which the bin was sampled (state after the last event before it).");
    public static readonly I64Key OffsetStart = I64("offset_start", "bytes", "First byte of the bin in the compacted segment space.");
    public static readonly I64Key OffsetEnd = I64("offset_end", "bytes", "End (exclusive) of the bin.");
    public static readonly I64Key AddressStart = I64("address_start", "bytes", "Device address of the bin's first byte (segments are laid end to end, so addresses jump between segments).");
    public static readonly F64Key AllocatedFraction = F64("allocated_fraction", "", "Allocated bytes / bin bytes.");
    public static readonly F64Key FragmentedFraction = F64("fragmented_fraction", "", "Bytes in free blocks smaller than the reference request / bin bytes.");
    public static readonly StrKey State = Str("state", "allocated, free, fragmented or unmapped (the majority class of the bin).");
    public static readonly I64Key TopStackId = I64("top_stack_id", "", "The stack whose live blocks hold the most bytes of the bin (null: no stack recorded, or nothing live).", nullable: true);
    public static readonly I64Key TopStackBytes = I64("top_stack_bytes", "bytes", "Live bytes of the bin held by that stack.");

    public static readonly TableDef Def = new(
        "heatmap", 2, TableKind.Result,
        "Raster of time bins × address bins per pool, at several levels (0 coarsest; each next level is finer in both axes, for zooming). Address bins run over the pool's segments laid end to end in address order.",
        [.. PoolKeyColumns.All, Level, TimeBin, AddrBin],
        [
            .. PoolKeyColumns.All,
            Level,
            TimeBin,
            AddrBin,
            TsNs,
            OffsetStart,
            OffsetEnd,
            AddressStart,
            AllocatedFraction,
            FragmentedFraction,
            State,
            TopStackId,
            TopStackBytes,
        ]);
}
