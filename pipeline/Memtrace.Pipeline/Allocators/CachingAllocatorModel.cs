namespace Memtrace.Pipeline.Allocators;

/// <summary>
/// PyTorch's CUDA caching allocator (c10/cuda/CUDACachingAllocator.cpp, DeviceCachingAllocator) for one device,
/// as a model: the same pools, search order, split and release rules, over a simulated driver. Written from
/// the upstream source; each method names the upstream function it follows. Not modelled (docs/whatif.md):
/// CUDA graph capture (private pools take only the requests the trace placed in them), free-memory callbacks,
/// IPC, and multi-device peer access.
/// </summary>
public sealed partial class CachingAllocatorModel
{
    public const string DefaultPoolId = "0,0";
    public const long MinBlockSize = 512;          // kMinBlockSize
    public const long SmallSize = 1 << 20;         // kSmallSize
    public const long SmallBuffer = 2 << 20;       // kSmallBuffer
    public const long LargeBuffer = 20 << 20;      // kLargeBuffer
    public const long MinLargeAlloc = 10 << 20;    // kMinLargeAlloc
    public const long RoundLarge = 2 << 20;        // kRoundLarge
    /// <summary>Requests above 1 PiB fail at once: no device holds them (cudaMalloc would refuse), and the arithmetic stays far from overflow.</summary>
    public const long MaxRequest = 1L << 50;

    private readonly AllocatorConfig _config;
    private readonly IDeviceDriver _driver;
    private readonly Dictionary<string, (BlockPool Small, BlockPool Large)> _pools = new(StringComparer.Ordinal);
    private readonly Dictionary<long, SimBlock> _active = [];
    private readonly bool _trackActive;
    /// <summary>Blocks freed by the program but waiting on their streams (free_requested without free_completed yet).</summary>
    private readonly HashSet<SimBlock> _pending = [];
    private readonly List<ExpandableSegment> _expandable = [];
    private readonly long _deviceTotal;
    private readonly long? _allowedMaximum;
    private readonly (BlockPool Small, BlockPool Large) _defaultPools;
    private readonly SpareBlocks _spare;

    /// <param name="deviceTotal">The device's memory, for the expandable address reservation (9/8 of it) and a memory fraction.</param>
    /// <param name="trackActive">Keep every handed-out block by address (<see cref="Active"/>, <see cref="Snapshot"/>, <see cref="Carve"/>): the
    /// proof needs it; a what-if replay keeps its own map, and two hash updates per request were a fifth of its time.</param>
    /// <param name="spare">Blocks to build from before new ones: those an earlier replay on this worker finished with (<see cref="Retire"/>).</param>
    public CachingAllocatorModel(AllocatorConfig config, IDeviceDriver driver, long deviceTotal, bool trackActive = true, SpareBlocks? spare = null)
    {
        _spare = spare ?? new SpareBlocks();
        _trackActive = trackActive;
        _config = config;
        _driver = driver;
        _deviceTotal = deviceTotal;
        _allowedMaximum = config.MemoryFraction is { } f ? (long)(f * deviceTotal) : null;
        _defaultPools = PoolsOf(DefaultPoolId);
    }

    /// <summary>total_allocated_memory: bytes reserved from the device (segments, mapped pages).</summary>
    public long Reserved { get; private set; }
    public long PeakReserved { get; private set; }
    /// <summary>stats.allocated_bytes: bytes of blocks handed to the program and not yet freed.</summary>
    public long Allocated { get; private set; }
    public long PeakAllocated { get; private set; }
    public long Retries { get; private set; }
    /// <summary>Requests the cache could not serve, so that alloc_block consulted the device (its capacity, the memory fraction).</summary>
    public long CacheMisses { get; private set; }
    /// <summary>Called with each segment event as the model issues it, in order.</summary>
    public Action<SegmentOp>? OnSegmentOp { get; set; }

    /// <summary>Blocks handed out, by address: all of them when tracking, else only those <see cref="Load"/> put there.</summary>
    public IReadOnlyDictionary<long, SimBlock> Active => _active;

