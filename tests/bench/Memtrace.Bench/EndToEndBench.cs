using System.Diagnostics;
using System.Text.Json;
using Memtrace.Pipeline.Synthetic;
using Memtrace.Schemas.Archive;
using Memtrace.Schemas.Tables;

namespace Memtrace.Bench;

/// <summary>
/// The issue-level end-to-end run: `memtrace gen` writes a fleet archive (GPU events over N devices with
/// sizes, gaps and lifetimes from the real snapshot; a day of 2 Hz samples for 20 Go workloads), then
/// `memtrace run` analyses it in a child process. Figures: wall time, the child's peak RSS (run.json,
/// from VmHWM) and the report's size, each against the issue's budget (2 min, 4 GB, 20 MB).
/// </summary>
public static class EndToEndBench
{
    public static IEnumerable<Figure> Run(string work, long events, double hours, int devices)
    {
        var demo = Path.Combine(Memtrace.Tests.Repo.Root, "samples", "demo-archive");
        var gpu = GpuDistributions.FromEvents(TraceArchive.Open(demo).ReadTable(GpuAllocEvents.Def));
        var archive = Path.Combine(work, "fleet");
        var spec = new FleetSpec { GpuEvents = events, Devices = devices, HostDuration = TimeSpan.FromHours(hours), Seed = 42 };
        var genS = Program.Time(() => FleetArchiveGenerator.Write(archive, spec, gpu));
        var bytes = Directory.EnumerateFiles(archive, "*", SearchOption.AllDirectories).Sum(f => new FileInfo(f).Length);
        Console.WriteLine($"e2e gen: {events:N0} GPU events on {devices} devices + 20 workloads × {hours} h at 2 Hz in {genS:0.0} s, archive {bytes / 1e6:0} MB");

        var outDir = Path.Combine(work, "fleet-out");
        var cli = Path.Combine(AppContext.BaseDirectory, "memtrace.dll");
        var psi = new ProcessStartInfo("dotnet", [cli, "run", archive, "--out", outDir]) { RedirectStandardOutput = true, RedirectStandardError = true };
        var clock = Stopwatch.StartNew();
        using (var p = Process.Start(psi)!)
        {
            var err = p.StandardError.ReadToEndAsync();
            _ = p.StandardOutput.ReadToEnd();
            p.WaitForExit();
            if (p.ExitCode != 0) throw new InvalidOperationException($"memtrace run exited {p.ExitCode}: {err.Result}");
        }
        var runS = clock.Elapsed.TotalSeconds;
        using var run = JsonDocument.Parse(File.ReadAllText(Path.Combine(outDir, "run.json")));
        var peak = run.RootElement.GetProperty("peak_rss_bytes").GetInt64();
        var report = new FileInfo(Path.Combine(outDir, "report.html")).Length;
        var timings = run.RootElement.GetProperty("timings");
        using var summary = JsonDocument.Parse(File.ReadAllText(Path.Combine(outDir, "summary.json")));
        var replayed = summary.RootElement.GetProperty("gpu").GetProperty("pools").EnumerateArray().Sum(p => p.GetProperty("events").GetInt64());
        if (replayed != events) throw new InvalidOperationException($"the run replayed {replayed} events of {events}");
        Console.WriteLine($"e2e run: {runS:0.0} s (fragmentation {timings.GetProperty("fragmentation_s").GetDouble():0.0} s, host {timings.GetProperty("host_s").GetDouble():0.0} s), peak RSS {peak / 1e9:0.00} GB, report {report / 1e6:0.0} MB");
        var name = $"e2e_{events:0e0}_events_{devices}_devices_{hours:0}h".Replace("+", "");
        yield return new Figure($"{name}_run_s", runS, "s", "issue budget (120 s)", 120, 120 / runS);
        yield return new Figure($"{name}_peak_rss_bytes", peak, "bytes", "issue budget (4 GB)", 4e9, 4e9 / peak);
        yield return new Figure($"{name}_report_bytes", report, "bytes", "issue budget (20 MB)", 20e6, 20e6 / report);
    }
}
