namespace Memtrace.Pipeline.Fragmentation;

/// <summary>
/// Rasterises the pool's address space at evenly spaced instants. Segments are scattered over a
/// 47-bit address space, so the x axis is their union laid end to end in address order (as
/// memory_viz draws segments side by side); each cell is classed allocated, free, fragmented gap
/// (free, but in a block smaller than the reference request) or unmapped, and carries the stack that
/// owns most of its live bytes (what the report's hover shows). A pool is sampled at several levels
/// (each finer than the last) so a report can zoom without the raw events.
/// </summary>
public sealed class HeatmapSampler
{
    private readonly (long Start, long End, long Offset)[] _ranges;
    private readonly long _total;
    private readonly int _timeBins;
    private readonly int _addrBins;
    private readonly long _t0;
    private readonly long _t1;
    private readonly long _reference;
    private readonly List<HeatmapCell> _sink;
    private readonly int _level;
    private readonly Dictionary<(int Bin, long Stack), long> _stackBytes = new();
    private int _nextBin;

    /// <summary>Stands for "no stack recorded" in the per-bin stack tally.</summary>
    private const long NoStack = long.MinValue;

    public HeatmapSampler(IEnumerable<(long Start, long Size)> everySegment, long t0, long t1, int timeBins, int addrBins, long referenceRequest, List<HeatmapCell> sink, int level = 0)
    {
        _level = level;
        var merged = new List<(long Start, long End, long Offset)>();
        long offset = 0;
        foreach (var (s, size) in everySegment.OrderBy(x => x.Start))
        {
            var e = s + size;
            if (merged.Count > 0 && s <= merged[^1].End)
            {
                var last = merged[^1];
                if (e > last.End)
                {
                    offset += e - last.End;
                    merged[^1] = (last.Start, e, last.Offset);
                }
                continue;
            }
            merged.Add((s, e, offset));
            offset += size;
        }
        _ranges = merged.ToArray();
        _total = offset;
        _t0 = t0;
        _t1 = Math.Max(t1, t0 + 1);
        _timeBins = _total == 0 ? 0 : timeBins;
        _addrBins = (int)Math.Min(addrBins, Math.Max(1, _total));
        _reference = Math.Max(1, referenceRequest);
        _sink = sink;
    }

    private long EdgeOf(int bin) => _t0 + (long)((double)(_t1 - _t0) * (bin + 1) / _timeBins);

    /// <summary>Called before an event at <paramref name="ts"/> is applied: emits every bin that ended before it.</summary>
    public void Before(long ts, AddressSpace space)
    {
        while (_nextBin < _timeBins && ts > EdgeOf(_nextBin)) Capture(space);
    }

    public void Finish(AddressSpace space)
    {
        while (_nextBin < _timeBins) Capture(space);
    }

    private long OffsetOf(long addr)
    {
        int lo = 0, hi = _ranges.Length - 1;
        while (lo < hi)
        {
            var mid = (lo + hi + 1) / 2;
            if (_ranges[mid].Start <= addr) lo = mid;
            else hi = mid - 1;
        }
        var r = _ranges[lo];
        return r.Offset + Math.Clamp(addr - r.Start, 0, r.End - r.Start);
    }

    /// <summary>The address at a compacted offset (the first byte of a bin).</summary>
    private long AddressOf(long offset)
    {
        int lo = 0, hi = _ranges.Length - 1;
        while (lo < hi)
        {
            var mid = (lo + hi + 1) / 2;
            if (_ranges[mid].Offset <= offset) lo = mid;
            else hi = mid - 1;
        }
        return _ranges.Length == 0 ? offset : _ranges[lo].Start + (offset - _ranges[lo].Offset);
    }

    private void Add(double[] bins, long from, long to, long? stack = null)
    {
        if (to <= from) return;
        var width = (double)_total / _addrBins;
        var b0 = (int)Math.Min(_addrBins - 1, from / width);
        var b1 = (int)Math.Min(_addrBins - 1, (to - 1) / width);
        for (var b = b0; b <= b1; b++)
        {
            var lo = Math.Max(from, (long)(b * width));
            var hi = Math.Min(to, b == _addrBins - 1 ? _total : (long)((b + 1) * width));
            if (hi <= lo) continue;
            bins[b] += hi - lo;
            if (stack is { } st) _stackBytes[(b, st)] = _stackBytes.GetValueOrDefault((b, st)) + (hi - lo);
        }
    }

    private void Capture(AddressSpace space)
    {
        var bin = _nextBin++;
        var mapped = new double[_addrBins];
        var free = new double[_addrBins];
        var frag = new double[_addrBins];
        foreach (var seg in space.Segments)
        {
            var o = OffsetOf(seg.Start);
            Add(mapped, o, o + seg.Size);
        }
        foreach (var (s, e, _) in space.Free.Blocks())
        {
            var o = OffsetOf(s);
            Add(free, o, o + (e - s));
            if (e - s < _reference) Add(frag, o, o + (e - s));
        }
        var live = new double[_addrBins];
        _stackBytes.Clear();
        foreach (var (addr, block) in space.Live)
        {
            var o = OffsetOf(addr);
            Add(live, o, o + block.Size, block.StackId ?? NoStack);
        }
        var top = new (long Stack, long Bytes)[_addrBins];
        foreach (var ((b, stack), bytes) in _stackBytes)
            if (bytes > top[b].Bytes || (bytes == top[b].Bytes && stack < top[b].Stack)) top[b] = (stack, bytes);
        var width = (double)_total / _addrBins;
        var ts = Math.Min(EdgeOf(bin), _t1);
        for (var a = 0; a < _addrBins; a++)
        {
            var lo = (long)(a * width);
            var hi = a == _addrBins - 1 ? _total : (long)((a + 1) * width);
            double binBytes = Math.Max(1, hi - lo);
            var allocated = Math.Max(0, mapped[a] - free[a]);
            var state = mapped[a] < binBytes / 2 ? "unmapped"
                : allocated >= free[a] ? "allocated"
                : frag[a] * 2 > free[a] ? "fragmented" : "free";
            var (topStack, topBytes) = top[a];
            _sink.Add(new HeatmapCell(_level, bin, a, ts, lo, hi, AddressOf(lo), allocated / binBytes, frag[a] / binBytes, state,
                topBytes > 0 && topStack != NoStack ? topStack : null, topBytes));
        }
    }
}
