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
    private static XDocument Project(params string[] path) => XDocument.Load(Path.Combine([Repo.Root, .. path]));

    private static Dictionary<string, string> RuntimeOptions(XDocument project) =>
        project.Descendants("RuntimeHostConfigurationOption").ToDictionary(e => (string)e.Attribute("Include")!, e => (string)e.Attribute("Value")!);

    [Fact]
    public void The_bench_runs_with_every_runtime_setting_of_the_CLI()
    {
        var cli = RuntimeOptions(Project("pipeline", "Memtrace.Cli", "Memtrace.Cli.csproj"));
        var benchProject = Project("tests", "bench", "Memtrace.Bench", "Memtrace.Bench.csproj");
        var bench = RuntimeOptions(benchProject);
        Assert.Contains("System.GC.Concurrent", cli.Keys);
        foreach (var (name, value) in cli) Assert.Equal((name, value), (name, bench.GetValueOrDefault(name)));
        Assert.Equal("false", bench.GetValueOrDefault("System.GC.Server", "false"));
        Assert.DoesNotContain(benchProject.Descendants("ServerGarbageCollection"), e => e.Value.Trim() == "true");
    }
}