    public (BlockPool Small, BlockPool Large) PoolsOf(string poolId)
    {
        // Nearly every request is the default pool's: no hashing of its id per request.
        if (ReferenceEquals(poolId, DefaultPoolId) && _defaultPools.Small is not null) return _defaultPools;
        if (!_pools.TryGetValue(poolId, out var p)) _pools[poolId] = p = (new BlockPool(true, poolId), new BlockPool(false, poolId));
        return p;
    }

    public IEnumerable<BlockPool> AllPools => _pools.Values.SelectMany(p => new[] { p.Small, p.Large });

    /// <summary>round_size: 512-byte multiples, or the next power-of-two division where roundup_power2_divisions asks.</summary>
    public long RoundSize(long size) => RoundSize(size, _config);

    public static long RoundSize(long size, AllocatorConfig config)
    {
        if (size < MinBlockSize) return MinBlockSize;
        var divisions = config.DivisionsFor(size);
        if (divisions > 1 && size > MinBlockSize * divisions) return RoundupPower2NextDivision(size, divisions);
        return MinBlockSize * ((size + MinBlockSize - 1) / MinBlockSize);
    }

    /// <summary>roundup_power2_next_division: 1200 with 4 divisions of [1024, 2048) rounds to 1280.</summary>
    public static long RoundupPower2NextDivision(long size, int divisions)
    {
        if ((size & (size - 1)) == 0) return size;
        var floor = 1L << System.Numerics.BitOperations.Log2((ulong)size);
        var step = floor >> System.Numerics.BitOperations.Log2((uint)divisions);
        if (step == 0) return floor << 1;
        var roundFloor = size & ~(step - 1);
        return roundFloor == size ? size : roundFloor + step;
    }

    /// <summary>get_allocation_size: 2 MiB for small requests, 20 MiB below 10 MiB, else rounded up to 2 MiB.</summary>
    public static long AllocationSize(long size) =>
        size <= SmallSize ? SmallBuffer : size < MinLargeAlloc ? LargeBuffer : RoundLarge * ((size + RoundLarge - 1) / RoundLarge);

    /// <summary>should_split: the small pool (and every expandable segment) splits a remainder of 512 bytes or more; the large pool one over 1 MiB, for requests under max_split_size.</summary>
    public bool ShouldSplit(SimBlock block, long size)
    {
        var remaining = block.Size - size;
        return block.Pool.IsSmall || _config.ExpandableSegments ? remaining >= MinBlockSize : size < _config.MaxSplitSize && remaining > SmallSize;
    }

    private bool CollectingGarbage => CollectsGarbage(_config);

    /// <summary>Whether garbage_collection_threshold is in force: it needs a memory fraction, a share of the device's memory.</summary>
    public static bool CollectsGarbage(AllocatorConfig config) => config.MemoryFraction is not null && config.GarbageCollectionThreshold > 0;

    /// <summary>DeviceCachingAllocator::malloc. Returns null on an OOM (the program's CUDA out-of-memory error).</summary>
    public SimBlock? Malloc(long origSize, long stream, string poolId = DefaultPoolId)
    {
        if (origSize > MaxRequest) return null;
        var size = RoundSize(origSize);
        var pools = PoolsOf(poolId);
        var pool = size <= SmallSize ? pools.Small : pools.Large;
        var allocSize = AllocationSize(size);
        var found = GetFreeBlock(pool, stream, size);
        if (found is null)
        {
            if (CollectingGarbage) GarbageCollectCachedBlocks();
            found = AllocBlock(pool, stream, size, allocSize, false)
                ?? (ReleaseAvailableCachedBlocks(pool, stream, size) ? AllocBlock(pool, stream, size, allocSize, false) : null)
                ?? (ReleaseCachedBlocks() ? AllocBlock(pool, stream, size, allocSize, true) : null);
        }
        return found is null ? null : AllocFoundBlock(found, size, origSize, ShouldSplit(found, size));
    }

