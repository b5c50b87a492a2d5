namespace Memtrace.Pipeline.Fragmentation;

/// <summary>
/// A max segment tree over small integer ids: leaf id holds a value (0 when absent), each inner node
/// the max of its two children, so the root is the maximum. A change walks up only while it changes
/// the parent, and most blocks are nowhere near the largest, so the usual update stops after a level
/// or two. The free-space index keeps each block's free size here to answer L after every event. It
/// replaced an indexed binary heap (O(log n) sift with a random access per level, and a remove plus an
/// add whenever a block merely shrank or grew).
/// </summary>
public sealed class MaxTree
{
    /// <summary>Nodes 1 .. 2·capacity − 1; the leaves start at <see cref="_capacity"/>.</summary>
    private long[] _nodes;
    private int _capacity;

    public MaxTree(int capacity = 64)
    {
        _capacity = 1;
        while (_capacity < capacity) _capacity <<= 1;
        _nodes = new long[2 * _capacity];
    }

    public long Max => _nodes[1];

    public long this[int id] => id < _capacity ? _nodes[_capacity + id] : 0;

    /// <summary>Sets the value of <paramref name="id"/> (values are non-negative; 0 removes it from the max).</summary>
    public void Set(int id, long value)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(value);
        if (id >= _capacity) Grow(id);
        var nodes = _nodes;
        var i = _capacity + id;
        nodes[i] = value;
        for (i >>= 1; i >= 1; i >>= 1)
        {
            var m = Math.Max(nodes[2 * i], nodes[2 * i + 1]);
            if (nodes[i] == m) return;
            nodes[i] = m;
        }
    }

    private void Grow(int id)
    {
        var capacity = _capacity;
        while (capacity <= id) capacity <<= 1;
        var nodes = new long[2 * capacity];
        Array.Copy(_nodes, _capacity, nodes, capacity, _capacity);
        for (var i = capacity - 1; i >= 1; i--) nodes[i] = Math.Max(nodes[2 * i], nodes[2 * i + 1]);
        _nodes = nodes;
        _capacity = capacity;
    }
}
