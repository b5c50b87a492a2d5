using Memtrace.Pipeline.Collections;

namespace Memtrace.Pipeline.Fragmentation;

/// <summary>
/// Rasterises the pool's address space at evenly spaced instants. Segments are scattered over a
/// 47-bit address space, so the x axis is their union laid end to end in address order (as
/// memory_viz draws segments side by side); each cell is classed allocated, free, fragmented gap
/// (free, but in a block smaller than the reference request) or unmapped, and carries the stack that
/// owns most of its live bytes (what the report's hover shows). A pool is sampled at several levels
/// (each finer than the last) so a report can zoom without the raw events.
/// </summary>
public sealed class HeatmapSampler : ISpaceObserver
{
    private readonly (long Start, long End, long Offset)[] _ranges;
    private readonly long _total;
    private readonly int _timeBins;
    private readonly int _addrBins;
    private readonly long _t0;
    private readonly long _t1;
    private readonly long _reference;
    private readonly int _level;
    /// <summary>Address-bin bounds in the compacted space (A + 1 offsets), shared with the rasteriser so both bin alike.</summary>
    private readonly long[] _bounds;
    /// <summary>The sampling instant of each time bin: the state after every event at or before it.</summary>
    private readonly long[] _instants;
    /// <summary>Running sums per address bin, kept current by <see cref="ISpaceObserver"/> calls: mapped, free, fragmented-gap and live bytes.</summary>
    private readonly long[] _mapped, _free, _frag, _live;
    /// <summary>Per address bin, live bytes per stack (made on the bin's first live byte); entries that reach zero are removed.</summary>
    private readonly Dictionary<long, long>?[] _stackBytes;
    /// <summary>
    /// Per address bin, the stack holding most of its live bytes as of the last capture, and whether its tally changed
    /// since. A capture recomputes only the changed bins: magma27 ×100 (54 stacks over 320 bins, 1,400 events between
    /// captures, most in one copy's few bins) walked every (bin, stack) tally at each of 360 captures, ~8% of the replay.
    /// </summary>
    private readonly (long Stack, long Bytes)[] _top;
    private readonly bool[] _topStale;
    private readonly int[] _staleBins;
    private int _staleCount;
    /// <summary>The next coarser level, fed from this one (<see cref="TryFeed"/>), and how many of this level's bins make one of its.</summary>
    private HeatmapSampler? _coarser;
    private int _zoom;
    /// <summary>Whose per-bin stack tallies this level's top stacks come from, and how many of that level's bins make one of this one's.</summary>
    private HeatmapSampler _tallyOwner;
    private int _tallyBinsPerBin = 1;
    private readonly Dictionary<long, long> _merged = new();
    /// <summary>Per segment id: its compacted offset minus its start (long.MinValue: not seen).</summary>
    private long[] _segBase = [];
    /// <summary>Address bins per compacted byte: a bin's guess is a multiply (a divide per change was a visible share of the replay).</summary>
    private readonly double _binsPerByte;
    private int _nextBin;

    /// <summary>Stands for "no stack recorded" in the per-bin stack tally.</summary>
    private const long NoStack = long.MinValue;

    public HeatmapSampler(IEnumerable<(long Start, long Size)> everySegment, long t0, long t1, int timeBins, int addrBins, long referenceRequest, int level = 0)
    {
        _level = level;
        var merged = new List<(long Start, long End, long Offset)>();
        long offset = 0;
        // By start; equal starts may come in any order, as their union below is the same.
        foreach (var (s, size) in KeyOrder.Sorted(everySegment.ToArray(), x => x.Start))
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
        var width = (double)_total / Math.Max(1, _addrBins);
        _binsPerByte = 1 / width;
        _bounds = new long[_addrBins + 1];
        for (var b = 0; b < _addrBins; b++) _bounds[b] = (long)(b * width);
        _bounds[_addrBins] = _total;
        (_mapped, _free, _frag, _live) = (new long[_addrBins], new long[_addrBins], new long[_addrBins], new long[_addrBins]);
        (_stackBytes, _top, _topStale, _staleBins) = (new Dictionary<long, long>?[_addrBins], new (long, long)[_addrBins], new bool[_addrBins], new int[_addrBins]);
        _instants = new long[_timeBins];
        Cells = new List<HeatmapCell>(_timeBins * _addrBins);
        _tallyOwner = this;
        for (var bin = 0; bin < _timeBins; bin++) _instants[bin] = _t0 + (long)((double)(_t1 - _t0) * (bin + 1) / _timeBins);
    }

