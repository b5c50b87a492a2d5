using System.Globalization;

namespace Memtrace.Collectors.Importers.Common;

/// <summary>
/// "13368.713250677" or "13311.956500" (perf script, dmesg) as integer nanoseconds, without going
/// through a double: the digits after the point are padded to nine. Stamps past 9·10⁹ s would overflow
/// a long in ns and are refused.
/// </summary>
public static class SecondsStamp
{
    public static bool TryParse(ReadOnlySpan<char> seconds, string fraction, out long ns)
    {
        ns = 0;
        if (!long.TryParse(seconds, NumberStyles.None, CultureInfo.InvariantCulture, out var sec) || sec > 9_000_000_000L) return false;
        // More than 9 fraction digits is finer than a nanosecond: keep the first 9 (and never overflow).
        var digits = fraction.Length > 9 ? fraction[..9] : fraction.PadRight(9, '0');
        if (!long.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out var frac)) return false;
        ns = sec * 1_000_000_000L + frac;
        return true;
    }
}
