using System.CommandLine;
using Memtrace.Pipeline.Run;
using Memtrace.Pipeline.Synthetic;
using Memtrace.Schemas.Archive;
using Memtrace.Schemas.Tables;

namespace Memtrace.Cli.Commands;

internal static class GenCommand
{
    public static Command Create()
    {
        var outDir = new Option<string>("--out") { Description = "Archive directory to write (created if missing).", Required = true };
        var events = new Option<long>("--events") { Description = "GPU alloc/free events in all, spread over the devices.", DefaultValueFactory = _ => 1_000_000 };
        var devices = new Option<int>("--devices") { Description = "GPUs, one caching-allocator pool each.", DefaultValueFactory = _ => 8 };
        var workloads = new Option<int>("--workloads") { Description = "Go services in containers, sampled (proc, cgroup, Go runtime).", DefaultValueFactory = _ => 20 };
        var hours = new Option<double>("--hours") { Description = "Hours of host samples.", DefaultValueFactory = _ => 24 };
        var hz = new Option<double>("--hz") { Description = "Host samples per second.", DefaultValueFactory = _ => 2 };
        var seed = new Option<int>("--seed") { Description = "Seed: the same seed and options give the same archive.", DefaultValueFactory = _ => 1 };
        var from = new Option<string?>("--from") { Description = "Archive whose gpu_alloc_events give the size, gap and lifetime distributions (default: the bundled samples/demo-archive, a real PyTorch snapshot)." };
        var host = new Option<string?>("--host") { Description = "Put every GPU and workload on this one host, as a fleet night has one archive per host (default: GPUs on gpunode0, 1, … and workloads on node0, 1, …)." };
        var cmd = new Command("gen", """
            Generate a fleet-sized trace archive for load tests, deterministic from a seed. GPU traces follow the
            PyTorch caching allocator's rules with request sizes, gaps and lifetimes drawn from a real trace; host
            samples model Go services in cgroups.

            Example:
              memtrace gen --out big/ --events 10000000 --devices 8 --workloads 20 --hours 24 --hz 2 --seed 7
              memtrace run big/ --out big-out/
              memtrace gen --out fleet/host7 --host host7 --seed 7 --events 2000000 --devices 4
            """) { outDir, events, devices, workloads, hours, hz, seed, from, host };
        cmd.SetAction(r =>
        {
            var source = r.GetValue(from) ?? Common.FindSampleArchive();
            if (source is null)
            {
                Console.Error.WriteLine("gen: refused: samples/demo-archive not found next to the binary or above it; pass --from");
                return (int)ExitCode.InputRefused;
            }
            GpuDistributions gpu;
            try
            {
                gpu = GpuDistributions.FromEvents(TraceArchive.Open(source).ReadTable(GpuAllocEvents.Def));
            }
            catch (Exception e) when (e is ArchiveException or InvalidDataException or IOException)
            {
                Console.Error.WriteLine($"gen: {source}: refused: {e.Message}");
                return (int)ExitCode.InputRefused;
            }
            var spec = new FleetSpec
            {
                GpuEvents = r.GetValue(events), Devices = Math.Max(1, r.GetValue(devices)), Workloads = Math.Max(0, r.GetValue(workloads)),
                HostDuration = TimeSpan.FromHours(r.GetValue(hours)), HostHz = r.GetValue(hz), Seed = r.GetValue(seed),
                Host = r.GetValue(host),
            };
            if (spec.GpuEvents < 0 || spec.HostHz <= 0 || spec.HostDuration < TimeSpan.Zero)
            {
                Console.Error.WriteLine("gen: --events, --hours must be ≥ 0 and --hz > 0");
                return (int)ExitCode.Usage;
            }
            var clock = System.Diagnostics.Stopwatch.StartNew();
            Common.WithProgress("gen", progress =>
            {
                FleetArchiveGenerator.Write(r.GetValue(outDir)!, spec, gpu, progress);
                return 0;
            });
            Console.WriteLine($"wrote {spec.GpuEvents:N0} GPU events on {spec.Devices} devices and {spec.Workloads} workloads × {spec.HostDuration.TotalHours:0.#} h at {spec.HostHz} Hz to {r.GetValue(outDir)} in {clock.Elapsed.TotalSeconds:0.0} s (sizes, gaps and lifetimes from {gpu.RequestSizes.Length:N0} allocations of {source})");
            return (int)ExitCode.Success;
        });
        return cmd;
    }
}
