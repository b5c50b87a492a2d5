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

    private static ulong ReadVarint(ReadOnlySpan<byte> data, ref int pos)
    {
        ulong v = 0;
        for (var shift = 0; shift < 64; shift += 7)
        {
            if (pos >= data.Length) throw new InvalidDataException("RLE data ends inside a run header");
            var b = data[pos++];
            v |= (ulong)(b & 0x7f) << shift;
            if ((b & 0x80) == 0) return v;
        }
        throw new InvalidDataException("RLE run header longer than 10 bytes");
    }
}
