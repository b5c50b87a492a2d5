namespace Memtrace.Pipeline.Report;

/// <summary>One colour per metric, for the report's charts and the notebooks' (a metric looks the same wherever it is drawn).</summary>
public static class MetricColors
{
    public const string FragRate = "#f28c28";
    public const string EffectiveContiguousRatio = "#1f3b73";
    public const string Entropy = "#7570b3";
    public const string UnusableP50 = "#2a9d8f";
    public const string UnusableP99 = "#c0392b";
    public const string Reserved = "#888888";
    public const string Allocated = "#1f3b73";

    /// <summary>By the result column the series draws; null for a series with no colour of its own.</summary>
    public static string? For(string metric) => metric switch
    {
        "frag_rate" or "frag_rate_max" => FragRate,
        "effective_contiguous_ratio" => EffectiveContiguousRatio,
        "entropy_log2" or "entropy" => Entropy,
        "unusable_p50" => UnusableP50,
        "unusable_p99" => UnusableP99,
        "reserved" or "reserved_max" => Reserved,
        "allocated" or "allocated_max" => Allocated,
        _ => null,
    };
}
