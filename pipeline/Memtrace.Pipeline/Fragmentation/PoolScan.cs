using System.Runtime.CompilerServices;
using Memtrace.Pipeline.Collections;

namespace Memtrace.Pipeline.Fragmentation;

/// <summary>Whether a pool's replay needs the observed address extent (see <see cref="PoolReplay"/>'s initial state).</summary>
public enum ExtentUse
{
    /// <summary>The pool has a snapshot: its segments are the address space.</summary>
    None,
    /// <summary>A driver pool without a snapshot: its range is the extent.</summary>
    Always,
    /// <summary>An allocator pool without a snapshot: the extent stands in only when the trace reserves no segment.</summary>
    WithoutSegments,
}

/// <summary>
/// What the replay must know before its first event, from one pass over a pool's events: the p50 and
/// p99 request sizes (the reference sizes of the incremental S(R), so they cannot wait for the replay),
/// the segments the trace reserves (the heatmap's address axis), and the observed address extent (a
/// driver pool's range). It was four passes (two for the percentiles, two LINQ ones): each pass reads
/// every 64-byte event, ~8 ns an event, a sixth of a replay.
/// </summary>
public sealed class PoolScan
{
    public long RequestP50 { get; private set; } = TorchRules.MinBlockSize;
    public long RequestP99 { get; private set; } = TorchRules.MinBlockSize;
    /// <summary>(address, size) of every segment reservation in the trace, in trace order.</summary>
    public List<(long Start, long Size)> SegmentAllocs { get; } = [];
    /// <summary>[lowest, highest) address any successful allocation or reservation touches; Lo = long.MaxValue when none.</summary>
    public long ExtentLo { get; private set; } = long.MaxValue;
    public long ExtentHi { get; private set; } = long.MinValue;

    /// <summary>
    /// Request sizes are nearest-rank percentiles, exact. Real traces repeat a few thousand sizes, so one
    /// pass counts each distinct size (a hash map of at most <see cref="MaxDistinct"/>) and the ranks are
    /// read off the sorted distinct sizes. Past that many distinct sizes it falls back to two more passes:
    /// the first counts sizes into 2^14 bins (⌊log2⌋ and the next 8 bits below the leading one), the second
    /// keeps the sizes of the two bins that hold the ranks, and quickselect finishes there. Every pass
    /// gathers a chunk's request sizes into one small buffer first, branch-free (alloc and free interleave
    /// at random, and a branch per event mispredicted every other one), then works on the buffer in cache.
    /// Nothing is copied per event: a compact copy of every request size held 100 MB a pool of 12 M events,
    /// 0.45 GB more peak in the 10^8-event run. The extent is taken only where the pool needs it (see
    /// <see cref="ExtentUse"/>): a driver pool's within the same pass, chunk by chunk; an allocator pool's
    /// in a pass of its own, and only when its trace reserved no segment. It was a separate branchy pass for
    /// every pool without a snapshot, ~5 ns an event. With no allocation both percentiles are 512 bytes.
    /// </summary>
    public static PoolScan Of(PoolEvent[] events, ExtentUse extent = ExtentUse.Always, int maxDistinct = MaxDistinct)
    {
        var scan = new PoolScan();
        var (lo, hi) = (long.MaxValue, long.MinValue);
        var buffer = new long[Math.Min(Chunk, Math.Max(1, events.Length))];
        var distinct = new LongIntMap(1024);
        var distinctCounts = new List<long>();
        long n = 0;
        for (var start = 0; start < events.Length; start += Chunk)
        {
            var chunk = ChunkAt(events, start);
            var requests = Requests(chunk, buffer, scan.SegmentAllocs);
            n += requests.Length;
            // The chunk (256 KB) is still in L2: the extent costs no second read of the events from memory.
            if (extent == ExtentUse.Always) Extent(chunk, ref lo, ref hi);
            if (distinctCounts.Count > maxDistinct) continue;
            foreach (var size in requests)
            {
                if (distinct.TryGetValue(size, out var at)) distinctCounts[at]++;
                else if (distinctCounts.Count <= maxDistinct)
                {
                    distinct.Set(size, distinctCounts.Count);
                    distinctCounts.Add(1);
                }
            }
        }
        if (n > 0)
        {
            long RankOf(double q) => Math.Clamp((long)Math.Ceiling(q * n) - 1, 0, n - 1);
            long[] ranks = [RankOf(0.50), RankOf(0.99)];
            (scan.RequestP50, scan.RequestP99) = distinctCounts.Count <= maxDistinct
                ? FromDistinct(distinct, distinctCounts, ranks)
                : FromBins(events, buffer, ranks);
        }
        if (extent == ExtentUse.WithoutSegments && scan.SegmentAllocs.Count == 0) Extent(events, ref lo, ref hi);
        (scan.ExtentLo, scan.ExtentHi) = (lo, hi);
        return scan;
    }

