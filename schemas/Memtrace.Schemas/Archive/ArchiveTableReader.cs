using System.Buffers;
using System.Security.Cryptography;
using Memtrace.Schemas.IO;
using Memtrace.Schemas.Model;
using Microsoft.Win32.SafeHandles;

namespace Memtrace.Schemas.Archive;

/// <summary>
/// One archive table read a row group at a time, for tables too large to hold whole (10^8 GPU events are ~8 GB
/// as an in-memory table). Opening checks every source file against the manifest's SHA-256 in one streaming
/// pass and parses its footer; a file that fails is refused then, alone, as <see cref="TraceArchive.ReadTable"/>
/// does. Each <see cref="ReadRowGroup"/> then reads only that row group's chunks of the columns asked for.
/// Thread-safe: reads are positioned (pread), so several row groups can be read at once.
/// </summary>
public sealed class ArchiveTableReader : IDisposable
{
    /// <summary>One source's file of the table.</summary>
    public sealed record Part(string SourceId, string Path, Parquet.Meta.FileMetaData Footer, SafeFileHandle Handle)
    {
        public int RowGroupCount => Footer.RowGroups.Count;
        public long Rows(int rowGroup) => Footer.RowGroups[rowGroup].NumRows;
    }

    private readonly List<Part> _parts;

    private ArchiveTableReader(TableDef def, List<Part> parts)
    {
        Def = def;
        _parts = parts;
    }

    public TableDef Def { get; }
    public IReadOnlyList<Part> Parts => _parts;
    public long TotalRows => _parts.Sum(p => p.Footer.RowGroups.Sum(g => g.NumRows));

    internal static ArchiveTableReader Open(TraceArchive archive, TableDef def, Action<string, string>? onRefused)
    {
        var parts = new List<Part>();
        foreach (var (s, path) in archive.TableFiles(def, onRefused))
        {
            SafeFileHandle? handle = null;
            try
            {
                handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.Read, FileOptions.RandomAccess);
                var file = handle;
                TraceArchive.CheckHash(s, def, () => HashOf(file));
                using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1);
                parts.Add(new Part(s.SourceId, path, ParquetIo.FooterOf(stream), handle));
            }
            catch (Exception e) when (TraceArchive.IsUnreadable(e))
            {
                handle?.Dispose();
                onRefused?.Invoke(s.SourceId, TraceArchive.Refusal(path, e));
            }
        }
        return new ArchiveTableReader(def, parts);
    }

    private static byte[] HashOf(SafeFileHandle handle)
    {
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buffer = ArrayPool<byte>.Shared.Rent(1 << 20);
        try
        {
            long at = 0;
            int n;
            while ((n = RandomAccess.Read(handle, buffer, at)) > 0)
            {
                sha.AppendData(buffer, 0, n);
                at += n;
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
        return sha.GetHashAndReset();
    }

    /// <summary>
    /// Rows of one row group of one part; only <paramref name="columns"/> are decoded (all when null), the other
    /// columns read back null. Damaged pages throw <see cref="InvalidDataException"/> naming the column.
    /// </summary>
    public Table ReadRowGroup(int part, int rowGroup, IReadOnlySet<string>? columns = null)
    {
        var p = _parts[part];
        var rg = p.Footer.RowGroups[rowGroup];
        long lo = long.MaxValue, hi = 0;
        foreach (var c in rg.Columns)
        {
            if (c.MetaData is not { } cm || (columns is not null && !columns.Contains(cm.PathInSchema.LastOrDefault() ?? ""))) continue;
            var start = IO.ParquetPages.PageReader.ChunkStart(cm);
            lo = Math.Min(lo, start);
            hi = Math.Max(hi, start + cm.TotalCompressedSize);
        }
        if (lo == long.MaxValue) (lo, hi) = (4, 4);
        if (lo < 0 || hi - lo > Array.MaxLength || hi > RandomAccess.GetLength(p.Handle))
            throw new InvalidDataException($"{p.Path}: row group {rowGroup} spans [{lo}, {hi}) of a {RandomAccess.GetLength(p.Handle)}-byte file");
        var length = (int)(hi - lo);
        var buffer = ArrayPool<byte>.Shared.Rent(Math.Max(1, length));
        try
        {
            var read = 0;
            while (read < length)
            {
                var n = RandomAccess.Read(p.Handle, buffer.AsSpan(read, length - read), lo + read);
                if (n == 0) throw new InvalidDataException($"{p.Path}: file ends inside row group {rowGroup}");
                read += n;
            }
            var decoded = IO.ParquetPages.PageReader.TryReadRowGroup(Def, p.Footer, rowGroup, new ArraySegment<byte>(buffer, 0, length), lo, columns);
            if (decoded is not null) return decoded;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
        using var stream = new FileStream(p.Path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1 << 16);
        return ParquetIo.ReadRowGroupWithParquetNet(Def, stream, rowGroup);
    }

    public void Dispose()
    {
        foreach (var p in _parts) p.Handle.Dispose();
    }
}
