namespace Memtrace.Pipeline.Collections;

/// <summary>
/// One block of a pool, live or free: 32 bytes, two to a cache line. Blocks of a segment form a doubly
/// linked list in address order (the boundary tags of a caching allocator), so a free finds its
/// neighbours without a lookup and blocks of different segments are never linked, hence never merged.
/// The stack id, which the per-event path never reads, sits in a side array of the arena: with it (and a
/// cached seed log) inline the block was 56 bytes and most touches straddled two lines.
/// </summary>
internal struct Block
{
    public long Start;
    public long End;
    public int Prev;
    public int Next;
    /// <summary>Position in the dense list of free blocks; −1 while the block is live.</summary>
    public int ListPos;
    /// <summary>The segment's id; −1 once the slot is recycled.</summary>
    public int Segment;

    public readonly long Size => End - Start;
    public readonly bool Free => ListPos >= 0;
}

/// <summary>Blocks in one flat array under small ids that are reused, so every index carries ints.</summary>
internal sealed class BlockArena
{
    /// <summary>Stack id of a live block allocated without one.</summary>
    public const long NoStack = long.MinValue;

    public Block[] Items = new Block[64];
    /// <summary>The allocating stack of each live block (<see cref="NoStack"/> when none), by id.</summary>
    public long[] Stacks = new long[64];
    private int[] _recycled = new int[64];
    private int _recycledCount;
    private int _next;

    /// <summary>One past the highest id handed out; ids below it are in use unless recycled (Segment −1).</summary>
    public int HighWater => _next;

    public int New(long start, long end, int segment)
    {
        int id;
        if (_recycledCount > 0) id = _recycled[--_recycledCount];
        else
        {
            id = _next++;
            if (id == Items.Length)
            {
                Array.Resize(ref Items, id * 2);
                Array.Resize(ref Stacks, id * 2);
            }
        }
        Items[id] = new Block { Start = start, End = end, Segment = segment, Prev = -1, Next = -1, ListPos = -1 };
        return id;
    }

    public void Recycle(int id)
    {
        if (_recycledCount == _recycled.Length) Array.Resize(ref _recycled, _recycledCount * 2);
        _recycled[_recycledCount++] = id;
        Items[id].Segment = -1;
    }

    /// <summary>Links <paramref name="id"/> right after <paramref name="after"/> in its segment's list.</summary>
    public void LinkAfter(int after, int id)
    {
        var next = Items[after].Next;
        Items[id].Prev = after;
        Items[id].Next = next;
        Items[after].Next = id;
        if (next >= 0) Items[next].Prev = id;
    }

    /// <summary>Links <paramref name="id"/> right before <paramref name="before"/> in its segment's list.</summary>
    public void LinkBefore(int before, int id)
    {
        var prev = Items[before].Prev;
        Items[id].Next = before;
        Items[id].Prev = prev;
        Items[before].Prev = id;
        if (prev >= 0) Items[prev].Next = id;
    }

    public void Unlink(int id)
    {
        var (prev, next) = (Items[id].Prev, Items[id].Next);
        if (prev >= 0) Items[prev].Next = next;
        if (next >= 0) Items[next].Prev = prev;
    }
}

/// <summary>A dense list of block ids with O(1) add and remove (swap with the last); each block records its position.</summary>
internal sealed class BlockIdList(BlockArena arena)
{
    private int[] _ids = new int[64];

    public int Count { get; private set; }

    public ReadOnlySpan<int> Ids => _ids.AsSpan(0, Count);

    public void Add(int id)
    {
        if (Count == _ids.Length) Array.Resize(ref _ids, Count * 2);
        arena.Items[id].ListPos = Count;
        _ids[Count++] = id;
    }

    public void Remove(int id)
    {
        var pos = arena.Items[id].ListPos;
        var last = _ids[--Count];
        _ids[pos] = last;
        arena.Items[last].ListPos = pos;
        arena.Items[id].ListPos = -1;
    }
}
