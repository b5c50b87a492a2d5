namespace Memtrace.Pipeline.Allocators;

/// <summary>A segment as a snapshot lists it: its blocks tile it, in address order.</summary>
public sealed record SegmentState(long Address, long Size, long Stream, bool Small, string PoolId, bool Expandable, IReadOnlyList<BlockState> Blocks);

/// <param name="Live">Handed to the program (active_allocated) or freed but waiting on its streams (active_pending_free).</param>
public readonly record struct BlockState(long Address, long Size, bool Live, long RequestedSize);

/// <summary>Loading a reconstructed state into the model, and reading its state back as a snapshot would.</summary>
public sealed partial class CachingAllocatorModel
{
    /// <summary>
    /// Puts segments into the model as they stood at the trace's first event. A segment that was expandable is
    /// loaded as a fixed one (its page layout is not in the snapshot): it serves requests but never grows or
    /// gives pages back.
    /// </summary>
    /// <param name="handedOut">Where the live blocks go, by address, when the caller keeps its own map of them (a what-if replay,
    /// which tracks no active blocks); otherwise they are the model's <see cref="Active"/> blocks.</param>
    public void Load(IEnumerable<SegmentState> segments, Dictionary<long, SimBlock>? handedOut = null)
    {
        var live = handedOut ?? _active;
        foreach (var s in segments)
        {
            var pools = PoolsOf(s.PoolId);
            var pool = s.Small ? pools.Small : pools.Large;
            SimBlock? prev = null;
            var cached = new List<SimBlock>();
            foreach (var b in s.Blocks)
            {
                var block = NewBlock(s.Stream, b.Size, pool, b.Address);
                if (prev is not null) block.Splice(prev, null);
                prev = block;
                if (b.Live)
                {
                    block.Allocated = true;
                    block.RequestedSize = b.RequestedSize;
                    live[block.Ptr] = block;
                    Allocated += block.Size;
                }
                else cached.Add(block);
            }
            // Cached once the segment is linked whole, so the pool sees whether each block is split.
            foreach (var block in cached) pool.Insert(block);
            AddReserved(s.Size);
        }
        PeakAllocated = Math.Max(PeakAllocated, Allocated);
    }

    /// <summary>Every mapped segment range and its blocks, in address order: what torch.cuda.memory._snapshot would list.</summary>
    public List<SegmentState> Snapshot()
    {
        var heads = new List<SimBlock>();
        void Consider(SimBlock b)
        {
            if (b.Mapped && (b.Prev is null || !b.Prev.Mapped)) heads.Add(b);
        }
        foreach (var b in _active.Values) Consider(b);
        foreach (var pool in AllPools)
            foreach (var b in pool.Blocks.ToList()) Consider(b);
        var segments = new List<SegmentState>(heads.Count);
        foreach (var head in heads.OrderBy(h => h.Ptr))
        {
            var blocks = new List<BlockState>();
            long size = 0;
            for (var b = head; b is { Mapped: true }; b = b.Next)
            {
                blocks.Add(new BlockState(b.Ptr, b.Size, !b.Allocatable, b.Allocatable ? 0 : b.RequestedSize));
                size += b.Size;
            }
            segments.Add(new SegmentState(head.Ptr, size, head.Stream, head.Pool.IsSmall, head.Pool.PoolId, head.Expandable is not null, blocks));
        }
        return segments;
    }

    /// <summary>
    /// Allocates at a given address, as the real allocator did where the model chose otherwise: the cached block
    /// holding the range is cut there (its head stays free) and the rest is handed out by the usual split rule.
    /// Null when no cached block of the pool holds the range.
    /// </summary>
    public SimBlock? Carve(long address, long origSize, long stream, string poolId)
    {
        if (origSize > MaxRequest) return null;
        var size = RoundSize(origSize);
        var pools = PoolsOf(poolId);
        var pool = size <= SmallSize ? pools.Small : pools.Large;
        var holder = pool.Holding(address, size, stream);
        if (holder is null) return null;
        pool.Erase(holder);
        if (address > holder.Ptr)
        {
            var head = new SimBlock(stream, address - holder.Ptr, pool, holder.Ptr) { Expandable = holder.Expandable };
            head.Splice(holder.Prev, holder);
            holder.Size -= head.Size;
            holder.Ptr = address;
            pool.Insert(head);
        }
        return AllocFoundBlock(holder, size, origSize, ShouldSplit(holder, size));
    }

    /// <summary>Whether any block of the model lies in [ptr, ptr + size).</summary>
    public bool Overlaps(long ptr, long size)
    {
        bool Hit(SimBlock b) => b.Ptr < ptr + size && ptr < b.Ptr + b.Size;
        return _active.Values.Any(Hit) || AllPools.Any(p => p.Blocks.ToList().Any(Hit) || p.Unmapped.ToList().Any(Hit));
    }

    /// <summary>Free bytes and the largest free block over all cached blocks (F and L of the fragmentation metrics).</summary>
    public (long Free, long Largest, long Blocks) FreeSpace()
    {
        long free = 0, largest = 0, count = 0;
        foreach (var pool in AllPools)
            foreach (var b in pool.Blocks.ToList())
            {
                free += b.Size;
                largest = Math.Max(largest, b.Size);
                count++;
            }
        return (free, largest, count);
    }
}
