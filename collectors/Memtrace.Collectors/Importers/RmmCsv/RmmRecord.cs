using System.Globalization;

namespace Memtrace.Collectors.Importers.RmmCsv;

public enum RmmAction
{
    Allocate,
    Free,
    AllocateFailure,
}

/// <summary>
/// One row of RMM's logging_resource_adaptor CSV. The adaptor sets the spdlog pattern
/// "%t,%H:%M:%S.%f,%v" and logs "allocate,{ptr},{bytes},{stream}", so a row reads
/// "140573312345856,13:45:02.123456,allocate,0x7f8a40000000,1024,0x7f8a38001020".
/// Newer RMM documents seconds since the epoch in Time and "deallocate"; both are accepted.
/// </summary>
public readonly record struct RmmRecord(long Thread, long TimeOfDayUs, double? EpochSeconds, RmmAction Action, long Pointer, long Size, long Stream)
{
    /// <summary>Parses the six fields; returns the reason on failure so the caller can log it.</summary>
    public static bool TryParse(ReadOnlySpan<string> f, out RmmRecord record, out string error)
    {
        record = default;
        error = "";
        if (f.Length < 6) { error = $"{f.Length} fields, expected 6"; return false; }
        if (!long.TryParse(f[0], NumberStyles.None, CultureInfo.InvariantCulture, out var thread)) { error = "Thread is not an integer"; return false; }
        long tod = -1;
        double? epoch = null;
        if (f[1].Contains(':'))
        {
            if (!TryTimeOfDay(f[1], out tod)) { error = "Time is not HH:MM:SS.ffffff"; return false; }
        }
        else if (double.TryParse(f[1], NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var secs)) epoch = secs;
        else { error = "Time is neither HH:MM:SS.ffffff nor epoch seconds"; return false; }
        RmmAction action;
        switch (f[2])
        {
            case "allocate": action = RmmAction.Allocate; break;
            case "free" or "deallocate": action = RmmAction.Free; break;
            case "allocate failure": action = RmmAction.AllocateFailure; break;
            default: error = "unknown action"; return false;
        }
        if (!TryPointer(f[3], out var ptr)) { error = "Pointer is not %p hex"; return false; }
        if (!long.TryParse(f[4], NumberStyles.None, CultureInfo.InvariantCulture, out var size)) { error = "Size is not a non-negative integer"; return false; }
        if (!TryPointer(f[5], out var stream)) { error = "Stream is not hex"; return false; }
        record = new RmmRecord(thread, tod, epoch, action, ptr, size, stream);
        return true;
    }

    /// <summary>"HH:MM:SS.ffffff" → microseconds since midnight.</summary>
    public static bool TryTimeOfDay(string s, out long us)
    {
        us = 0;
        var parts = s.Split(':');
        if (parts.Length != 3) return false;
        if (!int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var h) || h > 23) return false;
        if (!int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var m) || m > 59) return false;
        var sec = parts[2].Split('.');
        if (sec.Length > 2 || !int.TryParse(sec[0], NumberStyles.None, CultureInfo.InvariantCulture, out var ss) || ss > 60) return false;
        long frac = 0;
        if (sec.Length == 2)
        {
            var digits = sec[1];
            if (digits.Length is 0 or > 9 || !long.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out frac)) return false;
            for (var i = digits.Length; i < 6; i++) frac *= 10;
            for (var i = digits.Length; i > 6; i--) frac /= 10;
        }
        us = ((h * 60L + m) * 60 + ss) * 1_000_000 + frac;
        return true;
    }

    /// <summary>printf %p: "0x7f8a40000000", "(nil)" for null; fmt prints "0x0"; a stream may lack the 0x.</summary>
    public static bool TryPointer(string s, out long value)
    {
        value = 0;
        if (s is "(nil)" or "0" or "0x0" or "nullptr") return true;
        var hex = s.StartsWith("0x", StringComparison.OrdinalIgnoreCase) ? s[2..] : s;
        return hex.Length is > 0 and <= 16 && long.TryParse(hex, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out value) && value >= 0;
    }
}
