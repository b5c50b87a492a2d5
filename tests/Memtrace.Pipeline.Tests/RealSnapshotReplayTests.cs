using Memtrace.Collectors.Importers;
using Memtrace.Pipeline.Fragmentation;
using Memtrace.Schemas.Archive;
using Memtrace.Schemas.Model;
using Memtrace.Schemas.Stats;
using Memtrace.Schemas.Tables;
using Memtrace.Tests;
using Xunit;

namespace Memtrace.Pipeline.Tests;

public sealed class RealSnapshotReplayTests
{
    internal static (Table Events, Table Snapshot) Import(string file)
    {
        var archive = TraceArchive.OpenOrCreate(Repo.TempDir());
        var report = new ImportRunner(archive, new ImportOptions()).ImportOne(Repo.Torch(file), "torch-snapshot");
        Assert.Equal(ImportOutcome.Imported, report.Outcome);
        return (archive.ReadTable(GpuAllocEvents.Def), archive.ReadTable(GpuSegmentsSnapshot.Def));
    }

    /// <summary>F, L, N and the ⌊log2⌋ histogram straight from the snapshot's inactive blocks: an independent code path.</summary>
    private static (long F, long L, long N, double Entropy) FromInactiveBlocks(Table snap)
    {
        var sizes = Enumerable.Range(0, snap.RowCount).Where(i => snap[GpuSegmentsSnapshot.BlockState][i] == "inactive").Select(i => snap[GpuSegmentsSnapshot.BlockSize][i]).ToList();
        var buckets = sizes.GroupBy(s => (int)Math.Floor(Math.Log2(s))).Select(g => (double)g.Count()).ToList();
        var entropy = -buckets.Sum(c => c / sizes.Count * Math.Log2(c / sizes.Count));
        return (sizes.Sum(), sizes.Max(), sizes.Count, entropy);
    }

    [Theory]
    [InlineData("magma27_memory_snapshot.pickle")]
    [InlineData("bcrafton_memory_snapshot.pickle")]
    public void Replayed_final_state_equals_the_snapshot(string file)
    {
        var (events, snap) = Import(file);
        var output = FragmentationAnalyzer.Run(events, snap, new FragmentationOptions());
        var pool = Assert.Single(output.Pools);
        Assert.Equal(0, pool.Counts.GetValueOrDefault(StatsCatalog.ReplayFinalMismatch.Key));
        Assert.Equal(0, pool.Counts.GetValueOrDefault(StatsCatalog.ReplayOverlap.Key));
        var last = pool.Timeline[^1];
        var (f, l, n, entropy) = FromInactiveBlocks(snap);
        Assert.Equal(f, last.F);
        Assert.Equal(l, last.L);
        Assert.Equal(n, last.N);
        Assert.Equal((double)(f - l) / f, last.FragRate, 12);
        Assert.Equal(entropy, last.EntropyLog2, 12);
        // The replay bins the seed entropy by size thresholds; the direct formula takes a log per block.
        var inactive = Enumerable.Range(0, snap.RowCount).Where(i => snap[GpuSegmentsSnapshot.BlockState][i] == "inactive").Select(i => snap[GpuSegmentsSnapshot.BlockSize][i]).ToArray();
        Assert.Equal(FragMetrics.EntropySeed(inactive), last.EntropySeed);
        var reserved = Enumerable.Range(0, snap.RowCount).GroupBy(i => snap[GpuSegmentsSnapshot.SegmentAddress][i]).Sum(g => snap[GpuSegmentsSnapshot.SegmentSize][g.First()]);
        Assert.Equal(reserved, last.Reserved);
    }

    [Fact]
    public void Initial_state_is_rebuilt_backwards_for_the_ring_buffer()
    {
        // bcrafton's trace frees 222 allocations made before the window; backward reconstruction makes them live at the start,
        // so the forward replay sees no unknown frees at all.
        var (events, snap) = Import("bcrafton_memory_snapshot.pickle");
        var pool = FragmentationAnalyzer.Run(events, snap, new FragmentationOptions()).Pools.Single();
        Assert.Equal(0, pool.Counts.GetValueOrDefault(StatsCatalog.ReplayFreeUnknown.Key));
        Assert.Equal(6486, pool.Timeline.Sum(r => r.Events));
    }

    [Fact]
    public void Oom_injected_into_a_real_trace_gets_the_verdict_worked_out_by_hand()
    {
        var (events, snap) = Import("magma27_memory_snapshot.pickle");
        var (f, l, _, _) = FromInactiveBlocks(snap);
        // At the end of the trace F and L are those of the inactive blocks. A request of L + 512 ≤ F cannot be served
        // contiguously although enough bytes are free: fragmentation. F + 512 exceeds all free bytes: capacity.
        Assert.True(l + 512 <= f);
        var lastTs = events[GpuAllocEvents.TsNs].Values.ToArray().Max();
        var src = events[Col.SourceId][0]!;
        foreach (var (request, dt) in new[] { (l + 512, 1L), (f + 512, 2L) })
        {
            events[Col.SourceId].Append(src); events[GpuAllocEvents.Seq].Append(100_000 + dt); events[GpuAllocEvents.TsNs].Append(lastTs + dt);
            events[GpuAllocEvents.Host].Append(""); events[GpuAllocEvents.Pid].Append(0); events[GpuAllocEvents.Device].Append(0); events[GpuAllocEvents.Pool].Append("torch-caching");
            events[GpuAllocEvents.Op].Append("oom"); events[GpuAllocEvents.Size].Append(request); events[GpuAllocEvents.DeviceFree].Append(123L << 20);
            events.CommitRow();
        }
        var pool = FragmentationAnalyzer.Run(events, snap, new FragmentationOptions()).Pools.Single();
        Assert.Equal(2, pool.Ooms.Count);
        Assert.Equal("fragmentation", pool.Ooms[0].Verdict);
        Assert.Equal(512, pool.Ooms[0].ExtraContiguousNeeded);
        Assert.Equal(f, pool.Ooms[0].F);
        Assert.Equal(123L << 20, pool.Ooms[0].DeviceFree);
        Assert.Equal("capacity", pool.Ooms[1].Verdict);
        Assert.Contains(pool.Blame, b => b.Instant == $"oom#{100_001}" && b.FragmentedBytes > 0);
    }
}
