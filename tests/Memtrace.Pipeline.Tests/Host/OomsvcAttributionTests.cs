using Memtrace.Pipeline.RssGap;
using Memtrace.Schemas.Model;
using Memtrace.Schemas.Results;
using Memtrace.Schemas.Tables;
using Xunit;
using Xunit.Abstractions;

namespace Memtrace.Pipeline.Tests.Host;

/// <summary>The oomsvc capture: cgo 48 MiB, 3000 goroutines, then a leak into a 512 MiB memcg's OOM killer.</summary>
public sealed class OomsvcAttributionTests(OomsvcCapture cap, ITestOutputHelper log) : IClassFixture<OomsvcCapture>
{
    private const double MiB = 1 << 20;

    private List<(long Ts, long[] Layers, long Total, long Usage)> Wide()
    {
        var w = cap.Result("rss_gap_attribution_wide");
        return Enumerable.Range(0, w.RowCount).Select(r => (w[RssGapWide.TsNs][r], RssGapWide.LayerColumns.Select(l => w[l][r]).ToArray(), w[RssGapWide.Total][r], 0L)).ToList();
    }

    [Fact]
    public void Layers_sum_exactly_to_the_cgroup_usage_read_at_each_instant()
    {
        var longT = cap.Result("rss_gap_attribution");
        var cg = cap.Archive.ReadTable(CgroupSamples.Def);
        var usageAt = Enumerable.Range(0, cg.RowCount).ToDictionary(r => cg[CgroupSamples.TsNs][r], r => cg[CgroupSamples.Usage][r]);
        var sums = new Dictionary<long, (long Sum, long CgTs, int Layers)>();
        for (var r = 0; r < longT.RowCount; r++)
        {
            var ts = longT[RssGapAttribution.TsNs][r];
            var s = sums.GetValueOrDefault(ts);
            sums[ts] = (s.Sum + longT[RssGapAttribution.Bytes][r], longT[RssGapAttribution.CgroupTsNs][r], s.Layers + 1);
        }
        Assert.True(sums.Count >= 15, $"only {sums.Count} attribution instants");
        foreach (var (ts, s) in sums)
        {
            Assert.Equal(13, s.Layers);
            Assert.Equal(usageAt[s.CgTs], s.Sum);
        }
    }

    [Fact]
    public void Cgo_malloc_shows_in_the_off_heap_layer_while_it_lives_and_leaves_after_the_free()
    {
        var rows = Wide();
        var alloc = cap.Phases["cgo_alloc"];
        var free = cap.Phases["cgo_free"];
        foreach (var r in rows) log.WriteLine($"{(r.Ts - cap.Phases["start"]) / 1e9,6:F2}s off_heap {r.Layers[Layers.OffHeapAnon] / MiB,7:F1} notres {r.Layers[Layers.GoNotResident] / MiB,6:F1} heap {r.Layers[Layers.GoLiveHeap] / MiB,6:F1} stacks {r.Layers[Layers.Stacks] / MiB,6:F1} usage {r.Total / MiB,6:F1}");
        long Signed(long[] l) => l[Layers.OffHeapAnon] + l[Layers.GoNotResident];
        var before = rows.Where(r => r.Ts < alloc - 300_000_000).ToList();
        var during = rows.Where(r => r.Ts > alloc + 300_000_000 && r.Ts < free - 300_000_000).ToList();
        // "goroutines" is printed once all 3000 are started, so the window ends well before it.
        var after = rows.Where(r => r.Ts > free + 300_000_000 && r.Ts < cap.Phases["goroutines"] - 1_000_000_000).ToList();
        Assert.NotEmpty(before); Assert.True(during.Count >= 5); Assert.NotEmpty(after);
        var baseline = before.Average(r => Signed(r.Layers));
        // RssAnon − Go-managed moves by the 48 MiB of C malloc (every page touched) to within 2 MiB while it
        // lives, and back after free(): nearest pairing leaves no phantom swing from the 70 MB/s churn.
        foreach (var d in during) Assert.InRange((Signed(d.Layers) - baseline) / MiB, 46, 50);
        foreach (var a in after) Assert.InRange((Signed(a.Layers) - baseline) / MiB, -2, 2);
        // The off-heap layer itself holds the allocation, short only by the Go bytes that were mapped but
        // not resident before it (the go_managed_not_resident layer, ≤ 0, which the malloc then hides).
        var hidden = -before.Average(r => r.Layers[Layers.GoNotResident]);
        foreach (var d in during) Assert.InRange(d.Layers[Layers.OffHeapAnon] / MiB, 48 - hidden / MiB - 2, 50);
        foreach (var a in after) Assert.Equal(0, a.Layers[Layers.OffHeapAnon] / (4 * MiB), 0);
    }

