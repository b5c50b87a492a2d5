using CsCheck;
using Memtrace.Collectors.Importers.Common;
using Memtrace.Collectors.Pickle;
using Memtrace.Schemas.Stats;
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
        Assert.Equal("line 2", stats.Log_.Str("location")[0]);
        Assert.Equal(new string('x', 200), stats.Log_.Str("excerpt")[0]);
    }

    [Fact]
    public void Overlong_last_line_without_newline_is_logged()
    {
        var stats = new StatsSink("s");
        Assert.Equal(["a", ""], Bounded("a\n" + new string('z', 300), 100, stats));
        Assert.Equal("line 2", stats.Log_.Str("location")[0]);
    }
}

public sealed class PickleLimitTests
{
    private static readonly byte[] Head = [0x80, 0x04, (byte)']'];

    [Fact]
    public void Memo_past_its_bound_is_refused_with_the_limit_counter()
    {
        // EMPTY_LIST then 2,000 MEMOIZEs of it: each is one byte and a dictionary entry.
        var data = Head.Concat(Enumerable.Repeat((byte)0x94, 2000)).Append((byte)'.').ToArray();
        Assert.IsType<List<object?>>(SafeUnpickler.Load(data, maxMemo: 2000).Root);
        var e = Assert.Throws<PickleFormatException>(() => SafeUnpickler.Load(data, maxMemo: 1999));
        Assert.Equal(StatsCatalog.LimitPickleMemo, e.Limit);
    }

    [Fact]
    public void Marks_past_their_bound_are_refused_with_the_limit_counter()
    {
        var data = Head.Concat(Enumerable.Repeat((byte)'(', 101)).Append((byte)'.').ToArray();
        var e = Assert.Throws<PickleFormatException>(() => SafeUnpickler.Load(data, maxMarks: 100));
        Assert.Equal(StatsCatalog.LimitPickleDepth, e.Limit);
    }

    [Theory]
    [InlineData(0x8e)] // BINBYTES8
    [InlineData(0x8d)] // BINUNICODE8
    public void Declared_length_past_the_data_is_a_truncation_not_an_allocation(byte opcode)
    {
        // 1 GiB declared in a 20-byte file: the length is checked against what is there before anything is read
        // (past 2^31 it is refused outright as a format error).
        byte[] data = [0x80, 0x04, (byte)']', opcode, .. BitConverter.GetBytes(1L << 30), (byte)'.'];
        var before = GC.GetAllocatedBytesForCurrentThread();
        var r = SafeUnpickler.Load(data);
        Assert.True(r.Truncated);
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 1 << 20);
    }

    [Fact]
    public void Text_float_that_is_no_number_is_a_format_error_not_a_crash()
    {
        // Found by the fuzzer: FLOAT ('F') with a mangled decimal operand threw FormatException out of the loader.
        byte[] data = [0x80, 0x02, (byte)'F', .. "1.0.0\n"u8, (byte)'.'];
        Assert.Null(Assert.Throws<PickleFormatException>(() => SafeUnpickler.Load(data)).Limit);
    }
}
