using System.Buffers;
using System.Text;
using Memtrace.Schemas.Stats;

namespace Memtrace.Collectors.Importers.RmmCsv;

/// <summary>
/// The plain path of the RMM importer: a file without a '"' byte ("140573312345856,13:45:02.123456,allocate,
/// 0x7f8a40000000,1024,0x7f8a38001020": RMM writes no quotes) is cut at line ends into one part a core, and each part
/// reads its own byte range in blocks and splits its lines on commas as spans, nothing allocated a good row. Lines end
/// as StreamReader.ReadLine ends them (\n, \r\n or a lone \r) and decode as UTF-8, so rows, counters and log lines are
/// CsvHelper's (a test holds them to it on edge cases, in several parts and small blocks). Measured on the bench's 5 M
/// rows (370 MB): a sequential ReadLine and split took 2.9–3.9 s, CsvHelper 5.3 s.
/// </summary>
internal static class RmmPlainReader
{
    private sealed class Part(RmmRows rows)
    {
        public readonly RmmRows Rows = rows;
        public readonly List<(long Line, string Excerpt, StatDef Stat, string Error)> Bad = [];
        public long Lines;
        public bool Quote;
    }

    /// <summary>The rows in file order, bad rows logged; null when the file needs CsvHelper (a quote, a UTF-16 or UTF-32 byte-order mark).</summary>
    public static RmmRows? Read(ImportContext ctx, int parts, int blockBytes)
    {
        using var handle = File.OpenHandle(ctx.Path);
        var length = RandomAccess.GetLength(handle);
        var head = new byte[(int)Math.Min(length, 4096)];
        head = head[..RandomAccess.Read(handle, head, 0)];
        if (head.AsSpan().StartsWith((ReadOnlySpan<byte>)[0xFF, 0xFE]) || head.AsSpan().StartsWith((ReadOnlySpan<byte>)[0xFE, 0xFF]) || head.AsSpan().StartsWith((ReadOnlySpan<byte>)[0, 0, 0xFE, 0xFF])) return null;
        var end = head.AsSpan().IndexOfAny((byte)'\n', (byte)'\r');
        var headerLine = end < 0 ? head.AsSpan() : head.AsSpan(0, end);
        if (headerLine.Contains((byte)'"')) return null;
        if (head.Length == 0 || Encoding.UTF8.GetString(headerLine).TrimStart('\uFEFF') != RmmCsvImporter.Header)
            throw new ImportRefusedException($"first line is not the RMM header '{RmmCsvImporter.Header}'");
        long bodyStart = end < 0 ? head.Length : end + (head[end] == '\r' && end + 1 < head.Length && head[end + 1] == '\n' ? 2 : 1);

        parts = (int)Math.Clamp((length - bodyStart) / blockBytes + 1, 1, Math.Max(parts, 1)); // at least a block a part
        var cuts = new long[parts + 1];
        cuts[0] = bodyStart;
        cuts[parts] = length;
        for (var k = 1; k < parts; k++) cuts[k] = Math.Max(cuts[k - 1], LineStartAtOrAfter(handle, bodyStart + (length - bodyStart) * k / parts, length));
        // Each part's window is sized for RMM's ~74-byte lines, so that its columns do not grow through copies of themselves.
        var windows = RmmRows.Windows([.. Enumerable.Range(0, parts).Select(k => (int)Math.Min((cuts[k + 1] - cuts[k]) / 64 + 16, Array.MaxLength / 2))]);
        var results = new Part[parts];
        Parallel.For(0, parts, k => results[k] = ReadPart(handle, cuts[k], cuts[k + 1], blockBytes, windows[k]));
        if (results.Any(p => p.Quote)) return null;

        long before = 1; // the header
        foreach (var part in results)
        {
            part.Rows.ShiftLines(before);
            foreach (var (line, excerpt, stat, error) in part.Bad) ctx.Stats.Log(stat, $"line {before + line}", excerpt, error);
            before += part.Lines;
        }
        return RmmRows.Join([.. results.Select(p => p.Rows)]);
    }

