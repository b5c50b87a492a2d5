namespace Memtrace.Collectors.Importers.RmmCsv;

/// <summary>
/// Parsed RMM rows held by column, one array a field, in file order: the shape the gpu_alloc_events table takes, so the
/// table's columns take the arrays themselves (<see cref="Memtrace.Schemas.Model.ValueColumn{T}.Adopt"/>). Parts read
/// on several cores each fill a window of one shared set of arrays (<see cref="Windows"/>), and <see cref="Join"/>
/// moves the windows together in place: on the bench's 5 M rows (370 MB), copying each part's arrays into the table's
/// own was 200 MB of fresh memory written twice, and a line number a row another 40 MB.
/// </summary>
public sealed class RmmRows
{
    private long[] _thread, _time, _pointer, _size, _stream;
    private RmmAction[] _action;
    /// <summary>This part's rows are [_start, _start + Count) of the arrays, at most _capacity of them.</summary>
    private int _start, _capacity;
    /// <summary>Where a row's line is not the previous row's + 1 (the first row; after a bad or empty line): (row, line).</summary>
    private readonly List<(int Row, long Line)> _lineBreaks = [];
    private long _lastLine = long.MinValue;

    public RmmRows(int capacity) : this(new long[capacity], new long[capacity], new long[capacity], new long[capacity], new long[capacity], new RmmAction[capacity], 0, capacity) { }

    private RmmRows(long[] thread, long[] time, long[] pointer, long[] size, long[] stream, RmmAction[] action, int start, int capacity)
    {
        (_thread, _time, _pointer, _size, _stream, _action) = (thread, time, pointer, size, stream, action);
        (_start, _capacity) = (start, capacity);
    }

    /// <summary>
    /// One part per capacity, each a window of one shared set of arrays, in order. Pages a window leaves unused are
    /// never touched: a fresh array's pages are the kernel's zero pages until written.
    /// </summary>
    public static RmmRows[] Windows(IReadOnlyList<int> capacities)
    {
        var total = (int)Math.Min(capacities.Sum(c => (long)c), Array.MaxLength);
        var (thread, time, pointer, size, stream, action) = (new long[total], new long[total], new long[total], new long[total], new long[total], new RmmAction[total]);
        var parts = new RmmRows[capacities.Count];
        var start = 0;
        for (var k = 0; k < parts.Length; k++)
        {
            var capacity = Math.Min(capacities[k], total - start);
            parts[k] = new RmmRows(thread, time, pointer, size, stream, action, start, capacity);
            start += capacity;
        }
        return parts;
    }

    /// <summary>
    /// The parts' rows as one, in order. Parts that are still windows of one set of arrays are moved together in those
    /// arrays (a part that outgrew its window has arrays of its own and is copied in after the others).
    /// </summary>
    public static RmmRows Join(IReadOnlyList<RmmRows> parts)
    {
        if (parts.Count == 1 && parts[0]._start == 0) return parts[0];
        var first = parts.Count > 0 ? parts[0] : new RmmRows(0);
        var total = parts.Sum(p => p.Count);
        var inPlace = parts.All(p => ReferenceEquals(p._thread, first._thread)) && first._thread.Length >= total;
        var joined = inPlace ? new RmmRows(first._thread, first._time, first._pointer, first._size, first._stream, first._action, 0, first._thread.Length) : new RmmRows(total);
        foreach (var part in parts)
        {
            // Each part's window starts at or after the joined rows' end, so a move is down or in place.
            var (from, to, n) = (part._start, joined.Count, part.Count);
            part._thread.AsSpan(from, n).CopyTo(joined._thread.AsSpan(to));
            part._time.AsSpan(from, n).CopyTo(joined._time.AsSpan(to));
            part._pointer.AsSpan(from, n).CopyTo(joined._pointer.AsSpan(to));
            part._size.AsSpan(from, n).CopyTo(joined._size.AsSpan(to));
            part._stream.AsSpan(from, n).CopyTo(joined._stream.AsSpan(to));
            part._action.AsSpan(from, n).CopyTo(joined._action.AsSpan(to));
            foreach (var (row, line) in part._lineBreaks) joined._lineBreaks.Add((to + row, line));
            joined.Count += n;
        }
        return joined;
    }

    public int Count { get; private set; }

