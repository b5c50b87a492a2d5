using Memtrace.Pipeline.Fragmentation;
using Memtrace.Pipeline.Gpu;
using Xunit;

namespace Memtrace.Pipeline.Tests;

public sealed class BatchCrossCheckTests
{
    [Fact]
    public void Real_snapshot_replay_agrees_with_the_ilgpu_kernel_and_a_corrupted_row_is_caught()
    {
        var (events, snap) = RealSnapshotReplayTests.Import("bcrafton_memory_snapshot.pickle");
        var options = new FragmentationOptions { Accelerator = AcceleratorChoice.IlgpuCpu, KeepCrossCheckInputs = true };
        var output = FragmentationAnalyzer.Run(events, snap, options);
        Assert.NotNull(output.Batch);
        Assert.Contains("CPU", output.Batch!.Device);
        Assert.Equal(0, output.Batch.Mismatches);
        Assert.Equal(output.Pools.Single().Timeline.Count, output.Batch.Instants);

        var pool = output.Pools.Single();
        pool.Timeline[5] = pool.Timeline[5] with { L = pool.Timeline[5].L + 512 };
        var again = BatchCrossCheck.Run(output.Pools, AcceleratorChoice.Cpu);
        Assert.Equal(1, again.Mismatches);
        Assert.Equal(1, pool.Counts[Memtrace.Schemas.Stats.StatsCatalog.ReplayBatchMismatch.Key]);
    }
}