    /// <summary>Just past the first '\n' at or after <paramref name="from"/>, or the file's end: a cut there never splits a line or a \r\n.</summary>
    private static long LineStartAtOrAfter(Microsoft.Win32.SafeHandles.SafeFileHandle handle, long from, long length)
    {
        var window = new byte[64 * 1024];
        for (var pos = from; pos < length;)
        {
            var n = RandomAccess.Read(handle, window, pos);
            if (n <= 0) break;
            var i = window.AsSpan(0, n).IndexOf((byte)'\n');
            if (i >= 0) return pos + i + 1;
            pos += n;
        }
        return length;
    }

    private static Part ReadPart(Microsoft.Win32.SafeHandles.SafeFileHandle handle, long start, long end, int blockBytes, RmmRows window)
    {
        var part = new Part(window);
        var buffer = ArrayPool<byte>.Shared.Rent(blockBytes);
        try
        {
            var pos = start;
            var have = 0;
            while (true)
            {
                if (have == buffer.Length)
                {
                    // A line longer than the block: grow until it fits.
                    var bigger = ArrayPool<byte>.Shared.Rent(buffer.Length * 2);
                    buffer.AsSpan(0, have).CopyTo(bigger);
                    ArrayPool<byte>.Shared.Return(buffer);
                    buffer = bigger;
                }
                var want = (int)Math.Min(buffer.Length - have, end - pos);
                var n = want > 0 ? RandomAccess.Read(handle, buffer.AsSpan(have, want), pos) : 0;
                var eof = n <= 0 || pos + n >= end;
                if (buffer.AsSpan(have, Math.Max(n, 0)).Contains((byte)'"'))
                {
                    part.Quote = true;
                    return part;
                }
                pos += Math.Max(n, 0);
                have += Math.Max(n, 0);
                var data = buffer.AsSpan(0, have);
                var consumed = 0;
                while (true)
                {
                    var rest = data[consumed..];
                    var t = rest.IndexOfAny((byte)'\n', (byte)'\r');
                    // A \r at the block's end may be the first half of a \r\n: wait for the next block.
                    if (t < 0 || (rest[t] == '\r' && t == rest.Length - 1 && !eof)) break;
                    Line(rest[..t], ++part.Lines, part);
                    consumed += t + (rest[t] == '\r' && t + 1 < rest.Length && rest[t + 1] == '\n' ? 2 : 1);
                }
                if (eof)
                {
                    if (consumed < have) Line(data[consumed..], ++part.Lines, part);
                    return part;
                }
                data[consumed..].CopyTo(buffer);
                have -= consumed;
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private static void Line(ReadOnlySpan<byte> bytes, long line, Part part)
    {
        if (bytes.IsEmpty) return;
        if (RmmRecord.TryParseCommon(bytes, out var common))
        {
            part.Rows.Add(common, line);
            return;
        }
        // UTF-8 never decodes to more chars than it has bytes.
        Span<char> chars = bytes.Length <= 256 ? stackalloc char[256] : new char[bytes.Length];
        var span = chars[..Encoding.UTF8.GetChars(bytes, chars)];
        Span<Range> fields = stackalloc Range[7];
        var n = span.Split(fields, ',');
        var count = n < 7 ? n : span.Count(',') + 1;
        if (count < 6)
        {
            part.Bad.Add((line, span.ToString(), StatsCatalog.RmmBadRow, $"{count} fields, expected 6"));
            return;
        }
        if (RmmRecord.TryParse(span[fields[0]], span[fields[1]], span[fields[2]], span[fields[3]], span[fields[4]], span[fields[5]], out var rec, out var error))
            part.Rows.Add(rec, line);
        else part.Bad.Add((line, span.ToString(), RmmCsvImporter.BadRowStat(error), error));
    }
}
