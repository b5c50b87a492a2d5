using Memtrace.Schemas.Model;
using static Memtrace.Schemas.Model.Col;

namespace Memtrace.Schemas.Results;

/// <summary>Free blocks by ⌊log2 bytes⌋ bucket at chosen instants.</summary>
public static class FreeBlockHistogram
{
    public static readonly StrKey Instant = Str("instant", "peak_reserved, oom#<seq>, or end.");
    public static readonly I64Key Seq = I64("seq", "", "Event index the histogram was taken after.");
    public static readonly I64Key TsNs = I64("ts_ns", "ns", "Time of that event.");
    public static readonly I64Key BucketLog2 = I64("bucket_log2", "", "k: blocks with 2^k ≤ size < 2^(k+1).");
    public static readonly I64Key Blocks = I64("blocks", "", "Free blocks in the bucket.");
    public static readonly I64Key Bytes = I64("bytes", "bytes", "Free bytes in the bucket.");

    public static readonly TableDef Def = new(
        "free_block_histogram", 1, TableKind.Result,
        "Free-block histogram at the instants that matter: peak reserved, each OOM, and the end of the trace.",
        [.. PoolKeyColumns.All, TsNs, BucketLog2],
        [
            .. PoolKeyColumns.All,
            Instant,
            Seq,
            TsNs,
            BucketLog2,
            Blocks,
            Bytes,
        ]);
}
