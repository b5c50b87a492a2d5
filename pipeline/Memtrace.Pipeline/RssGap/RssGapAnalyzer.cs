using Memtrace.Pipeline.Host;
using Memtrace.Schemas.Model;
using Memtrace.Schemas.Results;
using Memtrace.Schemas.Stats;

namespace Memtrace.Pipeline.RssGap;

/// <summary>One attribution instant of one workload, kept for the flags and the capacity plan.</summary>
public sealed record AttributionInstant(Workload Workload, long Ts, GoSample? Go, ProcSample Proc, CgroupSample? Cgroup, LayerSplit Split);

public sealed record RssGapOutput(Table Long, Table Wide, IReadOnlyList<AttributionInstant> Instants, long Unpaired);

/// <summary>
/// rss_gap_attribution. Instants are the slowest needed source's samples: the Go runtime reads when
/// there are any, else the /proc reads. Each gets the nearest /proc and cgroup sample within
/// <see cref="Pairing.Tolerance"/>; never a stale carried-forward one, because pairing a 5-second-old
/// MemStats with a fresh RssAnon turns the heap's churn into phantom off-heap swings. The tables hold
/// at most maxRows instants per workload (<see cref="PeakThinning"/>: each time bucket's largest total).
/// </summary>
public static class RssGapAnalyzer
{
    /// <param name="perWorkload">Called with each workload's instants, every workload (an empty list where there
    /// are none), in order. With <paramref name="keepInstants"/> false the instants are dropped after it: a day
    /// of 2 Hz reads for 20 workloads is 3.5 M instants, over a gigabyte held only to be grouped again.</param>
    public static RssGapOutput Run(IReadOnlyList<Workload> workloads, long? toleranceOverride = null, int maxRows = PeakThinning.DefaultMaxInstants,
        Action<Workload, IReadOnlyList<AttributionInstant>>? perWorkload = null, bool keepInstants = true)
    {
        var longT = new Table(RssGapAttribution.Def);
        var wide = new Table(RssGapWide.Def);
        var kept = new List<AttributionInstant>();
        long unpaired = 0;
        foreach (var w in workloads)
        {
            var instants = new List<AttributionInstant>();
            if (w.Proc.Count > 0) unpaired += Attribute(w, instants, longT, wide, toleranceOverride, maxRows);
            perWorkload?.Invoke(w, instants);
            if (keepInstants) kept.AddRange(instants);
        }
        return new RssGapOutput(longT, wide, kept, unpaired);
    }

    /// <summary>One workload's instants (into <paramref name="instants"/>) and table rows; returns how many instants found no pair.</summary>
    private static long Attribute(Workload w, List<AttributionInstant> instants, Table longT, Table wide, long? toleranceOverride, int maxRows)
    {
        long unpaired = 0;
        {
            var firstOfWorkload = instants.Count;
            var goTimes = w.Go.Select(s => s.Ts).ToList();
            // Each pairs with the reads that carry its fields: a partial tick (a sidecar that skipped status once) is
            // passed over rather than leaving the instant unpaired; a read that found the process gone still counts.
            var procRows = Carrying(w.Proc, s => !s.Alive || s.RssAnon is not null);
            var cgRows = Carrying(w.Cgroup, s => s.Usage is not null);
            var procTimes = procRows.Select(k => w.Proc[k].Ts).ToList();
            var cgTimes = cgRows.Select(k => w.Cgroup[k].Ts).ToList();
            var useGo = goTimes.Count > 0;
            var at = useGo ? goTimes : procTimes;
            var atInterval = Pairing.MedianInterval(at);
            var procMatch = useGo ? Pairing.Nearest(at, procTimes, Pairing.Tolerance(atInterval, Pairing.MedianInterval(procTimes), toleranceOverride)) : Enumerable.Range(0, at.Count).ToArray();
            var cgMatch = Pairing.Nearest(at, cgTimes, Pairing.Tolerance(atInterval, Pairing.MedianInterval(cgTimes), toleranceOverride));
            for (var i = 0; i < at.Count; i++)
            {
                var p = procMatch[i] >= 0 ? w.Proc[procRows[procMatch[i]]] : null;
                var c = cgMatch[i] >= 0 ? w.Cgroup[cgRows[cgMatch[i]]] : null;
                if (p is null || !p.Alive || p.RssAnon is null || (w.Cgroup.Count > 0 && c?.Usage is null))
                {
                    unpaired++;
                    continue;
                }
                var g = useGo ? w.Go[i] : null;
                var split = Layers.Split(g, p, c);
                instants.Add(new AttributionInstant(w, at[i], g, p, c, split));
            }
            // Every instant feeds the flags, alerts and plan; the tables keep each bucket's peak instant.
            var mine = instants.Count - firstOfWorkload;
            foreach (var k in PeakThinning.Keep(new InstantTimes(instants, firstOfWorkload, mine), i => instants[firstOfWorkload + i].Split.Total, maxRows))
            {
                var x = instants[firstOfWorkload + k];
                Append(longT, wide, w, x.Ts, x.Go, x.Proc, x.Cgroup, x.Split);
            }
        }
        return unpaired;
    }

