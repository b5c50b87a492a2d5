using Memtrace.Pipeline.Host;
using Memtrace.Pipeline.RssGap;
using Memtrace.Schemas.Model;
using Memtrace.Schemas.Results;

namespace Memtrace.Pipeline.Capacity;

/// <summary>
/// Replays the two seed-004 RSS alerts over the trace with the limit and GOMEMLIMIT that were in
/// effect (0.8 × limit where GOMEMLIMIT was unset, as the seed recommends). Alert a is a constant,
/// checked at every /proc read; alert b moves with Sys − HeapSys, so it is checked at the
/// attribution instants, where a MemStats read and a /proc read were taken together.
/// </summary>
public static class AlertBacktester
{
    public const long DefaultHorizonNs = 300_000_000_000;

    public static Table Run(IReadOnlyList<Workload> workloads, IReadOnlyList<AttributionInstant> instants, IReadOnlyDictionary<Workload, List<OomKill>> kills, long horizonNs = DefaultHorizonNs)
    {
        var t = new Table(AlertBacktest.Def);
        var byWorkload = instants.ToLookup(i => i.Workload);
        foreach (var w in workloads) AppendWorkload(t, w, byWorkload[w].ToList(), kills, horizonNs);
        return t;
    }

    /// <summary>One workload's two alert rows from its /proc reads and attribution instants.</summary>
    public static void AppendWorkload(Table t, Workload w, IReadOnlyList<AttributionInstant> instants, IReadOnlyDictionary<Workload, List<OomKill>> kills, long horizonNs = DefaultHorizonNs)
    {
        {
            if (w.Proc.Count == 0 || w.Cgroup.LastOrDefault(c => c.Limit is not null)?.Limit is not { } limit) return;
            var set = w.Go.LastOrDefault(g => g.Gomemlimit is not null && g.Gomemlimit != long.MaxValue)?.Gomemlimit;
            var gml = set ?? CapacityPlanner.GomemlimitFor(limit);
            var basis = $"limit {limit} (cgroup); GOMEMLIMIT {gml} " + (set is null ? "(unset in the trace: 0.8 × limit, as seed 004 recommends)" : "(in effect)");
            var oom = (kills.GetValueOrDefault(w) ?? []).Select(k => k.Ts).Order().ToList();
            var a = w.Proc.Where(p => p.Alive && p.VmRss is not null).Select(p => (p.Ts, Rss: p.VmRss!.Value, Threshold: CapacityPlanner.AlertA(limit, gml))).ToList();
            Row(t, w, "a", basis + "; threshold = min(limit × 0.9, GOMEMLIMIT × 1.1)", a, oom, horizonNs);
            var b = instants.Where(i => i.Go is not null && i.Proc.VmRss is not null)
                .Select(i => (i.Ts, Rss: i.Proc.VmRss!.Value, Threshold: CapacityPlanner.AlertB(gml, i.Go!.NonHeap))).ToList();
            Row(t, w, "b", basis + "; threshold = GOMEMLIMIT × 1.2 + (Sys − HeapSys) × 0.8", b, oom, horizonNs);
        }
    }

    private static void Row(Table t, Workload w, string alert, string basis, List<(long Ts, long Rss, long Threshold)> points, List<long> ooms, long horizon)
    {
        var episodes = new List<long>();
        var above = false;
        foreach (var p in points)
        {
            var now = p.Rss > p.Threshold;
            if (now && !above) episodes.Add(p.Ts);
            above = now;
        }
        long? oom = ooms.Count > 0 ? ooms[0] : null;
        long? firstFire = episodes.Count > 0 ? episodes[0] : null;
        long? before = oom is { } o ? episodes.Where(e => e <= o).Cast<long?>().FirstOrDefault() : null;
        var falseAlarms = episodes.Count(e => !ooms.Any(k => k >= e && k - e <= horizon));
        t[AlertBacktest.Host].Append(w.Host); t[AlertBacktest.CgroupPath].Append(w.CgroupPath); t[AlertBacktest.Pid].Append(w.Pid);
        t[AlertBacktest.Alert].Append(alert); t[AlertBacktest.Basis].Append(basis);
        t[AlertBacktest.ThresholdMin].Append(points.Count > 0 ? points.Min(p => p.Threshold) : null);
        t[AlertBacktest.ThresholdMax].Append(points.Count > 0 ? points.Max(p => p.Threshold) : null);
        t[AlertBacktest.Evaluated].Append(points.Count);
        t[AlertBacktest.FirstFireTsNs].Append(firstFire); t[AlertBacktest.OomTsNs].Append(oom);
        t[AlertBacktest.FiredBeforeOom].Append(oom is null ? null : before is not null);
        t[AlertBacktest.LeadTimeNs].Append(oom is { } oo && before is { } bf ? oo - bf : null);
        t[AlertBacktest.Episodes].Append(episodes.Count); t[AlertBacktest.FalseAlarms].Append(falseAlarms); t[AlertBacktest.HorizonNs].Append(horizon);
        t.CommitRow();
    }
}
