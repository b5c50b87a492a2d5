namespace Memtrace.Schemas.IO.ParquetPages;

/// <summary>The parts of parquet.thrift's PageHeader the archive reader needs (field ids in the comments).</summary>
internal readonly record struct PageHeader(
    int Type,                 // 1: PageType (0 DATA_PAGE, 1 INDEX_PAGE, 2 DICTIONARY_PAGE, 3 DATA_PAGE_V2)
    int UncompressedSize,     // 2
    int CompressedSize,       // 3
    int NumValues,            // DataPageHeader.1 / DictionaryPageHeader.1 / DataPageHeaderV2.1
    int Encoding,             // DataPageHeader.2 / DictionaryPageHeader.2 / DataPageHeaderV2.4
    int NumNulls,             // DataPageHeaderV2.2
    int DefinitionLevelsBytes,// DataPageHeaderV2.5
    int RepetitionLevelsBytes,// DataPageHeaderV2.6
    bool ValuesCompressed)    // DataPageHeaderV2.7 (default true); V1 pages are compressed whole
{
    public const int DataPage = 0, IndexPage = 1, DictionaryPage = 2, DataPageV2 = 3;
    public const int Plain = 0, PlainDictionary = 2, Rle = 3, RleDictionary = 8;

    /// <summary>
    /// Parses one PageHeader, Thrift compact protocol, from the start of <paramref name="bytes"/>; <paramref name="length"/>
    /// is how many bytes it took. Unknown fields (statistics, crc, page encoding stats) are skipped, as Thrift allows.
    /// </summary>
    public static PageHeader Parse(ReadOnlySpan<byte> bytes, out int length)
    {
        var r = new ThriftCompactReader(bytes);
        int type = -1, uncompressed = -1, compressed = -1, numValues = -1, encoding = -1, nulls = 0, defBytes = 0, repBytes = 0;
        var valuesCompressed = true;
        short field = 0;
        while (r.NextField(ref field, out var ft))
        {
            switch (field)
            {
                case 1: type = r.ReadI32(ft); break;
                case 2: uncompressed = r.ReadI32(ft); break;
                case 3: compressed = r.ReadI32(ft); break;
                case 5 or 7 or 8 when ft == ThriftCompactReader.Struct:
                {
                    short inner = 0;
                    while (r.NextField(ref inner, out var it))
                    {
                        switch (field, inner)
                        {
                            case (_, 1): numValues = r.ReadI32(it); break;
                            case (5 or 7, 2): encoding = r.ReadI32(it); break;
                            case (8, 2): nulls = r.ReadI32(it); break;
                            case (8, 4): encoding = r.ReadI32(it); break;
                            case (8, 5): defBytes = r.ReadI32(it); break;
                            case (8, 6): repBytes = r.ReadI32(it); break;
                            case (8, 7): valuesCompressed = r.ReadBool(it); break;
                            default: r.Skip(it); break;
                        }
                    }
                    break;
                }
                default: r.Skip(ft); break;
            }
        }
        length = r.Position;
        if (type < 0 || uncompressed < 0 || compressed < 0) throw new InvalidDataException("page header without type or sizes");
        return new PageHeader(type, uncompressed, compressed, numValues, encoding, nulls, defBytes, repBytes, valuesCompressed);
    }
}

/// <summary>
/// A reader of the Thrift compact protocol, enough for Parquet page headers: field headers (delta or zigzag id,
/// type nibble), zigzag varints, binaries, lists, sets, maps and nested structs to skip. Bounded by the span:
/// a truncated or bit-flipped header fails with InvalidDataException, never reads past it.
/// </summary>
internal ref struct ThriftCompactReader(ReadOnlySpan<byte> bytes)
{
    public const int BoolTrue = 1, BoolFalse = 2, Byte = 3, I16 = 4, I32 = 5, I64 = 6, Double = 7, Binary = 8, List = 9, Set = 10, Map = 11, Struct = 12;
    private const int MaxDepth = 32;

    private readonly ReadOnlySpan<byte> _bytes = bytes;
    public int Position { get; private set; }

    /// <summary>Advances to the next field of the current struct; false at its STOP byte.</summary>
    public bool NextField(ref short id, out int type)
    {
        var b = ReadByte();
        type = b & 0x0f;
        if (type == 0) return false;
        var delta = b >> 4;
        id = delta != 0 ? (short)(id + delta) : checked((short)ZigZag(ReadVarint()));
        return true;
    }

    public int ReadI32(int type)
    {
        if (type is not (I32 or I16 or Byte)) throw new InvalidDataException($"thrift field of type {type} where an integer was expected");
        if (type == Byte) return (sbyte)ReadByte();
        var v = ZigZag(ReadVarint());
        if (v is < int.MinValue or > int.MaxValue) throw new InvalidDataException("thrift i32 out of range");
        return (int)v;
    }

    public bool ReadBool(int type) => type switch
    {
        BoolTrue => true,
        BoolFalse => false,
        _ => throw new InvalidDataException($"thrift field of type {type} where a bool was expected"),
    };

    public void Skip(int type, int depth = 0)
    {
        if (depth > MaxDepth) throw new InvalidDataException("thrift structure nested too deep");
        switch (type)
        {
            case BoolTrue or BoolFalse: break;
            case Byte: ReadByte(); break;
            case I16 or I32 or I64: ReadVarint(); break;
            case Double: Advance(8); break;
            case Binary: Advance(checked((int)ReadVarint())); break;
            case List or Set:
            {
                var h = ReadByte();
                var n = h >> 4 == 15 ? checked((int)ReadVarint()) : h >> 4;
                var et = h & 0x0f;
                for (var i = 0; i < n; i++) SkipElement(et, depth);
                break;
            }
            case Map:
            {
                var n = checked((int)ReadVarint());
                if (n == 0) break;
                var kv = ReadByte();
                for (var i = 0; i < n; i++)
                {
                    SkipElement(kv >> 4, depth);
                    SkipElement(kv & 0x0f, depth);
                }
                break;
            }
            case Struct:
            {
                short id = 0;
                while (NextField(ref id, out var ft)) Skip(ft, depth + 1);
                break;
            }
            default: throw new InvalidDataException($"thrift type {type} is not a compact-protocol type");
        }
    }

    // Inside a collection a bool is one byte, not folded into the type nibble.
    private void SkipElement(int type, int depth)
    {
        if (type is BoolTrue or BoolFalse) ReadByte();
        else Skip(type, depth + 1);
    }

    private byte ReadByte()
    {
        if (Position >= _bytes.Length) throw new InvalidDataException("page header truncated");
        return _bytes[Position++];
    }

    private void Advance(int n)
    {
        if (n < 0 || n > _bytes.Length - Position) throw new InvalidDataException("page header truncated");
        Position += n;
    }

    private ulong ReadVarint()
    {
        ulong v = 0;
        for (var shift = 0; shift < 64; shift += 7)
        {
            var b = ReadByte();
            v |= (ulong)(b & 0x7f) << shift;
            if ((b & 0x80) == 0) return v;
        }
        throw new InvalidDataException("thrift varint longer than 10 bytes");
    }

    private static long ZigZag(ulong v) => (long)(v >> 1) ^ -(long)(v & 1);
}
