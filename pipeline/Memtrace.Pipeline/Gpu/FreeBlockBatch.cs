namespace Memtrace.Pipeline.Gpu;

/// <summary>
/// Free-block sizes of many instants (of many pools) in CSR layout: the blocks of instant i are
/// Sizes[Offsets[i] .. Offsets[i + 1]). Reference request sizes are shared by all instants.
/// </summary>
public sealed class FreeBlockBatch
{
    public FreeBlockBatch(long[] offsets, long[] sizes, long[] referenceSizes)
    {
        if (offsets.Length == 0 || offsets[0] != 0) throw new ArgumentException("offsets must start at 0", nameof(offsets));
        for (var i = 1; i < offsets.Length; i++)
        {
            if (offsets[i] < offsets[i - 1]) throw new ArgumentException($"offsets must not decrease (index {i})", nameof(offsets));
        }
        if (offsets[^1] != sizes.Length) throw new ArgumentException($"last offset {offsets[^1]} != {sizes.Length} blocks", nameof(offsets));
        foreach (var s in sizes) if (s <= 0) throw new ArgumentException("block sizes must be positive", nameof(sizes));
        foreach (var r in referenceSizes) if (r <= 0) throw new ArgumentException("reference sizes must be positive", nameof(referenceSizes));
        Offsets = offsets;
        Sizes = sizes;
        ReferenceSizes = referenceSizes;
    }

    public long[] Offsets { get; }
    public long[] Sizes { get; }
    public long[] ReferenceSizes { get; }
    public int Instants => Offsets.Length - 1;
}

/// <summary>Per-instant integer statistics; histograms and S(R) are row-major [instant, bucket or k].</summary>
public sealed class BatchStats
{
    public required long[] Free { get; init; }
    public required long[] Largest { get; init; }
    public required long[] Count { get; init; }
    public required long[] HistCount { get; init; }
    public required long[] HistBytes { get; init; }
    public required long[] Suitable { get; init; }
    public required int K { get; init; }

    public ReadOnlySpan<long> HistCountOf(int instant) => HistCount.AsSpan(instant * Fragmentation.FragMetrics.Buckets, Fragmentation.FragMetrics.Buckets);
    public ReadOnlySpan<long> HistBytesOf(int instant) => HistBytes.AsSpan(instant * Fragmentation.FragMetrics.Buckets, Fragmentation.FragMetrics.Buckets);

    /// <summary>entropy_log2 by blocks, from the integer histogram with the one shared formula.</summary>
    public double EntropyLog2(int instant) => Fragmentation.FragMetrics.Entropy(HistCountOf(instant));

    public double EntropyLog2Bytes(int instant) => Fragmentation.FragMetrics.Entropy(HistBytesOf(instant));
}
