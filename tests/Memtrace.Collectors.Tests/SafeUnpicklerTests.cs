using System.Numerics;
using Memtrace.Collectors.Pickle;
using Memtrace.Tests;
using Xunit;

namespace Memtrace.Collectors.Tests;

public sealed class SafeUnpicklerTests
{
    [Fact]
    public void Reads_dicts_lists_tuples_scalars_and_the_memo()
    {
        // {'a': [1, 2.5, True, None], 'b': ('x', 'x')} with the string memoised and fetched back.
        var p = new PickleBuilder().Proto(4).Frame(0).Op('}').Op('(')
            .Str("a").Op(']').Op('(').Int(1).Float(2.5).Op(0x88).Op('N').Op('e')
            .Str("b").Str("x").Put(0).Get(0).Op(0x86)
            .Op('u').Op('.').Build();
        var r = SafeUnpickler.Load(p);
        Assert.False(r.Truncated);
        var d = Assert.IsType<PyDict>(r.Root);
        Assert.Equal(new object?[] { 1L, 2.5, true, null }, (List<object?>)d["a"]!);
        var t = Assert.IsType<PyTuple>(d["b"]);
        Assert.Same(t.Items[0], t.Items[1]);
    }

    [Theory]
    [InlineData(new byte[] { 0xff, 0x00 }, 255L)]
    [InlineData(new byte[] { 0xff }, -1L)]
    [InlineData(new byte[] { }, 0L)]
    public void Long1_is_little_endian_twos_complement(byte[] le, long expected)
    {
        var r = SafeUnpickler.Load(new PickleBuilder().Proto(2).Long1(le).Op('.').Build());
        Assert.Equal(expected, r.Root);
    }

    [Fact]
    public void Long1_wider_than_8_bytes_becomes_a_big_integer()
    {
        var le = new byte[9];
        le[8] = 0x01; // 2^64
        var r = SafeUnpickler.Load(new PickleBuilder().Proto(4).Long1(le).Op('.').Build());
        Assert.Equal(BigInteger.Pow(2, 64), r.Root);
    }

    [Theory]
    [InlineData('c', "GLOBAL")]
    [InlineData('R', "REDUCE")]
    [InlineData('b', "BUILD")]
    [InlineData('i', "INST")]
    [InlineData('o', "OBJ")]
    public void Code_executing_opcodes_are_refused(char op, string name)
    {
        var e = Assert.Throws<PickleForbiddenException>(() => SafeUnpickler.Load(new PickleBuilder().Proto(4).Op(op).Op('.').Build()));
        Assert.Contains(name, e.Message);
    }

    [Theory]
    [InlineData(0x93, "STACK_GLOBAL")]
    [InlineData(0x81, "NEWOBJ")]
    public void Binary_code_opcodes_are_refused(int op, string name)
    {
        var e = Assert.Throws<PickleForbiddenException>(() => SafeUnpickler.Load(new PickleBuilder().Proto(4).Str("os").Str("system").Op((byte)op).Op('.').Build()));
        Assert.Contains(name, e.Message);
    }

    [Fact]
    public void Truncated_pickle_keeps_complete_records_before_the_cut()
    {
        // {'xs': [10, 20, 30, <cut>
        var full = new PickleBuilder().Proto(4).Op('}').Op('(').Str("xs").Op(']').Op('(').Int(10).Int(20).Int(30).Int(40).Op('e').Op('u').Op('.').Build();
        var cut = full[..(full.Length - 8)];
        var r = SafeUnpickler.Load(cut);
        Assert.True(r.Truncated);
        var d = Assert.IsType<PyDict>(r.Root);
        Assert.Equal(new object?[] { 10L, 20L, 30L }, (List<object?>)d["xs"]!);
    }

    [Fact]
    public void Deep_nesting_is_bounded_not_a_stack_overflow()
    {
        var b = new PickleBuilder().Proto(4);
        for (var i = 0; i < 200_000; i++) b.Op('(');
        Assert.Throws<PickleFormatException>(() => SafeUnpickler.Load(b.Build()));
    }

    [Fact]
    public void Huge_declared_length_is_truncation_not_an_allocation()
    {
        var bytes = new PickleBuilder().Proto(4).Op((byte)'X').Build().Concat(new byte[] { 0xff, 0xff, 0xff, 0x7f }).ToArray();
        var r = SafeUnpickler.Load(bytes);
        Assert.True(r.Truncated);
    }

    [Theory]
    [InlineData(new byte[] { })]
    [InlineData(new byte[] { (byte)'{' })]
    [InlineData(new byte[] { 0x80, 0x09, (byte)'.' })]
    public void Non_pickles_are_format_errors(byte[] bytes)
    {
        Assert.Throws<PickleFormatException>(() => SafeUnpickler.Load(bytes));
    }
}
