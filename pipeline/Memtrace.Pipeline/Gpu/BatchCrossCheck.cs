using Memtrace.Pipeline.Fragmentation;
using Memtrace.Schemas.Stats;

namespace Memtrace.Pipeline.Gpu;

/// <summary>
/// Recomputes F, L, N, the ⌊log2⌋ histograms' entropies and S(R) at every captured timeline row of
/// every pool in one CSR batch (on CUDA when present), and checks them against the incremental
/// replay. The two are independent code paths over the same exact integers, so any difference is a
/// bug: it raises replay_batch_mismatch, an error counter.
/// </summary>
public static class BatchCrossCheck
{
    public sealed record Outcome(string Device, long Instants, long Blocks, double Seconds, long Mismatches);

    public static Outcome Run(IReadOnlyList<PoolResult> pools, AcceleratorChoice choice)
    {
        var refs = pools.SelectMany(p => new[] { p.RequestP50, p.RequestP99 }).Where(r => r > 0).Distinct().Order().ToArray();
        if (refs.Length == 0) refs = [TorchRules.MinBlockSize];
        // One CSR batch: each pool's captured rows are already contiguous, so whole spans are copied.
        var sizes = new long[pools.Sum(p => (long)(p.CapturedEnds.Count == 0 ? 0 : p.CapturedEnds[^1]))];
        var offsets = new List<long> { 0 };
        var owners = new List<(PoolResult Pool, int Row)>();
        long at = 0;
        foreach (var p in pools)
        {
            if (p.CapturedEnds.Count == 0) continue;
            var captured = sizes.AsSpan((int)at, (int)p.CapturedEnds[^1]);
            p.CapturedSizes.CopyTo(captured);
            for (var row = 0; row < p.CapturedEnds.Count; row++)
            {
                offsets.Add(at + p.CapturedEnds[row]);
                owners.Add((p, row));
            }
            at += captured.Length;
        }
        var batch = new FreeBlockBatch(offsets.ToArray(), sizes, refs);
        using var engine = BatchStatsEngine.Create(choice);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var stats = engine.Run(batch);
        var seconds = clock.Elapsed.TotalSeconds;
        long mismatches = 0;
        for (var i = 0; i < owners.Count; i++)
        {
            var (pool, rowIndex) = owners[i];
            var row = pool.Timeline[rowIndex];
            var k50 = Array.IndexOf(refs, pool.RequestP50);
            var k99 = Array.IndexOf(refs, pool.RequestP99);
            var ok = stats.Free[i] == row.F && stats.Largest[i] == row.L && stats.Count[i] == row.N
                && Math.Abs(stats.EntropyLog2(i) - row.EntropyLog2) <= 1e-12 && Math.Abs(stats.EntropyLog2Bytes(i) - row.EntropyLog2Bytes) <= 1e-12
                && FragMetrics.UnusableIndex(stats.Free[i], stats.Suitable[i * stats.K + k50], pool.RequestP50) == row.UnusableP50
                && FragMetrics.UnusableIndex(stats.Free[i], stats.Suitable[i * stats.K + k99], pool.RequestP99) == row.UnusableP99;
            if (ok) continue;
            mismatches++;
            pool.Record(StatsCatalog.ReplayBatchMismatch, row.Seq, row.TsNs, null, null,
                $"batch F/L/N {stats.Free[i]}/{stats.Largest[i]}/{stats.Count[i]} vs replay {row.F}/{row.L}/{row.N}");
        }
        return new Outcome(engine.Device, owners.Count, sizes.Length, seconds, mismatches);
    }
}
