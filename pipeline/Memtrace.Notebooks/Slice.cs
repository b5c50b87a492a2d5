using Microsoft.Data.Analysis;

namespace Memtrace.Notebooks;

/// <summary>
/// A slice of a result or raw table: a time window [FromNs, ToNs) in UTC ns, a device, a pid, a
/// cgroup subtree and a source (one imported file; two torch snapshots can share pid and device). Unset parts do not filter. Asking for a part the table has no column for is an
/// error, so a notebook never silently shows an unfiltered table.
/// </summary>
public sealed record Slice(long? FromNs = null, long? ToNs = null, long? Device = null, long? Pid = null, string? Cgroup = null, string? SourceId = null)
{
    public static readonly Slice All = new();

    /// <summary>The instant column a table is sliced by, in order of preference.</summary>
    public static readonly string[] TimeColumns = ["ts_ns", "window_start_ns", "start_ts_ns", "first_fire_ts_ns", "first_oom_ts_ns"];

    public static Slice Between(DateTimeOffset from, DateTimeOffset to) => new(Ns(from), Ns(to));

    public static long Ns(DateTimeOffset t) => (t.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks) * 100;

    public bool Contains(long tsNs) => (FromNs is not { } f || tsNs >= f) && (ToNs is not { } t || tsNs < t);

    public bool ContainsCgroup(string? path) =>
        Cgroup is not { } c || (path is not null && (path == c || path.StartsWith(c.TrimEnd('/') + "/", StringComparison.Ordinal)));

    public DataFrame Apply(DataFrame df)
    {
        var keep = new PrimitiveDataFrameColumn<bool>("keep", Enumerable.Repeat(true, (int)df.Rows.Count));
        if (FromNs is not null || ToNs is not null)
        {
            var name = TimeColumns.FirstOrDefault(n => Has(df, n)) ?? throw Missing("a time", df);
            var ts = Frames.Longs(df, name);
            for (var i = 0; i < ts.Length; i++) keep[i] = keep[i] == true && ts[i] is { } v && Contains(v);
        }
        if (Device is { } d) And(keep, Frames.Longs(Need(df, "device"), "device"), v => v == d);
        if (Pid is { } p) And(keep, Frames.Longs(Need(df, "pid"), "pid"), v => v == p);
        if (Cgroup is not null)
        {
            var paths = Frames.Strings(Need(df, "cgroup_path"), "cgroup_path");
            for (var i = 0; i < paths.Length; i++) keep[i] = keep[i] == true && ContainsCgroup(paths[i]);
        }
        if (SourceId is { } src)
        {
            var ids = Frames.Strings(Need(df, "source_id"), "source_id");
            for (var i = 0; i < ids.Length; i++) keep[i] = keep[i] == true && ids[i] == src;
        }
        return df.Filter(keep);
    }

    private static void And(PrimitiveDataFrameColumn<bool> keep, long?[] values, Func<long, bool> test)
    {
        for (var i = 0; i < values.Length; i++) keep[i] = keep[i] == true && values[i] is { } v && test(v);
    }

    private static bool Has(DataFrame df, string column) => df.Columns.IndexOf(column) >= 0;

    private static DataFrame Need(DataFrame df, string column) => Has(df, column) ? df : throw Missing($"a {column}", df);

    private static ArgumentException Missing(string what, DataFrame df) =>
        new($"this table has no {what} column to slice by (columns: {string.Join(", ", df.Columns.Select(c => c.Name))})");
}
