using Memtrace.Schemas.Results;

namespace Memtrace.Pipeline.Fragmentation;

/// <summary>
/// The one definition of every fragmentation formula (DESIGN.md "Fragmentation: the metrics").
/// F = total free bytes, L = largest free block, N = free block count. The replay, the batch
/// kernels and the tests all call these.
/// </summary>
public static class FragMetrics
{
    public const int Buckets = 64;

    /// <summary>The seed's 碎片率: (F − L) / F, and 0 when nothing is free.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    public static double FragRate(long f, long l) => f == 0 ? 0.0 : (double)(f - l) / f;

    /// <summary>The seed's 有效连续块占比: L / F. With nothing free nothing is fragmented, so 1 (consistent with frag_rate = 0).</summary>
    public static double EffectiveContiguousRatio(long f, long l) => f == 0 ? 1.0 : (double)l / f;

    /// <summary>
    /// Fixed bucket k = ⌊log2 bytes⌋ for a block of at least one byte: one LZCNT. ILGPU maps
    /// LeadingZeroCount to its own intrinsic, so the very same method compiles into the kernels. (It was
    /// six compare-and-shift steps, whose data-dependent branches mispredicted in the replay's hot path.)
    /// </summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    public static int Bucket(long bytes) => 63 - System.Numerics.BitOperations.LeadingZeroCount((ulong)bytes);

    /// <summary>Shannon entropy (bits) of a histogram: −Σ p·log2 p over non-empty buckets.</summary>
    public static double Entropy(ReadOnlySpan<long> counts)
    {
        long total = 0;
        foreach (var c in counts) total += c;
        if (total == 0) return 0.0;
        var h = 0.0;
        foreach (var c in counts)
        {
            if (c == 0) continue;
            var p = (double)c / total;
            h -= p * Math.Log2(p);
        }
        return h;
    }

    /// <summary>
    /// unusable_index(R) = (F − S(R)·R) / F with S(R) = Σ ⌊block / R⌋: the fraction of free memory that
    /// cannot serve a request of R bytes (mm/vmstat.c's unusable_free_index, from 2^order pages to any R). 1 when F = 0.
    /// </summary>
    public static double UnusableIndex(long f, long suitableCount, long r) =>
        f == 0 ? 1.0 : (double)(f - suitableCount * r) / f; // S(R)·R ≤ F, so no overflow.

    /// <summary>S(R) = Σ ⌊block / R⌋ over free blocks.</summary>
    public static long SuitableCount(ReadOnlySpan<long> freeBlocks, long r)
    {
        long s = 0;
        foreach (var b in freeBlocks) s += b / r;
        return s;
    }

    /// <summary>
    /// The kernel's fragmentation index (mm/vmstat.c __fragmentation_index): −1 when a request of R bytes
    /// would succeed (L ≥ R); 0 with no free blocks; otherwise 1 − (1 + F/R) / N. Near 0: lack of memory;
    /// near 1: fragmentation.
    /// </summary>
    public static double ExtfragIndex(long f, long n, long l, long r)
    {
        if (l >= r) return -1.0;
        if (n == 0) return 0.0;
        return 1.0 - (1.0 + (double)f / r) / n;
    }

    /// <summary>OOM verdict: fragmentation when R ≤ F but R > L; capacity when R > F; fits when R ≤ L (the pool could have served it).</summary>
    public static string Verdict(long request, long f, long l) =>
        request > f ? Verdicts.Capacity : request > l ? Verdicts.Fragmentation : Verdicts.Fits;

    /// <summary>
    /// The seed's entropy, exactly as its numpy code: logs = log2(KB + 1); 8-bin histogram over
    /// [0, max + 1e-6]; p = hist / (Σ hist + 1e-12); H = −Σ p·log2(p + 1e-12). Bins depend on the data,
    /// so values from different instants do not compare; never shown alone.
    /// </summary>
    public static double EntropySeed(ReadOnlySpan<long> freeBlockBytes)
    {
        if (freeBlockBytes.Length == 0) return 0.0;
        var rented = System.Buffers.ArrayPool<double>.Shared.Rent(freeBlockBytes.Length);
        var logs = rented.AsSpan(0, freeBlockBytes.Length);
        for (var i = 0; i < logs.Length; i++) logs[i] = SeedLog(freeBlockBytes[i]);
        var h = EntropySeedOfLogs(logs);
        System.Buffers.ArrayPool<double>.Shared.Return(rented);
        return h;
    }

    /// <summary>The seed's per-block value: log2(KB + 1).</summary>
    public static double SeedLog(long bytes) => Math.Log2(bytes / 1024.0 + 1.0);

    /// <summary><see cref="EntropySeed"/> from the blocks' <see cref="SeedLog"/> values.</summary>
    public static double EntropySeedOfLogs(ReadOnlySpan<double> logs)
    {
        if (logs.Length == 0) return 0.0;
        var max = double.MinValue;
        foreach (var v in logs) if (v > max) max = v;
        var bins = new SeedBins(max);
        Span<long> hist = stackalloc long[SeedBins.Count];
        foreach (var v in logs)
        {
            var bin = bins.Of(v);
            if (bin >= 0) hist[bin]++;
        }
        return EntropyOfSeedHistogram(hist);
    }

    /// <summary>The seed's entropy of its 8-bin histogram: p = hist / (Σ hist + 1e-12); H = −Σ p·log2(p + 1e-12).</summary>
    public static double EntropyOfSeedHistogram(ReadOnlySpan<long> hist)
    {
        double total = 0;
        foreach (var c in hist) total += c;
        var h = 0.0;
        foreach (var c in hist)
        {
            var p = c / (total + 1e-12);
            h -= p * Math.Log2(p + 1e-12);
        }
        return h;
    }

    /// <summary>
    /// np.histogram's uniform bins over [0, max + 1e-6] (the seed's range), one value at a time: edges from
    /// linspace, the bin from the scaled value, then numpy's corrections against the edges.
    /// </summary>
    public readonly struct SeedBins
    {
        public const int Count = 8;
        private readonly double _hi;
        private readonly double _norm;
        private readonly double[] _edges;

        public SeedBins(double maxLog)
        {
            _hi = maxLog + 1e-6;
            _edges = new double[Count + 1];
            var step = _hi / Count;
            for (var i = 0; i <= Count; i++) _edges[i] = i * step;
            _edges[Count] = _hi;
            _norm = Count / _hi;
        }

        /// <summary>The lower edge of bin <paramref name="bin"/> (numpy's linspace value).</summary>
        public double LowerEdge(int bin) => _edges[bin];

        /// <summary>The bin of a seed log value; −1 outside the range.</summary>
        public int Of(double v)
        {
            if (v < 0.0 || v > _hi) return -1;
            var idx = (int)(v * _norm);
            if (idx == Count) idx = Count - 1;
            if (v < _edges[idx]) idx--;
            else if (idx != Count - 1 && v >= _edges[idx + 1]) idx++;
            return idx;
        }
    }
}
