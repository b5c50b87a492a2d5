using Memtrace.Schemas.Model;
using Xunit;
using static Memtrace.Schemas.Model.Col;

namespace Memtrace.Schemas.Tests;

/// <summary>String columns through Arrow: each distinct value is encoded once on write and made once on read.</summary>
public sealed class ArrowStringTests
{
    [Fact]
    public void Repeated_alternating_unicode_and_null_strings_round_trip()
    {
        var s = Str("s", "test", nullable: true);
        var def = new TableDef("strings_test", 1, TableKind.Result, "test", [s], [s]);
        var values = new[] { "a", "a", "b", "a", null, "é€𝄞", "é€𝄞", "b", "", "a", null, null, "b" };
        var rng = new Random(3);
        var t = new Table(def);
        foreach (var v in values.Concat(Enumerable.Range(0, 5000).Select(_ => values[rng.Next(values.Length)])))
        {
            t[s].Append(v);
            t.CommitRow();
        }
        using var ms = new MemoryStream();
        IO.ArrowIo.Write(t, ms);
        ms.Position = 0;
        var back = IO.ArrowIo.Read(def, ms);
        Assert.Equal(Enumerable.Range(0, t.RowCount).Select(r => t[s][r]), Enumerable.Range(0, back.RowCount).Select(r => back[s][r]));
    }
}
