using Memtrace.Schemas.Model;
using static Memtrace.Schemas.Model.Col;

namespace Memtrace.Schemas.Results;

/// <summary>Free blocks by ⌊log2 bytes⌋ bucket at chosen instants.</summary>
public static class FreeBlockHistogram
{
    public static readonly TableDef Def = new(
        "free_block_histogram", 1, TableKind.Result,
        "Free-block histogram at the instants that matter: peak reserved, each OOM, and the end of the trace.",
        ["host", "pid", "device", "pool", "source_id", "ts_ns", "bucket_log2"],
        [
            .. PoolKey(),
            Str("instant", "peak_reserved, oom#<seq>, or end."),
            I64("seq", "", "Event index the histogram was taken after."),
            I64("ts_ns", "ns", "Time of that event."),
            I64("bucket_log2", "", "k: blocks with 2^k ≤ size < 2^(k+1)."),
            I64("blocks", "", "Free blocks in the bucket."),
            I64("bytes", "bytes", "Free bytes in the bucket."),
        ]);
}
