using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Memtrace.Pipeline.Collections;

/// <summary>
/// The maximum of values kept by small integer ids (0 when absent), exact after every change: the
/// free-space index keeps each block's free size here to answer L after every event.
/// <para>
/// A max segment tree underneath (leaf id holds a value, each inner node the max of its two children),
/// brought up to date lazily. The maximum itself is kept exactly on every change: a value at or above it
/// becomes it; the leaf that held it dropping below it is the one case that needs the tree. Every other
/// change writes its leaf and notes it as dirty, and the dirty paths are recomputed only when the tree is
/// asked. L falls far less often than blocks change (a replay mostly carves and frees blocks well below
/// the largest), and the eager walk to the root on every change, ~12 dependent levels, was a fifth of the
/// replay (0.09 s of 0.5 s for 10^7 caching-allocator events, measured by leaving it out).
/// </para>
/// <para>
/// The walk itself is branch-free: each level is one load of the sibling and a branch-free max. It does not
/// stop where a parent stays the same: where that stop falls depends on the data, and its exit mispredicts.
/// Not an indexed binary heap: that costs a sift with a random access per level, and a remove plus an add
/// whenever a block merely shrinks or grows.
/// </para>
/// </summary>
public sealed class MaxTree
{
    /// <summary>Nodes 1 .. 2·capacity − 1; the leaves start at <see cref="_capacity"/>. Inner nodes are stale above dirty leaves.</summary>
    private long[] _nodes;
    private int _capacity;
    private long _max;
    /// <summary>Leaves changed since the inner nodes were last brought up to date, each once (<see cref="_isDirty"/>).</summary>
    private int[] _dirty;
    private byte[] _isDirty;
    private int _dirtyCount;

    public MaxTree(int capacity = 64)
    {
        _capacity = 1;
        while (_capacity < capacity) _capacity <<= 1;
        _nodes = new long[2 * _capacity];
        _dirty = new int[_capacity];
        _isDirty = new byte[_capacity];
    }

    public long Max => _max;

    public long this[int id] => id < _capacity ? _nodes[_capacity + id] : 0;

    /// <summary>Sets the value of <paramref name="id"/> (values are non-negative; 0 removes it from the max).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Set(int id, long value)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(value);
        if ((uint)id >= (uint)_capacity) Grow(id);
        ref var leaf = ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(_nodes), _capacity + id);
        var old = leaf;
        leaf = value;
        // Noting the leaf dirty without a branch: the slot is written always, the count moves only the first time.
        ref var flag = ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(_isDirty), id);
        Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(_dirty), _dirtyCount) = id;
        _dirtyCount += 1 - flag;
        flag = 1;
        if (value >= _max) _max = value;
        else if (old == _max) _max = Recompute();
    }

    /// <summary>
    /// Brings the inner nodes up to date and returns the root: the dirty leaves' paths one by one, or every
    /// inner node bottom-up when that is less work (capacity − 1 independent maxima against ~depth dependent
    /// steps per dirty leaf). Either costs at most depth steps per change since the last call.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private long Recompute()
    {
        ref var nodes = ref MemoryMarshal.GetArrayDataReference(_nodes);
        if ((long)_dirtyCount * System.Numerics.BitOperations.Log2((uint)_capacity) >= _capacity)
        {
            for (var d = 0; d < _dirtyCount; d++) _isDirty[_dirty[d]] = 0;
            RebuildInnerNodes(_nodes, _capacity);
        }
        else
        {
            for (var d = 0; d < _dirtyCount; d++)
            {
                var id = _dirty[d];
                _isDirty[id] = 0;
                var i = _capacity + id;
                var value = Unsafe.Add(ref nodes, i);
                while (i > 1)
                {
                    // max(value, sibling) without a branch: both are non-negative, so the difference cannot overflow.
                    var difference = value - Unsafe.Add(ref nodes, i ^ 1);
                    value -= difference & (difference >> 63);
                    i >>= 1;
                    Unsafe.Add(ref nodes, i) = value;
                }
            }
        }
        _dirtyCount = 0;
        return _nodes[1];
    }

    /// <summary>Every inner node from its two children, bottom-up: each level's maxima are independent of one another.</summary>
    private static void RebuildInnerNodes(long[] nodes, int capacity)
    {
        for (var i = capacity - 1; i >= 1; i--) nodes[i] = Math.Max(nodes[2 * i], nodes[2 * i + 1]);
    }

    private void Grow(int id)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(id);
        var capacity = _capacity;
        while (capacity <= id) capacity <<= 1;
        var nodes = new long[2 * capacity];
        Array.Copy(_nodes, _capacity, nodes, capacity, _capacity);
        // Every inner node is rebuilt from the leaves, so nothing stays dirty.
        RebuildInnerNodes(nodes, capacity);
        _nodes = nodes;
        _capacity = capacity;
        _dirty = new int[capacity];
        _isDirty = new byte[capacity];
        _dirtyCount = 0;
    }
}