    public int Level => _level;

    /// <summary>This level's grid, for the rasteriser.</summary>
    public Gpu.HeatmapGrid Grid => new(_instants, _bounds);

    /// <summary>The cells captured so far, in (time bin, address bin) order; room for every bin's from the start (96,000 cells at the default levels, grown by doubling they were copied and faulted in again).</summary>
    public List<HeatmapCell> Cells { get; }

    private long EdgeOf(int bin) => _instants[bin];

    /// <summary>The time after which the next <see cref="Before"/> has a bin to emit; long.MaxValue when none is left, or when the level is <see cref="Derived"/>.</summary>
    public long NextEdge => _nextBin < _timeBins && !Derived ? EdgeOf(_nextBin) : long.MaxValue;

    /// <summary>Whether this level is summed from a finer one: it observes nothing, and captures when that one does.</summary>
    public bool Derived { get; private set; }

    /// <summary>
    /// Makes <paramref name="coarse"/> (this pool's next coarser level) a sum of this one. Where each of its address-bin bounds
    /// and instants is one of this level's (zoom Z: its bin b is bins Zb … Zb+Z−1 here, its instant k is instant Zk+Z−1), its
    /// sums are this level's bins added, exactly, and its top stacks come from the finest level's tallies merged; so one level
    /// observes the space's changes instead of each (the second level was ~25% of magma27 ×100's replay loop). False, and
    /// nothing changes, where the grids do not line up.
    /// </summary>
    public bool TryFeed(HeatmapSampler coarse)
    {
        if (coarse._addrBins == 0 || coarse._timeBins == 0 || _addrBins % coarse._addrBins != 0) return false;
        var z = _addrBins / coarse._addrBins;
        if (z < 2 || _timeBins != z * coarse._timeBins || _total != coarse._total || _reference != coarse._reference || _t1 != coarse._t1) return false;
        for (var b = 0; b <= coarse._addrBins; b++)
            if (coarse._bounds[b] != _bounds[b * z]) return false;
        for (var k = 0; k < coarse._timeBins; k++)
            if (coarse._instants[k] != _instants[k * z + z - 1]) return false;
        (_coarser, _zoom) = (coarse, z);
        (coarse.Derived, coarse._tallyOwner, coarse._tallyBinsPerBin) = (true, _tallyOwner, _tallyBinsPerBin * z);
        return true;
    }

    /// <summary>This level's sums from the finer level's, at the finer level's capture of this level's next instant.</summary>
    private void SumFrom(HeatmapSampler fine)
    {
        var z = fine._zoom;
        for (var b = 0; b < _addrBins; b++)
        {
            long mapped = 0, free = 0, frag = 0, live = 0;
            for (var j = b * z; j < (b + 1) * z; j++)
            {
                mapped += fine._mapped[j];
                free += fine._free[j];
                frag += fine._frag[j];
                live += fine._live[j];
            }
            (_mapped[b], _free[b], _frag[b], _live[b]) = (mapped, free, frag, live);
        }
        Capture(null);
    }

    /// <summary>Called before an event at <paramref name="ts"/> is applied: emits every bin that ended before it.</summary>
    public void Before(long ts, AddressSpace space)
    {
        while (_nextBin < _timeBins && ts > EdgeOf(_nextBin) && !Derived) Capture(space);
    }

    /// <summary>Emits the bins left (a <see cref="Derived"/> level's come with its finer level's).</summary>
    public void Finish(AddressSpace space)
    {
        while (_nextBin < _timeBins && !Derived) Capture(space);
    }

    /// <summary>
    /// Whether the sums are kept current by <see cref="ISpaceObserver"/> calls (set by <see cref="Attach"/>); until
    /// then each capture recounts them from a walk of the space. A walk costs the pool's segments and blocks, a change
    /// a few adds: a pool of 214 free blocks and 35,000 events between captures (the synthetic 10^8-event fleet) is
    /// cheaper walked, magma27 ×100 (67,000 segments and blocks, 1,400 events between captures) cheaper kept.
    /// </summary>
    public bool Incremental { get; private set; }

