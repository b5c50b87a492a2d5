namespace Memtrace.Pipeline.Collections;

/// <summary>
/// A sorted set of longs with predecessor queries, stored as sorted chunks of at most
/// <see cref="ChunkSize"/> values (a two-level B+-tree). Every search is a hand-written upper bound
/// over plain arrays, and an insert shifts at most ChunkSize values. Not SortedSet&lt;long&gt; (red-black
/// rebalancing) nor List with Array.BinarySearch: measured on a set of 2,000 free-block starts, their
/// rebalancing and comparer dispatch made a predecessor query 80 ns and an insert 150 ns — most of a
/// driver pool's replay, which needs one or two of them per event.
/// </summary>
public sealed class OrderedLongSet
{
    public const int ChunkSize = 64;

    private long[][] _chunks = new long[4][];
    private int[] _counts = new int[4];
    /// <summary>First value of each chunk, for the outer search.</summary>
    private long[] _firsts = new long[4];
    private int _chunkCount;

    public int Count { get; private set; }

    public OrderedLongSet() { }

    public OrderedLongSet(IEnumerable<long> values)
    {
        foreach (var v in values) Add(v);
    }

    public long Min => Count == 0 ? throw new InvalidOperationException("empty set") : _firsts[0];

    /// <summary>
    /// How many values of the sorted span are ≤ value. Branch-free: the keys are addresses in random
    /// order, so a branchy search mispredicts half its steps. The step is a mask, not a select: written as
    /// <c>lo = x ≤ value ? lo + half : lo</c>, the JIT made a conditional move of it standing alone but a
    /// jump once it was inlined into the replay's allocation path (seen in its disassembly), and those jumps
    /// were the largest cost of a driver pool's replay.
    /// </summary>
    private static int UpperBound(ReadOnlySpan<long> sorted, long value)
    {
        if (sorted.IsEmpty) return 0;
        ref var first = ref System.Runtime.InteropServices.MemoryMarshal.GetReference(sorted);
        nint lo = 0, len = sorted.Length;
        while (len > 1)
        {
            var half = len >> 1;
            var right = System.Runtime.CompilerServices.Unsafe.Add(ref first, lo + half) <= value;
            lo += half & -(nint)System.Runtime.CompilerServices.Unsafe.As<bool, byte>(ref right);
            len -= half;
        }
        return (int)lo + (System.Runtime.CompilerServices.Unsafe.Add(ref first, lo) <= value ? 1 : 0);
    }

    /// <summary>The chunk whose first value is the greatest ≤ value; −1 when value is below every value.</summary>
    private int ChunkOf(long value) => UpperBound(_firsts.AsSpan(0, _chunkCount), value) - 1;

    /// <summary>Adds a value; false when it is already present.</summary>
    public bool Add(long value)
    {
        if (_chunkCount == 0)
        {
            InsertChunk(0, new long[ChunkSize], 1);
            _chunks[0][0] = value;
            _firsts[0] = value;
            Count = 1;
            return true;
        }
        var c = Math.Max(0, ChunkOf(value));
        var chunk = _chunks[c];
        var n = _counts[c];
        var i = UpperBound(chunk.AsSpan(0, n), value);
        if (i > 0 && chunk[i - 1] == value) return false;
        if (n == ChunkSize)
        {
            // Split in halves and insert into the half that holds the position.
            const int half = ChunkSize / 2;
            var right = new long[ChunkSize];
            Array.Copy(chunk, half, right, 0, half);
            _counts[c] = half;
            InsertChunk(c + 1, right, half);
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
        var i = UpperBound(chunk.AsSpan(0, n), value) - 1;
        if (i < 0 || chunk[i] != value) return false;
        Array.Copy(chunk, i + 1, chunk, i, n - i - 1);
        n--;
        Count--;
        if (n == 0)
        {
            RemoveChunk(c);
            return true;
        }
        _counts[c] = n;
        if (i == 0) _firsts[c] = chunk[0];
        return true;
    }

    /// <summary>
    /// Replaces <paramref name="oldValue"/> with <paramref name="newValue"/>. When no other value lies
    /// between them (a free block whose start moves inside its own extent) the value is overwritten in
    /// place: one search and no shifting. Otherwise it is a remove and an add.
    /// </summary>
    public void Replace(long oldValue, long newValue)
    {
        var c = ChunkOf(oldValue);
        if (c >= 0)
        {
            var chunk = _chunks[c];
            var n = _counts[c];
            var i = UpperBound(chunk.AsSpan(0, n), oldValue) - 1;
            if (i >= 0 && chunk[i] == oldValue)
            {
                var lower = i > 0 ? chunk[i - 1] : c > 0 ? _chunks[c - 1][_counts[c - 1] - 1] : long.MinValue;
                var upper = i + 1 < n ? chunk[i + 1] : c + 1 < _chunkCount ? _firsts[c + 1] : long.MaxValue;
                if (newValue > lower && newValue < upper)
                {
                    chunk[i] = newValue;
                    if (i == 0) _firsts[c] = newValue;
                    return;
                }
            }
        }
        Remove(oldValue);
        Add(newValue);
    }

    /// <summary>The greatest value ≤ <paramref name="value"/>, if any.</summary>
    public bool TryPredecessor(long value, out long found)
    {
        found = 0;
        var c = ChunkOf(value);
        if (c < 0) return false;
        var i = UpperBound(_chunks[c].AsSpan(0, _counts[c]), value); // ≥ 1: the chunk's first value is ≤ value
        found = _chunks[c][i - 1];
        return true;
    }

    private void InsertChunk(int at, long[] chunk, int count)
    {
        if (_chunkCount == _chunks.Length)
        {
            Array.Resize(ref _chunks, _chunkCount * 2);
            Array.Resize(ref _counts, _chunkCount * 2);
            Array.Resize(ref _firsts, _chunkCount * 2);
        }
        var tail = _chunkCount - at;
        Array.Copy(_chunks, at, _chunks, at + 1, tail);
        Array.Copy(_counts, at, _counts, at + 1, tail);
        Array.Copy(_firsts, at, _firsts, at + 1, tail);
        _chunks[at] = chunk;
        _counts[at] = count;
        _firsts[at] = chunk[0];
        _chunkCount++;
    }

    private void RemoveChunk(int at)
    {
        var tail = _chunkCount - at - 1;
        Array.Copy(_chunks, at + 1, _chunks, at, tail);
        Array.Copy(_counts, at + 1, _counts, at, tail);
        Array.Copy(_firsts, at + 1, _firsts, at, tail);
        _chunkCount--;
        _chunks[_chunkCount] = null!;
    }
}
