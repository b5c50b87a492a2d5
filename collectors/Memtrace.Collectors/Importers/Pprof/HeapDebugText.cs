using System.Globalization;
using System.Text.RegularExpressions;

namespace Memtrace.Collectors.Importers.Pprof;

/// <summary>
/// Go's /debug/pprof/heap?debug=1 text (runtime/pprof writeHeapInternal):
/// "heap profile: 21009: 71168000 [21009: 71168000] @ heap/2"
/// "1000: 65536000 [1000: 65536000] @ 0x67f769 0x67fad6 0x43ae92 0x46b121"
/// "#	0x67f768	main.retainBlocks+0x48	/src/heapsvc.go:23"
/// then a "# runtime.MemStats" trailer of "# Name = value" lines. The counts are raw samples, one per
/// MemProfileRate bytes on average (the header's heap/N is 2 × MemProfileRate), so they are scaled
/// the way the protobuf writer scales them before they are comparable with a .pb.gz profile.
/// </summary>
public static partial class HeapDebugText
{
    public sealed record Record(long InuseObjects, long InuseBytes, long AllocObjects, long AllocBytes, List<string> Frames, List<string> Addresses);

    [GeneratedRegex(@"^heap profile: (\d+): (\d+) \[(\d+): (\d+)\] @ heap(?:prof)?/(\d+)\s*$")]
    private static partial Regex Header();

    [GeneratedRegex(@"^(\d+): (\d+) \[(\d+): (\d+)\] @((?: 0x[0-9a-f]+)*)\s*$")]
    private static partial Regex RecordLine();

    [GeneratedRegex(@"^#\t0x[0-9a-f]+\t(\S+?)(?:\+0x[0-9a-f]+)?\t(.*)$")]
    private static partial Regex FrameLine();

    [GeneratedRegex(@"^# (\w+) = (-?\d+(?:\.\d+)?)\s*$")]
    private static partial Regex StatLine();

    /// <summary>"# Stack = 294912 / 294912": the writer prints StackInuse / StackSys (and MSpan, MCache) as one line.</summary>
    [GeneratedRegex(@"^# (\w+) = (\d+) / (\d+)\s*$")]
    private static partial Regex PairLine();

    public static bool LooksLike(string text) => text.StartsWith("heap profile: ", StringComparison.Ordinal);

    /// <summary>MemProfileRate from the header, or null when the header does not parse.</summary>
    public static long? Rate(string header)
    {
        var m = Header().Match(header);
        // A 20-digit rate overflows; treat it like a header that does not parse rather than throw.
        return m.Success && long.TryParse(m.Groups[5].ValueSpan, NumberStyles.None, CultureInfo.InvariantCulture, out var twiceRate)
            ? Math.Max(1, twiceRate / 2) : null;
    }

    /// <summary>
    /// The sampling correction: an allocation of average size s is sampled with probability
    /// 1 − e^(−s/rate), so each count and byte total is divided by that probability.
    /// </summary>
    public static (long Count, long Bytes) Scale(long count, long bytes, long rate)
    {
        if (count == 0 || bytes == 0) return (0, 0);
        if (rate <= 1) return (count, bytes);
        var avg = (double)bytes / count;
        var scale = 1 / (1 - Math.Exp(-avg / rate));
        return ((long)(count * scale), (long)(bytes * scale));
    }

    /// <summary>Parses the records and the MemStats trailer; a line that does not parse is reported through <paramref name="bad"/>.</summary>
    public static (List<Record> Records, Dictionary<string, string> MemStats) Parse(IEnumerable<string> lines, Action<long, string, string> bad)
    {
        var records = new List<Record>();
        var stats = new Dictionary<string, string>(StringComparer.Ordinal);
        long lineNo = 0;
        var trailer = false;
        var droppingFrames = false; // after a record that did not parse: its frames go with it, never to the record before
        foreach (var raw in lines)
        {
            lineNo++;
            var line = raw.TrimEnd('\r');
            if (lineNo == 1 || line.Length == 0) continue;
            if (line.StartsWith("# runtime.MemStats", StringComparison.Ordinal)) { trailer = true; continue; }
            if (trailer)
            {
                if (StatLine().Match(line) is { Success: true } s) stats[s.Groups[1].Value] = s.Groups[2].Value;
                else if (PairLine().Match(line) is { Success: true } p)
                {
                    stats[p.Groups[1].Value + "Inuse"] = p.Groups[2].Value;
                    stats[p.Groups[1].Value + "Sys"] = p.Groups[3].Value;
                }
                continue; // "# PauseNs = [...]" and other list fields are not MemStats scalars memtrace keeps.
            }
            if (line.StartsWith('#'))
            {
                if (droppingFrames) continue;
                if (records.Count == 0) { bad(lineNo, line, "frame line before any record"); continue; }
                if (FrameLine().Match(line) is { Success: true } f) records[^1].Frames.Add($"{f.Groups[1].Value} {f.Groups[2].Value.Trim()}");
                else bad(lineNo, line, "frame line is not '#\\t0xADDR\\tfunc+off\\tfile:line'");
                continue;
            }
            var m = RecordLine().Match(line);
            droppingFrames = true;
            if (!m.Success) { bad(lineNo, line, "record is not 'N: B [M: A] @ 0x…'"); continue; }
            long[] counts = new long[4];
            var fits = true;
            for (var i = 0; i < 4 && fits; i++)
                fits = long.TryParse(m.Groups[i + 1].ValueSpan, NumberStyles.None, CultureInfo.InvariantCulture, out counts[i]);
            if (!fits) { bad(lineNo, line, "record count or byte total does not fit in 64 bits"); continue; }
            droppingFrames = false;
            records.Add(new Record(counts[0], counts[1], counts[2], counts[3], [], m.Groups[5].Value.Split(' ', StringSplitOptions.RemoveEmptyEntries).ToList()));
        }
        return (records, stats);
    }
}
