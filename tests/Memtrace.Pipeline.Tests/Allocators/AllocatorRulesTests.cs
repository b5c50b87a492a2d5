using Memtrace.Pipeline.Allocators;
using Xunit;

namespace Memtrace.Pipeline.Tests.Allocators;

/// <summary>Each rule of the caching allocator model on a tiny hand-made sequence, against a hand calculation.</summary>
public sealed class AllocatorRulesTests
{
    private const long MiB = 1 << 20;

    private static (CachingAllocatorModel Model, List<SegmentOp> Ops, CapacityDriver Driver) New(string conf = "", long? capacity = null, double? fraction = null)
    {
        var driver = new CapacityDriver(capacity, 1L << 40);
        var config = AllocatorConfig.Parse(conf) with { MemoryFraction = fraction };
        var model = new CachingAllocatorModel(config, driver, capacity ?? 80L << 30);
        var ops = new List<SegmentOp>();
        model.OnSegmentOp = ops.Add;
        return (model, ops, driver);
    }

    [Theory]
    [InlineData("", 1, 512)]
    [InlineData("", 513, 1024)]
    [InlineData("", 1536, 1536)]
    // 1200 MiB with 4 divisions of [1024, 2048) MiB: 1024, 1280, 1536, 1792 → 1280 MiB.
    [InlineData("roundup_power2_divisions:4", 1200 * MiB, 1280 * MiB)]
    [InlineData("roundup_power2_divisions:4", 1024 * MiB, 1024 * MiB)]
    [InlineData("roundup_power2_divisions:8", 1200 * MiB, 1280 * MiB)]
    [InlineData("roundup_power2_divisions:8", 1100 * MiB, 1152 * MiB)]
    // Below 512 × divisions the plain 512-byte rounding applies.
    [InlineData("roundup_power2_divisions:4", 1200, 1536)]
    // The per-interval form: 256 MiB and below get 1 division (off); from 512 MiB on 4.
    [InlineData("roundup_power2_divisions:[256:1,512:4,>:4]", 300 * MiB, 300 * MiB)]
    [InlineData("roundup_power2_divisions:[256:1,512:4,>:4]", 600 * MiB, 640 * MiB)]
    public void Requests_round_as_round_size_does(string conf, long request, long rounded) =>
        Assert.Equal(rounded, New(conf).Model.RoundSize(request));

    [Fact]
    public void Segment_sizes_follow_get_allocation_size()
    {
        Assert.Equal(2 * MiB, CachingAllocatorModel.AllocationSize(512));
        Assert.Equal(2 * MiB, CachingAllocatorModel.AllocationSize(MiB));
        Assert.Equal(20 * MiB, CachingAllocatorModel.AllocationSize(MiB + 512));
        Assert.Equal(20 * MiB, CachingAllocatorModel.AllocationSize(10 * MiB - 512));
        Assert.Equal(10 * MiB, CachingAllocatorModel.AllocationSize(10 * MiB));
        Assert.Equal(12 * MiB, CachingAllocatorModel.AllocationSize(11 * MiB));
    }

    [Fact]
    public void A_small_request_splits_a_new_2MiB_segment_and_the_next_one_takes_the_remainder()
    {
        var (m, ops, _) = New();
        var a = m.Malloc(1000, 0)!;
        var b = m.Malloc(600, 0)!;
        var seg = Assert.Single(ops);
        Assert.Equal((SegmentOpKind.Alloc, 2 * MiB), (seg.Kind, seg.Size));
        Assert.Equal(seg.Ptr, a.Ptr);
        Assert.Equal(1024, a.Size);
        Assert.Equal(seg.Ptr + 1024, b.Ptr);
        Assert.Equal(1024 + 1024, m.Allocated);
    }

    [Fact]
    public void The_large_pool_splits_only_a_remainder_over_1MiB()
    {
        var (m, ops, _) = New();
        var a = m.Malloc(5 * MiB, 0)!;   // 20 MiB segment, 15 MiB remainder: split
        Assert.Equal(5 * MiB, a.Size);
        var b = m.Malloc(11 * MiB, 0)!;  // the 15 MiB block fits; 4 MiB remainder: split
        Assert.Equal(a.Ptr + 5 * MiB, b.Ptr);
        var c = m.Malloc(3 * MiB + 512, 0)!; // the 4 MiB free block; 1 MiB − 512 remainder: kept in the block
        Assert.Equal(b.Ptr + 11 * MiB, c.Ptr);
        Assert.Equal(4 * MiB, c.Size);
        Assert.Single(ops);
    }

