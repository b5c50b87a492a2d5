using Memtrace.Pipeline.Host;
using Memtrace.Schemas.Model;
using Memtrace.Schemas.Results;
using Memtrace.Schemas.Tables;

namespace Memtrace.Pipeline.Spin;

public sealed record SpinOptions
{
    public long WindowNs { get; init; } = 1_000_000_000;
    public long StepNs { get; init; } = 500_000_000;
    public double MinCallsPerSecond { get; init; } = 1000;
    public double MinZeroReturnFraction { get; init; } = 0.9;
    /// <summary>"CPU high": % of one core.</summary>
    public double MinCpuPercent { get; init; } = 80;
    /// <summary>Goroutines are flat when max − min ≤ max(this, 10% of min).</summary>
    public long GoroutineSlack { get; init; } = 2;
}

/// <summary>
/// spin_windows (seed 002): an event loop that wakes over and over with nothing to do. Per (pid,
/// epoll_wait|epoll_pwait) and sliding window: completed calls per second, the share returning 0, the
/// share entered with timeout 0, the process's CPU from /proc stat deltas and the goroutine count. A
/// window is suspect when calls/s > 1000, > 90% return 0, CPU is high and the goroutine count is flat:
/// the CPU goes to polling, not to work. Go's netpoller calls epoll_pwait, so both are examined.
/// Rows whose clock could not be aligned are left out (the clock_alignment table says so).
/// </summary>
public static class SpinDetector
{
    private static readonly HashSet<string> Epoll = ["epoll_wait", "epoll_pwait"];

    public static Table Run(Table syscalls, long?[] alignedTs, IReadOnlyList<Workload> workloads, SpinOptions o)
    {
        var t = new Table(SpinWindows.Def);
        var groups = new SortedDictionary<(string Host, long Pid, string Syscall), (List<(long Ts, long? Timeout)> Enters, List<(long Ts, long Ret)> Exits)>();
        for (var r = 0; r < syscalls.RowCount; r++)
        {
            var name = syscalls[SyscallEvents.Syscall][r] ?? "";
            if (!Epoll.Contains(name) || alignedTs[r] is not { } ts) continue;
            var key = (syscalls[SyscallEvents.Host][r] ?? "", syscalls[SyscallEvents.Pid][r], name);
            if (!groups.TryGetValue(key, out var g)) groups[key] = g = ([], []);
            if (syscalls[SyscallEvents.Phase][r] == "enter") g.Enters.Add((ts, syscalls[SyscallEvents.TimeoutMs].Get(r)));
            else if (syscalls[SyscallEvents.Ret].Get(r) is { } ret) g.Exits.Add((ts, ret));
        }
        foreach (var ((host, pid, name), (enters, exits)) in groups)
        {
            enters.Sort((a, b) => a.Ts.CompareTo(b.Ts));
            exits.Sort((a, b) => a.Ts.CompareTo(b.Ts));
            if (exits.Count == 0) continue;
            var w = workloads.FirstOrDefault(x => x.Host == host && x.Pid == pid);
            var windows = Windows(enters, exits, o);
            var cpus = Cpu(w, windows);
            var goTolerance = w is null ? 0 : Pairing.MedianInterval(w.Go.Select(g => g.Ts).ToList()) / 2;
            for (var k = 0; k < windows.Count; k++)
            {
                var (start, end, calls, zero, withTimeout, timeout0) = windows[k];
                var rate = calls / (o.WindowNs / 1e9);
                var zeroFrac = (double)zero / calls;
                var cpu = cpus[k];
                var (gmin, gmax) = w is null ? (null, null) : Goroutines(w, start, end, goTolerance);
                var flat = gmin is { } mn && gmax is { } mx ? mx - mn <= Math.Max(o.GoroutineSlack, mn / 10) : (bool?)null;
                var conditions = new List<string>
                {
                    $"{rate:F0} calls/s {(rate > o.MinCallsPerSecond ? ">" : "≤")} {o.MinCallsPerSecond:F0}",
                    $"{zeroFrac:P1} returned 0 {(zeroFrac > o.MinZeroReturnFraction ? ">" : "≤")} {o.MinZeroReturnFraction:P0}",
                    cpu is { } c ? $"CPU {c:F0}% {(c >= o.MinCpuPercent ? "≥" : "<")} {o.MinCpuPercent:F0}%" : "CPU unknown (no /proc reads around the window)",
                    flat switch { true => $"goroutines flat ({gmin}–{gmax})", false => $"goroutines moving ({gmin}–{gmax})", _ => "goroutine count unknown" },
                };
                var suspect = rate > o.MinCallsPerSecond && zeroFrac > o.MinZeroReturnFraction && cpu >= o.MinCpuPercent && flat != false;
                t[SpinWindows.Host].Append(host); t[SpinWindows.Pid].Append(pid); t[SpinWindows.Syscall].Append(name);
                t[SpinWindows.WindowStartNs].Append(start); t[SpinWindows.WindowEndNs].Append(end); t[SpinWindows.Calls].Append(calls);
                t[SpinWindows.CallsPerS].Append(rate); t[SpinWindows.ZeroReturnFraction].Append(zeroFrac);
                t[SpinWindows.Timeout0Fraction].Append(withTimeout > 0 ? (double)timeout0 / withTimeout : null);
                t[SpinWindows.CpuPercent].Append(cpu); t[SpinWindows.GoroutinesMin].Append(gmin); t[SpinWindows.GoroutinesMax].Append(gmax);
                t[SpinWindows.Suspect].Append(suspect); t[SpinWindows.Reason].Append(string.Join("; ", conditions));
                t.CommitRow();
            }
        }
        return t;
    }

