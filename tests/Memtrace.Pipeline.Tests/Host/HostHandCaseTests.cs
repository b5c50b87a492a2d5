using Memtrace.Pipeline.Host;
using Memtrace.Pipeline.Normalize;
using Memtrace.Pipeline.RssGap;
using Memtrace.Schemas.Model;
using Memtrace.Schemas.Results;
using Memtrace.Schemas.Stats;
using Memtrace.Schemas.Tables;
using Xunit;

namespace Memtrace.Pipeline.Tests.Host;

/// <summary>Tiny hand cases for the layers, the clocks and the timeline, with the expected numbers worked out in the test.</summary>
public sealed class HostHandCaseTests
{
    private const long MiB = 1 << 20;

    [Fact]
    public void Layers_of_a_hand_sample_match_the_hand_split_and_sum_to_usage()
    {
        // Go: HeapAlloc 100, HeapInuse 120, HeapIdle 50, HeapReleased 30, StackInuse 6, StackSys 8, metadata 2+1+1+4+3 = 11.
        // HeapSys = 170, Sys = 170 + 8 + 11 = 189, Go-managed = 189 − 30 = 159.
        var g = new GoSample(0, 100 * MiB, 120 * MiB, 50 * MiB, 30 * MiB, 170 * MiB, 6 * MiB, 8 * MiB, 2 * MiB, 1 * MiB, 1 * MiB, 4 * MiB, 3 * MiB, 189 * MiB, 10, long.MaxValue);
        var p = new ProcSample(0, true, VmRss: 230 * MiB, RssAnon: 207 * MiB, RssFile: 20 * MiB, RssShmem: 3 * MiB, CpuTicks: 0);
        // cgroup: anon 250, file 400 (inactive 300), kernel 30, usage 690 → residual 10.
        var c = new CgroupSample(0, 2, Usage: 690 * MiB, Limit: 1024 * MiB, Anon: 250 * MiB, File: 400 * MiB, InactiveFile: 300 * MiB, Kernel: 30 * MiB, 0, 0, null, null);
        var s = Layers.Split(g, p, c);
        long[] expected = [100, 20, 20, 8, 11, 0, 207 - 159, 23, 250 - 207, 400 - 300 - 23, 300, 30, 10];
        Assert.Equal(expected.Select(x => x * MiB), s.Bytes);
        Assert.Equal(690 * MiB, s.Bytes.Sum());
        Assert.Equal(159 * MiB, s.GoManaged);

        // RssAnon below Go-managed: the not-resident layer takes the difference, off-heap is 0, the sum still holds.
        var low = Layers.Split(g, p with { RssAnon = 150 * MiB }, c);
        Assert.Equal(-9 * MiB, low.Bytes[Layers.GoNotResident]);
        Assert.Equal(0, low.Bytes[Layers.OffHeapAnon]);
        Assert.Equal(690 * MiB, low.Bytes.Sum());

        // No cgroup: the layers sum to VmRSS, and a non-Go process has all its anon off-heap.
        var bare = Layers.Split(null, p, null);
        Assert.Equal("vm_rss", bare.TotalKind);
        Assert.Equal(207 * MiB, bare.Bytes[Layers.OffHeapAnon]);
        Assert.Equal(230 * MiB, bare.Bytes.Sum());
    }

    private static Table Proc(params (long Ts, long? Mono, string Source)[] rows)
    {
        var t = new Table(ProcSamples.Def);
        foreach (var (ts, mono, src) in rows)
        {
            t[Col.SourceId].Append(src); t[ProcSamples.TsNs].Append(ts); t[ProcSamples.MonoNs].Append(mono); t[ProcSamples.Host].Append("h"); t[ProcSamples.Pid].Append(7);
            t[ProcSamples.Alive].Append(true); t[ProcSamples.VmRss].Append(10 * MiB); t[ProcSamples.RssAnon].Append(8 * MiB); t[ProcSamples.RssFile].Append(2 * MiB); t[ProcSamples.RssShmem].Append(0);
            t[ProcSamples.UtimeTicks].Append(ts / 10_000_000); t[ProcSamples.StimeTicks].Append(0);
            t.CommitRow();
        }
        return t;
    }

    private static Table Syscalls(string host, params long[] monos)
    {
        var t = new Table(SyscallEvents.Def);
        foreach (var m in monos)
        {
            t[Col.SourceId].Append("perf"); t[SyscallEvents.TsNs].Append(null); t[SyscallEvents.MonoNs].Append(m); t[SyscallEvents.Host].Append(host); t[SyscallEvents.Pid].Append(7); t[SyscallEvents.Tid].Append(7);
            t[SyscallEvents.Comm].Append("x"); t[SyscallEvents.Syscall].Append("epoll_pwait"); t[SyscallEvents.Phase].Append("exit"); t[SyscallEvents.Ret].Append(0);
            t.CommitRow();
        }
        return t;
    }

