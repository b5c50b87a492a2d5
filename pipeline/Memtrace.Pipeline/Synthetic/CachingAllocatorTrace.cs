using Memtrace.Pipeline.Fragmentation;

namespace Memtrace.Pipeline.Synthetic;

/// <summary>
/// A deterministic event stream shaped like the PyTorch CUDA caching allocator's: requests round to
/// 512 bytes, those of at most 1 MiB come from 2 MiB small-pool segments and larger ones from 20 MiB
/// segments (or their own, rounded to 2 MiB, from 10 MiB up); the best-fitting free block of the pool
/// is carved from its start and split by <see cref="TorchRules.ShouldSplit"/>; frees merge with free
/// neighbours of the same segment (c10/cuda/CUDACachingAllocator.cpp: get_free_block, alloc_block,
/// free_block). Request sizes are drawn from a given sample — the real snapshots' — so the size mix,
/// and with it the fragmentation, looks like a real training job.
/// </summary>
public sealed class CachingAllocatorTrace
{
    private const long LargeBuffer = 20L << 20;
    private const long MinLargeAlloc = 10L << 20;
    private const long RoundLarge = 2L << 20;

    private readonly record struct Block(long Size, bool Free, long Segment, bool Small);

    private readonly SizeOrderedBlocks _freeSmall = new();
    private readonly SizeOrderedBlocks _freeLarge = new();
    private readonly Dictionary<long, Block> _blocks = new();
    private readonly Dictionary<long, long> _startOfEnd = new();
    private readonly List<long> _live = new();
    private readonly Dictionary<long, int> _liveIndex = new();
    private readonly Random _rng;
    private readonly long[] _sizes;
    private readonly int _targetLive;
    private readonly GpuDistributions? _real;
    /// <summary>With drawn lifetimes: each live block's free is due at its birth plus a lifetime; earliest first.</summary>
    private readonly PriorityQueue<long, (long Due, long Seq)> _dueFrees = new();
    private long _nextSegment = 0x7f00_0000_0000L;
    private long _seq;
    private long _ts;

    public CachingAllocatorTrace(long[] requestSizes, int seed, int targetLive = 2_000)
    {
        if (requestSizes.Length == 0) throw new ArgumentException("no request sizes to draw from", nameof(requestSizes));
        _sizes = requestSizes;
        _rng = new Random(seed);
        _targetLive = Math.Max(1, targetLive);
    }

    /// <summary>
    /// Sizes, gaps between events and lifetimes all drawn from a real trace's: the next event comes a
    /// drawn gap later; it is the earliest free that has fallen due, else an allocation whose free is
    /// scheduled a drawn lifetime ahead. The live set is what those distributions make it.
    /// </summary>
    public CachingAllocatorTrace(GpuDistributions real, int seed, long startNs)
        : this(real.RequestSizes, seed, targetLive: 1)
    {
        _real = real;
        _ts = startNs;
    }

    /// <summary>Live block addresses right now (the generator's own state, for checks).</summary>
    public int LiveCount => _live.Count;

    /// <summary>The next <paramref name="count"/> events (segment reservations included).</summary>
    public PoolEvent[] Next(int count)
    {
        var events = new List<PoolEvent>(count + 16);
        while (events.Count < count)
        {
            if (_real is { } real)
            {
                _ts += real.GapsNs[_rng.Next(real.GapsNs.Length)];
                if (_dueFrees.TryPeek(out var due, out var when) && when.Due <= _ts)
                {
                    _dueFrees.Dequeue();
                    Free(events, _liveIndex[due]);
                }
                else
                {
                    Allocate(_sizes[_rng.Next(_sizes.Length)], events);
                    _dueFrees.Enqueue(_live[^1], (_ts + real.LifetimesNs[_rng.Next(real.LifetimesNs.Length)], _seq));
                }
                continue;
            }
            var allocate = _live.Count == 0 || _rng.NextDouble() < Math.Clamp(0.5 + 0.4 * (_targetLive - _live.Count) / _targetLive, 0.1, 0.9);
            _ts += 1_000 + _rng.Next(9_000);
            if (allocate) Allocate(_sizes[_rng.Next(_sizes.Length)], events);
            else Free(events, _rng.Next(_live.Count));
        }
        return events.Take(count).ToArray();
    }

    private SizeOrderedBlocks FreeSet(bool small) => small ? _freeSmall : _freeLarge;

