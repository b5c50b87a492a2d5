using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using Memtrace.Collectors.Importers;
using Memtrace.Pipeline.Run;
using Memtrace.Schemas.Archive;

namespace Memtrace.Cli.Commands;

/// <summary>memtrace collect cuda -- CMD: runs CMD under libmemtrace_cuda.so and imports every log it (and its fork children) wrote.</summary>
internal static class CollectCudaCommand
{
    public static Command Create()
    {
        var archive = new Option<string>("--archive") { Description = "Archive directory (created if missing).", Required = true };
        var hook = new Option<string?>("--hook") { Description = "Path to libmemtrace_cuda.so (default: $MEMTRACE_HOOK, else out/cuda-hook/ next to this binary; build it with 'make hook')." };
        var depth = new Option<int>("--stack-depth") { Description = "Frames per event (0-64; 0 turns stacks off).", DefaultValueFactory = _ => 16 };
        var meminfo = new Option<int>("--meminfo-ms") { Description = "cudaMemGetInfo sampling period in ms (0 turns it off).", DefaultValueFactory = _ => 100 };
        var unwind = new Option<string>("--unwind") { Description = "backtrace (DWARF, exact) or fp (frame pointers, cheaper, stops early in code without them).", DefaultValueFactory = _ => "backtrace" };
        unwind.AcceptOnlyFromAmong("backtrace", "fp");
        var command = new Argument<string[]>("command") { Description = "The program and its arguments (after --).", Arity = ArgumentArity.OneOrMore };
        var cuda = new Command("cuda", """
            Run a program under the CUDA allocation hook (LD_PRELOAD, no code change), then import the logs it
            wrote (one per process, fork children included) as gpu_alloc_events, gpu_mem_info and stacks.
            The raw logs are kept in <archive>/raw/cuda-<time>/. The program's exit status is printed; the logs
            are imported whatever it was, since a crashed or OOM-killed run is the one worth reading.

            Example:
              memtrace collect cuda --archive trace/ -- python train.py --epochs 1
              memtrace run trace/ --out results/
            """) { archive, hook, depth, meminfo, unwind, command };
        cuda.SetAction((r, cancel) =>
        {
            var lib = Locate(r.GetValue(hook));
            if (lib is null)
            {
                Console.Error.WriteLine("collect cuda: libmemtrace_cuda.so not found; build it with 'make hook' or pass --hook");
                return Task.FromResult((int)ExitCode.Usage);
            }
            var a = TraceArchive.OpenOrCreate(r.GetValue(archive)!);
            var raw = Path.Combine(a.Root, "raw", "cuda-" + DateTime.UtcNow.ToString("yyyyMMddTHHmmssfff", CultureInfo.InvariantCulture));
            Directory.CreateDirectory(raw);
            var argv = r.GetValue(command)!;
            var psi = new ProcessStartInfo(argv[0], argv[1..]) { UseShellExecute = false };
            var preload = Environment.GetEnvironmentVariable("LD_PRELOAD");
            psi.Environment["LD_PRELOAD"] = string.IsNullOrEmpty(preload) ? lib : $"{lib}:{preload}";
            psi.Environment["MEMTRACE_OUT"] = raw;
            psi.Environment["MEMTRACE_STACK_DEPTH"] = r.GetValue(depth).ToString(CultureInfo.InvariantCulture);
            psi.Environment["MEMTRACE_MEMINFO_MS"] = r.GetValue(meminfo).ToString(CultureInfo.InvariantCulture);
            if (r.GetValue(unwind) == "fp") psi.Environment["MEMTRACE_UNWIND"] = "fp";
            int status;
            try
            {
                using var p = Process.Start(psi)!;
                p.WaitForExit();
                status = p.ExitCode;
            }
            catch (System.ComponentModel.Win32Exception e)
            {
                Console.Error.WriteLine($"collect cuda: cannot start '{argv[0]}': {e.Message}");
                return Task.FromResult((int)ExitCode.Usage);
            }
            var logs = Directory.GetFiles(raw, "*.mtcu").Order(StringComparer.Ordinal).ToArray();
            Console.WriteLine($"'{string.Join(' ', argv)}' exited with status {status}; {logs.Length} hook log(s) in {raw}");
            var runner = new ImportRunner(a, new ImportOptions());
            var refused = false;
            foreach (var log in logs)
            {
                var report = runner.ImportOne(log, "cuda-hook");
                refused |= report.Outcome == ImportOutcome.Refused;
                (report.Outcome == ImportOutcome.Refused ? Console.Error : Console.Out).WriteLine(report.Message);
            }
            return Task.FromResult((int)(refused ? ExitCode.InputRefused : ExitCode.Success));
        });
        return cuda;
    }

    private static string? Locate(string? given)
    {
        var candidates = new[]
        {
            given, Environment.GetEnvironmentVariable("MEMTRACE_HOOK"),
            Path.Combine(AppContext.BaseDirectory, "..", "cuda-hook", "libmemtrace_cuda.so"),
            Path.Combine(AppContext.BaseDirectory, "libmemtrace_cuda.so"),
        };
        return candidates.Where(c => !string.IsNullOrEmpty(c) && File.Exists(c)).Select(c => Path.GetFullPath(c!)).FirstOrDefault();
    }
}