    /// <summary>get_free_block: the best fit by (stream, size, address), within the oversize rules of max_split_size.</summary>
    private SimBlock? GetFreeBlock(BlockPool pool, long stream, long size, bool take = true)
    {
        if (CollectingGarbage && take) pool.GetFreeBlocksCallCount++;
        var set = pool.Blocks;
        var it = set.LowerBound(new BlockKey(stream, size, 0));
        if (!it.Valid || set[it].Stream != stream) return null;
        if (set[it].Expandable is not null)
        {
            if (_config.ExpandableSegments)
            {
                // The part of a block that can still grow into unmapped pages counts towards its size.
                static long ExpandableSize(SimBlock b) => b.Size + (b.Next is { Mapped: false } n ? n.Size : 0);
                var next = set.Next(it);
                while (set[it].Expandable is not null && next.Valid && set[next].Stream == stream && ExpandableSize(set[next]) < ExpandableSize(set[it]))
                {
                    it = next;
                    next = set.Next(next);
                }
            }
            else
            {
                // Expandable segments were turned off after some were made: only fixed segments may serve.
                do it = set.Next(it);
                while (it.Valid && set[it].Expandable is not null && set[it].Stream == stream);
                if (!it.Valid || set[it].Stream != stream) return null;
            }
        }
        var block = set[it];
        if (size < _config.MaxSplitSize && block.Size >= _config.MaxSplitSize) return null;
        if (size >= _config.MaxSplitSize && block.Size >= size + LargeBuffer) return null;
        if (take) pool.RemoveAt(it);
        return block;
    }

    /// <summary>Whether a request would be served from the cache now, without changing anything.</summary>
    public bool CachedBlockFits(long origSize, long stream, string poolId = DefaultPoolId)
    {
        if (origSize > MaxRequest) return false;
        var size = RoundSize(origSize);
        var pools = PoolsOf(poolId);
        return GetFreeBlock(size <= SmallSize ? pools.Small : pools.Large, stream, size, take: false) is not null;
    }

    /// <summary>alloc_block: a new segment from cudaMalloc, or pages mapped into an expandable segment.</summary>
    private SimBlock? AllocBlock(BlockPool pool, long stream, long size, long allocSize, bool isRetry)
    {
        if (isRetry) Retries++;
        CacheMisses++;
        if (_allowedMaximum is { } max && Reserved + allocSize > max) return null;
        if (_config.ExpandableSegments) return TryAllocateExpandableBlock(pool, stream, size);
        if (!_driver.TryMalloc(allocSize, out var ptr)) return null;
        AddReserved(allocSize);
        OnSegmentOp?.Invoke(new SegmentOp(SegmentOpKind.Alloc, ptr, allocSize));
        return NewBlock(stream, allocSize, pool, ptr);
    }

    private SimBlock NewBlock(long stream, long size, BlockPool pool, long ptr) =>
        _spare.TryTake(out var spare) ? spare.Reuse(stream, size, pool, ptr) : new SimBlock(stream, size, pool, ptr);

    /// <summary>alloc_found_block: the request takes the block's low end; a remainder worth keeping becomes a free block after it.</summary>
    private SimBlock AllocFoundBlock(SimBlock block, long size, long origSize, bool split)
    {
        if (split)
        {
            var remaining = block;
            block = NewBlock(remaining.Stream, size, remaining.Pool, remaining.Ptr);
            block.Expandable = remaining.Expandable;
            block.Prev = remaining.Prev;
            if (block.Prev is not null) block.Prev.Next = block;
            block.Next = remaining;
            remaining.Prev = block;
            remaining.Ptr += size;
            remaining.Size -= size;
            remaining.Pool.Insert(remaining);
        }
        block.Allocated = true;
        block.RequestedSize = origSize;
        if (_trackActive) _active[block.Ptr] = block;
        Allocated += block.Size;
        if (Allocated > PeakAllocated) PeakAllocated = Allocated;
        return block;
    }

    /// <summary>free(): the program is done with the block. With <paramref name="completed"/> it goes back to the pool now (free_block); otherwise it waits for its stream events (free_requested).</summary>
    public void Free(SimBlock block, bool completed = true)
    {
        if (block.Allocated)
        {
            block.Allocated = false;
            Allocated -= block.Size;
            block.PendingFree = true;
            if (!completed) _pending.Add(block);
        }
        if (completed && block.PendingFree) FreeBlock(block);
    }

