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
            log.WriteLine($"{(t.I64("window_start_ns")[r] - cap.Phases["healthy"]) / 1e9,5:F1}s {t.Str("syscall")[r]} {t.F64("calls_per_s")[r],7:F0}/s zero {t.F64("zero_return_fraction")[r]:P0} t0 {t.F64("timeout0_fraction").Get(r):P0} cpu {t.F64("cpu_percent").Get(r):F0} g {t.I64("goroutines_min").Get(r)}-{t.I64("goroutines_max").Get(r)} {t.Bool("suspect")[r]}");
        var spin = cap.Phases["spin"];
        var idle = cap.Phases["idle"];
        var suspect = Rows(r => t.Bool("suspect")[r]);
        Assert.NotEmpty(suspect);
        foreach (var r in suspect)
        {
            Assert.Equal("epoll_pwait", t.Str("syscall")[r]);
            // A suspect window overlaps the spin phase by at least half its length.
            var overlap = Math.Min(idle, t.I64("window_end_ns")[r]) - Math.Max(spin, t.I64("window_start_ns")[r]);
            Assert.True(overlap >= 500_000_000, $"suspect window at {t.I64("window_start_ns")[r]} overlaps the spin by {overlap / 1e6} ms");
        }
        // A window wholly inside the spin is suspect: thousands of calls a second, all returning 0 with timeout 0.
        var inside = Rows(r => t.I64("window_start_ns")[r] >= spin && t.I64("window_end_ns")[r] <= idle && t.Str("syscall")[r] == "epoll_pwait");
        Assert.NotEmpty(inside);
        foreach (var r in inside)
        {
            Assert.True(t.Bool("suspect")[r], t.Str("reason")[r]);
            Assert.True(t.F64("calls_per_s")[r] > 1000);
            Assert.True(t.F64("timeout0_fraction")[r] > 0.9);
        }
    }

    [Fact]
    public void Window_counts_match_a_naive_count_of_the_imported_exits()
    {
        var ev = cap.Archive.ReadTable(SyscallEvents.Def);
        var align = cap.Result("clock_alignment");
        var a = Enumerable.Range(0, align.RowCount).Single(r => align.Str("table")[r] == "syscall_events");
        Assert.Equal("aligned", align.Str("status")[a]);
        var offset = align.I64("offset_ns")[a];
        var exits = Enumerable.Range(0, ev.RowCount).Where(r => ev.Str("phase")[r] == "exit" && ev.Str("syscall")[r] == "epoll_pwait")
            .Select(r => (Ts: ev.I64("mono_ns")[r] + offset, Ret: ev.I64("ret")[r])).ToList();
        var t = cap.Result("spin_windows");
        foreach (var r in Rows(r => t.Str("syscall")[r] == "epoll_pwait"))
        {
            var inWindow = exits.Where(e => e.Ts >= t.I64("window_start_ns")[r] && e.Ts < t.I64("window_end_ns")[r]).ToList();
            Assert.Equal(inWindow.Count, t.I64("calls")[r]);
            Assert.Equal(inWindow.Count(e => e.Ret == 0) / (double)inWindow.Count, t.F64("zero_return_fraction")[r], 9);
        }
    }

    [Fact]
    public void Healthy_netpoller_windows_are_not_suspect_even_with_many_zero_timeouts()
    {
        var t = cap.Result("spin_windows");
        var healthy = Rows(r => t.I64("window_end_ns")[r] <= cap.Phases["spin"]);
        Assert.NotEmpty(healthy);
        foreach (var r in healthy) Assert.False(t.Bool("suspect")[r], t.Str("reason")[r]);
    }
}
