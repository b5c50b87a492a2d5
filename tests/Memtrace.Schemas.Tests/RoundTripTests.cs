using Memtrace.Schemas;
using Memtrace.Schemas.IO;
using Memtrace.Schemas.Model;
using Memtrace.Schemas.Tables;
using Memtrace.Tests;
using Xunit;

namespace Memtrace.Schemas.Tests;

public sealed class RoundTripTests
{
    public static TheoryData<string> AllTables()
    {
        var d = new TheoryData<string>();
        foreach (var t in TableCatalog.All) d.Add(t.Name);
        return d;
    }

    /// <summary>Seeded rows exercising nulls, extremes, empty and unicode strings, and empty lists.</summary>
    internal static Table RandomRows(TableDef def, int rows, int seed)
    {
        var rng = new Random(seed);
        var t = new Table(def);
        string[] strings = ["", "alloc", "ünïcödé ✓", "a,b\"c\n<script>", new string('x', 300)];
        for (var r = 0; r < rows; r++)
        {
            foreach (var c in def.Columns)
            {
                var col = t[c.Name];
                if (c.Nullable && rng.Next(5) == 0)
                {
                    col.AppendNull();
                    continue;
                }
                switch (col)
                {
                    case Int64Column x: x.Append(rng.Next(4) switch { 0 => long.MaxValue, 1 => long.MinValue, 2 => 0, _ => rng.NextInt64() }); break;
                    case Float64Column x: x.Append(rng.Next(4) switch { 0 => double.NaN, 1 => -0.0, 2 => double.MaxValue, _ => rng.NextDouble() }); break;
                    case BoolColumn x: x.Append(rng.Next(2) == 0); break;
                    case StringColumn x: x.Append(strings[rng.Next(strings.Length)]); break;
                    case StringListColumn x: x.Append(Enumerable.Range(0, rng.Next(4)).Select(i => strings[rng.Next(strings.Length)]).ToArray()); break;
                }
            }
            t.CommitRow();
        }
        return t;
    }

    [Theory]
    [MemberData(nameof(AllTables))]
    public void Every_table_round_trips_through_parquet_and_arrow(string name)
    {
        var def = TableCatalog.Find(name)!;
        var t = RandomRows(def, 257, name.GetHashCode(StringComparison.Ordinal) & 0xffff);
        using var pq = new MemoryStream();
        ParquetIo.Write(t, pq);
        pq.Position = 0;
        TableComparer.AssertEqual(t, ParquetIo.Read(def, pq));
        using var arrow = new MemoryStream();
        ArrowIo.Write(t, arrow);
        arrow.Position = 0;
        TableComparer.AssertEqual(t, ArrowIo.Read(def, arrow));
    }

    [Fact]
    public void Empty_tables_round_trip()
    {
        foreach (var def in TableCatalog.All)
        {
            var t = new Table(def);
            using var pq = new MemoryStream();
            ParquetIo.Write(t, pq);
            pq.Position = 0;
            TableComparer.AssertEqual(t, ParquetIo.Read(def, pq));
        }
    }

    [Fact]
    public void The_comparer_detects_a_changed_value()
    {
        var def = TableCatalog.Find("gpu_mem_info")!;
        var a = RandomRows(def, 3, 1);
        var b = RandomRows(def, 3, 2);
        Assert.ThrowsAny<Exception>(() => TableComparer.AssertEqual(a, b));
    }

    [Fact]
    public void Sorting_by_key_is_stable_and_puts_nulls_first()
    {
        var def = TableCatalog.Find("gpu_mem_info")!;
        var t = new Table(def);
        foreach (var (ts, free) in new[] { (3L, 30L), (1L, 10L), (3L, 31L), (2L, 20L) })
        {
            t[Col.SourceId].Append("s"); t[GpuMemInfo.TsNs].Append(ts); t[GpuMemInfo.Host].Append(""); t[GpuMemInfo.Pid].Append(1);
            t[GpuMemInfo.Device].Append(0); t[GpuMemInfo.Free].Append(free); t[GpuMemInfo.Origin].Append("sample"); t.CommitRow();
        }
        var sorted = TableSort.ByKey(t);
        Assert.Equal([10L, 20L, 30L, 31L], sorted[GpuMemInfo.Free].Values.ToArray());
    }

    [Fact]
    public void Table_definitions_reject_duplicate_columns_and_bad_sort_keys()
    {
        I64Key a = Col.I64("a", "", ""), otherA = Col.I64("a", "", ""), b = Col.I64("b", "", "");
        Assert.Throws<ArgumentException>(() => new TableDef("x", 1, TableKind.Raw, "", [a], [a, otherA]));
        Assert.Throws<ArgumentException>(() => new TableDef("x", 1, TableKind.Raw, "", [b], [a]));
        Assert.Throws<ArgumentException>(() => new TableDef("x", 1, TableKind.Raw, "", [otherA], [a]));
        var table = new Table(new TableDef("x", 1, TableKind.Raw, "", [a], [a]));
        Assert.Throws<ArgumentException>(() => table[otherA]);
    }
}
