namespace Memtrace.Pipeline.Allocators;

/// <summary>
/// One block of the simulated caching allocator, as upstream's Block: a range of a segment, linked to its
/// neighbours in the segment (prev/next are set only once a segment has been split). Its key in the pool's
/// ordered set depends on Ptr and Size, so the set must not hold it while either changes.
/// </summary>
public sealed class SimBlock(long stream, long size, BlockPool pool, long ptr)
{
    public long Stream { get; private set; } = stream;
    public long Size { get; set; } = size;
    public long Ptr { get; set; } = ptr;
    public BlockPool Pool { get; private set; } = pool;
    public long RequestedSize { get; set; }
    public bool Allocated { get; set; }
    /// <summary>Freed by the program (free_requested) but not yet returned to the pool (free_completed): event_count &gt; 0.</summary>
    public bool PendingFree { get; set; }
    /// <summary>Always true outside expandable segments; false for a range of one whose pages are not mapped.</summary>
    public bool Mapped { get; set; } = true;
    public SimBlock? Prev { get; set; }
    public SimBlock? Next { get; set; }
    public ExpandableSegment? Expandable { get; set; }
    public long GcCountBase { get; set; }
    /// <summary>Its place in its pool's list of blocks a release can give back, or −1 (see <see cref="BlockPool.Releasable"/>).</summary>
    internal int ReleasableAt = -1;
    /// <summary>
    /// Freed by a release while the program still held it (a pending free the release waited for): the caller's map of
    /// handed-out blocks may still name it, so no free passes it on for reuse while the replay runs (its end does).
    /// </summary>
    internal bool FreedUnderTheProgram;
    /// <summary>Among the spare blocks now: given twice, it would become two blocks at once.</summary>
    internal bool Spare;

    /// <summary>This object as a new block: every field as the constructor sets it.</summary>
    internal SimBlock Reuse(long stream, long size, BlockPool pool, long ptr)
    {
        (Stream, Size, Pool, Ptr) = (stream, size, pool, ptr);
        (RequestedSize, Allocated, PendingFree, Mapped, Prev, Next, Expandable, GcCountBase, ReleasableAt) = (0, false, false, true, null, null, null, 0, -1);
        return this;
    }

    public bool IsSplit => Prev is not null || Next is not null;
    public BlockKey SizeKey => new(Stream, Size, Ptr);
    public BlockKey AddressKey => new(Stream, 0, Ptr);
    /// <summary>Free for the allocator to hand out or merge: upstream's !allocated &amp;&amp; event_count == 0 &amp;&amp; stream_uses.empty().</summary>
    public bool Allocatable => !Allocated && !PendingFree;

    public void Splice(SimBlock? before, SimBlock? after)
    {
        if (before is not null) before.Next = this;
        Prev = before;
        if (after is not null) after.Prev = this;
        Next = after;
    }
}

/// <summary>
/// Blocks no replay holds any more, handed to the next block made: a free that merges a neighbour gives it back, and a
/// finished replay gives back all of its blocks. Each of the what-if's ~200 replays of magma27 ×100 rebuilt the first
/// state's blocks and split blocks at nearly every request, a new object each: 3.7 GB allocated, and collections that
/// paused both replay workers 2.1–2.7 s of the what-if's 7.7–8.6 s. Passed on, 2.6 GB and 1.2–1.3 s, the what-if
/// 6.5–6.8 s (and with the ordered sets keeping their emptied chunks, 1.4 GB, 0.5–0.7 s and 4.7–5.7 s).
/// </summary>
public sealed class SpareBlocks
{
    /// <summary>At most this many kept (~30 MB).</summary>
    public const int Limit = 1 << 18;

    private readonly Stack<SimBlock> _blocks = new();

    internal bool TryTake(out SimBlock block)
    {
        if (!_blocks.TryPop(out block!)) return false;
        block.Spare = false;
        return true;
    }

    internal void Give(SimBlock block)
    {
        if (block.Spare || _blocks.Count >= Limit) return;
        block.Spare = true;
        _blocks.Push(block);
    }
}

/// <summary>A pool of cached free blocks: the small (≤ 1 MiB) or large one of the default pool or of a private pool.</summary>
public sealed class BlockPool(bool isSmall, string poolId)
{
    public bool IsSmall { get; } = isSmall;
    /// <summary>segment_pool_id of the snapshot, "0,0" for the default pool.</summary>
    public string PoolId { get; } = poolId;
    public bool IsDefault => PoolId == CachingAllocatorModel.DefaultPoolId;
    public OrderedBlocks Blocks { get; } = new();
    public OrderedBlocks Unmapped { get; } = new();
    /// <summary>
    /// The cached blocks a release can give back, unordered: whole segments (unsplit) and blocks of expandable segments.
    /// release_cached_blocks sorts these few, where it walked every cached block at each of the trace's empty_cache calls
    /// (~10% of magma27 ×100's what-if: its cache is mostly split blocks no release can touch). A cached block's
    /// neighbours change only by merges and splits of blocks out of the cache, so whether it is split holds while it is cached.
    /// </summary>
    private readonly List<SimBlock> _releasable = [];

