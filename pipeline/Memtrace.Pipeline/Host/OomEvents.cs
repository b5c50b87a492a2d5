using Memtrace.Schemas.Model;
using Memtrace.Schemas.Tables;

namespace Memtrace.Pipeline.Host;

/// <summary>One OOM kill of a workload: when (as precisely as the sources allow) and who saw it.</summary>
public sealed record OomKill(long Ts, long WindowStart, long WindowEnd, string Evidence);

/// <summary>
/// Finds a workload's OOM kills. The kernel log line ("Memory cgroup out of memory: Killed process
/// 9263 (oomsvc) …") is exact once aligned; the cgroup's oom_kill counter only says "between these two
/// reads"; the process vanishing corroborates. A vanished process with no kill evidence is a normal exit
/// as far as memtrace can tell, and is not reported as an OOM.
/// </summary>
public static class OomEvents
{
    public static List<OomKill> Find(Workload w, Table kernelLog, long?[] kernelTs)
    {
        var kills = new List<OomKill>();
        var counterKills = CounterWindows(w);
        var vanished = VanishWindow(w);
        for (var r = 0; r < kernelLog.RowCount; r++)
        {
            if (kernelLog[KernelLog.Event][r] != "oom_killed" || kernelTs[r] is not { } ts) continue;
            if ((kernelLog[KernelLog.Host][r] ?? "") != w.Host || kernelLog[KernelLog.Pid].Get(r) != w.Pid || w.Pid == 0) continue;
            var evidence = $"kernel log line {kernelLog[KernelLog.Line][r]}: {kernelLog[KernelLog.Message][r]}";
            var c = counterKills.FirstOrDefault(k => k.Start - 1_000_000_000 <= ts && ts <= k.End + 1_000_000_000);
            if (c != default) evidence += $"; cgroup oom_kill {c.Before}→{c.After} between reads at {c.Start} and {c.End}";
            if (vanished is { } v && v.LastAlive - 1_000_000_000 <= ts && ts <= v.FirstGone + 1_000_000_000) evidence += $"; /proc/{w.Pid} gone between {v.LastAlive} and {v.FirstGone}";
            kills.Add(new OomKill(ts, ts, ts, evidence));
        }
        if (kills.Count > 0) return kills;
        foreach (var c in counterKills)
        {
            var evidence = $"cgroup oom_kill {c.Before}→{c.After} between reads at {c.Start} and {c.End}";
            // With the process vanishing inside the same window, the kill was of this process: narrow the window.
            var start = c.Start;
            var end = c.End;
            if (vanished is { } v && v.FirstGone >= c.Start && v.LastAlive <= c.End)
            {
                start = Math.Max(start, v.LastAlive);
                end = Math.Min(end, v.FirstGone);
                evidence += $"; /proc/{w.Pid} gone between {v.LastAlive} and {v.FirstGone}";
            }
            kills.Add(new OomKill(end, start, end, evidence));
        }
        return kills;
    }

    private static List<(long Start, long End, long Before, long After)> CounterWindows(Workload w)
    {
        // Between successive reads of the counter: a tick that lacks memory.oom_control (or memory.events) is skipped, not a reset.
        var result = new List<(long, long, long, long)>();
        CgroupSample? last = null;
        foreach (var c in w.Cgroup)
        {
            if (c.OomKill is not { } b) continue;
            if (last?.OomKill is { } a && b > a) result.Add((last.Ts, c.Ts, a, b));
            last = c;
        }
        return result;
    }

    /// <summary>The last read that found the process and the first that did not, if it vanished.</summary>
    public static (long LastAlive, long FirstGone)? VanishWindow(Workload w)
    {
        for (var i = 1; i < w.Proc.Count; i++)
        {
            if (w.Proc[i - 1].Alive && !w.Proc[i].Alive) return (w.Proc[i - 1].Ts, w.Proc[i].Ts);
        }
        return null;
    }
}
