namespace Memtrace.Pipeline.Fragmentation;

/// <summary>
/// A multiset of sizes that answers its maximum. Removals are recorded and applied only when the
/// removed value reaches the top, so add, remove and max are O(log n) amortised on a flat array
/// heap: measured faster than a SortedSet of (size, start) pairs, which rebalances a tree on every
/// change. The heap is rebuilt when stale entries outnumber live ones, so memory stays O(live).
/// </summary>
public sealed class LazyMaxHeap
{
    private readonly PriorityQueue<long, long> _heap = new();
    private readonly Dictionary<long, int> _pending = new();
    private int _stale;

    public int Count { get; private set; }

    public void Add(long value)
    {
        _heap.Enqueue(value, -value);
        Count++;
    }

    public void Remove(long value)
    {
        _pending[value] = _pending.GetValueOrDefault(value) + 1;
        _stale++;
        Count--;
        if (_stale > 64 && _stale > 2 * Count) Rebuild();
    }

    public long Max
    {
        get
        {
            while (_heap.Count > 0)
            {
                var top = _heap.Peek();
                if (!_pending.TryGetValue(top, out var n)) return top;
                _heap.Dequeue();
                _stale--;
                if (n == 1) _pending.Remove(top);
                else _pending[top] = n - 1;
            }
            return 0;
        }
    }

    private void Rebuild()
    {
        var live = new List<long>(Count);
        while (_heap.TryDequeue(out var v, out _))
        {
            if (_pending.TryGetValue(v, out var n))
            {
                if (n == 1) _pending.Remove(v);
                else _pending[v] = n - 1;
                continue;
            }
            live.Add(v);
        }
        _stale = 0;
        foreach (var v in live) _heap.Enqueue(v, -v);
    }
}
