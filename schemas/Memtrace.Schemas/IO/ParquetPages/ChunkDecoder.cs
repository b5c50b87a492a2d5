using System.Buffers;
using System.Buffers.Binary;
using System.Runtime.InteropServices;
using Memtrace.Schemas.Model;

namespace Memtrace.Schemas.IO.ParquetPages;

/// <summary>Where one column chunk sits and how it was written (from the file's footer).</summary>
internal readonly record struct ChunkInfo(string Column, int RowGroup, long Offset, long Length, long UncompressedLength, long NumValues, Parquet.Meta.CompressionCodec Codec, Parquet.Meta.Type PhysicalType, bool Optional);

/// <summary>
/// Decodes one flat column chunk, page by page, into rows [rowOffset, rowOffset + NumValues) of a column prepared
/// with BeginFill. It handles what Parquet writers put in a flat archive table: dictionary pages; data pages V1
/// (levels and values compressed together, levels behind a 4-byte length) and V2 (levels raw, values compressed
/// or not); PLAIN, PLAIN_/RLE_DICTIONARY and (INT64) DELTA_BINARY_PACKED values; uncompressed, Snappy and Zstd pages. Anything else throws
/// <see cref="NotSupportedException"/> and the caller reads the file with Parquet.Net instead. Damaged bytes throw
/// <see cref="InvalidDataException"/> naming the column, row group and page offset.
/// </summary>
internal static class ChunkDecoder
{
    /// <summary>A page larger than this is a damaged header, not a page (Parquet writers cut pages at ~1 MiB–1 GiB).</summary>
    private const int MaxPageBytes = 1 << 30;

    public static void Decode(ReadOnlySpan<byte> chunk, in ChunkInfo info, Column target, int rowOffset)
    {
        var pos = 0;
        long seen = 0;
        object? dictionary = null;
        var cache = new Utf8Cache();
        while (seen < info.NumValues)
        {
            var pageStart = pos;
            try
            {
                var header = PageHeader.Parse(chunk[pos..], out var headerLength);
                pos += headerLength;
                if (header.CompressedSize > chunk.Length - pos) throw new InvalidDataException("page runs past its column chunk");
                if (header.UncompressedSize > Math.Min(info.UncompressedLength, MaxPageBytes)) throw new InvalidDataException($"page of {header.UncompressedSize} bytes in a chunk of {info.UncompressedLength}");
                var body = chunk.Slice(pos, header.CompressedSize);
                pos += header.CompressedSize;
                switch (header.Type)
                {
                    case PageHeader.IndexPage: continue;
                    case PageHeader.DictionaryPage:
                        if (header.Encoding is not (PageHeader.Plain or PageHeader.PlainDictionary)) throw new NotSupportedException($"dictionary page encoding {header.Encoding}");
                    {
                        var page = Decompress(body, header.UncompressedSize, info.Codec, out var rented);
                        try
                        {
                            dictionary = DecodeDictionary(page, header.NumValues, target, info, cache);
                        }
                        finally
                        {
                            Return(rented);
                        }
                        continue;
                    }
                    case PageHeader.DataPage or PageHeader.DataPageV2:
                        if (header.NumValues < 0 || header.NumValues > info.NumValues - seen) throw new InvalidDataException($"page of {header.NumValues} values in a chunk of {info.NumValues}");
                        DecodeDataPage(body, header, info, target, rowOffset + (int)seen, dictionary, cache);
                        seen += header.NumValues;
                        continue;
                    default: throw new NotSupportedException($"page type {header.Type}");
                }
            }
            catch (Exception e) when (e is InvalidDataException or IndexOutOfRangeException or ArgumentException or OverflowException or InvalidCastException or System.Text.Json.JsonException or ZstdSharp.ZstdException)
            {
                throw new InvalidDataException($"column {info.Column}, row group {info.RowGroup}, page at chunk offset {pageStart}: {e.Message}", e);
            }
        }
    }

    /// <summary>The codecs <see cref="Decompress"/> handles; a file with another goes to Parquet.Net before any page is read.</summary>
    public static bool Decodes(Parquet.Meta.CompressionCodec codec) => codec is Parquet.Meta.CompressionCodec.UNCOMPRESSED
        or Parquet.Meta.CompressionCodec.ZSTD or Parquet.Meta.CompressionCodec.SNAPPY or Parquet.Meta.CompressionCodec.LZ4_RAW;

