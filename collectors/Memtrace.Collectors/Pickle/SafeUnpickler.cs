using System.Buffers.Binary;
using System.Numerics;
using System.Text;
using Memtrace.Collectors.Importers.Common;
using Memtrace.Schemas.Stats;

namespace Memtrace.Collectors.Pickle;

/// <summary>Tuples are kept distinct from lists so a caller can tell "(0, 0)" from "[0, 0]".</summary>
public sealed class PyTuple(object?[] items)
{
    public object?[] Items { get; } = items;
}

/// <summary>Outcome of a load: the root object, or as much of it as came before a cut.</summary>
public sealed record PickleResult(object? Root, bool Truncated, long StopOffset, string? TruncationReason);

/// <summary>The pickle asked for something a data-only loader must never do (import or call code).</summary>
public sealed class PickleForbiddenException(string message, long offset) : Exception(message)
{
    public long Offset { get; } = offset;
}

/// <summary>The bytes are not a pickle this loader can read at all.</summary>
public sealed class PickleFormatException(string message, long offset, StatDef? limit = null) : Exception(message)
{
    public long Offset { get; } = offset;
    /// <summary>Set when a resource bound, not a malformed opcode, stopped the load.</summary>
    public StatDef? Limit { get; } = limit;
}

/// <summary>
/// A data-only unpickler for protocols 2–5: dicts, lists, tuples, sets, str, bytes, ints (LONG1/LONG4
/// included), floats, bools and None, with the memo and FRAME. Every opcode that imports or calls
/// code (GLOBAL, STACK_GLOBAL, REDUCE, BUILD, INST, OBJ, NEWOBJ, NEWOBJ_EX, EXT*, PERSID) is refused:
/// torch.cuda.memory._dump_snapshot never writes them, and honouring them is how pickle runs code.
/// A truncated stream is salvaged: pending MARK groups are folded into their containers, so every
/// record completed before the cut is kept.
/// </summary>
public sealed class SafeUnpickler
{
    public const int DefaultMaxDepth = ImportLimits.MaxPickleMarks;
    private static readonly object Mark = new();

    private readonly byte[] _data;
    private readonly int _maxMarks;
    private readonly int _maxMemo;
    private readonly RefList _stack = new(256);
    private readonly List<int> _marks = new(64);
    /// <summary>
    /// The memo. Protocol 4's MEMOIZE numbers entries 0, 1, 2, … and protocol 2's BINPUTs almost always do too, so they
    /// live in a list (a hash insert per container and string was a fifth of a 43 MB snapshot's load); an index out of
    /// that order goes to the dictionary.
    /// </summary>
    private readonly RefList _memoDense = new(1024);
    private readonly Dictionary<long, object?> _memo = new();
    private int _pos;

    private SafeUnpickler(byte[] data, int maxMarks, int maxMemo)
    {
        _maxMemo = maxMemo;
        _data = data;
        _maxMarks = maxMarks;
    }

    public static PickleResult Load(byte[] data, int maxMarks = DefaultMaxDepth, int maxMemo = ImportLimits.MaxPickleMemo) => new SafeUnpickler(data, maxMarks, maxMemo).Run();

    private PickleResult Run()
    {
        if (_data.Length < 2 || _data[0] != 0x80) throw new PickleFormatException("not a binary pickle (no PROTO opcode at byte 0)", 0);
        try
        {
            while (true)
            {
                var opAt = _pos;
                var op = U8();
                if (op == (byte)'.')
                {
                    if (_stack.Count == 0) throw new PickleFormatException("STOP with an empty stack", opAt);
                    return new PickleResult(_stack.Last, false, _pos, null);
                }
                Step(op, opAt);
            }
        }
        catch (TruncatedException t)
        {
            return new PickleResult(Salvage(), true, _pos, t.Message);
        }
    }

    private sealed class TruncatedException(string m) : Exception(m);

