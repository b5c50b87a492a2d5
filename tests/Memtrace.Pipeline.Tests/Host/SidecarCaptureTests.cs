using System.Text.Json.Nodes;
using Memtrace.Pipeline.Host;
using Memtrace.Schemas.Model;
using Memtrace.Schemas.Results;
using Memtrace.Tests;
using Xunit;

namespace Memtrace.Pipeline.Tests.Host;

/// <summary>
/// A real sidecar's capture of oomsvc OOM-killed in a 512 MiB memcg, in every shape such a script writes: one file
/// per path without seq, one file with seq, the same without seq, against the reference where a tick's reads share
/// one stamp. Each must give the findings the reference gives, and none may invent an exit or a kill.
/// </summary>
public sealed class SidecarCaptureTests(SidecarCapture cap) : IClassFixture<SidecarCapture>
{
    private static readonly string[] Findings = ["flags", "capacity_plan", "rss_gap_attribution", "rss_gap_attribution_wide", "memory_timeline", "alert_backtest", "spin_windows"];

    private HostOutput Seq => cap.Analyze("seq", Path.Combine(cap.Dir, "all.jsonl"));
    private HostOutput Split => cap.Analyze("split", cap.SplitFiles);
    private HostOutput NoSeq => cap.Analyze("noseq", SidecarCapture.Write(cap.WithoutSeq()));
    private HostOutput PerTick => cap.Analyze("pertick", SidecarCapture.Write(cap.StampedPerTick()));

    [Fact]
    public void One_file_per_path_gives_exactly_the_tables_of_one_file_holding_every_read()
    {
        Assert.Equal(10, cap.SplitFiles.Length);
        foreach (var name in Findings) TableComparer.AssertEqual(SidecarCapture.Result(Seq, name), SidecarCapture.Result(Split, name));
    }

    [Fact]
    public void Without_seq_the_reads_fall_into_the_same_ticks_as_with_it()
    {
        foreach (var name in Findings) TableComparer.AssertEqual(SidecarCapture.Result(Seq, name), SidecarCapture.Result(NoSeq, name));
    }

    [Fact]
    public void Per_read_stamps_give_the_findings_of_per_tick_stamps_within_one_interval()
    {
        var (a, b) = (SidecarCapture.Result(PerTick, "flags"), SidecarCapture.Result(Seq, "flags"));
        Assert.Equal(a.RowCount, b.RowCount);
        for (var r = 0; r < a.RowCount; r++)
        {
            Assert.Equal(a[Flags.Kind][r], b[Flags.Kind][r]);
            Assert.Equal(a[Flags.Severity][r], b[Flags.Severity][r]);
            Assert.Equal(a[Flags.Value].Get(r), b[Flags.Value].Get(r));
            Assert.Equal(a[Flags.Threshold].Get(r), b[Flags.Threshold].Get(r));
            Assert.InRange(Math.Abs(a[Flags.StartTsNs][r] - b[Flags.StartTsNs][r]), 0, cap.IntervalNs);
            Assert.InRange(Math.Abs(a[Flags.EndTsNs][r] - b[Flags.EndTsNs][r]), 0, cap.IntervalNs);
        }
        var (pa, pb) = (SidecarCapture.Result(PerTick, "capacity_plan"), SidecarCapture.Result(Seq, "capacity_plan"));
        Assert.Equal(1, pa.RowCount);
        foreach (var c in pa.Columns.Select(c => c.Def.Name))
        {
            if (c.EndsWith("_ts_ns", StringComparison.Ordinal)) Assert.InRange(Math.Abs(pa.Get<Int64Column>(c)[0] - pb.Get<Int64Column>(c)[0]), 0, cap.IntervalNs);
            else if (pa[c] is Int64Column x) Assert.Equal(x.Get(0), pb.Get<Int64Column>(c).Get(0));
            else if (pa[c] is Float64Column f) Assert.Equal(f.Get(0), pb.Get<Float64Column>(c).Get(0));
        }
        // The attribution pairs the same reads: the same instants (Go reads, restamped by at most a tick's spread), the same bytes in every layer.
        var (la, lb) = (SidecarCapture.Result(PerTick, "rss_gap_attribution"), SidecarCapture.Result(Seq, "rss_gap_attribution"));
        Assert.True(la.RowCount >= 13 * 40, $"{la.RowCount} attribution rows");
        Assert.Equal(la.RowCount, lb.RowCount);
        for (var r = 0; r < la.RowCount; r++)
        {
            Assert.InRange(lb[RssGapAttribution.TsNs][r] - la[RssGapAttribution.TsNs][r], 0, cap.IntervalNs / 2);
            Assert.Equal(la[RssGapAttribution.Bytes][r], lb[RssGapAttribution.Bytes][r]);
        }
    }

    [Fact]
    public void The_OOM_kill_is_found_where_the_sidecar_saw_its_child_die_and_nothing_vanished_in_any_shape()
    {
        foreach (var o in new[] { Seq, Split, NoSeq, PerTick })
        {
            var w = o.Workloads.Single(w => w.Pid == cap.Pid);
            var kill = Assert.Single(o.Kills[w]);
            // wait() returned after the kernel killed it; the capture's window is the reads around the kill.
            Assert.InRange(cap.ExitTs - kill.WindowEnd, -cap.IntervalNs, cap.IntervalNs);
            Assert.True(kill.WindowStart <= cap.ExitTs, $"window starts {kill.WindowStart - cap.ExitTs} ns after the exit");
            Assert.Contains("cgroup oom_kill 0→1", kill.Evidence);
            var kinds = Kinds(o);
            Assert.Contains("oom_kill", kinds);
            Assert.DoesNotContain("process_vanished", kinds);
        }
    }

