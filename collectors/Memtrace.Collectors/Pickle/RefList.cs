namespace Memtrace.Collectors.Pickle;

/// <summary>
/// The unpickler's stack and memo: a growable list of references held in a struct array, so a store skips the array
/// covariance check an object[] store makes (CastHelpers.StelemRef was 8% of the unpickle's samples on magma27 ×100).
/// </summary>
internal sealed class RefList(int capacity)
{
    private struct Ref
    {
        public object? Value;
    }

    private Ref[] _items = new Ref[Math.Max(4, capacity)];

    public int Count { get; private set; }

    public object? this[int i]
    {
        get => _items[i].Value;
        set => _items[i].Value = value;
    }

    public object? Last => _items[Count - 1].Value;

    public void Add(object? o)
    {
        if (Count == _items.Length) Array.Resize(ref _items, _items.Length * 2);
        _items[Count++].Value = o;
    }

    public object? RemoveLast()
    {
        ref var last = ref _items[--Count];
        var o = last.Value;
        last.Value = null;
        return o;
    }

    /// <summary>Items [from, Count) as an array.</summary>
    public object?[] CopyFrom(int from)
    {
        var items = new object?[Count - from];
        for (var i = 0; i < items.Length; i++) items[i] = _items[from + i].Value;
        return items;
    }

    /// <summary>Appends items [from, Count) to <paramref name="list"/>.</summary>
    public void AppendTo(List<object?> list, int from)
    {
        list.EnsureCapacity(list.Count + Count - from);
        for (var i = from; i < Count; i++) list.Add(_items[i].Value);
    }

    /// <summary>Drops items [from, Count); their references are cleared so a dropped object can be collected.</summary>
    public void TruncateTo(int from)
    {
        Array.Clear(_items, from, Count - from);
        Count = from;
    }
}
