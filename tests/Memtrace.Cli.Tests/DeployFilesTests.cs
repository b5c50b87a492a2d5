using System.Text.RegularExpressions;
using Memtrace.Tests;
using Xunit;

namespace Memtrace.Cli.Tests;

/// <summary>
/// The deployment files that cannot run on this machine (no Kubernetes, no container runtime) are still held to the
/// CLI: every memtrace command line in them parses with the real parser, and the Jobs have the shape their comments
/// promise. deploy/slurm runs for real in tests/slurm/fleet-test.sh.
/// </summary>
public sealed partial class DeployFilesTests
{
    private static string Deploy(params string[] parts) => Path.Combine([Repo.Root, "deploy", .. parts]);

    /// <summary>The memtrace arguments of a file: a Job's `args: ["plan", …]` list, or a shell line `memtrace …`.</summary>
    private static IEnumerable<string[]> CommandLines(string file)
    {
        foreach (var raw in File.ReadAllLines(file))
        {
            var line = raw.Trim();
            if (line.StartsWith('#')) continue;
            var m = ArgsList().Match(line);
            if (m.Success)
            {
                var items = Quoted().Matches(m.Groups[1].Value).Select(q => q.Groups[1].Value).ToList();
                var text = items.Count == 1 ? items[0] : null;
                if (text is not null && text.Contains("memtrace ")) yield return Words(text[(text.IndexOf("memtrace ", StringComparison.Ordinal) + 9)..]);
                else if (items.Count > 1) yield return items.Select(Fill).ToArray();
                continue;
            }
            var at = line.IndexOf("\"${MEMTRACE:-memtrace}\" ", StringComparison.Ordinal);
            if (at >= 0) yield return Words(line[(at + 24)..]);
            if (line.StartsWith("\"$memtrace\" ", StringComparison.Ordinal)) yield return Words(line[12..].Split(" >")[0]);
        }
    }

    /// <summary>The placeholders the scripts fill in, with values of their kind.</summary>
    private static string Fill(string word) => word
        .Replace("SHARDS", "8").Replace("NIGHT", "night1").Replace("$JOB_COMPLETION_INDEX", "0").Replace("$SLURM_ARRAY_TASK_ID", "0")
        .Replace("plan \"$@\"", "plan archives/").Replace("\"$@\"", "").Replace("\"$plan\"", "plan.json").Replace("\"$parts\"/*", "parts/0").Replace("\"$parts/\"", "parts/").Replace("\"$parts", "parts")
        .Replace("\"$out\"", "out").Replace("\"$shards\"", "8").Replace("\"$work/plan.json\"", "plan.json").Replace("\"", "");

    private static string[] Words(string text) => Fill(text).Split(' ', StringSplitOptions.RemoveEmptyEntries).Where(w => w != "$@").ToArray();

    public static TheoryData<string> Files => ["kubernetes/memtrace-plan-job.yaml", "kubernetes/memtrace-shards-job.yaml", "kubernetes/memtrace-merge-job.yaml",
        "slurm/memtrace-shard.sbatch", "slurm/memtrace-merge.sbatch", "slurm/memtrace-submit"];

    [Theory]
    [MemberData(nameof(Files))]
    public void Every_memtrace_command_line_parses_with_the_real_CLI(string file)
    {
        var lines = CommandLines(Deploy(file.Split('/'))).ToList();
        Assert.NotEmpty(lines);
        foreach (var args in lines)
        {
            var parsed = Program.Root().Parse(args);
            Assert.True(parsed.Errors.Count == 0, $"{file}: `memtrace {string.Join(' ', args)}`: {string.Join("; ", parsed.Errors.Select(e => e.Message))}");
            Assert.Contains(parsed.CommandResult.Command.Name, new[] { "plan", "run", "merge" });
        }
    }

    [Fact]
    public void The_shards_job_is_indexed_and_retries_each_index()
    {
        var job = File.ReadAllText(Deploy("kubernetes", "memtrace-shards-job.yaml"));
        Assert.Contains("completionMode: Indexed", job);
        Assert.Matches(@"backoffLimitPerIndex: [1-9]", job);
        Assert.Contains("$JOB_COMPLETION_INDEX", job);
        var docker = File.ReadAllText(Deploy("Dockerfile"));
        // The image is published the way `make build` publishes out/bin/memtrace.
        var make = File.ReadAllText(Path.Combine(Repo.Root, "Makefile"));
        foreach (var flag in new[] { "--self-contained true", "-p:PublishReadyToRun=true", "-p:PublishReadyToRunComposite=true" })
        {
            Assert.Contains(flag, docker);
            Assert.Contains(flag, make);
        }
    }

    [GeneratedRegex(@"^(?:- )?args: \[(.*)\]$")]
    private static partial Regex ArgsList();

    [GeneratedRegex("\"((?:[^\"\\\\]|\\\\.)*)\"")]
    private static partial Regex Quoted();
}
