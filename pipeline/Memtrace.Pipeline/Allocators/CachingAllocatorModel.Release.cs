namespace Memtrace.Pipeline.Allocators;

/// <summary>The allocator's ways of giving memory back under pressure, and expandable segments.</summary>
public sealed partial class CachingAllocatorModel
{
    /// <summary>
    /// release_available_cached_blocks: with max_split_size set, free the smallest cached oversize block that
    /// covers the request, or else oversize blocks from the largest down until their sizes sum to it. Upstream
    /// never meets a split oversize block (an oversize block is never split); one exists here only when
    /// max_split_size was set after the blocks were carved (a what-if from the trace's start), and cudaFree
    /// cannot take part of a segment, so such blocks are passed over.
    /// </summary>
    private bool ReleaseAvailableCachedBlocks(BlockPool pool, long stream, long size)
    {
        if (_config.MaxSplitSize == long.MaxValue) return false;
        var keySize = Math.Max(size, _config.MaxSplitSize);
        var set = pool.Blocks;
        var it = set.LowerBound(new BlockKey(stream, keySize, 0));
        while (it.Valid && set[it].Stream == stream && set[it].IsSplit) it = set.Next(it);
        if (it.Valid && set[it].Stream == stream)
        {
            ReleaseBlock(set[it]);
            return true;
        }
        it = set.LowerBound(new BlockKey(stream, keySize, 0));
        if (set.IsFirst(it) || set.Count == 0) return false;
        it = set.Prev(it);
        var toRelease = new List<SimBlock>();
        long released = 0;
        while (it.Valid && released < keySize && set[it].Size >= _config.MaxSplitSize && set[it].Stream == stream)
        {
            if (!set[it].IsSplit)
            {
                released += set[it].Size;
                toRelease.Add(set[it]);
            }
            it = set.Prev(it);
        }
        foreach (var b in toRelease) ReleaseBlock(b);
        return released >= keySize;
    }

    /// <summary>release_cached_blocks (also torch.cuda.empty_cache): wait for pending frees, then free every unsplit cached block of the default pools and unmap every free page of their expandable segments.</summary>
    public bool ReleaseCachedBlocks()
    {
        foreach (var pending in _pending.OrderBy(b => b.Ptr).ToList())
        {
            pending.FreedUnderTheProgram = true;
            FreeBlock(pending);
        }
        var pools = PoolsOf(DefaultPoolId);
        ReleaseBlocks(pools.Large);
        ReleaseBlocks(pools.Small);
        return true;
    }

    /// <summary>release_blocks: in the pool's (stream, size, address) order.</summary>
    private void ReleaseBlocks(BlockPool pool)
    {
        var toUnmap = new List<SimBlock>();
        foreach (var block in pool.Releasable())
        {
            if (block.Expandable is not null) toUnmap.Add(block);
            else if (!block.IsSplit) ReleaseBlock(block);
        }
        foreach (var block in toUnmap)
        {
            UnmapBlock(block);
            if (!block.IsSplit) ReleaseExpandableSegment(block);
        }
    }

    /// <summary>release_block: cudaFree of a whole cached segment.</summary>
    private void ReleaseBlock(SimBlock block)
    {
        OnSegmentOp?.Invoke(new SegmentOp(SegmentOpKind.Free, block.Ptr, block.Size));
        _driver.Free(block.Ptr, block.Size);
        Reserved -= block.Size;
        block.Pool.Erase(block);
    }

    /// <summary>
    /// garbage_collect_cached_blocks: once reserved memory passes the threshold share of the allowed maximum,
    /// free unsplit large cached blocks at least as old (in get_free_block calls) as their average, repeatedly,
    /// until the excess is reclaimed.
    /// </summary>
    private void GarbageCollectCachedBlocks()
    {
        var threshold = (long)(_config.GarbageCollectionThreshold * _allowedMaximum!.Value);
        if (Reserved <= threshold) return;
        var target = Reserved - threshold;
        var large = PoolsOf(DefaultPoolId).Large;
        long Age(SimBlock b) => large.GetFreeBlocksCallCount - b.GcCountBase;
        long totalAge = 0;
        var freeable = 0;
        foreach (var b in large.Blocks.ToList())
        {
            if (b.IsSplit) continue;
            totalAge += Age(b);
            freeable++;
        }
        if (freeable == 0) return;
        long reclaimed = 0;
        var freed = true;
        while (reclaimed < target && freed && freeable > 0)
        {
            var ageThreshold = (double)totalAge / freeable;
            freed = false;
            foreach (var b in large.Blocks.ToList())
            {
                if (b.IsSplit || Age(b) < ageThreshold) continue;
                freed = true;
                reclaimed += b.Size;
                totalAge -= Age(b);
                freeable--;
                ReleaseBlock(b);
            }
        }
    }

