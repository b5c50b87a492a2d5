using CsCheck;
using Memtrace.Collectors.Pickle;
using Memtrace.Schemas.Stats;
using Xunit;

namespace Memtrace.Collectors.Tests;

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
