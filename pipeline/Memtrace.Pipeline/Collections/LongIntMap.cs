namespace Memtrace.Pipeline.Collections;

/// <summary>
/// An open-addressing hash map from long to int: linear probing, Fibonacci hashing, load ≤ 1/2 and
/// backward-shift deletion (no tombstones, so a long replay never degrades). The replay's address
/// lookups run here: Dictionary&lt;long, T&gt; cost ~20 ns an operation through its bucket and entry
/// indirections, and the replay makes two or three per event. Block addresses are multiples of 512,
/// which Fibonacci hashing spreads (the multiply mixes the high bits the low zero bits lack). A slot holds its key
/// and value side by side, so a hit is one cache line: with keys and values in two arrays, magma27 ×100's
/// replay (50,000 live addresses, 100 copies' blocks in one pool) missed the cache twice a lookup.
/// </summary>
public sealed class LongIntMap
{
    /// <summary>Marks an empty slot. The key long.MinValue itself lives outside the table.</summary>
    private const long Empty = long.MinValue;

    private struct Slot
    {
        public long Key;
        public int Value;
    }

    private Slot[] _slots;
    private int _shift;
    private bool _hasMinKey;
    private int _minKeyValue;

    public LongIntMap(int capacity = 16)
    {
        var size = 16;
        while (size < capacity * 2) size <<= 1;
        _slots = NewSlots(size);
        _shift = 64 - System.Numerics.BitOperations.Log2((uint)size);
    }

    private static Slot[] NewSlots(int size)
    {
        var slots = new Slot[size];
        foreach (ref var slot in slots.AsSpan()) slot.Key = Empty;
        return slots;
    }

    public int Count { get; private set; }

    private int Home(long key)
    {
        // Fold the high bits down first: block addresses share their low 9+ zero bits and most of their
        // high bits, and a bare Fibonacci multiply clustered them into long probe runs.
        var x = (ulong)key;
        x ^= x >> 29;
        return (int)((x * 0x9E3779B97F4A7C15UL) >> _shift);
    }

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    public bool TryGetValue(long key, out int value)
    {
        if (key == Empty)
        {
            value = _hasMinKey ? _minKeyValue : 0;
            return _hasMinKey;
        }
        var slots = _slots;
        var mask = slots.Length - 1;
        for (var i = Home(key); ; i = (i + 1) & mask)
        {
            ref readonly var slot = ref slots[i];
            if (slot.Key == key)
            {
                value = slot.Value;
                return true;
            }
            if (slot.Key == Empty)
            {
                value = 0;
                return false;
            }
        }
    }

    public bool ContainsKey(long key) => TryGetValue(key, out _);

    /// <summary>Adds or replaces the value of <paramref name="key"/>.</summary>
    public void Set(long key, int value)
    {
        if (key == Empty)
        {
            if (!_hasMinKey) Count++;
            _hasMinKey = true;
            _minKeyValue = value;
            return;
        }
        if ((Count + 1) * 2 > _slots.Length) Grow();
        var slots = _slots;
        var mask = slots.Length - 1;
        var i = Home(key);
        while (true)
        {
            ref var slot = ref slots[i];
            if (slot.Key == key)
            {
                slot.Value = value;
                return;
            }
            if (slot.Key == Empty) break;
            i = (i + 1) & mask;
        }
        slots[i] = new Slot { Key = key, Value = value };
        Count++;
    }

    public bool Remove(long key)
    {
        if (key == Empty)
        {
            if (!_hasMinKey) return false;
            _hasMinKey = false;
            Count--;
            return true;
        }
        var slots = _slots;
        var mask = slots.Length - 1;
        var i = Home(key);
        while (slots[i].Key != key)
        {
            if (slots[i].Key == Empty) return false;
            i = (i + 1) & mask;
        }
        // Backward shift: pull each later key of the probe run into the hole when its home allows it.
        var j = i;
        while (true)
        {
            j = (j + 1) & mask;
            var k = slots[j].Key;
            if (k == Empty) break;
            var home = Home(k);
            if (((j - home) & mask) >= ((j - i) & mask))
            {
                slots[i] = slots[j];
                i = j;
            }
        }
        slots[i].Key = Empty;
        Count--;
        return true;
    }

    /// <summary>Every (key, value), in slot order.</summary>
    public IEnumerable<(long Key, int Value)> Entries()
    {
        if (_hasMinKey) yield return (Empty, _minKeyValue);
        for (var i = 0; i < _slots.Length; i++)
            if (_slots[i].Key != Empty) yield return (_slots[i].Key, _slots[i].Value);
    }

    /// <summary>
    /// Every (key, value) as two arrays in key order: a primitive key sort, where a LINQ OrderBy over <see cref="Entries"/>
    /// sorted indices through a comparison delegate (the snapshot rebuild's ~50,000 live addresses of magma27 ×100).
    /// </summary>
    public (long[] Keys, int[] Values) ByKey()
    {
        var keys = new long[Count];
        var values = new int[Count];
        var n = 0;
        if (_hasMinKey) (keys[n], values[n++]) = (Empty, _minKeyValue);
        foreach (ref readonly var slot in _slots.AsSpan())
        {
            if (slot.Key != Empty) (keys[n], values[n++]) = (slot.Key, slot.Value);
        }
        Array.Sort(keys, values); // keys are distinct: the unstable sort has one answer
        return (keys, values);
    }

    public void Clear()
    {
        foreach (ref var slot in _slots.AsSpan()) slot.Key = Empty;
        _hasMinKey = false;
        Count = 0;
    }

    private void Grow()
    {
        var old = _slots;
        _slots = NewSlots(old.Length * 2);
        _shift--;
        var mask = _slots.Length - 1;
        foreach (var slot in old)
        {
            if (slot.Key == Empty) continue;
            var i = Home(slot.Key);
            while (_slots[i].Key != Empty) i = (i + 1) & mask;
            _slots[i] = slot;
        }
    }
}