    /// <summary>The page's bytes after its codec; <paramref name="rented"/> is the pooled buffer to return (null when uncompressed).</summary>
    private static ReadOnlySpan<byte> Decompress(ReadOnlySpan<byte> body, int size, Parquet.Meta.CompressionCodec codec, out byte[]? rented)
    {
        rented = null;
        if (codec == Parquet.Meta.CompressionCodec.UNCOMPRESSED)
        {
            if (body.Length != size) throw new InvalidDataException($"uncompressed page of {body.Length} bytes declares {size}");
            return body;
        }
        if (size < 0) throw new InvalidDataException($"page declares {size} bytes");
        rented = ArrayPool<byte>.Shared.Rent(Math.Max(size, 1));
        var n = codec switch
        {
            Parquet.Meta.CompressionCodec.ZSTD => ZstdPages.Decompress(body, rented.AsSpan(0, size)),
            Parquet.Meta.CompressionCodec.SNAPPY => Snappier.Snappy.Decompress(body, rented.AsSpan(0, size)),
            Parquet.Meta.CompressionCodec.LZ4_RAW => K4os.Compression.LZ4.LZ4Codec.Decode(body, rented.AsSpan(0, size)) is var k and >= 0 ? k : throw new InvalidDataException("LZ4 block does not decode"),
            _ => throw new NotSupportedException($"codec {codec}"),
        };
        if (n != size) throw new InvalidDataException($"page decompressed to {n} bytes, its header says {size}");
        return rented.AsSpan(0, size);
    }

    private static void Return(byte[]? rented)
    {
        if (rented is not null) ArrayPool<byte>.Shared.Return(rented);
    }

    private static void DecodeDataPage(ReadOnlySpan<byte> body, in PageHeader header, in ChunkInfo info, Column target, int row, object? dictionary, Utf8Cache cache)
    {
        var n = header.NumValues;
        var levels = info.Optional ? ArrayPool<int>.Shared.Rent(n) : null;
        byte[]? rented = null;
        try
        {
            if (header.Type == PageHeader.DataPageV2)
            {
                if (header.RepetitionLevelsBytes != 0) throw new NotSupportedException("repeated column");
                var levelBytes = header.DefinitionLevelsBytes;
                if (levelBytes < 0 || levelBytes > body.Length) throw new InvalidDataException("definition levels run past the page");
                var nonNull = Levels(body[..levelBytes], n, ref levels);
                var values = body[levelBytes..];
                var valuesSize = header.UncompressedSize - levelBytes;
                var compressed = header.ValuesCompressed && info.Codec != Parquet.Meta.CompressionCodec.UNCOMPRESSED;
                var plain = compressed ? Decompress(values, valuesSize, info.Codec, out rented) : values;
                DecodeValues(plain, header.Encoding, nonNull, levels, n, info, target, row, dictionary, cache);
                return;
            }
            var page = Decompress(body, header.UncompressedSize, info.Codec, out rented);
            var pageValues = page;
            var defined = n;
            if (levels is not null)
            {
                if (page.Length < 4) throw new InvalidDataException("page too short for its definition levels");
                var length = BinaryPrimitives.ReadInt32LittleEndian(page);
                if (length < 0 || length > page.Length - 4) throw new InvalidDataException("definition levels run past the page");
                defined = Levels(page.Slice(4, length), n, ref levels);
                pageValues = page[(4 + length)..];
            }
            DecodeValues(pageValues, header.Encoding, defined, levels, n, info, target, row, dictionary, cache);
        }
        finally
        {
            if (levels is not null) ArrayPool<int>.Shared.Return(levels);
            Return(rented);
        }
    }

    /// <summary>
    /// Decodes a page's definition levels and returns how many values are defined. A page with no null returns
    /// its buffer to the pool and sets <paramref name="levels"/> to null: the values then copy straight into rows.
    /// </summary>
    private static int Levels(ReadOnlySpan<byte> data, int n, ref int[]? levels)
    {
        if (levels is null) return n;
        if (RleHybrid.IsAllOnes(data, 1, n))
        {
            ArrayPool<int>.Shared.Return(levels);
            levels = null;
            return n;
        }
        RleHybrid.Decode(data, 1, levels.AsSpan(0, n));
        return CountDefined(levels.AsSpan(0, n));
    }

