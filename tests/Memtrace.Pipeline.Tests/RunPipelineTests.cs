using Memtrace.Collectors.Importers;
using Memtrace.Pipeline.Run;
using Memtrace.Schemas.Archive;
using Memtrace.Schemas.Model;
using Memtrace.Tests;
using Xunit;

namespace Memtrace.Pipeline.Tests;

public sealed class RunPipelineTests
{
    private static string Archive(params string[] files)
    {
        var dir = Repo.TempDir();
        var runner = new ImportRunner(TraceArchive.OpenOrCreate(dir), new ImportOptions());
        foreach (var f in files) Assert.NotEqual(ImportOutcome.Refused, runner.ImportOne(Repo.Torch(f), "auto").Outcome);
        return dir;
    }

    [Fact]
    public void Same_inputs_give_byte_identical_tables_and_summary()
    {
        var archive = Archive("magma27_memory_snapshot.pickle", "bcrafton_oom_variant.pickle");
        // The host captures too, so every host table has rows to be deterministic about.
        foreach (var (name, captured) in new[] { ("oomsvc", new[] { "procfs.jsonl", "expvar.jsonl", "gctrace.log", "dmesg.txt" }), ("spinsvc", new[] { "procfs.jsonl", "expvar.jsonl", "perf-script.txt.gz" }) })
        {
            var pid = long.Parse(File.ReadAllText(Repo.Data("go", name, "capture", "pid")).Trim());
            var runner = new ImportRunner(TraceArchive.OpenOrCreate(archive), new ImportOptions { Pid = pid });
            foreach (var f in captured) Assert.Equal(ImportOutcome.Imported, runner.ImportOne(Repo.Data("go", name, "capture", f), "auto").Outcome);
        }
        var a = Path.Combine(Repo.TempDir(), "a");
        var b = Path.Combine(Repo.TempDir(), "b");
        Assert.Equal(ExitCode.Success, RunPipeline.Run(archive, a, new RunOptions()).Exit);
        Assert.Equal(ExitCode.Success, RunPipeline.Run(archive, b, new RunOptions()).Exit);
        var files = Directory.GetFiles(Path.Combine(a, "tables")).Select(Path.GetFileName).Order().ToList();
        Assert.Equal(Schemas.TableCatalog.Results.Count + 1, files.Count); // every result table and import_log
        foreach (var f in files) Assert.Equal(File.ReadAllBytes(Path.Combine(a, "tables", f!)), File.ReadAllBytes(Path.Combine(b, "tables", f!)));
        Assert.Equal(File.ReadAllBytes(Path.Combine(a, "summary.json")), File.ReadAllBytes(Path.Combine(b, "summary.json")));
        Assert.Equal(File.ReadAllBytes(Path.Combine(a, "report.html")), File.ReadAllBytes(Path.Combine(b, "report.html")));
        Assert.Empty(Directory.GetFiles(a, ".tmp*", SearchOption.AllDirectories));
    }

    [Fact]
    public void An_error_counter_fails_the_run_unless_tolerated()
    {
        // The synthetic mosaic file's blocks do not tile its segments, so the replay cannot land on its snapshot:
        // replay_final_state_mismatch is an error counter.
        var archive = Archive("mosaic_output.pickle");
        var outDir = Repo.TempDir();
        var failed = RunPipeline.Run(archive, outDir, new RunOptions());
        Assert.Equal(ExitCode.ErrorCounters, failed.Exit);
        Assert.Contains("replay_final_state_mismatch", failed.Message);
        Assert.True(File.Exists(Path.Combine(outDir, "tables", "stats.arrow")), "outputs are still written");
        Assert.Equal(ExitCode.Success, RunPipeline.Run(archive, outDir, new RunOptions { TolerateErrors = true }).Exit);
    }

    [Fact]
    public void Fail_on_a_verdict_sets_the_exit_code()
    {
        var archive = Archive("bcrafton_oom_variant.pickle");
        var outcome = RunPipeline.Run(archive, Repo.TempDir(), new RunOptions { FailOn = ["fragmentation-oom"] });
        Assert.Equal(ExitCode.FailOn, outcome.Exit);
        Assert.Equal(ExitCode.Success, RunPipeline.Run(archive, Repo.TempDir(), new RunOptions { FailOn = ["capacity-oom"] }).Exit);
    }

    [Fact]
    public void Stats_table_has_a_row_for_every_counter_zeros_included()
    {
        var archive = Archive("magma27_memory_snapshot.pickle");
        var outDir = Repo.TempDir();
        RunPipeline.Run(archive, outDir, new RunOptions());
        using var fs = File.OpenRead(Path.Combine(outDir, "tables", "stats.arrow"));
        var stats = Memtrace.Schemas.IO.ArrowIo.Read(Memtrace.Schemas.Results.StatsTable.Def, fs);
        Assert.Equal(Memtrace.Schemas.Stats.StatsCatalog.All.Count, stats.RowCount);
        var values = Enumerable.Range(0, stats.RowCount).ToDictionary(i => stats[Memtrace.Schemas.Results.StatsTable.StatKey][i]!, i => stats[Memtrace.Schemas.Results.StatsTable.Value][i]);
        Assert.Equal(0, values["replay_double_free"]);
        Assert.Equal(2, values["torch_free_before_window"]);
    }

