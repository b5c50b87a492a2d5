using Memtrace.Schemas.Model;
using static Memtrace.Schemas.Model.Col;

namespace Memtrace.Schemas.Results;

/// <summary>How each source was placed on the UTC timeline, or why it could not be.</summary>
public static class ClockAlignment
{
    public static readonly StrKey Table = Str("table", "Raw table the rows are in.");
    public static readonly StrKey Host = Str("host", "Host name, or empty.");
    public static readonly StrKey Domain = Str("domain", "realtime, monotonic, kernel-uptime or process-relative.");
    public static readonly StrKey Method = Str("method", "native (already UTC), dual-clock (offset from (realtime, monotonic) pairs on the same host), gctrace-numgc (gc N matched to MemStats NumGC/LastGC), or none.");
    public static readonly StrKey Status = Str("status", "aligned, native, or unanchored (kept on its own clock and left out of joins).");
    public static readonly I64Key OffsetNs = I64("offset_ns", "ns", "UTC − source clock; null when unanchored or native.", nullable: true);
    public static readonly I64Key ErrorNs = I64("error_ns", "ns", "Anchoring error: the largest distance of one pair's offset from the median used.", nullable: true);
    public static readonly I64Key Pairs = I64("pairs", "", "Clock pairs or matched GC cycles the offset was taken from.");
    public static readonly I64Key Rows = I64("rows", "", "Rows in the table from this source.");
    public static readonly I64Key Backwards = I64("backwards", "", "Rows whose time is earlier than the previous row of the same entity, in file order.");
    public static readonly I64Key Duplicates = I64("duplicates", "", "Rows repeating the previous row's time for the same entity (dropped from joins).");
    public static readonly StrKey Message = Str("message", "Why, in words.");

    public static readonly TableDef Def = new(
        "clock_alignment", 1, TableKind.Result,
        "One row per (source, table): the clock the source recorded, how it was mapped to UTC, the offset and its error, and the clock's own faults (backwards steps, duplicate samples).",
        [SourceId, Table],
        [
            SourceId,
            Table,
            Host,
            Domain,
            Method,
            Status,
            OffsetNs,
            ErrorNs,
            Pairs,
            Rows,
            Backwards,
            Duplicates,
            Message,
        ]);
}
