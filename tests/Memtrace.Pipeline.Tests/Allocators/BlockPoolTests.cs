using Memtrace.Pipeline.Allocators;
using Xunit;

namespace Memtrace.Pipeline.Tests.Allocators;

/// <summary>
/// BlockPool.Holding (the address index a carve at the real allocator's address uses, built on its first call and kept
/// through every insert, erase and removal at a cursor after) against a scan of the cached blocks, on seeded pools of disjoint blocks on
/// three streams: probes inside, at the edges of, across and between blocks.
/// </summary>
public sealed class BlockPoolTests
{
    [Theory]
    [InlineData(1, 200)]
    [InlineData(2, 3_000)]
    [InlineData(3, 20_000)]
    public void Holding_agrees_with_a_scan_of_the_cached_blocks(int seed, int operations)
    {
        const long Slot = 1 << 16;
        var rng = new Random(seed);
        var pool = new BlockPool(false, "0,0");
        var cached = new Dictionary<long, SimBlock>(); // by slot: blocks never overlap
        long probes = 0, held = 0;
        for (var i = 0; i < operations; i++)
        {
            var slot = rng.Next(512);
            if (rng.Next(10) == 0 && pool.Blocks.LowerBound(new BlockKey(rng.Next(3), rng.Next(1, 100) * 512L, 0)) is { Valid: true } at)
            {
                // get_free_block's way out: through the size-ordered set's cursor.
                cached.Remove(pool.Blocks[at].Ptr / Slot);
                pool.RemoveAt(at);
            }
            else if (cached.Remove(slot, out var present)) pool.Erase(present);
            else
            {
                var offset = rng.Next(4) * 512L;
                var block = new SimBlock(rng.Next(3), rng.Next(1, 100) * 512L, pool, slot * Slot + offset);
                pool.Insert(block);
                cached[slot] = block;
            }
            if (i < operations / 10 && rng.Next(8) != 0) continue; // the index is built on a first call well into the run
            for (var k = 0; k < 3; k++)
            {
                var (address, size, stream) = (rng.Next(512) * Slot + rng.Next(0, 130) * 512L - (rng.Next(10) == 0 ? 512 : 0), rng.Next(1, 8) * 512L, (long)rng.Next(3));
                if (cached.Count > 0 && rng.Next(2) == 0)
                {
                    // Inside a cached block, up to past its end, mostly on its stream.
                    var b = cached.Values.ElementAt(rng.Next(cached.Count));
                    address = b.Ptr + rng.Next((int)(b.Size / 512)) * 512L;
                    size = rng.Next(1, (int)((b.Ptr + b.Size - address) / 512) + 2) * 512L;
                    stream = rng.Next(4) == 0 ? (b.Stream + 1) % 3 : b.Stream;
                }
                var expected = pool.Blocks.ToList().SingleOrDefault(b => b.Stream == stream && b.Ptr <= address && address + size <= b.Ptr + b.Size);
                Assert.Same(expected, pool.Holding(address, size, stream));
                probes++;
                if (expected is not null) held++;
            }
        }
        Assert.True(held > probes / 5, $"only {held} of {probes} probes were held by a block");
    }
}
