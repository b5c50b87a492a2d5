using System.Buffers;
using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;
using Memtrace.Schemas.Model;

namespace Memtrace.Schemas.IO.ParquetPages;

/// <summary>One column chunk as written: its pages, headers included (pooled: dispose once written out), and what the footer records of it.</summary>
internal sealed record EncodedChunk(PooledBufferWriter Pages, int DictionaryPageLength, long UncompressedSize, int[] Encodings, int NumValues) : IDisposable
{
    /// <summary>The chunk's bytes, kept past Dispose for the footer.</summary>
    public int Length { get; } = Pages.WrittenCount;

    public void Dispose() => Pages.Dispose();
}

/// <summary>
/// Encodes rows [start, start + n) of one column as a Parquet column chunk, the counterpart of <see cref="ChunkDecoder"/>:
/// an optional dictionary page, then one data page V1 (definition levels behind their 4-byte length when the column is
/// optional, then the values), each page's body compressed whole. INT64 values that never decrease, with no null, are
/// DELTA_BINARY_PACKED (<see cref="DeltaBinaryPacked"/>); other INT64, DOUBLE and BOOLEAN values are PLAIN; strings
/// are dictionary-coded, which <see cref="StringColumn"/> already is: the chunk's dictionary is the codes its rows use,
/// in order of first appearance, so a repeated string costs one map lookup instead of a hash of its text.
/// </summary>
internal static class ChunkEncoder
{
    public const int Plain = 0, Rle = 3, RleDictionary = 8;

    public static EncodedChunk Encode(Column column, int start, int n, bool compress)
    {
        // Sized for the common case, so that a column is encoded without growing its buffers: 8 bytes a value (4 an
        // index), a bit a level, and Zstd taking at least half (timestamps compress 5:1, constant columns to nothing).
        var bodyBytes = 64 + n / 4 + (long)n * (column is StringColumn or StringListColumn ? 4 : 8);
        var pages = new PooledBufferWriter((int)Math.Min(compress ? bodyBytes / 2 : bodyBytes + 256, Array.MaxLength));
        using var body = new PooledBufferWriter((int)Math.Min(bodyBytes, Array.MaxLength));
        var optional = column.Def.Nullable;
        switch (column)
        {
            case Int64Column c: return Values(c, start, n, compress, pages, body);
            case Float64Column c: return Values(c, start, n, compress, pages, body);
            case BoolColumn c: return Values(c, start, n, compress, pages, body);
            case StringColumn c:
            {
                var codes = c.Codes.Slice(start, n);
                var local = new int[c.DistinctCount + 1];
                var dictionary = new List<int>();
                var rented = ArrayPool<int>.Shared.Rent(Math.Max(n, 1));
                try
                {
                    var indices = rented.AsSpan(0, n);
                    var nonNull = 0;
                    foreach (var code in codes)
                    {
                        if (code == 0) continue;
                        if (local[code] == 0)
                        {
                            dictionary.Add(code);
                            local[code] = dictionary.Count;
                        }
                        indices[nonNull++] = local[code] - 1;
                    }
                    if (optional) Levels(codes, static code => code != 0, nonNull, body);
                    return Dictionary(dictionary.Count, k => c.ValueOfCode(dictionary[k])!, indices[..nonNull], optional);
                }
                finally
                {
                    ArrayPool<int>.Shared.Return(rented);
                }
            }
            case StringListColumn c:
            {
                // Stored as one JSON array a row (see ParquetIo); the chunk's distinct arrays form its dictionary.
                var lookup = new Dictionary<string, int>(StringComparer.Ordinal);
                var texts = new List<string>();
                var indices = new int[n];
                for (var i = 0; i < n; i++)
                {
                    var json = System.Text.Json.JsonSerializer.Serialize(c[start + i], SchemasJson.Default.IReadOnlyListString);
                    if (!lookup.TryGetValue(json, out var k))
                    {
                        lookup[json] = k = texts.Count;
                        texts.Add(json);
                    }
                    indices[i] = k;
                }
                return Dictionary(texts.Count, k => texts[k], indices, isOptional: false);
            }
            default: throw new InvalidOperationException(column.GetType().Name);
        }

        // The levels are in body already; the dictionary page goes out first, then the levels and the indices.
        EncodedChunk Dictionary(int count, Func<int, string> value, ReadOnlySpan<int> indices, bool isOptional)
        {
            if (count == 0)
            {
                // Every row null: levels only, no dictionary to index.
                var levelsOnly = WritePage(pages, dictionaryPage: false, n, Plain, body.WrittenSpan, compress);
                return new EncodedChunk(pages, 0, levelsOnly, isOptional ? [Plain, Rle] : [Plain], n);
            }
            var levels = body.WrittenSpan.ToArray();
            body.Clear();
            for (var k = 0; k < count; k++)
            {
                var text = value(k);
                var bytes = Encoding.UTF8.GetByteCount(text);
                var span = body.GetSpan(4 + bytes);
                BinaryPrimitives.WriteInt32LittleEndian(span, bytes);
                Encoding.UTF8.GetBytes(text, span[4..]);
                body.Advance(4 + bytes);
            }
            var uncompressed = WritePage(pages, dictionaryPage: true, count, Plain, body.WrittenSpan, compress);
            var dictionaryLength = pages.WrittenCount;
            body.Clear();
            body.Write(levels);
            var bitWidth = Math.Max(1, 32 - int.LeadingZeroCount(count - 1));
            body.GetSpan(1)[0] = (byte)bitWidth;
            body.Advance(1);
            RleHybrid.Encode(indices, bitWidth, body);
            uncompressed += WritePage(pages, dictionaryPage: false, n, RleDictionary, body.WrittenSpan, compress);
            return new EncodedChunk(pages, dictionaryLength, uncompressed, isOptional ? [Plain, Rle, RleDictionary] : [Plain, RleDictionary], n);
        }
    }

