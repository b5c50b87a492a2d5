using Memtrace.Cli;
using Memtrace.Schemas;
using Memtrace.Schemas.Archive;
using Memtrace.Schemas.IO;
using Memtrace.Schemas.Model;
using Memtrace.Schemas.Results;
using Memtrace.Tests;
using Xunit;

namespace Memtrace.Cli.Tests.CorruptedInputs;

/// <summary>
/// What every case of the corrupted-input matrix shares: the CLI in-process, a two-source archive (a real
/// torch snapshot and the RMM fixture) where one source gets damaged and the other must still land, and
/// readers for the run's outputs.
/// </summary>
internal static class Matrix
{
    public const string Date = "2026-11-20";
    public static string Torch => Repo.Torch("magma27_memory_snapshot.pickle");
    public static string Rmm => Repo.Data("rmm", "pool.dev1.csv");

    /// <summary>
    /// Console.Out and Console.Error belong to the process: two captures at once would take each other's lines (gen's
    /// "wrote 20,000 GPU events" once reached a fleet test's capture from GenCommandTests, outside the console
    /// collection). One capture at a time, whichever test class asks.
    /// </summary>
    private static readonly Lock Capture = new();

    public static (int Code, string Out, string Err) Invoke(params string[] args)
    {
        lock (Capture)
        {
            var o = new StringWriter();
            var e = new StringWriter();
            var (oldOut, oldErr) = (Console.Out, Console.Error);
            Console.SetOut(o);
            Console.SetError(e);
            try
            {
                return (Program.Main(args), o.ToString(), e.ToString());
            }
            finally
            {
                Console.SetOut(oldOut);
                Console.SetError(oldErr);
            }
        }
    }

    /// <summary>Imports the real torch snapshot and the RMM fixture; returns the archive and both source ids.</summary>
    public static (string Archive, string TorchId, string RmmId) TwoSources(string? rmm = null)
    {
        var archive = Path.Combine(Repo.TempDir(), "archive");
        var (code, _, err) = Invoke("import", "auto", Torch, rmm ?? Rmm, "--archive", archive, "--date", Date);
        Assert.True(code == 0, err);
        var sources = TraceArchive.Open(archive).Manifest.Sources;
        return (archive, sources.Single(s => s.Importer == "torch-snapshot").SourceId, sources.Single(s => s.Importer == "rmm-csv").SourceId);
    }

    public static string TablePath(string archive, string table, string sourceId) => TraceArchive.Open(archive).TablePath(table, sourceId);

    /// <summary>Runs the analysis; returns the exit code, stderr lines and the output directory.</summary>
    public static (int Code, string[] ErrLines, string Out) Run(string archive, params string[] extra)
    {
        var outDir = Path.Combine(Path.GetDirectoryName(archive)!, "out");
        var (code, _, err) = Invoke(["run", archive, "--out", outDir, .. extra]);
        return (code, err.Split('\n', StringSplitOptions.RemoveEmptyEntries), outDir);
    }

    public static Table Result(string outDir, string table)
    {
        using var fs = File.OpenRead(Path.Combine(outDir, "tables", table + ".arrow"));
        return ArrowIo.Read(TableCatalog.Find(table)!, fs);
    }

    /// <summary>A counter from the run's stats table, which holds a row for every declared counter, zeros included.</summary>
    public static long Counter(string outDir, string key)
    {
        var stats = Result(outDir, "stats");
        return stats[StatsTable.Value][Assert.Single(Rows(stats), r => stats[StatsTable.StatKey][r] == key)];
    }

    /// <summary>Source ids that have rows in a result table.</summary>
    public static HashSet<string> SourcesIn(Table t) => Enumerable.Range(0, t.RowCount).Select(r => t[PoolKeyColumns.SourceId][r]!).ToHashSet();

    public static IEnumerable<int> Rows(Table t) => Enumerable.Range(0, t.RowCount);

    /// <summary>The one stderr line about <paramref name="path"/>: "PATH: refused: REASON", one line, naming it.</summary>
    public static string OneRefusal(IEnumerable<string> errLines, string path)
    {
        var line = Assert.Single(errLines, l => l.StartsWith(path + ": refused: ", StringComparison.Ordinal));
        Assert.True(line.Length > path.Length + 12, "the refusal gives a reason");
        return line;
    }
}
