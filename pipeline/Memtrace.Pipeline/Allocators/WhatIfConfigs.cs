namespace Memtrace.Pipeline.Allocators;

/// <summary>A configuration to replay: its label, the settings, and the PYTORCH_CUDA_ALLOC_CONF line that selects them.</summary>
public sealed record WhatIfConfig(string Label, AllocatorConfig Config)
{
    public string AllocConf => Config.ToConf();
}

/// <summary>The standard set memtrace run replays: the recorded settings, and the recorded settings with one change each.</summary>
public static class WhatIfConfigs
{
    public static List<WhatIfConfig> Standard(AllocatorConfig recorded, IReadOnlyList<TraceEvent> events)
    {
        var set = new List<WhatIfConfig> { new("recorded", recorded) };
        void Add(string label, AllocatorConfig c)
        {
            if (set.All(s => !s.Config.Equals(c))) set.Add(new WhatIfConfig(label, c));
        }
        Add(recorded.ExpandableSegments ? "expandable_segments:False" : "expandable_segments", recorded with { ExpandableSegments = !recorded.ExpandableSegments });
        foreach (var mb in MaxSplitCandidates(events)) Add($"max_split_size_mb:{mb}", recorded with { MaxSplitSize = mb * AllocatorConfig.MiB });
        foreach (var d in new[] { 4, 8 })
            Add($"roundup_power2_divisions:{d}", recorded with { RoundupDivisions = Enumerable.Repeat(d, AllocatorConfig.RoundupIntervals).ToArray() });
        return set;
    }

    /// <summary>
    /// max_split_size_mb values around the large requests seen: their median, 90th percentile and maximum in MiB,
    /// rounded up, each above 20 (PyTorch refuses 20 or less). Below the value a request may split cached blocks
    /// under it; at or above it a block is never split, so these three place the boundary under most, nearly all
    /// and all requests.
    /// </summary>
    public static IEnumerable<long> MaxSplitCandidates(IReadOnlyList<TraceEvent> events)
    {
        var large = events.Where(e => e.Op is TraceOp.Alloc or TraceOp.Oom && e.Size > CachingAllocatorModel.SmallSize).Select(e => e.Size).ToArray();
        if (large.Length == 0) return [];
        Array.Sort(large);
        long Mb(long bytes) => Math.Max(21, (bytes + AllocatorConfig.MiB - 1) / AllocatorConfig.MiB);
        return new[] { large[(large.Length - 1) / 2], large[(int)((large.Length - 1) * 0.9)], large[^1] }.Select(Mb).Distinct().Order();
    }
}
