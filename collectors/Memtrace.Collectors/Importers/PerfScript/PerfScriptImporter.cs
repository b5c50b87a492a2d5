using Memtrace.Collectors.Importers.Common;
using Memtrace.Schemas.Model;
using Memtrace.Schemas.Stats;
using Memtrace.Schemas.Tables;

namespace Memtrace.Collectors.Importers.PerfScript;

/// <summary>
/// `perf script` text of syscalls:sys_enter_* / sys_exit_* tracepoints (plain or gzip), into
/// syscall_events. Recorded with `perf record -k CLOCK_MONOTONIC`, the stamps are monotonic seconds:
/// ts_ns stays null and mono_ns is set, and clock alignment places them on UTC from a dual-clock
/// source on the same host. Stamps above 10⁹ s can only be CLOCK_REALTIME (-k CLOCK_REALTIME), so
/// they go straight to ts_ns; a `perf script --header` "# clockid:" line settles it either way.
/// raw_syscalls:sys_enter/sys_exit lines are named from their syscall number (x86_64 or the header's
/// arch). Other events in the file are ignored.
/// </summary>
public sealed class PerfScriptImporter : IImporter
{
    /// <summary>Seconds past which a perf stamp is wall-clock time (2001-09-09), not time since boot.</summary>
    private const long RealtimeThresholdNs = 1_000_000_000L * 1_000_000_000L;

    public string Format => "perf-script";
    public int Version => 1;
    public string Description => "perf script output of syscalls: tracepoints (epoll_wait/epoll_pwait …), plain or .gz";

    public bool Sniff(ReadOnlySpan<byte> head, string path)
    {
        var text = Common.TextHead.Decode(head);
        foreach (var line in text.Split('\n'))
        {
            if (PerfScriptLine.LooksLike(line) && PerfScriptLine.TryParse(line.TrimEnd('\r'), out _)) return true;
        }
        return false;
    }

    public ImportResult Import(ImportContext ctx)
    {
        var t = new Table(SyscallEvents.Def);
        var open = new Dictionary<long, bool>();
        long lineNo = 0, realtime = 0, monotonic = 0;
        string? headerClock = null;
        var arch = "x86_64";
        using var stream = Common.TextHead.OpenMaybeGzip(ctx.Path);
        using var reader = new StreamReader(stream);
        foreach (var raw in BoundedLines.Read(reader, ctx.Stats))
        {
            lineNo++;
            var line = raw.TrimEnd('\r');
            // perf script --header: "# clockid: monotonic (1)" and "# arch : x86_64" say how to read what follows.
            if (line.StartsWith("# clockid: ", StringComparison.Ordinal)) { headerClock = line[11..].Split(' ')[0]; continue; }
            if (line.StartsWith("# arch : ", StringComparison.Ordinal)) { arch = line[9..].Trim(); continue; }
            if (!PerfScriptLine.LooksLike(line)) continue;
            if (!PerfScriptLine.TryParse(line, out var r, arch) || r is null)
            {
                ctx.Stats.Log(StatsCatalog.PerfBadLine, $"line {lineNo}", line, "names a syscalls: tracepoint but does not parse as 'comm pid/tid [cpu] secs.frac: syscalls:sys_enter|exit_NAME: args'");
                continue;
            }
            if (r.Enter) open[r.Tid] = true;
            else if (!open.Remove(r.Tid)) ctx.Stats.Count(StatsCatalog.PerfUnpairedExit);
            var isRealtime = headerClock is { } hc ? hc == "realtime" : r.TimeNs >= RealtimeThresholdNs;
            if (isRealtime) realtime++; else monotonic++;
            t[Col.SourceId].Append(ctx.SourceId);
            t[SyscallEvents.TsNs].Append(isRealtime ? r.TimeNs : null);
            t[SyscallEvents.MonoNs].Append(isRealtime ? null : r.TimeNs);
            t[SyscallEvents.Host].Append(ctx.Options.Host);
            t[SyscallEvents.Pid].Append(r.Pid ?? ctx.Options.Pid ?? r.Tid);
            t[SyscallEvents.Tid].Append(r.Tid);
            t[SyscallEvents.Comm].Append(r.Comm);
            t[SyscallEvents.Syscall].Append(r.Syscall);
            t[SyscallEvents.Phase].Append(r.Enter ? "enter" : "exit");
            t[SyscallEvents.Ret].Append(r.Ret);
            t[SyscallEvents.TimeoutMs].Append(r.TimeoutMs);
            t[SyscallEvents.Args].Append(r.Enter ? r.Args : null);
            t.CommitRow();
            if ((lineNo & 0xffff) == 0) ctx.Progress?.Invoke(0.5);
        }
        if (Common.TextHead.InflateError(stream) is { } cut)
            ctx.Stats.Log(StatsCatalog.PerfBadLine, $"line {lineNo + 1}", "", cut);
        if (t.RowCount == 0) throw new ImportRefusedException("no syscalls:sys_enter_*/sys_exit_* line parsed (record with perf record -e 'syscalls:sys_*_epoll_pwait' and print with perf script)");
        var domain = realtime > 0 && monotonic == 0 ? "realtime" : monotonic > 0 && realtime == 0 ? "monotonic" : "mixed";
        var notes = new SortedDictionary<string, string>(StringComparer.Ordinal) { ["clock_source"] = headerClock is null ? "inferred from the stamps' size" : "perf header clockid", ["arch"] = arch };
        return new ImportResult { Tables = [t], ClockDomain = domain, ClockAligned = domain == "realtime", Notes = notes };
    }
}
