namespace Memtrace.Schemas.Model;

/// <summary>
/// The names every timed table gives its clock columns, for code that works across tables (clock
/// alignment, file-order checks, time ranges). A table-specific reader uses the table's handles;
/// <c>ColumnKeyTests</c> holds each table that has one of these names to the type given here.
/// </summary>
public static class ClockColumns
{
    /// <summary>CLOCK_REALTIME of the row, UTC (Int64, ns).</summary>
    public const string TsNs = "ts_ns";

    /// <summary>CLOCK_MONOTONIC of the same read, when recorded (Int64, ns).</summary>
    public const string MonoNs = "mono_ns";

    /// <summary>Start of an aggregate's window (Int64, ns).</summary>
    public const string WindowStartNs = "window_start_ns";

    /// <summary>The host the row came from (String).</summary>
    public const string Host = "host";

    public static Int64Column Ts(Table t) => t.Get<Int64Column>(TsNs);
    public static Int64Column Mono(Table t) => t.Get<Int64Column>(MonoNs);
    public static StringColumn HostOf(Table t) => t.Get<StringColumn>(Host);
}
