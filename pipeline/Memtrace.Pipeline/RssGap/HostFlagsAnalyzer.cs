using Memtrace.Pipeline.Host;
using Memtrace.Schemas.Model;
using Memtrace.Schemas.Results;

namespace Memtrace.Pipeline.RssGap;

/// <summary>Thresholds for the host flags; the defaults are what a reviewer would call "worth a look".</summary>
public sealed record HostFlagOptions
{
    public long OffHeapGrowthBytes { get; init; } = 32L << 20;
    public long StackGrowthBytes { get; init; } = 16L << 20;
    public long HeapNotReturnedBytes { get; init; } = 64L << 20;
    public double HeapNotReturnedFraction { get; init; } = 0.25;
    public double PageCacheFraction { get; init; } = 0.5;
    public double KernelFraction { get; init; } = 0.2;
    public double WorkingSetFraction { get; init; } = 0.9;
    public double PsiDisagreementPoints { get; init; } = 10;
    /// <summary>A negative layer smaller than this is read-timing noise (the files of one sample are not read atomically), not mis-accounting.</summary>
    public long NegativeSlackBytes { get; init; } = 1L << 20;
}

/// <summary>
/// The flags table: each finding is a run of consecutive instants meeting its condition (one row per
/// run, with the worst value), or a point event (OOM kill, limit hit), with the numbers as evidence.
/// </summary>
public static class HostFlagsAnalyzer
{
    private const double MiB = 1 << 20;

    public static Table Run(IReadOnlyList<Workload> workloads, IReadOnlyList<AttributionInstant> instants, IReadOnlyDictionary<Workload, List<OomKill>> kills, Table alignment, HostFlagOptions o)
    {
        var t = new Table(Flags.Def);
        var byWorkload = instants.ToLookup(i => i.Workload);
        foreach (var w in workloads) AppendWorkload(t, w, byWorkload[w].ToList(), kills, o);
        AppendClockFlags(t, alignment);
        return t;
    }

