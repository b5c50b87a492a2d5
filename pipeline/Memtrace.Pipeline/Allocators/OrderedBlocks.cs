namespace Memtrace.Pipeline.Allocators;

/// <summary>
/// The order a BlockPool keeps its blocks in: upstream's BlockComparatorSize compares (stream, size, ptr), and
/// BlockComparatorAddress, for the unmapped pages of expandable segments, (stream, ptr). One key type serves
/// both: the address order sets Size to 0.
/// </summary>
public readonly record struct BlockKey(long Stream, long Size, long Ptr) : IComparable<BlockKey>
{
    public int CompareTo(BlockKey o) =>
        Stream != o.Stream ? Stream.CompareTo(o.Stream) : Size != o.Size ? Size.CompareTo(o.Size) : Ptr.CompareTo(o.Ptr);

    /// <summary>this &lt; o, the one comparison the searches make (a branch less than CompareTo's three-way answer).</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    public bool Precedes(in BlockKey o) => Stream != o.Stream ? Stream < o.Stream : Size != o.Size ? Size < o.Size : Ptr < o.Ptr;
}

/// <summary>
/// A sorted set of blocks with the std::set operations the allocator uses (lower_bound, ++, --), stored as
/// sorted chunks of at most <see cref="ChunkSize"/> entries: an insert or erase moves at most a chunk, and a
/// search is two binary searches. A cursor is (chunk, index) and is invalidated by any change.
/// </summary>
public sealed class OrderedBlocks
{
    public const int ChunkSize = 32;

    private readonly struct Entry(BlockKey key, SimBlock block)
    {
        public readonly BlockKey Key = key;
        public readonly SimBlock Block = block;
    }

    private readonly List<Entry[]> _chunks = [];
    private readonly List<int> _counts = [];
    /// <summary>Each chunk's first key, beside the chunks so the outer search reads one array.</summary>
    private BlockKey[] _firsts = new BlockKey[4];

    public int Count { get; private set; }
    /// <summary>
    /// Chunks emptied by removals, kept (all entries cleared) for the next split: a replay's churn empties and splits
    /// chunks all along, and a new array for each split was 1.25 M chunks, 1.3 GB, over magma27 ×100's what-if.
    /// </summary>
    private readonly Stack<Entry[]> _emptied = new();
    private const int KeptEmptied = 64;

    private Entry[] NewChunk() => _emptied.TryPop(out var chunk) ? chunk : new Entry[ChunkSize];

    public readonly record struct Cursor(int Chunk, int Index)
    {
        public static readonly Cursor End = new(-1, -1);
        public bool Valid => Chunk >= 0;
    }

    public SimBlock this[Cursor c] => _chunks[c.Chunk][c.Index].Block;

    public BlockKey KeyAt(Cursor c) => _chunks[c.Chunk][c.Index].Key;

    public Cursor First => Count == 0 ? Cursor.End : new Cursor(0, 0);

    /// <summary>The first entry whose key is ≥ key (std::set::lower_bound), or End.</summary>
    public Cursor LowerBound(BlockKey key)
    {
        var chunk = ChunkFor(key);
        if (chunk < 0) return Count == 0 ? Cursor.End : new Cursor(0, 0);
        var at = LowerBoundIn(chunk, key);
        return at < _counts[chunk] ? new Cursor(chunk, at) : chunk + 1 < _chunks.Count ? new Cursor(chunk + 1, 0) : Cursor.End;
    }

    public Cursor Next(Cursor c) =>
        c.Index + 1 < _counts[c.Chunk] ? c with { Index = c.Index + 1 } : c.Chunk + 1 < _chunks.Count ? new Cursor(c.Chunk + 1, 0) : Cursor.End;

    /// <summary>The entry before c; before End it is the last entry. Returns End before the first.</summary>
    public Cursor Prev(Cursor c)
    {
        if (!c.Valid) return Count == 0 ? Cursor.End : new Cursor(_chunks.Count - 1, _counts[^1] - 1);
        if (c.Index > 0) return c with { Index = c.Index - 1 };
        return c.Chunk > 0 ? new Cursor(c.Chunk - 1, _counts[c.Chunk - 1] - 1) : Cursor.End;
    }

