using Memtrace.Schemas.Model;
using static Memtrace.Schemas.Model.Col;

namespace Memtrace.Schemas.Results;

/// <summary>One row per OOM or failed allocation, with the fragmentation-or-capacity verdict.</summary>
public static class OomDiagnoses
{
    public static readonly I64Key Seq = I64("seq", "", "Event index of the OOM.");
    public static readonly I64Key TsNs = I64("ts_ns", "ns", "Time of the OOM.");
    public static readonly StrKey Origin = Str("origin", "oom event, failed allocation, or device-memory cap (--device-memory).");
    public static readonly I64Key Request = I64("request", "bytes", "Bytes requested.");
    public static readonly I64Key FreeBytes = I64("free_bytes", "bytes", "F at the OOM.");
    public static readonly I64Key LargestFree = I64("largest_free", "bytes", "L at the OOM.");
    public static readonly I64Key FreeBlocks = I64("free_blocks", "", "N at the OOM.");
    public static readonly I64Key Reserved = I64("reserved", "bytes", "Reserved bytes.");
    public static readonly I64Key Allocated = I64("allocated", "bytes", "Allocated bytes.");
    public static readonly I64Key ReservedUnallocated = I64("reserved_unallocated", "bytes", "reserved − allocated: cached by the allocator but not in use.");
    public static readonly I64Key DeviceFree = I64("device_free", "bytes", "cudaMemGetInfo free at the OOM, when known.", nullable: true);
    public static readonly StrKey Verdict = Str("verdict", "fragmentation or capacity.");
    public static readonly I64Key ExtraContiguousNeeded = I64("extra_contiguous_needed", "bytes", "Smallest extra contiguous free space that would have served the request: request − L.");
    public static readonly F64Key UnusableAtRequest = F64("unusable_at_request", "", "unusable_index(R = request).");
    public static readonly F64Key ExtfragAtRequest = F64("extfrag_at_request", "", "extfrag_index(R = request).");

    public static readonly TableDef Def = new(
        "oom_diagnoses", 1, TableKind.Result,
        "Verdict per OOM: fragmentation when request ≤ F but request > L, capacity when request > F.",
        [.. PoolKeyColumns.All, TsNs, Seq],
        [
            .. PoolKeyColumns.All,
            Seq,
            TsNs,
            Origin,
            Request,
            FreeBytes,
            LargestFree,
            FreeBlocks,
            Reserved,
            Allocated,
            ReservedUnallocated,
            DeviceFree,
            Verdict,
            ExtraContiguousNeeded,
            UnusableAtRequest,
            ExtfragAtRequest,
        ]);
}
