using System.Text.Json.Nodes;
using Memtrace.Pipeline.Allocators;
using Memtrace.Pipeline.Fragmentation;
using Memtrace.Schemas.Model;
using Memtrace.Schemas.Results;

namespace Memtrace.Pipeline.Run;

/// <param name="Severity">critical, warning or info: the order findings are listed in.</param>
/// <param name="Evidence">The report anchor of the rows that show it (#oom, #whatif, #blame, #host, #flags, #spin).</param>
public sealed record Finding(string Severity, string Text, string Action, string Evidence);

/// <summary>
/// The one place that turns result tables into plain-language findings, worst first: per GPU OOM its verdict and
/// the three numbers behind it, what the allocator what-if says would have avoided it, the stack that fragmented
/// the pool most; per host workload its OOM kills and the limits to set; the critical flags; suspect epoll spin.
/// run and demo print them, summary.json carries them, the report opens with them.
/// </summary>
public static class Findings
{
    public const string NoStack = "(no stack recorded)";
    private static readonly string[] Order = ["critical", "warning", "info"];

    public static List<Finding> Build(FragmentationOutput frag, Host.HostOutput host, WhatIfOutput? whatif)
    {
        var found = new List<Finding>();
        var blame = frag.Tables.FirstOrDefault(t => t.Def == FragmentationBlame.Def);
        foreach (var p in frag.Pools)
        {
            foreach (var o in p.Ooms.Take(3))
            {
                var pool = Label(p.Key);
                var why = o.Verdict == Verdicts.Fragmentation
                    ? $"asked {ByteSize.Format(o.Request)} while {ByteSize.Format(o.F)} was free but the largest free block was {ByteSize.Format(o.L)}"
                    : $"asked {ByteSize.Format(o.Request)} with only {ByteSize.Format(o.F)} free";
                found.Add(new Finding("critical", $"GPU OOM on {pool}: {o.Verdict} — {why}", WhatIfAction(whatif, p.Key, o), "#" + OomAnchor(p.Key.SourceId, o.Seq)));
            }
            if (blame is not null && TopStack(blame, p.Key) is { } top)
                found.Add(new Finding(p.Ooms.Count > 0 ? "critical" : "warning", $"{Label(p.Key)}: the stack isolating the most fragmented memory is {top.Frame} ({ByteSize.Format(top.Bytes)} in fragments)",
                    "free or reuse these allocations earlier, or allocate them before the long-lived ones", "#blame"));
        }
        foreach (var w in host.Workloads)
        {
            var kills = host.Kills.GetValueOrDefault(w)?.Count ?? 0;
            if (kills == 0) continue;
            var cap = Capacity(host.Capacity, w.Pid, w.CgroupPath);
            found.Add(new Finding("critical", $"{w.CgroupPath} (pid {w.Pid}) was OOM-killed {kills}×{(cap?.Peak is { } pk ? $"; peak working set {ByteSize.Format(pk)}" : "")}{(cap?.Limit is { } lim ? $" against a limit of {ByteSize.Format(lim)}" : "")}",
                cap?.Recommended is { } r ? $"set the memory limit to {ByteSize.Format(r)}{(cap.GoMemLimit is { } g ? $" and GOMEMLIMIT={g / (1 << 20)}MiB" : "")}" : "see the capacity plan", "#capacity"));
        }
        var flags = host.Flags;
        for (var i = 0; i < flags.RowCount; i++)
        {
            if (flags[Flags.Severity][i] != FlagKinds.Critical || flags[Flags.Kind][i] == FlagKinds.OomKill.Name) continue;
            found.Add(new Finding("warning", $"{flags[Flags.Kind][i]} in {flags[Flags.CgroupPath][i]} (pid {flags[Flags.Pid][i]}): {flags[Flags.Evidence][i]}", "see the flag's evidence",
                "#" + FlagAnchor(flags[Flags.Pid][i], flags[Flags.Kind][i] ?? "", flags[Flags.StartTsNs][i])));
        }
        var spin = host.Spin;
        for (var i = 0; i < spin.RowCount; i++)
        {
            if (!spin[SpinWindows.Suspect][i]) continue;
            found.Add(new Finding("warning", $"pid {spin[SpinWindows.Pid][i]} spins in {spin[SpinWindows.Syscall][i]}: {spin[SpinWindows.CallsPerS][i]:0} calls/s, {spin[SpinWindows.ZeroReturnFraction][i]:P0} returning nothing",
                "look for a poll with a zero timeout or a busy loop around the netpoller", "#spin"));
        }
        return Rank(found);
    }

    /// <summary>Worst first; within a severity, in the order given (a fleet merge gives its units' findings in unit order).</summary>
    public static List<Finding> Rank(IEnumerable<Finding> found) =>
        found.Select((f, i) => (f, i)).OrderBy(x => Array.IndexOf(Order, x.f.Severity)).ThenBy(x => x.i).Select(x => x.f).ToList();

