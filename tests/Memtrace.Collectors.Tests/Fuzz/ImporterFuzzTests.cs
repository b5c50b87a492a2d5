using Memtrace.Tests;
using Xunit;
using Xunit.Abstractions;

namespace Memtrace.Collectors.Tests.Fuzz;

/// <summary>
/// Tier "fuzz" of the reliability matrix: every importer against structured mutations of real inputs.
/// CI runs each for MEMTRACE_FUZZ_SECONDS (default 2); `make fuzz` runs them long (FUZZ_SECONDS, default 60)
/// and writes out/fuzz/&lt;target&gt;.json with the execution counts.
/// </summary>
public sealed class ImporterFuzzTests(ITestOutputHelper output)
{
    public static TheoryData<string> Targets() => new(FuzzTargets.All().Select(t => t.Name));

    [Theory]
    [MemberData(nameof(Targets))]
    public void Mutated_real_inputs_are_refused_or_counted_never_a_crash_hang_or_runaway_allocation(string name)
    {
        var seconds = int.TryParse(Environment.GetEnvironmentVariable("MEMTRACE_FUZZ_SECONDS"), out var s) ? s : 2;
        var target = FuzzTargets.All().Single(t => t.Name == name);
        var outcome = ImporterFuzz.Run(target, seconds);
        output.WriteLine(FuzzTargets.Describe(outcome));
        Assert.True(outcome.Executions > 0);
        if (Environment.GetEnvironmentVariable("MEMTRACE_FUZZ_OUT") is { } dir)
        {
            Directory.CreateDirectory(dir);
            ImporterFuzz.WriteResults(Path.Combine(dir, name + ".json"), [outcome]);
        }
    }
}
