using Memtrace.Pipeline.Host;
using Memtrace.Pipeline.Join;
using Memtrace.Schemas.Model;
using Memtrace.Schemas.Results;

namespace Memtrace.Pipeline.RssGap;

public sealed record TimelineOptions
{
    /// <summary>A regular grid step in ns instead of the densest source's instants.</summary>
    public long? StepNs { get; init; }
    /// <summary>Pairing tolerance in ns for every source, instead of <see cref="Pairing.Tolerance"/>.</summary>
    public long? ToleranceNs { get; init; }
    /// <summary>At most this many rows per workload: each time bucket keeps its instant of largest usage/RSS (<see cref="PeakThinning"/>).</summary>
    public int MaxRows { get; init; } = PeakThinning.DefaultMaxInstants;
}

/// <summary>
/// memory_timeline: per workload, a grid (the densest source's instants, or a regular step) and, for
/// each source, its nearest sample within tolerance. One as-of join per source over all workloads,
/// partitioned by workload.
/// </summary>
public static class MemoryTimelineBuilder
{
    public static Table Run(IReadOnlyList<Workload> workloads, TimelineOptions options)
    {
        var grids = workloads.Select(w => Grid(w, options.StepNs)).ToList();
        var go = JoinSource(workloads, grids, w => w.Go.Select(s => s.Ts).ToList(), options.ToleranceNs);
        var proc = JoinSource(workloads, grids, w => w.Proc.Select(s => s.Ts).ToList(), options.ToleranceNs);
        var cg = JoinSource(workloads, grids, w => w.Cgroup.Select(s => s.Ts).ToList(), options.ToleranceNs);

        var t = new Table(MemoryTimeline.Def, grids.Sum(g => Math.Min(g.Count, Math.Max(1, options.MaxRows))));
        var first = 0;
        for (var wi = 0; wi < workloads.Count; wi++)
        {
            var w = workloads[wi];
            var at = first;
            long Peak(int i) => (cg[at + i] >= 0 ? w.Cgroup[cg[at + i]].Usage : null) ?? (proc[at + i] >= 0 ? w.Proc[proc[at + i]].VmRss : null) ?? (go[at + i] >= 0 ? w.Go[go[at + i]].Sys : 0);
            var keep = PeakThinning.Keep(grids[wi], Peak, options.MaxRows);
            first += grids[wi].Count;
            foreach (var k in keep)
            {
                var ts = grids[wi][k];
                var row = at + k;
                t[MemoryTimeline.Host].Append(w.Host); t[MemoryTimeline.CgroupPath].Append(w.CgroupPath); t[MemoryTimeline.Pid].Append(w.Pid); t[MemoryTimeline.TsNs].Append(ts);
                if (go[row] is var gi && gi >= 0)
                {
                    var g = w.Go[gi];
                    t[MemoryTimeline.GoTsNs].Append(g.Ts); t[MemoryTimeline.HeapAlloc].Append(g.HeapAlloc); t[MemoryTimeline.HeapInuse].Append(g.HeapInuse); t[MemoryTimeline.HeapIdle].Append(g.HeapIdle);
                    t[MemoryTimeline.HeapReleased].Append(g.HeapReleased); t[MemoryTimeline.HeapSys].Append(g.HeapSys); t[MemoryTimeline.StackSys].Append(g.StackSys); t[MemoryTimeline.Sys].Append(g.Sys);
                    t[MemoryTimeline.GoManaged].Append(g.GoManaged); t[MemoryTimeline.NumGoroutine].Append(g.NumGoroutine); t[MemoryTimeline.Gomemlimit].Append(g.Gomemlimit);
                }
                if (proc[row] is var pi && pi >= 0)
                {
                    var p = w.Proc[pi];
                    t[MemoryTimeline.ProcTsNs].Append(p.Ts); t[MemoryTimeline.Alive].Append(p.Alive); t[MemoryTimeline.VmRss].Append(p.VmRss); t[MemoryTimeline.RssAnon].Append(p.RssAnon);
                    t[MemoryTimeline.RssFile].Append(p.RssFile); t[MemoryTimeline.RssShmem].Append(p.RssShmem);
                    t[MemoryTimeline.CpuPercent].Append(pi > 0 ? Pairing.CpuPercent(w.Proc[pi - 1], p) : null);
                }
                if (cg[row] is var ci && ci >= 0)
                {
                    var c = w.Cgroup[ci];
                    t[MemoryTimeline.CgroupTsNs].Append(c.Ts); t[MemoryTimeline.Usage].Append(c.Usage); t[MemoryTimeline.Limit].Append(c.Limit); t[MemoryTimeline.InactiveFile].Append(c.InactiveFile);
                    t[MemoryTimeline.WorkingSet].Append(c.WorkingSet); t[MemoryTimeline.Headroom].Append(c.Limit is { } l && c.WorkingSet is { } ws ? l - ws : null);
                    t[MemoryTimeline.OomKill].Append(c.OomKill);
                }
                t.CommitRow();
            }
        }
        return t;
    }

    /// <summary>The densest source's instants (ties: /proc, then cgroup, then Go), or a regular grid over all sources' span.</summary>
    public static List<long> Grid(Workload w, long? step)
    {
        var series = new[] { w.Proc.Select(s => s.Ts).ToList(), w.Cgroup.Select(s => s.Ts).ToList(), w.Go.Select(s => s.Ts).ToList() }.Where(s => s.Count > 0).ToList();
        if (series.Count == 0) return [];
        if (step is { } st && st > 0)
        {
            var start = series.Min(s => s[0]);
            var end = series.Max(s => s[^1]);
            var grid = new List<long>();
            for (var ts = start; ts <= end; ts += st) grid.Add(ts);
            return grid;
        }
        return series.OrderBy(s => s.Count < 2 ? long.MaxValue : Pairing.MedianInterval(s)).First();
    }

    private static int[] JoinSource(IReadOnlyList<Workload> workloads, List<List<long>> grids, Func<Workload, List<long>> times, long? toleranceOverride)
    {
        var lp = new List<long>(); var lt = new List<long>(); var rp = new List<long>(); var rt = new List<long>();
        var tolerance = new long[workloads.Count];
        var offset = new int[workloads.Count]; // where each workload's samples start on the right side
        for (var wi = 0; wi < workloads.Count; wi++)
        {
            var s = times(workloads[wi]);
            offset[wi] = rt.Count;
            foreach (var ts in grids[wi]) { lp.Add(wi); lt.Add(ts); }
            foreach (var ts in s) { rp.Add(wi); rt.Add(ts); }
            tolerance[wi] = Pairing.Tolerance(Pairing.MedianInterval(grids[wi]), Pairing.MedianInterval(s), toleranceOverride);
        }
        // One pass over every workload; each workload's own tolerance is applied to the matches after.
        var match = AsOfJoin.Join(lp.ToArray(), lt.ToArray(), rp.ToArray(), rt.ToArray(), AsOfStrategy.Nearest, tolerance.Length == 0 ? 0 : tolerance.Max());
        for (var i = 0; i < match.Length; i++)
        {
            if (match[i] < 0) continue;
            var wi = (int)lp[i];
            if (Math.Abs(rt[match[i]] - lt[i]) > tolerance[wi]) match[i] = -1;
            else match[i] -= offset[wi];
        }
        return match;
    }
}
