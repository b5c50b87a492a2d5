using Memtrace.Pipeline.Fleet;
using Memtrace.Pipeline.Run;
using Memtrace.Tests;
using Xunit;

namespace Memtrace.Pipeline.Tests.Fleet;

/// <summary>A merge that cannot be whole is refused with one line naming the part, exit 2, and writes nothing.</summary>
public sealed class FleetRefusalTests : IClassFixture<FleetArchives>
{
    private static readonly RunOptions Options = new() { TolerateErrors = true };
    private readonly string _work;
    private readonly List<string> _parts;
    private readonly FleetArchives _fleet;

    public FleetRefusalTests(FleetArchives fleet)
    {
        _fleet = fleet;
        _work = fleet.Work();
        var archives = fleet.Archives.Take(3).ToList();
        var plan = FleetMergeTests.Plan(archives, 3, _work);
        _parts = Enumerable.Range(0, 3).Select(k => Path.Combine(_work, "parts", k.ToString())).ToList();
        for (var k = 0; k < 3; k++) Assert.Equal(ExitCode.Success, FleetRun.RunShard(plan, k, _parts[k], Options, null, null).Exit);
    }

    private (RunOutcome Outcome, string Out) Merge(params string[] parts)
    {
        var outDir = Path.Combine(_work, "merged-" + Guid.NewGuid().ToString("N")[..8]);
        return (FleetRun.Merge(parts, outDir, Options, false, null), outDir);
    }

    private static void AssertRefused((RunOutcome Outcome, string Out) r, string mustContain)
    {
        Assert.Equal(ExitCode.InputRefused, r.Outcome.Exit);
        Assert.DoesNotContain('\n', r.Outcome.Message);
        Assert.Contains(mustContain, r.Outcome.Message);
        Assert.False(Path.Exists(r.Out), "a refused merge wrote its output");
        Assert.Empty(Directory.GetDirectories(Path.GetDirectoryName(r.Out)!, ".tmp-*"));
    }

    [Fact]
    public void A_missing_part_is_refused_naming_its_shard() =>
        AssertRefused(Merge(_parts[0], _parts[2]), "shard 1 of 3 missing");

    [Fact]
    public void A_part_given_twice_is_refused_naming_both() =>
        AssertRefused(Merge(_parts[0], _parts[1], _parts[2], _parts[1]), $"{_parts[1]}: refused: shard 1 is also in {_parts[1]}");

    [Fact]
    public void A_part_of_another_plan_is_refused()
    {
        var other = FleetMergeTests.Plan(_fleet.Archives.Take(3).ToList(), 2, Path.Combine(_work, "other"));
        var foreign = Path.Combine(_work, "other", "parts", "1");
        Assert.Equal(ExitCode.Success, FleetRun.RunShard(other, 1, foreign, Options, null, null).Exit);
        AssertRefused(Merge(_parts[0], foreign, _parts[2]), $"{foreign}: refused: from plan");
    }

    [Fact]
    public void A_half_written_part_is_refused()
    {
        // What a killed shard leaves: its directory without part.json, or a unit without its run.json.
        var half = Path.Combine(_work, "half");
        UnitRunner.CopyTree(_parts[1], half);
        File.Delete(Path.Combine(half, PartInfo.FileName));
        AssertRefused(Merge(_parts[0], half, _parts[2]), $"{half}: refused: no part.json");
        UnitRunner.CopyTree(_parts[1], half);
        var unit = Directory.GetDirectories(Path.Combine(half, "units"))[0];
        File.Delete(Path.Combine(unit, "run.json"));
        AssertRefused(Merge(_parts[0], half, _parts[2]), "half-written");
        UnitRunner.CopyTree(_parts[1], half);
        File.Delete(Path.Combine(unit, "tables", "heatmap.arrow"));
        AssertRefused(Merge(_parts[0], half, _parts[2]), $"has no {Path.Combine("tables", "heatmap.arrow")}");
    }

    [Fact]
    public void A_part_run_with_other_options_is_refused()
    {
        var plan = Path.Combine(_work, "plan.json");
        var odd = Path.Combine(_work, "odd");
        Assert.Equal(ExitCode.Success, FleetRun.RunShard(plan, 2, odd, Options with { WhatIf = null }, null, null).Exit);
        AssertRefused(Merge(_parts[0], _parts[1], odd), $"{odd}: refused: run with other options");
    }

    [Fact]
    public void An_archive_changed_since_the_plan_is_refused_by_its_shard_and_reported_by_the_merge()
    {
        var archive = Path.Combine(_work, "changing");
        FleetArchives.Host(archive, 11);
        var plan = FleetMergeTests.Plan([archive], 1, Path.Combine(_work, "changing-plan"));
        FleetArchives.Host(Path.Combine(_work, "other-host"), 12);
        UnitRunner.CopyTree(Path.Combine(_work, "other-host"), archive);
        var part = Path.Combine(_work, "changing-part");
        var shard = FleetRun.RunShard(plan, 0, part, Options, null, null);
        Assert.Equal(ExitCode.Success, shard.Exit);
        Assert.Contains(shard.Refused, r => r.Contains("changed since the plan"));
        var (outcome, outDir) = Merge(part);
        Assert.Equal(ExitCode.InputRefused, outcome.Exit);
        Assert.Contains(outcome.Refused, r => r.StartsWith(archive, StringComparison.Ordinal) && r.Contains("changed since the plan"));
        Assert.True(File.Exists(Path.Combine(outDir, "summary.json")));
    }

    [Fact]
    public void The_same_archive_twice_or_a_source_in_two_archives_is_refused_in_the_second()
    {
        var demo = _fleet.Archives[^1];
        var copy = Path.Combine(_work, "copy-of-demo");
        UnitRunner.CopyTree(demo, copy);
        var refused = new List<string>();
        Assert.Single(FleetInputs.Open([demo, copy], refused));
        Assert.Contains("the same archive as", Assert.Single(refused));
        // Another archive that holds one of the demo's files (the real magma27 snapshot) and one more: that file's rows
        // would come twice under one source id.
        var overlap = Path.Combine(_work, "overlap");
        var importer = new Collectors.Importers.ImportRunner(Schemas.Archive.TraceArchive.OpenOrCreate(overlap), new Collectors.Importers.ImportOptions());
        Assert.Equal(Collectors.Importers.ImportOutcome.Imported, importer.ImportOne(Repo.Torch("magma27_memory_snapshot.pickle"), "torch-snapshot").Outcome);
        Assert.Equal(Collectors.Importers.ImportOutcome.Imported, importer.ImportOne(Repo.Torch("bcrafton_memory_snapshot.pickle"), "torch-snapshot").Outcome);
        refused.Clear();
        Assert.Single(FleetInputs.Open([demo, overlap], refused));
        Assert.Contains("source sc8ec7616923c91af is also in", Assert.Single(refused));
    }

    [Fact]
    public void A_missing_archive_is_refused_and_the_others_still_run()
    {
        var outDir = Path.Combine(_work, "some");
        var outcome = FleetRun.RunMany([_fleet.Archives[0], Path.Combine(_work, "nope")], outDir, Options, null, null);
        Assert.Equal(ExitCode.InputRefused, outcome.Exit);
        Assert.Contains(outcome.Refused, r => r.Contains("nope: refused: no such archive"));
        Assert.Single(Directory.GetDirectories(Path.Combine(outDir, "units")));
    }
}
