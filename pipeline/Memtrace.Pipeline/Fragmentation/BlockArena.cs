namespace Memtrace.Pipeline.Fragmentation;

/// <summary>
/// One block of a pool, live or free. Blocks of a segment form a doubly linked list in address order
/// (the boundary tags of a caching allocator), so a free finds its neighbours without a lookup and
/// blocks of different segments are never linked, hence never merged.
/// </summary>
internal struct Block
{
    public long Start;
    public long End;
    public long Stack;
    public int Prev;
    public int Next;
    public int Segment;
    /// <summary>Position in the dense list of free blocks or of live blocks, whichever holds it.</summary>
    public int ListPos;
    public bool Free;
    public bool HasStack;
    /// <summary>The seed's log2(KB + 1), computed the first time a timeline row needs it (NaN until then).</summary>
    public double SeedLog;

    public readonly long Size => End - Start;
}

/// <summary>Blocks in one flat array under small ids that are reused, so every index carries ints.</summary>
internal sealed class BlockArena
{
    public Block[] Items = new Block[64];
    private int[] _recycled = new int[64];
    private int _recycledCount;
    private int _next;

    public int New(long start, long end, int segment)
    {
        int id;
        if (_recycledCount > 0) id = _recycled[--_recycledCount];
        else
        {
            id = _next++;
            if (id == Items.Length) Array.Resize(ref Items, id * 2);
        }
        Items[id] = new Block { Start = start, End = end, Segment = segment, Prev = -1, Next = -1, ListPos = -1, SeedLog = double.NaN };
        return id;
    }

    public void Recycle(int id)
    {
        if (_recycledCount == _recycled.Length) Array.Resize(ref _recycled, _recycledCount * 2);
        _recycled[_recycledCount++] = id;
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