    /// <summary>The findings of a summary.json, as <see cref="Json"/> wrote them.</summary>
    public static IEnumerable<Finding> FromJson(JsonArray findings) =>
        findings.Select(f => new Finding((string)f!["severity"]!, (string)f["text"]!, (string)f["action"]!, (string)f["evidence"]!));

    /// <summary>
    /// An OOM row's id in the report: its source and its event's place in that source, which name it in any run or
    /// merge (a row number would change when a fleet merge adds other archives' OOMs before it).
    /// </summary>
    public static string OomAnchor(string sourceId, long seq) => $"oom-{sourceId}-{seq}";

    /// <summary>A flag row's id in the report, from what identifies it (the report and the findings both make it here).</summary>
    public static string FlagAnchor(long pid, string kind, long startNs) => $"flag-{pid}-{kind}-{startNs}";

    /// <summary>The terminal's lines: the worst <paramref name="max"/> findings, each with what to do.</summary>
    public static IEnumerable<string> Lines(IReadOnlyList<Finding> findings, int max = 8)
    {
        if (findings.Count == 0)
        {
            yield return "no findings: no OOM, no kill, no critical flag, no spin";
            yield break;
        }
        foreach (var f in findings.Take(max)) yield return $"{f.Severity}: {f.Text}{(f.Action.Length > 0 ? $"\n    → {f.Action}" : "")}";
        if (findings.Count > max) yield return $"… and {findings.Count - max} more in summary.json and report.html";
    }

    public static JsonArray Json(IReadOnlyList<Finding> findings) =>
        new(findings.Select(f => (JsonNode)new JsonObject { ["severity"] = f.Severity, ["text"] = f.Text, ["action"] = f.Action, ["evidence"] = f.Evidence }).ToArray());

    /// <summary>"cuda:0 torch-caching (s…)": the device and layer; a process id only when the source knew it.</summary>
    private static string Label(PoolKey k) => $"{(k.Host.Length > 0 ? k.Host + " " : "")}{(k.Pid != 0 ? $"pid {k.Pid} " : "")}cuda:{k.Device} {k.Pool} ({k.SourceId})";

    private static string WhatIfAction(WhatIfOutput? whatif, PoolKey key, OomRow oom)
    {
        var pool = whatif?.Pools.FirstOrDefault(p => p.Key == key);
        if (pool is null || pool.Runs.Count == 0)
            return oom.Verdict == Verdicts.Fragmentation ? $"{ByteSize.Format(oom.ExtraContiguousNeeded)} more contiguous space would have served it; try PYTORCH_CUDA_ALLOC_CONF=expandable_segments:True" : "a larger device or smaller batch";
        var avoid = WhatIfSummary.Avoiding(pool, WhatIfStart.Trace).Concat(WhatIfSummary.Avoiding(pool, WhatIfStart.Empty)).FirstOrDefault();
        if (avoid is not null) return $"PYTORCH_CUDA_ALLOC_CONF={avoid.AllocConf} would have avoided it (what-if)";
        var need = pool.Runs.FirstOrDefault(r => r.Start == WhatIfStart.Trace && r.Config.Label == "recorded")?.MinCapacity;
        return need is { } n ? $"no setting in the what-if set avoids it; the recorded settings needed {ByteSize.Format(n)} of device memory{(pool.Capacity is { } c ? $", {ByteSize.Format(Math.Max(0, n - c))} more than there was" : "")}" : "see the what-if";
    }

    private static (string Frame, long Bytes)? TopStack(Table blame, PoolKey k)
    {
        for (var i = 0; i < blame.RowCount; i++)
        {
            if (blame[PoolKeyColumns.SourceId][i] != k.SourceId || blame[PoolKeyColumns.Device][i] != k.Device || blame[PoolKeyColumns.Pool][i] != k.Pool) continue;
            var frame = blame[FragmentationBlame.TopFrame][i] ?? "";
            // A fragment bordered by allocations without a recorded stack names no code to change: rank it apart.
            if (frame.Length == 0 || frame == NoStack || blame[FragmentationBlame.StackId].Get(i) is null or 0) continue;
            return (frame, blame[FragmentationBlame.FragmentedBytes][i]);
        }
        return null;
    }

    private sealed record Plan(long? Peak, long? Limit, long? Recommended, long? GoMemLimit);

    private static Plan? Capacity(Table plan, long pid, string cgroup)
    {
        for (var i = 0; i < plan.RowCount; i++)
        {
            if (plan[CapacityPlan.Pid][i] != pid || plan[CapacityPlan.CgroupPath][i] != cgroup) continue;
            return new Plan(plan[CapacityPlan.PeakWorkingSet].Get(i), plan[CapacityPlan.Limit].Get(i), plan[CapacityPlan.RecommendedLimit].Get(i), plan[CapacityPlan.RecommendedGomemlimit].Get(i));
        }
        return null;
    }
}