    /// <summary>A recorded free_requested or free_completed, applied to the block the replay gave that address (none: the request failed or predates what is known).</summary>
    public void FreeRecorded(Dictionary<long, SimBlock> blocks, in TraceEvent e)
    {
        if (e.Op == TraceOp.FreeRequested)
        {
            if (blocks.TryGetValue(e.Address, out var requested)) Free(requested, completed: false);
        }
        else if (blocks.Remove(e.Address, out var completed)) Free(completed);
    }

    /// <summary>free_block: back into its pool, merged with free neighbours.</summary>
    private void FreeBlock(SimBlock block)
    {
        block.PendingFree = false;
        if (_pending.Count > 0) _pending.Remove(block);
        if (_active.Count > 0) _active.Remove(block.Ptr);
        Recycle(block.Prev, TryMergeBlocks(block, block.Prev));
        Recycle(block.Next, TryMergeBlocks(block, block.Next));
        block.Pool.Insert(block);
    }

    /// <summary>A neighbour a free merged away (<paramref name="merged"/> bytes), kept for reuse unless the program may still name it or it belongs to an expandable segment.</summary>
    private void Recycle(SimBlock? src, long merged)
    {
        if (merged > 0 && src is { Expandable: null, FreedUnderTheProgram: false }) _spare.Give(src);
    }

    /// <summary>
    /// The replay is over and nothing holds its blocks any more, the caller's map included: every block of a segment whose
    /// first block is cached (mapped or not), pending or among <paramref name="handedOut"/> goes to the spare blocks, for the
    /// next replay on this worker; those of expandable segments too (the expandable_segments replays made all of theirs new).
    /// </summary>
    public void Retire(IEnumerable<SimBlock> handedOut)
    {
        foreach (var b in handedOut) RetireSegmentOf(b);
        foreach (var b in _active.Values) RetireSegmentOf(b);
        foreach (var b in _pending) RetireSegmentOf(b);
        foreach (var pool in AllPools)
        {
            foreach (var set in new[] { pool.Blocks, pool.Unmapped })
                for (var at = set.First; at.Valid; at = set.Next(at)) RetireSegmentOf(set[at]);
        }
    }

    /// <summary>Every block of <paramref name="head"/>'s segment to the spare blocks, once, when it is the segment's first.</summary>
    private void RetireSegmentOf(SimBlock head)
    {
        // A segment named twice (a stale map entry, or pending and handed out) is walked once: its first block is spare by then
        // (past the spare blocks' limit a second walk gives nothing either).
        if (head.Prev is not null || head.Spare) return;
        for (var b = head; b is not null;)
        {
            var next = b.Next;
            b.FreedUnderTheProgram = false; // the map that might have named it is gone with the replay
            _spare.Give(b);
            b = next;
        }
    }

    /// <summary>try_merge_blocks: dst absorbs a free neighbour src of the same mapping; neither may be in the pool's set.</summary>
    private static long TryMergeBlocks(SimBlock dst, SimBlock? src)
    {
        if (src is null || !src.Allocatable || dst.Mapped != src.Mapped) return 0;
        src.Pool.Erase(src);
        if (dst.Prev == src)
        {
            dst.Ptr = src.Ptr;
            dst.Prev = src.Prev;
            if (dst.Prev is not null) dst.Prev.Next = dst;
        }
        else
        {
            dst.Next = src.Next;
            if (dst.Next is not null) dst.Next.Prev = dst;
        }
        dst.Size += src.Size;
        // Unlinked both ways: a stale reference to src (a pending block a release freed, still in the caller's map) must
        // not lead into the segment it left.
        (src.Prev, src.Next) = (null, null);
        return src.Size;
    }

    private void AddReserved(long bytes)
    {
        Reserved += bytes;
        if (Reserved > PeakReserved) PeakReserved = Reserved;
    }
}