    [Fact]
    public void Missing_archive_is_refused()
    {
        var outcome = RunPipeline.Run(Path.Combine(Repo.TempDir(), "nope"), Repo.TempDir(), new RunOptions());
        Assert.Equal(ExitCode.InputRefused, outcome.Exit);
        Assert.Contains("nope", outcome.Message);
    }

    [Fact]
    public void Report_is_self_contained_and_escapes_trace_strings()
    {
        var archive = Archive("bcrafton_oom_variant.pickle");
        var outDir = Repo.TempDir();
        RunPipeline.Run(archive, outDir, new RunOptions());
        var html = File.ReadAllText(Path.Combine(outDir, "report.html"));
        Assert.Contains("Content-Security-Policy", html);
        Assert.Contains("default-src 'none'", html);
        Assert.DoesNotContain("http://", html);
        Assert.DoesNotContain("https://", html);
        Assert.Contains("fragmentation", html);
        // Frames such as "void at::native::...<float>(...)" carry '<': none may reach the page unescaped.
        Assert.DoesNotContain("<float>", html);
    }
    private static Memtrace.Schemas.Model.Table ReadOut(string outDir, Memtrace.Schemas.Model.TableDef def)
    {
        using var fs = File.OpenRead(Path.Combine(outDir, "tables", def.Name + ".arrow"));
        return Memtrace.Schemas.IO.ArrowIo.Read(def, fs);
    }

    [Fact]
    public void Gpu_capacity_of_the_real_oom_snapshot_matches_its_oom_diagnoses()
    {
        var outDir = Repo.TempDir();
        Assert.Equal(ExitCode.Success, RunPipeline.Run(Archive("bcrafton_oom_variant.pickle"), outDir, new RunOptions()).Exit);
        var cap = ReadOut(outDir, Memtrace.Schemas.Results.GpuCapacity.Def);
        var ooms = ReadOut(outDir, Memtrace.Schemas.Results.OomDiagnoses.Def);
        var timeline = ReadOut(outDir, Memtrace.Schemas.Results.FragmentationTimeline.Def);
        var withOom = Enumerable.Range(0, cap.RowCount).Where(r => cap[Memtrace.Schemas.Results.GpuCapacity.Ooms][r] > 0).ToList();
        Assert.NotEmpty(withOom);
        foreach (var r in withOom)
        {
            var pool = cap[PoolKeyColumns.Pool][r];
            var rows = Enumerable.Range(0, ooms.RowCount).Where(o => ooms[PoolKeyColumns.Pool][o] == pool && ooms[PoolKeyColumns.Device][o] == cap[PoolKeyColumns.Device][r]).ToList();
            Assert.Equal(rows.Count, cap[Memtrace.Schemas.Results.GpuCapacity.Ooms][r]);
            // Oracle from the diagnoses themselves: in use at the OOM (device total − device free when both are known, never
            // less than the pool's reserved bytes) plus the request; compacted = allocated + request.
            var total = cap[Memtrace.Schemas.Results.GpuCapacity.DeviceTotal].Get(r);
            var needed = rows.Max(o => (total is { } t && ooms[Memtrace.Schemas.Results.OomDiagnoses.DeviceFree].Get(o) is { } f ? Math.Max(ooms[Memtrace.Schemas.Results.OomDiagnoses.Reserved][o], t - f) : ooms[Memtrace.Schemas.Results.OomDiagnoses.Reserved][o]) + ooms[Memtrace.Schemas.Results.OomDiagnoses.Request][o]);
            Assert.Equal(needed, cap[Memtrace.Schemas.Results.GpuCapacity.DeviceNeeded][r]);
            Assert.Equal(rows.Max(o => ooms[Memtrace.Schemas.Results.OomDiagnoses.Allocated][o] + ooms[Memtrace.Schemas.Results.OomDiagnoses.Request][o]), cap[Memtrace.Schemas.Results.GpuCapacity.DeviceNeededIfCompacted][r]);
            Assert.True(cap[Memtrace.Schemas.Results.GpuCapacity.DeviceNeeded][r] >= cap[Memtrace.Schemas.Results.GpuCapacity.DeviceNeededIfCompacted][r]);
            var peak = Enumerable.Range(0, timeline.RowCount).Where(t => timeline[PoolKeyColumns.Pool][t] == pool && timeline[PoolKeyColumns.Device][t] == cap[PoolKeyColumns.Device][r]).Max(t => timeline[Memtrace.Schemas.Results.FragmentationTimeline.ReservedMax][t]);
            Assert.Equal(peak, cap[Memtrace.Schemas.Results.GpuCapacity.PeakReserved][r]);
        }
    }
}