    [Fact]
    public void Every_Go_read_with_a_proc_and_a_cgroup_read_within_tolerance_has_layers_that_sum_to_usage()
    {
        var o = Split;
        var w = o.Workloads.Single(w => w.Pid == cap.Pid);
        var goTimes = w.Go.Select(g => g.Ts).ToList();
        var proc = w.Proc.Where(p => p.Alive && p.RssAnon is not null).ToList();
        var cg = w.Cgroup.Where(c => c.Usage is not null).ToList();
        var procTol = Pairing.Tolerance(Pairing.MedianInterval(goTimes), Pairing.MedianInterval(proc.Select(p => p.Ts).ToList()));
        var cgTol = Pairing.Tolerance(Pairing.MedianInterval(goTimes), Pairing.MedianInterval(cg.Select(c => c.Ts).ToList()));
        // The nearest read within tolerance, by a plain scan (the analysis uses the as-of kernel).
        T? Near<T>(List<T> xs, Func<T, long> ts, long at, long tol) where T : class => xs.Where(x => Math.Abs(ts(x) - at) <= tol).OrderBy(x => Math.Abs(ts(x) - at)).ThenBy(ts).FirstOrDefault();
        var expected = goTimes.Where(t => Near(proc, p => p.Ts, t, procTol) is { } p && Near(w.Proc, q => q.Ts, t, procTol) == p && Near(cg, c => c.Ts, t, cgTol) is not null).ToList();
        Assert.True(expected.Count >= 40, $"{expected.Count} Go instants with partners");
        var wide = SidecarCapture.Result(o, "rss_gap_attribution_wide");
        Assert.Equal(expected, Enumerable.Range(0, wide.RowCount).Select(r => wide[RssGapWide.TsNs][r]));
        var usage = w.Cgroup.ToDictionary(c => c.Ts, c => c.Usage);
        var longT = SidecarCapture.Result(o, "rss_gap_attribution");
        for (var r = 0; r < wide.RowCount; r++)
        {
            var sum = RssGapWide.LayerColumns.Sum(l => wide[l][r]);
            Assert.Equal(wide[RssGapWide.Total][r], sum);
            Assert.Equal(usage[longT[RssGapAttribution.CgroupTsNs][r * RssGapAttribution.Layers.Count]], sum);
        }
    }

    [Fact]
    public void Partial_ticks_cannot_produce_an_exit_or_a_kill()
    {
        // Before the kill, drop the status read of every 3rd tick, the stat read of every 5th, oom_control of every
        // 4th and every /proc read of tick 20: what is left is a capture with holes, and the process still lived.
        var exitSeq = cap.Records.Where(r => r["error"] is not null && ((string)r["path"]!).EndsWith("/status")).Min(r => (long)r["seq"]!);
        bool Keep(JsonObject r)
        {
            var (seq, path) = ((long)r["seq"]!, (string)r["path"]!);
            if (seq >= exitSeq - 1) return true;
            return !(path.EndsWith("/status") && seq % 3 == 1) && !(path.EndsWith("/stat") && seq % 5 == 2)
                && !(path.EndsWith("memory.oom_control") && seq % 4 == 3) && !(path.StartsWith("/proc/") && seq == 20);
        }
        var holes = cap.Records.Where(Keep).Select(SidecarCapture.Copy).ToList();
        Assert.True(holes.Count < cap.Records.Count - 20);
        var seqLess = holes.Select(SidecarCapture.Copy).ToList();
        foreach (var r in seqLess) r.Remove("seq");
        foreach (var (shape, file) in new[] { ("holes", SidecarCapture.Write(holes)), ("holes-noseq", SidecarCapture.Write(seqLess)) })
        {
            var o = cap.Analyze(shape, file);
            var w = o.Workloads.Single(w => w.Pid == cap.Pid);
            Assert.DoesNotContain("process_vanished", Kinds(o));
            var kill = Assert.Single(o.Kills[w]);
            Assert.InRange(cap.ExitTs - kill.WindowEnd, -cap.IntervalNs, cap.IntervalNs);
            Assert.Equal(OomEvents.VanishWindow(w)!.Value.FirstGone, kill.WindowEnd);
        }
        // Cut before the kill: a capture that ends while the process lives has no exit and no kill in it.
        var cut = cap.Records.Where(r => (long)r["seq"]! < exitSeq - 2).Select(SidecarCapture.Copy).ToList();
        foreach (var r in cut) r.Remove("seq");
        var alive = cap.Analyze("cut", SidecarCapture.Write(cut));
        Assert.DoesNotContain("process_vanished", Kinds(alive));
        Assert.DoesNotContain("oom_kill", Kinds(alive));
        Assert.Empty(alive.Kills.Values.SelectMany(k => k));
    }

    private static List<string> Kinds(HostOutput o)
    {
        var f = o.Flags;
        return Enumerable.Range(0, f.RowCount).Select(r => f[Flags.Kind][r]!).ToList();
    }
}
