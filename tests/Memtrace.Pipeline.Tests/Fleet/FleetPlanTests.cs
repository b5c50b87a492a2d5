using Memtrace.Pipeline.Fleet;
using Memtrace.Schemas;
using Memtrace.Tests;
using Xunit;

namespace Memtrace.Pipeline.Tests.Fleet;

public sealed class FleetPlanTests
{
    private static List<ArchiveUnit> Units(Random rng, int n) =>
        Enumerable.Range(0, n).Select(i => new ArchiveUnit($"a{i:x16}", $"/night/host{i}", rng.Next(0, 4) == 0 ? 0 : rng.NextInt64(1, 1_000_000), new string('0', 64), [])).ToList();

    [Fact]
    public void Every_unit_is_on_exactly_one_shard_and_no_shard_exceeds_the_lightest_by_more_than_the_largest_unit()
    {
        var rng = new Random(23);
        for (var trial = 0; trial < 200; trial++)
        {
            var units = Units(rng, rng.Next(0, 60));
            var shards = rng.Next(1, 12);
            var plan = FleetPlan.Build(units, shards);
            Assert.Equal(units.Select(u => u.Id).Order(StringComparer.Ordinal), plan.Units.Select(u => u.Id));
            var load = Enumerable.Range(0, shards).Select(k => plan.UnitsOf(k).Sum(u => Math.Max(1, u.Rows))).ToList();
            var largest = units.Count == 0 ? 0 : units.Max(u => Math.Max(1, u.Rows));
            // Longest-processing-time first: the last unit given to the heaviest shard went to the lightest shard then.
            Assert.True(load.Max() - load.Min() <= largest, $"trial {trial}: loads {string.Join(",", load)}, largest {largest}");
        }
    }

    [Fact]
    public void The_same_archives_and_shards_give_the_same_plan_bytes_whatever_their_order()
    {
        var units = Units(new Random(5), 30);
        var shuffled = units.OrderBy(_ => Guid.NewGuid()).ToList();
        Assert.Equal(FleetPlan.Build(units, 7).ToBytes(), FleetPlan.Build(shuffled, 7).ToBytes());
    }

    [Fact]
    public void A_plan_file_that_is_not_one_is_refused_in_one_line()
    {
        var dir = Repo.TempDir();
        var path = Path.Combine(dir, "plan.json");
        File.WriteAllText(path, "{\"tool\":\"memtrace\",\"shards\":2,\"units\":[{\"id\":\"a1\",\"archive\":\"/x\",\"rows\":1,\"manifest_sha256\":\"0\",\"shard\":5}]}");
        Assert.Contains("is on shard 5, outside 0..1", Assert.Throws<PlanException>(() => FleetPlan.Read(path)).Message);
        File.WriteAllText(path, "not json");
        Assert.StartsWith($"{path}: refused: not a memtrace plan", Assert.Throws<PlanException>(() => FleetPlan.Read(path)).Message);
        Assert.StartsWith($"{Path.Combine(dir, "none.json")}: refused:", Assert.Throws<PlanException>(() => FleetPlan.Read(Path.Combine(dir, "none.json"))).Message);
    }

    [Fact]
    public void Every_table_a_run_writes_has_a_merge_rule_and_every_rule_names_such_a_table()
    {
        var written = TableCatalog.Results.Select(d => d.Name).Append("import_log").Order(StringComparer.Ordinal);
        Assert.Equal(written, ResultCombiner.Rules.Keys.Order(StringComparer.Ordinal));
        Assert.Equal(TableMergeRule.SumCounters, ResultCombiner.Rules["stats"]);
        // Distinct rows by key only where the key is a content hash, so equal keys are equal rows.
        Assert.All(ResultCombiner.Rules.Where(r => r.Value == TableMergeRule.DistinctByKey), r => Assert.Contains("Content hash", TableCatalog.Find(r.Key)!.Columns[0].Doc));
    }
}
