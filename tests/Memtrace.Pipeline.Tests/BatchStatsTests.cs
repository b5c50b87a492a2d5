using Memtrace.Pipeline.Fragmentation;
using Memtrace.Pipeline.Gpu;
using Xunit;

namespace Memtrace.Pipeline.Tests;

public sealed class BatchStatsTests
{
    private static FreeBlockBatch RandomBatch(int seed, int instants)
    {
        var rng = new Random(seed);
        var offsets = new long[instants + 1];
        var sizes = new List<long>();
        for (var i = 0; i < instants; i++)
        {
            var n = rng.Next(4) == 0 ? 0 : rng.Next(1, 300);
            for (var j = 0; j < n; j++) sizes.Add(rng.Next(3) == 0 ? 1L + rng.Next(1024) : 1L + rng.NextInt64(1L << 40));
            offsets[i + 1] = sizes.Count;
        }
        return new FreeBlockBatch(offsets, sizes.ToArray(), [512, 2 << 20, 1L << 30]);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void Ilgpu_kernel_and_cpu_path_agree_with_a_naive_oracle(int seed)
    {
        var batch = RandomBatch(seed, 400);
        using var cpu = BatchStatsEngine.Create(AcceleratorChoice.Cpu);
        using var ilgpu = BatchStatsEngine.Create(AcceleratorChoice.IlgpuCpu);
        Assert.Contains("CPU", ilgpu.Device);
        var a = cpu.Run(batch);
        var b = ilgpu.Run(batch);
        Assert.Equal(a.Free, b.Free);
        Assert.Equal(a.Largest, b.Largest);
        Assert.Equal(a.Count, b.Count);
        Assert.Equal(a.HistCount, b.HistCount);
        Assert.Equal(a.HistBytes, b.HistBytes);
        Assert.Equal(a.Suitable, b.Suitable);
        for (var i = 0; i < batch.Instants; i++)
        {
            var blocks = batch.Sizes[(int)batch.Offsets[i]..(int)batch.Offsets[i + 1]];
            Assert.Equal(blocks.Sum(), a.Free[i]);
            Assert.Equal(blocks.Length == 0 ? 0 : blocks.Max(), a.Largest[i]);
            Assert.Equal(blocks.Length, a.Count[i]);
            for (var k = 0; k < batch.ReferenceSizes.Length; k++)
                Assert.Equal(blocks.Sum(x => x / batch.ReferenceSizes[k]), a.Suitable[i * 3 + k]);
            // Entropy from a naive histogram built with Math.Log2, not FragMetrics.Bucket.
            var naive = blocks.GroupBy(x => (int)Math.Floor(Math.Log2(x))).Select(g => (double)g.Count() / blocks.Length).ToList();
            Assert.Equal(-naive.Sum(p => p * Math.Log2(p)), a.EntropyLog2(i), 12);
            Assert.Equal(a.EntropyLog2(i), b.EntropyLog2(i), 12);
            Assert.Equal(a.EntropyLog2Bytes(i), b.EntropyLog2Bytes(i), 12);
        }
    }

    [Fact]
    public void Batch_preconditions_are_checked()
    {
        Assert.Throws<ArgumentException>(() => new FreeBlockBatch([1, 2], [5], [512]));
        Assert.Throws<ArgumentException>(() => new FreeBlockBatch([0, 2, 1], [5, 6], [512]));
        Assert.Throws<ArgumentException>(() => new FreeBlockBatch([0, 1], [0], [512]));
        Assert.Throws<ArgumentException>(() => new FreeBlockBatch([0, 1], [5], [0]));
    }

    [Theory]
    [InlineData(1L)]
    [InlineData(2L)]
    [InlineData(3L)]
    [InlineData(1023L)]
    [InlineData(1024L)]
    [InlineData(long.MaxValue)]
    public void Bucket_is_floor_log2(long x)
    {
        var halvings = 0; // ⌊log2 x⌋ by repeated halving, not by the leading-zero count the method uses
        for (var v = (ulong)x; v > 1; v >>= 1) halvings++;
        Assert.Equal(halvings, FragMetrics.Bucket(x));
    }
}