    private static int CountDefined(ReadOnlySpan<int> levels)
    {
        var defined = 0;
        foreach (var l in levels)
        {
            if ((uint)l > 1) throw new InvalidDataException($"definition level {l} in a flat column");
            defined += l;
        }
        return defined;
    }

    private static void DecodeValues(ReadOnlySpan<byte> values, int encoding, int nonNull, int[]? levels, int n, in ChunkInfo info, Column target, int row, object? dictionary, Utf8Cache cache)
    {
        int[]? indices = null;
        var lv = levels is null ? default : new ReadOnlySpan<int>(levels, 0, n);
        try
        {
            if (encoding is PageHeader.PlainDictionary or PageHeader.RleDictionary)
            {
                if (dictionary is null) throw new InvalidDataException("dictionary-encoded page without a dictionary page");
                if (nonNull > 0)
                {
                    if (values.Length < 1) throw new InvalidDataException("dictionary page data without its bit width");
                    indices = ArrayPool<int>.Shared.Rent(nonNull);
                    RleHybrid.Decode(values[1..], values[0], indices.AsSpan(0, nonNull));
                }
            }
            else if (encoding == DeltaBinaryPacked.Encoding)
            {
                if (target is not Int64Column ints) throw new NotSupportedException($"DELTA_BINARY_PACKED {target.Def.Name}");
                Expect(info, Parquet.Meta.Type.INT64);
                var dense = ArrayPool<long>.Shared.Rent(nonNull);
                try
                {
                    DeltaBinaryPacked.Decode(values, dense.AsSpan(0, nonNull));
                    Scatter(ints, new ReadOnlySpan<long>(dense, 0, nonNull), lv, n, row);
                }
                finally
                {
                    ArrayPool<long>.Shared.Return(dense);
                }
                return;
            }
            else if (encoding != PageHeader.Plain) throw new NotSupportedException($"value encoding {encoding}");
            var idx = indices is null ? default : new ReadOnlySpan<int>(indices, 0, nonNull);
            switch (target)
            {
                case Int64Column c: Fixed(c, Parquet.Meta.Type.INT64, values, idx, (long[]?)dictionary, nonNull, lv, n, info, row); break;
                case Float64Column c: Fixed(c, Parquet.Meta.Type.DOUBLE, values, idx, (double[]?)dictionary, nonNull, lv, n, info, row); break;
                case BoolColumn c:
                {
                    Expect(info, Parquet.Meta.Type.BOOLEAN);
                    if (indices is not null) throw new NotSupportedException("dictionary-encoded booleans");
                    var bits = new bool[nonNull];
                    if (values.Length * 8L < nonNull) throw new InvalidDataException("boolean page shorter than its values");
                    for (var i = 0; i < nonNull; i++) bits[i] = ((values[i >> 3] >> (i & 7)) & 1) != 0;
                    Scatter(c, bits, lv, n, row);
                    break;
                }
                case StringColumn c:
                {
                    Expect(info, Parquet.Meta.Type.BYTE_ARRAY);
                    // A dictionary page was mapped to the column's codes once; a PLAIN page maps its values here.
                    int[] codes;
                    if (indices is null)
                    {
                        codes = new int[nonNull];
                        c.MapForFill(PlainStrings(values, nonNull, cache), codes);
                    }
                    else codes = (int[])dictionary!;
                    Gather<int>(codes, idx, c.FillCodes().Slice(row, n), lv);
                    break;
                }
                case StringListColumn c:
                {
                    Expect(info, Parquet.Meta.Type.BYTE_ARRAY);
                    var strings = indices is null ? PlainStrings(values, nonNull, cache) : (string[])dictionary!;
                    var lists = new string?[n];
                    Gather<string?>(strings, idx, lists, lv);
                    var dst = c.FillSpan().Slice(row, n);
                    for (var i = 0; i < n; i++) if (lists[i] is { } json) dst[i] = cache.List(json, info.Column);
                    break;
                }
                default: throw new NotSupportedException(target.GetType().Name);
            }
        }
        finally
        {
            if (indices is not null) ArrayPool<int>.Shared.Return(indices);
        }
    }

    private static void Expect(in ChunkInfo info, Parquet.Meta.Type type)
    {
        if (info.PhysicalType != type) throw new NotSupportedException($"column {info.Column} is stored as {info.PhysicalType}, not {type}");
    }

