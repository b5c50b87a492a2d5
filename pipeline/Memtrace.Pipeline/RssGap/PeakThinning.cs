namespace Memtrace.Pipeline.RssGap;

/// <summary>
/// Bounds a per-instant series to at most <c>max</c> rows without averaging a spike away: time is cut
/// into <c>max</c> equal buckets and each bucket keeps its one instant with the largest value (the
/// earliest on a tie), whole and exact. A day of 2 Hz samples is 172,800 instants per workload; a
/// table and a report need a few thousand, and the peaks.
/// </summary>
public static class PeakThinning
{
    public const int DefaultMaxInstants = 5_000;

    /// <summary>Which instants to keep (ascending indices). <paramref name="ts"/> must be ascending.</summary>
    public static int[] Keep(IReadOnlyList<long> ts, Func<int, long> value, int max)
    {
        if (max <= 0 || ts.Count <= max) return Enumerable.Range(0, ts.Count).ToArray();
        for (var i = 1; i < ts.Count; i++)
            if (ts[i] < ts[i - 1]) throw new ArgumentException("instants must be ascending", nameof(ts));
        var span = (double)ts[^1] - ts[0] + 1;
        var kept = new List<int>(max);
        var bucket = -1L;
        for (var i = 0; i < ts.Count; i++)
        {
            var b = Math.Min(max - 1, (long)((ts[i] - ts[0]) / span * max));
            if (b != bucket)
            {
                kept.Add(i);
                bucket = b;
            }
            else if (value(i) > value(kept[^1])) kept[^1] = i;
        }
        return kept.ToArray();
    }
}