    private static EncodedChunk Values<T>(ValueColumn<T> c, int start, int n, bool compress, PooledBufferWriter pages, PooledBufferWriter body) where T : unmanaged
    {
        var (values, valid) = c.Stored(start, n);
        var optional = c.Def.Nullable;
        var nonNull = values is null ? 0 : valid is { } v ? n - v.Span.Count(false) : n;
        if (optional)
        {
            if (valid is { } mask) Levels(mask.Span, static ok => ok, nonNull, body);
            else AllLevels(values is null ? 0 : 1, n, body);
        }
        var encoding = Plain;
        if (values is { } all)
        {
            if (typeof(T) == typeof(bool)) PackBools(MemoryMarshal.Cast<T, bool>(all.Span), valid is { } m ? m.Span : default, nonNull, body);
            else if (typeof(T) == typeof(long) && valid is null && DeltaBinaryPacked.Suits(MemoryMarshal.Cast<T, long>(all.Span)))
            {
                DeltaBinaryPacked.Encode(MemoryMarshal.Cast<T, long>(all.Span), body);
                encoding = DeltaBinaryPacked.Encoding;
            }
            else if (valid is null) body.Write(MemoryMarshal.AsBytes(all.Span));
            else
            {
                var bytes = nonNull * Unsafe.SizeOf<T>();
                var span = MemoryMarshal.Cast<byte, T>(body.GetSpan(bytes));
                var mask = valid.Value.Span;
                var source = all.Span;
                var k = 0;
                for (var i = 0; i < n; i++)
                {
                    if (mask[i]) span[k++] = source[i];
                }
                body.Advance(bytes);
            }
        }
        var size = WritePage(pages, dictionaryPage: false, n, encoding, body.WrittenSpan, compress);
        return new EncodedChunk(pages, 0, size, optional ? [encoding, Rle] : [encoding], n);
    }

