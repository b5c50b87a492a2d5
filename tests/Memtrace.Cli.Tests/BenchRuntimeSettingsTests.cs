using System.Xml.Linq;
using Memtrace.Tests;
using Xunit;

namespace Memtrace.Cli.Tests;

/// <summary>
/// `make bench` times stages in its own process, so it must run them under the runtime settings `memtrace` ships with:
/// the server GC it once had made the fragmentation stage ~30% slower than the CLI runs it.
/// </summary>
public sealed class BenchRuntimeSettingsTests
{
    private static Dictionary<string, string> RuntimeOptions(params string[] project)
    {
        var doc = XDocument.Load(Path.Combine([Repo.Root, .. project]));
        return doc.Descendants("RuntimeHostConfigurationOption").ToDictionary(e => (string)e.Attribute("Include")!, e => (string)e.Attribute("Value")!);
    }

    [Fact]
    public void The_bench_runs_with_every_runtime_setting_of_the_CLI()
    {
        var cli = RuntimeOptions("pipeline", "Memtrace.Cli", "Memtrace.Cli.csproj");
        var bench = RuntimeOptions("tests", "bench", "Memtrace.Bench", "Memtrace.Bench.csproj");
        Assert.Contains("System.GC.Concurrent", cli.Keys);
        foreach (var (name, value) in cli) Assert.Equal((name, value), (name, bench.GetValueOrDefault(name)));
        Assert.Equal("false", bench.GetValueOrDefault("System.GC.Server", "false"));
        var benchProject = XDocument.Load(Path.Combine(Repo.Root, "tests", "bench", "Memtrace.Bench", "Memtrace.Bench.csproj"));
        Assert.DoesNotContain(benchProject.Descendants("ServerGarbageCollection"), e => e.Value.Trim() == "true");
    }
}