    [Fact]
    public void Goroutine_stacks_grow_by_the_3000_parked_goroutines()
    {
        var rows = Wide();
        var g = cap.Phases["goroutines"];
        // The phase line is printed after the goroutines are started, so "before" ends at the cgo free, 4 s earlier.
        var before = rows.Where(r => r.Ts < cap.Phases["cgo_free"]).Max(r => r.Layers[Layers.Stacks]);
        var settled = rows.Where(r => r.Ts > g + 1_500_000_000 && r.Ts < cap.Phases["leak"]).ToList();
        Assert.NotEmpty(settled);
        // Each parked goroutine keeps at least the 8 KiB minimum stack (the GC shrinks the 32 KiB its deep
        // call needed back down once it sleeps): 3000 × 8 KiB = 23.4 MiB.
        foreach (var r in settled) Assert.InRange((r.Layers[Layers.Stacks] - before) / MiB, 3000 * 8 / 1024.0 * 0.98, 3000 * 32 / 1024.0);
        var flags = cap.Result("flags");
        var stackFlag = Enumerable.Range(0, flags.RowCount).Single(r => flags[Flags.Kind][r] == "goroutine_stack_growth");
        Assert.InRange(flags[Flags.StartTsNs][stackFlag], g - 1_000_000_000, g + 1_500_000_000);
    }

    [Fact]
    public void Oom_kill_is_placed_by_the_aligned_kernel_log_inside_the_window_where_the_process_vanished()
    {
        var flags = cap.Result("flags");
        var kills = Enumerable.Range(0, flags.RowCount).Where(r => flags[Flags.Kind][r] == "oom_kill").ToList();
        var k = Assert.Single(kills);
        var ts = flags[Flags.StartTsNs][k];
        Assert.Contains("Killed process " + cap.Pid, flags[Flags.Evidence][k]);
        Assert.Contains("cgroup oom_kill 0→1", flags[Flags.Evidence][k]);
        // Ground truth from /proc: the last read that found the process and the first that did not.
        var proc = cap.Archive.ReadTable(ProcSamples.Def);
        var rows = Enumerable.Range(0, proc.RowCount).OrderBy(r => proc[ProcSamples.TsNs][r]).ToList();
        var lastAlive = rows.Last(r => proc[ProcSamples.Alive][r]);
        var firstGone = rows.First(r => !proc[ProcSamples.Alive][r]);
        log.WriteLine($"kill at {ts}, alive until {proc[ProcSamples.TsNs][lastAlive]}, gone at {proc[ProcSamples.TsNs][firstGone]}");
        Assert.InRange(ts, proc[ProcSamples.TsNs][lastAlive] - 50_000_000, proc[ProcSamples.TsNs][firstGone]);
        Assert.True(ts > cap.Phases["leak"]);
        var align = cap.Result("clock_alignment");
        var kl = Enumerable.Range(0, align.RowCount).Single(r => align[ClockAlignment.Table][r] == "kernel_log");
        Assert.Equal("aligned", align[ClockAlignment.Status][kl]);
        Assert.Equal("dual-clock", align[ClockAlignment.Method][kl]);
        Assert.InRange(align[ClockAlignment.ErrorNs][kl], 0, 1_000_000);
    }

    [Fact]
    public void Gctrace_of_the_capture_is_anchored_to_its_memstats_reads()
    {
        var align = cap.Result("clock_alignment");
        var r = Enumerable.Range(0, align.RowCount).Single(i => align[ClockAlignment.Table][i] == "go_gc_events");
        Assert.Equal("gctrace-numgc", align[ClockAlignment.Method][r]);
        Assert.True(align[ClockAlignment.Pairs][r] >= 10, $"{align[ClockAlignment.Pairs][r]} cycles matched");
        // '@s' is printed to the millisecond; the estimates from ~20 reads agree to a few ms.
        Assert.InRange(align[ClockAlignment.ErrorNs][r], 0, 5_000_000);
        // The process started just before its first phase line (printed at the top of main).
        Assert.InRange(cap.Phases["start"] - align[ClockAlignment.OffsetNs][r], 0, 50_000_000);
    }

    [Fact]
    public void Every_instant_is_paired_with_the_nearest_proc_and_cgroup_reads_within_tolerance()
    {
        var longT = cap.Result("rss_gap_attribution");
        var proc = cap.Archive.ReadTable(ProcSamples.Def);
        var procTs = Enumerable.Range(0, proc.RowCount).Select(r => proc[ProcSamples.TsNs][r]).ToList();
        var checkedInstants = 0;
        for (var r = 0; r < longT.RowCount; r += 13)
        {
            var ts = longT[RssGapAttribution.TsNs][r];
            // Naive oracle: the closest /proc read in the whole capture.
            var nearest = procTs.MinBy(p => Math.Abs(p - ts));
            Assert.Equal(nearest, longT[RssGapAttribution.ProcTsNs][r]);
            Assert.True(Math.Abs(nearest - ts) <= 500_000_000);
            checkedInstants++;
        }
        Assert.True(checkedInstants >= 15);
    }

