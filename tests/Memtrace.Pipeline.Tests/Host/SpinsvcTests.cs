using Memtrace.Schemas.Results;
using Memtrace.Schemas.Tables;
using Xunit;
using Xunit.Abstractions;

namespace Memtrace.Pipeline.Tests.Host;

/// <summary>The spinsvc capture: a healthy HTTP netpoller, then 1.5 s of epoll_pwait(timeout 0) spinning, then idle.</summary>
public sealed class SpinsvcTests(SpinsvcCapture cap, ITestOutputHelper log) : IClassFixture<SpinsvcCapture>
{
    private List<int> Rows(Func<int, bool> where)
    {
        var t = cap.Result("spin_windows");
        return Enumerable.Range(0, t.RowCount).Where(where).ToList();
    }

    [Fact]
    public void Only_windows_inside_the_spin_phase_are_suspect()
    {
        var t = cap.Result("spin_windows");
        for (var r = 0; r < t.RowCount; r++)
            log.WriteLine($"{(t[SpinWindows.WindowStartNs][r] - cap.Phases["healthy"]) / 1e9,5:F1}s {t[SpinWindows.Syscall][r]} {t[SpinWindows.CallsPerS][r],7:F0}/s zero {t[SpinWindows.ZeroReturnFraction][r]:P0} t0 {t[SpinWindows.Timeout0Fraction].Get(r):P0} cpu {t[SpinWindows.CpuPercent].Get(r):F0} g {t[SpinWindows.GoroutinesMin].Get(r)}-{t[SpinWindows.GoroutinesMax].Get(r)} {t[SpinWindows.Suspect][r]}");
        var spin = cap.Phases["spin"];
        var idle = cap.Phases["idle"];
        var suspect = Rows(r => t[SpinWindows.Suspect][r]);
        Assert.NotEmpty(suspect);
        foreach (var r in suspect)
        {
            Assert.Equal("epoll_pwait", t[SpinWindows.Syscall][r]);
            // A suspect window overlaps the spin phase by at least half its length.
            var overlap = Math.Min(idle, t[SpinWindows.WindowEndNs][r]) - Math.Max(spin, t[SpinWindows.WindowStartNs][r]);
            Assert.True(overlap >= 500_000_000, $"suspect window at {t[SpinWindows.WindowStartNs][r]} overlaps the spin by {overlap / 1e6} ms");
        }
        // A window wholly inside the spin is suspect: thousands of calls a second, all returning 0 with timeout 0.
        var inside = Rows(r => t[SpinWindows.WindowStartNs][r] >= spin && t[SpinWindows.WindowEndNs][r] <= idle && t[SpinWindows.Syscall][r] == "epoll_pwait");
        Assert.NotEmpty(inside);
        foreach (var r in inside)
        {
            Assert.True(t[SpinWindows.Suspect][r], t[SpinWindows.Reason][r]);
            Assert.True(t[SpinWindows.CallsPerS][r] > 1000);
            Assert.True(t[SpinWindows.Timeout0Fraction][r] > 0.9);
        }
    }

    [Fact]
    public void Window_counts_match_a_naive_count_of_the_imported_exits()
    {
        var ev = cap.Archive.ReadTable(SyscallEvents.Def);
        var align = cap.Result("clock_alignment");
        var a = Enumerable.Range(0, align.RowCount).Single(r => align[ClockAlignment.Table][r] == "syscall_events");
        Assert.Equal("aligned", align[ClockAlignment.Status][a]);
        var offset = align[ClockAlignment.OffsetNs][a];
        var exits = Enumerable.Range(0, ev.RowCount).Where(r => ev[SyscallEvents.Phase][r] == "exit" && ev[SyscallEvents.Syscall][r] == "epoll_pwait")
            .Select(r => (Ts: ev[SyscallEvents.MonoNs][r] + offset, Ret: ev[SyscallEvents.Ret][r])).ToList();
        var t = cap.Result("spin_windows");
        foreach (var r in Rows(r => t[SpinWindows.Syscall][r] == "epoll_pwait"))
        {
            var inWindow = exits.Where(e => e.Ts >= t[SpinWindows.WindowStartNs][r] && e.Ts < t[SpinWindows.WindowEndNs][r]).ToList();
            Assert.Equal(inWindow.Count, t[SpinWindows.Calls][r]);
            Assert.Equal(inWindow.Count(e => e.Ret == 0) / (double)inWindow.Count, t[SpinWindows.ZeroReturnFraction][r], 9);
        }
    }

    [Fact]
    public void Healthy_netpoller_windows_are_not_suspect_even_with_many_zero_timeouts()
    {
        var t = cap.Result("spin_windows");
        var healthy = Rows(r => t[SpinWindows.WindowEndNs][r] <= cap.Phases["spin"]);
        Assert.NotEmpty(healthy);
        foreach (var r in healthy) Assert.False(t[SpinWindows.Suspect][r], t[SpinWindows.Reason][r]);
    }
}
