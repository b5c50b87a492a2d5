using System.Globalization;

namespace Memtrace.Collectors.Importers.RmmCsv;

public enum RmmAction : byte
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
    /// <summary>The latest epoch Time whose nanoseconds fit a long (the year 2262); past it, or NaN, the row is bad.</summary>
    public const double MaxEpochSeconds = long.MaxValue / 1e9;

    /// <summary>Parses the six fields; returns the reason on failure so the caller can log it.</summary>
    public static bool TryParse(ReadOnlySpan<string> f, out RmmRecord record, out string error)
    {
        record = default;
        if (f.Length < 6) { error = $"{f.Length} fields, expected 6"; return false; }
        return TryParse(f[0], f[1], f[2], f[3], f[4], f[5], out record, out error);
    }

    /// <summary>The six fields as spans of one line (the fast path's, which allocates nothing a row).</summary>
    public static bool TryParse(ReadOnlySpan<char> threadField, ReadOnlySpan<char> time, ReadOnlySpan<char> actionField, ReadOnlySpan<char> pointer,
        ReadOnlySpan<char> sizeField, ReadOnlySpan<char> streamField, out RmmRecord record, out string error)
    {
        record = default;
        error = "";
        if (!long.TryParse(threadField, NumberStyles.None, CultureInfo.InvariantCulture, out var thread)) { error = "Thread is not an integer"; return false; }
        long tod = -1;
        double? epoch = null;
        if (time.Contains(':'))
        {
            if (!TryTimeOfDay(time, out tod)) { error = "Time is not HH:MM:SS.ffffff"; return false; }
        }
        else if (double.TryParse(time, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var secs) && secs < MaxEpochSeconds) epoch = secs; // "NaN" parses under any style, and fails this
        else { error = "Time is neither HH:MM:SS.ffffff nor epoch seconds"; return false; }
        RmmAction action;
        if (actionField.SequenceEqual("allocate")) action = RmmAction.Allocate;
        else if (actionField.SequenceEqual("free") || actionField.SequenceEqual("deallocate")) action = RmmAction.Free;
        else if (actionField.SequenceEqual("allocate failure")) action = RmmAction.AllocateFailure;
        else { error = "unknown action"; return false; }
        if (!TryPointer(pointer, out var ptr)) { error = "Pointer is not %p hex"; return false; }
        if (!long.TryParse(sizeField, NumberStyles.None, CultureInfo.InvariantCulture, out var size)) { error = "Size is not a non-negative integer"; return false; }
        if (!TryPointer(streamField, out var stream)) { error = "Stream is not hex"; return false; }
        record = new RmmRecord(thread, tod, epoch, action, ptr, size, stream);
        return true;
    }

    /// <summary>
    /// The line as RMM writes it, read straight from its bytes: exactly six fields, Thread and Size of 1–18 digits, Time
    /// "HH:MM:SS.f" with two-digit fields and 1–9 fraction digits, one of the four actions, and Pointer and Stream "0x" and
    /// 1–15 hex digits. Anything else returns false and the caller decodes the line for the char parser, which accepts a
    /// superset and says what is wrong; a line both accept reads alike (a test holds them to each other on seeded lines).
    /// Parsing through the decoded chars with the BCL's number parsers cost ~500 ns a line here.
    /// </summary>
    public static bool TryParseCommon(ReadOnlySpan<byte> line, out RmmRecord record)
    {
        record = default;
        if (!Digits(ref line, 18, out var thread) || !TimeField(ref line, out var tod) || !ActionField(ref line, out var action)
            || !HexField(ref line, last: false, out var ptr) || !Digits(ref line, 18, out var size) || !HexField(ref line, last: true, out var stream))
            return false;
        record = new RmmRecord(thread, tod, null, action, ptr, size, stream);
        return true;
    }

    /// <summary>1–<paramref name="max"/> decimal digits and the comma after them.</summary>
    private static bool Digits(ref ReadOnlySpan<byte> s, int max, out long value) => Digits(ref s, max, out value, out _);

    private static bool Digits(ref ReadOnlySpan<byte> s, int max, out long value, out int count)
    {
        value = 0;
        count = 0;
        for (; count < s.Length && (uint)(s[count] - '0') <= 9; count++)
        {
            if (count == max) return false;
            value = value * 10 + (s[count] - '0');
        }
        if (count == 0 || count >= s.Length || s[count] != ',') return false;
        s = s[(count + 1)..];
        return true;
    }

    private static bool TimeField(ref ReadOnlySpan<byte> s, out long us)
    {
        us = 0;
        if (s.Length < 10 || s[2] != ':' || s[5] != ':' || s[8] != '.') return false;
        if (!Two(s, 0, out var h) || !Two(s, 3, out var m) || !Two(s, 6, out var sec) || h > 23 || m > 59 || sec > 60) return false;
        s = s[9..];
        if (!Digits(ref s, 9, out var frac, out var digits)) return false;
        for (var i = digits; i < 6; i++) frac *= 10;
        for (var i = digits; i > 6; i--) frac /= 10;
        us = ((h * 60L + m) * 60 + sec) * 1_000_000 + frac;
        return true;
    }

    private static bool Two(ReadOnlySpan<byte> s, int at, out int value)
    {
        var (a, b) = ((uint)(s[at] - '0'), (uint)(s[at + 1] - '0'));
        value = (int)(a * 10 + b);
        return a <= 9 && b <= 9;
    }

    private static bool ActionField(ref ReadOnlySpan<byte> s, out RmmAction action)
    {
        (action, var n) = s switch
        {
            _ when s.StartsWith("allocate,"u8) => (RmmAction.Allocate, 9),
            _ when s.StartsWith("free,"u8) => (RmmAction.Free, 5),
            _ when s.StartsWith("deallocate,"u8) => (RmmAction.Free, 11),
            _ when s.StartsWith("allocate failure,"u8) => (RmmAction.AllocateFailure, 17),
            _ => (default, 0),
        };
        s = s[n..];
        return n > 0;
    }

    /// <summary>"0x" and 1–15 hex digits, then the comma, or the line's end for the last field.</summary>
    private static bool HexField(ref ReadOnlySpan<byte> s, bool last, out long value)
    {
        value = 0;
        if (!s.StartsWith("0x"u8)) return false;
        var i = 2;
        var digits = HexDigits;
        for (; i < s.Length && s[i] != ','; i++)
        {
            var nibble = digits[s[i]];
            if (i == 17 || nibble < 0) return false;
            value = value << 4 | (long)nibble;
        }
        if (i == 2 || (last ? i != s.Length : i >= s.Length)) return false;
        s = last ? [] : s[(i + 1)..];
        return true;
    }

    /// <summary>Each byte's hex digit value, -1 for a byte that is none: a load a digit, where a three-range switch branched.</summary>
    private static ReadOnlySpan<sbyte> HexDigits =>
    [
        -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
        -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, -1, -1, -1, -1, -1, -1,
        -1, 10, 11, 12, 13, 14, 15, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
        -1, 10, 11, 12, 13, 14, 15, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
        -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
        -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
        -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
        -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
    ];

    /// <summary>"HH:MM:SS.ffffff" → microseconds since midnight.</summary>
    public static bool TryTimeOfDay(ReadOnlySpan<char> s, out long us)
    {
        us = 0;
        var c1 = s.IndexOf(':');
        if (c1 < 0) return false;
        var c2 = s[(c1 + 1)..].IndexOf(':');
        if (c2 < 0) return false;
        c2 += c1 + 1;
        var secPart = s[(c2 + 1)..];
        if (secPart.Contains(':')) return false;
        if (!int.TryParse(s[..c1], NumberStyles.None, CultureInfo.InvariantCulture, out var h) || h > 23) return false;
        if (!int.TryParse(s[(c1 + 1)..c2], NumberStyles.None, CultureInfo.InvariantCulture, out var m) || m > 59) return false;
        var dot = secPart.IndexOf('.');
        var whole = dot < 0 ? secPart : secPart[..dot];
        if (!int.TryParse(whole, NumberStyles.None, CultureInfo.InvariantCulture, out var ss) || ss > 60) return false;
        long frac = 0;
        if (dot >= 0)
        {
            var digits = secPart[(dot + 1)..];
            if (digits.Length is 0 or > 9 || digits.Contains('.') || !long.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out frac)) return false;
            for (var i = digits.Length; i < 6; i++) frac *= 10;
            for (var i = digits.Length; i > 6; i--) frac /= 10;
        }
        us = ((h * 60L + m) * 60 + ss) * 1_000_000 + frac;
        return true;
    }

    /// <summary>printf %p: "0x7f8a40000000", "(nil)" for null; fmt prints "0x0"; a stream may lack the 0x.</summary>
    public static bool TryPointer(ReadOnlySpan<char> s, out long value)
    {
        value = 0;
        if (s is "(nil)" or "0" or "0x0" or "nullptr") return true;
        var hex = s.StartsWith("0x", StringComparison.OrdinalIgnoreCase) ? s[2..] : s;
        return hex.Length is > 0 and <= 16 && long.TryParse(hex, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out value) && value >= 0;
    }
}