    /// <summary>At most this many distinct request sizes are counted exactly; past it the percentiles come from bins.</summary>
    public const int MaxDistinct = 1 << 14;

    private static (long, long) FromDistinct(LongIntMap distinct, List<long> counts, long[] ranks)
    {
        var sizes = new long[counts.Count];
        foreach (var (size, at) in distinct.Entries()) sizes[at] = size;
        var order = counts.ToArray();
        Array.Sort(sizes, order);
        long Pick(long rank)
        {
            long seen = 0;
            for (var i = 0; ; i++)
            {
                seen += order[i];
                if (seen > rank) return sizes[i];
            }
        }
        return (Pick(ranks[0]), Pick(ranks[1]));
    }

    private static (long, long) FromBins(PoolEvent[] events, long[] buffer, long[] ranks)
    {
        var counts = new int[FragMetrics.Buckets << SubBits];
        for (var start = 0; start < events.Length; start += Chunk)
            foreach (var size in Requests(ChunkAt(events, start), buffer, null))
                counts[BinOf(size)]++;
        var bins = new int[2];
        var before = new long[2];
        for (var r = 0; r < 2; r++)
        {
            long seen = 0;
            var bin = 0;
            while (seen + counts[bin] <= ranks[r]) seen += counts[bin++];
            (bins[r], before[r]) = (bin, seen);
        }
        var members = new[] { new List<long>(counts[bins[0]]), new List<long>(counts[bins[1]]) };
        for (var start = 0; start < events.Length; start += Chunk)
        {
            foreach (var size in Requests(ChunkAt(events, start), buffer, null))
            {
                var bin = BinOf(size);
                if (bin == bins[0]) members[0].Add(size);
                else if (bin == bins[1]) members[1].Add(size);
            }
        }
        long Pick(int r) => Select(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(members[bins[r] == bins[0] ? 0 : 1]), (int)(ranks[r] - before[r]));
        return (Pick(0), Pick(1));
    }

    /// <summary>Events per chunk: the gathered sizes (32 KB) stay in L1 while they are counted.</summary>
    private const int Chunk = 4096;
    private const int SubBits = 8;

    private static ReadOnlySpan<PoolEvent> ChunkAt(PoolEvent[] events, int start) => events.AsSpan(start, Math.Min(Chunk, events.Length - start));

    /// <summary>
    /// The request sizes (allocations of at least a byte) of a chunk, gathered into the buffer without a
    /// branch; segment reservations are added to <paramref name="segments"/> on the way when it is given.
    /// </summary>
    private static ReadOnlySpan<long> Requests(ReadOnlySpan<PoolEvent> chunk, long[] buffer, List<(long Start, long Size)>? segments)
    {
        var m = 0;
        foreach (ref readonly var e in chunk)
        {
            var isRequest = e.Op == AllocOp.Alloc & e.Size > 0;
            buffer[m] = e.Size;
            m += Unsafe.As<bool, byte>(ref isRequest);
            if (e.Op == AllocOp.SegmentAlloc) segments?.Add((e.Address, e.Size));
        }
        return buffer.AsSpan(0, m);
    }

    /// <summary>
    /// Widens [lo, hi) over every successful allocation and reservation, branch-free: the ops interleave at
    /// random, so a branch per op mispredicts often enough to cost as much as a whole pass.
    /// </summary>
    private static void Extent(ReadOnlySpan<PoolEvent> events, ref long lo, ref long hi)
    {
        var (low, high) = (lo, hi);
        foreach (ref readonly var e in events)
        {
            var placed = (e.Op == AllocOp.Alloc | e.Op == AllocOp.SegmentAlloc) & !e.Failed;
            var keep = -(long)Unsafe.As<bool, byte>(ref placed); // all ones when placed
            var block = e.BlockSizeOrMin;
            var sized = block == long.MinValue ? e.Size : block;
            low = Math.Min(low, (e.Address & keep) | (long.MaxValue & ~keep));
            high = Math.Max(high, ((e.Address + Math.Max(1, sized)) & keep) | (long.MinValue & ~keep));
        }
        (lo, hi) = (low, high);
    }

    private static int BinOf(long size)
    {
        var k = FragMetrics.Bucket(size);
        var below = k >= SubBits ? (int)((size >> (k - SubBits)) & ((1 << SubBits) - 1)) : (int)((size << (SubBits - k)) & ((1 << SubBits) - 1));
        return (k << SubBits) | below;
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
