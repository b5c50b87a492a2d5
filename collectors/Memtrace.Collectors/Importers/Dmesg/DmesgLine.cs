using System.Globalization;
using System.Text.RegularExpressions;

namespace Memtrace.Collectors.Importers.Dmesg;

/// <summary>
/// The OOM killer's kernel log lines (mm/oom_kill.c), each behind dmesg's "[seconds.micros]" stamp:
/// "[13311.955658] oomsvc invoked oom-killer: gfp_mask=0xcc0(GFP_KERNEL), order=0, oom_score_adj=0"
/// "[13311.956453] oom-kill:constraint=CONSTRAINT_MEMCG,nodemask=(null),cpuset=/,mems_allowed=0,oom_memcg=/a/b,task_memcg=/a/b,task=oomsvc,pid=9263,uid=0"
/// "[13311.956500] Memory cgroup out of memory: Killed process 9263 (oomsvc) total-vm:1628208kB, anon-rss:522788kB, file-rss:5424kB, shmem-rss:0kB, UID:0 pgtables:1180kB oom_score_adj:0"
/// "[13311.970000] oom_reaper: reaped process 9263 (oomsvc), now anon-rss:0kB, file-rss:0kB, shmem-rss:0kB"
/// A system-wide OOM says "Out of memory: Killed process …" instead.
/// </summary>
public sealed partial record DmesgLine(long MonoNs, string Event, long? Pid, string? Comm, string? Memcg, long? AnonRss, long? FileRss, long? ShmemRss, string Message)
{
    [GeneratedRegex(@"^\s*\[\s*(\d+)\.(\d{1,9})\]\s?(.*)$")]
    private static partial Regex Stamp();

    [GeneratedRegex(@"^(.*) invoked oom-killer:")]
    private static partial Regex Invoked();

    [GeneratedRegex(@"^oom-kill:(.*)$")]
    private static partial Regex Context();

    [GeneratedRegex(@"(?:Memory cgroup out of memory|Out of memory(?: \(oom_kill_allocating_task\))?): Killed process (\d+) \((.*)\) (.*)$")]
    private static partial Regex Killed();

    [GeneratedRegex(@"^oom_reaper: reaped process (\d+) \((.*)\), now (.*)$")]
    private static partial Regex Reaped();

    [GeneratedRegex(@"(anon|file|shmem)-rss:(\d+)kB")]
    private static partial Regex Rss();

    [GeneratedRegex(@"^\[(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun) [A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d \d{4}\]")]
    private static partial Regex HumanStamp();

    /// <summary>A `dmesg -T` line, whose wall-clock stamp the kernel derives from boot time and can be off by time suspended.</summary>
    public static bool IsHumanStamped(string line) => HumanStamp().IsMatch(line);

    /// <summary>True for a kernel line about the OOM killer, whether or not it parses.</summary>
    public static bool LooksLike(string line) =>
        line.Contains("oom-kill", StringComparison.Ordinal) || line.Contains("Killed process", StringComparison.Ordinal) || line.Contains("oom_reaper:", StringComparison.Ordinal);

    public static bool TryStamp(string line, out long monoNs, out string message)
    {
        monoNs = 0;
        message = "";
        var m = Stamp().Match(line);
        if (!m.Success || !Common.SecondsStamp.TryParse(m.Groups[1].ValueSpan, m.Groups[2].Value, out monoNs)) return false;
        message = m.Groups[3].Value;
        return true;
    }

    public static bool TryParse(string line, out DmesgLine? record)
    {
        try
        {
            return TryParseFields(line, out record);
        }
        catch (OverflowException)
        {
            // A pid or a kB figure beyond 64 bits (found by the fuzzer): a bad line, not a failed import.
            record = null;
            return false;
        }
    }

    private static bool TryParseFields(string line, out DmesgLine? record)
    {
        record = null;
        if (!TryStamp(line, out var mono, out var msg)) return false;
        if (Killed().Match(msg) is { Success: true } k)
        {
            var rss = RssFields(k.Groups[3].Value);
            record = new DmesgLine(mono, "oom_killed", long.Parse(k.Groups[1].ValueSpan, CultureInfo.InvariantCulture), k.Groups[2].Value, null, rss.Anon, rss.File, rss.Shmem, msg);
            return rss.Anon is not null;
        }
        if (Context().Match(msg) is { Success: true } c)
        {
            var fields = c.Groups[1].Value.Split(',').Select(f => f.Split('=', 2)).Where(kv => kv.Length == 2).GroupBy(kv => kv[0]).ToDictionary(g => g.Key, g => g.First()[1]);
            long? pid = fields.TryGetValue("pid", out var p) && long.TryParse(p, CultureInfo.InvariantCulture, out var pv) ? pv : null;
            var memcg = fields.GetValueOrDefault("task_memcg") ?? fields.GetValueOrDefault("oom_memcg");
            if (pid is null) return false;
            record = new DmesgLine(mono, "oom_kill_context", pid, fields.GetValueOrDefault("task"), memcg, null, null, null, msg);
            return true;
        }
        if (Reaped().Match(msg) is { Success: true } r)
        {
            var rss = RssFields(r.Groups[3].Value);
            record = new DmesgLine(mono, "oom_reaped", long.Parse(r.Groups[1].ValueSpan, CultureInfo.InvariantCulture), r.Groups[2].Value, null, rss.Anon, rss.File, rss.Shmem, msg);
            return true;
        }
        if (Invoked().Match(msg) is { Success: true } i)
        {
            record = new DmesgLine(mono, "oom_invoked", null, i.Groups[1].Value, null, null, null, null, msg);
            return true;
        }
        return false;
    }

    private static (long? Anon, long? File, long? Shmem) RssFields(string text)
    {
        long? anon = null, file = null, shmem = null;
        foreach (Match m in Rss().Matches(text))
        {
            var bytes = long.Parse(m.Groups[2].ValueSpan, CultureInfo.InvariantCulture) * 1024;
            switch (m.Groups[1].Value)
            {
                case "anon": anon = bytes; break;
                case "file": file = bytes; break;
                default: shmem = bytes; break;
            }
        }
        return (anon, file, shmem);
    }
}