    [Fact]
    public void Best_fit_takes_the_smallest_block_that_fits_then_the_lowest_address()
    {
        var (m, ops, _) = New();
        var a = m.Malloc(30 * MiB, 0)!;
        var b = m.Malloc(25 * MiB, 0)!;
        var c = m.Malloc(25 * MiB, 0)!;
        m.Free(a);
        m.Free(c);
        m.Free(b);
        Assert.Equal(b.Ptr, m.Malloc(24 * MiB, 0)!.Ptr);  // 25 MiB segments beat the 30 MiB one; b's is lower
        Assert.Equal(c.Ptr, m.Malloc(24 * MiB, 0)!.Ptr);
        Assert.Equal(a.Ptr, m.Malloc(24 * MiB, 0)!.Ptr);
        Assert.Equal(3, ops.Count);
    }

    [Fact]
    public void A_block_freed_on_one_stream_is_not_reused_on_another()
    {
        var (m, ops, _) = New();
        var a = m.Malloc(30 * MiB, 1)!;
        m.Free(a);
        var b = m.Malloc(30 * MiB, 2)!;
        Assert.NotEqual(a.Ptr, b.Ptr);
        Assert.Equal(a.Ptr, m.Malloc(30 * MiB, 1)!.Ptr);
        Assert.Equal(2, ops.Count);
    }

    [Fact]
    public void Freeing_merges_with_free_neighbours()
    {
        var (m, _, _) = New();
        var a = m.Malloc(5 * MiB, 0)!;
        var b = m.Malloc(5 * MiB, 0)!;
        m.Free(a);
        m.Free(b);
        var (free, largest, blocks) = m.FreeSpace();
        Assert.Equal((20 * MiB, 20 * MiB, 1L), (free, largest, blocks));
        Assert.Equal(a.Ptr, m.Malloc(19 * MiB, 0)!.Ptr);
    }

    [Fact]
    public void A_pending_free_is_not_reused_until_it_completes()
    {
        var (m, ops, _) = New();
        var a = m.Malloc(30 * MiB, 0)!;
        m.Free(a, completed: false);
        Assert.Equal(0, m.Allocated);
        Assert.NotEqual(a.Ptr, m.Malloc(30 * MiB, 0)!.Ptr);
        m.Free(a);
        Assert.Equal(a.Ptr, m.Malloc(30 * MiB, 0)!.Ptr);
        Assert.Equal(2, ops.Count);
    }

    [Fact]
    public void Max_split_size_keeps_oversize_blocks_whole_and_from_small_requests()
    {
        var (m, ops, _) = New("max_split_size_mb:100");
        var big = m.Malloc(150 * MiB, 0)!;
        m.Free(big);
        var small = m.Malloc(50 * MiB, 0)!;   // under 100 MiB: the 150 MiB block is not offered
        Assert.NotEqual(big.Ptr, small.Ptr);
        var near = m.Malloc(140 * MiB, 0)!;   // oversize and within 20 MiB of the block: served, not split
        Assert.Equal((big.Ptr, 150 * MiB), (near.Ptr, near.Size));
        m.Free(near);
        Assert.NotEqual(big.Ptr, m.Malloc(120 * MiB, 0)!.Ptr); // 150 ≥ 120 + 20: too large for it
        Assert.Equal(3, ops.Count);
    }

    [Fact]
    public void A_failed_cudaMalloc_releases_unsplit_cached_segments_and_retries()
    {
        var (m, ops, driver) = New(capacity: 40 * MiB);
        var a = m.Malloc(5 * MiB, 0)!;     // 20 MiB segment
        m.Free(a);
        var b = m.Malloc(30 * MiB, 0);     // 20 + 30 > 40: fails, the cached 20 MiB segment goes, then 30 fits
        Assert.NotNull(b);
        Assert.Equal([SegmentOpKind.Alloc, SegmentOpKind.Free, SegmentOpKind.Alloc], ops.Select(o => o.Kind));
        Assert.Equal(30 * MiB, driver.Used);
        Assert.Equal(1, m.Retries);
    }

