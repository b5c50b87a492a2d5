namespace Memtrace.Collectors.Importers.RmmCsv;

/// <summary>
/// Parsed RMM rows held by column, one array a field, in file order: the shape the gpu_alloc_events table takes, so a
/// part's rows go into it by span copies. Held as a list of (RmmRecord, line) tuples, 5 M rows were 360 MB written
/// twice (each part's list, then the merged one) before the table's own columns were filled from it.
/// </summary>
public sealed class RmmRows(int capacity)
{
    private long[] _thread = new long[capacity], _time = new long[capacity], _pointer = new long[capacity],
        _size = new long[capacity], _stream = new long[capacity], _line = new long[capacity];
    private RmmAction[] _action = new RmmAction[capacity];

    public int Count { get; private set; }

    public ReadOnlySpan<long> Thread => _thread.AsSpan(0, Count);
    /// <summary>
    /// Each row's Time in one long (a column fewer of fresh memory a row): microseconds since midnight (≥ 0), or, where
    /// Time was epoch seconds, the bitwise complement of its UTC nanoseconds (&lt; 0: the seconds carry no sign). See
    /// <see cref="IsEpoch"/> and <see cref="EpochNs"/>.
    /// </summary>
    public ReadOnlySpan<long> Time => _time.AsSpan(0, Count);

    public static bool IsEpoch(long time) => time < 0;

    public static long EpochNs(long time) => ~time;

    public ReadOnlySpan<RmmAction> Action => _action.AsSpan(0, Count);
    public ReadOnlySpan<long> Pointer => _pointer.AsSpan(0, Count);
    public ReadOnlySpan<long> Size => _size.AsSpan(0, Count);
    public ReadOnlySpan<long> Stream => _stream.AsSpan(0, Count);
    /// <summary>1-based line numbers within the part (the reader shifts them to the file's).</summary>
    public ReadOnlySpan<long> Line => _line.AsSpan(0, Count);

    public void Add(in RmmRecord r, long line)
    {
        if (Count == _thread.Length) Grow();
        var i = Count++;
        _thread[i] = r.Thread;
        _time[i] = r.EpochSeconds is { } secs ? ~((long)Math.Round(secs * 1e6) * 1000) : r.TimeOfDayUs;
        _action[i] = r.Action;
        _pointer[i] = r.Pointer;
        _size[i] = r.Size;
        _stream[i] = r.Stream;
        _line[i] = line;
    }

    /// <summary>Adds <paramref name="by"/> to every line number: a part's lines become the file's.</summary>
    public void ShiftLines(long by)
    {
        foreach (ref var l in _line.AsSpan(0, Count)) l += by;
    }

    /// <summary>Row <paramref name="i"/> as a record: epoch seconds come back from their nanoseconds.</summary>
    public RmmRecord this[int i] => new(_thread[i], IsEpoch(_time[i]) ? -1 : _time[i], IsEpoch(_time[i]) ? EpochNs(_time[i]) / 1e9 : null,
        _action[i], _pointer[i], _size[i], _stream[i]);

    public IEnumerable<(RmmRecord Record, long Line)> Records()
    {
        for (var i = 0; i < Count; i++) yield return (this[i], _line[i]);
    }

    private void Grow()
    {
        var n = Math.Max(16, _thread.Length * 2);
        Array.Resize(ref _thread, n);
        Array.Resize(ref _time, n);
        Array.Resize(ref _action, n);
        Array.Resize(ref _pointer, n);
        Array.Resize(ref _size, n);
        Array.Resize(ref _stream, n);
        Array.Resize(ref _line, n);
    }
}
