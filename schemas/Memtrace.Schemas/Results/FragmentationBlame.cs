using Memtrace.Schemas.Model;
using static Memtrace.Schemas.Model.Col;

namespace Memtrace.Schemas.Results;

/// <summary>Stacks whose live allocations border small free fragments.</summary>
public static class FragmentationBlame
{
    public static readonly StrKey Instant = Str("instant", "Instant the blame was taken at (first OOM, else peak fragmentation).");
    public static readonly I64Key TsNs = I64("ts_ns", "ns", "Time of that instant.");
    public static readonly I64Key ReferenceRequest = I64("reference_request", "bytes", "Fragments are free blocks smaller than this.");
    public static readonly I64Key Rank = I64("rank", "", "1 = stack that isolates the most fragmented bytes.");
    public static readonly I64Key StackId = I64("stack_id", "", "Stack of the bordering allocations; 0 when unknown.", nullable: true);
    public static readonly StrKey TopFrame = Str("top_frame", "Innermost frame of interest, for display.");
    public static readonly I64Key FragmentedBytes = I64("fragmented_bytes", "bytes", "Fragment bytes bordered (a fragment between two stacks counts half to each).");
    public static readonly I64Key Fragments = I64("fragments", "", "Fragments bordered.");
    public static readonly I64Key LiveAllocations = I64("live_allocations", "", "Live allocations of this stack that border a fragment.");

    public static readonly TableDef Def = new(
        "fragmentation_blame", 1, TableKind.Result,
        "Stacks ranked by the fragmented bytes (free blocks smaller than the reference request) that their live allocations border, at the blame instant.",
        [.. PoolKeyColumns.All, Rank],
        [
            .. PoolKeyColumns.All,
            Instant,
            TsNs,
            ReferenceRequest,
            Rank,
            StackId,
            TopFrame,
            FragmentedBytes,
            Fragments,
            LiveAllocations,
        ]);
}
