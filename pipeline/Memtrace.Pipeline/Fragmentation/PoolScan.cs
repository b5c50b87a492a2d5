using System.Buffers;
using System.Runtime.CompilerServices;

namespace Memtrace.Pipeline.Fragmentation;

/// <summary>
/// What the replay must know before its first event, from one pass over a pool's events: the p50 and
/// p99 request sizes (the reference sizes of the incremental S(R), so they cannot wait for the replay),
/// the segments the trace reserves (the heatmap's address axis), and the observed address extent (a
/// driver pool's range). It was four passes (two for the percentiles, two LINQ ones): each pass reads
/// every 64-byte event, ~8 ns an event, a sixth of a replay.
/// </summary>
public sealed class PoolScan
{
    public long RequestP50 { get; private init; }
    public long RequestP99 { get; private init; }
    /// <summary>(address, size) of every segment reservation in the trace, in trace order.</summary>
    public List<(long Start, long Size)> SegmentAllocs { get; } = [];
    /// <summary>[lowest, highest) address any successful allocation or reservation touches; Lo = long.MaxValue when none.</summary>
    public long ExtentLo { get; private set; } = long.MaxValue;
    public long ExtentHi { get; private set; } = long.MinValue;

    /// <summary>
    /// One pass over the events (two when the extent is needed: pools without a snapshot). Request sizes
    /// are nearest-rank percentiles, exact: the pass copies them into one compact array (8 bytes an
    /// allocation, not 64 an event); over that array they are counted into 2^14 bins (⌊log2⌋ and the next
    /// 8 bits below the leading one), the sizes of the two bins that hold the ranks are kept, and
    /// quickselect finishes there. With no allocation both are 512 bytes.
    /// </summary>
    public static PoolScan Of(PoolEvent[] events, bool needExtent = true)
    {
        var sizes = ArrayPool<long>.Shared.Rent(Math.Max(16, events.Length));
        try
        {
            var n = 0;
            var segments = new List<(long, long)>();
            // Alloc and free interleave at random, so the append is branch-free: every size is written and
            // the count advances only for a request (a branch here mispredicted every other event).
            foreach (ref readonly var e in events.AsSpan())
            {
                var isRequest = e.Op == AllocOp.Alloc & e.Size > 0;
                sizes[n] = e.Size;
                n += Unsafe.As<bool, byte>(ref isRequest);
                if (e.Op == AllocOp.SegmentAlloc) segments.Add((e.Address, e.Size));
            }
            long lo = long.MaxValue, hi = long.MinValue;
            if (needExtent)
            {
                foreach (ref readonly var e in events.AsSpan())
                {
                    if (e.Op is not (AllocOp.Alloc or AllocOp.SegmentAlloc) || e.Failed) continue;
                    lo = Math.Min(lo, e.Address);
                    hi = Math.Max(hi, e.Address + Math.Max(1, e.BlockSize ?? e.Size));
                }
            }
            var (p50, p99) = Percentiles(sizes.AsSpan(0, n));
            var scan = new PoolScan { RequestP50 = p50, RequestP99 = p99, ExtentLo = lo, ExtentHi = hi };
            scan.SegmentAllocs.AddRange(segments);
            return scan;
        }
        finally
        {
            ArrayPool<long>.Shared.Return(sizes);
        }
    }

    private const int SubBits = 8;

    private static int BinOf(long size)
    {
        var k = FragMetrics.Bucket(size);
        var below = k >= SubBits ? (int)((size >> (k - SubBits)) & ((1 << SubBits) - 1)) : (int)((size << (SubBits - k)) & ((1 << SubBits) - 1));
        return (k << SubBits) | below;
    }

    private static (long P50, long P99) Percentiles(Span<long> sizes)
    {
        long n = sizes.Length;
        if (n == 0) return (TorchRules.MinBlockSize, TorchRules.MinBlockSize);
        var counts = new int[FragMetrics.Buckets << SubBits];
        foreach (var size in sizes) counts[BinOf(size)]++;
        long RankOf(double q) => Math.Clamp((long)Math.Ceiling(q * n) - 1, 0, n - 1);
        var ranks = new[] { RankOf(0.50), RankOf(0.99) };
        var bins = new int[2];
        var before = new long[2];
        for (var r = 0; r < 2; r++)
        {
            long seen = 0;
            var bin = 0;
            while (seen + counts[bin] <= ranks[r]) seen += counts[bin++];
            (bins[r], before[r]) = (bin, seen);
        }
        var members = new[] { new List<long>((int)counts[bins[0]]), new List<long>((int)counts[bins[1]]) };
        foreach (var size in sizes)
        {
            var bin = BinOf(size);
            if (bin == bins[0]) members[0].Add(size);
            if (bin == bins[1] && bins[1] != bins[0]) members[1].Add(size);
        }
        long Pick(int r)
        {
            var list = members[bins[r] == bins[0] ? 0 : 1];
            return Select(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(list), (int)(ranks[r] - before[r]));
        }
        return (Pick(0), Pick(1));
    }

    /// <summary>Hoare quickselect with a median-of-three pivot: the k-th smallest value (0-based); reorders the span.</summary>
    public static long Select(Span<long> a, int k)
    {
        int lo = 0, hi = a.Length - 1;
        while (lo < hi)
        {
            var mid = lo + (hi - lo) / 2;
            if (a[mid] < a[lo]) (a[mid], a[lo]) = (a[lo], a[mid]);
            if (a[hi] < a[lo]) (a[hi], a[lo]) = (a[lo], a[hi]);
            if (a[hi] < a[mid]) (a[hi], a[mid]) = (a[mid], a[hi]);
            var pivot = a[mid];
            int i = lo, j = hi;
            while (i <= j)
            {
                while (a[i] < pivot) i++;
                while (a[j] > pivot) j--;
                if (i <= j)
                {
                    (a[i], a[j]) = (a[j], a[i]);
                    i++;
                    j--;
                }
            }
            if (k <= j) hi = j;
            else if (k >= i) lo = i;
            else return a[k];
        }
        return a[k];
    }
}
