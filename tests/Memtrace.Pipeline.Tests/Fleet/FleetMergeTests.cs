using System.Text.Json.Nodes;
using Memtrace.Collectors.Importers;
using Memtrace.Pipeline.Fleet;
using Memtrace.Pipeline.Run;
using Memtrace.Schemas;
using Memtrace.Schemas.Archive;
using Memtrace.Schemas.IO;
using Memtrace.Schemas.Model;
using Memtrace.Schemas.Results;
using Memtrace.Tests;
using Xunit;

namespace Memtrace.Pipeline.Tests.Fleet;

/// <summary>
/// A fleet run is the single run, split: one archive's part merges to exactly what `memtrace run` writes for it;
/// several archives merge to the union of their own runs; any grouping into shards, flat or as a tree of merges,
/// gives the same bytes.
/// </summary>
public sealed class FleetMergeTests(FleetArchives fleet) : IClassFixture<FleetArchives>
{
    private static readonly RunOptions Options = new();

    public static TheoryData<string> SingleInputs => ["demo-archive", "magma27_memory_snapshot.pickle", "bcrafton_memory_snapshot.pickle", "bcrafton_oom_variant.pickle"];

    [Theory]
    [MemberData(nameof(SingleInputs))]
    public void One_archive_planned_run_as_a_shard_and_merged_is_byte_identical_to_its_run(string input)
    {
        var archive = input == "demo-archive" ? Path.Combine(Repo.Root, "samples", "demo-archive") : Imported(input);
        var work = fleet.Work();
        Assert.Equal(ExitCode.Success, RunPipeline.Run(archive, Path.Combine(work, "run"), Options).Exit);
        var plan = Plan([archive], 1, work);
        Assert.Equal(ExitCode.Success, FleetRun.RunShard(plan, 0, Path.Combine(work, "parts", "0"), Options, null, null).Exit);
        Assert.Equal(ExitCode.Success, FleetRun.Merge([Path.Combine(work, "parts", "0")], Path.Combine(work, "merged"), Options, false, null).Exit);
        AssertSameResult(Path.Combine(work, "run"), Path.Combine(work, "merged"));
    }

    [Fact]
    public void Several_archives_merge_to_the_union_of_their_own_runs()
    {
        var outDir = Path.Combine(fleet.Work(), "fleet");
        var outcome = FleetRun.RunMany(fleet.Archives, outDir, Options with { TolerateErrors = true }, null, null);
        Assert.True(outcome.Exit == ExitCode.Success, outcome.Message);
        var units = Directory.GetDirectories(Path.Combine(outDir, "units"));
        Assert.Equal(fleet.Archives.Count, units.Length);
        foreach (var (name, rule) in ResultCombiner.Rules)
        {
            var def = TableCatalog.Find(name)!;
            var merged = Rows(Path.Combine(outDir, "tables", name + ".arrow"), def);
            var each = units.Select(u => Rows(Path.Combine(u, "tables", name + ".arrow"), def)).ToList();
            switch (rule)
            {
                case TableMergeRule.Concat:
                    Assert.Equal(each.SelectMany(r => r).Order(StringComparer.Ordinal), merged.Order(StringComparer.Ordinal));
                    break;
                case TableMergeRule.DistinctByKey:
                    Assert.Equal(each.SelectMany(r => r).Distinct().Order(StringComparer.Ordinal), merged.Order(StringComparer.Ordinal));
                    break;
                case TableMergeRule.SumCounters:
                    var stats = Read(Path.Combine(outDir, "tables", "stats.arrow"), def);
                    for (var r = 0; r < stats.RowCount; r++)
                    {
                        var key = stats[StatsTable.StatKey][r];
                        var sum = units.Sum(u => StatValue(Read(Path.Combine(u, "tables", "stats.arrow"), def), key!));
                        Assert.Equal(sum, stats[StatsTable.Value][r]);
                    }
                    break;
            }
        }
        // The merged tables are sorted by their keys, as every run's are.
        foreach (var file in Directory.GetFiles(Path.Combine(outDir, "tables")))
        {
            var table = Read(file, TableCatalog.Find(Path.GetFileNameWithoutExtension(file))!);
            Assert.Same(table, TableSort.ByKey(table));
        }
        var summary = ResultCombiner.ReadJson(Path.Combine(outDir, "summary.json"));
        Assert.Equal(units.Sum(u => ResultCombiner.ReadJson(Path.Combine(u, "summary.json"))["gpu"]!["pools"]!.AsArray().Count), summary["gpu"]!["pools"]!.AsArray().Count);
        Assert.Equal(units.Sum(u => ResultCombiner.ReadJson(Path.Combine(u, "summary.json"))["findings"]!.AsArray().Count), summary["findings"]!.AsArray().Count);
    }