    [Fact]
    public void Monotonic_rows_take_the_hosts_median_offset_and_a_host_without_dual_clocks_stays_unanchored()
    {
        const long off = 1_700_000_000_000_000_000;
        // Three sampler reads: realtime − monotonic = off, off + 2 µs, off − 1 µs → median off, error 2 µs.
        var proc = Proc((off + 1_000, 1_000, "s"), (off + 2_002_000, 2_000_000, "s"), (off + 2_999_000, 3_000_000, "s"));
        var inputs = HostInputs.Load(proc, new Table(CgroupSamples.Def), new Table(GoRuntimeSamples.Def));
        var aligned = ClockAligner.Run(Syscalls("h", 5_000, 6_000), new Table(KernelLog.Def), new Table(GoGcEvents.Def), new Table(GoRuntimeSamples.Def), [proc], inputs.Faults);
        Assert.Equal([off + 5_000, off + 6_000], aligned.Syscalls);
        var a = aligned.Alignment;
        var row = Enumerable.Range(0, a.RowCount).Single(r => a[ClockAlignment.Table][r] == "syscall_events");
        Assert.Equal((off, 2_000L, 3L), (a[ClockAlignment.OffsetNs][row], a[ClockAlignment.ErrorNs][row], a[ClockAlignment.Pairs][row]));

        var other = ClockAligner.Run(Syscalls("elsewhere", 5_000), new Table(KernelLog.Def), new Table(GoGcEvents.Def), new Table(GoRuntimeSamples.Def), [proc], inputs.Faults);
        Assert.Null(other.Syscalls[0]);
        Assert.Equal(1, other.Counts[StatsCatalog.ClockUnanchored.Key]);
        var u = other.Alignment;
        Assert.Contains(Enumerable.Range(0, u.RowCount), r => u[ClockAlignment.Status][r] == "unanchored" && u[ClockAlignment.Table][r] == "syscall_events");
        // Left out of joins: no spin window is built from rows without a UTC time.
        Assert.Equal(0, Memtrace.Pipeline.Spin.SpinDetector.Run(Syscalls("elsewhere", 5_000), other.Syscalls, inputs.Workloads, new()).RowCount);
    }

    [Fact]
    public void Backward_steps_and_duplicate_samples_are_counted_and_the_series_is_put_in_time_order()
    {
        // File order 1 s, 2 s, 2 s (duplicate), 1.5 s (clock stepped back), 3 s.
        var proc = Proc((1_000_000_000, null, "s"), (2_000_000_000, null, "s"), (2_000_000_000, null, "s"), (1_500_000_000, null, "s"), (3_000_000_000, null, "s"));
        var inputs = HostInputs.Load(proc, new Table(CgroupSamples.Def), new Table(GoRuntimeSamples.Def));
        var f = Assert.Single(inputs.Faults);
        Assert.Equal((5L, 1L, 1L), (f.Rows, f.Backwards, f.Duplicates));
        Assert.Equal([1_000_000_000L, 1_500_000_000, 2_000_000_000, 3_000_000_000], inputs.Workloads.Single().Proc.Select(p => p.Ts));
        var aligned = ClockAligner.Run(new Table(SyscallEvents.Def), new Table(KernelLog.Def), new Table(GoGcEvents.Def), new Table(GoRuntimeSamples.Def), [proc], inputs.Faults);
        Assert.Equal(1, aligned.Counts[StatsCatalog.ClockBackwards.Key]);
        Assert.Equal(1, aligned.Counts[StatsCatalog.DuplicateSamples.Key]);
    }

    [Fact]
    public void Timeline_grid_is_the_densest_source_or_a_regular_step_and_values_come_only_from_within_tolerance()
    {
        var w = new Workload("h", "/cg", 7);
        for (var i = 0; i < 9; i++) w.Proc.Add(new ProcSample(i * 250_000_000L, true, 10, 8, 2, 0, i * 25));
        w.Go.Add(new GoSample(1_000_000_000, 1, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 5, null));
        w.Go.Add(new GoSample(2_000_000_000, 2, 2, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 2, 6, null));
        var t = MemoryTimelineBuilder.Run([w], new TimelineOptions());
        Assert.Equal(9, t.RowCount);
        // Go every 1 s, grid every 250 ms: tolerance = min(1 s, 1 s / 2) = 500 ms, so 0.5 s..1.5 s get the 1 s read
        // (0.5 s is exactly as far from 1 s as from nothing earlier) and 1.75 s..2 s the 2 s read.
        long?[] expected = [null, null, 1_000_000_000, 1_000_000_000, 1_000_000_000, 1_000_000_000, 1_000_000_000, 2_000_000_000, 2_000_000_000];
        Assert.Equal(expected, Enumerable.Range(0, 9).Select(r => t[MemoryTimeline.GoTsNs].Get(r)));
        // 25 ticks per 250 ms at USER_HZ 100 = 0.25 s of CPU in 0.25 s: 100% of one core.
        Assert.Equal(100.0, t[MemoryTimeline.CpuPercent][1], 9);
        var stepped = MemoryTimelineBuilder.Run([w], new TimelineOptions { StepNs = 400_000_000 });
        Assert.Equal([0L, 400_000_000, 800_000_000, 1_200_000_000, 1_600_000_000, 2_000_000_000], Enumerable.Range(0, stepped.RowCount).Select(r => stepped[MemoryTimeline.TsNs][r]));
    }
}
