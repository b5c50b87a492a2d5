using System.Security.Cryptography;
using System.Text.Json;
using Memtrace.Collectors.Importers;
using Memtrace.Pipeline.Run;
using Memtrace.Schemas.Archive;
using Memtrace.Tests;
using Xunit;

namespace Memtrace.Pipeline.Tests;

/// <summary>
/// Speed work must not move a byte: every result table of the demo archive and of each bundled real snapshot is held
/// to the SHA-256 it had before the real-shape speed work (tests/data/golden/tables.json; the stats table as of the
/// capture_read_failed counter's addition). MEMTRACE_UPDATE_GOLDEN=1 rewrites the file, for a change that means to
/// move results, which its commit must then say. The run's report.html, drawn from the tables in memory, must be the page
/// drawn from the written files.
/// </summary>
public sealed class GoldenTablesTests
{
    private static readonly string[] Archives = ["demo-archive", "magma27_memory_snapshot.pickle", "bcrafton_memory_snapshot.pickle", "bcrafton_oom_variant.pickle"];

    /// <summary>Each input with the what-if beside the replay (as a small archive runs) and after it (as a large one does).</summary>
    public static TheoryData<string, bool> Inputs
    {
        get
        {
            var data = new TheoryData<string, bool>();
            foreach (var a in Archives) { data.Add(a, true); data.Add(a, false); }
            return data;
        }
    }

    private static string Golden => Repo.Data("golden", "tables.json");

    [Theory]
    [MemberData(nameof(Inputs))]
    public void Result_tables_are_byte_identical_to_the_golden_hashes(string input, bool whatIfBesideReplay)
    {
        var archive = input == "demo-archive" ? Path.Combine(Repo.Root, "samples", "demo-archive") : Imported(input);
        var outDir = Path.Combine(Repo.TempDir(), "out");
        var result = RunPipeline.Run(archive, outDir, new RunOptions { WhatIfBesideReplayMaxEvents = whatIfBesideReplay ? long.MaxValue : 0 });
        Assert.Equal(ExitCode.Success, result.Exit);
        var hashes = Directory.GetFiles(Path.Combine(outDir, "tables")).Order(StringComparer.Ordinal)
            .ToDictionary(f => Path.GetFileName(f), f => Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(f))).ToLowerInvariant());
        if (Environment.GetEnvironmentVariable("MEMTRACE_UPDATE_GOLDEN") == "1" && whatIfBesideReplay)
        {
            Update(input, hashes);
            return;
        }
        // The run's report took its tables from memory; rendered from the files it must be the same page.
        Assert.True(File.ReadAllText(Path.Combine(outDir, "report.html")) == Report.HtmlReport.Render(outDir), $"{input}: report.html differs from one rendered from the written tables");
        var expected = JsonSerializer.Deserialize<Dictionary<string, Dictionary<string, string>>>(File.ReadAllText(Golden))![input];
        Assert.Equal(expected.Keys.Order(StringComparer.Ordinal), hashes.Keys);
        foreach (var (table, hash) in expected) Assert.True(hash == hashes[table], $"{input}: {table} changed");
    }

    private static string Imported(string snapshot)
    {
        var dir = Repo.TempDir();
        Assert.Equal(ImportOutcome.Imported, new ImportRunner(TraceArchive.OpenOrCreate(dir), new ImportOptions()).ImportOne(Repo.Torch(snapshot), "torch-snapshot").Outcome);
        return dir;
    }

    private static readonly Lock UpdateLock = new();

    private static void Update(string input, Dictionary<string, string> hashes)
    {
        lock (UpdateLock)
        {
            var all = File.Exists(Golden) ? JsonSerializer.Deserialize<SortedDictionary<string, SortedDictionary<string, string>>>(File.ReadAllText(Golden))! : new();
            all[input] = new SortedDictionary<string, string>(hashes, StringComparer.Ordinal);
            Directory.CreateDirectory(Path.GetDirectoryName(Golden)!);
            File.WriteAllText(Golden, JsonSerializer.Serialize(all, new JsonSerializerOptions { WriteIndented = true }) + "\n");
        }
    }
}