    [Fact]
    public void Shards_one_three_and_eight_and_a_tree_of_merges_equal_the_run_over_all_archives()
    {
        var work = fleet.Work();
        var cache = Path.Combine(work, "cache");
        Assert.Equal(ExitCode.Success, FleetRun.RunMany(fleet.Archives, Path.Combine(work, "all"), Options with { TolerateErrors = true }, cache, null).Exit);
        foreach (var n in new[] { 1, 3, 8 })
        {
            var plan = Plan(fleet.Archives, n, Path.Combine(work, $"n{n}"));
            var parts = Enumerable.Range(0, n).Select(k => Path.Combine(work, $"n{n}", "parts", k.ToString())).ToList();
            // The cache makes the same units in every plan without computing them again; the Slurm test runs them cold.
            for (var k = 0; k < n; k++) Assert.Equal(ExitCode.Success, FleetRun.RunShard(plan, k, parts[k], Options, cache, null).Exit);
            Assert.Equal(ExitCode.Success, FleetRun.Merge(parts, Path.Combine(work, $"n{n}", "merged"), Options with { TolerateErrors = true }, false, null).Exit);
            AssertSameResult(Path.Combine(work, "all"), Path.Combine(work, $"n{n}", "merged"));
            if (n != 8) continue;
            // ((0+1+2+3) + (4+5)) + (6+7): partial merges merged again.
            var a = Path.Combine(work, "tree", "a");
            var b = Path.Combine(work, "tree", "b");
            var c = Path.Combine(work, "tree", "c");
            var gates = Options with { TolerateErrors = true };
            Assert.Equal(ExitCode.Success, FleetRun.Merge(parts[..4], a, gates, true, null).Exit);
            Assert.Equal(ExitCode.Success, FleetRun.Merge([a, .. parts[4..6]], b, gates, true, null).Exit);
            Assert.Equal(ExitCode.Success, FleetRun.Merge(parts[6..], c, gates, true, null).Exit);
            Assert.Equal(ExitCode.Success, FleetRun.Merge([c, b], Path.Combine(work, "tree", "all"), gates, false, null).Exit);
            AssertSameResult(Path.Combine(work, "all"), Path.Combine(work, "tree", "all"));
        }
    }

    internal static string Plan(IReadOnlyList<string> archives, int shards, string dir)
    {
        var refused = new List<string>();
        var plan = FleetPlan.Build(FleetInputs.Open(archives, refused), shards);
        Assert.Empty(refused);
        var path = Path.Combine(dir, "plan.json");
        Directory.CreateDirectory(dir);
        plan.Write(path);
        return path;
    }

    internal static void AssertSameResult(string expected, string actual)
    {
        var tables = Directory.GetFiles(Path.Combine(expected, "tables")).Select(Path.GetFileName).Order(StringComparer.Ordinal).ToList();
        Assert.Equal(tables, Directory.GetFiles(Path.Combine(actual, "tables")).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        foreach (var f in tables.Select(t => Path.Combine("tables", t!)).Append("summary.json").Append("report.html"))
            Assert.True(File.ReadAllBytes(Path.Combine(expected, f)).AsSpan().SequenceEqual(File.ReadAllBytes(Path.Combine(actual, f))), $"{f} differs between {expected} and {actual}");
    }

    private string Imported(string snapshot)
    {
        var dir = fleet.Work();
        Assert.Equal(ImportOutcome.Imported, new ImportRunner(TraceArchive.OpenOrCreate(dir), new ImportOptions()).ImportOne(Repo.Torch(snapshot), "torch-snapshot").Outcome);
        return dir;
    }

    private static Table Read(string path, TableDef def)
    {
        using var fs = File.OpenRead(path);
        return ArrowIo.Read(def, fs);
    }

    private static long StatValue(Table stats, string key)
    {
        for (var r = 0; r < stats.RowCount; r++) if (stats[StatsTable.StatKey][r] == key) return stats[StatsTable.Value][r];
        return 0;
    }

    /// <summary>Every row as one string of all its cells: a naive view that knows nothing of keys or sorting.</summary>
    private static List<string> Rows(string path, TableDef def)
    {
        if (!File.Exists(path)) return [];
        var t = Read(path, def);
        var rows = new List<string>(t.RowCount);
        for (var r = 0; r < t.RowCount; r++)
            rows.Add(string.Join('\u001f', t.Columns.Select(c => c.IsNull(r) ? "∅" : c switch
            {
                Int64Column x => x[r].ToString(System.Globalization.CultureInfo.InvariantCulture),
                Float64Column x => x[r].ToString("R", System.Globalization.CultureInfo.InvariantCulture),
                BoolColumn x => x[r].ToString(),
                StringColumn x => x[r] ?? "",
                StringListColumn x => string.Join('\u001e', x[r]),
                _ => "?",
            })));
        return rows;
    }
}
