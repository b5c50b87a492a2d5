using System.Globalization;

namespace Memtrace.Collectors.Importers.Common;

/// <summary>
/// Places times of day with no date (RMM's "HH:MM:SS.ffffff", bpftrace's time("%H:%M:%S")) on UTC.
/// The date is --date (the first line's date) or the file's mtime (the last line's date, less one day
/// per midnight rollover); every jump back of more than 12 h in file order is a rollover. The times
/// are the host's local time, so the local zone at that date converts them.
/// </summary>
public sealed class TimeOfDayClock
{
    public const long DayUs = 86_400_000_000L;

    private readonly long _baseUtcNs;
    private long _dayOffsetUs;
    private long _last = -1;

    public TimeOfDayClock(IReadOnlyList<long> timesOfDayUs, DateOnly? date, string path) : this(CountRollovers(timesOfDayUs), date, path)
    {
    }

    /// <summary>A clock for times of day with <paramref name="rollovers"/> midnight rollovers among them (counted by the caller with <see cref="IsRollover"/>).</summary>
    public TimeOfDayClock(int rollovers, DateOnly? date, string path)
    {
        Rollovers = rollovers;
        (FirstDate, DateSource) = date is { } d ? (d, "--date") : (DateOnly.FromDateTime(File.GetLastWriteTime(path)).AddDays(-Rollovers), "file mtime");
        Zone = TimeZoneInfo.Local;
        var midnight = new DateTime(FirstDate, TimeOnly.MinValue, DateTimeKind.Unspecified);
        _baseUtcNs = new DateTimeOffset(midnight, Zone.GetUtcOffset(midnight)).ToUnixTimeMilliseconds() * 1_000_000;
    }

    public DateOnly FirstDate { get; }
    public string DateSource { get; }
    public TimeZoneInfo Zone { get; }
    public int Rollovers { get; }

    /// <summary>UTC ns of the next time of day in file order; <paramref name="rolledOver"/> says it crossed midnight.</summary>
    public long Next(long timeOfDayUs, out bool rolledOver)
    {
        rolledOver = _last >= 0 && IsRollover(_last, timeOfDayUs);
        if (rolledOver) _dayOffsetUs += DayUs;
        _last = timeOfDayUs;
        return _baseUtcNs + (_dayOffsetUs + timeOfDayUs) * 1000;
    }

    public SortedDictionary<string, string> Notes() => new(StringComparer.Ordinal)
    {
        ["date"] = FirstDate.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
        ["date_source"] = DateSource,
        ["timezone"] = Zone.Id,
        ["midnight_rollovers"] = Rollovers.ToString(CultureInfo.InvariantCulture),
    };

    /// <summary>A jump back of more than 12 h from one time of day to the next: midnight passed.</summary>
    public static bool IsRollover(long previousUs, long nextUs) => previousUs - nextUs > DayUs / 2;

    public static int CountRollovers(IReadOnlyList<long> timesOfDayUs)
    {
        var n = 0;
        for (var i = 1; i < timesOfDayUs.Count; i++)
        {
            if (IsRollover(timesOfDayUs[i - 1], timesOfDayUs[i])) n++;
        }
        return n;
    }
}