    /// <summary>One workload's flags from its attribution instants (the run streams workloads: their instants are dropped after this).</summary>
    public static void AppendWorkload(Table t, Workload w, IReadOnlyList<AttributionInstant> a, IReadOnlyDictionary<Workload, List<OomKill>> kills, HostFlagOptions o)
    {
        {
            if (a.Count > 0)
            {
                var first = a[0].Split.Bytes;
                // Growth of RssAnon − Go-managed, signed: the off-heap layer alone would hide the part of a
                // cgo allocation that first fills the Go bytes that are mapped but not resident.
                Runs(t, w, FlagKinds.OffHeapGrowth, a, i => Layers.AnonOutsideGo(i.Split) - Layers.AnonOutsideGo(a[0].Split), (_, v) => v >= o.OffHeapGrowthBytes, o.OffHeapGrowthBytes,
                    (i, v) => $"RssAnon − Go-managed grew {v / MiB:F1} MiB since the first instant; off_heap_anon {i.Split.Bytes[Layers.OffHeapAnon] / MiB:F1} MiB ({i.Split.Evidence[Layers.OffHeapAnon]})");
                Runs(t, w, FlagKinds.GoroutineStackGrowth, a.Where(i => i.Go is not null).ToList(), i => i.Split.Bytes[Layers.Stacks] - first[Layers.Stacks], (_, v) => v >= o.StackGrowthBytes, o.StackGrowthBytes,
                    (i, v) => $"StackSys {i.Go!.StackSys / MiB:F1} MiB, {v / MiB:F1} MiB above the first instant; {i.Go.NumGoroutine?.ToString() ?? "?"} goroutines");
                Runs(t, w, FlagKinds.HeapNotReturned, a.Where(i => i.Go is not null).ToList(), i => i.Split.Bytes[Layers.GoFreeUnreturned],
                    (i, v) => v >= Math.Max(o.HeapNotReturnedBytes, o.HeapNotReturnedFraction * i.Split.GoManaged), o.HeapNotReturnedBytes,
                    (i, v) => $"HeapIdle − HeapReleased = {v / MiB:F1} MiB of Go-managed {i.Split.GoManaged / MiB:F1} MiB");
                var withCg = a.Where(i => i.Split.TotalKind == "cgroup_usage").ToList();
                Runs(t, w, FlagKinds.PageCacheDominating, withCg, i => Frac(i.Split.Bytes[Layers.PageCacheActive] + i.Split.Bytes[Layers.PageCacheInactive], i.Split.Total),
                    (_, v) => v > o.PageCacheFraction, o.PageCacheFraction, (i, v) => $"page cache {(i.Split.Bytes[Layers.PageCacheActive] + i.Split.Bytes[Layers.PageCacheInactive]) / MiB:F1} MiB = {v:P0} of usage {i.Split.Total / MiB:F1} MiB");
                Runs(t, w, FlagKinds.KernelMemoryHigh, withCg, i => Frac(i.Split.Bytes[Layers.Kernel], i.Split.Total), (_, v) => v > o.KernelFraction, o.KernelFraction,
                    (i, v) => $"kernel {i.Split.Bytes[Layers.Kernel] / MiB:F1} MiB = {v:P0} of usage ({i.Split.Evidence[Layers.Kernel]})");
                Runs(t, w, FlagKinds.GoManagedNotResident, a, i => i.Split.Bytes[Layers.GoNotResident], (_, v) => v < 0, 0, (i, v) => i.Split.Evidence[Layers.GoNotResident]);
                foreach (var layer in new[] { Layers.OtherAnon, Layers.PageCacheActive, Layers.Residual })
                {
                    var name = RssGapAttribution.Layers[layer].Name;
                    Runs(t, w, FlagKinds.NegativeLayer(name), withCg, i => i.Split.Bytes[layer], (_, v) => v < -o.NegativeSlackBytes, -o.NegativeSlackBytes, (i, v) => $"{name} = {v / MiB:F1} MiB: {i.Split.Evidence[layer]} (pages charged elsewhere, or samples {Math.Abs(i.Proc.Ts - (i.Cgroup?.Ts ?? i.Proc.Ts)) / 1e6:F0} ms apart)");
                }
            }
            var cg = w.Cgroup;
            var cgPoints = cg.Select(c => (c.Ts, c)).ToList();
            Runs(t, w, FlagKinds.WorkingSetOver90Pct, cgPoints.Where(p => p.c.Limit is not null && p.c.WorkingSet is not null).ToList(), p => Frac(p.c.WorkingSet!.Value, p.c.Limit!.Value),
                (_, v) => v > o.WorkingSetFraction, o.WorkingSetFraction, (p, v) => $"working set {p.c.WorkingSet!.Value / MiB:F1} MiB = {v:P1} of limit {p.c.Limit!.Value / MiB:F1} MiB", ts: p => p.Ts);
            Runs(t, w, FlagKinds.PsiDisagree, cgPoints.Where(p => p.c.PsiSome10 is not null && p.c.PsiSome60 is not null).ToList(), p => Math.Abs(p.c.PsiSome10!.Value - p.c.PsiSome60!.Value),
                (_, v) => v >= o.PsiDisagreementPoints, o.PsiDisagreementPoints, (p, v) => $"memory.pressure some avg10 {p.c.PsiSome10} vs avg60 {p.c.PsiSome60}: a burst the minute average hides, or one that has passed", ts: p => p.Ts);
            GomemlimitFlags(t, w);
            for (var i = 1; i < cg.Count; i++)
            {
                if (cg[i - 1].Failcnt is { } f0 && cg[i].Failcnt is { } f1 && f1 > f0)
                    Add(t, w, FlagKinds.LimitHit, cg[i - 1].Ts, cg[i].Ts, f1 - f0, null, $"failcnt {f0}→{f1}: usage reached the limit {f1 - f0} times (reclaim followed; not necessarily a kill)");
            }
            foreach (var k in kills.GetValueOrDefault(w) ?? [])
                Add(t, w, FlagKinds.OomKill, k.WindowStart, k.WindowEnd, null, null, k.Evidence);
            if (OomEvents.VanishWindow(w) is { } v && (kills.GetValueOrDefault(w)?.Count ?? 0) == 0)
                Add(t, w, FlagKinds.ProcessVanished, v.LastAlive, v.FirstGone, null, null, $"/proc/{w.Pid} found at {v.LastAlive}, gone at {v.FirstGone}; no OOM-kill evidence");
        }
    }