    /// <summary>Definition levels (1 present, 0 null) with their 4-byte length, as a V1 data page opens.</summary>
    private static void Levels<TCell>(ReadOnlySpan<TCell> cells, Func<TCell, bool> present, int nonNull, PooledBufferWriter body)
    {
        if (nonNull == cells.Length || nonNull == 0)
        {
            AllLevels(nonNull == 0 ? 0 : 1, cells.Length, body);
            return;
        }
        var levels = ArrayPool<int>.Shared.Rent(cells.Length);
        try
        {
            for (var i = 0; i < cells.Length; i++) levels[i] = present(cells[i]) ? 1 : 0;
            var lengthAt = ReserveLength(body);
            RleHybrid.Encode(levels.AsSpan(0, cells.Length), 1, body);
            WriteLength(body, lengthAt);
        }
        finally
        {
            ArrayPool<int>.Shared.Return(levels);
        }
    }

    /// <summary>One level for every row: a single RLE run.</summary>
    private static void AllLevels(int level, int rows, PooledBufferWriter body)
    {
        var lengthAt = ReserveLength(body);
        if (rows > 0)
        {
            ThriftCompactWriter.Uleb128(body, (ulong)rows << 1);
            body.GetSpan(1)[0] = (byte)level;
            body.Advance(1);
        }
        WriteLength(body, lengthAt);
    }

    private static int ReserveLength(PooledBufferWriter body)
    {
        var at = body.WrittenCount;
        body.GetSpan(4);
        body.Advance(4);
        return at;
    }

    private static void WriteLength(PooledBufferWriter body, int lengthAt)
    {
        var written = body.WrittenCount - lengthAt - 4;
        BinaryPrimitives.WriteInt32LittleEndian(body.Written.Slice(lengthAt, 4), written);
    }

    /// <summary>PLAIN booleans: one bit a present value, least significant first.</summary>
    private static void PackBools(ReadOnlySpan<bool> values, ReadOnlySpan<bool> valid, int nonNull, PooledBufferWriter body)
    {
        var bytes = (nonNull + 7) / 8;
        var span = body.GetSpan(bytes)[..bytes];
        span.Clear();
        var k = 0;
        for (var i = 0; i < values.Length; i++)
        {
            if (!valid.IsEmpty && !valid[i]) continue;
            if (values[i]) span[k >> 3] |= (byte)(1 << (k & 7));
            k++;
        }
        body.Advance(bytes);
    }

    /// <summary>Appends one page (header, then the body after its codec) and returns its uncompressed size, header included.</summary>
    private static long WritePage(PooledBufferWriter output, bool dictionaryPage, int numValues, int encoding, ReadOnlySpan<byte> body, bool compress)
    {
        byte[]? rented = null;
        try
        {
            var stored = body;
            if (compress)
            {
                rented = ArrayPool<byte>.Shared.Rent(ZstdPages.CompressBound(body.Length));
                stored = rented.AsSpan(0, ZstdPages.Compress(body, rented));
            }
            var before = output.WrittenCount;
            var w = new ThriftCompactWriter(output);
            w.BeginStructValue();
            w.I32(1, dictionaryPage ? PageHeader.DictionaryPage : PageHeader.DataPage);
            w.I32(2, body.Length);
            w.I32(3, stored.Length);
            if (dictionaryPage)
            {
                w.BeginStruct(7);
                w.I32(1, numValues);
                w.I32(2, Plain);
            }
            else
            {
                w.BeginStruct(5);
                w.I32(1, numValues);
                w.I32(2, encoding);
                w.I32(3, Rle);
                w.I32(4, Rle);
            }
            w.EndStruct();
            w.EndStruct();
            var header = output.WrittenCount - before;
            output.Write(stored);
            return header + body.Length;
        }
        finally
        {
            if (rented is not null) ArrayPool<byte>.Shared.Return(rented);
        }
    }
}