    /// <summary>Recounts the sums from a walk of the space and from now on keeps them per change (the caller routes the space's changes here).</summary>
    public void Attach(AddressSpace space)
    {
        Recount(space);
        Incremental = true;
    }

    private void Recount(AddressSpace space)
    {
        Array.Clear(_mapped);
        Array.Clear(_free);
        Array.Clear(_frag);
        Array.Clear(_live);
        foreach (var tally in _stackBytes) tally?.Clear();
        for (var b = 0; b < _addrBins; b++) MarkStale(b);
        foreach (var seg in space.Segments.OrderBy(s => s.Id)) SegmentChanged(seg, +1);
        foreach (var (s, e, segment) in space.Free.Blocks()) FreeChanged(s, e, segment, +1);
        foreach (var (addr, block) in space.LiveBlocks()) LiveChanged(addr, block.Size, block.Segment, block.StackId ?? BlockArena.NoStack, +1);
    }

    /// <summary>The compacted offset of a device address (segments laid end to end in address order).</summary>
    public long OffsetOf(long addr)
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

    /// <summary>Adds sign × the bytes of [from, to) to each address bin it overlaps (and to the stack's tally when given).</summary>
    private void Add(long[] bins, long from, long to, int sign, long stack = long.MaxValue)
    {
        if (to <= from) return;
        for (var b = FirstBinEndingAfter(from); b < _addrBins && _bounds[b] < to; b++)
        {
            var lo = Math.Max(from, _bounds[b]);
            var hi = Math.Min(to, _bounds[b + 1]);
            if (hi <= lo) continue;
            bins[b] += sign * (hi - lo);
            if (stack == long.MaxValue) continue;
            var tally = _stackBytes[b] ??= new Dictionary<long, long>();
            ref var bytes = ref System.Runtime.InteropServices.CollectionsMarshal.GetValueRefOrAddDefault(tally, stack, out _);
            bytes += sign * (hi - lo);
            if (bytes == 0) tally.Remove(stack);
            MarkStale(b);
        }
    }

    private void MarkStale(int bin)
    {
        if (_topStale[bin]) return;
        _topStale[bin] = true;
        _staleBins[_staleCount++] = bin;
        _coarser?.MarkStale(bin / _zoom);
    }

    /// <summary>Brings each changed bin's top stack up to date: most live bytes, the smaller stack id on a tie.</summary>
    private void RefreshTop()
    {
        for (var i = 0; i < _staleCount; i++)
        {
            var b = _staleBins[i];
            _topStale[b] = false;
            var tally = _tallyBinsPerBin == 1 ? _tallyOwner._stackBytes[b] : Merged(b);
            var top = (Stack: 0L, Bytes: 0L);
            if (tally is not null)
            {
                // A merged stack's bytes may add up to 0: it holds none of the bin, as a tally of its own would have dropped it.
                foreach (var (stack, bytes) in tally)
                    if (bytes != 0 && (bytes > top.Bytes || (bytes == top.Bytes && stack < top.Stack))) top = (stack, bytes);
            }
            _top[b] = top;
        }
        _staleCount = 0;
    }

    /// <summary>Live bytes per stack over the finest level's bins that make bin <paramref name="b"/> of this one.</summary>
    private Dictionary<long, long> Merged(int b)
    {
        _merged.Clear();
        for (var j = b * _tallyBinsPerBin; j < (b + 1) * _tallyBinsPerBin; j++)
        {
            if (_tallyOwner._stackBytes[j] is not { } tally) continue;
            foreach (var (stack, bytes) in tally) System.Runtime.InteropServices.CollectionsMarshal.GetValueRefOrAddDefault(_merged, stack, out _) += bytes;
        }
        return _merged;
    }

    /// <summary><see cref="Gpu.HeatmapGrid.FirstBinEndingAfter"/> from the uniform width's guess, corrected by a step or two.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    private int FirstBinEndingAfter(long x)
    {
        var b = (int)Math.Clamp(x * _binsPerByte, 0, _addrBins - 1);
        while (b > 0 && _bounds[b] > x) b--;
        while (b < _addrBins - 1 && _bounds[b + 1] <= x) b++;
        return b;
    }

