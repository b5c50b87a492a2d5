using Memtrace.Pipeline.Allocators;
using Memtrace.Schemas.Results;
using Xunit;

namespace Memtrace.Pipeline.Tests.Allocators;

/// <summary>The proof can fail: a trace the model cannot follow is reported, event by event.</summary>
public sealed class ModelCheckMismatchTests
{
    [Fact]
    public void An_allocation_the_real_allocator_placed_elsewhere_is_counted_and_the_replay_stays_in_step()
    {
        var (trace, initial, _) = OomVariantWhatIfTests.Replays("bcrafton_memory_snapshot.pickle");
        // Swap the recorded addresses of two consecutive large allocations of different sizes and places, as a
        // recording of an allocator with another policy would show.
        var events = trace.Events.ToArray();
        var allocs = Enumerable.Range(0, events.Length).Where(i => events[i].Op == TraceOp.Alloc).ToArray();
        var (i1, i2) = allocs.Select((e, k) => (e, k)).Skip(100).Select(p => (p.e, allocs[p.k + 1]))
            .First(p => events[p.e].Size != events[p.Item2].Size && events[p.e].Address != events[p.Item2].Address && events[p.e].Size > (1 << 20) && events[p.Item2].Size > (1 << 20));
        (events[i1], events[i2]) = (events[i1] with { Address = events[i2].Address }, events[i2] with { Address = events[i1].Address });
        var bad = new AllocatorTrace { Key = trace.Key, Events = events, FinalSegments = trace.FinalSegments, Recorded = trace.Recorded };
        var check = ModelCheck.Run(bad, initial);
        Assert.False(check.Verified);
        Assert.True(check.Allocations - check.AddressMatches >= 2);
        var first = check.Mismatches.First(m => m.Counter == Memtrace.Schemas.Stats.StatsCatalog.WhatIfAddressMismatch);
        Assert.Equal(events[i1].Seq, first.Seq);
        Assert.StartsWith("alloc addr=0x", first.Excerpt);
        Assert.Contains("the model chose 0x", first.Message);
    }

    [Fact]
    public void The_synthetic_mosaic_file_is_not_a_recorded_history_and_the_check_says_so()
    {
        // mosaic's addresses are random and its blocks do not tile its segments (tests/data/torch-snapshots/README.md):
        // no allocator produced it, so the model cannot reproduce it, and the table must not claim it did.
        var output = RealSnapshotModelCheckTests.WhatIf("mosaic_output.pickle", new WhatIfOptions { MinimumCapacity = false });
        Assert.NotEmpty(output.Pools);
        Assert.All(output.Pools, p => Assert.False(p.Check!.Verified));
        Assert.True(output.Counts.GetValueOrDefault("whatif_address_mismatch") > 0);
        Assert.All(Enumerable.Range(0, output.Check.RowCount), r => Assert.False(output.Check[AllocatorModelCheck.Verified][r]));
    }
}
