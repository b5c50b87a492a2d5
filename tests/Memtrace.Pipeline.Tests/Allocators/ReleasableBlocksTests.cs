using Memtrace.Pipeline.Allocators;
using Xunit;

namespace Memtrace.Pipeline.Tests.Allocators;

/// <summary>
/// BlockPool.Releasable (the cached blocks a release can give back, kept per insert and erase, which
/// release_cached_blocks walks instead of every cached block) against a filter of the whole cache, after every step
/// of seeded random requests, frees, pending frees, carves and empty_cache calls, from a loaded state with whole and
/// split segments, with and without expandable segments and max_split_size.
/// </summary>
public sealed class ReleasableBlocksTests
{
    [Theory]
    [InlineData(1, false, false)]
    [InlineData(2, true, false)]
    [InlineData(3, false, true)]
    [InlineData(4, true, true)]
    public void Releasable_blocks_are_the_unsplit_and_expandable_cached_ones_in_cache_order(int seed, bool expandable, bool maxSplit)
    {
        const long MiB = 1 << 20;
        var rng = new Random(seed);
        var config = AllocatorConfig.Default with { ExpandableSegments = expandable, MaxSplitSize = maxSplit ? 40 * MiB : long.MaxValue };
        var model = new CachingAllocatorModel(config, new CapacityDriver(512 * MiB, 1L << 34), 512 * MiB);
        // Loaded segments: some whole and free, some split into live and free blocks, on two streams.
        var segments = new List<SegmentState>();
        for (var s = 0; s < 12; s++)
        {
            var small = s % 3 == 0;
            var size = small ? 2 * MiB : 20 * MiB * rng.Next(1, 4);
            var address = (1L << 32) + s * 128 * MiB;
            var blocks = new List<BlockState>();
            for (long at = 0; at < size;)
            {
                var len = s % 4 == 1 ? size : Math.Min(size - at, (small ? 512L * rng.Next(1, 1024) : MiB * rng.Next(1, 12)));
                blocks.Add(new BlockState(address + at, len, s % 4 != 1 && rng.Next(2) == 0, len));
                at += len;
            }
            segments.Add(new SegmentState(address, size, s % 2, small, CachingAllocatorModel.DefaultPoolId, false, blocks));
        }
        model.Load(segments);
        var live = model.Active.Values.ToList();
        var pending = new List<SimBlock>();
        var checkedReleasable = 0;
        for (var step = 0; step < 3_000; step++)
        {
            switch (rng.Next(12))
            {
                case < 5:
                    var size = rng.Next(3) == 0 ? 512L * rng.Next(1, 2048) : MiB * rng.Next(1, 60);
                    if (model.Malloc(size, rng.Next(2)) is { } block) live.Add(block);
                    break;
                case < 9 when live.Count > 0:
                    var victim = live[rng.Next(live.Count)];
                    live.Remove(victim);
                    var completed = rng.Next(4) != 0;
                    model.Free(victim, completed);
                    if (!completed) pending.Add(victim);
                    break;
                case 9 when pending.Count > 0:
                    var done = pending[rng.Next(pending.Count)];
                    pending.Remove(done);
                    model.Free(done, completed: true);
                    break;
                case 10:
                    model.ReleaseCachedBlocks();
                    pending.Clear(); // a release waits for every pending free
                    break;
            }
            foreach (var pool in model.AllPools)
            {
                var expected = pool.Blocks.ToList().Where(b => !b.IsSplit || b.Expandable is not null).ToList();
                Assert.Equal(expected, pool.Releasable());
                checkedReleasable += expected.Count;
            }
        }
        Assert.True(checkedReleasable > 1_000, $"only {checkedReleasable} releasable blocks were seen");
    }
}
