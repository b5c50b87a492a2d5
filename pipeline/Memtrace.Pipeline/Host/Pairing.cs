using Memtrace.Pipeline.Join;

namespace Memtrace.Pipeline.Host;

/// <summary>
/// How far apart two samples may be and still be read as one instant (DESIGN "RSS-gap attribution").
/// The default is half the slower source's interval (so a slow source's every sample finds its
/// nearest fast partner, and nothing further), capped at 1 s because every memory figure here
/// moves fast: a Go heap churning 70 MB/s moves 70 MB in a second.
/// </summary>
public static class Pairing
{
    public const long CapNs = 1_000_000_000;

    public static long Tolerance(long intervalA, long intervalB, long? overrideNs = null) =>
        overrideNs ?? Math.Min(CapNs, Math.Max(intervalA, intervalB) / 2);

    /// <summary>Median gap between consecutive sample times; 0 for fewer than two samples.</summary>
    public static long MedianInterval(IReadOnlyList<long> sortedTimes)
    {
        if (sortedTimes.Count < 2) return 0;
        var gaps = new long[sortedTimes.Count - 1];
        for (var i = 1; i < sortedTimes.Count; i++) gaps[i - 1] = sortedTimes[i] - sortedTimes[i - 1];
        Array.Sort(gaps);
        return gaps[gaps.Length / 2];
    }

    /// <summary>For each instant, the index of the nearest sample within tolerance, or −1 (one workload: one partition).</summary>
    public static int[] Nearest(IReadOnlyList<long> instants, IReadOnlyList<long> samples, long tolerance)
    {
        var lp = new long[instants.Count];
        var rp = new long[samples.Count];
        return AsOfJoin.Join(lp, instants.ToArray(), rp, samples.ToArray(), AsOfStrategy.Nearest, tolerance);
    }

    /// <summary>Process CPU between two /proc reads, in % of one core; USER_HZ is 100 on every Linux ABI memtrace reads.</summary>
    public static double? CpuPercent(ProcSample before, ProcSample after)
    {
        if (before.CpuTicks is not { } a || after.CpuTicks is not { } b || after.Ts <= before.Ts || !before.Alive || !after.Alive) return null;
        return (b - a) / 100.0 / ((after.Ts - before.Ts) / 1e9) * 100.0;
    }
}
