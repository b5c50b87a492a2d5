using Memtrace.Pipeline.Host;
using Memtrace.Schemas.Model;
using Memtrace.Schemas.Results;

namespace Memtrace.Pipeline.Capacity;

/// <summary>
/// capacity_plan (seed 004): per workload, the peaks, the limit and GOMEMLIMIT in effect, and the
/// recommendation: limit = peak working set × headroom (rounded up to a MiB), GOMEMLIMIT = 0.8 × limit,
/// and the two RSS alert thresholds computed from them.
/// </summary>
public static class CapacityPlanner
{
    public const double DefaultHeadroom = 1.25;

    /// <summary>The seed-004 formulas, defined once and shared with the back-test.</summary>
    public static long GomemlimitFor(long limit) => (long)(limit * 0.8);
    public static long AlertA(long limit, long gomemlimit) => (long)Math.Min(limit * 0.9, gomemlimit * 1.1);
    public static long AlertB(long gomemlimit, long nonHeap) => (long)(gomemlimit * 1.2 + nonHeap * 0.8);

    public static Table Run(IReadOnlyList<Workload> workloads, IReadOnlyDictionary<Workload, List<OomKill>> kills, double headroom)
    {
        if (headroom < 1) throw new ArgumentOutOfRangeException(nameof(headroom), "the headroom factor must be ≥ 1");
        var t = new Table(CapacityPlan.Def);
        foreach (var w in workloads)
        {
            var peakUsage = Max(w.Cgroup.Select(c => c.Usage));
            var peakWs = Max(w.Cgroup.Select(c => c.WorkingSet));
            var peakRss = Max(w.Proc.Where(p => p.Alive).Select(p => p.VmRss));
            var peakGo = Max(w.Go.Select(g => (long?)g.GoManaged));
            var peakNonHeap = Max(w.Go.Select(g => (long?)g.NonHeap));
            var basis = peakWs ?? peakRss;
            long? recLimit = basis is { } b ? CeilMiB(b * headroom) : null;
            long? recGml = recLimit is { } l ? GomemlimitFor(l) : null;
            var k = kills.GetValueOrDefault(w) ?? [];
            t[CapacityPlan.Host].Append(w.Host); t[CapacityPlan.CgroupPath].Append(w.CgroupPath); t[CapacityPlan.Pid].Append(w.Pid);
            t[CapacityPlan.Instants].Append(Math.Max(w.Proc.Count, Math.Max(w.Cgroup.Count, w.Go.Count)));
            t[CapacityPlan.PeakUsage].Append(peakUsage); t[CapacityPlan.PeakWorkingSet].Append(peakWs); t[CapacityPlan.PeakRss].Append(peakRss);
            t[CapacityPlan.PeakGoManaged].Append(peakGo); t[CapacityPlan.PeakNonHeap].Append(peakNonHeap);
            t[CapacityPlan.Limit].Append(w.Cgroup.LastOrDefault(c => c.Limit is not null)?.Limit);
            t[CapacityPlan.Gomemlimit].Append(w.Go.LastOrDefault(g => g.Gomemlimit is not null && g.Gomemlimit != long.MaxValue)?.Gomemlimit);
            t[CapacityPlan.HeadroomFactor].Append(headroom);
            t[CapacityPlan.RecommendedLimit].Append(recLimit); t[CapacityPlan.RecommendedGomemlimit].Append(recGml);
            t[CapacityPlan.AlertRssA].Append(recLimit is { } la && recGml is { } ga ? AlertA(la, ga) : null);
            t[CapacityPlan.AlertRssB].Append(recGml is { } gb ? AlertB(gb, peakNonHeap ?? 0) : null);
            t[CapacityPlan.Ooms].Append(k.Count); t[CapacityPlan.FirstOomTsNs].Append(k.Count > 0 ? k.Min(x => x.Ts) : null);
            t.CommitRow();
        }
        return t;
    }

    /// <summary>The largest known value, or null when none is known (Enumerable.Max over long? skips nulls).</summary>
    private static long? Max(IEnumerable<long?> values) => values.Max();

    private static long CeilMiB(double bytes) => (long)Math.Ceiling(bytes / (1 << 20)) << 20;
}
