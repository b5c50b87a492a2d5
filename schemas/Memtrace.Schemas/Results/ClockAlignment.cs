using Memtrace.Schemas.Model;
using static Memtrace.Schemas.Model.Col;

namespace Memtrace.Schemas.Results;

/// <summary>How each source was placed on the UTC timeline, or why it could not be.</summary>
public static class ClockAlignment
{
    public static readonly TableDef Def = new(
        "clock_alignment", 1, TableKind.Result,
        "One row per (source, table): the clock the source recorded, how it was mapped to UTC, the offset and its error, and the clock's own faults (backwards steps, duplicate samples).",
        ["source_id", "table"],
        [
            SourceId(),
            Str("table", "Raw table the rows are in."),
            Str("host", "Host name, or empty."),
            Str("domain", "realtime, monotonic, kernel-uptime or process-relative."),
            Str("method", "native (already UTC), dual-clock (offset from (realtime, monotonic) pairs on the same host), gctrace-numgc (gc N matched to MemStats NumGC/LastGC), or none."),
            Str("status", "aligned, native, or unanchored (kept on its own clock and left out of joins)."),
            I64("offset_ns", "ns", "UTC − source clock; null when unanchored or native.", nullable: true),
            I64("error_ns", "ns", "Anchoring error: the largest distance of one pair's offset from the median used.", nullable: true),
            I64("pairs", "", "Clock pairs or matched GC cycles the offset was taken from."),
            I64("rows", "", "Rows in the table from this source."),
            I64("backwards", "", "Rows whose time is earlier than the previous row of the same entity, in file order."),
            I64("duplicates", "", "Rows repeating the previous row's time for the same entity (dropped from joins)."),
            Str("message", "Why, in words."),
        ]);
}
