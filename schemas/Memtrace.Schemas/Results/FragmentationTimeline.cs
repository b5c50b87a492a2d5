using Memtrace.Schemas.Model;
using static Memtrace.Schemas.Model.Col;

namespace Memtrace.Schemas.Results;

/// <summary>Per-event (or per time bucket) free-space metrics of one allocator pool.</summary>
public static class FragmentationTimeline
{
    /// <summary>The seed's line for effective_contiguous_ratio: below it a pool is red (the report's dashed line, the notebook's, summary.json's end_contiguous_red).</summary>
    public const double ContiguousRedLine = 0.35;

    public static readonly I64Key Seq = I64("seq", "", "Index of the (last) replayed event in this pool's stream.");
    public static readonly I64Key TsNs = I64("ts_ns", "ns", "Event time (bucket: time of the last event in the bucket).");
    public static readonly I64Key Events = I64("events", "", "Events summarised by this row (1 when not downsampled).");
    public static readonly I64Key Reserved = I64("reserved", "bytes", "Bytes in reserved segments (allocator pools) or the pool's address range (driver pools).");
    public static readonly I64Key Allocated = I64("allocated", "bytes", "Bytes in live blocks.");
    public static readonly I64Key FreeBytes = I64("free_bytes", "bytes", "F: total free bytes.");
    public static readonly I64Key LargestFree = I64("largest_free", "bytes", "L: largest free block.");
    public static readonly I64Key FreeBlocks = I64("free_blocks", "", "N: number of free blocks.");
    public static readonly F64Key FragRate = F64("frag_rate", "", "(F − L) / F; 0 when F = 0.");
    public static readonly F64Key EffectiveContiguousRatio = F64("effective_contiguous_ratio", "", FormattableString.Invariant($"L / F; 1 when F = 0; red below {ContiguousRedLine}."));
    public static readonly F64Key EntropySeed = F64("entropy_seed", "bits", "The seed's 8-bin log2(KB+1) entropy; data-dependent bins, never shown alone.");
    public static readonly F64Key EntropyLog2 = F64("entropy_log2", "bits", "Entropy of free blocks over fixed ⌊log2 bytes⌋ buckets, counted by blocks.");
    public static readonly F64Key EntropyLog2Bytes = F64("entropy_log2_bytes", "bits", "Same buckets, weighted by bytes.");
    public static readonly I64Key RequestP50 = I64("request_p50", "bytes", "Reference request size R at the p50 of the pool's allocation sizes.");
    public static readonly F64Key UnusableP50 = F64("unusable_p50", "", "unusable_index(R = p50 request).");
    public static readonly F64Key ExtfragP50 = F64("extfrag_p50", "", "extfrag_index(R = p50 request); −1 when it would succeed.");
    public static readonly I64Key RequestP99 = I64("request_p99", "bytes", "Reference request size R at the p99 of the pool's allocation sizes.");
    public static readonly F64Key UnusableP99 = F64("unusable_p99", "", "unusable_index(R = p99 request).");
    public static readonly F64Key ExtfragP99 = F64("extfrag_p99", "", "extfrag_index(R = p99 request).");
    public static readonly F64Key UnusableUser = F64("unusable_user", "", "unusable_index at --request-size, when given.", nullable: true);
    public static readonly F64Key FragRateMax = F64("frag_rate_max", "", "Largest frag_rate among the events of the row.");
    public static readonly I64Key LargestFreeMin = I64("largest_free_min", "bytes", "Smallest L among the events of the row.");
    public static readonly I64Key ReservedMax = I64("reserved_max", "bytes", "Largest reserved among the events of the row.");
    public static readonly I64Key AllocatedMax = I64("allocated_max", "bytes", "Largest allocated among the events of the row.");

    public static readonly TableDef Def = new(
        "fragmentation_timeline", 1, TableKind.Result,
        "Free-space state after each replayed event, or per --resolution bucket. Bucket rows keep the exact extremes (min L, max frag_rate, max reserved) of every event inside.",
        [.. PoolKeyColumns.All, TsNs, Seq],
        [
            .. PoolKeyColumns.All,
            Seq,
            TsNs,
            Events,
            Reserved,
            Allocated,
            FreeBytes,
            LargestFree,
            FreeBlocks,
            FragRate,
            EffectiveContiguousRatio,
            EntropySeed,
            EntropyLog2,
            EntropyLog2Bytes,
            RequestP50,
            UnusableP50,
            ExtfragP50,
            RequestP99,
            UnusableP99,
            ExtfragP99,
            UnusableUser,
            FragRateMax,
            LargestFreeMin,
            ReservedMax,
            AllocatedMax,
        ]);
}
