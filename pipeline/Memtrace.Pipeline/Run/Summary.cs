using System.Text.Json.Nodes;
using Memtrace.Pipeline.Fragmentation;
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
            var last = tl.Count > 0 ? tl[^1] : null;
            var verdict = p.Ooms.Count == 0 ? "no-oom"
                : p.Ooms.Any(o => o.Verdict == "fragmentation") ? "fragmentation-oom" : "capacity-oom";
            pools.Add(new JsonObject
            {
                ["pool"] = p.Key.ToString(),
                ["source_id"] = p.Key.SourceId,
                ["device"] = p.Key.Device,
                ["verdict"] = verdict,
                ["events"] = p.EventsReplayed,
                ["ooms"] = p.Ooms.Count,
                ["fragmentation_ooms"] = p.Ooms.Count(o => o.Verdict == "fragmentation"),
                ["capacity_ooms"] = p.Ooms.Count(o => o.Verdict == "capacity"),
                ["peak_reserved_bytes"] = tl.Count == 0 ? 0 : tl.Max(r => r.ReservedMax),
                ["peak_allocated_bytes"] = tl.Count == 0 ? 0 : tl.Max(r => r.AllocatedMax),
                ["max_frag_rate"] = tl.Count == 0 ? 0 : tl.Max(r => r.FragRateMax),
                ["end_frag_rate"] = last?.FragRate ?? 0,
                ["end_effective_contiguous_ratio"] = last?.Ecr ?? 1,
                ["end_contiguous_red"] = last is not null && last.F > 0 && last.Ecr < FragMetrics.ContiguousRedLine,
                ["request_p50"] = p.RequestP50,
                ["request_p99"] = p.RequestP99,
                ["anomalies"] = p.Anomalies.Count,
            });
        }
        var errors = new JsonObject();
        foreach (var (k, v) in counts.OrderBy(kv => kv.Key, StringComparer.Ordinal))
        {
            if (v > 0 && StatsCatalog.Find(k)?.Severity != Severity.Info) errors[k] = v;
        }
        return new JsonObject
        {
            ["gpu"] = new JsonObject
            {
                ["any_oom"] = frag.Pools.Any(p => p.Ooms.Count > 0),
                ["verdict"] = frag.Pools.Any(p => p.Ooms.Any(o => o.Verdict == "fragmentation")) ? "fragmentation-oom"
                    : frag.Pools.Any(p => p.Ooms.Count > 0) ? "capacity-oom" : "no-oom",
                ["pools"] = pools,
            },
            ["data_loss_and_error_counters"] = errors,
        };
    }
}
