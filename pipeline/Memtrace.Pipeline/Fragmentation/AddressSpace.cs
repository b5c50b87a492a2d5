using Memtrace.Pipeline.Collections;
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
/// The state of one pool: segments, live and free blocks, and the free-block index. Every block, live
/// or free, sits in one arena, keyed by its start in one hash map and linked to its neighbours in its
/// segment, so an allocation costs one lookup and a free finds its neighbours by the links (no lookups).
/// Blocks in different segments never merge. Each change is arranged to touch the free-space index once
/// where it can: a block carved from the front of a free block leaves the free block's id on the
/// remainder (one resize, not a delete and an insert), and a block freed next to a free one grows it.
/// Problems are reported through <see cref="Anomaly"/> and never throw.
/// </summary>
public sealed class AddressSpace
{
    private readonly Dictionary<long, Segment> _segByStart = new();
    private readonly Dictionary<int, Segment> _segById = new();
    private readonly BlockArena _arena = new();
    private readonly LongIntMap _byStart = new();
    /// <summary>Recently freed addresses not allocated since, to tell a double free from a free of an unknown address.</summary>
    private readonly RecentAddresses _freedAddresses = new();
    private int _nextSegmentId;

    public AddressSpace(long[] referenceSizes, bool orderedFree)
    {
        Free = new FreeSpaceIndex(_arena, _byStart, referenceSizes, orderedFree);
    }

    public FreeSpaceIndex Free { get; }
    public long Reserved { get; private set; }
    public long Allocated { get; private set; }
    public int LiveCount { get; private set; }
    public IEnumerable<Segment> Segments => _segByStart.Values;
    public int SegmentCount => _segByStart.Count;

    /// <summary>Raised with (stat, address, size, message) for anything the replay could not apply cleanly.</summary>
    public Action<StatDef, long, long, string>? Anomaly { get; set; }

    /// <summary>Told of every block that becomes live or stops being live (the heatmap's interval recorder).</summary>
    public IBlockLifetimeObserver? Lifetimes { get; set; }

    /// <summary>Told of every segment, free-block and live-block change (the heatmap's running sums); the free index is told too.</summary>
    public ISpaceObserver? Observer
    {
        get => _observer;
        set => _observer = Free.Observer = value;
    }

    private ISpaceObserver? _observer;

    public Segment? SegmentById(int id) => _segById.GetValueOrDefault(id);

    /// <summary>The live blocks, in arena order (deterministic, not by address). A walk of the arena: no live list is kept per event.</summary>
    public IEnumerable<(long Start, LiveBlock Block)> LiveBlocks()
    {
        for (var id = 0; id < _arena.HighWater; id++)
        {
            var b = _arena.Items[id];
            if (b.Segment >= 0 && !b.Free) yield return (b.Start, ToLive(id));
        }
    }

    private LiveBlock ToLive(int id)
    {
        ref readonly var b = ref _arena.Items[id];
        var stack = _arena.Stacks[id];
        return new LiveBlock(b.Size, b.Segment, stack == BlockArena.NoStack ? null : stack);
    }

    public Segment AddSegment(long start, long size, bool smallPool)
    {
        if (_segByStart.TryGetValue(start, out var existing)) return existing;
        var seg = new Segment(_nextSegmentId++, start, size, smallPool);
        _segByStart[start] = seg;
        _segById[seg.Id] = seg;
        Reserved += size;
        _observer?.SegmentChanged(seg, +1);
        if (size > 0 && !_byStart.ContainsKey(start))
        {
            var id = _arena.New(start, start + size, seg.Id);
            _byStart.Set(start, id);
            Free.Insert(id);
        }
        return seg;
    }

