using Memtrace.Pipeline.Fragmentation;
using Memtrace.Pipeline.Run;
using Memtrace.Schemas.Archive;
using Memtrace.Schemas.Model;
using Memtrace.Schemas.Tables;
using Microsoft.Data.Analysis;

namespace Memtrace.Notebooks;

/// <summary>What a fragmentation re-analysis returns: the same tables `memtrace run` writes, as frames.</summary>
public sealed record FragmentationFrames(DataFrame Timeline, DataFrame Ooms, DataFrame Blame, DataFrame Histogram, IReadOnlyDictionary<string, long> Counts);

/// <summary>
/// Re-runs one analyzer on a slice of an archive — the "look again at last night's trace with another
/// reference request size" use. It calls the same analyzer code as `memtrace run`; nothing is re-implemented.
/// </summary>
public static class Reanalysis
{
    /// <summary>
    /// The fragmentation replay of the pools that match the slice's device and pid, with the given
    /// `--request-size` and `--resolution`. Every pool is replayed from its first event (the allocator
    /// state at the window's start depends on all that came before, and a torch ring buffer is rebuilt
    /// backwards from the final snapshot); the time window then selects the rows reported.
    /// </summary>
    public static FragmentationFrames Fragmentation(string archiveDir, Slice? slice = null, long? requestSize = null, long? resolutionNs = null, long? deviceMemory = null)
    {
        slice ??= Slice.All;
        if (slice.Cgroup is not null) throw new ArgumentException("GPU pools have no cgroup; slice them by device, pid and time");
        var archive = TraceArchive.Open(archiveDir);
        var events = Where(archive.ReadTable(GpuAllocEvents.Def), slice, GpuAllocEvents.Device, GpuAllocEvents.Pid);
        var snapshot = Where(archive.ReadTable(GpuSegmentsSnapshot.Def), slice, GpuSegmentsSnapshot.Device, GpuSegmentsSnapshot.Pid);
        var frames = new StackFrames(archive.ReadTable(Stacks.Def));
        var options = new FragmentationOptions
        {
            RequestSize = requestSize,
            ResolutionNs = resolutionNs,
            DeviceMemory = deviceMemory,
        };
        var output = FragmentationAnalyzer.Run(events, snapshot, options, frames);
        var window = slice with { Device = null, Pid = null, SourceId = null };
        return new FragmentationFrames(
            window.Apply(Frames.FromTable(output.Timeline)),
            window.Apply(Frames.FromTable(output.Ooms)),
            window.Apply(Frames.FromTable(output.Blame)),
            window.Apply(Frames.FromTable(output.Histogram)),
            output.Counts);
    }

    /// <summary>Rows of one raw GPU table whose device, pid and source match (pools replay independently, so this loses nothing).</summary>
    private static Table Where(Table t, Slice slice, I64Key device, I64Key process)
    {
        var dev = t[device];
        var pid = t[process];
        var src = t[Col.SourceId];
        var keep = Enumerable.Range(0, t.RowCount)
            .Where(i => (slice.Device is not { } d || dev[i] == d) && (slice.Pid is not { } p || pid[i] == p) && (slice.SourceId is not { } s || src[i] == s)).ToArray();
        return keep.Length == t.RowCount ? t : t.Permute(keep);
    }
}
