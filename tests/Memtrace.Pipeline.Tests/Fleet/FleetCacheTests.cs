using Memtrace.Pipeline.Fleet;
using Memtrace.Pipeline.Run;
using Memtrace.Tests;
using Xunit;

namespace Memtrace.Pipeline.Tests.Fleet;

/// <summary>Incremental nights: a unit is recomputed only when its archive, memtrace or the options changed.</summary>
public sealed class FleetCacheTests
{
    private static readonly RunOptions Options = new() { TolerateErrors = true };

    [Fact]
    public void A_second_night_with_one_of_five_archives_changed_recomputes_only_that_one()
    {
        var work = Repo.TempDir();
        try
        {
            Night(work);
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }

    private static void Night(string work)
    {
        var archives = Enumerable.Range(1, 5).Select(i => FleetArchives.Host(Path.Combine(work, "night", $"host{i}"), i, events: 4_000)).ToList();
        var cache = Path.Combine(work, "cache");
        var first = FleetRun.RunMany(archives, Path.Combine(work, "night1"), Options, cache, null);
        Assert.Equal(ExitCode.Success, first.Exit);
        Assert.Equal((0, 5), Reuse(Path.Combine(work, "night1")));

        // host3's day changes: it is re-captured (another seed) into the same place.
        Directory.Delete(archives[2], recursive: true);
        FleetArchives.Host(archives[2], 33, events: 4_000);
        Assert.Equal(ExitCode.Success, FleetRun.RunMany(archives, Path.Combine(work, "night2"), Options, cache, null).Exit);
        Assert.Equal((4, 1), Reuse(Path.Combine(work, "night2")));
        var run = ResultCombiner.ReadJson(Path.Combine(work, "night2", "run.json"));
        var computed = Assert.Single(run["units"]!.AsArray(), u => !(bool)u!["reused"]!);
        Assert.Equal(Path.GetFullPath(archives[2]), (string)computed!["archive"]!);

        // Byte-identical to the same night run cold.
        Assert.Equal(ExitCode.Success, FleetRun.RunMany(archives, Path.Combine(work, "cold"), Options, null, null).Exit);
        FleetMergeTests.AssertSameResult(Path.Combine(work, "cold"), Path.Combine(work, "night2"));

        // Other options are another key: nothing is reused.
        Assert.Equal(ExitCode.Success, FleetRun.RunMany(archives, Path.Combine(work, "night3"), Options with { WhatIf = null }, cache, null).Exit);
        Assert.Equal((0, 5), Reuse(Path.Combine(work, "night3")));
    }

    private static (int Reused, int Computed) Reuse(string outDir)
    {
        var run = ResultCombiner.ReadJson(Path.Combine(outDir, "run.json"));
        return ((int)run["units_reused"]!, (int)run["units_computed"]!);
    }
}
