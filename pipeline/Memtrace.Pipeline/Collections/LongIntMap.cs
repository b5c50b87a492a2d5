namespace Memtrace.Pipeline.Collections;

/// <summary>
/// An open-addressing hash map from long to int: linear probing, Fibonacci hashing, load ≤ 1/2 and
/// backward-shift deletion (no tombstones, so a long replay never degrades). The replay's address
/// lookups run here: Dictionary&lt;long, T&gt; cost ~20 ns an operation through its bucket and entry
/// indirections, and the replay makes two or three per event. Block addresses are multiples of 512,
/// which Fibonacci hashing spreads (the multiply mixes the high bits the low zero bits lack).
/// </summary>
public sealed class LongIntMap
{
    /// <summary>Marks an empty slot. The key long.MinValue itself lives outside the table.</summary>
    private const long Empty = long.MinValue;

    private long[] _keys;
    private int[] _values;
    private int _shift;
    private bool _hasMinKey;
    private int _minKeyValue;

    public LongIntMap(int capacity = 16)
    {
        var size = 16;
        while (size < capacity * 2) size <<= 1;
        _keys = new long[size];
        Array.Fill(_keys, Empty);
        _values = new int[size];
        _shift = 64 - System.Numerics.BitOperations.Log2((uint)size);
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
        var keys = _keys;
        var mask = keys.Length - 1;
        for (var i = Home(key); ; i = (i + 1) & mask)
        {
            var k = keys[i];
            if (k == key)
            {
                value = _values[i];
                return true;
            }
            if (k == Empty)
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
        if ((Count + 1) * 2 > _keys.Length) Grow();
        var mask = _keys.Length - 1;
        var i = Home(key);
        while (true)
        {
            var k = _keys[i];
            if (k == key)
            {
                _values[i] = value;
                return;
            }
            if (k == Empty) break;
            i = (i + 1) & mask;
        }
        _keys[i] = key;
        _values[i] = value;
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
        var keys = _keys;
        var mask = keys.Length - 1;
        var i = Home(key);
        while (keys[i] != key)
        {
            if (keys[i] == Empty) return false;
            i = (i + 1) & mask;
        }
        // Backward shift: pull each later key of the probe run into the hole when its home allows it.
        var j = i;
        while (true)
        {
            j = (j + 1) & mask;
            var k = keys[j];
            if (k == Empty) break;
            var home = Home(k);
            if (((j - home) & mask) >= ((j - i) & mask))
            {
                keys[i] = k;
                _values[i] = _values[j];
                i = j;
            }
        }
        keys[i] = Empty;
        Count--;
        return true;
    }

    /// <summary>Every (key, value), in slot order.</summary>
    public IEnumerable<(long Key, int Value)> Entries()
    {
        if (_hasMinKey) yield return (Empty, _minKeyValue);
        for (var i = 0; i < _keys.Length; i++)
            if (_keys[i] != Empty) yield return (_keys[i], _values[i]);
    }

    public void Clear()
    {
        Array.Fill(_keys, Empty);
        _hasMinKey = false;
        Count = 0;
    }

    private void Grow()
    {
        var oldKeys = _keys;
        var oldValues = _values;
        _keys = new long[oldKeys.Length * 2];
        Array.Fill(_keys, Empty);
        _values = new int[_keys.Length];
        _shift--;
        var mask = _keys.Length - 1;
        for (var s = 0; s < oldKeys.Length; s++)
        {
            var key = oldKeys[s];
            if (key == Empty) continue;
            var i = Home(key);
            while (_keys[i] != Empty) i = (i + 1) & mask;
            _keys[i] = key;
            _values[i] = oldValues[s];
        }
    }
}