    private void Step(byte op, int at)
    {
        switch (op)
        {
            case 0x80: // PROTO
                var proto = U8();
                if (proto is < 2 or > 5) throw new PickleFormatException($"pickle protocol {proto} is not supported (2 to 5 are)", at);
                break;
            case 0x95: Take(8); break; // FRAME: a length hint only; we hold the whole file already.
            case (byte)'}': Push(new PyDict()); break;
            case (byte)']': Push(new List<object?>()); break;
            case (byte)')': Push(new PyTuple([])); break;
            case 0x8f: Push(new HashSet<object>()); break; // EMPTY_SET
            case (byte)'(':
                if (_marks.Count >= _maxMarks) throw new PickleFormatException($"nesting deeper than {_maxMarks} MARKs", at, StatsCatalog.LimitPickleDepth);
                _marks.Add(_stack.Count);
                break;
            case (byte)'s': { var v = Pop(at); var k = Pop(at); DictSet(Peek(at), k, v, at); break; }
            case (byte)'u': SetItems(at); break;
            case (byte)'a': { var v = Pop(at); ListOf(Peek(at), at).Add(v); break; }
            case (byte)'e': Appends(at); break;
            case 0x90: { var items = PopMark(at); if (Peek(at) is not HashSet<object> hs) throw new PickleFormatException("ADDITEMS on a non-set", at); foreach (var i in items) hs.Add(i ?? NoneKey); break; }
            case 0x91: { var items = PopMark(at); Push(new HashSet<object>(items.Select(i => i ?? NoneKey))); break; } // FROZENSET
            case (byte)'t': Push(new PyTuple(PopMark(at))); break;
            case 0x85: { var a = Pop(at); Push(new PyTuple([a])); break; }
            case 0x86: { var b = Pop(at); var a = Pop(at); Push(new PyTuple([a, b])); break; }
            case 0x87: { var c = Pop(at); var b = Pop(at); var a = Pop(at); Push(new PyTuple([a, b, c])); break; }
            case (byte)'l': Push(new List<object?>(PopMark(at))); break;
            case (byte)'d': { var items = PopMark(at); var d = new PyDict(); for (var i = 0; i + 1 < items.Length; i += 2) DictSet(d, items[i], items[i + 1], at); Push(d); break; }
            case (byte)'J': Push(Box(BinaryPrimitives.ReadInt32LittleEndian(Take(4)))); break;
            case (byte)'K': Push(Box(U8())); break;
            case (byte)'M': Push(Box(BinaryPrimitives.ReadUInt16LittleEndian(Take(2)))); break;
            case 0x8a: Push(Long(Take(U8()))); break; // LONG1
            case 0x8b: Push(Long(Take(Len32(at)))); break; // LONG4
            case (byte)'G': Push(BinaryPrimitives.ReadDoubleBigEndian(Take(8))); break;
            case (byte)'I': Push(TextInt(Line(), at)); break;
            case (byte)'L': Push(TextInt(Line().TrimEnd('L'), at)); break;
            case (byte)'F': Push(double.TryParse(Line(), System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var f) ? f : throw new PickleFormatException("FLOAT operand is not a decimal number", at)); break;
            case 0x8c: Push(Str(U8())); break; // SHORT_BINUNICODE
            case (byte)'X': Push(Str(Len32(at))); break; // BINUNICODE
            case 0x8d: Push(Str(Len64(at))); break; // BINUNICODE8
            case (byte)'U': Push(Encoding.Latin1.GetString(Take(U8()))); break; // SHORT_BINSTRING
            case (byte)'T': Push(Encoding.Latin1.GetString(Take(Len32(at)))); break; // BINSTRING
            case (byte)'C': Push(Take(U8()).ToArray()); break; // SHORT_BINBYTES
            case (byte)'B': Push(Take(Len32(at)).ToArray()); break; // BINBYTES
            case 0x8e: Push(Take(Len64(at)).ToArray()); break; // BINBYTES8
            case 0x96: Push(Take(Len64(at)).ToArray()); break; // BYTEARRAY8
            case 0x88: Push(true); break;
            case 0x89: Push(false); break;
            case (byte)'N': Push(null); break;
            case (byte)'q': Memo(U8(), at); break; // BINPUT
            case (byte)'r': Memo(BinaryPrimitives.ReadUInt32LittleEndian(Take(4)), at); break; // LONG_BINPUT
            case 0x94: Memo(_memoDense.Count + _memo.Count, at); break; // MEMOIZE
            case (byte)'p': Memo(TextInt(Line(), at) is long pl ? pl : -1, at); break; // PUT
            case (byte)'h': Push(Get(U8(), at)); break; // BINGET
            case (byte)'j': Push(Get(BinaryPrimitives.ReadUInt32LittleEndian(Take(4)), at)); break; // LONG_BINGET
            case (byte)'g': Push(Get(TextInt(Line(), at) is long gl ? gl : -1, at)); break; // GET
            case (byte)'0': Pop(at); break; // POP
            case (byte)'1': PopMark(at); break; // POP_MARK
            case (byte)'2': Push(Peek(at)); break; // DUP
            case (byte)'c': throw Forbidden("GLOBAL", at);
            case 0x93: throw Forbidden("STACK_GLOBAL", at);
            case (byte)'R': throw Forbidden("REDUCE", at);
            case (byte)'b': throw Forbidden("BUILD", at);
            case (byte)'i': throw Forbidden("INST", at);
            case (byte)'o': throw Forbidden("OBJ", at);
            case 0x81: throw Forbidden("NEWOBJ", at);
            case 0x92: throw Forbidden("NEWOBJ_EX", at);
            case 0x82 or 0x83 or 0x84: throw Forbidden("EXT", at);
            case (byte)'P' or (byte)'Q': throw Forbidden("PERSID", at);
            case 0x97 or 0x98: throw Forbidden("out-of-band buffer", at);
            default: throw new PickleFormatException($"unknown pickle opcode 0x{op:x2}", at);
        }
    }

