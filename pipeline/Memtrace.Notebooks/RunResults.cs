using System.Text.Json.Nodes;
using Memtrace.Schemas;
using Memtrace.Schemas.IO;
using Microsoft.Data.Analysis;
using Table = Memtrace.Schemas.Model.Table;

namespace Memtrace.Notebooks;

/// <summary>
/// One `memtrace run` out directory: its result tables (tables/*.arrow), summary.json and run.json.
/// Everything a notebook shows comes from here; nothing is recomputed.
/// </summary>
public sealed class RunResults
{
    private RunResults(string dir, JsonNode summary, JsonNode run)
    {
        Dir = dir;
        Summary = summary;
        RunInfo = run;
    }

    public string Dir { get; }
    public JsonNode Summary { get; }
    public JsonNode RunInfo { get; }

    /// <summary>The archive the run read (run.json "archive"), for raw queries and re-analysis.</summary>
    public string ArchiveDir => RunInfo["archive"]?.GetValue<string>() ?? throw new InvalidDataException($"{Dir}/run.json names no archive");

    public IReadOnlyList<string> TableNames =>
        Directory.EnumerateFiles(Path.Combine(Dir, "tables"), "*.arrow").Select(p => Path.GetFileNameWithoutExtension(p)!)
            .Order(StringComparer.Ordinal).ToList();

    public static RunResults Open(string outDir)
    {
        var summary = Path.Combine(outDir, "summary.json");
        var run = Path.Combine(outDir, "run.json");
        if (!File.Exists(summary) || !File.Exists(run) || !Directory.Exists(Path.Combine(outDir, "tables")))
            throw new DirectoryNotFoundException($"{outDir}: not a memtrace out directory (needs summary.json, run.json and tables/; run `memtrace run` first)");
        return new RunResults(Path.GetFullPath(outDir), JsonNode.Parse(File.ReadAllText(summary))!, JsonNode.Parse(File.ReadAllText(run))!);
    }

    /// <summary>A result table as a DataFrame, optionally sliced.</summary>
    public DataFrame Frame(string table, Slice? slice = null)
    {
        var path = Path.Combine(Dir, "tables", table + ".arrow");
        if (!File.Exists(path)) throw new FileNotFoundException($"{Dir}: no result table '{table}' (have: {string.Join(", ", TableNames)})", path);
        var df = Frames.FromArrowFile(path);
        return slice is null ? df : slice.Apply(df);
    }

    /// <summary>The same result table from several runs, one frame, with a leading "run" column naming each out directory.</summary>
    public static DataFrame Concat(IEnumerable<RunResults> runs, string table, Func<RunResults, string>? label = null)
    {
        var def = TableCatalog.Find(table) ?? throw new ArgumentException($"unknown table '{table}'");
        var all = new Table(def);
        var labels = new List<string>();
        foreach (var r in runs)
        {
            var path = Path.Combine(r.Dir, "tables", table + ".arrow");
            if (!File.Exists(path)) continue;
            using var fs = File.OpenRead(path);
            var t = ArrowIo.Read(def, fs);
            all.AppendTable(t);
            labels.AddRange(Enumerable.Repeat(label?.Invoke(r) ?? Path.GetFileName(r.Dir), t.RowCount));
        }
        var df = Frames.FromTable(all);
        df.Columns.Insert(0, new StringDataFrameColumn("run", labels));
        return df;
    }
}
