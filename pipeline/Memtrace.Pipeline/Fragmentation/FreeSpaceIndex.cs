namespace Memtrace.Pipeline.Fragmentation;

/// <summary>
/// The free blocks of one pool with every statistic kept incrementally: F, N, the ⌊log2⌋ histogram
/// (by blocks and by bytes), S(R) = Σ⌊b/R⌋ for a fixed set of reference sizes, and L through a
/// max-heap with lazy deletion. Each add or remove is O(log n) amortised; nothing rescans the space.
/// </summary>
public sealed class FreeSpaceIndex
{
    private readonly Dictionary<long, (long End, int Segment)> _byStart = new();
    private readonly Dictionary<long, long> _byEnd = new();
    private readonly LazyMaxHeap _largest = new();
    /// <summary>Ordered block starts, for lookups that do not land on a block start. Built on the first such miss.</summary>
    private SortedSet<long>? _starts;
    private readonly long[] _refSizes;

    public FreeSpaceIndex(long[] referenceSizes, bool ordered)
    {
        _refSizes = referenceSizes;
        SuitableCounts = new long[referenceSizes.Length];
        _starts = ordered ? new SortedSet<long>() : null;
    }

    public long FreeBytes { get; private set; }
    public long Count => _byStart.Count;
    public long Largest => _largest.Max;
    public long[] HistCount { get; } = new long[FragMetrics.Buckets];
    public long[] HistBytes { get; } = new long[FragMetrics.Buckets];
    /// <summary>S(R_k) for each reference size given at construction.</summary>
    public long[] SuitableCounts { get; }
    public IReadOnlyList<long> ReferenceSizes => _refSizes;

    public void Add(long start, long end, int segment)
    {
        var size = end - start;
        if (size <= 0) return;
        _byStart.Add(start, (end, segment));
        _byEnd[end] = start;
        _largest.Add(size);
        _starts?.Add(start);
        FreeBytes += size;
        var b = FragMetrics.Bucket(size);
        HistCount[b]++;
        HistBytes[b] += size;
        for (var k = 0; k < _refSizes.Length; k++) SuitableCounts[k] += size / _refSizes[k];
    }

    public void Remove(long start)
    {
        var (end, _) = _byStart[start];
        var size = end - start;
        _byStart.Remove(start);
        _byEnd.Remove(end);
        _largest.Remove(size);
        _starts?.Remove(start);
        FreeBytes -= size;
        var b = FragMetrics.Bucket(size);
        HistCount[b]--;
        HistBytes[b] -= size;
        for (var k = 0; k < _refSizes.Length; k++) SuitableCounts[k] -= size / _refSizes[k];
    }

    public bool TryGetStartingAt(long start, out long end, out int segment)
    {
        if (_byStart.TryGetValue(start, out var v))
        {
            (end, segment) = v;
            return true;
        }
        end = 0;
        segment = -1;
        return false;
    }

    public bool TryGetEndingAt(long end, out long start) => _byEnd.TryGetValue(end, out start);

    /// <summary>
    /// The free block holding [addr, addr + size). The caching allocator always carves from a block's
    /// start, so the hash lookup answers; driver pools place anywhere and use the ordered starts, which
    /// are built on the first miss and maintained from then on (O(log n) either way, never a scan).
    /// </summary>
    public bool TryFindContaining(long addr, long size, out long start, out long end, out int segment)
    {
        start = addr;
        if (!TryGetStartingAt(addr, out end, out segment))
        {
            _starts ??= new SortedSet<long>(_byStart.Keys);
            // A view's Count walks the subtree; Min/Max are O(log n).
            if (_starts.Count == 0 || _starts.Min > addr) return false;
            start = _starts.GetViewBetween(long.MinValue, addr).Max;
            (end, segment) = _byStart[start];
        }
        return addr + size <= end && addr >= start;
    }

    public IEnumerable<(long Start, long End, int Segment)> Blocks()
    {
        foreach (var (s, v) in _byStart) yield return (s, v.End, v.Segment);
    }

    public long[] BlockSizes()
    {
        var a = new long[_byStart.Count];
        var i = 0;
        foreach (var (s, v) in _byStart) a[i++] = v.End - s;
        return a;
    }
}
