using Memtrace.Schemas.Model;
using static Memtrace.Schemas.Model.Col;

namespace Memtrace.Schemas.Tables;

/// <summary>One entry of an aggregated bpftrace map printed at an interval, e.g. "@calls[1234, epoll_pwait]: 98213".</summary>
public static class SyscallCounts
{
    public static readonly TableDef Def = new(
        "syscall_counts", 2, TableKind.Raw,
        "One row per bpftrace map entry, histogram bucket or stats value per print. A print's window ends at the time() line before it and starts at the one before that; without time() lines the window is unknown.",
        ["map_name", "window_end_ns", "seq"],
        [
            SourceId(),
            I64("seq", "", "Row order in the file."),
            I64("window_start_ns", "ns", "Start of the aggregation window, UTC; null when unknown.", nullable: true),
            I64("window_end_ns", "ns", "End of the aggregation window, UTC; null when unknown.", nullable: true),
            Str("map_name", "bpftrace map name, e.g. @calls."),
            Str("kind", "map (a count or value), hist (one bucket), or stats."),
            StrList("keys", "Map key tuple, as printed."),
            I64("count", "", "Map value, bucket count, or stats count."),
            I64("bucket_min", "", "hist: the bucket's lowest value (inclusive); null below the first bound.", nullable: true),
            I64("bucket_max", "", "hist: the bucket's highest value (inclusive); null for the open top bucket.", nullable: true),
            I64("total", "", "stats: sum of the values.", nullable: true),
            I64("average", "", "stats: average as bpftrace prints it (integer).", nullable: true),
        ]);
}