    private readonly record struct Window(long Start, long End, int Calls, int Zero, int WithTimeout, int Timeout0);

    /// <summary>Sliding windows over the sorted enters and exits (four monotone pointers); windows without an exit are left out.</summary>
    private static List<Window> Windows(List<(long Ts, long? Timeout)> enters, List<(long Ts, long Ret)> exits, SpinOptions o)
    {
        var windows = new List<Window>();
        var first = exits[0].Ts - Mod(exits[0].Ts, o.StepNs);
        int lo = 0, hi = 0, elo = 0, ehi = 0;
        for (var start = first; start <= exits[^1].Ts; start += o.StepNs)
        {
            var end = start + o.WindowNs;
            while (lo < exits.Count && exits[lo].Ts < start) lo++;
            if (hi < lo) hi = lo;
            while (hi < exits.Count && exits[hi].Ts < end) hi++;
            while (elo < enters.Count && enters[elo].Ts < start) elo++;
            if (ehi < elo) ehi = elo;
            while (ehi < enters.Count && enters[ehi].Ts < end) ehi++;
            if (hi == lo) continue;
            var zero = 0;
            for (var i = lo; i < hi; i++) if (exits[i].Ret == 0) zero++;
            int withTimeout = 0, timeout0 = 0;
            for (var i = elo; i < ehi; i++)
            {
                if (enters[i].Timeout is not { } to) continue;
                withTimeout++;
                if (to == 0) timeout0++;
            }
            windows.Add(new Window(start, end, hi - lo, zero, withTimeout, timeout0));
        }
        return windows;
    }

    private static long Mod(long a, long m) => ((a % m) + m) % m;

    /// <summary>
    /// CPU between the /proc reads nearest each window's two ends (within one sampling interval of them):
    /// one nearest join for all window starts and one for all ends, not a search per window.
    /// </summary>
    private static double?[] Cpu(Workload? w, List<Window> windows)
    {
        var cpu = new double?[windows.Count];
        if (w is null || w.Proc.Count < 2) return cpu;
        var times = w.Proc.Select(p => p.Ts).ToList();
        var tol = Math.Max(1, Pairing.MedianInterval(times));
        var atStart = Pairing.Nearest(windows.Select(x => x.Start).ToList(), times, tol);
        var atEnd = Pairing.Nearest(windows.Select(x => x.End).ToList(), times, tol);
        for (var k = 0; k < windows.Count; k++)
        {
            if (atStart[k] >= 0 && atEnd[k] >= 0 && atEnd[k] > atStart[k]) cpu[k] = Pairing.CpuPercent(w.Proc[atStart[k]], w.Proc[atEnd[k]]);
        }
        return cpu;
    }

    private static (long?, long?) Goroutines(Workload w, long start, long end, long tol)
    {
        var counts = w.Go.Where(g => g.Ts >= start - tol && g.Ts < end + tol && g.NumGoroutine is not null).Select(g => g.NumGoroutine!.Value).ToList();
        return counts.Count == 0 ? (null, null) : (counts.Min(), counts.Max());
    }
}
