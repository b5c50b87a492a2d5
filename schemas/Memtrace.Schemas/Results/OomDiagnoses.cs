using Memtrace.Schemas.Model;
using static Memtrace.Schemas.Model.Col;

namespace Memtrace.Schemas.Results;

/// <summary>One row per OOM or failed allocation, with the fragmentation-or-capacity verdict.</summary>
public static class OomDiagnoses
{
    public static readonly TableDef Def = new(
        "oom_diagnoses", 1, TableKind.Result,
        "Verdict per OOM: fragmentation when request ≤ F but request > L, capacity when request > F.",
        ["host", "pid", "device", "pool", "source_id", "ts_ns", "seq"],
        [
            .. PoolKey(),
            I64("seq", "", "Event index of the OOM."),
            I64("ts_ns", "ns", "Time of the OOM."),
            Str("origin", "oom event, failed allocation, or device-memory cap (--device-memory)."),
            I64("request", "bytes", "Bytes requested."),
            I64("free_bytes", "bytes", "F at the OOM."),
            I64("largest_free", "bytes", "L at the OOM."),
            I64("free_blocks", "", "N at the OOM."),
            I64("reserved", "bytes", "Reserved bytes."),
            I64("allocated", "bytes", "Allocated bytes."),
            I64("reserved_unallocated", "bytes", "reserved − allocated: cached by the allocator but not in use."),
            I64("device_free", "bytes", "cudaMemGetInfo free at the OOM, when known.", nullable: true),
            Str("verdict", "fragmentation or capacity."),
            I64("extra_contiguous_needed", "bytes", "Smallest extra contiguous free space that would have served the request: request − L."),
            F64("unusable_at_request", "", "unusable_index(R = request)."),
            F64("extfrag_at_request", "", "extfrag_index(R = request)."),
        ]);
}
