using Memtrace.Cli;
using Memtrace.Pipeline.Run;
using Memtrace.Tests;
using Xunit;

namespace Memtrace.Cli.Tests;

[Collection("console")]
public sealed class CliTests
{
    private static (int Code, string Out, string Err) Run(params string[] args) => CorruptedInputs.Matrix.Invoke(args);

    [Theory]
    [InlineData("import")]
    [InlineData("run")]
    [InlineData("plan")]
    [InlineData("merge")]
    [InlineData("whatif")]
    [InlineData("report")]
    [InlineData("inspect")]
    [InlineData("demo")]
    [InlineData("schema-docs")]
    [InlineData("collect")]
    public void Every_command_has_help_with_an_example(string command)
    {
        var (code, output, _) = Run(command, "--help");
        Assert.Equal(0, code);
        Assert.Contains("Example:", output);
        Assert.Contains("memtrace " + command, output);
    }

    [Fact]
    public void Import_refuses_an_unknown_file_by_name_and_still_imports_the_rest()
    {
        var dir = Repo.TempDir();
        var junk = Path.Combine(dir, "junk.bin");
        File.WriteAllBytes(junk, [1, 2, 3]);
        var (code, output, err) = Run("import", "auto", junk, Repo.Torch("magma27_memory_snapshot.pickle"), "--archive", Path.Combine(dir, "a"));
        Assert.Equal((int)ExitCode.InputRefused, code);
        Assert.Contains("junk.bin: refused:", err);
        Assert.Contains("imported as", output);
    }

    [Fact]
    public void Demo_then_inspect_lists_every_table_with_rows()
    {
        var outDir = Path.Combine(Repo.TempDir(), "demo");
        var (code, _, err) = Run("demo", "--out", outDir, "--archive", Path.Combine(Repo.Root, "samples", "demo-archive"));
        Assert.True(code == 0, err);
        var (icode, json, _) = Run("inspect", outDir, "--format", "json");
        Assert.Equal(0, icode);
        var tables = System.Text.Json.JsonDocument.Parse(json).RootElement.EnumerateArray().ToList();
        Assert.Equal(Memtrace.Schemas.TableCatalog.Results.Count + 1, tables.Count); // every result table and import_log
        foreach (var t in tables) Assert.True(t.GetProperty("rows").GetInt64() > 0, t.GetProperty("name").GetString());
    }

    [Fact]
    public void Inspect_of_a_non_archive_is_refused()
    {
        var (code, _, err) = Run("inspect", Repo.TempDir());
        Assert.Equal((int)ExitCode.InputRefused, code);
        Assert.Contains("refused", err);
    }

    [Fact]
    public void Bad_usage_exits_1()
    {
        Assert.Equal((int)ExitCode.Usage, Run("run").Code);
    }

    [Fact]
    public void Collect_cuda_runs_a_program_under_the_hook_and_the_run_diagnoses_its_ooms()
    {
        var dir = Repo.TempDir();
        var truth = Path.Combine(dir, "truth.tsv");
        var (code, output, err) = Run("collect", "cuda", "--archive", Path.Combine(dir, "a"), "--hook", CudaHookBuild.Library,
            "--", CudaHookBuild.Fake("hookdriver"), "mix", "2", "3000", truth);
        Assert.True(code == 0, output + err);
        Assert.Contains("exited with status 0; 1 hook log(s)", output);
        (code, output, err) = Run("run", Path.Combine(dir, "a"), "--out", Path.Combine(dir, "out"));
        Assert.True(code == 0, output + err);
        var summary = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(Path.Combine(dir, "out", "summary.json")))!;
        Assert.Equal("capacity-oom", summary["gpu"]!["verdict"]!.GetValue<string>());
        // Oracle: the program's own log of allocations that failed with cudaErrorMemoryAllocation / CUDA_ERROR_OUT_OF_MEMORY.
        var expected = File.ReadLines(truth).Select(l => l.Split('\t')).Count(f => f[6] == "2" && f[2] is "1" or "3" or "5" or "6" or "7" or "8" or "20" or "22" or "24" or "25");
        var ooms = summary["gpu"]!["pools"]!.AsArray().Sum(p => p!["ooms"]!.GetValue<int>());
        Assert.True(expected > 0);
        Assert.Equal(expected, ooms);
    }
}