    private static void Fixed<T>(ValueColumn<T> c, Parquet.Meta.Type type, ReadOnlySpan<byte> values, ReadOnlySpan<int> indices, T[]? dictionary, int nonNull, ReadOnlySpan<int> levels, int n, in ChunkInfo info, int row) where T : unmanaged
    {
        Expect(info, type);
        if (dictionary is not null && !indices.IsEmpty || nonNull == 0)
        {
            var dense = new T[nonNull];
            if (nonNull > 0) Gather<T>(dictionary!, indices, dense, default);
            Scatter(c, dense, levels, n, row);
            return;
        }
        var size = System.Runtime.CompilerServices.Unsafe.SizeOf<T>();
        if (values.Length < (long)nonNull * size) throw new InvalidDataException($"{nonNull} values need {(long)nonNull * size} bytes, the page has {values.Length}");
        Scatter(c, MemoryMarshal.Cast<byte, T>(values[..(nonNull * size)]), levels, n, row);
    }

    /// <summary>
    /// Rows [0, dst.Length) from <paramref name="source"/>: through the dictionary indices when the page has them
    /// (else source holds the page's values in order), leaving null rows (level 0) as they are.
    /// </summary>
    private static void Gather<T>(ReadOnlySpan<T> source, ReadOnlySpan<int> indices, Span<T> dst, ReadOnlySpan<int> levels)
    {
        var k = 0;
        for (var i = 0; i < dst.Length; i++)
        {
            if (!levels.IsEmpty && levels[i] == 0) continue;
            var at = indices.IsEmpty ? k : indices[k];
            dst[i] = (uint)at < (uint)source.Length ? source[at] : throw new InvalidDataException($"dictionary index {at} of {source.Length}");
            k++;
        }
    }

    /// <summary>Dense non-null values → rows [row, row + n): a straight copy when the page has no nulls.</summary>
    private static void Scatter<T>(ValueColumn<T> c, ReadOnlySpan<T> dense, ReadOnlySpan<int> levels, int n, int row) where T : struct
    {
        if (dense.Length == n)
        {
            dense.CopyTo(c.FillValues().Slice(row, n));
            return;
        }
        var valid = c.FillValidity().Slice(row, n);
        if (dense.Length == 0)
        {
            valid.Clear();
            return;
        }
        var dst = c.FillValues().Slice(row, n);
        var k = 0;
        for (var i = 0; i < n; i++)
        {
            if (levels[i] == 1) dst[i] = dense[k++];
            else valid[i] = false;
        }
    }

    private static object DecodeDictionary(ReadOnlySpan<byte> page, int count, Column target, in ChunkInfo info, Utf8Cache cache)
    {
        if (count < 0) throw new InvalidDataException($"dictionary of {count} values");
        switch (target)
        {
            case Int64Column: return PlainFixed<long>(page, count);
            case Float64Column: return PlainFixed<double>(page, count);
            case StringColumn c:
            {
                var strings = PlainStrings(page, count, cache);
                var codes = new int[count];
                c.MapForFill(strings, codes);
                return codes;
            }
            case StringListColumn: return PlainStrings(page, count, cache);
            default: throw new NotSupportedException($"dictionary for {info.Column}");
        }
    }

    private static T[] PlainFixed<T>(ReadOnlySpan<byte> page, int count) where T : unmanaged
    {
        var size = System.Runtime.CompilerServices.Unsafe.SizeOf<T>();
        if (page.Length < (long)count * size) throw new InvalidDataException("dictionary page shorter than its values");
        return MemoryMarshal.Cast<byte, T>(page[..(count * size)]).ToArray();
    }

    /// <summary>PLAIN BYTE_ARRAY: each value is a 4-byte little-endian length and that many UTF-8 bytes.</summary>
    private static string[] PlainStrings(ReadOnlySpan<byte> page, int count, Utf8Cache cache)
    {
        if (count > page.Length / 4) throw new InvalidDataException($"{count} strings cannot fit in {page.Length} bytes");
        var result = new string[count];
        var pos = 0;
        for (var i = 0; i < count; i++)
        {
            if (page.Length - pos < 4) throw new InvalidDataException($"string {i} of {count} runs past the page");
            var length = BinaryPrimitives.ReadInt32LittleEndian(page[pos..]);
            if (length < 0 || length > page.Length - pos - 4) throw new InvalidDataException($"string {i} of {count} declares {length} bytes past the page");
            result[i] = cache.Get(page.Slice(pos + 4, length));
            pos += 4 + length;
        }
        return result;
    }
}
