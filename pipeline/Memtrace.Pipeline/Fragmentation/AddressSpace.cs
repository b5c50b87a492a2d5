using Memtrace.Schemas.Stats;

namespace Memtrace.Pipeline.Fragmentation;

/// <summary>A reserved range: a caching-allocator segment, or a driver pool's whole observed range.</summary>
public sealed record Segment(int Id, long Start, long Size, bool SmallPool)
{
    public long End => Start + Size;
}

/// <summary>A live block.</summary>
public readonly record struct LiveBlock(long Size, int Segment, long? StackId);

/// <summary>
/// The state of one pool: segments, live blocks and the free-block index. Blocks in different
/// segments never merge. Problems are reported through <see cref="Anomaly"/> and never throw.
/// </summary>
public sealed class AddressSpace
{
    private readonly Dictionary<long, Segment> _segByStart = new();
    private readonly Dictionary<int, Segment> _segById = new();
    private readonly Dictionary<long, LiveBlock> _live = new();
    private readonly Dictionary<long, long> _liveByEnd = new();
    private readonly HashSet<long> _freedAddresses = new();
    private int _nextSegmentId;

    public AddressSpace(long[] referenceSizes, bool orderedFree)
    {
        Free = new FreeSpaceIndex(referenceSizes, orderedFree);
    }

    public FreeSpaceIndex Free { get; }
    public long Reserved { get; private set; }
    public long Allocated { get; private set; }
    public IReadOnlyDictionary<long, LiveBlock> Live => _live;
    public IEnumerable<Segment> Segments => _segByStart.Values;

    /// <summary>Raised with (stat, address, size, message) for anything the replay could not apply cleanly.</summary>
    public Action<StatDef, long, long, string>? Anomaly { get; set; }

    public Segment? SegmentById(int id) => _segById.GetValueOrDefault(id);

    public Segment AddSegment(long start, long size, bool smallPool)
    {
        if (_segByStart.TryGetValue(start, out var existing)) return existing;
        var seg = new Segment(_nextSegmentId++, start, size, smallPool);
        _segByStart[start] = seg;
        _segById[seg.Id] = seg;
        Reserved += size;
        Free.Add(start, start + size, seg.Id);
        return seg;
    }

    public void RemoveSegment(long start)
    {
        if (!_segByStart.TryGetValue(start, out var seg))
        {
            Anomaly?.Invoke(StatsCatalog.ReplayFreeUnknown, start, 0, "segment release of an unknown segment; ignored");
            return;
        }
        var inside = _live.Where(kv => kv.Value.Segment == seg.Id).Select(kv => kv.Key).ToList();
        if (inside.Count > 0)
        {
            Anomaly?.Invoke(StatsCatalog.ReplaySegmentNotEmpty, start, seg.Size, $"segment released with {inside.Count} live blocks; they were dropped");
            foreach (var a in inside) FreeBlock(a);
        }
        Free.Remove(start);
        _segByStart.Remove(start);
        _segById.Remove(seg.Id);
        Reserved -= seg.Size;
    }

    /// <summary>Marks [addr, addr + size) live. It must lie inside one free block; otherwise it is skipped and reported.</summary>
    public bool Allocate(long addr, long size, long? stackId)
    {
        if (size <= 0) size = 1;
        if (!Free.TryFindContaining(addr, size, out var fs, out var fe, out var seg))
        {
            var kind = _live.ContainsKey(addr) ? "overlaps a live block" : "does not fit in free space";
            Anomaly?.Invoke(StatsCatalog.ReplayOverlap, addr, size, $"allocation {kind}; skipped");
            return false;
        }
        Free.Remove(fs);
        if (fs < addr) Free.Add(fs, addr, seg);
        if (addr + size < fe) Free.Add(addr + size, fe, seg);
        _live[addr] = new LiveBlock(size, seg, stackId);
        _liveByEnd[addr + size] = addr;
        _freedAddresses.Remove(addr);
        Allocated += size;
        return true;
    }

    /// <summary>Returns a live block to free space, merging with free neighbours of the same segment.</summary>
    public bool FreeBlock(long addr)
    {
        if (!_live.Remove(addr, out var b))
        {
            if (_freedAddresses.Contains(addr)) Anomaly?.Invoke(StatsCatalog.ReplayDoubleFree, addr, 0, "double free; ignored");
            else Anomaly?.Invoke(StatsCatalog.ReplayFreeUnknown, addr, 0, "free of an address with no live block; ignored");
            return false;
        }
        _liveByEnd.Remove(addr + b.Size);
        _freedAddresses.Add(addr);
        Allocated -= b.Size;
        var start = addr;
        var end = addr + b.Size;
        if (Free.TryGetEndingAt(start, out var ps) && Free.TryGetStartingAt(ps, out _, out var pseg) && pseg == b.Segment)
        {
            Free.Remove(ps);
            start = ps;
        }
        if (Free.TryGetStartingAt(end, out var ne, out var nseg) && nseg == b.Segment)
        {
            Free.Remove(end);
            end = ne;
        }
        Free.Add(start, end, b.Segment);
        return true;
    }

    /// <summary>The live block that ends exactly at <paramref name="end"/>, if any (for blame).</summary>
    public bool TryLiveEndingAt(long end, out long start, out LiveBlock block)
    {
        block = default;
        return _liveByEnd.TryGetValue(end, out start) && _live.TryGetValue(start, out block);
    }

    public bool TryLiveAt(long start, out LiveBlock block) => _live.TryGetValue(start, out block);
}
