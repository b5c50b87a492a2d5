namespace Memtrace.Pipeline.Fragmentation;

/// <summary>
/// A sorted set of longs with predecessor queries, stored as a list of sorted chunks of at most
/// <see cref="ChunkSize"/> values (a two-level B+-tree). Add and remove binary-search the chunk's first
/// keys, then the chunk, then shift at most ChunkSize values — cache-friendly, no per-node allocation.
/// On the replay bench it replaced SortedSet&lt;long&gt;, whose red-black rebalancing was a third of the
/// replay's time for pools that need ordered lookups (driver pools, allocations inside a free block).
/// </summary>
public sealed class OrderedLongSet
{
    public const int ChunkSize = 128;

    private readonly List<long[]> _chunks = [];
    private readonly List<int> _counts = [];
    /// <summary>First value of each chunk, for the outer binary search.</summary>
    private readonly List<long> _firsts = [];

    public int Count { get; private set; }

    public OrderedLongSet() { }

    public OrderedLongSet(IEnumerable<long> values)
    {
        foreach (var v in values) Add(v);
    }

    public long Min => Count == 0 ? throw new InvalidOperationException("empty set") : _firsts[0];

    /// <summary>Adds a value; false when it is already present.</summary>
    public bool Add(long value)
    {
        if (_chunks.Count == 0)
        {
            var first = new long[ChunkSize];
            first[0] = value;
            _chunks.Add(first);
            _counts.Add(1);
            _firsts.Add(value);
            Count = 1;
            return true;
        }
        var c = Math.Max(0, ChunkOf(value));
        var chunk = _chunks[c];
        var n = _counts[c];
        var i = Array.BinarySearch(chunk, 0, n, value);
        if (i >= 0) return false;
        i = ~i;
        if (n == ChunkSize)
        {
            // Split in halves and insert into the half that holds the position.
            var right = new long[ChunkSize];
            const int half = ChunkSize / 2;
            Array.Copy(chunk, half, right, 0, half);
            _counts[c] = half;
            _chunks.Insert(c + 1, right);
            _counts.Insert(c + 1, half);
            _firsts.Insert(c + 1, right[0]);
            if (i > half)
            {
                c++;
                chunk = right;
                i -= half;
            }
            n = half;
        }
        Array.Copy(chunk, i, chunk, i + 1, n - i);
        chunk[i] = value;
        _counts[c] = n + 1;
        if (i == 0) _firsts[c] = value;
        Count++;
        return true;
    }

    /// <summary>Removes a value; false when it was not present.</summary>
    public bool Remove(long value)
    {
        var c = ChunkOf(value);
        if (c < 0) return false;
        var chunk = _chunks[c];
        var n = _counts[c];
        var i = Array.BinarySearch(chunk, 0, n, value);
        if (i < 0) return false;
        Array.Copy(chunk, i + 1, chunk, i, n - i - 1);
        n--;
        Count--;
        if (n == 0)
        {
            _chunks.RemoveAt(c);
            _counts.RemoveAt(c);
            _firsts.RemoveAt(c);
            return true;
        }
        _counts[c] = n;
        if (i == 0) _firsts[c] = chunk[0];
        return true;
    }

    /// <summary>The greatest value ≤ <paramref name="value"/>, if any.</summary>
    public bool TryPredecessor(long value, out long found)
    {
        found = 0;
        var c = ChunkOf(value);
        if (c < 0) return false;
        var i = Array.BinarySearch(_chunks[c], 0, _counts[c], value);
        found = _chunks[c][i >= 0 ? i : ~i - 1]; // ~i - 1 ≥ 0: the chunk's first value is ≤ value
        return true;
    }

    /// <summary>The chunk whose first value is the greatest ≤ value; −1 when value is below every value.</summary>
    private int ChunkOf(long value)
    {
        var span = System.Runtime.InteropServices.CollectionsMarshal.AsSpan(_firsts);
        var i = span.BinarySearch(value);
        return i >= 0 ? i : ~i - 1;
    }
}
