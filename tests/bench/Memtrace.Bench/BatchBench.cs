using Memtrace.Pipeline.Gpu;

namespace Memtrace.Bench;

/// <summary>Batch block statistics: the Parallel.For CPU path against ILGPU's CPU accelerator (and CUDA when present).</summary>
internal static class BatchBench
{
    public static IEnumerable<Figure> Run(int instants)
    {
        var rng = new Random(5);
        var offsets = new long[instants + 1];
        var sizes = new List<long>();
        for (var i = 0; i < instants; i++)
        {
            var n = rng.Next(100, 900);
            for (var j = 0; j < n; j++) sizes.Add(1 + rng.NextInt64(1L << 34));
            offsets[i + 1] = sizes.Count;
        }
        var batch = new FreeBlockBatch(offsets, sizes.ToArray(), [512, 2 << 20, 20 << 20, 1L << 30]);
        using var cpu = BatchStatsEngine.Create(AcceleratorChoice.Cpu);
        using var ilgpu = BatchStatsEngine.Create(AcceleratorChoice.IlgpuCpu);
        cpu.Run(batch);
        ilgpu.Run(batch);
        BatchStats? a = null, b = null;
        var cpuS = Program.Time(() => a = cpu.Run(batch));
        var ilgpuS = Program.Time(() => b = ilgpu.Run(batch));
        if (!a!.Free.AsSpan().SequenceEqual(b!.Free) || !a.HistCount.AsSpan().SequenceEqual(b.HistCount) || !a.Suitable.AsSpan().SequenceEqual(b.Suitable))
            throw new InvalidOperationException("batch paths disagree");
        var blocks = (double)sizes.Count;
        Console.WriteLine($"batch stats: {instants:N0} instants, {blocks:N0} blocks: Parallel.For {cpuS:0.000} s, ILGPU CPU accelerator {ilgpuS:0.000} s");
        yield return new Figure("batch_stats_blocks_per_s", blocks / cpuS, "blocks/s", "ILGPU CPU accelerator", blocks / ilgpuS, ilgpuS / cpuS);
        using var auto = BatchStatsEngine.Create(AcceleratorChoice.Auto);
        if (auto.Device.StartsWith("Cuda", StringComparison.Ordinal))
        {
            auto.Run(batch);
            BatchStats? c = null;
            var cudaS = Program.Time(() => c = auto.Run(batch));
            if (!c!.Free.AsSpan().SequenceEqual(a.Free)) throw new InvalidOperationException("CUDA disagrees");
            yield return new Figure("batch_stats_blocks_per_s_cuda", blocks / cudaS, "blocks/s", "Parallel.For CPU path", blocks / cpuS, cpuS / cudaS);
        }
    }
}