    [Fact]
    public void A_split_segment_is_not_released_and_the_request_fails()
    {
        var (m, ops, _) = New(capacity: 40 * MiB);
        var a = m.Malloc(5 * MiB, 0)!;
        _ = m.Malloc(5 * MiB, 0)!;
        m.Free(a);                         // the segment holds a live block: split, so it stays
        Assert.Null(m.Malloc(30 * MiB, 0));
        Assert.Single(ops);
    }

    [Fact]
    public void With_max_split_size_one_oversize_cached_block_is_released_first()
    {
        var (m, ops, _) = New("max_split_size_mb:100", capacity: 400 * MiB);
        var x = m.Malloc(150 * MiB, 0)!;
        var y = m.Malloc(200 * MiB, 0)!;
        m.Free(x);
        m.Free(y);
        // 300 MiB: no cached block within 20 MiB; 350 + 300 > 400; the smallest oversize block ≥ 300 MiB: none, so
        // oversize blocks go from the largest down until 300 MiB is reached: 200 then 150.
        Assert.NotNull(m.Malloc(300 * MiB, 0));
        Assert.Equal([(SegmentOpKind.Free, y.Ptr), (SegmentOpKind.Free, x.Ptr)], ops.Where(o => o.Kind == SegmentOpKind.Free).Select(o => (o.Kind, o.Ptr)));
    }

    [Fact]
    public void Expandable_segments_map_20MiB_pages_contiguously_and_unmap_them_under_pressure()
    {
        var (m, ops, driver) = New("expandable_segments:True", capacity: 80 * MiB);
        var a = m.Malloc(5 * MiB, 0)!;     // one 20 MiB page at the segment's base
        var b = m.Malloc(30 * MiB, 0)!;    // the 15 MiB tail plus one more page, merged: placed right after a
        Assert.Equal(a.Ptr + 5 * MiB, b.Ptr);
        Assert.Equal([(SegmentOpKind.Map, a.Ptr, 20 * MiB), (SegmentOpKind.Map, a.Ptr + 20 * MiB, 20 * MiB)], ops.Select(o => (o.Kind, o.Ptr, o.Size)));
        Assert.Equal(40 * MiB, m.Reserved);
        m.Free(a);
        m.Free(b);
        m.ReleaseCachedBlocks();
        Assert.Equal(0, m.Reserved);
        Assert.Equal(0, driver.Used);
        Assert.Equal((SegmentOpKind.Unmap, a.Ptr, 40 * MiB), (ops[^1].Kind, ops[^1].Ptr, ops[^1].Size));
    }

    [Fact]
    public void Garbage_collection_frees_cached_blocks_older_than_average_past_the_threshold()
    {
        // Allowed: 0.5 × 100 MiB = 50 MiB; collection starts above 0.5 × 50 = 25 MiB reserved.
        var (m, ops, _) = New("garbage_collection_threshold:0.5", capacity: 100 * MiB, fraction: 0.5);
        var a = m.Malloc(12 * MiB, 0)!;    // get_free_block call 1: a 12 MiB segment
        m.Free(a);                         // cached at count 1
        var b = m.Malloc(14 * MiB, 0)!;    // call 2: a 14 MiB segment; reserved 26 MiB
        m.Free(b);                         // cached at count 2
        Assert.NotNull(m.Malloc(16 * MiB, 0)); // call 3 misses; ages 2 and 1, average 1.5: a goes, 12 MiB ≥ the 1 MiB excess
        Assert.Equal([(SegmentOpKind.Alloc, 12 * MiB), (SegmentOpKind.Alloc, 14 * MiB), (SegmentOpKind.Free, 12 * MiB), (SegmentOpKind.Alloc, 16 * MiB)],
            ops.Select(o => (o.Kind, o.Size)));
    }

    [Fact]
    public void A_memory_fraction_caps_the_reserved_bytes()
    {
        var (m, _, _) = New(capacity: 100 * MiB, fraction: 0.25);
        Assert.NotNull(m.Malloc(20 * MiB, 0));
        Assert.Null(m.Malloc(10 * MiB, 0));  // 20 + 10 > 25 MiB allowed
    }
}
