using Memtrace.Schemas;
using Memtrace.Schemas.Archive;
using Memtrace.Schemas.IO;
using Memtrace.Schemas.Model;

namespace Memtrace.Pipeline.Run;

public sealed record TableInfo(string Name, string Kind, long Rows, long? TsMin, long? TsMax, IReadOnlyList<string> Columns);

/// <summary>Lists every table of an archive or of a run's output with its schema, row count and time range.</summary>
public static class Inspector
{
    public static IReadOnlyList<TableInfo> Inspect(string path)
    {
        if (File.Exists(Path.Combine(path, "manifest.json")))
        {
            var archive = TraceArchive.Open(path);
            return TableCatalog.Raw.Select(def => Describe(def, archive.ReadTable(def), "raw")).ToList();
        }
        var tables = Path.Combine(path, "tables");
        if (!Directory.Exists(tables)) throw new ArchiveException($"{path}: neither an archive (manifest.json) nor a run output (tables/)");
        var infos = new List<TableInfo>();
        foreach (var file in Directory.GetFiles(tables, "*.arrow").OrderBy(f => f, StringComparer.Ordinal))
        {
            var def = TableCatalog.Find(Path.GetFileNameWithoutExtension(file));
            if (def is null) continue;
            using var fs = File.OpenRead(file);
            infos.Add(Describe(def, ArrowIo.Read(def, fs), "result"));
        }
        return infos;
    }

    private static TableInfo Describe(TableDef def, Table t, string kind)
    {
        var (lo, hi) = TableTime.Range(t);
        var cols = def.Columns.Select(c => $"{c.Name}:{c.Type.ToString().ToLowerInvariant()}{(c.Nullable ? "?" : "")}").ToList();
        return new TableInfo(def.Name, kind, t.RowCount, lo, hi, cols);
    }
}
