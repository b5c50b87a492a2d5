using Memtrace.Schemas.Model;
using static Memtrace.Schemas.Model.Col;

namespace Memtrace.Schemas.Tables;

/// <summary>One entry of an aggregated bpftrace map printed at an interval, e.g. "@calls[1234, epoll_pwait]: 98213".</summary>
public static class SyscallCounts
{
    public static readonly TableDef Def = new(
        "syscall_counts", 1, TableKind.Raw,
        "One row per bpftrace map entry per print interval.",
        ["window_start_ns", "map_name"],
        [
            SourceId(),
            I64("window_start_ns", "ns", "Start of the aggregation window, UTC."),
            I64("window_end_ns", "ns", "End of the aggregation window, UTC."),
            Str("map_name", "bpftrace map name, e.g. @calls."),
            StrList("keys", "Map key tuple, as printed."),
            I64("count", "", "Map value."),
        ]);
}
