using System.Collections;

namespace Memtrace.Collectors.Pickle;

/// <summary>
/// A Python dict as the unpickler builds it: keys in insertion order, and a later SETITEM of an equal key replaces the
/// value in place (Python's semantics). Keys are equal as <see cref="object.Equals(object)"/> says, as they were in the
/// <see cref="Dictionary{TKey,TValue}"/> this replaces. A snapshot is ~10^6 small dicts; a trace entry reads
/// {'action': 'alloc', 'addr': 47294971904, 'size': 25165824, 'stream': 0, 'time_us': 1776479641085368, 'frames': [...]}.
/// So keys and values sit side by side in one array sized by the SETITEMS that fills it, and a lookup compares the few
/// keys in turn: no hash of a key string on insert or lookup, one allocation besides the object. A dict that grows past
/// <see cref="IndexFrom"/> keys also keeps a hash index. The unpickle of bcrafton ×100 (real ×100: 52.4 MB, 648,600 trace
/// entries), in-process after a warm-up: 0.56–0.75 s with Dictionary, 0.35–0.38 s with this.
/// </summary>
public sealed class PyDict : IEnumerable<KeyValuePair<object, object?>>
{
    /// <summary>Past this many keys a linear scan costs more than a hash; allocator_settings and segment dicts stay under it.</summary>
    private const int IndexFrom = 16;

    /// <summary>A key and its value. A struct array takes a store without the covariance check an object[] store makes
    /// (CastHelpers.StelemRef was 8% of the unpickle's samples).</summary>
    private struct Slot
    {
        public object Key;
        public object? Value;
    }

    private Slot[] _slots = [];
    private int _count;
    private Dictionary<object, int>? _index;

    /// <summary>
    /// What an importer worked out from this dict once (the torch importer's rendered frame): a pickle memoises a dict
    /// that recurs, so meeting it again costs a field read here, not a lookup in a map keyed by the dict.
    /// </summary>
    internal object? Annotation;

    public int Count => _count;

    public object? this[object key]
    {
        get => TryGetValue(key, out var v) ? v : throw new KeyNotFoundException($"no key '{key}' in the dict");
        set => Set(key, value);
    }

    /// <summary>Room for <paramref name="keys"/> keys in all, so SETITEMS fills the array without growing it.</summary>
    public void EnsureCapacity(int keys)
    {
        if (keys > _slots.Length) Array.Resize(ref _slots, keys);
    }

    /// <summary>d[key] = value: an equal key keeps its place and takes the new value.</summary>
    public void Set(object key, object? value)
    {
        var at = Find(key);
        if (at >= 0)
        {
            _slots[at].Value = value;
            return;
        }
        if (_count == _slots.Length) Array.Resize(ref _slots, Math.Max(4, _slots.Length * 2));
        ref var slot = ref _slots[_count];
        slot.Key = key;
        slot.Value = value;
        if (_index is not null) _index[key] = _count;
        else if (_count + 1 == IndexFrom)
        {
            _index = new Dictionary<object, int>(IndexFrom * 2);
            for (var i = 0; i <= _count; i++) _index[_slots[i].Key] = i;
        }
        _count++;
    }

    public bool TryGetValue(object key, out object? value)
    {
        var at = Find(key);
        value = at >= 0 ? _slots[at].Value : null;
        return at >= 0;
    }

    public object? GetValueOrDefault(object key) => TryGetValue(key, out var v) ? v : null;

    public bool ContainsKey(object key) => Find(key) >= 0;

    private int Find(object key)
    {
        if (_index is not null) return _index.TryGetValue(key, out var i) ? i : -1;
        var slots = _slots;
        if (key is string s)
        {
            // The common case: a literal field name against the file's own key strings.
            for (var i = 0; i < _count; i++)
            {
                if (slots[i].Key is string k && (ReferenceEquals(k, s) || (k.Length == s.Length && (k.Length == 0 || k[0] == s[0]) && string.Equals(k, s, StringComparison.Ordinal)))) return i;
            }
            return -1;
        }
        for (var i = 0; i < _count; i++)
        {
            if (key.Equals(slots[i].Key)) return i;
        }
        return -1;
    }

    public Enumerator GetEnumerator() => new(this);

    IEnumerator<KeyValuePair<object, object?>> IEnumerable<KeyValuePair<object, object?>>.GetEnumerator() => GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    /// <summary>The pairs in insertion order, without an allocation.</summary>
    public struct Enumerator(PyDict dict) : IEnumerator<KeyValuePair<object, object?>>
    {
        private int _i = -1;

        public readonly KeyValuePair<object, object?> Current => new(dict._slots[_i].Key, dict._slots[_i].Value);

        readonly object IEnumerator.Current => Current;

        public bool MoveNext() => ++_i < dict._count;

        public void Reset() => _i = -1;

        public readonly void Dispose()
        {
        }
    }
}