    private void Allocate(long request, List<PoolEvent> events)
    {
        var size = TorchRules.RoundSize(Math.Max(1, request));
        var small = size <= TorchRules.SmallSize;
        var set = FreeSet(small);
        long addr;
        if (set.BestFit(size) is not { } fit)
        {
            var segSize = small ? TorchRules.SmallBuffer : size < MinLargeAlloc ? LargeBuffer : (size + RoundLarge - 1) / RoundLarge * RoundLarge;
            addr = _nextSegment;
            _nextSegment += segSize + RoundLarge; // segments are scattered, never adjacent
            events.Add(new PoolEvent(_seq++, _ts, AllocOp.SegmentAlloc, addr, segSize, null, null, null, false));
            _blocks[addr] = new Block(segSize, true, addr, small);
            _startOfEnd[addr + segSize] = addr;
            set.Add((segSize, addr));
        }
        else addr = fit.Addr;
        var block = _blocks[addr];
        set.Remove((block.Size, addr));
        var liveSize = block.Size;
        if (TorchRules.ShouldSplit(block.Size - size, small))
        {
            liveSize = size;
            var rest = addr + size;
            _blocks[rest] = new Block(block.Size - size, true, block.Segment, small);
            _startOfEnd[rest + block.Size - size] = rest;
            set.Add((block.Size - size, rest));
        }
        _blocks[addr] = block with { Size = liveSize, Free = false };
        _startOfEnd[addr + liveSize] = addr;
        _liveIndex[addr] = _live.Count;
        _live.Add(addr);
        events.Add(new PoolEvent(_seq++, _ts, AllocOp.Alloc, addr, request, liveSize, 1 + _rng.Next(64), null, false));
    }

    private void Free(List<PoolEvent> events, int k)
    {
        var addr = _live[k];
        _live[k] = _live[^1];
        _liveIndex[_live[k]] = k;
        _live.RemoveAt(_live.Count - 1);
        _liveIndex.Remove(addr);
        var block = _blocks[addr];
        events.Add(new PoolEvent(_seq++, _ts, AllocOp.Free, addr, block.Size, block.Size, null, null, false));
        var (start, end) = (addr, addr + block.Size);
        var set = FreeSet(block.Small);
        if (_blocks.TryGetValue(end, out var next) && next.Free && next.Segment == block.Segment)
        {
            set.Remove((next.Size, end));
            _blocks.Remove(end);
            _startOfEnd.Remove(end + next.Size);
            end += next.Size;
        }
        if (_startOfEnd.TryGetValue(start, out var prevStart) && _blocks[prevStart] is { Free: true } prev && prev.Segment == block.Segment)
        {
            set.Remove((prev.Size, prevStart));
            _blocks.Remove(start);
            _startOfEnd.Remove(start);
            start = prevStart;
        }
        _startOfEnd.Remove(addr + block.Size);
        _blocks[start] = new Block(end - start, true, block.Segment, block.Small);
        _startOfEnd[end] = start;
        set.Add((end - start, start));
    }
}

/// <summary>
/// Free blocks ordered by (size, address), with a best-fit lookup: the smallest block of at least a size, the
/// lowest address among equals (the caching allocator's rule). A sorted array with binary search: the
/// generator's free lists hold a few thousand blocks, where a memmove on insert is cheaper than the
/// SortedSet view it replaces, whose construction counted every element of the view (17% of `memtrace gen`).
/// </summary>
internal sealed class SizeOrderedBlocks
{
    private readonly List<(long Size, long Addr)> _blocks = [];

    public (long Size, long Addr)? BestFit(long size)
    {
        var i = LowerBound((size, long.MinValue));
        return i < _blocks.Count ? _blocks[i] : null;
    }

    public void Add((long Size, long Addr) block) => _blocks.Insert(LowerBound(block), block);

    public void Remove((long Size, long Addr) block)
    {
        var i = LowerBound(block);
        if (i < _blocks.Count && _blocks[i] == block) _blocks.RemoveAt(i);
    }

    private int LowerBound((long Size, long Addr) key)
    {
        int lo = 0, hi = _blocks.Count;
        while (lo < hi)
        {
            var mid = (lo + hi) >>> 1;
            if (_blocks[mid].CompareTo(key) < 0) lo = mid + 1;
            else hi = mid;
        }
        return lo;
    }
}
