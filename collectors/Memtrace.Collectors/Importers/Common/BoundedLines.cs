using System.Buffers;
using Memtrace.Schemas.Stats;

namespace Memtrace.Collectors.Importers.Common;

/// <summary>
/// Lines of a text input with a bound on their length. TextReader.ReadLine builds a line of any length,
/// so one 2 GiB line with no newline (a binary file renamed .log, a gzip bomb that inflates to one line)
/// becomes a 4 GiB string. Here a line past <see cref="ImportLimits.MaxLineChars"/> streams past without
/// being kept: it is logged once under limit_line_length and yields as an empty line, so the caller's
/// line numbers stay true. "\n" and "\r\n" end a line.
/// </summary>
public static class BoundedLines
{
    public static IEnumerable<string> Read(TextReader reader, StatsSink stats, int maxChars = ImportLimits.MaxLineChars)
    {
        var chunk = ArrayPool<char>.Shared.Rent(64 * 1024);
        var line = ArrayPool<char>.Shared.Rent(4096);
        try
        {
            long lineLength = 0; // long: a hostile line can run past 2^31 characters
            var tooLong = false;
            string excerpt = "";
            long lineNo = 0;
            int read;
            while ((read = reader.Read(chunk, 0, chunk.Length)) > 0)
            {
                var start = 0;
                while (start < read)
                {
                    var nl = Array.IndexOf(chunk, '\n', start, read - start);
                    var pieceLength = (nl >= 0 ? nl : read) - start;
                    if (!tooLong && lineLength + pieceLength > maxChars)
                    {
                        tooLong = true;
                        excerpt = Excerpt(line, (int)lineLength, chunk, start, pieceLength);
                    }
                    if (!tooLong)
                    {
                        if (lineLength + pieceLength > line.Length) line = Grow(line, (int)lineLength + pieceLength, (int)lineLength);
                        Array.Copy(chunk, start, line, (int)lineLength, pieceLength);
                    }
                    lineLength += pieceLength;
                    if (nl < 0) break;
                    start = nl + 1;
                    yield return Complete(stats, line, lineLength, tooLong, excerpt, ++lineNo, maxChars);
                    lineLength = 0;
                    tooLong = false;
                }
            }
            if (lineLength > 0 || tooLong) yield return Complete(stats, line, lineLength, tooLong, excerpt, ++lineNo, maxChars);
        }
        finally
        {
            ArrayPool<char>.Shared.Return(chunk);
            ArrayPool<char>.Shared.Return(line);
        }
    }

    /// <summary>The finished line without its "\r", or "" for an overlong one, which is logged here.</summary>
    private static string Complete(StatsSink stats, char[] line, long length, bool tooLong, string excerpt, long lineNo, int maxChars)
    {
        if (tooLong)
        {
            stats.Log(StatsCatalog.LimitLineLength, $"line {lineNo}", excerpt, $"a line of {length} characters, past the bound of {maxChars}; skipped");
            return "";
        }
        var n = (int)length;
        return new string(line, 0, n > 0 && line[n - 1] == '\r' ? n - 1 : n);
    }

    private static char[] Grow(char[] line, int needed, int keep)
    {
        var bigger = ArrayPool<char>.Shared.Rent(Math.Max(needed, line.Length * 2));
        Array.Copy(line, bigger, keep);
        ArrayPool<char>.Shared.Return(line);
        return bigger;
    }

    private static string Excerpt(char[] line, int lineLength, char[] chunk, int start, int pieceLength)
    {
        var kept = Math.Min(lineLength, 200);
        return new string(line, 0, kept) + new string(chunk, start, Math.Min(pieceLength, 200 - kept));
    }
}
