using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Memtrace.Pipeline.Fragmentation;

/// <summary>
/// A max segment tree over small integer ids: leaf id holds a value (0 when absent), each inner node
/// the max of its two children, so the root is the maximum. The free-space index keeps each block's
/// free size here to answer L after every event. A change recomputes its whole path to the root with
/// no branch on the values: each level is one load of the sibling and a branch-free max. The earlier
/// version stopped as soon as a parent did not change, but where that stop falls depends on the data,
/// and the mispredicted exit (one per update, three updates an event) was a third of the replay; the
/// full walk of ~12 levels costs less, because the sibling loads do not depend on one another. It
/// replaced an indexed binary heap (a sift with a random access per level, and a remove plus an add
/// whenever a block merely shrank or grew).
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
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Set(int id, long value)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(value);
        if ((uint)id >= (uint)_capacity) Grow(id);
        ref var nodes = ref MemoryMarshal.GetArrayDataReference(_nodes);
        var i = _capacity + id;
        Unsafe.Add(ref nodes, i) = value;
        while (i > 1)
        {
            // max(value, sibling) without a branch: both are non-negative, so the difference cannot overflow.
            var difference = value - Unsafe.Add(ref nodes, i ^ 1);
            value -= difference & (difference >> 63);
            i >>= 1;
            Unsafe.Add(ref nodes, i) = value;
        }
    }

    private void Grow(int id)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(id);
        var capacity = _capacity;
        while (capacity <= id) capacity <<= 1;
        var nodes = new long[2 * capacity];
        Array.Copy(_nodes, _capacity, nodes, capacity, _capacity);
        for (var i = capacity - 1; i >= 1; i--) nodes[i] = Math.Max(nodes[2 * i], nodes[2 * i + 1]);
        _nodes = nodes;
        _capacity = capacity;
    }
}
