using System.Buffers.Binary;

namespace Memtrace.Schemas.IO.ParquetPages;

/// <summary>
/// Parquet's DELTA_BINARY_PACKED encoding of INT64 values (parquet-format Encodings.md): a header (block size, miniblocks
/// a block, value count, first value), then per block of 128 deltas its smallest delta and four miniblocks of 32, each
/// bit-packed (least significant bit first) at the width its largest delta above the smallest needs. The page writer
/// uses it for a chunk whose values never decrease (ts_ns, seq, mono_ns, a file's pid or device): measured on 5 M
/// rmm-csv rows, Zstd (ZstdSharp, level 3) spent 436 ms on ts_ns and 261 ms on seq as PLAIN bytes, the write's largest
/// share; their deltas pack to a few bits a row before Zstd sees them.
/// </summary>
internal static class DeltaBinaryPacked
{
    public const int Encoding = 5;
    private const int BlockValues = 128, MiniblocksPerBlock = 4, MiniblockValues = BlockValues / MiniblocksPerBlock;
    /// <summary>A block larger than this is a damaged header (writers use 128 to a few thousand values).</summary>
    private const ulong MaxBlockValues = 1 << 16;

    /// <summary>Whether <paramref name="values"/> never decrease, so that every delta is small and non-negative.</summary>
    public static bool Suits(ReadOnlySpan<long> values)
    {
        for (var i = 1; i < values.Length; i++)
            if (values[i] < values[i - 1]) return false;
        return values.Length > 0;
    }

    public static void Encode(ReadOnlySpan<long> values, PooledBufferWriter output)
    {
        var header = output.GetSpan(4 * MaxVarintBytes);
        var at = Varint(header, 0, BlockValues);
        at = Varint(header, at, MiniblocksPerBlock);
        at = Varint(header, at, (ulong)values.Length);
        output.Advance(Varint(header, at, ZigZag(values.IsEmpty ? 0 : values[0])));
        Span<ulong> deltas = stackalloc ulong[BlockValues];
        for (var first = 1; first < values.Length; first += BlockValues)
        {
            var count = Math.Min(BlockValues, values.Length - first);
            var block = values.Slice(first - 1, count + 1);
            long min = long.MaxValue, max = long.MinValue;
            for (var i = 1; i < block.Length; i++)
            {
                var d = unchecked(block[i] - block[i - 1]);
                min = Math.Min(min, d);
                max = Math.Max(max, d);
            }
            var span = output.GetSpan(MaxBlockBytes);
            var pos = Varint(span, 0, ZigZag(min));
            if (min == max)
            {
                // Every delta the same (a constant column, seq): four zero widths and no bits.
                span.Slice(pos, MiniblocksPerBlock).Clear();
                output.Advance(pos + MiniblocksPerBlock);
                continue;
            }
            deltas.Clear(); // the last miniblock's padding is zeros
            for (var i = 0; i < count; i++) deltas[i] = unchecked((ulong)(block[i + 1] - block[i] - min));
            var used = (count + MiniblockValues - 1) / MiniblockValues;
            var widthsAt = pos;
            pos += MiniblocksPerBlock;
            for (var m = 0; m < MiniblocksPerBlock; m++)
            {
                ulong any = 0;
                if (m < used)
                    foreach (var d in deltas.Slice(m * MiniblockValues, MiniblockValues)) any |= d;
                var width = 64 - (int)ulong.LeadingZeroCount(any);
                span[widthsAt + m] = (byte)width;
                if (m < used) pos += Pack(deltas.Slice(m * MiniblockValues, MiniblockValues), width, span[pos..]);
            }
            output.Advance(pos);
        }
    }

    private const int MaxVarintBytes = 10;
    /// <summary>A block's most bytes: its smallest delta, the widths, and four miniblocks of 64-bit values.</summary>
    private const int MaxBlockBytes = MaxVarintBytes + MiniblocksPerBlock + BlockValues * 8;

    private static int Varint(Span<byte> span, int pos, ulong v)
    {
        for (; v >= 0x80; v >>= 7) span[pos++] = (byte)(v | 0x80);
        span[pos++] = (byte)v;
        return pos;
    }