    public ReadOnlySpan<long> Thread => _thread.AsSpan(_start, Count);
    /// <summary>
    /// Each row's Time in one long (a column fewer of fresh memory a row): microseconds since midnight (≥ 0), or, where
    /// Time was epoch seconds, the bitwise complement of its UTC nanoseconds (&lt; 0: the seconds carry no sign). See
    /// <see cref="IsEpoch"/> and <see cref="EpochNs"/>.
    /// </summary>
    public ReadOnlySpan<long> Time => _time.AsSpan(_start, Count);

    public static bool IsEpoch(long time) => time < 0;

    public static long EpochNs(long time) => ~time;

    public ReadOnlySpan<RmmAction> Action => _action.AsSpan(_start, Count);
    public ReadOnlySpan<long> Pointer => _pointer.AsSpan(_start, Count);
    public ReadOnlySpan<long> Size => _size.AsSpan(_start, Count);
    public ReadOnlySpan<long> Stream => _stream.AsSpan(_start, Count);

    /// <summary>
    /// The arrays themselves, for a table to adopt once the rows are joined (<see cref="Join"/>: they start at 0), and
    /// the times to be rewritten in place as nanoseconds: <see cref="Time"/> is not to be read after, nor a row added.
    /// </summary>
    public (long[] Thread, long[] Time, long[] Pointer, long[] Size, long[] Stream) Release()
    {
        if (_start != 0) throw new InvalidOperationException("a window's arrays are not its own: join the parts first");
        return (_thread, _time, _pointer, _size, _stream);
    }

    /// <summary>Row <paramref name="i"/>'s line number in the file (in the part, before the reader shifts the part's lines to the file's).</summary>
    public long LineOf(int i)
    {
        var (lo, hi) = (0, _lineBreaks.Count - 1);
        while (lo < hi)
        {
            var mid = (lo + hi + 1) / 2;
            if (_lineBreaks[mid].Row <= i) lo = mid;
            else hi = mid - 1;
        }
        var (row, line) = _lineBreaks[lo];
        return line + (i - row);
    }

    public void Add(in RmmRecord r, long line)
    {
        if (Count == _capacity) Grow();
        if (line != _lastLine + 1 || Count == 0) _lineBreaks.Add((Count, line));
        _lastLine = line;
        var i = _start + Count++;
        _thread[i] = r.Thread;
        _time[i] = r.EpochSeconds is { } secs ? ~((long)Math.Round(secs * 1e6) * 1000) : r.TimeOfDayUs;
        _action[i] = r.Action;
        _pointer[i] = r.Pointer;
        _size[i] = r.Size;
        _stream[i] = r.Stream;
    }

    /// <summary>Adds <paramref name="by"/> to every line number: a part's lines become the file's.</summary>
    public void ShiftLines(long by)
    {
        for (var k = 0; k < _lineBreaks.Count; k++) _lineBreaks[k] = (_lineBreaks[k].Row, _lineBreaks[k].Line + by);
        _lastLine += by;
    }

    /// <summary>Row <paramref name="i"/> as a record: epoch seconds come back from their nanoseconds.</summary>
    public RmmRecord this[int i]
    {
        get
        {
            var (t, at) = (Time[i], _start + i);
            return new(_thread[at], IsEpoch(t) ? -1 : t, IsEpoch(t) ? EpochNs(t) / 1e9 : null, _action[at], _pointer[at], _size[at], _stream[at]);
        }
    }

    public IEnumerable<(RmmRecord Record, long Line)> Records()
    {
        for (var i = 0; i < Count; i++) yield return (this[i], LineOf(i));
    }

    /// <summary>Arrays of its own, twice the size (a window that filled up leaves the shared arrays).</summary>
    private void Grow()
    {
        var n = Math.Max(16, _capacity * 2);
        static T[] Moved<T>(T[] from, int start, int count, int n)
        {
            var to = new T[n];
            from.AsSpan(start, count).CopyTo(to);
            return to;
        }
        (_thread, _time, _pointer, _size, _stream, _action) = (Moved(_thread, _start, Count, n), Moved(_time, _start, Count, n), Moved(_pointer, _start, Count, n),
            Moved(_size, _start, Count, n), Moved(_stream, _start, Count, n), Moved(_action, _start, Count, n));
        (_start, _capacity) = (0, n);
    }
}
