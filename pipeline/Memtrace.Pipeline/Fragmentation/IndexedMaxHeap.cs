namespace Memtrace.Pipeline.Fragmentation;

/// <summary>
/// A binary max-heap of small integer ids keyed by a long, which also records where each id sits, so any
/// id can leave in O(log n) — no lazy deletion, no rebuilds, no hashing. The free-space index keys its
/// blocks by size here to answer L (the largest free block) after every event. (It replaced a heap with
/// lazily recorded removals, whose rebuilds were a quarter of the replay's time on the bench trace.)
/// </summary>
public sealed class IndexedMaxHeap
{
    private int[] _heap = new int[64];
    private int[] _position = new int[64];
    private long[] _key = new long[64];

    public int Count { get; private set; }

    public long Max => Count == 0 ? 0 : _key[_heap[0]];

    public bool Contains(int id) => id >= 0 && id < _position.Length && _position[id] > 0;

    public void Add(int id, long key)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(id);
        if (Contains(id)) throw new InvalidOperationException($"id {id} is already in the heap");
        if (id >= _key.Length)
        {
            var n = Math.Max(id + 1, _key.Length * 2);
            Array.Resize(ref _key, n);
            Array.Resize(ref _position, n);
        }
        if (Count == _heap.Length) Array.Resize(ref _heap, Count * 2);
        _key[id] = key;
        _heap[Count] = id;
        _position[id] = Count + 1; // 1-based, so 0 means "absent"
        Count++;
        Up(Count - 1);
    }

    public void Remove(int id)
    {
        if (!Contains(id)) throw new InvalidOperationException($"id {id} is not in the heap");
        var i = _position[id] - 1;
        _position[id] = 0;
        Count--;
        if (i == Count) return;
        var last = _heap[Count];
        _heap[i] = last;
        _position[last] = i + 1;
        Down(Up(i));
    }

    private int Up(int i)
    {
        var id = _heap[i];
        var key = _key[id];
        while (i > 0)
        {
            var parent = (i - 1) >> 1;
            var p = _heap[parent];
            if (_key[p] >= key) break;
            _heap[i] = p;
            _position[p] = i + 1;
            i = parent;
        }
        _heap[i] = id;
        _position[id] = i + 1;
        return i;
    }

    private void Down(int i)
    {
        var id = _heap[i];
        var key = _key[id];
        while (true)
        {
            var child = 2 * i + 1;
            if (child >= Count) break;
            if (child + 1 < Count && _key[_heap[child + 1]] > _key[_heap[child]]) child++;
            var c = _heap[child];
            if (_key[c] <= key) break;
            _heap[i] = c;
            _position[c] = i + 1;
            i = child;
        }
        _heap[i] = id;
        _position[id] = i + 1;
    }
}
