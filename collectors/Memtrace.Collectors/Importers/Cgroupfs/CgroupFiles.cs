using System.Globalization;

namespace Memtrace.Collectors.Importers.Cgroupfs;

/// <summary>One PSI line: "some avg10=0.00 avg60=0.00 avg300=0.00 total=0".</summary>
public readonly record struct PsiLine(double Avg10, double Avg60, double Avg300, long Total);

/// <summary>Parsers for cgroup memory files (v1 and v2).</summary>
public static class CgroupFiles
{
    /// <summary>"key value" lines (memory.stat, memory.events, memory.oom_control), in file order.</summary>
    public static List<(string Key, long Value)> FlatKeyed(string text, Action<string>? bad = null)
    {
        var list = new List<(string, long)>();
        foreach (var raw in text.Split('\n'))
        {
            var line = raw.Trim();
            if (line.Length == 0) continue;
            var sp = line.IndexOf(' ');
            if (sp <= 0 || !long.TryParse(line.AsSpan(sp + 1).Trim(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var v))
            {
                bad?.Invoke(line);
                continue;
            }
            list.Add((line[..sp], v));
        }
        return list;
    }

    /// <summary>A single number, or "max" (v2: no limit) as null. False when the text is neither.</summary>
    public static bool TryNumberOrMax(string? text, out long? value)
    {
        value = null;
        if (text is null) return false;
        var t = text.Trim();
        if (t == "max") return true;
        if (!long.TryParse(t, NumberStyles.None, CultureInfo.InvariantCulture, out var v)) return false;
        value = v;
        return true;
    }

    /// <summary>memory.pressure: the "some" and "full" lines.</summary>
    public static bool TryPsi(string text, out PsiLine? some, out PsiLine? full)
    {
        some = full = null;
        var malformed = false;
        foreach (var raw in text.Split('\n'))
        {
            var parts = raw.Trim().Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (parts.Length == 0) continue;
            // A "some"/"full" line must carry all four fields; a short one is malformed, not skipped in silence.
            if (parts.Length != 5) { malformed |= parts[0] is "some" or "full"; continue; }
            double a10 = 0, a60 = 0, a300 = 0;
            long total = 0;
            var ok = true;
            foreach (var p in parts[1..])
            {
                var eq = p.IndexOf('=');
                if (eq < 0) { ok = false; break; }
                var (k, v) = (p[..eq], p[(eq + 1)..]);
                ok &= k switch
                {
                    "avg10" => double.TryParse(v, NumberStyles.Float, CultureInfo.InvariantCulture, out a10),
                    "avg60" => double.TryParse(v, NumberStyles.Float, CultureInfo.InvariantCulture, out a60),
                    "avg300" => double.TryParse(v, NumberStyles.Float, CultureInfo.InvariantCulture, out a300),
                    "total" => long.TryParse(v, NumberStyles.None, CultureInfo.InvariantCulture, out total),
                    _ => false,
                };
            }
            if (!ok) { malformed = true; continue; }
            if (parts[0] == "some") some = new PsiLine(a10, a60, a300, total);
            else if (parts[0] == "full") full = new PsiLine(a10, a60, a300, total);
        }
        // False when nothing parsed or a line was malformed; whatever did parse is still returned.
        return !malformed && (some is not null || full is not null);
    }
}
