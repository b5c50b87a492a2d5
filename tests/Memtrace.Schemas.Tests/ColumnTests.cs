using Memtrace.Schemas.Model;
using Xunit;

namespace Memtrace.Schemas.Tests;

public sealed class ColumnTests
{
    private static Int64Column NewColumn() => new(Col.I64("x", "", "test", nullable: true));

    private static void AssertEqual(List<long?> oracle, Int64Column c)
    {
        Assert.Equal(oracle.Count, c.Count);
        for (var i = 0; i < oracle.Count; i++)
        {
            Assert.Equal(oracle[i], c.Get(i));
            Assert.Equal(oracle[i] is null, c.IsNull(i));
        }
        Assert.Equal(oracle.Any(v => v is null), c.HasNulls);
        Assert.Equal(oracle.Select(v => v ?? 0), c.Values.ToArray());
    }

    /// <summary>IsConstant: one value on every row and no null; an empty column is not constant.</summary>
    [Theory]
    [InlineData("", false)]
    [InlineData("7", true)]
    [InlineData("7 7 7 7 7 7 7 7 7 7 7 7 7 7 7 7 7 7 7 7 7 7 7 7 7 7 7 7 7 7 7 7 7 7", true)]
    [InlineData("7 7 7 7 7 7 7 7 7 7 7 7 7 7 7 7 7 7 7 7 7 7 7 7 7 7 7 7 7 7 7 7 7 8", false)]
    [InlineData("8 7 7", false)]
    [InlineData("7 - 7", false)]
    [InlineData("- - -", false)]
    public void A_column_is_constant_with_one_value_on_every_row_and_no_null(string cells, bool constant)
    {
        var ints = NewColumn();
        var strings = new StringColumn(Col.Str("s", "test", nullable: true));
        foreach (var cell in cells.Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            ints.Append(cell == "-" ? null : long.Parse(cell, System.Globalization.CultureInfo.InvariantCulture));
            strings.Append(cell == "-" ? null : "v" + cell);
        }
        Assert.Equal(constant, ints.IsConstant);
        Assert.Equal(constant, strings.IsConstant);
    }

    /// <summary>Adopt: an importer's array becomes the column (its first count cells), validity marks nulls, appends go on after it.</summary>
    [Fact]
    public void An_adopted_array_is_the_column_and_appends_go_on_after_it()
    {
        var a = NewColumn();
        a.Adopt([5, 6, 0, 8, 99], 4, [true, true, false, true, true]);
        a.Append(9);
        a.AppendNull();
        AssertEqual([5, 6, null, 8, 9, null], a);
        var b = NewColumn();
        b.Adopt([1, 2], 2);
        b.Append(3);
        AssertEqual([1, 2, 3], b);
        Assert.Throws<InvalidOperationException>(() => b.Adopt([1], 1));
        Assert.Throws<ArgumentException>(() => NewColumn().Adopt([1], 2));
        Assert.Throws<ArgumentException>(() => NewColumn().Adopt([1, 2], 2, [true]));
        Assert.Throws<InvalidOperationException>(() => new Int64Column(Col.I64("y", "", "test")).Adopt([1], 1, [false]));
    }

    [Fact]
    public void Nulls_values_and_whole_column_appends_match_a_list_on_seeded_runs()
    {
        var rng = new Random(5);
        for (var trial = 0; trial < 300; trial++)
        {
            var a = NewColumn();
            var oracle = new List<long?>();
            if (rng.Next(2) == 0) a.Reserve(rng.Next(1, 100));
            for (var step = 0; step < rng.Next(0, 60); step++)
            {
                switch (rng.Next(trial % 3 == 0 ? 2 : 5)) // a third of the runs: nulls only, then a few whole-column appends
                {
                    case 0:
                    case 1:
                        a.AppendNull();
                        oracle.Add(null);
                        break;
                    case 2:
                        var v = rng.NextInt64();
                        a.Append(v);
                        oracle.Add(v);
                        break;
                    case 3:
                        var span = Enumerable.Range(0, rng.Next(5)).Select(_ => rng.NextInt64()).ToArray();
                        a.AppendRange(span);
                        oracle.AddRange(span.Select(x => (long?)x));
                        break;
                    default:
                        var b = NewColumn();
                        var part = Enumerable.Range(0, rng.Next(6)).Select(_ => rng.Next(3) == 0 ? (long?)null : rng.NextInt64()).ToList();
                        foreach (var p in part) b.Append(p);
                        a.AppendColumn(b);
                        oracle.AddRange(part);
                        break;
                }
            }
            AssertEqual(oracle, a);
            var copy = NewColumn();
            copy.AppendColumn(a);
            AssertEqual(oracle, copy);
        }
    }

