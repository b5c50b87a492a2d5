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
                t.Str("host").Append(w.Host); t.Str("cgroup_path").Append(w.CgroupPath); t.I64("pid").Append(w.Pid); t.I64("ts_ns").Append(ts);
                if (go[row] is var gi && gi >= 0)
                {
                    var g = w.Go[gi];
                    t.I64("go_ts_ns").Append(g.Ts); t.I64("heap_alloc").Append(g.HeapAlloc); t.I64("heap_inuse").Append(g.HeapInuse); t.I64("heap_idle").Append(g.HeapIdle);
                    t.I64("heap_released").Append(g.HeapReleased); t.I64("heap_sys").Append(g.HeapSys); t.I64("stack_sys").Append(g.StackSys); t.I64("sys").Append(g.Sys);
                    t.I64("go_managed").Append(g.GoManaged); t.I64("num_goroutine").Append(g.NumGoroutine); t.I64("gomemlimit").Append(g.Gomemlimit);
                }
                if (proc[row] is var pi && pi >= 0)
                {
                    var p = w.Proc[pi];
                    t.I64("proc_ts_ns").Append(p.Ts); t.Bool("alive").Append(p.Alive); t.I64("vm_rss").Append(p.VmRss); t.I64("rss_anon").Append(p.RssAnon);
                    t.I64("rss_file").Append(p.RssFile); t.I64("rss_shmem").Append(p.RssShmem);
                    t.F64("cpu_percent").Append(pi > 0 ? Pairing.CpuPercent(w.Proc[pi - 1], p) : null);
                }
                if (cg[row] is var ci && ci >= 0)
                {
                    var c = w.Cgroup[ci];
                    t.I64("cgroup_ts_ns").Append(c.Ts); t.I64("usage").Append(c.Usage); t.I64("limit").Append(c.Limit); t.I64("inactive_file").Append(c.InactiveFile);
                    t.I64("working_set").Append(c.WorkingSet); t.I64("headroom").Append(c.Limit is { } l && c.WorkingSet is { } ws ? l - ws : null);
                    t.I64("oom_kill").Append(c.OomKill);
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
