using Memtrace.Pipeline.Run;
using Memtrace.Tests;
using Xunit;

namespace Memtrace.Cli.Tests;

/// <summary>plan, run --plan and merge as a user types them: the shard from a scheduler's variable, mistakes in one line.</summary>
[Collection("console")]
public sealed class FleetCliTests : IDisposable
{
    private static (int Code, string Out, string Err) Run(params string[] args) => CorruptedInputs.Matrix.Invoke(args);

    private static string[] Lines(string text) => text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    private readonly string _work = Repo.TempDir();

    public void Dispose() => Directory.Delete(_work, recursive: true);

    private string Plan(int shards)
    {
        var archive = Path.Combine(_work, "night", "a");
        if (!Directory.Exists(archive)) Assert.Equal(0, Run("import", "auto", Repo.Torch("bcrafton_oom_variant.pickle"), "--archive", archive).Code);
        var plan = Path.Combine(_work, "plan.json");
        var (code, output, err) = Run("plan", Path.Combine(_work, "night"), "--shards", $"{shards}", "--out", plan);
        Assert.True(code == 0, err);
        Assert.Contains($"1 archive(s) on {shards} shard(s)", output);
        return plan;
    }

    [Theory]
    [InlineData("JOB_COMPLETION_INDEX")]
    [InlineData("SLURM_ARRAY_TASK_ID")]
    public void The_shard_comes_from_the_schedulers_index_variable(string variable)
    {
        var plan = Plan(2);
        Environment.SetEnvironmentVariable(variable, "1");
        try
        {
            var (code, output, err) = Run("run", "--plan", plan, "--out", Path.Combine(_work, "parts", "1"));
            Assert.True(code == 0, err);
            Assert.StartsWith("wrote part 1 of 2", output);
        }
        finally
        {
            Environment.SetEnvironmentVariable(variable, null);
        }
        Assert.Equal(0, Run("run", "--plan", plan, "--shard", "0", "--out", Path.Combine(_work, "parts", "0")).Code);
        var (mcode, moutput, merr) = Run("merge", Path.Combine(_work, "parts", "0"), Path.Combine(_work, "parts", "1"), "--out", Path.Combine(_work, "night-out"));
        Assert.True(mcode == 0, merr);
        Assert.Contains("GPU OOM", moutput);
        Assert.True(File.Exists(Path.Combine(_work, "night-out", "report.html")));
    }

    [Theory]
    [InlineData("run --plan P --out O", "--plan needs --shard, $SLURM_ARRAY_TASK_ID or $JOB_COMPLETION_INDEX")]
    [InlineData("run A --plan P --shard 0 --out O", "--plan takes its archives from the plan; give no archive with it")]
    [InlineData("run --plan P --shard 0 --out O --fail-on any-oom", "--fail-on gates the merged result: give it to memtrace merge, not to a shard")]
    [InlineData("run --plan P --shard 5 --out O", "shard 5 is outside the plan's 0..1")]
    [InlineData("run --out O", "give an archive, or --plan with --shard")]
    [InlineData("plan A --shards 0 --out P2", "--shards must be at least 1")]
    [InlineData("merge O --out O", "is one of the parts")]
    public void A_fleet_mistake_is_one_line_with_the_usage_exit_code(string line, string message)
    {
        var plan = Plan(2);
        var args = line.Split(' ').Select(a => a switch { "P" => plan, "P2" => Path.Combine(_work, "p2.json"), "O" => Path.Combine(_work, "o"), "A" => Path.Combine(_work, "night", "a"), _ => a }).ToArray();
        foreach (var v in new[] { "SLURM_ARRAY_TASK_ID", "JOB_COMPLETION_INDEX" }) Assert.Null(Environment.GetEnvironmentVariable(v));
        var (code, _, err) = Run(args);
        Assert.Equal((int)ExitCode.Usage, code);
        Assert.Contains(message, Assert.Single(Lines(err)));
    }

    [Fact]
    public void Merge_of_a_missing_part_directory_is_refused_in_one_line_and_writes_nothing()
    {
        var outDir = Path.Combine(_work, "out");
        var (code, _, err) = Run("merge", Path.Combine(_work, "no-such-part"), "--out", outDir);
        Assert.Equal((int)ExitCode.InputRefused, code);
        Assert.Equal($"{Path.Combine(_work, "no-such-part")}: refused: no such part directory", Assert.Single(Lines(err)));
        Assert.False(Directory.Exists(outDir));
    }
}