    public bool IsFirst(Cursor c) => c.Chunk == 0 && c.Index == 0;

    private void InsertFirst(int chunk)
    {
        if (_firsts.Length < _chunks.Count) Array.Resize(ref _firsts, _firsts.Length * 2);
        Array.Copy(_firsts, chunk, _firsts, chunk + 1, _chunks.Count - 1 - chunk);
        _firsts[chunk] = _chunks[chunk][0].Key;
    }

    private void RemoveFirst(int chunk) => Array.Copy(_firsts, chunk + 1, _firsts, chunk, _chunks.Count - chunk);

    public bool Add(BlockKey key, SimBlock block)
    {
        if (_chunks.Count == 0)
        {
            _chunks.Add(NewChunk());
            _counts.Add(0);
        }
        var chunk = Count == 0 ? 0 : Math.Max(ChunkFor(key), 0);
        var at = LowerBoundIn(chunk, key);
        if (at < _counts[chunk] && _chunks[chunk][at].Key == key) return false;
        if (_counts[chunk] == ChunkSize)
        {
            // Split the full chunk in halves and insert into the half the key belongs to.
            var right = NewChunk();
            const int half = ChunkSize / 2;
            Array.Copy(_chunks[chunk], half, right, 0, half);
            Array.Clear(_chunks[chunk], half, half);
            _counts[chunk] = half;
            _chunks.Insert(chunk + 1, right);
            _counts.Insert(chunk + 1, half);
            InsertFirst(chunk + 1);
            if (at > half)
            {
                chunk++;
                at -= half;
            }
        }
        var entries = _chunks[chunk];
        Array.Copy(entries, at, entries, at + 1, _counts[chunk] - at);
        entries[at] = new Entry(key, block);
        _counts[chunk]++;
        Count++;
        if (at == 0) _firsts[chunk] = key;
        return true;
    }

    public bool Remove(BlockKey key)
    {
        var chunk = ChunkFor(key);
        if (chunk < 0) return false;
        var at = LowerBoundIn(chunk, key);
        if (at >= _counts[chunk] || _chunks[chunk][at].Key != key) return false;
        RemoveAt(new Cursor(chunk, at));
        return true;
    }

    /// <summary>Removes the entry at a cursor (no search: the allocator erases the block it just found).</summary>
    public void RemoveAt(Cursor c)
    {
        var entries = _chunks[c.Chunk];
        Array.Copy(entries, c.Index + 1, entries, c.Index, _counts[c.Chunk] - c.Index - 1);
        entries[--_counts[c.Chunk]] = default;
        Count--;
        if (_counts[c.Chunk] == 0)
        {
            if (_emptied.Count < KeptEmptied) _emptied.Push(entries); // every entry was cleared as it left
            _chunks.RemoveAt(c.Chunk);
            _counts.RemoveAt(c.Chunk);
            RemoveFirst(c.Chunk);
        }
        else if (c.Index == 0) _firsts[c.Chunk] = entries[0].Key;
    }

    /// <summary>Every block in key order (a copy, so the caller may change the set while walking it).</summary>
    public List<SimBlock> ToList()
    {
        var list = new List<SimBlock>(Count);
        for (var c = 0; c < _chunks.Count; c++)
            for (var i = 0; i < _counts[c]; i++) list.Add(_chunks[c][i].Block);
        return list;
    }

    /// <summary>The last chunk whose first key is ≤ key, or -1 when key precedes every entry.</summary>
    private int ChunkFor(BlockKey key)
    {
        int lo = 0, hi = _chunks.Count - 1, found = -1;
        while (lo <= hi)
        {
            var mid = (lo + hi) >>> 1;
            if (!key.Precedes(_firsts[mid]))
            {
                found = mid;
                lo = mid + 1;
            }
            else hi = mid - 1;
        }
        return found;
    }

    private int LowerBoundIn(int chunk, BlockKey key)
    {
        var entries = _chunks[chunk];
        int lo = 0, hi = _counts[chunk];
        while (lo < hi)
        {
            var mid = (lo + hi) >>> 1;
            if (entries[mid].Key.Precedes(key)) lo = mid + 1;
            else hi = mid;
        }
        return lo;
    }
}
