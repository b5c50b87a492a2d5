using Memtrace.Pipeline.Fragmentation;
using Xunit;

namespace Memtrace.Pipeline.Tests;

/// <summary>The seed histogram carried between rows against binning every free block afresh, on seeded random replays.</summary>
public sealed class SeedHistogramTests
{
    [Theory]
    [InlineData(1, 3)]
    [InlineData(2, 40)]
    [InlineData(3, 400)]
    public void Carried_histogram_gives_the_bits_of_binning_every_block(int seed, int maxEventsPerRow)
    {
        var rng = new Random(seed);
        var space = new AddressSpace([512, 1 << 20], orderedFree: false);
        for (var s = 0; s < 8; s++) space.AddSegment((long)s << 32, 1L << 30, smallPool: false);
        var live = new List<long>();
        var buffer = new long[16];
        var oracle = new SeedThresholds();
        for (var row = 0; row < 2_000; row++)
        {
            var events = rng.Next(1, maxEventsPerRow + 1);
            for (var e = 0; e < events; e++)
            {
                var blocks = space.Free.Blocks().ToList();
                if (live.Count > 0 && (blocks.Count == 0 || rng.Next(3) == 0))
                {
                    var k = rng.Next(live.Count);
                    Assert.True(space.FreeBlock(live[k]));
                    live[k] = live[^1];
                    live.RemoveAt(live.Count - 1);
                }
                else
                {
                    // Carve from the front of a random free block, as the caching allocator does.
                    var (start, end, _) = blocks[rng.Next(blocks.Count)];
                    var size = Math.Min(end - start, 512L << rng.Next(0, 20));
                    if (space.Allocate(start, size, null)) live.Add(start);
                }
            }
            var expected = oracle.Entropy(space.Free.BlockSizes(), space.Free.Largest);
            Assert.Equal(BitConverter.DoubleToInt64Bits(expected), BitConverter.DoubleToInt64Bits(space.Free.SeedEntropy(ref buffer)));
        }
        Assert.True(space.Free.Seed.Folds > 0 && space.Free.Seed.Rescans > 0, $"folds {space.Free.Seed.Folds}, rescans {space.Free.Seed.Rescans}");
    }
}
