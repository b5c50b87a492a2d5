namespace Memtrace.Pipeline.Normalize;

/// <summary>One gctrace cycle: its number, the '@s' offset (GC start, since process start) and its wall-clock phases.</summary>
public readonly record struct GcLine(long GcNum, long SinceStartNs, double WallMs);

/// <summary>One MemStats read: NumGC and LastGC (UTC ns when the last completed cycle ended).</summary>
public readonly record struct MemStatsRead(long NumGc, long LastGcNs);

/// <summary>Where the process started on the UTC timeline, from how many matched cycles, and how far they disagree.</summary>
public sealed record GctraceAnchorResult(long ProcessStartNs, int Pairs, long SpreadNs);

/// <summary>
/// Anchors gctrace's process-relative '@s' times to UTC. A MemStats read with NumGC = N says cycle N
/// ended at LastGC; the gctrace line for cycle N says it started @s after process start and took
/// sweep-term + mark + mark-term ms of wall clock. So process start = LastGC − @s − wall. Every
/// matching pair gives one estimate; the median is used and the spread (max distance from it) is the
/// anchoring error reported. '@s' is printed to the millisecond, so ±0.5 ms is the floor.
/// </summary>
public static class GctraceAnchor
{
    public static GctraceAnchorResult? Anchor(IReadOnlyList<GcLine> gcs, IReadOnlyList<MemStatsRead> reads)
    {
        var byNum = new Dictionary<long, GcLine>();
        foreach (var g in gcs) byNum.TryAdd(g.GcNum, g);
        var estimates = new List<long>();
        var seen = new HashSet<long>();
        foreach (var r in reads)
        {
            if (r.NumGc <= 0 || r.LastGcNs <= 0 || !seen.Add(r.NumGc) || !byNum.TryGetValue(r.NumGc, out var g)) continue;
            estimates.Add(r.LastGcNs - g.SinceStartNs - (long)Math.Round(g.WallMs * 1e6));
        }
        if (estimates.Count == 0) return null;
        estimates.Sort();
        var median = estimates[estimates.Count / 2];
        var spread = estimates.Max(e => Math.Abs(e - median));
        return new GctraceAnchorResult(median, estimates.Count, spread);
    }
}
