using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using Memtrace.Collectors.Importers;
using Memtrace.Collectors.Importers.CudaHook;
using Memtrace.Schemas.Stats;
using Memtrace.Tests;

namespace Memtrace.Bench;

/// <summary>
/// The CUDA hook's cost per call, measured as the same program over the same fake libcudart/libcuda
/// with and without LD_PRELOAD, side by side (median of 5 runs each); and the importer's rate on a
/// log the hook wrote. Every run checks the events it is credited with were really recorded.
/// </summary>
internal static partial class HookBench
{
    [GeneratedRegex(@"runtime_ns=([\d.]+) driver_ns=([\d.]+)")]
    private static partial Regex Line();

    public static IEnumerable<Figure> Run(string work, int calls)
    {
        var driver = CudaHookBuild.Fake("hookdriver");
        var hook = CudaHookBuild.Library;
        (double Rt, double Drv) Median(Dictionary<string, string>? env)
        {
            var runs = Enumerable.Range(0, 5).Select(_ =>
            {
                var m = Line().Match(Exec(driver, ["bench", calls.ToString(CultureInfo.InvariantCulture)], env));
                return (double.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture), double.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture));
            }).ToList();
            return (runs.Select(r => r.Item1).Order().ElementAt(2), runs.Select(r => r.Item2).Order().ElementAt(2));
        }
        var logs = Path.Combine(work, "hook");
        Directory.CreateDirectory(logs);
        var bare = Median(null);
        var stacks = Median(new() { ["LD_PRELOAD"] = hook, ["MEMTRACE_OUT"] = logs });
        var fp = Median(new() { ["LD_PRELOAD"] = hook, ["MEMTRACE_OUT"] = logs, ["MEMTRACE_UNWIND"] = "fp" });
        var noStacks = Median(new() { ["LD_PRELOAD"] = hook, ["MEMTRACE_OUT"] = logs, ["MEMTRACE_STACK_DEPTH"] = "0" });
        var files = Directory.GetFiles(logs, "*.mtcu");
        if (files.Length != 15) throw new InvalidOperationException($"expected 15 hook logs, found {files.Length}");

        // Import rate on one log; every call the bench made (warm-up + timed, 2 per iteration, 2 APIs) must be in it or in
        // the hook's own count of drops (its chunk memory is capped, and a busy VM can starve the flusher).
        var sw = Stopwatch.StartNew();
        var stats = new StatsSink("bench");
        var result = new CudaHookImporter().Import(new ImportContext { Path = files[0], SourceId = "bench", Stats = stats });
        var seconds = sw.Elapsed.TotalSeconds;
        var rows = result.Tables[0].RowCount;
        var expected = 2L * 2 * (calls + calls / 10 + 1);
        var dropped = stats.Counts.GetValueOrDefault(StatsCatalog.CudaHookDropped.Key);
        if (rows + dropped != expected) throw new InvalidOperationException($"hook log holds {rows} events and {dropped} drops, the bench made {expected} calls");
        if (dropped > 0) Console.WriteLine($"  the hook dropped {dropped:N0} of {expected:N0} events in the imported log (buffer cap reached while the flusher was behind)");

        yield return new Figure("cuda-hook ns/call runtime (stacks 16)", stacks.Rt - bare.Rt, "ns added", "fake libcudart, no hook", bare.Rt, stacks.Rt / bare.Rt);
        yield return new Figure("cuda-hook ns/call driver (stacks 16)", stacks.Drv - bare.Drv, "ns added", "fake libcuda, no hook", bare.Drv, stacks.Drv / bare.Drv);
        yield return new Figure("cuda-hook ns/call runtime (fp unwind)", fp.Rt - bare.Rt, "ns added", "fake libcudart, no hook", bare.Rt, fp.Rt / bare.Rt);
        yield return new Figure("cuda-hook ns/call driver (fp unwind)", fp.Drv - bare.Drv, "ns added", "fake libcuda, no hook", bare.Drv, fp.Drv / bare.Drv);
        yield return new Figure("cuda-hook ns/call runtime (no stacks)", noStacks.Rt - bare.Rt, "ns added", "fake libcudart, no hook", bare.Rt, noStacks.Rt / bare.Rt);
        yield return new Figure("cuda-hook ns/call driver (no stacks)", noStacks.Drv - bare.Drv, "ns added", "fake libcuda, no hook", bare.Drv, noStacks.Drv / bare.Drv);
        yield return new Figure("cuda-hook import", rows / seconds, "events/s", "", null, null);
    }

    private static string Exec(string program, string[] args, Dictionary<string, string>? env)
    {
        var psi = new ProcessStartInfo(program, args) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var (k, v) in env ?? []) psi.Environment[k] = v;
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEnd();
        var stderr = p.StandardError.ReadToEnd();
        p.WaitForExit();
        if (p.ExitCode != 0) throw new InvalidOperationException($"{program} failed: {stderr}");
        return stdout;
    }
}