    private static List<int> Carrying<T>(List<T> series, Func<T, bool> carries)
    {
        var rows = new List<int>(series.Count);
        for (var k = 0; k < series.Count; k++) if (carries(series[k])) rows.Add(k);
        return rows;
    }

    private static void Append(Table t, Table wide, Workload w, long ts, GoSample? g, ProcSample p, CgroupSample? c, LayerSplit s)
    {
        for (var li = 0; li < s.Bytes.Length; li++)
        {
            t[RssGapAttribution.Host].Append(w.Host); t[RssGapAttribution.CgroupPath].Append(w.CgroupPath); t[RssGapAttribution.Pid].Append(w.Pid); t[RssGapAttribution.TsNs].Append(ts);
            t[RssGapAttribution.LayerIndex].Append(li + 1); t[RssGapAttribution.Layer].Append(RssGapAttribution.Layers[li].Name); t[RssGapAttribution.Bytes].Append(s.Bytes[li]);
            t[RssGapAttribution.Cause].Append(Layers.Cause(li, g is not null)); t[RssGapAttribution.Evidence].Append(s.Evidence[li]); t[RssGapAttribution.TotalKind].Append(s.TotalKind);
            t[RssGapAttribution.GoTsNs].Append(g?.Ts); t[RssGapAttribution.ProcTsNs].Append(p.Ts); t[RssGapAttribution.CgroupTsNs].Append(c?.Ts);
            t.CommitRow();
        }
        wide[RssGapWide.Host].Append(w.Host); wide[RssGapWide.CgroupPath].Append(w.CgroupPath); wide[RssGapWide.Pid].Append(w.Pid); wide[RssGapWide.TsNs].Append(ts);
        wide[RssGapWide.TotalKind].Append(s.TotalKind); wide[RssGapWide.Total].Append(s.Total);
        for (var li = 0; li < s.Bytes.Length; li++) wide[RssGapWide.LayerColumns[li]].Append(s.Bytes[li]);
        wide[RssGapWide.GoManaged].Append(s.GoManaged);
        var skew = Math.Abs(p.Ts - ts);
        if (c is not null) skew = Math.Max(skew, Math.Abs(c.Ts - ts));
        wide[RssGapWide.PairingSkewNs].Append(skew);
        wide.CommitRow();
    }

    private sealed class InstantTimes(List<AttributionInstant> all, int first, int count) : IReadOnlyList<long>
    {
        public long this[int index] => all[first + index].Ts;
        public int Count => count;
        public IEnumerator<long> GetEnumerator() { for (var i = 0; i < count; i++) yield return this[i]; }
        System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();
    }
}
