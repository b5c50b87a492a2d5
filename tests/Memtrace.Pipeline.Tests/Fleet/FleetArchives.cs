using Memtrace.Pipeline.Fleet;
using Memtrace.Pipeline.Synthetic;
using Memtrace.Schemas.Archive;
using Memtrace.Schemas.Tables;
using Memtrace.Tests;

namespace Memtrace.Pipeline.Tests.Fleet;

/// <summary>
/// A small fleet night, made once per test class: four hosts from `memtrace gen` (two or three GPUs with sizes,
/// gaps and lifetimes drawn from the real demo snapshot, and two Go workloads each) plus the bundled demo archive,
/// which holds a real PyTorch OOM snapshot and real host captures.
/// </summary>
public sealed class FleetArchives : IDisposable
{
    public string Root { get; } = Repo.TempDir();
    public IReadOnlyList<string> Archives { get; }

    public FleetArchives()
    {
        var demo = Path.Combine(Repo.Root, "samples", "demo-archive");
        var archives = new List<string>();
        for (var i = 1; i <= 4; i++) archives.Add(Host(Path.Combine(Root, "archives", $"host{i}"), i));
        var copy = Path.Combine(Root, "archives", "demo");
        UnitRunner.CopyTree(demo, copy);
        archives.Add(copy);
        Archives = archives;
    }

    /// <summary>A night's outputs are hundreds of MB (heatmaps): the tests leave none behind.</summary>
    public void Dispose() => Directory.Delete(Root, recursive: true);

    /// <summary>A work directory under the fixture's root, removed with it.</summary>
    public string Work() => Directory.CreateDirectory(Path.Combine(Root, "work", Guid.NewGuid().ToString("N"))).FullName;

    private static GpuDistributions? _gpu;

    /// <summary>Writes one generated host's archive (the seed picks its content).</summary>
    public static string Host(string dir, int seed, long events = 12_000)
    {
        _gpu ??= GpuDistributions.FromEvents(TraceArchive.Open(Path.Combine(Repo.Root, "samples", "demo-archive")).ReadTable(GpuAllocEvents.Def));
        FleetArchiveGenerator.Write(dir, new FleetSpec
        {
            GpuEvents = events * (1 + seed % 3), Devices = 2 + seed % 2, Workloads = 2, HostDuration = TimeSpan.FromMinutes(6), Seed = seed, Host = $"host{seed}",
        }, _gpu);
        return dir;
    }
}
