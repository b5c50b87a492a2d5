using System.Text;

namespace Memtrace.Tests;

/// <summary>Writes pickle opcodes by hand, so tests control every byte (as CPython's pickletools would disassemble them).</summary>
internal sealed class PickleBuilder
{
    private readonly List<byte> _b = new();

    public PickleBuilder Proto(byte v) { _b.Add(0x80); _b.Add(v); return this; }
    public PickleBuilder Op(char c) { _b.Add((byte)c); return this; }
    public PickleBuilder Op(byte b) { _b.Add(b); return this; }
    public PickleBuilder Str(string s) { var u = Encoding.UTF8.GetBytes(s); _b.Add(0x8c); _b.Add((byte)u.Length); _b.AddRange(u); return this; }
    public PickleBuilder Int(int v) { _b.Add((byte)'J'); _b.AddRange(BitConverter.GetBytes(v)); return this; }
    public PickleBuilder Long1(byte[] le) { _b.Add(0x8a); _b.Add((byte)le.Length); _b.AddRange(le); return this; }
    public PickleBuilder Float(double d) { _b.Add((byte)'G'); var x = BitConverter.GetBytes(d); Array.Reverse(x); _b.AddRange(x); return this; }
    public PickleBuilder Put(byte i) { _b.Add((byte)'q'); _b.Add(i); return this; }
    public PickleBuilder Get(byte i) { _b.Add((byte)'h'); _b.Add(i); return this; }
    public PickleBuilder Memoize() { _b.Add(0x94); return this; }
    public PickleBuilder Frame(long n) { _b.Add(0x95); _b.AddRange(BitConverter.GetBytes(n)); return this; }
    public byte[] Build() => _b.ToArray();
}
