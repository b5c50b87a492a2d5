using Memtrace.Collectors.Importers.CaptureJsonl;
using Memtrace.Schemas.IO;

namespace Memtrace.Collectors.Samplers;

public sealed record SamplerOptions(int Pid, TimeSpan Interval, TimeSpan Duration, string? CgroupDir);

public sealed record SamplerResult(string CapturePath, int Ticks, int TicksAfterExit, string? CgroupDir);

/// <summary>
/// Samples /proc/&lt;pid&gt; and its memory cgroup every interval and writes the raw reads as capture
/// JSONL (realtime and monotonic clock on every record), which the capture-jsonl importer turns into
/// proc_samples and cgroup_samples. It keeps sampling after the process exits, because the cgroup's
/// post-OOM state is what explains the kill, and the exit shows as failed status reads.
/// </summary>
public static class ProcfsSampler
{
    private static readonly string[] V1Files = ["memory.stat", "memory.usage_in_bytes", "memory.limit_in_bytes", "memory.max_usage_in_bytes", "memory.failcnt", "memory.oom_control", "memory.kmem.usage_in_bytes"];
    private static readonly string[] V2Files = ["memory.stat", "memory.current", "memory.max", "memory.peak", "memory.events", "memory.pressure"];

    public static SamplerResult Run(SamplerOptions o, string captureDir, CancellationToken cancel, Action<double>? progress = null)
    {
        var cgroup = o.CgroupDir ?? Locate(o.Pid, CgroupLocator.MemoryCgroupDir);
        var pressure = cgroup is not null && !File.Exists(Path.Combine(cgroup, "memory.pressure")) ? HybridPressure(o.Pid) : null;
        Directory.CreateDirectory(captureDir);
        var final = Path.Combine(captureDir, $"procfs-{o.Pid}-{DateTimeOffset.UtcNow.ToUnixTimeMilliseconds()}.jsonl");
        int ticks = 0, afterExit = 0;
        AtomicFile.Write(final, stream =>
        {
            using var w = new StreamWriter(stream, leaveOpen: true);
            SampleLoop.Run(o.Interval, o.Duration, cancel, progress, () =>
            {
                var (ts, mono) = SampleLoop.Now();
                ticks++;
                if (!Tick(w, o.Pid, cgroup, ts, mono)) afterExit++;
                if (pressure is not null) Record(w, ts, mono, pressure);
            });
            w.Flush();
        });
        return new SamplerResult(final, ticks, afterExit, cgroup);
    }

    /// <summary>
    /// On a hybrid host the v1 memory cgroup has no memory.pressure: read the process's cgroup2
    /// directory's, or the system-wide /proc/pressure/memory when that directory has none (the root).
    /// The capture importer merges it into the v1 sample of the same tick.
    /// </summary>
    private static string? HybridPressure(int pid)
    {
        if (Locate(pid, CgroupLocator.UnifiedDir) is { } unified && File.Exists(Path.Combine(unified, "memory.pressure"))) return Path.Combine(unified, "memory.pressure");
        return File.Exists("/proc/pressure/memory") ? "/proc/pressure/memory" : null;
    }

    private static string? Locate(int pid, Func<string, string, string?> locate)
    {
        try
        {
            return locate(File.ReadAllText($"/proc/{pid}/cgroup"), File.ReadAllText($"/proc/{pid}/mountinfo"));
        }
        catch (IOException)
        {
            return null;
        }
    }

    private static bool Tick(StreamWriter w, int pid, string? cgroup, long ts, long mono)
    {
        var alive = Record(w, ts, mono, $"/proc/{pid}/status");
        Record(w, ts, mono, $"/proc/{pid}/smaps_rollup");
        Record(w, ts, mono, $"/proc/{pid}/stat");
        try
        {
            var n = Directory.GetFileSystemEntries($"/proc/{pid}/fd").Length;
            w.WriteLine(new CaptureRecord(ts, mono, $"/proc/{pid}/fd", n.ToString(System.Globalization.CultureInfo.InvariantCulture), null).ToJson());
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            w.WriteLine(new CaptureRecord(ts, mono, $"/proc/{pid}/fd", null, e.Message).ToJson());
        }
        if (cgroup is not null)
        {
            var v1 = File.Exists(Path.Combine(cgroup, "memory.usage_in_bytes"));
            foreach (var f in v1 ? V1Files : V2Files)
            {
                var path = Path.Combine(cgroup, f);
                if (File.Exists(path)) Record(w, ts, mono, path);
            }
        }
        return alive;
    }

    private static bool Record(StreamWriter w, long ts, long mono, string path)
    {
        try
        {
            w.WriteLine(new CaptureRecord(ts, mono, path, File.ReadAllText(path), null).ToJson());
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            w.WriteLine(new CaptureRecord(ts, mono, path, null, e.Message).ToJson());
            return false;
        }
    }
}
