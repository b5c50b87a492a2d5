using Memtrace.Pipeline.Collections;

namespace Memtrace.Pipeline.Fragmentation;

/// <summary>Told when a block becomes live and when it stops being live (freed, or dropped with its segment).</summary>
public interface IBlockLifetimeObserver
{
    void Opened(long address, long size);
    void Closed(long address, long size);
}

/// <summary>
/// Live blocks as rectangles in (compacted address offset × time): [OffsetStart, OffsetEnd) ×
/// [TStart, TEnd), where TStart ≤ t &lt; TEnd means live at t. A block live before the trace starts at
/// long.MinValue; one still live at the end ends at long.MaxValue. The heatmap rasteriser reads them.
/// </summary>
public sealed class LiveIntervals
{
    public List<long> OffsetStart { get; } = new();
    public List<long> OffsetEnd { get; } = new();
    public List<long> TStart { get; } = new();
    public List<long> TEnd { get; } = new();
    public int Count => OffsetStart.Count;

    public void Add(long offsetStart, long offsetEnd, long tStart, long tEnd)
    {
        OffsetStart.Add(offsetStart);
        OffsetEnd.Add(offsetEnd);
        TStart.Add(tStart);
        TEnd.Add(tEnd);
    }
}

/// <summary>
/// Records each live block's lifetime during the replay, keeping only those live at one of the
/// heatmap's sampling instants at least (most blocks live between two instants and never show).
/// </summary>
public sealed class LiveIntervalRecorder(Func<long, long> offsetOf, long[] instants) : IBlockLifetimeObserver
{
    private readonly LongIntMap _openIndex = new();
    private readonly List<(long Start, long Size, long Since)> _open = new();
    private readonly Stack<int> _freeSlots = new();
    private readonly long[] _instants = instants.Order().ToArray();

    public LiveIntervals Intervals { get; } = new();

    /// <summary>The time of the event being applied; long.MinValue while the state before the trace is built.</summary>
    public long Now { get; set; } = long.MinValue;

    public void Opened(long address, long size)
    {
        var slot = _freeSlots.Count > 0 ? _freeSlots.Pop() : _open.Count;
        if (slot == _open.Count) _open.Add(default);
        _open[slot] = (address, size, Now);
        _openIndex.Set(address, slot);
    }

    public void Closed(long address, long size)
    {
        if (!_openIndex.TryGetValue(address, out var slot)) return;
        _openIndex.Remove(address);
        _freeSlots.Push(slot);
        Keep(_open[slot], Now);
    }

    /// <summary>Closes every block still live at long.MaxValue.</summary>
    public LiveIntervals Finish()
    {
        var open = new List<(long Start, long Size, long Since)>();
        for (var slot = 0; slot < _open.Count; slot++)
            if (_openIndex.TryGetValue(_open[slot].Start, out var s) && s == slot) open.Add(_open[slot]);
        foreach (var o in KeyOrder.Sorted(open.ToArray(), o => o.Start)) Keep(o, long.MaxValue); // one open block an address
        _openIndex.Clear();
        return Intervals;
    }

    private void Keep((long Start, long Size, long Since) block, long until)
    {
        // Live at some instant t: Since ≤ t < until. The first instant ≥ Since must come before until.
        int lo = 0, hi = _instants.Length;
        while (lo < hi)
        {
            var mid = (lo + hi) >> 1;
            if (_instants[mid] < block.Since) lo = mid + 1;
            else hi = mid;
        }
        if (lo == _instants.Length || _instants[lo] >= until) return;
        var o = offsetOf(block.Start);
        Intervals.Add(o, o + block.Size, block.Since, until);
    }
}
