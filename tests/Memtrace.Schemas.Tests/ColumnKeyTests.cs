using System.Reflection;
using Memtrace.Schemas.Model;
using Memtrace.Schemas.Tables;
using Xunit;

namespace Memtrace.Schemas.Tests;

/// <summary>
/// Each table file's handles and its column list are one list: every handle a table class declares is
/// one of its columns, every column has a handle, and a handle is refused by a table it was not
/// declared for.
/// </summary>
public sealed class ColumnKeyTests
{
    /// <summary>Every class that declares a table, with its definition.</summary>
    public static TheoryData<string> TableClasses() => [.. Declaring().Select(d => d.Type.FullName!)];

    private static IEnumerable<(Type Type, TableDef Def)> Declaring() =>
        typeof(TableCatalog).Assembly.GetTypes()
            .Select(t => (Type: t, Field: t.GetField("Def", BindingFlags.Public | BindingFlags.Static)))
            .Where(x => x.Field?.FieldType == typeof(TableDef))
            .Select(x => (x.Type, (TableDef)x.Field!.GetValue(null)!));

    private static IEnumerable<ColumnKey> Handles(Type type) =>
        type.GetFields(BindingFlags.Public | BindingFlags.Static).SelectMany(f => f.GetValue(null) switch
        {
            ColumnKey k => [k],
            IEnumerable<ColumnKey> ks => ks,
            _ => Array.Empty<ColumnKey>(),
        });

    private static readonly ColumnKey[] Shared = [Col.SourceId, .. PoolKeyColumns.All];

    [Theory]
    [MemberData(nameof(TableClasses))]
    public void A_table_class_has_a_handle_for_each_column_and_none_other(string typeName)
    {
        var (type, def) = Declaring().Single(d => d.Type.FullName == typeName);
        var own = Handles(type).ToList();
        Assert.All(own, k => Assert.Contains(def.Columns, c => ReferenceEquals(c, k.Def)));
        var handled = own.Concat(Shared).Select(k => k.Def).ToList();
        Assert.All(def.Columns, c => Assert.Contains(handled, d => ReferenceEquals(d, c)));
        Assert.Equal(def.Columns.Count, own.Count + def.Columns.Count(c => Shared.Any(s => ReferenceEquals(s.Def, c))));
    }

    [Fact]
    public void Every_catalogued_table_is_declared_by_a_class()
    {
        Assert.Equal(TableCatalog.All.Select(t => t.Name).Order(), Declaring().Select(d => d.Def.Name).Order());
    }

    [Fact]
    public void A_handle_reads_its_own_tables_column_and_is_refused_by_another()
    {
        var proc = new Table(ProcSamples.Def);
        Assert.Same(proc.Columns[ProcSamples.Def.IndexOf("vm_rss")], proc[ProcSamples.VmRss]);
        Assert.Same(proc.Columns[ProcSamples.Def.IndexOf("source_id")], proc[Col.SourceId]);
        // Same name, same type, another table's declaration: a reader holding the wrong table must not get data.
        Assert.Throws<ArgumentException>(() => proc[CgroupSamples.TsNs]);
        Assert.Throws<ArgumentException>(() => proc[PoolKeyColumns.SourceId]);
        Assert.Throws<KeyNotFoundException>(() => proc[CgroupSamples.Usage]);
    }

    [Fact]
    public void A_shared_handle_finds_its_column_in_each_table_it_alternates_between()
    {
        var tables = new[] { new Table(Results.Heatmap.Def), new Table(Results.WhatIf.Def), new Table(Results.Anomalies.Def) };
        for (var round = 0; round < 3; round++)
        {
            foreach (var t in tables)
            {
                Assert.Same(t.Columns[t.Def.IndexOf("source_id")], t[PoolKeyColumns.SourceId]);
                Assert.Throws<ArgumentException>(() => t[Col.SourceId]);
            }
        }
        var proc = new Table(ProcSamples.Def);
        Assert.Same(proc.Columns[ProcSamples.Def.IndexOf("source_id")], proc[Col.SourceId]);
        Assert.Throws<ArgumentException>(() => tables[0][Col.SourceId]);
    }

    [Fact]
    public void Clock_columns_have_one_type_in_every_table()
    {
        foreach (var t in TableCatalog.All)
        {
            foreach (var c in t.Columns)
            {
                if (c.Name is ClockColumns.TsNs or ClockColumns.MonoNs or ClockColumns.WindowStartNs) Assert.Equal(ColumnType.Int64, c.Type);
                if (c.Name is ClockColumns.Host) Assert.Equal(ColumnType.String, c.Type);
            }
        }
        Assert.Contains(TableCatalog.All, t => t.Columns.Any(c => c.Name == ClockColumns.MonoNs));
    }
}
