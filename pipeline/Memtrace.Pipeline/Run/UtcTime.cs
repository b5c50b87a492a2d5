using System.Globalization;

namespace Memtrace.Pipeline.Run;

/// <summary>
/// Instants on memtrace's UTC nanosecond timeline, written for people, in one place: the report, the notebooks and
/// `memtrace inspect` all show them so. Digits are cut, never rounded, so a shorter form is a prefix of a longer one.
/// </summary>
public static class UtcTime
{
    private static DateTimeOffset At(long ns) => DateTimeOffset.UnixEpoch.AddTicks(ns / 100);

    /// <summary>"2026-03-11 23:00:53.910".</summary>
    public static string Millis(long ns) => At(ns).ToString("yyyy-MM-dd HH:mm:ss.fff", CultureInfo.InvariantCulture);

    /// <summary>"2026-03-11 23:00:53.910604".</summary>
    public static string Micros(long ns) => At(ns).ToString("yyyy-MM-dd HH:mm:ss.ffffff", CultureInfo.InvariantCulture);

    /// <summary>"23:00:53.9": a time axis's label.</summary>
    public static string ClockTenths(long ns) => At(ns).ToString("HH:mm:ss.f", CultureInfo.InvariantCulture);

    /// <summary>"2026-03-11": the day under a time axis.</summary>
    public static string Date(long ns) => At(ns).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
}
