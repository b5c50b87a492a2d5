using System.Security.Cryptography;
using System.Text;
using Memtrace.Pipeline.Fragmentation;
using Memtrace.Schemas.Archive;
using Memtrace.Schemas.Model;
using Memtrace.Schemas.Tables;

namespace Memtrace.Pipeline.Synthetic;

public sealed record FleetSpec
{
    public long GpuEvents { get; init; } = 1_000_000;
    public int Devices { get; init; } = 8;
    public int Workloads { get; init; } = 20;
    public TimeSpan HostDuration { get; init; } = TimeSpan.FromDays(1);
    public double HostHz { get; init; } = 2;
    public int Seed { get; init; } = 1;
    /// <summary>One host's archive (a fleet night's unit): every GPU and workload on this host; null: GPUs on gpunode0, 1, … (8 a node) and workloads on node0, 1, … (4 a node).</summary>
    public string? Host { get; init; }
    /// <summary>Start of the generated day, UTC ns (2026-01-01T00:00:00Z).</summary>
    public long StartNs { get; init; } = 1_767_225_600_000_000_000L;
}

/// <summary>
/// Writes a whole fleet's archive, deterministic from the seed: per GPU, a caching-allocator trace
/// whose sizes, gaps and lifetimes are drawn from a real trace (<see cref="GpuDistributions"/>); per
/// workload, one procfs/cgroup/Go-runtime source sampled at <see cref="FleetSpec.HostHz"/> for the
/// duration, from <see cref="HostWorkloadModel"/>. Each device and each workload is its own source,
/// written as soon as it is generated, so memory holds one source's tables at a time (a device's
/// events are one source, because a pool's events must share one to replay as one pool).
/// </summary>
public static class FleetArchiveGenerator
{
    public static void Write(string archiveDir, FleetSpec spec, GpuDistributions gpu, Action<string, double>? progress = null)
    {
        var archive = TraceArchive.OpenOrCreate(archiveDir);
        long written = 0;
        for (var d = 0; d < spec.Devices; d++)
        {
            // One source per device: a pool's events must share a source to replay as one pool.
            var perDevice = (int)(spec.GpuEvents / spec.Devices + (d < spec.GpuEvents % spec.Devices ? 1 : 0));
            if (perDevice == 0) continue;
            var events = new CachingAllocatorTrace(gpu, spec.Seed * 1_000 + d, spec.StartNs).Next(perDevice);
            var table = new Table(GpuAllocEvents.Def, events.Length);
            var source = SourceId(spec, $"d{d}");
            var host = spec.Host ?? $"gpunode{d / 8}";
            for (var i = 0; i < events.Length; i++) AppendEvent(table, source, host, d, i, events[i]);
            AddSource(archive, spec, source, $"gpu {d}", [table], events[0].TsNs, events[^1].TsNs);
            written += events.Length;
            progress?.Invoke("gpu events", (double)written / Math.Max(1, spec.GpuEvents));
        }
        for (var w = 0; w < spec.Workloads; w++)
        {
            var source = SourceId(spec, $"w{w}");
            var model = new HostWorkloadModel(spec.Seed * 1_000 + w);
            var samples = (int)(spec.HostDuration.TotalSeconds * spec.HostHz);
            var (proc, cgroup, go) = model.Sample(source, spec.Host ?? $"node{w / 4}", 1_000 + w, $"/kubepods/pod{w}", spec.StartNs, (long)(1e9 / spec.HostHz), samples);
            AddSource(archive, spec, source, $"workload {w}", [proc, cgroup, go], spec.StartNs, spec.StartNs + (long)spec.HostDuration.TotalNanoseconds);
            progress?.Invoke("host samples", (double)(w + 1) / spec.Workloads);
        }
    }

    private static string SourceId(FleetSpec spec, string part) => $"sgen{spec.Seed:x}{part}";

    private static void AppendEvent(Table t, string source, string host, int device, long seq, in PoolEvent e)
    {
        t[Col.SourceId].Append(source);
        t[GpuAllocEvents.Seq].Append(seq);
        t[GpuAllocEvents.TsNs].Append(e.TsNs);
        t[GpuAllocEvents.Host].Append(host);
        t[GpuAllocEvents.Pid].Append(4_000 + device);
        t[GpuAllocEvents.Device].Append(device);
        t[GpuAllocEvents.Pool].Append("torch-caching");
        t[GpuAllocEvents.Op].Append(e.Op switch { AllocOp.Alloc => "alloc", AllocOp.Free => "free_completed", AllocOp.SegmentAlloc => "segment_alloc", _ => "segment_free" });
        t[GpuAllocEvents.Address].Append(e.Address);
        t[GpuAllocEvents.Size].Append(e.Op == AllocOp.Alloc ? e.Size : e.BlockSize ?? e.Size);
        t[GpuAllocEvents.BlockSize].Append(e.BlockSize);
        t[GpuAllocEvents.StackId].Append(e.StackId);
        t.CommitRow();
    }

    private static void AddSource(TraceArchive archive, FleetSpec spec, string source, string what, Table[] tables, long start, long end)
    {
        if (archive.Manifest.Sources.Any(s => s.SourceId == source)) return; // generated before with this seed: same bytes
        var recipe = $"memtrace gen seed={spec.Seed} events={spec.GpuEvents} devices={spec.Devices} workloads={spec.Workloads} duration={spec.HostDuration} hz={spec.HostHz} {what}";
        archive.AddSource(new SourceEntry
        {
            SourceId = source,
            Path = recipe,
            Sha256 = Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(recipe))).ToLowerInvariant(),
            Bytes = 0,
            Importer = "memtrace-gen",
            ImporterVersion = 1,
            ClockDomain = "realtime",
            TimeStartNs = start,
            TimeEndNs = end,
        }, tables);
    }
}