    public void RemoveSegment(long start)
    {
        if (!_segByStart.TryGetValue(start, out var seg))
        {
            Anomaly?.Invoke(StatsCatalog.ReplayFreeUnknown, start, 0, "segment release of an unknown segment; ignored");
            return;
        }
        var inside = new List<long>();
        if (_byStart.TryGetValue(start, out var first) && _arena.Items[first].Segment == seg.Id)
        {
            for (var id = first; id >= 0; id = _arena.Items[id].Next)
                if (!_arena.Items[id].Free) inside.Add(_arena.Items[id].Start);
        }
        if (inside.Count > 0)
        {
            Anomaly?.Invoke(StatsCatalog.ReplaySegmentNotEmpty, start, seg.Size, $"segment released with {inside.Count} live blocks; they were dropped");
            foreach (var a in inside) FreeBlock(a);
        }
        // Every block of the segment is now free and merged into one that starts at the segment.
        if (_byStart.TryGetValue(start, out var whole) && _arena.Items[whole].Free && _arena.Items[whole].Segment == seg.Id)
        {
            Free.Delete(whole);
            _byStart.Remove(start);
            _arena.Recycle(whole);
        }
        _segByStart.Remove(start);
        _segById.Remove(seg.Id);
        Reserved -= seg.Size;
        _observer?.SegmentChanged(seg, -1);
    }

    /// <summary>Marks [addr, addr + size) live. It must lie inside one free block; otherwise it is skipped and reported.</summary>
    public bool Allocate(long addr, long size, long? stackId) => Allocate(addr, size, stackId ?? BlockArena.NoStack);

    /// <summary><see cref="Allocate(long, long, long?)"/> with <see cref="BlockArena.NoStack"/> for no stack (the replay's per-event call).</summary>
    internal bool Allocate(long addr, long size, long stackId)
    {
        if (size <= 0) size = 1;
        if (!Free.TryFindContaining(addr, size, out int id)) return ReportBadAllocation(addr, size);
        Place(id, addr, size, stackId);
        return true;
    }

    /// <summary>The free block left right after the last <see cref="PlaceInOrder"/>, or −1.</summary>
    private int _placedRest = -1;

    /// <summary>
    /// <see cref="Allocate(long, long, long?)"/> for the snapshot rebuild, which places the blocks live at the trace's
    /// start in address order: the free block holding each is the one the previous placement left after itself, or the
    /// first block of its segment. So no placement needs the ordered free starts, which a lookup miss builds (one per
    /// block not at a free block's start): sorted inserts of every free block, kept through the rest of the rebuild.
    /// </summary>
    internal bool PlaceInOrder(long segmentStart, long addr, long size, long? stackId)
    {
        if (size <= 0) size = 1;
        var stack = stackId ?? BlockArena.NoStack;
        var found = _byStart.TryGetValue(addr, out var id)
            ? Holds(id, addr, size)
            : Holds(id = _placedRest, addr, size) || (_byStart.TryGetValue(segmentStart, out id) && Holds(id, addr, size));
        if (found)
        {
            _placedRest = Place(id, addr, size, stack);
            return true;
        }
        _placedRest = -1;
        return Allocate(addr, size, stack); // overlaps, or lies outside its segment: reported as any allocation
    }

    private bool Holds(int id, long addr, long size)
    {
        if (id < 0) return false;
        ref readonly var b = ref _arena.Items[id];
        return b.Segment >= 0 && b.Free && b.Start <= addr && addr + size <= b.End;
    }

    /// <summary>Marks [addr, addr + size) of free block <paramref name="id"/> live; returns the free block left after it, or −1.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    private int Place(int id, long addr, long size, long stackId)
    {
        var (start, end, segment) = (_arena.Items[id].Start, _arena.Items[id].End, _arena.Items[id].Segment);
        var after = -1;
        var liveEnd = addr + size;
        int liveId;
        if (start != addr)
        {
            // The free block keeps [start, addr); the live block follows it, and any rest after that.
            Free.Resize(id, start, addr);
            liveId = _arena.New(addr, liveEnd, segment);
            _arena.LinkAfter(id, liveId);
            _byStart.Set(addr, liveId);
            if (liveEnd < end)
            {
                var rest = _arena.New(liveEnd, end, segment);
                _arena.LinkAfter(liveId, rest);
                _byStart.Set(liveEnd, rest);
                Free.Insert(rest);
                after = rest;
            }
        }
        else if (liveEnd < end)
        {
            // Carved from the front (the caching allocator's way): the free block keeps its id on the rest.
            liveId = _arena.New(addr, liveEnd, segment);
            _arena.LinkBefore(id, liveId);
            _byStart.Set(addr, liveId);
            _byStart.Set(liveEnd, id);
            Free.Resize(id, liveEnd, end);
            after = id;
        }
        else
        {
            Free.Delete(id);
            liveId = id;
        }
        _arena.Stacks[liveId] = stackId;
        LiveCount++;
        Allocated += size;
        Lifetimes?.Opened(addr, size);
        _observer?.LiveChanged(addr, size, segment, stackId, +1);
        return after;
    }

