using System.IO.Compression;

namespace Memtrace.Collectors.Importers.Cgroupfs;

/// <summary>A captured file tree (a directory, or a zip of one) read by relative path with '/' separators.</summary>
public sealed class CgroupTree : IDisposable
{
    private readonly ZipArchive? _zip;
    private readonly string? _root;
    private readonly Dictionary<string, ZipArchiveEntry> _entries = new(StringComparer.Ordinal);

    private CgroupTree(ZipArchive? zip, string? root)
    {
        _zip = zip;
        _root = root;
        if (zip is not null)
        {
            foreach (var e in zip.Entries)
            {
                if (!e.FullName.EndsWith('/')) _entries[e.FullName.Replace('\\', '/')] = e;
            }
            Files = _entries.Keys.Order(StringComparer.Ordinal).ToList();
        }
        else
        {
            Files = Directory.EnumerateFiles(root!, "*", SearchOption.AllDirectories)
                .Select(f => Path.GetRelativePath(root!, f).Replace('\\', '/')).Order(StringComparer.Ordinal).ToList();
        }
    }

    public IReadOnlyList<string> Files { get; }

    /// <summary>Entries that could not be read, with the reason, for the importer to count and log.</summary>
    public List<(string Path, string Reason)> Unreadable { get; } = [];

    public static CgroupTree Open(string path) =>
        Directory.Exists(path) ? new CgroupTree(null, path) : new CgroupTree(ZipFile.OpenRead(path), null);

    /// <summary>Reads a file of the tree, at most 1 MiB (cgroup files are small; a larger one is not a cgroup file).</summary>
    public string? Read(string rel)
    {
        if (_zip is not null)
        {
            if (!_entries.TryGetValue(rel, out var e) || e.Length > 1 << 20) return null;
            try
            {
                using var r = new StreamReader(e.Open());
                return r.ReadToEnd();
            }
            catch (InvalidDataException ex)
            {
                // A corrupt local header or deflate stream in one entry (found by the fuzzer): that file is
                // unreadable; the other entries of the zip still are.
                Unreadable.Add((rel, ex.Message));
                return null;
            }
        }
        var full = Path.Combine(_root!, rel);
        return File.Exists(full) && new FileInfo(full).Length <= 1 << 20 ? File.ReadAllText(full) : null;
    }

    public DateTimeOffset ModifiedAt(string rel) =>
        _zip is not null && _entries.TryGetValue(rel, out var e) ? e.LastWriteTime : new DateTimeOffset(File.GetLastWriteTimeUtc(Path.Combine(_root ?? "", rel)));

    public void Dispose() => _zip?.Dispose();
}
