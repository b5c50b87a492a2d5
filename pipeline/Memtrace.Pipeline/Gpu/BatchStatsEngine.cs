using ILGPU;
using ILGPU.Runtime;
using Memtrace.Pipeline.Fragmentation;

namespace Memtrace.Pipeline.Gpu;

/// <summary>
/// Per-instant block statistics (F, L, N, ⌊log2⌋ histograms by blocks and bytes, S(R) at K sizes)
/// over a CSR batch. CUDA runs the ILGPU kernel; the CPU runs a plain Parallel.For, because ILGPU's
/// CPU accelerator measured 5–7× slower than Parallel.For on the 2-core build machine. Both paths
/// run the same loop over the same formulas (<see cref="FragMetrics.Bucket"/>, S(R) += ⌊b / R⌋) and
/// give identical integers; entropies are then derived on the host by <see cref="FragMetrics.Entropy"/>.
/// </summary>
public sealed class BatchStatsEngine : IDisposable
{
    private readonly AcceleratorHost _host;
    private readonly Accelerator? _accelerator;
    private readonly Action<Index1D, ArrayView<long>, ArrayView<long>, ArrayView<long>, int, ArrayView<long>, ArrayView<long>, ArrayView<long>, ArrayView<long>, ArrayView<long>, ArrayView<long>>? _kernel;

    private BatchStatsEngine(AcceleratorHost host)
    {
        _host = host;
        _accelerator = host.Accelerator;
        if (_accelerator is not null)
        {
            _kernel = _accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<long>, ArrayView<long>, ArrayView<long>, int,
                ArrayView<long>, ArrayView<long>, ArrayView<long>, ArrayView<long>, ArrayView<long>, ArrayView<long>>(Kernel);
        }
    }

    /// <summary>Which device did the work: "cpu (Parallel.For)", or the ILGPU accelerator's name.</summary>
    public string Device => _host.Device;

    public static BatchStatsEngine Create(AcceleratorChoice choice) => new(AcceleratorHost.Create(choice));

    private static void Kernel(Index1D i, ArrayView<long> offsets, ArrayView<long> sizes, ArrayView<long> refs, int k,
        ArrayView<long> free, ArrayView<long> largest, ArrayView<long> count, ArrayView<long> histCount, ArrayView<long> histBytes, ArrayView<long> suitable)
    {
        long f = 0, l = 0;
        int index = i;
        var start = offsets[index];
        var end = offsets[index + 1];
        var histBase = (long)index * FragMetrics.Buckets;
        var suitBase = (long)index * k;
        for (var j = start; j < end; j++)
        {
            var size = sizes[j];
            f += size;
            if (size > l) l = size;
            var b = FragMetrics.Bucket(size);
            histCount[histBase + b] += 1;
            histBytes[histBase + b] += size;
            for (var r = 0; r < k; r++) suitable[suitBase + r] += size / refs[r];
        }
        free[i] = f;
        largest[i] = l;
        count[i] = end - start;
    }

    public BatchStats Run(FreeBlockBatch batch)
    {
        var n = batch.Instants;
        var k = batch.ReferenceSizes.Length;
        if (_accelerator is null || _kernel is null) return RunCpu(batch, n, k);
        var acc = _accelerator;
        using var offsets = acc.Allocate1D(batch.Offsets);
        using var sizes = acc.Allocate1D(batch.Sizes.Length == 0 ? new long[1] : batch.Sizes);
        using var refs = acc.Allocate1D(k == 0 ? new long[1] : batch.ReferenceSizes);
        using var free = acc.Allocate1D<long>(Math.Max(1, n));
        using var largest = acc.Allocate1D<long>(Math.Max(1, n));
        using var count = acc.Allocate1D<long>(Math.Max(1, n));
        using var hc = acc.Allocate1D<long>(Math.Max(1, (long)n * FragMetrics.Buckets));
        using var hb = acc.Allocate1D<long>(Math.Max(1, (long)n * FragMetrics.Buckets));
        using var suit = acc.Allocate1D<long>(Math.Max(1, (long)n * k));
        hc.MemSetToZero();
        hb.MemSetToZero();
        suit.MemSetToZero();
        if (n > 0) _kernel(n, offsets.View, sizes.View, refs.View, k, free.View, largest.View, count.View, hc.View, hb.View, suit.View);
        acc.Synchronize();
        return new BatchStats
        {
            Free = free.GetAsArray1D()[..n],
            Largest = largest.GetAsArray1D()[..n],
            Count = count.GetAsArray1D()[..n],
            HistCount = hc.GetAsArray1D()[..(n * FragMetrics.Buckets)],
            HistBytes = hb.GetAsArray1D()[..(n * FragMetrics.Buckets)],
            Suitable = suit.GetAsArray1D()[..(n * k)],
            K = k,
        };
    }

    /// <summary>The plain multi-threaded path: one instant per iteration, the same formula over managed arrays.</summary>
    private static BatchStats RunCpu(FreeBlockBatch batch, int n, int k)
    {
        var free = new long[n];
        var largest = new long[n];
        var count = new long[n];
        var hc = new long[(long)n * FragMetrics.Buckets];
        var hb = new long[(long)n * FragMetrics.Buckets];
        var suit = new long[(long)n * k];
        Parallel.For(0, n, i =>
        {
            long f = 0, l = 0;
            var start = batch.Offsets[i];
            var end = batch.Offsets[i + 1];
            var histBase = (long)i * FragMetrics.Buckets;
            var suitBase = (long)i * k;
            for (var j = start; j < end; j++)
            {
                var size = batch.Sizes[j];
                f += size;
                if (size > l) l = size;
                var b = FragMetrics.Bucket(size);
                hc[histBase + b] += 1;
                hb[histBase + b] += size;
                for (var r = 0; r < k; r++) suit[suitBase + r] += size / batch.ReferenceSizes[r];
            }
            free[i] = f;
            largest[i] = l;
            count[i] = end - start;
        });
        return new BatchStats { Free = free, Largest = largest, Count = count, HistCount = hc, HistBytes = hb, Suitable = suit, K = k };
    }

    public void Dispose() => _host.Dispose();
}