    /// <summary>find_expandable_block: the lowest address, in an existing segment of this stream, where free and unmapped ranges give room for size; else a new segment.</summary>
    private SimBlock FindExpandableBlock(BlockPool pool, long stream, long size)
    {
        bool HasRoom(SimBlock? b)
        {
            long bytes = 0;
            while (bytes < size && b is { Allocatable: true })
            {
                bytes += b.Size;
                b = b.Next;
            }
            return bytes >= size;
        }
        var set = pool.Unmapped;
        for (var it = set.LowerBound(new BlockKey(stream, 0, 0)); it.Valid && set[it].Stream == stream; it = set.Next(it))
        {
            var c = set[it];
            if (c.Prev is { Allocatable: true }) c = c.Prev;
            if (HasRoom(c)) return c;
        }
        var pageSize = pool.IsSmall ? SmallBuffer : LargeBuffer;
        var addressSpace = _deviceTotal + _deviceTotal / 8;
        var pages = (addressSpace + pageSize - 1) / pageSize;
        var es = new ExpandableSegment(_driver.ReserveAddressSpace(pages * pageSize, pageSize), pageSize, pages, stream);
        _expandable.Add(es);
        var candidate = new SimBlock(stream, es.Size, pool, es.Base) { Mapped = false, Expandable = es };
        pool.Unmapped.Add(candidate.AddressKey, candidate);
        return candidate;
    }

    /// <summary>map_block: back the start of an unmapped range with pages; merge it with free neighbours.</summary>
    private bool MapBlock(SimBlock toMap, long size)
    {
        var (ptr, mapped) = toMap.Expandable!.Map(toMap.Ptr, size, _driver);
        if (mapped == 0) return false;
        var pool = toMap.Pool;
        pool.Erase(toMap);
        toMap.Mapped = true;
        if (mapped < toMap.Size)
        {
            var remaining = new SimBlock(toMap.Stream, toMap.Size - mapped, pool, toMap.Ptr + mapped) { Mapped = false, Expandable = toMap.Expandable };
            remaining.Splice(toMap, toMap.Next);
            pool.Unmapped.Add(remaining.AddressKey, remaining);
            toMap.Size = mapped;
        }
        TryMergeBlocks(toMap, toMap.Prev);
        TryMergeBlocks(toMap, toMap.Next);
        pool.Insert(toMap);
        AddReserved(mapped);
        OnSegmentOp?.Invoke(new SegmentOp(SegmentOpKind.Map, ptr, mapped));
        return true;
    }

    /// <summary>try_allocate_expandable_block: map pages until the lowest candidate range holds size bytes.</summary>
    private SimBlock? TryAllocateExpandableBlock(BlockPool pool, long stream, long size)
    {
        var candidate = FindExpandableBlock(pool, stream, size);
        if (!candidate.Mapped && !MapBlock(candidate, Math.Min(candidate.Size, size))) return null;
        while (candidate.Size < size)
        {
            var next = candidate.Next!;
            if (!MapBlock(next, Math.Min(size - candidate.Size, next.Size))) return null;
            candidate = next;
        }
        pool.Erase(candidate);
        return candidate;
    }

    /// <summary>unmap_block: return the whole free pages inside a cached block of an expandable segment.</summary>
    private void UnmapBlock(SimBlock block)
    {
        var (ptr, size) = block.Expandable!.Unmap(block.Ptr, block.Size, _driver);
        if (size == 0) return;
        var pool = block.Pool;
        pool.Erase(block);
        var before = ptr - block.Ptr;
        if (before > 0)
        {
            var beforeFree = new SimBlock(block.Stream, before, pool, block.Ptr) { Expandable = block.Expandable };
            beforeFree.Splice(block.Prev, block);
            pool.Insert(beforeFree);
        }
        var after = block.Size - (before + size);
        if (after > 0)
        {
            var afterFree = new SimBlock(block.Stream, after, pool, ptr + size) { Expandable = block.Expandable };
            afterFree.Splice(block, block.Next);
            pool.Insert(afterFree);
        }
        block.Ptr = ptr;
        block.Size = size;
        block.Mapped = false;
        TryMergeBlocks(block, block.Prev);
        TryMergeBlocks(block, block.Next);
        pool.Unmapped.Add(block.AddressKey, block);
        Reserved -= size;
        OnSegmentOp?.Invoke(new SegmentOp(SegmentOpKind.Unmap, ptr, size));
    }

    /// <summary>release_expandable_segment: a segment whose every page is unmapped gives back its address range.</summary>
    private void ReleaseExpandableSegment(SimBlock block)
    {
        block.Pool.Unmapped.Remove(block.AddressKey);
        _expandable.Remove(block.Expandable!);
    }
}