    /// <summary>32 values at <paramref name="width"/> bits each into <paramref name="span"/>: returns the 4 × width bytes written.</summary>
    private static int Pack(ReadOnlySpan<ulong> values, int width, Span<byte> span)
    {
        var (acc, bits, pos) = (0UL, 0, 0);
        foreach (var v in values)
        {
            acc |= v << bits;
            if (bits + width >= 64)
            {
                BinaryPrimitives.WriteUInt64LittleEndian(span[pos..], acc);
                pos += 8;
                acc = bits == 0 ? 0 : v >> (64 - bits); // C# masks a shift by 64 to 0
                bits += width - 64;
            }
            else bits += width;
        }
        if (bits > 0) BinaryPrimitives.WriteUInt32LittleEndian(span[pos..], (uint)acc); // 32 × an odd width leaves half a word
        return MiniblockValues * width / 8;
    }

    /// <summary>Decodes exactly <paramref name="dst"/>.Length values; damaged bytes throw <see cref="InvalidDataException"/>.</summary>
    public static void Decode(ReadOnlySpan<byte> data, Span<long> dst)
    {
        var pos = 0;
        var blockValues = Uleb(data, ref pos);
        var miniblocks = Uleb(data, ref pos);
        var total = Uleb(data, ref pos);
        var last = UnZigZag(Uleb(data, ref pos));
        if (blockValues == 0 || blockValues % 128 != 0 || blockValues > MaxBlockValues || miniblocks == 0 || blockValues % miniblocks != 0 || blockValues / miniblocks % 32 != 0)
            throw new InvalidDataException($"delta header: blocks of {blockValues} values in {miniblocks} miniblocks");
        if (total != (ulong)dst.Length) throw new InvalidDataException($"delta page holds {total} values where {dst.Length} are defined");
        if (dst.IsEmpty) return;
        var perMiniblock = (int)(blockValues / miniblocks);
        Span<ulong> unpacked = stackalloc ulong[MiniblockValues];
        dst[0] = last;
        var k = 1;
        while (k < dst.Length)
        {
            var min = UnZigZag(Uleb(data, ref pos));
            if ((ulong)(data.Length - pos) < miniblocks) throw new InvalidDataException("delta block's bit widths run past the page");
            var widths = data.Slice(pos, (int)miniblocks);
            pos += (int)miniblocks;
            for (var m = 0; m < widths.Length && k < dst.Length; m++)
            {
                int width = widths[m];
                if (width > 64) throw new InvalidDataException($"delta miniblock of {width}-bit values");
                for (var group = 0; group < perMiniblock && k < dst.Length; group += MiniblockValues)
                {
                    if (width == 0)
                    {
                        // Every delta the smallest (a constant column, seq): no bits to read.
                        for (var end = Math.Min(dst.Length, k + MiniblockValues); k < end; k++) dst[k] = last = unchecked(last + min);
                        continue;
                    }
                    var bytes = MiniblockValues * width / 8;
                    if (data.Length - pos < bytes) throw new InvalidDataException("delta miniblock runs past the page");
                    Unpack(data.Slice(pos, bytes), width, unpacked);
                    pos += bytes;
                    for (var i = 0; i < MiniblockValues && k < dst.Length; i++)
                    {
                        last = unchecked(last + min + (long)unpacked[i]);
                        dst[k++] = last;
                    }
                }
            }
        }
    }

    /// <summary>32 values of <paramref name="width"/> bits (1 to 64) from their 4 × width bytes.</summary>
    private static void Unpack(ReadOnlySpan<byte> packed, int width, Span<ulong> values)
    {
        Span<byte> padded = stackalloc byte[MiniblockValues * 64 / 8 + 16]; // every 8-byte read below stays inside
        packed.CopyTo(padded);
        padded[packed.Length..].Clear();
        var mask = width == 64 ? ulong.MaxValue : (1UL << width) - 1;
        for (var i = 0; i < values.Length; i++)
        {
            var bit = i * width;
            var (at, shift) = (bit >> 3, bit & 7);
            var v = BinaryPrimitives.ReadUInt64LittleEndian(padded[at..]) >> shift;
            if (shift + width > 64) v |= (ulong)padded[at + 8] << (64 - shift);
            values[i] = v & mask;
        }
    }

    private static ulong Uleb(ReadOnlySpan<byte> data, ref int pos) => RleHybrid.ReadVarint(data, ref pos, "delta page");

    private static ulong ZigZag(long v) => (ulong)((v << 1) ^ (v >> 63));

    private static long UnZigZag(ulong u) => (long)(u >> 1) ^ -(long)(u & 1);
}