    [Fact]
    public void A_null_in_a_non_nullable_column_throws_even_while_no_value_is_held()
    {
        var c = new Int64Column(Col.I64("x", "", "test"));
        Assert.Throws<InvalidOperationException>(c.AppendNull);
        var nulls = NewColumn();
        nulls.AppendNull();
        Assert.Throws<InvalidOperationException>(() => c.AppendColumn(nulls));
    }

    /// <summary>The dictionary-coded string column against a plain list, with whole-column appends that remap codes.</summary>
    [Fact]
    public void String_column_codes_match_a_list_on_seeded_runs()
    {
        var rng = new Random(9);
        string?[] pool = [null, "", "alloc", "free", "ünïcödé ✓", "torch-caching"];
        for (var trial = 0; trial < 200; trial++)
        {
            var a = new StringColumn(Col.Str("s", "test", nullable: true));
            var oracle = new List<string?>();
            for (var step = 0; step < rng.Next(0, 50); step++)
            {
                if (rng.Next(4) == 0)
                {
                    var b = new StringColumn(Col.Str("s", "test", nullable: true));
                    var part = Enumerable.Range(0, rng.Next(8)).Select(_ => pool[rng.Next(pool.Length)] ?? (rng.Next(2) == 0 ? null : "x" + rng.Next(3))).ToList();
                    foreach (var p in part) b.Append(p);
                    a.AppendColumn(b);
                    oracle.AddRange(part);
                }
                else
                {
                    var v = pool[rng.Next(pool.Length)];
                    a.Append(v is null ? null : new string(v.AsSpan())); // equal but not the same instance
                    oracle.Add(v);
                }
            }
            Assert.Equal(oracle.Count, a.Count);
            for (var i = 0; i < oracle.Count; i++)
            {
                Assert.Equal(oracle[i], a[i]);
                Assert.Equal(oracle[i] is null, a.IsNull(i));
            }
            Assert.Equal(oracle.Where(v => v is not null).Distinct().Count(), a.DistinctCount);
            Assert.Throws<ArgumentOutOfRangeException>(() => a[oracle.Count]);
            // Codes: equal codes exactly for equal values, and each code names its value.
            for (var i = 0; i < oracle.Count; i++)
            {
                Assert.Equal(oracle[i], a.ValueOfCode(a.CodeAt(i)));
                if (i > 0) Assert.Equal(oracle[i] == oracle[i - 1], a.CodeAt(i) == a.CodeAt(i - 1));
            }
        }
        var required = new StringColumn(Col.Str("s", "test"));
        Assert.Throws<InvalidOperationException>(required.AppendNull);
    }

    /// <summary>The bulk appends an importer builds whole columns with, against a list on seeded runs of mixed appends.</summary>
    [Fact]
    public void Repeated_values_and_null_runs_match_a_list_on_seeded_runs()
    {
        var rng = new Random(17);
        for (var trial = 0; trial < 200; trial++)
        {
            var c = NewColumn();
            var strings = new StringColumn(Col.Str("s", "test", nullable: true));
            var oracle = new List<long?>();
            var stringOracle = new List<string?>();
            for (var step = 0; step < 8; step++)
            {
                var n = rng.Next(0, 40);
                switch (rng.Next(4))
                {
                    case 0:
                        var v = rng.NextInt64(-5, 5);
                        c.AppendRepeated(v, n);
                        oracle.AddRange(Enumerable.Repeat<long?>(v, n));
                        break;
                    case 1:
                        c.AppendNulls(n);
                        oracle.AddRange(Enumerable.Repeat<long?>(null, n));
                        break;
                    default:
                        var one = rng.Next(3) == 0 ? null : (long?)rng.NextInt64(100);
                        c.Append(one);
                        oracle.Add(one);
                        break;
                }
                var text = rng.Next(3) switch { 0 => null, 1 => "a", _ => "b" };
                strings.AppendRepeated(text, n);
                stringOracle.AddRange(Enumerable.Repeat(text, n));
            }
            AssertEqual(oracle, c);
            Assert.Equal(stringOracle, Enumerable.Range(0, strings.Count).Select(i => strings[i]));
        }
    }
}
