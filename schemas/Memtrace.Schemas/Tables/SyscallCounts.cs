using Memtrace.Schemas.Model;
using static Memtrace.Schemas.Model.Col;

namespace Memtrace.Schemas.Tables;

/// <summary>One entry of an aggregated bpftrace map printed at an interval, e.g. "@calls[1234, epoll_pwait]: 98213".</summary>
public static class SyscallCounts
{
    public static readonly I64Key Seq = I64("seq", "", "Row order in the file.");
    public static readonly I64Key WindowStartNs = I64("window_start_ns", "ns", "Start of the aggregation window, UTC; null when unknown.", nullable: true);
    public static readonly I64Key WindowEndNs = I64("window_end_ns", "ns", "End of the aggregation window, UTC; null when unknown.", nullable: true);
    public static readonly StrKey MapName = Str("map_name", "bpftrace map name, e.g. @calls.");
    public static readonly StrKey Kind = Str("kind", "map (a count or value), hist (one bucket), or stats.");
    public static readonly StrListKey Keys = StrList("keys", "Map key tuple, as printed.");
    public static readonly I64Key Count = I64("count", "", "Map value, bucket count, or stats count.");
    public static readonly I64Key BucketMin = I64("bucket_min", "", "hist: the bucket's lowest value (inclusive); null below the first bound.", nullable: true);
    public static readonly I64Key BucketMax = I64("bucket_max", "", "hist: the bucket's highest value (inclusive); null for the open top bucket.", nullable: true);
    public static readonly I64Key Total = I64("total", "", "stats: sum of the values.", nullable: true);
    public static readonly I64Key Average = I64("average", "", "stats: average as bpftrace prints it (integer).", nullable: true);

    public static readonly TableDef Def = new(
        "syscall_counts", 2, TableKind.Raw,
        "One row per bpftrace map entry, histogram bucket or stats value per print. A print's window ends at the time() line before it and starts at the one before that; without time() lines the window is unknown.",
        [MapName, WindowEndNs, Seq],
        [
            SourceId,
            Seq,
            WindowStartNs,
            WindowEndNs,
            MapName,
            Kind,
            Keys,
            Count,
            BucketMin,
            BucketMax,
            Total,
            Average,
        ]);
}
