namespace Memtrace.Pipeline.Fragmentation;

/// <summary>
/// The free blocks of one pool with every statistic kept incrementally: F, N, the ⌊log2⌋ histogram
/// (by blocks and by bytes), S(R) = Σ⌊b/R⌋ for a fixed set of reference sizes, and L through an indexed
/// max-heap. Each add or remove is O(log n); nothing rescans the space.
/// </summary>
public sealed class FreeSpaceIndex
{
    private struct Block
    {
        public long Start;
        public long End;
        public int Segment;
        /// <summary>The seed's log2(KB + 1), computed once when the block appears (entropy_seed reads it per timeline row).</summary>
        public double SeedLog;
    }

    /// <summary>Blocks live in a flat array under small ids (reused), so the heap and the maps carry ints.</summary>
    private Block[] _blocks = new Block[64];
    private readonly Stack<int> _freeIds = new();
    private int _nextId;
    private readonly Dictionary<long, int> _byStart = new();
    private readonly Dictionary<long, long> _byEnd = new();
    private readonly IndexedMaxHeap _largest = new();
    /// <summary>Ordered block starts, for lookups that do not land on a block start. Built on the first such miss.</summary>
    private OrderedLongSet? _starts;
    private readonly long[] _refSizes;

    public FreeSpaceIndex(long[] referenceSizes, bool ordered)
    {
        _refSizes = referenceSizes;
        SuitableCounts = new long[referenceSizes.Length];
        _starts = ordered ? new OrderedLongSet() : null;
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
        var id = _freeIds.Count > 0 ? _freeIds.Pop() : _nextId++;
        if (id == _blocks.Length) Array.Resize(ref _blocks, id * 2);
        _blocks[id] = new Block { Start = start, End = end, Segment = segment, SeedLog = FragMetrics.SeedLog(size) };
        _byStart.Add(start, id);
        _byEnd[end] = start;
        _largest.Add(id, size);
        _starts?.Add(start);
        FreeBytes += size;
        var b = FragMetrics.Bucket(size);
        HistCount[b]++;
        HistBytes[b] += size;
        for (var k = 0; k < _refSizes.Length; k++) SuitableCounts[k] += size / _refSizes[k];
    }

    public void Remove(long start)
    {
        _byStart.Remove(start, out var id);
        var end = _blocks[id].End;
        var size = end - start;
        _byEnd.Remove(end);
        _largest.Remove(id);
        _freeIds.Push(id);
        _starts?.Remove(start);
        FreeBytes -= size;
        var b = FragMetrics.Bucket(size);
        HistCount[b]--;
        HistBytes[b] -= size;
        for (var k = 0; k < _refSizes.Length; k++) SuitableCounts[k] -= size / _refSizes[k];
    }

    public bool TryGetStartingAt(long start, out long end, out int segment)
    {
        if (_byStart.TryGetValue(start, out var id))
        {
            end = _blocks[id].End;
            segment = _blocks[id].Segment;
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
            _starts ??= new OrderedLongSet(_byStart.Keys);
            if (!_starts.TryPredecessor(addr, out start)) return false;
            ref readonly var b = ref _blocks[_byStart[start]];
            (end, segment) = (b.End, b.Segment);
        }
        return addr + size <= end && addr >= start;
    }

    public IEnumerable<(long Start, long End, int Segment)> Blocks()
    {
        foreach (var id in _byStart.Values) yield return (_blocks[id].Start, _blocks[id].End, _blocks[id].Segment);
    }

    /// <summary>Every free block's size and seed log into the buffers (grown when too small); returns how many.</summary>
    public int CopyBlocks(ref long[] sizes, ref double[] seedLogs)
    {
        if (sizes.Length < _byStart.Count) sizes = new long[Math.Max(_byStart.Count, sizes.Length * 2)];
        if (seedLogs.Length < sizes.Length) seedLogs = new double[sizes.Length];
        var i = 0;
        foreach (var id in _byStart.Values)
        {
            ref readonly var b = ref _blocks[id];
            sizes[i] = b.End - b.Start;
            seedLogs[i++] = b.SeedLog;
        }
        return i;
    }

    public long[] BlockSizes()
    {
        var a = new long[_byStart.Count];
        var i = 0;
        foreach (var id in _byStart.Values) a[i++] = _blocks[id].End - _blocks[id].Start;
        return a;
    }
}
