using System.Buffers;

namespace Memtrace.Schemas.IO.ParquetPages;

/// <summary>
/// Parquet's RLE / bit-packing hybrid (Encodings.md): a run header varint whose low bit says which kind follows.
/// <c>header &amp; 1 == 0</c>: an RLE run of <c>header &gt;&gt; 1</c> copies of one value stored in ⌈bitWidth/8⌉ bytes;
/// <c>header &amp; 1 == 1</c>: <c>header &gt;&gt; 1</c> groups of 8 values bit-packed LSB first, bitWidth bytes per group.
/// Definition levels (bit width 1 for a flat optional column) and dictionary indices both use it.
/// </summary>
internal static class RleHybrid
{
    /// <summary>Decodes exactly <c>output.Length</c> values; fails if the data ends first or a value is too wide.</summary>
    public static void Decode(ReadOnlySpan<byte> data, int bitWidth, Span<int> output)
    {
        if (bitWidth is < 0 or > 32) throw new InvalidDataException($"RLE bit width {bitWidth} is out of range");
        var pos = 0;
        var done = 0;
        var byteWidth = (bitWidth + 7) / 8;
        while (done < output.Length)
        {
            var header = ReadVarint(data, ref pos);
            if ((header & 1) == 0)
            {
                var run = header >> 1;
                if (run == 0) throw new InvalidDataException("RLE run of length 0");
                if (byteWidth > data.Length - pos) throw new InvalidDataException("RLE run truncated");
                var value = 0u;
                for (var i = 0; i < byteWidth; i++) value |= (uint)data[pos + i] << (8 * i);
                pos += byteWidth;
                if (bitWidth < 32 && value >> bitWidth != 0) throw new InvalidDataException($"RLE value {value} wider than {bitWidth} bits");
                var n = (int)Math.Min(run, (ulong)(output.Length - done));
                output.Slice(done, n).Fill((int)value);
                done += n;
            }
            else
            {
                var groups = Math.Min(header >> 1, (ulong)int.MaxValue / 32); // a bit flip must not overflow the products below
                var wanted = (int)Math.Min(groups * 8, (ulong)(output.Length - done));
                // Writers pad the last group to 8 values; only the bytes the wanted values need must be there.
                var needBytes = (int)(((long)wanted * bitWidth + 7) / 8);
                if (needBytes > data.Length - pos) throw new InvalidDataException("bit-packed run truncated");
                Unpack(data.Slice(pos, needBytes), bitWidth, output.Slice(done, wanted));
                pos += (int)Math.Min(groups * (ulong)bitWidth, (ulong)(data.Length - pos));
                done += wanted;
            }
        }
    }

    /// <summary>
    /// True when the data opens with one RLE run of 1s covering all <paramref name="count"/> values: a page of
    /// definition levels with no null, the common case, known without writing a level per row.
    /// </summary>
    public static bool IsAllOnes(ReadOnlySpan<byte> data, int bitWidth, int count)
    {
        var pos = 0;
        if (data.IsEmpty || bitWidth is < 1 or > 8) return false;
        ulong header;
        try
        {
            header = ReadVarint(data, ref pos);
        }
        catch (InvalidDataException)
        {
            return false;
        }
        return (header & 1) == 0 && header >> 1 >= (ulong)count && pos < data.Length && data[pos] == 1;
    }

    /// <summary>
    /// Encodes <paramref name="values"/> (each below 2^bitWidth, bitWidth 1–32): a run of 8 or more equal values as one RLE
    /// run, the rest bit-packed in groups of 8, the last group padded with zeros that readers drop by the page's count. A
    /// column without nulls is one RLE run of 1s, which <see cref="IsAllOnes"/> recognises on the way back.
    /// </summary>
    public static void Encode(ReadOnlySpan<int> values, int bitWidth, IBufferWriter<byte> output)
    {
        if (bitWidth is < 1 or > 32) throw new ArgumentOutOfRangeException(nameof(bitWidth), bitWidth, "RLE bit width is 1–32");
        var byteWidth = (bitWidth + 7) / 8;
        var i = 0;
        while (i < values.Length)
        {
            var run = RunLength(values, i, int.MaxValue);
            if (run >= 8)
            {
                ThriftCompactWriter.Uleb128(output, (ulong)run << 1);
                var span = output.GetSpan(byteWidth);
                var v = (uint)values[i];
                for (var b = 0; b < byteWidth; b++) span[b] = (byte)(v >> (8 * b));
                output.Advance(byteWidth);
                i += run;
                continue;
            }
            var start = i;
            var groups = 0;
            do
            {
                i += 8;
                groups++;
            }
            while (i < values.Length && RunLength(values, i, 8) < 8);
            ThriftCompactWriter.Uleb128(output, (ulong)groups << 1 | 1);
            Pack(values[start..Math.Min(i, values.Length)], bitWidth, groups, output);
        }
    }

    private static int RunLength(ReadOnlySpan<int> values, int start, int cap)
    {
        var v = values[start];
        var end = (int)Math.Min((long)start + cap, values.Length);
        var i = start + 1;
        while (i < end && values[i] == v) i++;
        return i - start;
    }

    private static void Pack(ReadOnlySpan<int> values, int bitWidth, int groups, IBufferWriter<byte> output)
    {
        var bytes = groups * bitWidth;
        var span = output.GetSpan(bytes)[..bytes];
        span.Clear();
        ulong buffer = 0;
        var bits = 0;
        var p = 0;
        foreach (var v in values)
        {
            buffer |= (ulong)(uint)v << bits;
            bits += bitWidth;
            while (bits >= 8)
            {
                span[p++] = (byte)buffer;
                buffer >>= 8;
                bits -= 8;
            }
        }
        if (bits > 0) span[p] = (byte)buffer;
        output.Advance(bytes);
    }

    private static void Unpack(ReadOnlySpan<byte> packed, int bitWidth, Span<int> output)
    {
        if (bitWidth == 0)
        {
            output.Clear();
            return;
        }
        if (bitWidth == 1)
        {
            for (var i = 0; i < output.Length; i++) output[i] = (packed[i >> 3] >> (i & 7)) & 1;
            return;
        }
        var mask = bitWidth == 32 ? ulong.MaxValue >> 32 : (1UL << bitWidth) - 1;
        ulong buffer = 0;
        var bits = 0;
        var p = 0;
        for (var i = 0; i < output.Length; i++)
        {
            while (bits < bitWidth)
            {
                buffer |= (ulong)packed[p++] << bits;
                bits += 8;
            }
            output[i] = (int)(uint)(buffer & mask);
            buffer >>= bitWidth;
            bits -= bitWidth;
        }
    }

    /// <summary>An unsigned LEB128 varint at <paramref name="pos"/> (RLE run headers, DELTA_BINARY_PACKED headers); damaged
    /// bytes throw naming <paramref name="what"/>.</summary>
    internal static ulong ReadVarint(ReadOnlySpan<byte> data, ref int pos, string what = "RLE run header")
    {
        ulong v = 0;
        for (var shift = 0; shift < 64; shift += 7)
        {
            if (pos >= data.Length) throw new InvalidDataException($"data ends inside a varint ({what})");
            var b = data[pos++];
            v |= (ulong)(b & 0x7f) << shift;
            if ((b & 0x80) == 0) return v;
        }
        throw new InvalidDataException($"varint longer than 10 bytes ({what})");
    }
}
