using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Text.Json;
using DuckDB.NET.Data;
using Memtrace.Collectors.Importers;
using Memtrace.Pipeline.Fragmentation;
using Memtrace.Schemas.Archive;
using Memtrace.Schemas.IO;
using Memtrace.Schemas.Model;
using Memtrace.Schemas.Tables;

namespace Memtrace.Bench;

/// <summary>One figure, with the peer measured side by side in the same run.</summary>
public sealed record Figure(string Name, double Value, string Unit, string Peer, double? PeerValue, double? Ratio);

/// <summary>
/// make bench: every benchmark asserts its result (a wrong answer fast is not a result) and prints
/// ratios against the named peer measured in the same process run.
/// Scale with MEMTRACE_BENCH_SCALE (1 = default sizes; the issue-level sizes are 10^7 events).
/// </summary>
public static class Program
{
    public static int Main(string[] args)
    {
        var output = args.Length > 0 ? args[0] : Path.Combine("out", "bench", "results.json");
        var scale = double.TryParse(Environment.GetEnvironmentVariable("MEMTRACE_BENCH_SCALE"), System.Globalization.CultureInfo.InvariantCulture, out var s) ? s : 1.0;
        var work = Path.Combine(Path.GetTempPath(), "memtrace-bench-" + Environment.ProcessId);
        Directory.CreateDirectory(work);
        var figures = new List<Figure>();
        try
        {
            var only = Environment.GetEnvironmentVariable("MEMTRACE_BENCH_ONLY");
            bool Want(string name) => only is null || only == name;
            if (Want("parquet")) figures.AddRange(IngestBench.Run(work, (int)(4_000_000 * scale), Math.Max(1, (int)(4 * scale))));
            if (Want("replay")) figures.AddRange(Replay((int)(10_000_000 * scale)));
            if (only == "replay-large") figures.AddRange(LargePool((int)(10_000_000 * scale), RealSizes()));
            if (Want("torch")) figures.AddRange(TorchImport(work, (int)(2_000_000 * scale)));
            if (Want("realshape")) figures.AddRange(RealShapeBench.Run(work, [10, 100]));
            // Opt-in (a 430–520 MB pickle a snapshot): the ×1000 shape, for the per-event cost at ten times ×100's size.
            if (only == "realshape-1000") figures.AddRange(RealShapeBench.Run(work, [1000]));
            // Both sizes in one run, for their per-event costs side by side (~7 min).
            if (only == "realshape-all") figures.AddRange(RealShapeBench.Run(work, [10, 100, 1000]));
            if (Want("whatif")) figures.AddRange(WhatIfBench.Run(work, (int)(10_000_000 * scale), 100));
            if (Want("asof")) figures.AddRange(AsOfBench.Run((int)(10_000_000 * scale), (int)(1_000_000 * scale)));
            if (Want("batch")) figures.AddRange(BatchBench.Run((int)(20_000 * scale)));
            if (Want("rmm")) figures.AddRange(FormatBench.RmmImport(work, (int)(5_000_000 * scale)));
            if (Want("nsys")) figures.AddRange(FormatBench.NsysImport(work, (int)(5_000_000 * scale)));
            if (Want("hook")) figures.AddRange(HookBench.Run(work, (int)(500_000 * scale)));
            if (Want("report")) figures.AddRange(ReportBench.Run(work, (int)(250_000 * scale), RealSizes()));
            if (Want("e2e")) figures.AddRange(EndToEndBench.Run(work, (long)(100_000_000 * scale), 24, devices: 8));
            if (Want("fleet")) figures.AddRange(FleetBench.Run(work, (long)(100_000_000 * scale)));
            // Opt-in (about 40 min here): 10^9 events over 80 devices, for the memory bound; not in a default run.
            if (only == "e2e-1e9") figures.AddRange(EndToEndBench.Run(work, (long)(1_000_000_000 * scale), 24, devices: 80));
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
        Console.WriteLine();
        Console.WriteLine($"{"figure",-36} {"value",14} {"unit",-10} {"peer",-28} {"peer value",14} {"ratio",8}");
        foreach (var f in figures)
            Console.WriteLine($"{f.Name,-36} {f.Value,14:N0} {f.Unit,-10} {f.Peer,-28} {f.PeerValue?.ToString("N0") ?? "-",14} {f.Ratio?.ToString("0.00") ?? "-",8}");
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(output))!);
        AtomicFile.WriteAllText(output, JsonSerializer.Serialize(figures.Select(f => new { name = f.Name, value = f.Value, unit = f.Unit, peer = f.Peer, peer_value = f.PeerValue, ratio = f.Ratio }), new JsonSerializerOptions { WriteIndented = true }) + "\n");
        Console.WriteLine($"wrote {output}");
        return 0;
    }

    /// <summary>The fastest of n runs (fresh allocations and page faults dominate a single short run).</summary>
    internal static double Best(int n, Action a) => Enumerable.Range(0, n).Min(_ => Time(a));

    /// <summary>
    /// The median of three imports of the file, each into a fresh archive (<paramref name="dir"/>, then dir-1 and dir-2; the
    /// issue's figures are medians, and one load moved by ±30% on this VM), and the last import's report. The first archive
    /// stays when <paramref name="keepFirst"/>; with <paramref name="fromCollectedHeap"/> each load starts from a collected
    /// heap, as an import process of its own does; with <paramref name="rows"/> each must have that many gpu_alloc_events rows.
    /// </summary>
    internal static (double Seconds, ImportReport Report) MedianImport(string dir, string path, string format, ImportOptions options,
        bool keepFirst = false, bool fromCollectedHeap = false, long? rows = null)
    {
        ImportReport? report = null;
        var seconds = Median(Enumerable.Range(0, 3).Select(i =>
        {
            var archive = i == 0 ? dir : $"{dir}-{i}";
            if (fromCollectedHeap) GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
            var s = Time(() => report = new ImportRunner(TraceArchive.OpenOrCreate(archive), options).ImportOne(path, format));
            if (report!.Outcome != ImportOutcome.Imported || (rows is { } n && report.Rows["gpu_alloc_events"] != n)) throw new InvalidOperationException(report.Message);
            if (i > 0 || !keepFirst) Directory.Delete(archive, recursive: true);
            return s;
        }));
        return (seconds, report!);
    }

    /// <summary>The middle of the values (the upper one of an even count).</summary>
    internal static double Median(IEnumerable<double> xs)
    {
        var sorted = xs.Order().ToArray();
        return sorted[sorted.Length / 2];
    }

    public static double Time(Action a)
    {
        var sw = Stopwatch.StartNew();
        a();
        return sw.Elapsed.TotalSeconds;
    }

    /// <summary>The first row of one query on a fresh in-memory DuckDB (the peer's whole cost: open, scan, aggregate).</summary>
    internal static object[] DuckRow(string sql)
    {
        using var con = new DuckDBConnection("Data Source=:memory:");
        con.Open();
        using var cmd = con.CreateCommand();
        cmd.CommandText = sql;
        using var r = cmd.ExecuteReader();
        r.Read();
        var row = new object[r.FieldCount];
        r.GetValues(row);
        return row;
    }

    internal static long[] RealSizes()
    {
        var root = FindRepo();
        var sizes = new List<long>();
        foreach (var f in new[] { "magma27_memory_snapshot.pickle", "bcrafton_memory_snapshot.pickle" })
        {
            var r = Memtrace.Collectors.Pickle.SafeUnpickler.Load(File.ReadAllBytes(Path.Combine(root, "tests", "data", "torch-snapshots", f)));
            var traces = (List<object?>)((Memtrace.Collectors.Pickle.PyDict)r.Root!)["device_traces"]!;
            foreach (var e in (List<object?>)traces[0]!)
            {
                var d = (Memtrace.Collectors.Pickle.PyDict)e!;
                if ((string)d["action"]! == "alloc") sizes.Add((long)d["size"]!);
            }
        }
        return sizes.ToArray();
    }

    private static string FindRepo()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Pipeline.sln"))) dir = dir.Parent;
        return dir?.FullName ?? Directory.GetCurrentDirectory();
    }

    /// <summary>
    /// Replay with per-event metrics, one core, on two traces of the same length: a caching-allocator
    /// trace (segments, best fit, splits and merges as PyTorch's, request sizes drawn from the real
    /// snapshots; every allocation lands on a block start, so the address hash answers) and a driver
    /// pool's (cudaMalloc-style placements anywhere in one range; every allocation needs the ordered
    /// index).
    /// </summary>
    private static IEnumerable<Figure> Replay(int events)
    {
        var sizes = RealSizes();
        var generator = new Memtrace.Pipeline.Synthetic.CachingAllocatorTrace(sizes, seed: 11);
        var torch = generator.Next(events);
        var torchInput = new PoolInput { Key = new PoolKey("", 1, 0, "bench", "s"), Level = PoolLevel.Allocator, Events = torch, TorchRules = true };
        yield return ReplayFigure("replay_events_per_s", "caching allocator", torchInput, generator.LiveCount, targeted: true);

        foreach (var f in LargePool(events, sizes)) yield return f;

        var rng = new Random(11);
        const long slot = 256L << 20;
        const int slots = 4096;
        var free = new Stack<int>(Enumerable.Range(0, slots).Reverse());
        var live = new List<int>();
        var evs = new PoolEvent[events];
        for (var i = 0; i < events; i++)
        {
            var doFree = live.Count > 0 && (free.Count == 0 || rng.Next(2) == 0);
            if (doFree)
            {
                var k = rng.Next(live.Count);
                var sl = live[k];
                live[k] = live[^1];
                live.RemoveAt(live.Count - 1);
                free.Push(sl);
                evs[i] = new PoolEvent(i, i * 100L, AllocOp.Free, sl * slot, 0, null, null, null, false);
            }
            else
            {
                var sl = free.Pop();
                live.Add(sl);
                var size = Math.Min(sizes[rng.Next(sizes.Length)], slot);
                evs[i] = new PoolEvent(i, i * 100L, AllocOp.Alloc, sl * slot, size, TorchRules.RoundSize(size), null, null, false);
            }
        }
        var driverInput = new PoolInput { Key = new PoolKey("", 1, 0, "bench", "s"), Level = PoolLevel.Driver, Events = evs, TorchRules = false };
        // The issue's 20 M/s is for a trace with realistic size mixes; this one is the worst case for the ordered index.
        yield return ReplayFigure("replay_driver_events_per_s", "driver pool", driverInput, live.Count, targeted: false);
    }

    /// <summary>
    /// The caching-allocator shape at a large pool's size: 500,000 live blocks aimed at (the figure above aims at 2,000),
    /// which keeps thousands of segments and tens of thousands of free blocks, the size the synthetic figure never
    /// reaches and real traces scaled ×100 do. The replay's per-event cost must not grow with that (#22).
    /// </summary>
    private static IEnumerable<Figure> LargePool(int events, long[] sizes)
    {
        var generator = new Memtrace.Pipeline.Synthetic.CachingAllocatorTrace(sizes, seed: 12, targetLive: 500_000);
        var trace = generator.Next(events);
        var segments = trace.Count(e => e.Op == AllocOp.SegmentAlloc);
        var input = new PoolInput { Key = new PoolKey("", 1, 0, "bench", "s"), Level = PoolLevel.Allocator, Events = trace, TorchRules = true };
        var figure = ReplayFigure("replay_large_pool_events_per_s", "caching allocator, large pool", input, generator.LiveCount, targeted: false);
        var end = PoolReplay.Run(input, new FragmentationOptions { HeatmapTimeBins = 0 }).Timeline[^1];
        Console.WriteLine($"large pool: {segments:N0} segments, {generator.LiveCount:N0} live and {end.N:N0} free blocks at the end");
        yield return figure;
    }

    /// <summary>
    /// Seven runs: the first pays the JIT (the event loop starts in tier-0 code and moves to on-stack-replacement
    /// code, and the callees are re-jitted with profile data) and the first touch of its buffers; the runs after
    /// it settle within two or three. A pipeline run pays that once, for its first pool, and then replays pool
    /// after pool. The figure is the median of the last five runs; the first and the best are printed beside
    /// it. Each run's captured sizes are handed back after it, as the pipeline does once its cross-check ran.
    /// </summary>
    private static Figure ReplayFigure(string name, string label, PoolInput input, int expectedLive, bool targeted)
    {
        var events = input.Events.Length;
        PoolResult? result = null;
        var runs = new double[7];
        for (var i = 0; i < runs.Length; i++)
        {
            result?.ReleaseCapturedInputs();
            runs[i] = Time(() => result = PoolReplay.Run(input, new FragmentationOptions { HeatmapTimeBins = 0 }));
        }
        if (result!.EventsReplayed != events || result.Timeline.Sum(r => r.Events) != events) throw new InvalidOperationException("replay lost events");
        if (result.FinalLive.Count != expectedLive) throw new InvalidOperationException($"{label} replay ended with {result.FinalLive.Count} live blocks, expected {expectedLive}");
        if (result.Counts.Values.Sum() != 0) throw new InvalidOperationException($"{label} replay reported anomalies: {string.Join(", ", result.Counts)}");
        // The machine's state beside the figure: this VM's memory bandwidth moved by 40% within an hour (the same
        // replay measured 25 and 17 M/s), so a plain read of the same events says how fast the machine was then.
        long sink = 0;
        var read = Best(3, () => { foreach (ref readonly var e in input.Events.AsSpan()) sink += e.Size; });
        if (sink == 42) Console.WriteLine();
        var steady = runs[2..].Order().ToArray();
        var secs = steady[steady.Length / 2];
        static string Rate(int n, double s) => $"{n / s / 1e6:0.0} M/s";
        Console.WriteLine($"replay ({label}): {events:N0} events in {secs:0.000} s = {Rate(events, secs)} (median of runs 3-7; first run {Rate(events, runs[0])}, " +
                          $"best {Rate(events, steady[0])}, slowest after warm-up {Rate(events, steady[^1])}), {result.Timeline.Count:N0} timeline rows, {result.FinalFree.Count:N0} free blocks at the end; " +
                          $"a plain read of the {events * (long)Unsafe.SizeOf<PoolEvent>() / 1e6:0} MB of events took {read * 1e3:0} ms");
        return targeted
            ? new Figure(name, events / secs, "events/s", "issue target (20M/s)", 20e6, events / secs / 20e6)
            : new Figure(name, events / secs, "events/s", "-", null, null);
    }

    /// <summary>Torch snapshot import (parse + archive write) against CPython's pickle.load of the same file.</summary>
    private static IEnumerable<Figure> TorchImport(string work, int events)
    {
        var root = FindRepo();
        var src = Path.Combine(root, "tests", "data", "torch-snapshots", "bcrafton_memory_snapshot.pickle");
        var big = Path.Combine(work, "big.pickle");
        var script = $"""
            import pickle
            d = pickle.load(open(r'{src}', 'rb'))
            tr = d['device_traces'][0]
            out = []
            span = tr[-1]['time_us'] - tr[0]['time_us'] + 1
            k = 0
            while len(out) < {events}:
                for e in tr:
                    e2 = dict(e); e2['time_us'] = e['time_us'] + k * span; out.append(e2)
                k += 1
            d['device_traces'][0] = out[:{events}]
            pickle.dump(d, open(r'{big}', 'wb'), protocol=4)
            """;
        if (!RunPython(script, out _)) yield break;
        var archive = TraceArchive.OpenOrCreate(Path.Combine(work, "archive"));
        ImportReport? report = null;
        var oursS = Time(() => report = new ImportRunner(archive, new ImportOptions()).ImportOne(big, "torch-snapshot"));
        if (report!.Outcome != ImportOutcome.Imported || report.Rows["gpu_alloc_events"] != events) throw new InvalidOperationException(report.Message);
        if (!RunPython($"import pickle, time\nt = time.perf_counter()\nd = pickle.load(open(r'{big}', 'rb'))\nprint(time.perf_counter() - t, len(d['device_traces'][0]))", out var peerOut)) yield break;
        var parts = peerOut.Trim().Split(' ');
        var peerS = double.Parse(parts[0], System.Globalization.CultureInfo.InvariantCulture);
        if (long.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture) != events) throw new InvalidOperationException("python read a different event count");
        Console.WriteLine($"torch import: {events:N0} events, {new FileInfo(big).Length / 1e6:0.0} MB, memtrace {oursS:0.00} s (parse + Parquet write), CPython pickle.load {peerS:0.00} s (parse only)");
        yield return new Figure("torch_import_events_per_s", events / oursS, "events/s", "CPython pickle.load", events / peerS, peerS / oursS);
    }

    private static bool RunPython(string script, out string stdout)
    {
        stdout = "";
        try
        {
            var psi = new ProcessStartInfo("python3") { RedirectStandardInput = true, RedirectStandardOutput = true, UseShellExecute = false };
            using var p = Process.Start(psi)!;
            p.StandardInput.Write(script);
            p.StandardInput.Close();
            stdout = p.StandardOutput.ReadToEnd();
            p.WaitForExit();
            return p.ExitCode == 0;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            Console.WriteLine("python3 not found: the torch import peer is skipped");
            return false;
        }
    }
}