    /// <summary>Sets hold None under this key, since HashSet&lt;object&gt; cannot hold null.</summary>
    public static readonly object NoneKey = new();

    private static PickleForbiddenException Forbidden(string name, int at) =>
        new($"opcode {name} at byte {at} is refused: a memory snapshot never needs it, and honouring it would import or run code", at);

    private void Push(object? o) => _stack.Add(o);

    private object? Pop(int at)
    {
        if (_stack.Count == 0 || (_marks.Count > 0 && _marks[^1] == _stack.Count)) throw new PickleFormatException("stack underflow", at);
        return _stack.RemoveLast();
    }

    private object? Peek(int at) => _stack.Count == 0 ? throw new PickleFormatException("stack underflow", at) : _stack.Last;

    private object?[] PopMark(int at)
    {
        var m = TakeMark(at);
        var items = _stack.CopyFrom(m);
        _stack.TruncateTo(m);
        return items;
    }

    /// <summary>SETITEMS straight from the stack: the group is not copied out, and the dict is sized once for it.</summary>
    private void SetItems(int at)
    {
        var m = TakeMark(at);
        if (m == 0) throw new PickleFormatException("stack underflow", at);
        if (_stack[m - 1] is not PyDict dict) throw new PickleFormatException("SETITEM on a non-dict", at);
        dict.EnsureCapacity(dict.Count + (_stack.Count - m) / 2);
        for (var i = m; i + 1 < _stack.Count; i += 2) dict.Set(KeyOf(_stack[i], at), _stack[i + 1]);
        _stack.TruncateTo(m);
    }

    /// <summary>APPENDS straight from the stack.</summary>
    private void Appends(int at)
    {
        var m = TakeMark(at);
        if (m == 0) throw new PickleFormatException("stack underflow", at);
        var list = ListOf(_stack[m - 1], at);
        _stack.AppendTo(list, m);
        _stack.TruncateTo(m);
    }

    private int TakeMark(int at)
    {
        if (_marks.Count == 0) throw new PickleFormatException("no MARK on the stack", at);
        var m = _marks[^1];
        _marks.RemoveAt(_marks.Count - 1);
        return m;
    }

    private static void DictSet(object? d, object? k, object? v, int at)
    {
        if (d is not PyDict dict) throw new PickleFormatException("SETITEM on a non-dict", at);
        dict.Set(KeyOf(k, at), v);
    }

    private static object KeyOf(object? k, int at) => k switch
    {
        null => NoneKey,
        List<object?> or PyDict => throw new PickleFormatException("unhashable dict key", at),
        _ => k,
    };

    private static List<object?> ListOf(object? o, int at) => o as List<object?> ?? throw new PickleFormatException("APPEND to a non-list", at);

    private void Memo(long index, int at)
    {
        if (_stack.Count == 0) throw new PickleFormatException("memo put with an empty stack", at);
        if (index >= 0 && index < _memoDense.Count)
        {
            _memoDense[(int)index] = _stack.Last;
            return;
        }
        // MEMOIZE is one byte and a memo entry tens: without a bound a file of MEMOIZEs multiplies into memory.
        if (_memoDense.Count + _memo.Count >= _maxMemo && !_memo.ContainsKey(index))
            throw new PickleFormatException($"memo past {_maxMemo} entries", at, StatsCatalog.LimitPickleMemo);
        if (index == _memoDense.Count && !_memo.ContainsKey(index)) _memoDense.Add(_stack.Last);
        else _memo[index] = _stack.Last;
    }

