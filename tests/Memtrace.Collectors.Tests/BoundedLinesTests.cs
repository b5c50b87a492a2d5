using CsCheck;
using Memtrace.Collectors.Importers.Common;
using Memtrace.Collectors.Pickle;
using Memtrace.Schemas.Stats;
using Memtrace.Schemas.Tables;
using Xunit;

namespace Memtrace.Collectors.Tests;

public sealed class BoundedLinesTests
{
    /// <summary>The oracle: split on '\n', drop one '\r' before it, no trailing empty line for a final '\n'.</summary>
    private static List<string> Naive(string text)
    {
        var parts = text.Split('\n').ToList();
        if (parts[^1].Length == 0) parts.RemoveAt(parts.Count - 1);
        return parts.Select(p => p.EndsWith('\r') ? p[..^1] : p).ToList();
    }

    private static List<string> Bounded(string text, int max, StatsSink stats) => BoundedLines.Read(new StringReader(text), stats, max).ToList();

    [Theory]
    [InlineData("")]
    [InlineData("\n")]
    [InlineData("a")]
    [InlineData("a\n")]
    [InlineData("a\r\nb\r\n")]
    [InlineData("\n\n\n")]
    [InlineData("a\rb\n")]
    [InlineData("no newline at end")]
    [InlineData("x\r")]
    public void Edge_case_lines_match_the_naive_split(string text) =>
        Assert.Equal(Naive(text), Bounded(text, 1 << 20, new StatsSink("s")));

    [Fact]
    public void Random_texts_across_chunk_boundaries_match_the_naive_split()
    {
        // Lines up to 200 k characters cross the reader's 64 k chunks in every way.
        Gen.Select(Gen.Int[0, 200_000], Gen.Int[0, 5]).Array[0, 12].Sample(spec =>
        {
            var text = string.Concat(spec.Select(s => new string('a', s.Item1) + (s.Item2 switch { 0 => "", 1 => "\r\n", _ => "\n" })));
            Assert.Equal(Naive(text), Bounded(text, 1 << 20, new StatsSink("s")));
        }, iter: 60);
    }

    [Fact]
    public void Overlong_lines_yield_empty_keep_numbering_and_are_logged_each()
    {
        var stats = new StatsSink("s");
        var text = "ok 1\n" + new string('x', 150_000) + "\nok 3\n" + new string('y', 70_000);
        var lines = Bounded(text, 100_000, stats);
        Assert.Equal(["ok 1", "", "ok 3", new string('y', 70_000)], lines);
        Assert.Equal(1, stats.Counts[StatsCatalog.LimitLineLength.Key]);
        Assert.Equal("line 2", stats.Log_[ImportLog.Location][0]);
        Assert.Equal(new string('x', 200), stats.Log_[ImportLog.Excerpt][0]);
    }

    [Fact]
    public void Overlong_last_line_without_newline_is_logged()
    {
        var stats = new StatsSink("s");
        Assert.Equal(["a", ""], Bounded("a\n" + new string('z', 300), 100, stats));
        Assert.Equal("line 2", stats.Log_[ImportLog.Location][0]);
    }
}
