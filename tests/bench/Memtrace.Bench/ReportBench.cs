using System.Diagnostics;
using Memtrace.Pipeline.Run;
using Memtrace.Schemas.Archive;
using Memtrace.Schemas.Model;
using Memtrace.Schemas.Tables;
using Microsoft.Playwright;

namespace Memtrace.Bench;

/// <summary>
/// report.html at scale: 8 devices of driver-pool events with sizes drawn from the real torch snapshots,
/// run through `memtrace run`; the report's size and the time headless Chromium takes to load and draw it.
/// The embedded raster and timelines are fixed-size per pool (two heatmap levels, ≤ 2,400 timeline
/// points), so the report grows with pools, not events.
/// </summary>
internal static class ReportBench
{
    public static IEnumerable<Figure> Run(string work, int eventsPerDevice, long[] realSizes)
    {
        const int devices = 8, slots = 2048;
        const long slot = 64L << 20;
        var archiveDir = Path.Combine(work, "report-archive");
        var events = new Table(GpuAllocEvents.Def, devices * eventsPerDevice);
        var rng = new Random(17);
        long seq = 0;
        for (var d = 0; d < devices; d++)
        {
            var basis = 0x7f00_0000_0000L + ((long)d << 40);
            var free = new Stack<int>(Enumerable.Range(0, slots).Reverse());
            var live = new List<int>();
            for (var i = 0; i < eventsPerDevice; i++)
            {
                var doFree = live.Count > 0 && (free.Count == 0 || rng.Next(2) == 0);
                int sl;
                long size;
                if (doFree)
                {
                    var k = rng.Next(live.Count);
                    sl = live[k];
                    live[k] = live[^1];
                    live.RemoveAt(live.Count - 1);
                    free.Push(sl);
                    size = 0;
                }
                else
                {
                    sl = free.Pop();
                    live.Add(sl);
                    size = Math.Min(realSizes[rng.Next(realSizes.Length)], slot);
                }
                events[Col.SourceId].Append("sbench"); events[GpuAllocEvents.Seq].Append(seq++); events[GpuAllocEvents.TsNs].Append(1_700_000_000_000_000_000 + i * 1_000L);
                events[GpuAllocEvents.Host].Append("bench"); events[GpuAllocEvents.Pid].Append(100 + d); events[GpuAllocEvents.Device].Append(d); events[GpuAllocEvents.Pool].Append("cuda");
                events[GpuAllocEvents.Op].Append(doFree ? "free" : "alloc"); events[GpuAllocEvents.Address].Append(basis + sl * slot); events[GpuAllocEvents.Size].Append(size);
                events.CommitRow();
            }
        }
        var archive = TraceArchive.OpenOrCreate(archiveDir);
        archive.AddSource(new SourceEntry { SourceId = "sbench", Path = "generated", Sha256 = new string('0', 64), Bytes = 0, Importer = "bench", ImporterVersion = 1, ClockDomain = "realtime" }, [events]);
        var outDir = Environment.GetEnvironmentVariable("MEMTRACE_BENCH_KEEP") ?? Path.Combine(work, "report-out");
        var runS = Program.Time(() =>
        {
            var outcome = RunPipeline.Run(archiveDir, outDir, new RunOptions { TolerateErrors = true });
            if (outcome.Exit is ExitCode.Internal or ExitCode.InputRefused) throw new InvalidOperationException(outcome.Message);
        });
        var report = Path.Combine(outDir, "report.html");
        var bytes = new FileInfo(report).Length;
        var loadMs = LoadMs(report, devices).GetAwaiter().GetResult();
        var total = (long)devices * eventsPerDevice;
        Console.WriteLine($"report: {total:N0} events over {devices} devices: run {runS:0.0} s, report.html {bytes / 1e6:0.0} MB, Chromium load+draw median {loadMs:0} ms");
        yield return new Figure("report_run_events_per_s", total / runS, "events/s", "-", null, null);
        yield return new Figure("report_html_bytes", bytes, "bytes", "issue limit (20 MB)", 20e6, bytes / 20e6);
        yield return new Figure("report_open_ms", loadMs, "ms", "issue limit (3 s)", 3000, loadMs / 3000);
    }

    /// <summary>Median of three loads: navigation to the load event (the page draws every pool before it fires).</summary>
    private static async Task<double> LoadMs(string report, int pools)
    {
        using var pw = await Playwright.CreateAsync();
        await using var browser = await pw.Chromium.LaunchAsync(new() { ExecutablePath = Environment.GetEnvironmentVariable("MEMTRACE_CHROMIUM") ?? "/usr/bin/chromium", Headless = true, Args = ["--no-sandbox"] });
        var times = new List<double>();
        for (var i = 0; i < 3; i++)
        {
            var page = await browser.NewPageAsync(new() { ViewportSize = new() { Width = 1300, Height = 1000 } });
            var errors = new List<string>();
            page.PageError += (_, e) => errors.Add(e);
            var sw = Stopwatch.StartNew();
            await page.GotoAsync(new Uri(report).AbsoluteUri, new() { WaitUntil = WaitUntilState.Load });
            times.Add(sw.Elapsed.TotalMilliseconds);
            var drawn = await page.Locator("canvas.heatmap").CountAsync();
            if (errors.Count > 0 || drawn != pools) throw new InvalidOperationException($"report drew {drawn} of {pools} heatmaps; errors: {string.Join("; ", errors)}");
            await page.CloseAsync();
        }
        return times.Order().ElementAt(1);
    }
}
