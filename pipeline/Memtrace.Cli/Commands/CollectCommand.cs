using System.CommandLine;
using Memtrace.Collectors.Importers;
using Memtrace.Collectors.Samplers;
using Memtrace.Pipeline.Run;
using Memtrace.Schemas.Archive;

namespace Memtrace.Cli.Commands;

internal static class CollectCommand
{
    public static Command Create()
    {
        var collect = new Command("collect", """
            Sample a live process into an archive.

            Example:
              memtrace collect procfs --pid 4242 --interval 500ms --duration 1m --archive trace/
              memtrace collect go --url http://127.0.0.1:6060/debug/vars --interval 1s --duration 60s --archive trace/
              memtrace collect cuda --archive trace/ -- python train.py
            """);
        var pid = new Option<int>("--pid") { Description = "Process to sample.", Required = true };
        var cgroup = new Option<string>("--cgroup") { Description = "auto (from /proc/<pid>/cgroup and mountinfo) or a cgroup directory.", DefaultValueFactory = _ => "auto" };
        var interval = DurationOption.Create("--interval", "Time between samples (default 500ms).", 1_000_000, "milliseconds", 500_000_000);
        var duration = DurationOption.Create("--duration", "How long to sample (default 10s; Ctrl+C stops early).", 1_000_000_000, "seconds", 10_000_000_000);
        var archive = new Option<string>("--archive") { Description = "Archive directory (created if missing).", Required = true };
        var procfs = new Command("procfs", """
            Sample /proc/<pid>/{status,smaps_rollup,stat,fd} and the process's memory cgroup (v1 or v2) every interval,
            recording CLOCK_REALTIME and CLOCK_MONOTONIC on every read. Sampling goes on after the process exits.
            The raw reads are kept in <archive>/raw/ and imported as capture-jsonl.

            Example:
              memtrace collect procfs --pid $(pgrep -n myservice) --interval 250ms --duration 30s --archive trace/
            """) { pid, cgroup, interval, duration, archive };
        procfs.SetAction((r, cancel) =>
        {
            if (!Directory.Exists($"/proc/{r.GetValue(pid)}"))
            {
                Console.Error.WriteLine($"collect procfs: no process {r.GetValue(pid)} (/proc/{r.GetValue(pid)} does not exist); nothing was sampled");
                return Task.FromResult((int)ExitCode.InputRefused);
            }
            var dir = r.GetValue(archive)!;
            var a = TraceArchive.OpenOrCreate(dir);
            var cg = r.GetValue(cgroup) is { } c && c != "auto" ? c : null;
            var options = new SamplerOptions(r.GetValue(pid), Ticks(r.GetValue(interval)), Ticks(r.GetValue(duration)), cg);
            var result = Common.WithProgress("collect", progress => ProcfsSampler.Run(options, Path.Combine(a.Root, "raw"), cancel, f => progress($"sampling pid {options.Pid}", f)));
            Console.WriteLine($"sampled {result.Ticks} ticks ({result.TicksAfterExit} after the process exited), cgroup {result.CgroupDir ?? "(none found)"}");
            var report = new ImportRunner(a, new ImportOptions { Pid = options.Pid }).ImportOne(result.CapturePath, "capture-jsonl");
            (report.Outcome == ImportOutcome.Refused ? Console.Error : Console.Out).WriteLine(report.Message);
            return Task.FromResult((int)(report.Outcome == ImportOutcome.Refused ? ExitCode.InputRefused : ExitCode.Success));
        });
        collect.Subcommands.Add(procfs);
        collect.Subcommands.Add(Go());
        collect.Subcommands.Add(CollectCudaCommand.Create());
        return collect;
    }

    private static TimeSpan Ticks(long? ns) => TimeSpan.FromTicks(ns!.Value / 100);

    private static Command Go()
    {
        var url = new Option<string>("--url") { Description = "expvar endpoint, e.g. http://127.0.0.1:6060/debug/vars.", Required = true };
        var interval = DurationOption.Create("--interval", "Time between polls (default 1s).", 1_000_000, "milliseconds", 1_000_000_000);
        var duration = DurationOption.Create("--duration", "How long to poll (default 10s; Ctrl+C stops early).", 1_000_000_000, "seconds", 10_000_000_000);
        var pid = new Option<long?>("--pid") { Description = "Process id to record with the samples." };
        var archive = new Option<string>("--archive") { Description = "Archive directory (created if missing).", Required = true };
        var heapEvery = new Option<int>("--heap-every") { Description = "Also fetch /debug/pprof/heap (net/http/pprof) every N polls; 0 = never.", DefaultValueFactory = _ => 0 };
        var go = new Command("go", """
            Poll a Go service's expvar endpoint (runtime.MemStats) every interval, keep the raw bodies in
            <archive>/raw/ and import them as go_runtime_samples; with --heap-every N, also keep every N-th
            poll's /debug/pprof/heap profile and import it as heap_profile_samples.

            Example:
              memtrace collect go --url http://127.0.0.1:6060/debug/vars --interval 500ms --duration 30s --heap-every 10 --archive trace/
            """) { url, interval, duration, pid, archive, heapEvery };
        go.SetAction((r, cancel) =>
        {
            if (!Uri.TryCreate(r.GetValue(url), UriKind.Absolute, out var uri))
            {
                Console.Error.WriteLine($"collect go: --url '{r.GetValue(url)}' is not an absolute URL");
                return Task.FromResult((int)ExitCode.Usage);
            }
            var a = TraceArchive.OpenOrCreate(r.GetValue(archive)!);
            var result = Common.WithProgress("collect", progress => GoExpvarSampler.Run(uri, Ticks(r.GetValue(interval)), Ticks(r.GetValue(duration)), Path.Combine(a.Root, "raw"), cancel, f => progress($"polling {uri}", f), r.GetValue(heapEvery)));
            Console.WriteLine($"{result.Polls} polls, {result.Failures} failed, {result.HeapProfiles.Count} heap profiles");
            var runner = new ImportRunner(a, new ImportOptions { Pid = r.GetValue(pid) });
            var reports = result.HeapProfiles.Select(h => runner.ImportOne(h, "pprof")).Prepend(runner.ImportOne(result.CapturePath, "go-expvar")).ToList();
            foreach (var report in reports) (report.Outcome == ImportOutcome.Refused ? Console.Error : Console.Out).WriteLine(report.Message);
            return Task.FromResult((int)(reports.Any(x => x.Outcome == ImportOutcome.Refused) ? ExitCode.InputRefused : ExitCode.Success));
        });
        return go;
    }
}
