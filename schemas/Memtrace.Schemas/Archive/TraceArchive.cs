using System.Buffers;
using System.Security.Cryptography;
using System.Text.Json;
using Memtrace.Schemas.IO;
using Memtrace.Schemas.Model;
using Memtrace.Schemas.Stats;

namespace Memtrace.Schemas.Archive;

/// <summary>
/// A trace archive directory: manifest.json plus tables/&lt;table&gt;/&lt;source_id&gt;.parquet.
/// Table files are written before the manifest names them, and the manifest is replaced
/// atomically, so a crash leaves either the old archive or the new one.
/// </summary>
public sealed class TraceArchive
{
    private TraceArchive(string root, Manifest manifest)
    {
        Root = Path.GetFullPath(root);
        Manifest = manifest;
    }

    public string Root { get; }
    public Manifest Manifest { get; private set; }
    public string ManifestPath => Path.Combine(Root, "manifest.json");

    /// <summary>Opens an archive, creating an empty one if the directory has no manifest.</summary>
    public static TraceArchive OpenOrCreate(string root)
    {
        Directory.CreateDirectory(root);
        AtomicFile.SweepStale(root);
        var path = Path.Combine(root, "manifest.json");
        return File.Exists(path) ? Open(root) : new TraceArchive(root, new Manifest());
    }

    public static TraceArchive Open(string root)
    {
        var path = Path.Combine(root, "manifest.json");
        if (!Directory.Exists(root)) throw new ArchiveException($"{root}: no such directory");
        if (!File.Exists(path)) throw new ArchiveException($"{root}: not a memtrace archive (no manifest.json)");
        Manifest? m;
        try
        {
            m = JsonSerializer.Deserialize<Manifest>(File.ReadAllBytes(path), Manifest.Json);
        }
        catch (JsonException e)
        {
            throw new ArchiveException($"{path}: unreadable manifest: {e.Message}");
        }
        if (m is null) throw new ArchiveException($"{path}: empty manifest");
        if (m.Format > Manifest.CurrentFormat) throw new ArchiveException($"{path}: manifest format {m.Format} is newer than this memtrace ({Manifest.CurrentFormat})");
        // A source id that is not a plain name ("../../etc") would make a table path escape the archive. It is not
        // fatal to the archive: ReadTable refuses that source alone, so the other sources of the run still land.
        return new TraceArchive(root, m);
    }

    public SourceEntry? FindBySha(string sha256) => Manifest.Sources.FirstOrDefault(s => s.Sha256 == sha256);

    /// <summary>Source ids are derived from content, so re-importing the same bytes anywhere gives the same id.</summary>
    public static string SourceIdFor(string sha256) => "s" + sha256[..16];

    public string TablePath(string table, string sourceId)
    {
        if (!IsSafeId(table) || !IsSafeId(sourceId)) throw new ArchiveException($"table path '{table}/{sourceId}' escapes the archive");
        return Path.Combine(Root, "tables", table, sourceId + ".parquet");
    }

    /// <summary>Writes one source's tables, then appends its entry to the manifest (atomically).</summary>
    public void AddSource(SourceEntry entry, IEnumerable<Table> tables, int rowGroupRows = ParquetIo.RowGroupRows)
    {
        foreach (var t in tables)
        {
            if (t.RowCount == 0) continue;
            var sorted = TableSort.ByKey(t);
            var path = TablePath(t.Def.Name, entry.SourceId);
            AtomicFile.Write(path, s => ParquetIo.Write(sorted, s, ParquetIo.ArchiveCodec, rowGroupRows));
            entry.Rows[t.Def.Name] = t.RowCount;
            using (var written = File.OpenRead(path)) entry.TableSha256[t.Def.Name] = Convert.ToHexString(SHA256.HashData(written)).ToLowerInvariant();
        }
        var m = new Manifest { Format = Manifest.Format, Tool = Manifest.Tool, Sources = Manifest.Sources.Append(entry).OrderBy(s => s.SourceId, StringComparer.Ordinal).ToList() };
        AtomicFile.WriteAllBytes(ManifestPath, JsonSerializer.SerializeToUtf8Bytes(m, Manifest.Json));
        Manifest = m;
    }

