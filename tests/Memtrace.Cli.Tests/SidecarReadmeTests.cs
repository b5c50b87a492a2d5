using Memtrace.Pipeline.Run;
using Memtrace.Tests;
using Xunit;

namespace Memtrace.Cli.Tests;

/// <summary>The README's capture-jsonl commands on the sidecar capture: one file per path, then run with --fail-on host-oom.</summary>
[Collection("console")]
public sealed class SidecarReadmeTests
{
    [Fact]
    public void Split_sidecar_files_import_and_the_run_fails_on_the_host_oom()
    {
        var dir = Repo.TempDir();
        var archive = Path.Combine(dir, "side");
        var split = Directory.GetFiles(Repo.Data("go", "sidecar", "capture", "split"), "*.jsonl").Order(StringComparer.Ordinal).ToArray();
        var (code, output, err) = CorruptedInputs.Matrix.Invoke(["import", "capture-jsonl", .. split, "--archive", archive]);
        Assert.True(code == 0, err);
        Assert.Equal(split.Length, output.Split('\n').Count(l => l.Contains("imported as")));
        var (run, _, runErr) = CorruptedInputs.Matrix.Invoke("run", archive, "--out", Path.Combine(dir, "side-results"), "--fail-on", "host-oom");
        Assert.True(run == (int)ExitCode.FailOn, runErr);
        var summary = System.Text.Json.JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "side-results", "summary.json"))).RootElement.GetProperty("host");
        Assert.True(summary.GetProperty("any_oom_kill").GetBoolean());
        var w = Assert.Single(summary.GetProperty("workloads").EnumerateArray());
        Assert.Equal(1, w.GetProperty("oom_kills").GetInt32());
        Assert.DoesNotContain("process_vanished", w.GetProperty("flags").EnumerateArray().Select(f => f.GetString()));
    }
}
