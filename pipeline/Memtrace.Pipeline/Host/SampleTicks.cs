using Memtrace.Schemas.Model;

namespace Memtrace.Pipeline.Host;

/// <summary>
/// Coalesces one entity's samples from several sources into sampler ticks with <see cref="ReadTicks"/>, the rule
/// the capture importer applies to one file's reads. A sidecar that writes one file per path leaves a pid's
/// status, stat and smaps_rollup reads in three sources, each row carrying one file's fields and its own stamp
/// ~0.1 ms from the others; merged here they are the row one file holding all the reads gives, at the tick's
/// first read. Rows that are complete already (every field group once per tick) come back unchanged.
/// </summary>
public static class SampleTicks
{
    /// <summary>The merged series; <paramref name="apart"/> rows (a process found gone) stay rows of their own.</summary>
    public static List<T> Coalesce<T>(List<T> series, Func<T, ulong> fields, Func<T, bool> apart, Func<T, T, T> merge, Func<T, long> ts)
    {
        var joinable = new List<int>(series.Count);
        for (var i = 0; i < series.Count; i++) if (!apart(series[i])) joinable.Add(i);
        if (joinable.Count < 2) return series;
        var times = new long[joinable.Count];
        var masks = new ulong[joinable.Count];
        for (var k = 0; k < joinable.Count; k++)
        {
            times[k] = ts(series[joinable[k]]);
            masks[k] = fields(series[joinable[k]]) is var m && m != 0 ? m : 1UL << 63;
        }
        var tick = ReadTicks.Assign(times, masks);
        var maxGap = ReadTicks.MedianFieldInterval(times, masks) / 2;
        if (tick[^1] == tick.Length - 1 && !ApartTwiceInATick(series, apart, ts, maxGap)) return series;
        var merged = new T[series.Count];
        var drop = new bool[series.Count];
        var head = -1;
        for (var k = 0; k < joinable.Count; k++)
        {
            var i = joinable[k];
            merged[i] = series[i];
            if (k > 0 && tick[k] == tick[k - 1])
            {
                merged[head] = merge(merged[head], series[i]);
                drop[i] = true;
            }
            else head = i;
        }
        var result = new List<T>(series.Count);
        for (var i = 0; i < series.Count; i++)
        {
            if (drop[i]) continue;
            // A process found gone by each of a tick's reads (status, then stat, from two files) is one finding, at the first.
            if (apart(series[i]) && result.Count > 0 && apart(result[^1]) && ts(series[i]) - ts(result[^1]) <= maxGap) continue;
            result.Add(apart(series[i]) ? series[i] : merged[i]);
        }
        return result;
    }

    private static bool ApartTwiceInATick<T>(List<T> series, Func<T, bool> apart, Func<T, long> ts, long maxGap)
    {
        for (var i = 1; i < series.Count; i++)
        {
            if (apart(series[i]) && apart(series[i - 1]) && ts(series[i]) - ts(series[i - 1]) <= maxGap) return true;
        }
        return false;
    }
}