    /// <summary>The blocks a release can give back, in <see cref="Blocks"/>' (stream, size, address) order.</summary>
    public SimBlock[] Releasable()
    {
        var blocks = _releasable.ToArray();
        Array.Sort(blocks, (a, b) => a.SizeKey.CompareTo(b.SizeKey));
        return blocks;
    }

    private static bool IsReleasable(SimBlock b) => !b.IsSplit || b.Expandable is not null;

    private void NoteCached(SimBlock b)
    {
        if (!IsReleasable(b)) return;
        b.ReleasableAt = _releasable.Count;
        _releasable.Add(b);
    }

    private void NoteUncached(SimBlock b)
    {
        var at = b.ReleasableAt;
        if (at < 0) return;
        var last = _releasable[^1];
        _releasable[at] = last;
        last.ReleasableAt = at;
        _releasable.RemoveAt(_releasable.Count - 1);
        b.ReleasableAt = -1;
    }

    /// <summary>Counts get_free_block calls while garbage collection is on; a block's age is the count since it was cached.</summary>
    public long GetFreeBlocksCallCount { get; set; }

    /// <summary>
    /// The cached blocks of <see cref="Blocks"/> again in address order, for <see cref="Holding"/>: built on its first
    /// call and kept from then on, so a replay whose every address matches never pays for it. A scan of the blocks per
    /// call was 80 µs a request on magma27 ×100 (516,300 events, each copy's cached blocks in one pool): 42 s of what-if.
    /// </summary>
    private OrderedBlocks? _byAddress;

    public void Insert(SimBlock b)
    {
        b.GcCountBase = GetFreeBlocksCallCount;
        if (!Blocks.Add(b.SizeKey, b)) throw new InvalidOperationException($"block 0x{b.Ptr:x} is already cached");
        NoteCached(b);
        _byAddress?.Add(b.AddressKey, b);
    }

    public void Erase(SimBlock b)
    {
        if (!(b.Mapped ? Blocks.Remove(b.SizeKey) : Unmapped.Remove(b.AddressKey))) throw new InvalidOperationException($"block 0x{b.Ptr:x} is not cached");
        if (!b.Mapped) return;
        _byAddress?.Remove(b.AddressKey);
        NoteUncached(b);
    }

    /// <summary>Takes the block at <paramref name="at"/> out of the cache (get_free_block's erase through its iterator).</summary>
    public void RemoveAt(OrderedBlocks.Cursor at)
    {
        var b = Blocks[at];
        Blocks.RemoveAt(at);
        _byAddress?.Remove(b.AddressKey);
        NoteUncached(b);
    }

    /// <summary>The cached block of <paramref name="stream"/> holding [address, address + size), or null. Cached blocks never
    /// overlap, so only the one starting last at or before the address can: O(log n).</summary>
    public SimBlock? Holding(long address, long size, long stream)
    {
        if (_byAddress is null)
        {
            _byAddress = new OrderedBlocks();
            foreach (var b in Blocks.ToList()) _byAddress.Add(b.AddressKey, b);
        }
        var key = new BlockKey(stream, 0, address);
        var at = _byAddress.LowerBound(key);
        if (!at.Valid || _byAddress.KeyAt(at) != key) at = _byAddress.Prev(at);
        if (!at.Valid) return null;
        var holder = _byAddress[at];
        return holder.Stream == stream && holder.Ptr <= address && address + size <= holder.Ptr + holder.Size ? holder : null;
    }
}

/// <summary>
/// One expandable segment (expandable_segments:True): a reserved virtual range mapped page by page, pages of
/// 2 MiB for a small pool and 20 MiB for a large one. Map rounds out to whole pages, unmap releases only the
/// pages wholly inside its range, as ExpandableSegment::map and ::unmap do.
/// </summary>
public sealed class ExpandableSegment(long basePtr, long pageSize, long pages, long stream)
{
    public long Base { get; } = basePtr;
    public long PageSize { get; } = pageSize;
    public long Size => pages * PageSize;
    public long Stream { get; } = stream;
    public long MappedPages { get; private set; }

    /// <summary>Maps the pages covering [ptr, ptr+size); returns the mapped range, or size 0 when the driver had no memory.</summary>
    public (long Ptr, long Size) Map(long ptr, long size, IDeviceDriver driver)
    {
        var begin = (ptr - Base) / PageSize;
        var end = (ptr + size - Base + PageSize - 1) / PageSize;
        if (begin == end) return (Base + begin * PageSize, 0);
        if (!driver.TryMapPages(Base + begin * PageSize, (end - begin) * PageSize)) return (ptr, 0);
        MappedPages += end - begin;
        return (Base + begin * PageSize, (end - begin) * PageSize);
    }

    public (long Ptr, long Size) Unmap(long ptr, long size, IDeviceDriver driver)
    {
        var begin = (ptr - Base + PageSize - 1) / PageSize;
        var end = (ptr + size - Base) / PageSize;
        if (begin >= end) return (ptr, 0);
        MappedPages -= end - begin;
        driver.UnmapPages(Base + begin * PageSize, (end - begin) * PageSize);
        return (Base + begin * PageSize, (end - begin) * PageSize);
    }
}
