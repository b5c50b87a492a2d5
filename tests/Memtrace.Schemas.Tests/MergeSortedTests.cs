using Memtrace.Schemas.Model;
using Xunit;
using static Memtrace.Schemas.Model.Col;

namespace Memtrace.Schemas.Tests;

/// <summary>The k-way merge of sorted tables against its oracle: the stable sort of their concatenation.</summary>
public sealed class MergeSortedTests
{
    private static readonly StrKey Host = Str("host", "test", nullable: true);
    private static readonly I64Key TsNs = I64("ts_ns", "ns", "test", nullable: true);
    private static readonly F64Key Value = F64("value", "", "test");
    private static readonly I64Key Origin = I64("origin", "", "which input and row: shows the order of equal keys");
    private static readonly TableDef Def = new("merge_test", 1, TableKind.Result, "test", [Host, TsNs, Value], [Host, TsNs, Value, Origin]);

    private static Table RandomTable(Random rng, int input)
    {
        var t = new Table(Def);
        var rows = rng.Next(0, 40);
        for (var r = 0; r < rows; r++)
        {
            // Few distinct values, so equal keys across inputs are common; nulls too.
            if (rng.Next(6) == 0) t[Host].AppendNull(); else t[Host].Append($"h{rng.Next(3)}");
            if (rng.Next(6) == 0) t[TsNs].AppendNull(); else t[TsNs].Append(rng.Next(-2, 3));
            t[Value].Append(rng.Next(2) * 0.5);
            t[Origin].Append(input * 1000 + r);
            t.CommitRow();
        }
        return TableSort.ByKey(t);
    }

    [Fact]
    public void Merging_sorted_tables_equals_sorting_their_concatenation()
    {
        var rng = new Random(42);
        for (var trial = 0; trial < 500; trial++)
        {
            var inputs = Enumerable.Range(0, rng.Next(0, 6)).Select(i => RandomTable(rng, i)).ToList();
            var concat = new Table(Def);
            foreach (var t in inputs) concat.AppendTable(t);
            var expected = TableSort.ByKey(concat);
            var merged = TableSort.MergeSorted(Def, inputs);
            Assert.Equal(expected.RowCount, merged.RowCount);
            for (var r = 0; r < expected.RowCount; r++)
            {
                Assert.Equal(expected[Origin][r], merged[Origin][r]);
                Assert.Equal(expected[Host][r], merged[Host][r]);
            }
        }
    }

    [Fact]
    public void Inputs_with_disjoint_key_ranges_in_any_order_merge_as_the_sorted_concatenation()
    {
        // A fleet's shape: each input holds its own hosts, and the inputs come in another order than their keys.
        var rng = new Random(7);
        for (var trial = 0; trial < 300; trial++)
        {
            var n = rng.Next(1, 7);
            var hosts = Enumerable.Range(0, n).OrderBy(_ => rng.Next()).ToArray();
            var inputs = new List<Table>();
            for (var i = 0; i < n; i++)
            {
                var t = new Table(Def);
                var rows = rng.Next(0, 30);
                for (var r = 0; r < rows; r++)
                {
                    // Sometimes two inputs share a host name with equal keys at the edge: stable order must still hold.
                    t[Host].Append($"h{(rng.Next(10) == 0 ? hosts[i] / 2 : hosts[i])}");
                    t[TsNs].Append(rng.Next(0, 3));
                    t[Value].Append(0);
                    t[Origin].Append(i * 1000 + r);
                    t.CommitRow();
                }
                inputs.Add(TableSort.ByKey(t));
            }
            var concat = new Table(Def);
            foreach (var t in inputs) concat.AppendTable(t);
            var expected = TableSort.ByKey(concat);
            var merged = TableSort.MergeSorted(Def, inputs);
            Assert.Equal(Enumerable.Range(0, expected.RowCount).Select(r => expected[Origin][r]), Enumerable.Range(0, merged.RowCount).Select(r => merged[Origin][r]));
        }
    }

    [Fact]
    public void An_unsorted_input_is_refused()
    {
        var t = new Table(Def);
        foreach (var ts in new long[] { 5, 1 })
        {
            t[Host].Append("h");
            t[TsNs].Append(ts);
            t[Value].Append(0);
            t[Origin].Append(0);
            t.CommitRow();
        }
        Assert.Contains("input 0 is not sorted", Assert.Throws<ArgumentException>(() => TableSort.MergeSorted(Def, [t])).Message);
    }
}
