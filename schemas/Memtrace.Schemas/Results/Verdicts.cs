namespace Memtrace.Schemas.Results;

/// <summary>
/// The verdict words memtrace writes, each once with its meaning: an OOM's (oom_diagnoses.verdict), a pool's and the
/// run's (summary.json), and the --fail-on gates built on them. Analyses, the summary, the findings and the report
/// all name them from here; a test ties the gates to the values --fail-on accepts.
/// </summary>
public static class Verdicts
{
    /// <summary>An OOM whose request was at most the free bytes F but more than the largest free block L.</summary>
    public const string Fragmentation = "fragmentation";
    /// <summary>An OOM whose request was more than the free bytes F.</summary>
    public const string Capacity = "capacity";
    /// <summary>A request that fits the largest free block (what a reference request size is, when it is not an OOM).</summary>
    public const string Fits = "fits";

    public const string FragmentationOom = "fragmentation-oom";
    public const string CapacityOom = "capacity-oom";
    public const string NoOom = "no-oom";

    /// <summary>A pool's verdict (and the run's, the worst of its pools'), worst first, with what it means.</summary>
    public static readonly IReadOnlyList<(string Word, string Meaning)> Gpu =
    [
        (FragmentationOom, "an allocation failed although enough memory was free: no free block was large enough"),
        (CapacityOom, "an allocation failed because the pool was out of memory"),
        (NoOom, "no allocation failed"),
    ];

    /// <summary>The worst of some pool verdicts (<see cref="NoOom"/> for none).</summary>
    public static string Worst(IEnumerable<string> poolVerdicts)
    {
        var all = poolVerdicts.ToHashSet(StringComparer.Ordinal);
        return Gpu.Select(v => v.Word).FirstOrDefault(all.Contains) ?? NoOom;
    }

    /// <summary>A pool's verdict from its OOMs' verdicts.</summary>
    public static string OfPool(IReadOnlyCollection<string> oomVerdicts) =>
        oomVerdicts.Count == 0 ? NoOom : oomVerdicts.Contains(Fragmentation) ? FragmentationOom : CapacityOom;

    /// <summary>What a pool or run verdict means, in words; empty for a word that is not one.</summary>
    public static string Meaning(string gpuVerdict) => Gpu.FirstOrDefault(v => v.Word == gpuVerdict).Meaning ?? "";

    public const string AnyOom = "any-oom";
    public const string HostOom = "host-oom";
    public const string Spin = "spin";

    /// <summary>What --fail-on accepts: a GPU verdict, any GPU OOM, a process OOM-killed, a suspect epoll-spin window.</summary>
    public static readonly IReadOnlyList<string> FailOn = [FragmentationOom, CapacityOom, AnyOom, HostOom, Spin];
}
