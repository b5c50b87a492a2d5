using System.Globalization;
using System.Text.RegularExpressions;

namespace Memtrace.Collectors.Importers.Bpftrace;

/// <summary>
/// bpftrace's plain-text map output (0.17 to 0.24):
/// "@calls[spinsvc, 25998, 0]: 1089"   "@total: 12"   "@ret: count 1513, average 0, total 425"
/// "@timeout: " (or "@lat[key]:") followed by histogram lines "[4, 8)   180 |@@@@@     |", "[1]   955 |…|",
/// "[8K, 16K)   3 |…|", and for lhist/negative values "(..., 0)" and "[100, ...)".
/// A line of its own "HH:MM:SS" is a time() print.
/// </summary>
public static partial class BpftraceText
{
    [GeneratedRegex(@"^(@\w*)(?:\[(.*)\])?:\s*(-?\d+)\s*$")]
    private static partial Regex Scalar();

    [GeneratedRegex(@"^(@\w*)(?:\[(.*)\])?:\s*count (-?\d+), average (-?\d+), total (-?\d+)\s*$")]
    private static partial Regex Stats();

    [GeneratedRegex(@"^(@\w*)(?:\[(.*)\])?:\s*$")]
    private static partial Regex HistHeader();

    [GeneratedRegex(@"^[\[(]([^,\]]+)(?:,\s*([^\])]+))?[\])]\s+(\d+)\s*\|")]
    private static partial Regex Bucket();

    [GeneratedRegex(@"^(\d{2}):(\d{2}):(\d{2})$")]
    private static partial Regex Time();

    public static bool TryTime(string line, out long timeOfDayUs)
    {
        timeOfDayUs = 0;
        var m = Time().Match(line);
        if (!m.Success) return false;
        int h = int.Parse(m.Groups[1].ValueSpan, CultureInfo.InvariantCulture), mi = int.Parse(m.Groups[2].ValueSpan, CultureInfo.InvariantCulture), s = int.Parse(m.Groups[3].ValueSpan, CultureInfo.InvariantCulture);
        if (h > 23 || mi > 59 || s > 60) return false;
        timeOfDayUs = ((h * 60L + mi) * 60 + s) * 1_000_000;
        return true;
    }

    public static string[] Keys(string? text) => string.IsNullOrEmpty(text) ? [] : text.Split(", ");

    /// <summary>One line of text output: map rows, the start of a histogram (its name and keys), or nothing.</summary>
    public static bool TryLine(string line, ref (string Map, string[] Keys)? hist, List<BpftraceRow> rows, out bool isMapLine)
    {
        try
        {
            return TryLineFields(line, ref hist, rows, out isMapLine);
        }
        catch (OverflowException)
        {
            // A count beyond 64 bits (found by the fuzzer): a bad map line, counted by the caller.
            isMapLine = true;
            return false;
        }
    }

    private static bool TryLineFields(string line, ref (string Map, string[] Keys)? hist, List<BpftraceRow> rows, out bool isMapLine)
    {
        isMapLine = line.StartsWith('@');
        if (hist is { } h && (line.StartsWith('[') || line.StartsWith('(')))
        {
            var b = Bucket().Match(line);
            if (!b.Success || !TryBound(b.Groups[1].Value, out var lo) || !TryBound(b.Groups[2].Success ? b.Groups[2].Value : b.Groups[1].Value, out var hi)) { isMapLine = true; return false; }
            // "[4, 8)" holds 4..7; "[1]" holds 1; "(..., 0)" everything below 0; "[100, ...)" 100 and up.
            var max = !b.Groups[2].Success ? hi : hi is { } x ? x - 1 : null;
            rows.Add(new BpftraceRow(h.Map, "hist", h.Keys, long.Parse(b.Groups[3].ValueSpan, CultureInfo.InvariantCulture), lo, max));
            isMapLine = true;
            return true;
        }
        if (!isMapLine)
        {
            hist = null;
            return true;
        }
        hist = null;
        if (Stats().Match(line) is { Success: true } st)
        {
            rows.Add(new BpftraceRow(st.Groups[1].Value, "stats", Keys(st.Groups[2].Value), L(st, 3), Average: L(st, 4), Total: L(st, 5)));
            return true;
        }
        if (Scalar().Match(line) is { Success: true } sc)
        {
            rows.Add(new BpftraceRow(sc.Groups[1].Value, "map", Keys(sc.Groups[2].Value), L(sc, 3)));
            return true;
        }
        if (HistHeader().Match(line) is { Success: true } hh)
        {
            hist = (hh.Groups[1].Value, Keys(hh.Groups[2].Value));
            return true;
        }
        return false;
    }

    private static long L(Match m, int g) => long.Parse(m.Groups[g].ValueSpan, CultureInfo.InvariantCulture);

    /// <summary>"8K" = 8 × 1024, "..." = open; bpftrace's K/M/G/T/P suffixes are powers of 1024.</summary>
    private static bool TryBound(string text, out long? value)
    {
        value = null;
        text = text.Trim();
        if (text == "...") return true;
        if (text.Length == 0) return false; // "[, 8)" once a bound's digits are cut (found by the fuzzer)
        var mult = 1L;
        var suffix = "KMGTP".IndexOf(text[^1]);
        if (suffix >= 0)
        {
            mult = 1L << (10 * (suffix + 1));
            text = text[..^1];
        }
        if (!long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var v)) return false;
        value = v * mult;
        return true;
    }
}
