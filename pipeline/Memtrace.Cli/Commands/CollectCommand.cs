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
              memtrace collect procfs --pid 4242 --interval 500 --duration 60 --archive trace/
            """);
        var pid = new Option<int>("--pid") { Description = "Process to sample.", Required = true };
        var cgroup = new Option<string>("--cgroup") { Description = "auto (from /proc/<pid>/cgroup and mountinfo) or a cgroup directory.", DefaultValueFactory = _ => "auto" };
        var interval = new Option<double>("--interval") { Description = "Milliseconds between samples.", DefaultValueFactory = _ => 500 };
        var duration = new Option<double>("--duration") { Description = "Seconds to sample (Ctrl+C stops early).", DefaultValueFactory = _ => 10 };
        var archive = new Option<string>("--archive") { Description = "Archive directory (created if missing).", Required = true };
        var procfs = new Command("procfs", """
            Sample /proc/<pid>/{status,smaps_rollup,stat,fd} and the process's memory cgroup (v1 or v2) every interval,
            recording CLOCK_REALTIME and CLOCK_MONOTONIC on every read. Sampling goes on after the process exits.
            The raw reads are kept in <archive>/raw/ and imported as capture-jsonl.

            Example:
              memtrace collect procfs --pid $(pgrep -n myservice) --interval 250 --duration 30 --archive trace/
            """) { pid, cgroup, interval, duration, archive };
        procfs.SetAction((r, cancel) =>
        {
            var dir = r.GetValue(archive)!;
            var a = TraceArchive.OpenOrCreate(dir);
            var cg = r.GetValue(cgroup) is { } c && c != "auto" ? c : null;
            var options = new SamplerOptions(r.GetValue(pid), TimeSpan.FromMilliseconds(r.GetValue(interval)), TimeSpan.FromSeconds(r.GetValue(duration)), cg);
            var result = Common.WithProgress("collect", progress => ProcfsSampler.Run(options, Path.Combine(a.Root, "raw"), cancel, f => progress($"sampling pid {options.Pid}", f)));
            Console.WriteLine($"sampled {result.Ticks} ticks ({result.TicksAfterExit} after the process exited), cgroup {result.CgroupDir ?? "(none found)"}");
            var report = new ImportRunner(a, new ImportOptions { Pid = options.Pid }).ImportOne(result.CapturePath, "capture-jsonl");
            (report.Outcome == ImportOutcome.Refused ? Console.Error : Console.Out).WriteLine(report.Message);
            return Task.FromResult((int)(report.Outcome == ImportOutcome.Refused ? ExitCode.InputRefused : ExitCode.Success));
        });
        collect.Subcommands.Add(procfs);
        return collect;
    }
}
