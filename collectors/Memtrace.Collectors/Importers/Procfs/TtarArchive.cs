using System.Text;

namespace Memtrace.Collectors.Importers.Procfs;

public enum TtarKind
{
    File,
    Directory,
    Symlink,
}

public sealed record TtarEntry(string Path, TtarKind Kind, string Content, long Line);

/// <summary>
/// The text archive prometheus/procfs keeps its fixtures in ("ttar"). Entries are separated by
/// "# ttar - - -" lines and read
///   Path: fixtures/proc/26231/stat
///   Lines: 1
///   26231 (vim) R 5392 7446 ...
///   Mode: 644
/// or "Directory: p" / "Path: p" + "SymlinkTo: target". A content line ending in "EOF" had no
/// trailing newline, and "NULLBYTE" stands for a NUL byte.
/// </summary>
public static class TtarArchive
{
    public static bool Looks(ReadOnlySpan<byte> head) =>
        head.StartsWith("# Archive created by ttar"u8) || head.StartsWith("Directory: "u8) || head.StartsWith("Path: "u8);

    /// <summary>Parses every entry; malformed entries are reported through <paramref name="bad"/> (line, excerpt, reason) and skipped.</summary>
    public static List<TtarEntry> Parse(string text, Action<long, string, string> bad)
    {
        var lines = text.Split('\n');
        var entries = new List<TtarEntry>();
        var i = 0;
        while (i < lines.Length)
        {
            var line = lines[i];
            if (line.StartsWith("Directory: ", StringComparison.Ordinal))
            {
                entries.Add(new TtarEntry(line["Directory: ".Length..], TtarKind.Directory, "", i + 1));
                i++;
                continue;
            }
            if (!line.StartsWith("Path: ", StringComparison.Ordinal))
            {
                i++;
                continue;
            }
            var path = line["Path: ".Length..];
            var start = i + 1;
            if (i + 1 < lines.Length && lines[i + 1].StartsWith("SymlinkTo: ", StringComparison.Ordinal))
            {
                entries.Add(new TtarEntry(path, TtarKind.Symlink, lines[i + 1]["SymlinkTo: ".Length..], start));
                i += 2;
                continue;
            }
            if (i + 1 >= lines.Length || !lines[i + 1].StartsWith("Lines: ", StringComparison.Ordinal)
                || !int.TryParse(lines[i + 1].AsSpan("Lines: ".Length), out var n) || n < 0 || i + 2 + n > lines.Length)
            {
                bad(start, i + 1 < lines.Length ? lines[i + 1] : "", $"entry {path} has no valid 'Lines: n' header");
                i++;
                continue;
            }
            var sb = new StringBuilder();
            for (var j = 0; j < n; j++)
            {
                var content = lines[i + 2 + j];
                var noNewline = content.EndsWith("EOF", StringComparison.Ordinal);
                if (noNewline) content = content[..^3];
                sb.Append(content.Replace("NULLBYTE", "\0", StringComparison.Ordinal));
                if (!noNewline) sb.Append('\n');
            }
            entries.Add(new TtarEntry(path, TtarKind.File, sb.ToString(), start));
            i += 2 + n;
        }
        return entries;
    }
}