    private object? Get(long index, int at) =>
        index >= 0 && index < _memoDense.Count ? _memoDense[(int)index]
        : _memo.TryGetValue(index, out var o) ? o : throw new PickleFormatException($"memo get of unknown index {index}", at);

    private byte U8() => _pos < _data.Length ? _data[_pos++] : throw new TruncatedException($"pickle ends at byte {_pos} before STOP");

    private ReadOnlySpan<byte> Take(long n)
    {
        if (n < 0 || n > _data.Length - _pos) throw new TruncatedException($"a {n}-byte field at byte {_pos} runs past the end ({_data.Length} bytes)");
        var s = _data.AsSpan(_pos, (int)n);
        _pos += (int)n;
        return s;
    }

    private int Len32(int at)
    {
        var n = BinaryPrimitives.ReadUInt32LittleEndian(Take(4));
        return n > int.MaxValue ? throw new PickleFormatException($"declared length {n} is too large", at) : (int)n;
    }

    private long Len64(int at)
    {
        var n = BinaryPrimitives.ReadUInt64LittleEndian(Take(8));
        return n > int.MaxValue ? throw new PickleFormatException($"declared length {n} is too large", at) : (long)n;
    }

    private string Str(long n) => Encoding.UTF8.GetString(Take(n));

    private string Line()
    {
        var end = Array.IndexOf(_data, (byte)'\n', _pos);
        if (end < 0) throw new TruncatedException($"text opcode at byte {_pos} has no newline");
        var s = Encoding.ASCII.GetString(_data, _pos, end - _pos);
        _pos = end + 1;
        return s;
    }

    private static object TextInt(string s, int at)
    {
        if (s == "00") return false;
        if (s == "01") return true;
        return BigInteger.TryParse(s, System.Globalization.NumberStyles.AllowLeadingSign, System.Globalization.CultureInfo.InvariantCulture, out var b)
            ? Narrow(b)
            : throw new PickleFormatException($"bad text integer '{s}'", at);
    }

    /// <summary>LONG1/LONG4 are little-endian two's complement; values that fit stay longs.</summary>
    private static object Long(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length is 0 or > 8) return bytes.Length == 0 ? 0L : Narrow(new BigInteger(bytes, isUnsigned: false, isBigEndian: false));
        // Up to 8 bytes fit a long: sign-extend the little-endian two's complement (addresses and µs stamps are 5–8 bytes).
        ulong v = 0;
        for (var i = bytes.Length - 1; i >= 0; i--) v = (v << 8) | bytes[i];
        var unused = 64 - 8 * bytes.Length;
        return Box((long)(v << unused) >> unused);
    }

    /// <summary>Small integers (frame lines, sizes in units, counts) boxed once: a snapshot repeats them by the million.</summary>
    private static readonly object[] SmallInts = Enumerable.Range(0, 4096).Select(i => (object)(long)i).ToArray();

    private static object Box(long v) => (ulong)v < (ulong)SmallInts.Length ? SmallInts[v] : v;

    private static object Narrow(BigInteger b) => b >= long.MinValue && b <= long.MaxValue ? (object)(long)b : b;

    /// <summary>Folds every pending MARK group into the container beneath it, innermost first, and returns the root.</summary>
    private object? Salvage()
    {
        while (_marks.Count > 0)
        {
            var items = PopMark(_pos).ToList();
            if (_stack.Count == 0) return items.Count > 0 ? items[0] : null;
            switch (_stack.Last)
            {
                case List<object?> l: l.AddRange(items); break;
                case PyDict d:
                    // An odd group under a dict means a pending single APPEND: "[..., 'device_traces', outer, inner]"
                    // is the inner list that the cut stopped from being appended to outer.
                    while (items.Count % 2 == 1 && items.Count >= 2 && items[^2] is List<object?> pendingList)
                    {
                        pendingList.Add(items[^1]);
                        items.RemoveAt(items.Count - 1);
                    }
                    for (var i = 0; i + 1 < items.Count; i += 2) d.Set(KeyOf(items[i], _pos), items[i + 1]);
                    break;
            }
        }
        return _stack.Count > 0 ? _stack[0] : null;
    }
}
