using System.Text.Json.Nodes;

namespace Memtrace.Pipeline.Allocators;

/// <summary>summary.json's whatif section: per pool, the proof and each configuration's answer, and the lines to paste.</summary>
public static class WhatIfSummary
{
    public static JsonObject Build(WhatIfOutput? output)
    {
        var pools = new JsonArray();
        foreach (var p in output?.Pools ?? [])
        {
            var configs = new JsonArray();
            foreach (var (config, start, r, min) in p.Runs)
            {
                configs.Add(new JsonObject
                {
                    ["start"] = start.Name(),
                    ["config"] = config.Label,
                    ["alloc_conf"] = config.AllocConf,
                    ["ooms"] = r.Ooms,
                    ["avoids_recorded_oom"] = r.RecordedOomsServed,
                    ["peak_reserved_bytes"] = r.PeakReserved,
                    ["min_capacity_bytes"] = min,
                });
            }
            pools.Add(new JsonObject
            {
                ["pool"] = p.Key.ToString(),
                ["source_id"] = p.Key.SourceId,
                ["device"] = p.Key.Device,
                ["status"] = p.Status,
                ["model_verified"] = p.Check?.Verified,
                ["allocations_checked"] = p.Check?.Allocations,
                ["address_matches"] = p.Check?.AddressMatches,
                ["capacity_bytes"] = p.Capacity,
                ["capacity_origin"] = p.CapacityOrigin,
                ["avoiding_configs"] = new JsonArray(Avoiding(p, WhatIfStart.Trace).Select(c => (JsonNode)JsonValue.Create(c.AllocConf)!).ToArray()),
                ["avoiding_configs_from_empty"] = new JsonArray(Avoiding(p, WhatIfStart.Empty).Select(c => (JsonNode)JsonValue.Create(c.AllocConf)!).ToArray()),
                ["configs"] = configs,
            });
        }
        return new JsonObject { ["pools"] = pools };
    }

    /// <summary>From one start, the configurations other than the recorded one that serve every request of the trace at its capacity, where the recorded one failed.</summary>
    public static IEnumerable<WhatIfConfig> Avoiding(WhatIfPool p, WhatIfStart start)
    {
        var runs = p.Runs.Where(r => r.Start == start).ToList();
        return runs.Count > 0 && runs[0].Result.Ooms > 0 ? runs.Skip(1).Where(r => r.Result.Ooms == 0).Select(r => r.Config) : [];
    }
}