    /// <summary>
    /// Reads one table across every source, in manifest order. Unreadable files are reported, not fatal. Each file
    /// is read into a pooled buffer and checked against the manifest's SHA-256; then every good file's pages are
    /// decoded into one table at once. If that finds a damaged page, the files are decoded one by one so that only
    /// the damaged one is refused.
    /// </summary>
    public Table ReadTable(TableDef def, Action<string, string>? onMissing = null)
    {
        var files = new List<(SourceEntry Source, string Path, byte[] Buffer, ParquetBytes Parquet)>();
        try
        {
            foreach (var (s, path) in TableFiles(def, onMissing))
            {
                byte[]? buffer = null;
                try
                {
                    var bytes = ReadPooled(path, out buffer);
                    CheckHash(s, def, () => SHA256.HashData(bytes));
                    files.Add((s, path, buffer, new ParquetBytes(bytes, ParquetIo.FooterOf(bytes))));
                }
                catch (Exception e) when (IsUnreadable(e))
                {
                    if (buffer is not null) ArrayPool<byte>.Shared.Return(buffer);
                    onMissing?.Invoke(s.SourceId, Refusal(path, e));
                }
            }
            try
            {
                return files.Count == 0 ? new Table(def) : ParquetIo.ReadMany(def, files.Select(f => f.Parquet).ToList());
            }
            catch (Exception e) when (IsUnreadable(e))
            {
                var all = new Table(def);
                foreach (var f in files)
                {
                    try
                    {
                        all.AppendTable(ParquetIo.ReadMany(def, [f.Parquet]));
                    }
                    catch (Exception inner) when (IsUnreadable(inner))
                    {
                        onMissing?.Invoke(f.Source.SourceId, Refusal(f.Path, inner));
                    }
                }
                return all;
            }
        }
        finally
        {
            foreach (var f in files) ArrayPool<byte>.Shared.Return(f.Buffer);
        }
    }

    /// <summary>
    /// The sources that hold <paramref name="def"/>, each with its file's path, in manifest order. A source id that
    /// is not a plain name would make the path escape the archive: that source is refused alone.
    /// </summary>
    internal IEnumerable<(SourceEntry Source, string Path)> TableFiles(TableDef def, Action<string, string>? onRefused)
    {
        foreach (var s in Manifest.Sources)
        {
            if (!s.Rows.ContainsKey(def.Name)) continue;
            if (!IsSafeId(s.SourceId))
            {
                onRefused?.Invoke(s.SourceId, $"{ManifestPath}: refused: source id '{StatsSink.Excerpt(s.SourceId)}' is not a plain name; its {def.Name} path would escape the archive");
                continue;
            }
            yield return (s, TablePath(def.Name, s.SourceId));
        }
    }

    /// <summary>Refuses a table file whose SHA-256 differs from the one the manifest recorded at import (hashed only when one was).</summary>
    internal static void CheckHash(SourceEntry source, TableDef def, Func<byte[]> sha256)
    {
        if (source.TableSha256.TryGetValue(def.Name, out var expected) && Convert.ToHexString(sha256()).ToLowerInvariant() != expected)
            throw new InvalidDataException("sha256 differs from the manifest's: the file was damaged or altered after import");
    }

    /// <summary>A whole file in a buffer from the shared pool (a nightly run reads hundreds of table files).</summary>
    private static ArraySegment<byte> ReadPooled(string path, out byte[] buffer)
    {
        using var fs = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1, FileOptions.SequentialScan);
        if (fs.Length > Array.MaxLength) throw new InvalidDataException($"{fs.Length} bytes is beyond one in-memory table file");
        var length = (int)fs.Length;
        buffer = ArrayPool<byte>.Shared.Rent(length);
        fs.ReadExactly(buffer, 0, length);
        return new ArraySegment<byte>(buffer, 0, length);
    }

    /// <summary>A table read a row group at a time (see <see cref="ArchiveTableReader"/>); dispose it to close the files.</summary>
    public ArchiveTableReader OpenTableReader(TableDef def, Action<string, string>? onRefused = null) => ArchiveTableReader.Open(this, def, onRefused);

    public static bool IsUnreadable(Exception e) =>
        e is IOException or InvalidDataException or UnauthorizedAccessException or NotSupportedException or InvalidOperationException or IndexOutOfRangeException or ArgumentException or OverflowException;

    public static string Refusal(string path, Exception e)
    {
        var reason = e switch
        {
            FileNotFoundException or DirectoryNotFoundException => "missing: the manifest names it but the file is not there",
            InvalidDataException => e.Message,
            _ => $"not a readable Parquet table ({e.GetType().Name}: {e.Message})",
        };
        return $"{path}: refused: {reason}".ReplaceLineEndings(" ");
    }

    public static bool IsSafeId(string id) =>
        id.Length is > 0 and < 200 && id.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-');
}

public sealed class ArchiveException(string message) : Exception(message);
