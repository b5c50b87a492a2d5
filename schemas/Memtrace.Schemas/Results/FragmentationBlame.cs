using Memtrace.Schemas.Model;
using static Memtrace.Schemas.Model.Col;

namespace Memtrace.Schemas.Results;

/// <summary>Stacks whose live allocations border small free fragments.</summary>
public static class FragmentationBlame
{
    public static readonly TableDef Def = new(
        "fragmentation_blame", 1, TableKind.Result,
        "Stacks ranked by the fragmented bytes (free blocks smaller than the reference request) that their live allocations border, at the blame instant.",
        ["host", "pid", "device", "pool", "source_id", "rank"],
        [
            .. PoolKey(),
            Str("instant", "Instant the blame was taken at (first OOM, else peak fragmentation)."),
            I64("ts_ns", "ns", "Time of that instant."),
            I64("reference_request", "bytes", "Fragments are free blocks smaller than this."),
            I64("rank", "", "1 = stack that isolates the most fragmented bytes."),
            I64("stack_id", "", "Stack of the bordering allocations; 0 when unknown.", nullable: true),
            Str("top_frame", "Innermost frame of interest, for display."),
            I64("fragmented_bytes", "bytes", "Fragment bytes bordered (a fragment between two stacks counts half to each)."),
            I64("fragments", "", "Fragments bordered."),
            I64("live_allocations", "", "Live allocations of this stack that border a fragment."),
        ]);
}
