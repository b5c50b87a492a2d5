using System.Text.Json.Nodes;
using Memtrace.Pipeline.Run;
using Memtrace.Schemas;
using Memtrace.Schemas.IO;
using Memtrace.Schemas.Model;
using Memtrace.Schemas.Results;

namespace Memtrace.Pipeline.Fleet;

/// <summary>How a result table of several units becomes one.</summary>
public enum TableMergeRule
{
    /// <summary>Every unit's rows, sorted by the table's key (stable: rows with equal keys keep unit order).</summary>
    Concat,
    /// <summary>A dimension keyed by content (stack_frames: a stack's id is the hash of its frames): one row per key.</summary>
    DistinctByKey,
    /// <summary>stats: rebuilt from the units' counters, summed.</summary>
    SumCounters,
}

/// <summary>Units in, one result out.</summary>
/// <param name="Summary">summary.json as written.</param>
/// <param name="UnitRuns">Each unit's run.json, in unit order.</param>
public sealed record CombinedResult(JsonObject Summary, IReadOnlyDictionary<string, long> Counts, IReadOnlyList<Finding> Findings, int Tables, IReadOnlyList<JsonObject> UnitRuns);

/// <summary>
/// Combines unit results (<see cref="UnitRunner"/>) into one result directory: tables, summary.json, report.html.
/// The units are taken in id order, so the output depends on the set of units alone, not on how they were
/// grouped into shards or merged (flat or as a tree). One unit combines to exactly what `memtrace run` writes
/// for that archive (a test holds every table, summary.json and the report to that).
/// </summary>
public static class ResultCombiner
{
    /// <summary>The rule of each table a run writes; a test ties this list to the table catalogue.</summary>
    public static readonly IReadOnlyDictionary<string, TableMergeRule> Rules = TableCatalog.Results.Append(Schemas.Tables.ImportLog.Def)
        .ToDictionary(d => d.Name, d => d.Name switch
        {
            "stats" => TableMergeRule.SumCounters,
            "stack_frames" => TableMergeRule.DistinctByKey,
            _ => TableMergeRule.Concat,
        });

    public static CombinedResult Combine(IReadOnlyList<string> unitDirs, string outDir, Action<string, double>? progress = null)
    {
        var dirs = unitDirs.OrderBy(d => Path.GetFileName(d.TrimEnd('/')), StringComparer.Ordinal).ToList();
        var runs = dirs.Select(d => ReadJson(Path.Combine(d, "run.json"))).ToList();
        var counts = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var run in runs) RunPipeline.Add(counts, run["counters"]!.AsObject().Select(kv => KeyValuePair.Create(kv.Key, (long)kv.Value!)));

        var names = dirs.SelectMany(d => Directory.Exists(Path.Combine(d, "tables")) ? Directory.EnumerateFiles(Path.Combine(d, "tables"), "*.arrow") : [])
            .Select(f => Path.GetFileNameWithoutExtension(f)).Distinct().Order(StringComparer.Ordinal).ToList();
        // Tables are independent: one per core, the largest first so that the last to start is a small one.
        var done = 0;
        var bySize = names.OrderByDescending(n => dirs.Sum(d => FileSize(Path.Combine(d, "tables", n + ".arrow")))).ThenBy(n => n, StringComparer.Ordinal);
        Parallel.ForEach(bySize, new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount }, name =>
        {
            var def = TableCatalog.Find(name) ?? throw new InvalidDataException($"{name}.arrow: not a memtrace table");
            var table = Rules.GetValueOrDefault(def.Name) switch
            {
                TableMergeRule.SumCounters => StatsBuilder.Build(counts),
                TableMergeRule.DistinctByKey => Distinct(TableSort.MergeSorted(def, Read(def, dirs))),
                _ => TableSort.MergeSorted(def, Read(def, dirs)),
            };
            AtomicFile.Write(Path.Combine(outDir, "tables", def.Name + ".arrow"), s => ArrowIo.Write(table, s));
            lock (names) progress?.Invoke("merge tables", (double)++done / names.Count);
        });

        var summaries = dirs.Select(d => ReadJson(Path.Combine(d, "summary.json"))).ToList();
        var findings = Findings.Rank(summaries.SelectMany(s => Findings.FromJson(s["findings"]!.AsArray())));
        var summary = Summary.Gpu(Concat(summaries, "gpu", "pools"), counts);
        summary["findings"] = Findings.Json(findings);
        summary["host"] = new JsonObject
        {
            ["any_oom_kill"] = summaries.Any(s => (bool)s["host"]!["any_oom_kill"]!),
            ["spin_suspect_windows"] = summaries.Sum(s => (int)s["host"]!["spin_suspect_windows"]!),
            ["workloads"] = Concat(summaries, "host", "workloads"),
        };
        summary["whatif"] = new JsonObject { ["pools"] = Concat(summaries, "whatif", "pools") };
        AtomicFile.WriteAllText(Path.Combine(outDir, "summary.json"), summary.ToJsonString(RunPipeline.Indented) + "\n");
        progress?.Invoke("report", 0.9);
        Report.HtmlReport.Write(outDir);
        return new CombinedResult(summary, counts, findings, names.Count, runs);
    }

    public static JsonObject ReadJson(string path) =>
        JsonNode.Parse(File.ReadAllText(path))?.AsObject() ?? throw new InvalidDataException($"{path}: empty");

    private static JsonArray Concat(List<JsonObject> summaries, string section, string list) =>
        new(summaries.SelectMany(s => s[section]![list]!.AsArray()).Select(n => n!.DeepClone()).ToArray());

    private static long FileSize(string path) => File.Exists(path) ? new FileInfo(path).Length : 0;

    /// <summary>Each unit's table, as the unit wrote it: sorted by key.</summary>
    private static List<Table> Read(TableDef def, List<string> dirs)
    {
        var tables = new List<Table>();
        foreach (var d in dirs)
        {
            var path = Path.Combine(d, "tables", def.Name + ".arrow");
            if (!File.Exists(path)) continue;
            using var fs = File.OpenRead(path);
            tables.Add(ArrowIo.Read(def, fs));
        }
        return tables;
    }

    /// <summary>The first row of each run of equal keys in a sorted table.</summary>
    private static Table Distinct(Table sorted)
    {
        var key = sorted.Def.SortKey.Select(k => sorted[k]).ToArray();
        var keep = new List<int>(sorted.RowCount);
        for (var r = 0; r < sorted.RowCount; r++)
            if (r == 0 || key.Any(k => TableSort.CompareCell(k, r - 1, r) != 0)) keep.Add(r);
        return keep.Count == sorted.RowCount ? sorted : sorted.Permute(keep.ToArray());
    }
}
