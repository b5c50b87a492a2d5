using System.Globalization;
using System.Text.RegularExpressions;

namespace Memtrace.Collectors.Importers.PerfScript;

/// <summary>
/// One syscall tracepoint line of `perf script`, as tools/perf/builtin-script.c prints it with
/// -F comm,pid,tid,cpu,time,event,trace (pid/tid, cpu and the fraction digits are optional):
/// "         spinsvc  9524/9527  [000] 13368.713250677: syscalls:sys_enter_epoll_pwait: epfd: 0x00000005, events: 0x7efbff2ec6e0, maxevents: 0x00000080, timeout: 0x00000000, sigmask: 0x00000000, sigsetsize: 0x00000000"
/// "         spinsvc  9524/9527  [000] 13368.713286876:  syscalls:sys_exit_epoll_pwait: 0x0"
/// The comm is right-aligned and may itself contain spaces, so the line is anchored on the numbers after it.
/// </summary>
public sealed partial record PerfScriptLine(string Comm, long? Pid, long Tid, long TimeNs, string Syscall, bool Enter, long? Ret, long? TimeoutMs, string Args)
{
    [GeneratedRegex(@"^\s*(.*?)\s+(\d+)(?:/(\d+))?\s+(?:\[\d+\]\s+)?(\d+)\.(\d{1,9}):\s+syscalls:sys_(enter|exit)_(\w+):\s*(.*)$")]
    private static partial Regex Pattern();

    [GeneratedRegex(@"(?:^|,\s*)timeout(?:_msecs)?:\s*(0x[0-9a-fA-F]+|-?\d+)")]
    private static partial Regex Timeout();

    // raw_syscalls, the default perf script fields: "spinsvc 30852 [000] 15880.019727869: raw_syscalls:sys_enter: NR 281 (5, 7f92d23eb6e0, 80, 0, 0, 0)"
    // and "spinsvc 30852 [000] 15880.019729051:  raw_syscalls:sys_exit: NR 281 = 1". The arguments are %lx, the return %ld.
    [GeneratedRegex(@"^\s*(.*?)\s+(\d+)(?:/(\d+))?\s+(?:\[\d+\]\s+)?(\d+)\.(\d{1,9}):\s+raw_syscalls:sys_(enter|exit):\s*NR (\d+) (?:\(([0-9a-f, ]*)\)|= (-?\d+))\s*$")]
    private static partial Regex Raw();

    /// <summary>Syscall numbers memtrace names (the epoll family), by architecture; others keep "NR_n".</summary>
    private static readonly Dictionary<string, Dictionary<long, string>> Numbers = new()
    {
        ["x86_64"] = new() { [232] = "epoll_wait", [281] = "epoll_pwait", [441] = "epoll_pwait2" },
        ["aarch64"] = new() { [22] = "epoll_pwait", [441] = "epoll_pwait2" },
    };

    /// <summary>True for a line naming a syscalls: or raw_syscalls: tracepoint, whether or not it parses.</summary>
    public static bool LooksLike(string line) => line.Contains(" syscalls:sys_", StringComparison.Ordinal) || line.Contains(" raw_syscalls:sys_", StringComparison.Ordinal);

    public static bool TryParse(string line, out PerfScriptLine? record, string arch = "x86_64")
    {
        try
        {
            return TryParseFields(line, out record, arch);
        }
        catch (OverflowException)
        {
            // A pid, tid, syscall number or return value beyond 64 bits (found by the fuzzer): a bad line.
            record = null;
            return false;
        }
    }

    private static bool TryParseFields(string line, out PerfScriptLine? record, string arch)
    {
        record = null;
        if (line.Contains(" raw_syscalls:sys_", StringComparison.Ordinal)) return TryRaw(line, arch, out record);
        var m = Pattern().Match(line);
        if (!TryHead(m, out var ns, out var pid, out var tid)) return false;
        var enter = m.Groups[6].Value == "enter";
        var args = m.Groups[8].Value.Trim();
        long? ret = null, timeout = null;
        if (enter)
        {
            // The timeout is a C int printed as 0x%08lx: 0xffffffff is −1 (block forever).
            var t = Timeout().Match(args);
            if (t.Success)
            {
                if (!TryInt(t.Groups[1].Value, out var v)) return false;
                timeout = (int)v;
            }
        }
        else
        {
            // "0x0", "0xfffffffffffffffc" (−EINTR) or, from older perf, "ret: 0x0".
            var r = args.StartsWith("ret:", StringComparison.Ordinal) ? args[4..].Trim() : args;
            if (!TryInt(r, out var v)) return false;
            ret = v;
        }
        record = new PerfScriptLine(m.Groups[1].Value, pid, tid, ns, m.Groups[7].Value, enter, ret, timeout, args);
        return true;
    }

    /// <summary>
    /// The part both line shapes share, groups 2–5: "pid/tid" (or the tid alone, without -F pid) and the
    /// "secs.frac" stamp.
    /// </summary>
    private static bool TryHead(Match m, out long ns, out long? pid, out long tid)
    {
        pid = null;
        tid = 0;
        ns = 0;
        if (!m.Success || !Common.SecondsStamp.TryParse(m.Groups[4].ValueSpan, m.Groups[5].Value, out ns)) return false;
        var first = long.Parse(m.Groups[2].ValueSpan, CultureInfo.InvariantCulture);
        pid = m.Groups[3].Success ? first : null;
        tid = m.Groups[3].Success ? long.Parse(m.Groups[3].ValueSpan, CultureInfo.InvariantCulture) : first;
        return true;
    }

    private static bool TryRaw(string line, string arch, out PerfScriptLine? record)
    {
        record = null;
        var m = Raw().Match(line);
        if (!TryHead(m, out var ns, out var pid, out var tid)) return false;
        var nr = long.Parse(m.Groups[7].ValueSpan, CultureInfo.InvariantCulture);
        var name = Numbers.GetValueOrDefault(arch)?.GetValueOrDefault(nr) ?? $"NR_{nr}";
        var enter = m.Groups[6].Value == "enter";
        long? timeout = null, ret = null;
        if (enter)
        {
            if (!m.Groups[8].Success) return false;
            var args = m.Groups[8].Value.Split(", ");
            // epoll_wait/epoll_pwait(epfd, events, maxevents, timeout, …): the int timeout is the 4th register.
            if (name.StartsWith("epoll_pwait", StringComparison.Ordinal) || name == "epoll_wait")
            {
                if (args.Length < 4 || !ulong.TryParse(args[3], NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var raw)) return false;
                timeout = unchecked((int)raw);
            }
        }
        else
        {
            if (!m.Groups[9].Success) return false;
            ret = long.Parse(m.Groups[9].ValueSpan, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture);
        }
        record = new PerfScriptLine(m.Groups[1].Value, pid, tid, ns, name, enter, ret, timeout, m.Groups[8].Value);
        return true;
    }

    private static bool TryInt(string s, out long value)
    {
        if (s.StartsWith("0x", StringComparison.OrdinalIgnoreCase))
        {
            var ok = ulong.TryParse(s.AsSpan(2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var u);
            value = unchecked((long)u);
            return ok;
        }
        return long.TryParse(s, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out value);
    }
}