    [Fact]
    public void Capacity_plan_and_alert_backtest_match_a_hand_calculation()
    {
        var cg = cap.Archive.ReadTable(CgroupSamples.Def);
        var peakWs = Enumerable.Range(0, cg.RowCount).Max(r => Math.Max(0, cg[CgroupSamples.Usage][r] - cg[CgroupSamples.InactiveFile][r]));
        var plan = cap.Result("capacity_plan");
        Assert.Equal(1, plan.RowCount);
        Assert.Equal(peakWs, plan[CapacityPlan.PeakWorkingSet][0]);
        var rec = (long)Math.Ceiling(peakWs * 1.25 / MiB) * (1L << 20);
        Assert.Equal(rec, plan[CapacityPlan.RecommendedLimit][0]);
        Assert.Equal((long)(rec * 0.8), plan[CapacityPlan.RecommendedGomemlimit][0]);
        Assert.Equal(512L << 20, plan[CapacityPlan.Limit][0]);
        Assert.Null(plan[CapacityPlan.Gomemlimit].Get(0)); // unset in the service
        Assert.Equal(1, plan[CapacityPlan.Ooms][0]);

        var alerts = cap.Result("alert_backtest");
        var a = Enumerable.Range(0, alerts.RowCount).Single(r => alerts[AlertBacktest.Alert][r] == "a");
        // limit 512 MiB, GOMEMLIMIT unset → 0.8 × 512 = 409.6 MiB; a = min(460.8, 450.56) MiB.
        Assert.Equal((long)Math.Min(512 * MiB * 0.9, (long)(512 * MiB * 0.8) * 1.1), alerts[AlertBacktest.ThresholdMin][a]);
        Assert.True(alerts[AlertBacktest.FiredBeforeOom][a]);
        var proc = cap.Archive.ReadTable(ProcSamples.Def);
        var firstAbove = Enumerable.Range(0, proc.RowCount).Where(r => proc[ProcSamples.Alive][r] && proc[ProcSamples.VmRss][r] > alerts[AlertBacktest.ThresholdMin][a])
            .Min(r => proc[ProcSamples.TsNs][r]);
        Assert.Equal(firstAbove, alerts[AlertBacktest.FirstFireTsNs][a]);
        Assert.Equal(alerts[AlertBacktest.OomTsNs][a] - firstAbove, alerts[AlertBacktest.LeadTimeNs][a]);
        Assert.Equal(0, alerts[AlertBacktest.FalseAlarms][a]);
        log.WriteLine($"alert a lead {alerts[AlertBacktest.LeadTimeNs][a] / 1e9:F2} s");
        var b = Enumerable.Range(0, alerts.RowCount).Single(r => alerts[AlertBacktest.Alert][r] == "b");
        log.WriteLine($"alert b: threshold {alerts[AlertBacktest.ThresholdMin][b] / MiB:F1}–{alerts[AlertBacktest.ThresholdMax][b] / MiB:F1} MiB, fired before OOM {alerts[AlertBacktest.FiredBeforeOom].Get(b)}");
        // b = 1.2 × 409.6 MiB + 0.8 × (Sys − HeapSys) sits above the 512 MiB limit itself: it cannot fire before the kill.
        Assert.True(alerts[AlertBacktest.ThresholdMin][b] > 512 * MiB * 0.95);
        Assert.False(alerts[AlertBacktest.FiredBeforeOom][b]);
    }

    [Fact]
    public void Flags_name_the_unset_gomemlimit_and_the_working_set_near_the_limit()
    {
        var flags = cap.Result("flags");
        var kinds = Enumerable.Range(0, flags.RowCount).Select(r => flags[Flags.Kind][r]).ToHashSet();
        Assert.Contains("gomemlimit_unset", kinds);
        Assert.Contains("working_set_over_90pct", kinds);
        Assert.Contains("off_heap_growth", kinds);
        var offHeap = Enumerable.Range(0, flags.RowCount).Single(r => flags[Flags.Kind][r] == "off_heap_growth");
        Assert.InRange(flags[Flags.StartTsNs][offHeap], cap.Phases["cgo_alloc"], cap.Phases["cgo_alloc"] + 1_500_000_000);
        // An instant just after free() can still pair with the last /proc read before it (one 250 ms read interval).
        Assert.InRange(flags[Flags.EndTsNs][offHeap], cap.Phases["cgo_free"] - 1_500_000_000, cap.Phases["cgo_free"] + 250_000_000);
    }
}