    /// <summary>The compacted offset of an address inside segment <paramref name="segment"/>: one add, no search.</summary>
    private long OffsetIn(long addr, int segment) =>
        (uint)segment < (uint)_segBase.Length && _segBase[segment] != long.MinValue ? _segBase[segment] + addr : OffsetOf(addr);

    public void SegmentChanged(Segment segment, int sign)
    {
        var o = OffsetOf(segment.Start);
        if (sign > 0)
        {
            if (segment.Id >= _segBase.Length)
            {
                var grown = new long[Math.Max(segment.Id + 1, _segBase.Length * 2)];
                Array.Fill(grown, long.MinValue);
                _segBase.CopyTo(grown, 0);
                _segBase = grown;
            }
            _segBase[segment.Id] = o - segment.Start;
        }
        Add(_mapped, o, o + segment.Size, sign);
    }

    public void FreeChanged(long start, long end, int segment, int sign)
    {
        var o = OffsetIn(start, segment);
        Add(_free, o, o + (end - start), sign);
        if (end - start < _reference) Add(_frag, o, o + (end - start), sign);
    }

    /// <summary>Only the part that changed is moved: a carve from the front subtracts [oldStart, start), a merge adds the grown part.</summary>
    public void FreeResized(long oldStart, long oldEnd, long start, long end, int segment)
    {
        var (oldSize, size) = (oldEnd - oldStart, end - start);
        var o = OffsetIn(oldStart, segment);
        var n = o + (start - oldStart);
        AddDifference(_free, o, o + oldSize, n, n + size);
        var (wasFrag, isFrag) = (oldSize < _reference, size < _reference);
        if (wasFrag && isFrag) AddDifference(_frag, o, o + oldSize, n, n + size);
        else if (wasFrag) Add(_frag, o, o + oldSize, -1);
        else if (isFrag) Add(_frag, n, n + size, +1);
    }

    /// <summary>bins − [oldFrom, oldTo) + [from, to), touching only the bins where the two ranges differ.</summary>
    private void AddDifference(long[] bins, long oldFrom, long oldTo, long from, long to)
    {
        if (to <= oldFrom || oldTo <= from)
        {
            Add(bins, oldFrom, oldTo, -1);
            Add(bins, from, to, +1);
            return;
        }
        if (from < oldFrom) Add(bins, from, oldFrom, +1);
        else Add(bins, oldFrom, from, -1);
        if (to > oldTo) Add(bins, oldTo, to, +1);
        else Add(bins, to, oldTo, -1);
    }

    public void LiveChanged(long start, long size, int segment, long stackId, int sign)
    {
        var o = OffsetIn(start, segment);
        Add(_live, o, o + size, sign, stackId == BlockArena.NoStack ? NoStack : stackId);
    }

    /// <summary>A cell's class: the majority of its bytes, with fragmented gaps split out of free space.</summary>
    public static string Classify(double binBytes, double mapped, double allocated, double free, double fragmented) =>
        mapped < binBytes / 2 ? "unmapped"
        : allocated >= free ? "allocated"
        : fragmented * 2 > free ? "fragmented" : "free";

    /// <summary>One time bin's cells from the sums: O(address bins + the stack tallies of the bins changed since the last capture) when they are kept per change.</summary>
    private void Capture(AddressSpace? space)
    {
        if (!Incremental && !Derived) Recount(space!);
        var bin = _nextBin++;
        RefreshTop();
        var top = _top;
        var ts = Math.Min(EdgeOf(bin), _t1);
        for (var a = 0; a < _addrBins; a++)
        {
            var (lo, hi) = (_bounds[a], _bounds[a + 1]);
            double binBytes = Math.Max(1, hi - lo);
            var allocated = Math.Max(0, (double)_mapped[a] - _free[a]);
            var (topStack, topBytes) = top[a];
            Cells.Add(new HeatmapCell(_level, bin, a, ts, lo, hi, AddressOf(lo), allocated / binBytes, _frag[a] / binBytes,
                Classify(binBytes, _mapped[a], allocated, _free[a], _frag[a]), topBytes > 0 && topStack != NoStack ? topStack : null, topBytes)
            {
                MappedBytes = _mapped[a],
                FreeBytes = _free[a],
                FragmentedBytes = _frag[a],
                SampledLiveBytes = _live[a],
            });
        }
        if (_coarser is { } coarse && (bin + 1) % _zoom == 0) coarse.SumFrom(this);
    }
}