    /// <summary>clock_unanchored: sources whose clock could not be placed on UTC.</summary>
    public static void AppendClockFlags(Table t, Table alignment)
    {
        for (var r = 0; r < alignment.RowCount; r++)
        {
            if (alignment[ClockAlignment.Status][r] != "unanchored") continue;
            Add(t, alignment[ClockAlignment.Host][r] ?? "", "", 0, FlagKinds.ClockUnanchored, 0, 0, alignment[ClockAlignment.Rows][r], null,
                $"{alignment[ClockAlignment.Table][r]} rows of source {alignment[Col.SourceId][r]}: {alignment[ClockAlignment.Message][r]}");
        }
    }

    private static void GomemlimitFlags(Table t, Workload w)
    {
        var go = w.Go.Where(g => g.Gomemlimit is not null).ToList();
        var limit = w.Cgroup.LastOrDefault(c => c.Limit is not null)?.Limit;
        if (go.Count == 0) return;
        if (go.Any(g => g.Gomemlimit == long.MaxValue))
            Add(t, w, FlagKinds.GomemlimitUnset, go[0].Ts, go[^1].Ts, null, limit,
                $"GOMEMLIMIT is math.MaxInt64 (unset){(limit is { } l ? $" under a {l / MiB:F0} MiB cgroup limit: the GC paces on GOGC alone and the heap can grow into the OOM killer; seed 004 suggests GOMEMLIMIT = 0.8 × limit = {0.8 * l / MiB:F0} MiB" : "")}",
                severity: limit is null ? FlagKinds.Info : null);
        else if (limit is { } lim && go.Max(g => g.Gomemlimit!.Value) is var max && max > lim)
            Add(t, w, FlagKinds.GomemlimitAboveLimit, go[0].Ts, go[^1].Ts, max, lim, $"GOMEMLIMIT {max / MiB:F0} MiB is above the cgroup limit {lim / MiB:F0} MiB");
    }

    private static double Frac(long part, long whole) => whole <= 0 ? 0 : (double)part / whole;

    private static void Runs<T>(Table t, Workload w, FlagKind kind, IReadOnlyList<T> points, Func<T, double> value, Func<T, double, bool> on, double threshold,
        Func<T, double, string> evidence, Func<T, long>? ts = null)
    {
        ts ??= p => ((AttributionInstant)(object)p!).Ts;
        var start = -1;
        for (var i = 0; i <= points.Count; i++)
        {
            var active = i < points.Count && on(points[i], value(points[i]));
            if (active && start < 0) start = i;
            if (active || start < 0) continue;
            // The run [start, i) ends: report its worst point (largest value; most negative for "< 0" flags).
            var run = points.Skip(start).Take(i - start).ToList();
            var worst = threshold <= 0 && run.All(p => value(p) < 0) ? run.MinBy(value)! : run.MaxBy(value)!;
            var text = evidence(worst, value(worst)) + (run.Count > 1 ? $" (worst of {run.Count} instants)" : "");
            Add(t, w, kind, ts(points[start]), ts(points[i - 1]), value(worst), threshold, text);
            start = -1;
        }
    }

    private static void Add(Table t, Workload w, FlagKind kind, long start, long end, double? value, double? threshold, string evidence, string? severity = null) =>
        Add(t, w.Host, w.CgroupPath, w.Pid, kind, start, end, value, threshold, evidence, severity);

    /// <summary>One flag row, with its kind's severity unless <paramref name="severity"/> says otherwise (gomemlimit_unset without a limit is info).</summary>
    private static void Add(Table t, string host, string cgroup, long pid, FlagKind kind, long start, long end, double? value, double? threshold, string evidence, string? severity = null)
    {
        t[Flags.Host].Append(host); t[Flags.CgroupPath].Append(cgroup); t[Flags.Pid].Append(pid); t[Flags.Kind].Append(kind.Name); t[Flags.Severity].Append(severity ?? kind.Severity);
        t[Flags.StartTsNs].Append(start); t[Flags.EndTsNs].Append(end); t[Flags.Value].Append(value); t[Flags.Threshold].Append(threshold); t[Flags.Evidence].Append(evidence);
        t.CommitRow();
    }
}
