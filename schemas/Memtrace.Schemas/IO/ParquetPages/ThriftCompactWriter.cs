using System.Buffers;
using System.Text;

namespace Memtrace.Schemas.IO.ParquetPages;

/// <summary>
/// A writer of the Thrift compact protocol, the subset parquet.thrift's page headers and footer use: i32, i64,
/// binary, bool-free structs and lists. The reader's counterpart is <see cref="ThriftCompactReader"/>. A field header
/// is one byte (id delta in the high nibble, type in the low) when the id grows by 1–15, else a type byte and a zigzag
/// i16; each struct counts its field ids from 0, so the writer keeps the enclosing struct's last id on a stack.
/// </summary>
internal sealed class ThriftCompactWriter(IBufferWriter<byte> output)
{
    private readonly Stack<short> _outer = new();
    private short _last;

    public void I32(short id, int value)
    {
        FieldHeader(id, ThriftCompactReader.I32);
        Varint(ZigZag(value));
    }

    public void I64(short id, long value)
    {
        FieldHeader(id, ThriftCompactReader.I64);
        Varint(ZigZag(value));
    }

    public void String(short id, string value)
    {
        FieldHeader(id, ThriftCompactReader.Binary);
        StringValue(value);
    }

    /// <summary>Opens a struct-typed field; its fields follow, then <see cref="EndStruct"/>.</summary>
    public void BeginStruct(short id)
    {
        FieldHeader(id, ThriftCompactReader.Struct);
        BeginStructValue();
    }

    /// <summary>Opens a struct that is a list element (no field header of its own).</summary>
    public void BeginStructValue()
    {
        _outer.Push(_last);
        _last = 0;
    }

    /// <summary>Closes the struct: its STOP byte, and the enclosing struct's field ids resume.</summary>
    public void EndStruct()
    {
        Byte(0);
        _last = _outer.Count > 0 ? _outer.Pop() : (short)0;
    }

    /// <summary>A list field's header; the caller then writes <paramref name="count"/> elements of <paramref name="elementType"/>.</summary>
    public void List(short id, int elementType, int count)
    {
        FieldHeader(id, ThriftCompactReader.List);
        if (count < 15) Byte((byte)(count << 4 | elementType));
        else
        {
            Byte((byte)(0xf0 | elementType));
            Varint((ulong)count);
        }
    }

    public void I32Value(int value) => Varint(ZigZag(value));

    public void StringValue(string value)
    {
        var n = Encoding.UTF8.GetByteCount(value);
        Varint((ulong)n);
        var span = output.GetSpan(n);
        Encoding.UTF8.GetBytes(value, span);
        output.Advance(n);
    }

    private void FieldHeader(short id, int type)
    {
        var delta = id - _last;
        if (delta is > 0 and <= 15) Byte((byte)(delta << 4 | type));
        else
        {
            Byte((byte)type);
            Varint(ZigZag(id));
        }
        _last = id;
    }

    private void Byte(byte b)
    {
        output.GetSpan(1)[0] = b;
        output.Advance(1);
    }

    private void Varint(ulong v) => Uleb128(output, v);

    /// <summary>An unsigned LEB128 varint: Thrift's integers after zigzag, and the RLE hybrid's run headers.</summary>
    internal static void Uleb128(IBufferWriter<byte> output, ulong v)
    {
        var span = output.GetSpan(10);
        var i = 0;
        while (v >= 0x80)
        {
            span[i++] = (byte)(v | 0x80);
            v >>= 7;
        }
        span[i++] = (byte)v;
        output.Advance(i);
    }

    private static ulong ZigZag(long v) => (ulong)((v << 1) ^ (v >> 63));
}
