using System.Runtime;
using Memtrace.Collectors.Pickle;
using Xunit;

namespace Memtrace.Collectors.Tests;

/// <summary>
/// The torch import's no-GC region: held during the load, given back after it whatever happens, never nested. The class
/// runs alone (<see cref="RunsAlone"/>): the region is the process's, and another test's import must not hold it meanwhile.
/// </summary>
[Collection(RunsAlone.Name)]
public sealed class HeldCollectionsTests
{
    [Fact]
    public void The_region_is_held_during_the_load_and_given_back_after_it()
    {
        var during = HeldCollections.Run(64L << 20, () => GCSettings.LatencyMode);
        Assert.Equal(GCLatencyMode.NoGCRegion, during);
        Assert.NotEqual(GCLatencyMode.NoGCRegion, GCSettings.LatencyMode);
    }

    [Fact]
    public void A_failing_load_gives_the_region_back()
    {
        Assert.Throws<FormatException>(() => HeldCollections.Run<int>(64L << 20, () => throw new FormatException("bad pickle")));
        Assert.NotEqual(GCLatencyMode.NoGCRegion, GCSettings.LatencyMode);
    }

    [Fact]
    public void A_load_nested_in_another_runs_with_collections_and_a_load_past_the_budget_goes_on()
    {
        var inner = HeldCollections.Run(64L << 20, () => HeldCollections.Run(64L << 20, () => 7));
        Assert.Equal(7, inner);
        // 16 MiB held, 64 MiB allocated: the runtime ends the region itself and the load finishes.
        var arrays = HeldCollections.Run(16L << 20, () => Enumerable.Range(0, 64).Select(_ => new byte[1 << 20]).ToList());
        Assert.Equal(64, arrays.Count);
        Assert.NotEqual(GCLatencyMode.NoGCRegion, GCSettings.LatencyMode);
    }
}