    /// <summary>Returns a live block to free space, merging with free neighbours of the same segment.</summary>
    public bool FreeBlock(long addr)
    {
        if (!_byStart.TryGetValue(addr, out var id) || _arena.Items[id].Free) return ReportBadFree(addr);
        var items = _arena.Items;
        var (end, prev, next) = (items[id].End, items[id].Prev, items[id].Next);
        LiveCount--;
        _freedAddresses.Add(addr);
        Allocated -= end - addr;
        Lifetimes?.Closed(addr, end - addr);
        _observer?.LiveChanged(addr, end - addr, items[id].Segment, _arena.Stacks[id], -1);
        var prevFree = prev >= 0 && items[prev].Free;
        var nextFree = next >= 0 && items[next].Free;
        if (prevFree)
        {
            if (nextFree)
            {
                end = items[next].End;
                Drop(next, wasFree: true);
            }
            Drop(id, wasFree: false);
            Free.Resize(prev, items[prev].Start, end);
        }
        else if (nextFree)
        {
            // The free block after grows down over this one and takes over its start.
            var nextStart = items[next].Start;
            _arena.Unlink(id);
            _arena.Recycle(id);
            _byStart.Set(addr, next);
            _byStart.Remove(nextStart);
            Free.Resize(next, addr, items[next].End);
        }
        else Free.Insert(id);
        return true;
    }

    // The reports are out of line so the per-event paths stay small (no string building in their frames).
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    private bool ReportBadAllocation(long addr, long size)
    {
        var kind = TryLiveAt(addr, out _) ? "overlaps a live block" : "does not fit in free space";
        Anomaly?.Invoke(StatsCatalog.ReplayOverlap, addr, size, $"allocation {kind}; skipped");
        return false;
    }

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    private bool ReportBadFree(long addr)
    {
        if (_freedAddresses.Contains(addr)) Anomaly?.Invoke(StatsCatalog.ReplayDoubleFree, addr, 0, "double free; ignored");
        else Anomaly?.Invoke(StatsCatalog.ReplayFreeUnknown, addr, 0, "free of an address with no live block; ignored");
        return false;
    }

    /// <summary>Takes a block out of the arena: unlinked, unmapped, id recycled.</summary>
    private void Drop(int id, bool wasFree)
    {
        if (wasFree) Free.Delete(id);
        _arena.Unlink(id);
        _byStart.Remove(_arena.Items[id].Start);
        _arena.Recycle(id);
    }

    /// <summary>The live block that ends exactly where the block starting at <paramref name="end"/> begins (for blame).</summary>
    public bool TryLiveEndingAt(long end, out long start, out LiveBlock block)
    {
        (start, block) = (0, default);
        if (!_byStart.TryGetValue(end, out var id)) return false;
        var prev = _arena.Items[id].Prev;
        if (prev < 0 || _arena.Items[prev].Free || _arena.Items[prev].End != end) return false;
        start = _arena.Items[prev].Start;
        block = ToLive(prev);
        return true;
    }

    public bool TryLiveAt(long start, out LiveBlock block)
    {
        block = default;
        if (!_byStart.TryGetValue(start, out var id) || _arena.Items[id].Free) return false;
        block = ToLive(id);
        return true;
    }
}
