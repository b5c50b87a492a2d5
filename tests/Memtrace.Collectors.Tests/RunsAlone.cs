using Xunit;

namespace Memtrace.Collectors.Tests;

/// <summary>
/// The collection of test classes that must not share the process with another test while they run: the no-GC region
/// is the process's (HeldCollectionsTests), and a local server timed against its sampler shares the thread pool
/// (GoSamplerTests). Its classes run one after another, and no other collection runs beside them.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class RunsAlone
{
    public const string Name = "runs alone";
}
