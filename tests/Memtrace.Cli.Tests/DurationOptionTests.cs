using Memtrace.Cli.Commands;
using Memtrace.Pipeline.Run;
using Memtrace.Tests;
using Xunit;

namespace Memtrace.Cli.Tests;

[Collection("console")]
public sealed class DurationOptionTests
{
    private const long Ms = 1_000_000;

    [Theory]
    [InlineData("250ms", Ms, 250 * Ms)]
    [InlineData("30s", Ms, 30_000 * Ms)]
    [InlineData("5m", Ms, 300_000 * Ms)]
    [InlineData("1h", Ms, 3_600_000 * Ms)]
    [InlineData("1m30s", Ms, 90_000 * Ms)]
    [InlineData("1.5s", Ms, 1_500 * Ms)]
    [InlineData("500us", Ms, Ms / 2)]
    [InlineData("500µs", Ms, Ms / 2)]
    [InlineData("750ns", Ms, 750)]
    [InlineData("500", Ms, 500 * Ms)]              // a bare number keeps the option's unit: milliseconds here
    [InlineData("30", 1_000_000_000, 30_000 * Ms)] // and seconds for --duration
    [InlineData(" 2s ", Ms, 2_000 * Ms)]
    public void Parses_go_and_prometheus_durations(string text, long bareUnit, long ns)
    {
        Assert.True(DurationOption.TryParse(text, bareUnit, out var got, out var error), error);
        Assert.Equal(ns, got);
    }

    [Theory]
    [InlineData("", "empty duration")]
    [InlineData("5x", "unknown unit 'x'")]
    [InlineData("ms", "'ms' does not start with a number")]
    [InlineData("0s", "must be a positive duration")]
    [InlineData("-5s", "'-5s' does not start with a number")]
    [InlineData("1s2", "missing unit after the last number")]
    [InlineData("99999999999h", "must be a positive duration")]
    public void Refuses_what_is_no_duration(string text, string error)
    {
        Assert.False(DurationOption.TryParse(text, Ms, out _, out var e));
        Assert.StartsWith(error, e);
    }

    [Fact]
    public void Units_and_bare_numbers_give_the_same_run()
    {
        var archive = Path.Combine(Repo.Root, "samples", "demo-archive");
        var dir = Repo.TempDir();
        var (a, _, errA) = CorruptedInputs.Matrix.Invoke("run", archive, "--out", Path.Combine(dir, "a"), "--step", "750", "--tolerance", "400");
        var (b, _, errB) = CorruptedInputs.Matrix.Invoke("run", archive, "--out", Path.Combine(dir, "b"), "--step", "750ms", "--tolerance", "0.4s");
        Assert.True(a == 0, errA);
        Assert.True(b == 0, errB);
        foreach (var t in new[] { "memory_timeline", "rss_gap_attribution", "flags" })
            Assert.Equal(File.ReadAllBytes(Path.Combine(dir, "a", "tables", t + ".arrow")), File.ReadAllBytes(Path.Combine(dir, "b", "tables", t + ".arrow")));
    }

    [Fact]
    public void A_bad_duration_is_one_line_and_exit_1()
    {
        var (code, _, err) = CorruptedInputs.Matrix.Invoke("collect", "procfs", "--pid", "1", "--interval", "5x", "--archive", Repo.TempDir());
        Assert.Equal((int)ExitCode.Usage, code);
        Assert.Contains("--interval '5x': unknown unit 'x'", err);
    }

    [Theory]
    [InlineData("fragmentation")]
    [InlineData("OOM")]
    public void A_fail_on_typo_is_a_usage_error_not_a_gate_that_never_fires(string value)
    {
        var archive = Path.Combine(Repo.Root, "samples", "demo-archive");
        var (code, _, err) = CorruptedInputs.Matrix.Invoke("run", archive, "--out", Path.Combine(Repo.TempDir(), "o"), "--fail-on", value);
        Assert.Equal((int)ExitCode.Usage, code);
        Assert.Contains($"--fail-on '{value}': not a verdict (use fragmentation-oom, capacity-oom, any-oom, host-oom, spin)", err);
    }

    [Fact]
    public void Collect_procfs_for_a_pid_that_does_not_exist_is_refused_in_one_line_and_writes_nothing()
    {
        var archive = Path.Combine(Repo.TempDir(), "never");
        var (code, output, err) = CorruptedInputs.Matrix.Invoke("collect", "procfs", "--pid", "2147483647", "--interval", "100ms", "--duration", "1s", "--archive", archive);
        Assert.Equal((int)ExitCode.InputRefused, code);
        Assert.Equal("collect procfs: no process 2147483647 (/proc/2147483647 does not exist); nothing was sampled", err.Trim());
        Assert.Equal("", output);
        Assert.False(Directory.Exists(archive));
    }
}
