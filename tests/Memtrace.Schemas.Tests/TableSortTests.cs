using Memtrace.Schemas.Model;
using Memtrace.Schemas.Tables;
using Memtrace.Tests;
using Xunit;

namespace Memtrace.Schemas.Tests;

/// <summary>
/// TableSort.ByKey against a naive oracle (rows ordered by the key, cell by cell through CompareCell, ties by row) on seeded
/// tables whose key columns repeat (one host, a few pids and pools), hold nulls and come sorted, nearly sorted or shuffled.
/// </summary>
public sealed class TableSortTests
{
    [Fact]
    public void Sorting_by_the_key_matches_a_naive_ordering_on_seeded_tables()
    {
        var rng = new Random(23);
        var def = GpuAllocEvents.Def;
        var sortedInputs = 0;
        for (var trial = 0; trial < 60; trial++)
        {
            var rows = rng.Next(0, 400);
            var t = RoundTripTests.RandomRows(def, rows, trial);
            // Few distinct key values, so that later key columns decide: RandomRows draws them from a wide range.
            var keyed = new Table(def, rows);
            var hosts = new[] { "", "h1" };
            var pools = new[] { "torch-caching", "rmm" };
            // 0: in key order; 1: one host and pool, the integer keys decide; 2: in order but for one swapped pair of
            // timestamps; 3: every key drawn at random.
            var shape = trial % 4;
            var swap = rows > 1 ? rng.Next(rows - 1) : -1;
            for (var r = 0; r < rows; r++)
            {
                var inOrder = shape is 0 or 2;
                foreach (var c in def.Columns)
                {
                    var column = keyed[c.Name];
                    if (c.Name == GpuAllocEvents.Host.Name) ((StringColumn)column).Append(shape < 3 ? "" : hosts[rng.Next(2)]);
                    else if (c.Name == GpuAllocEvents.Pid.Name) ((Int64Column)column).Append(inOrder ? 1 : rng.Next(3));
                    else if (c.Name == GpuAllocEvents.Device.Name) ((Int64Column)column).Append(inOrder ? 0 : rng.Next(2));
                    else if (c.Name == GpuAllocEvents.Pool.Name) ((StringColumn)column).Append(shape < 3 ? "rmm" : pools[rng.Next(2)]);
                    else if (c.Name == GpuAllocEvents.TsNs.Name) ((Int64Column)column).Append(inOrder ? (shape == 2 && r == swap ? r + 1 : shape == 2 && r == swap + 1 ? r - 1 : r) : rng.Next(50));
                    else if (c.Name == GpuAllocEvents.Seq.Name) ((Int64Column)column).Append(inOrder ? r : rng.Next(5));
                    else CopyCell(t[c.Name], r, column);
                }
                keyed.CommitRow();
            }
            var keys = def.SortKey.Select(k => keyed[k]).ToArray();
            var oracle = Enumerable.Range(0, rows).Order(Comparer<int>.Create((a, b) =>
            {
                foreach (var k in keys)
                {
                    var c = TableSort.CompareCell(k, a, b);
                    if (c != 0) return c;
                }
                return a.CompareTo(b);
            })).ToArray();
            var sorted = TableSort.ByKey(keyed);
            if (oracle.SequenceEqual(Enumerable.Range(0, rows)))
            {
                sortedInputs++;
                Assert.Same(keyed, sorted);
            }
            TableComparer.AssertEqual(keyed.Permute(oracle), sorted);
        }
        Assert.True(sortedInputs >= 10, $"only {sortedInputs} inputs came sorted");
    }

    private static void CopyCell(Column from, int row, Column to)
    {
        if (from.IsNull(row))
        {
            to.AppendNull();
            return;
        }
        switch (from, to)
        {
            case (Int64Column x, Int64Column y): y.Append(x[row]); break;
            case (StringColumn x, StringColumn y): y.Append(x[row]); break;
            default: throw new InvalidOperationException(from.GetType().Name);
        }
    }
}
