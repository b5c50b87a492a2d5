namespace Memtrace.Pipeline.Fragmentation;

/// <summary>
/// Collapses per-event states into time buckets. Each row reports the state after the bucket's last
/// event plus the exact extremes inside the bucket, so a one-event spike is never averaged away.
/// Call <see cref="Begin"/> before applying an event (it closes the previous bucket while the state
/// still reflects it) and <see cref="After"/> once the event is applied.
/// </summary>
public sealed class TimelineAccumulator(long bucketNs, long origin, List<TimelineRow> sink, Func<long, long, long, TimelineRow> snapshot)
{
    private long _bucket = long.MinValue;
    /// <summary>The bucket's time range [start, end): an event inside it needs no division (a 64-bit divide per event was a tenth of the replay).</summary>
    private long _bucketStart = long.MaxValue;
    private long _bucketEnd = long.MinValue;
    private long _events;
    private double _fragMax;
    private long _lMin = long.MaxValue;
    private long _reservedMax;
    private long _allocatedMax;
    private long _lastSeq;
    private long _lastTs;

    /// <summary>Before an event is applied: closes the previous bucket when this event starts another.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    public void Begin(long seq, long ts)
    {
        if (bucketNs > 0 && ts >= _bucketStart && ts < _bucketEnd) return;
        NextBucket(seq, ts);
    }

    private void NextBucket(long seq, long ts)
    {
        var b = bucketNs <= 0 ? seq : (ts - origin) / bucketNs;
        if (b != _bucket && _events > 0) Close();
        _bucket = b;
        if (bucketNs > 0 && ts >= origin)
        {
            _bucketStart = origin + b * bucketNs;
            _bucketEnd = _bucketStart + bucketNs;
        }
    }

    /// <summary>Folds the state after an event into the bucket: free bytes F, largest free block L, reserved, allocated.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    public void After(long seq, long ts, long f, long l, long reserved, long allocated)
    {
        _events++;
        // Plain comparisons, not Math.Max/Min: the double overload handles NaN and −0 on every call, and none can occur here.
        var frag = FragMetrics.FragRate(f, l);
        if (frag > _fragMax) _fragMax = frag;
        if (l < _lMin) _lMin = l;
        if (reserved > _reservedMax) _reservedMax = reserved;
        if (allocated > _allocatedMax) _allocatedMax = allocated;
        _lastSeq = seq;
        _lastTs = ts;
    }

    public void Flush()
    {
        if (_events > 0) Close();
    }

    private void Close()
    {
        sink.Add(snapshot(_lastSeq, _lastTs, _events) with
        {
            FragRateMax = _fragMax,
            LargestFreeMin = _lMin,
            ReservedMax = _reservedMax,
            AllocatedMax = _allocatedMax,
        });
        _events = 0;
        _fragMax = 0;
        _lMin = long.MaxValue;
        _reservedMax = 0;
        _allocatedMax = 0;
    }
}
