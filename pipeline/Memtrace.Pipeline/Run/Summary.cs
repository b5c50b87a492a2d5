using System.Text.Json.Nodes;
using Memtrace.Pipeline.Fragmentation;
using Memtrace.Schemas.Results;
using Memtrace.Schemas.Stats;

namespace Memtrace.Pipeline.Run;

/// <summary>summary.json: verdicts and key figures for nightly jobs. Deterministic: no timings, no paths.</summary>
public static class Summary
{
    public static JsonObject Build(FragmentationOutput frag, IReadOnlyDictionary<string, long> counts)
    {
        var pools = new JsonArray();
        foreach (var p in frag.Pools)
        {
            var tl = p.Timeline;
            TimelineRow? last = tl.Count > 0 ? tl[^1] : null;
            var verdict = Verdicts.OfPool(p.Ooms.Select(o => o.Verdict).ToList());
            pools.Add(new JsonObject
            {
                ["pool"] = p.Key.ToString(),
                ["source_id"] = p.Key.SourceId,
                ["device"] = p.Key.Device,
                ["verdict"] = verdict,
                ["events"] = p.EventsReplayed,
                ["ooms"] = p.Ooms.Count,
                ["fragmentation_ooms"] = p.Ooms.Count(o => o.Verdict == Verdicts.Fragmentation),
                ["capacity_ooms"] = p.Ooms.Count(o => o.Verdict == Verdicts.Capacity),
                ["peak_reserved_bytes"] = tl.Count == 0 ? 0 : tl.Max(r => r.ReservedMax),
                ["peak_allocated_bytes"] = tl.Count == 0 ? 0 : tl.Max(r => r.AllocatedMax),
                ["max_frag_rate"] = tl.Count == 0 ? 0 : tl.Max(r => r.FragRateMax),
                ["end_frag_rate"] = last?.FragRate ?? 0,
                ["end_effective_contiguous_ratio"] = last?.Ecr ?? 1,
                ["end_contiguous_red"] = last is { F: > 0 } end && end.Ecr < FragmentationTimeline.ContiguousRedLine,
                ["request_p50"] = p.RequestP50,
                ["request_p99"] = p.RequestP99,
                ["anomalies"] = p.Anomalies.Count,
            });
        }
        return Gpu(pools, counts);
    }

    /// <summary>
    /// The summary's gpu and counter sections from its per-pool rows: a run builds it from its pools, a fleet merge
    /// (<see cref="Fleet.ResultCombiner"/>) from the pools of every unit, so both apply one rule.
    /// </summary>
    public static JsonObject Gpu(JsonArray pools, IReadOnlyDictionary<string, long> counts)
    {
        var verdicts = pools.Select(p => (string)p!["verdict"]!).ToList();
        return new JsonObject
        {
            ["gpu"] = new JsonObject
            {
                ["any_oom"] = pools.Any(p => (int)p!["ooms"]! > 0),
                ["verdict"] = Verdicts.Worst(verdicts),
                ["pools"] = pools,
            },
            ["data_loss_and_error_counters"] = ErrorCounters(counts),
        };
    }

    /// <summary>Every counter above zero whose severity is not info, in key order.</summary>
    private static JsonObject ErrorCounters(IReadOnlyDictionary<string, long> counts)
    {
        var errors = new JsonObject();
        foreach (var (k, v) in counts.OrderBy(kv => kv.Key, StringComparer.Ordinal))
        {
            if (v > 0 && StatsCatalog.Find(k)?.Severity != Severity.Info) errors[k] = v;
        }
        return errors;
    }

    /// <summary>
    /// The --fail-on verdict a summary matches (the first of <paramref name="failOn"/> in <see cref="RunOptions.FailOnValues"/>'s
    /// sense), or null. It reads summary.json's figures, so a run and a merge gate on the same numbers.
    /// </summary>
    public static string? FailOnHit(JsonObject summary, IReadOnlyList<string> failOn)
    {
        var pools = summary["gpu"]!["pools"]!.AsArray();
        var host = summary["host"]!;
        if (failOn.Contains(Verdicts.HostOom) && (bool)host["any_oom_kill"]!) return Verdicts.HostOom;
        if (failOn.Contains(Verdicts.Spin) && (int)host["spin_suspect_windows"]! > 0) return Verdicts.Spin;
        foreach (var f in failOn)
        {
            if (f == Verdicts.AnyOom && (bool)summary["gpu"]!["any_oom"]!) return f;
            if (f == Verdicts.FragmentationOom && pools.Any(p => (int)p!["fragmentation_ooms"]! > 0)) return f;
            if (f == Verdicts.CapacityOom && pools.Any(p => (int)p!["capacity_ooms"]! > 0)) return f;
        }
        return null;
    }
}
