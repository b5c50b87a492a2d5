using System.Globalization;

namespace Memtrace.Collectors.Importers.Procfs;

/// <summary>/proc/&lt;pid&gt;/status memory fields, in bytes (the file says kB).</summary>
public sealed record ProcStatus(long? VmRss, long? RssAnon, long? RssFile, long? RssShmem, long? VmSwap, long? VmHwm, long? Threads);

/// <summary>/proc/&lt;pid&gt;/smaps_rollup, in bytes.</summary>
public sealed record SmapsRollup(long? Rss, long? Pss, long? Anonymous, long? LazyFree, long? Swap);

/// <summary>
/// Parsers for the /proc files the sampler reads. They take the file text and return what they
/// could read; a line that does not parse is skipped, never fatal (the kernel adds fields over time).
/// </summary>
public static class ProcFiles
{
    /// <summary>"VmRSS:\t    6716 kB" → 6716 × 1024; "Threads:\t1" → 1.</summary>
    public static Dictionary<string, long> KeyValues(string text)
    {
        var d = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var raw in text.Split('\n'))
        {
            var colon = raw.IndexOf(':');
            if (colon <= 0) continue;
            var key = raw[..colon];
            var rest = raw.AsSpan(colon + 1).Trim();
            var kb = rest.EndsWith(" kB", StringComparison.Ordinal);
            if (kb) rest = rest[..^3].TrimEnd();
            if (!long.TryParse(rest, NumberStyles.None, CultureInfo.InvariantCulture, out var v)) continue;
            if (kb && v > long.MaxValue / 1024) continue; // kB past 2^63 bytes is no real field (found by the fuzzer)
            d[key] = kb ? v * 1024 : v;
        }
        return d;
    }

    public static ProcStatus Status(string text)
    {
        var d = KeyValues(text);
        long? G(string k) => d.TryGetValue(k, out var v) ? v : null;
        return new ProcStatus(G("VmRSS"), G("RssAnon"), G("RssFile"), G("RssShmem"), G("VmSwap"), G("VmHWM"), G("Threads"));
    }

    public static SmapsRollup Smaps(string text)
    {
        var d = KeyValues(text);
        long? G(string k) => d.TryGetValue(k, out var v) ? v : null;
        return new SmapsRollup(G("Rss"), G("Pss"), G("Anonymous"), G("LazyFree"), G("Swap"));
    }

    /// <summary>
    /// utime and stime (fields 14 and 15) of /proc/&lt;pid&gt;/stat. The comm field is in parentheses and may
    /// itself hold spaces and ')', so fields are counted from the last ')'.
    /// </summary>
    public static bool TryStatTimes(ReadOnlySpan<char> line, out long utime, out long stime)
    {
        utime = stime = 0;
        var close = line.LastIndexOf(')');
        if (close < 0 || line.IndexOf('(') is var open && (open < 0 || open > close)) return false;
        var rest = line[(close + 1)..];
        // After ')' come fields 3.. : state(3) ppid(4) ... utime(14) stime(15).
        var field = 2;
        foreach (var range in rest.Split(' '))
        {
            var tok = rest[range];
            if (tok.IsEmpty) continue;
            field++;
            if (field == 14 && !long.TryParse(tok, NumberStyles.None, CultureInfo.InvariantCulture, out utime)) return false;
            if (field == 15) return long.TryParse(tok, NumberStyles.None, CultureInfo.InvariantCulture, out stime);
        }
        return false;
    }
}
