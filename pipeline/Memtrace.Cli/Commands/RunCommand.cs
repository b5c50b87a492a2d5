using System.CommandLine;
using Memtrace.Pipeline.Fleet;
using Memtrace.Pipeline.Fragmentation;
using Memtrace.Pipeline.Run;

namespace Memtrace.Cli.Commands;

internal static class RunCommand
{
    public static Command Create()
    {
        var archive = new Argument<string[]>("archive") { Description = "Trace archive directories, directories of archives, or files listing archives (one path a line). Several archives: each is analysed alone and the results merged (units/ holds each).", Arity = ArgumentArity.ZeroOrMore };
        var outDir = new Option<string>("--out") { Description = "Output directory for tables/*.arrow, summary.json, run.json and report.html (with --plan: the shard's part).", Required = true };
        var plan = new Option<string?>("--plan") { Description = "Run one shard of a plan (memtrace plan) instead of archives; the part is then merged with memtrace merge." };
        var shard = new Option<int?>("--shard") { Description = "The shard to run with --plan (default: $SLURM_ARRAY_TASK_ID, then $JOB_COMPLETION_INDEX)." };
        var cache = new Option<string?>("--cache") { Description = "Directory of unit results kept between runs: an archive already run with this memtrace and these options is reused." };
        var (requestSize, resolution, deviceMemory, tolerate, failOn) = Options();
        var maxInstants = new Option<int>("--max-instants") { Description = "memory_timeline and rss_gap_attribution rows per workload at most; each time bucket keeps its peak instant (0: every instant).", DefaultValueFactory = _ => Memtrace.Pipeline.RssGap.PeakThinning.DefaultMaxInstants };
        var step = DurationOption.Create("--step", "memory_timeline grid step (default: the densest sampled source's instants).", 1_000_000, "milliseconds");
        var tolerance = DurationOption.Create("--tolerance", "Host pairing tolerance (default: half the slower source's interval, at most 1s).", 1_000_000, "milliseconds");
        var headroom = new Option<double>("--headroom") { Description = "Capacity plan: recommended limit = peak working set × this factor.", DefaultValueFactory = _ => 1.25 };
        var accelerator = new Option<string>("--accelerator") { Description = "Where batch statistics run: auto (CUDA when present), cuda, cpu.", DefaultValueFactory = _ => "auto" };
        accelerator.AcceptOnlyFromAmong("auto", "cuda", "cpu", "ilgpu-cpu");
        var noWhatIf = new Option<bool>("--no-whatif") { Description = "Skip the allocator what-if (the whatif and allocator_model_check tables stay empty)." };
        var whatIfMaxEvents = new Option<long>("--whatif-max-events") { Description = "Replay the what-if only for torch-caching pools of at most this many events (memtrace whatif has no limit).", DefaultValueFactory = _ => 2_000_000 };
        var cmd = new Command("run", """
            Analyse an archive: replay GPU allocations, measure fragmentation, diagnose OOMs, blame stacks;
            align host clocks, join the Go runtime, /proc and cgroup samples, attribute the RSS gap, flag,
            plan capacity and find epoll spin; replay each PyTorch allocator trace under other
            PYTORCH_CUDA_ALLOC_CONF settings (what-if); write the result tables, summary.json, run.json and
            report.html.

            Example:
              memtrace run trace/ --out results/ --request-size 268435456 --fail-on fragmentation-oom
              memtrace run trace/ --out results/ --step 500ms --headroom 1.3 --fail-on host-oom spin
              memtrace run host-a/ host-b/ --out fleet/ --cache cache/
              memtrace run --plan plan.json --shard 3 --out parts/3
            """) { archive, outDir, plan, shard, cache, requestSize, resolution, deviceMemory, tolerate, failOn, accelerator, step, maxInstants, tolerance, headroom, noWhatIf, whatIfMaxEvents };
        cmd.SetAction(r =>
        {
            var options = new RunOptions
            {
                Fragmentation = new FragmentationOptions
                {
                    RequestSize = r.GetValue(requestSize),
                    ResolutionNs = r.GetValue(resolution) is { } ms ? (long)(ms * 1_000_000) : null,
                    DeviceMemory = r.GetValue(deviceMemory),
                    Accelerator = r.GetValue(accelerator) switch
                    {
                        "cuda" => Memtrace.Pipeline.Gpu.AcceleratorChoice.Cuda,
                        "cpu" => Memtrace.Pipeline.Gpu.AcceleratorChoice.Cpu,
                        "ilgpu-cpu" => Memtrace.Pipeline.Gpu.AcceleratorChoice.IlgpuCpu,
                        _ => Memtrace.Pipeline.Gpu.AcceleratorChoice.Auto,
                    },
                },
                Host = new Memtrace.Pipeline.Host.HostOptions
                {
                    Timeline = new Memtrace.Pipeline.RssGap.TimelineOptions
                    {
                        StepNs = r.GetValue(step),
                        MaxRows = Math.Max(0, r.GetValue(maxInstants)),
                        ToleranceNs = r.GetValue(tolerance),
                    },
                    ToleranceNs = r.GetValue(tolerance),
                    Headroom = r.GetValue(headroom),
                },
                WhatIf = r.GetValue(noWhatIf) ? null : new Memtrace.Pipeline.Allocators.WhatIfOptions { MaxEvents = Math.Max(0, r.GetValue(whatIfMaxEvents)) },
                TolerateErrors = r.GetValue(tolerate),
                FailOn = r.GetValue(failOn) ?? [],
            };
            var inputs = r.GetValue(archive) ?? [];
            if (r.GetValue(plan) is { } planPath) return ExecuteShard(planPath, inputs, r.GetValue(shard), r.GetValue(outDir)!, options, r.GetValue(cache));
            if (inputs.Length == 0) return Common.Usage("run", "give an archive, or --plan with --shard");
            // One archive, no cache: the classic layout (no units/); anything else is a fleet run.
            // (A missing path takes that road too, for the single run's own refusal line.)
            if (inputs is [var only] && r.GetValue(cache) is null && (File.Exists(Path.Combine(only, "manifest.json")) || !Path.Exists(only)))
                return Execute(only, r.GetValue(outDir)!, options);
            if (Common.OutIsAFile("run", r.GetValue(outDir)!) is { } usage) return usage;
            return Report("run", Common.WithProgress("run", progress => FleetRun.RunMany(inputs, r.GetValue(outDir)!, options, r.GetValue(cache), progress)));
        });
        return cmd;
    }

    internal static (Option<long?>, Option<double?>, Option<long?>, Option<bool>, Option<string[]>) Options() =>
    (
        SizeOption.Create("--request-size", "Extra reference request size for unusable_index."),
        new Option<double?>("--resolution") { Description = "Timeline bucket in milliseconds (default: at most 20,000 rows per pool; extremes kept)." },
        SizeOption.Create("--device-memory", "Driver-level pools: address range size instead of the observed extent; the what-if: the device capacity instead of the one at the first recorded OOM."),
        new Option<bool>("--tolerate-errors") { Description = "Exit 0 even when an error-severity counter is above zero." },
        FailOn()
    );

    /// <summary>--fail-on takes only the known verdicts: a typo in a CI gate ("fragmentation", "OOM") is a usage error, not a gate that never fires.</summary>
    private static Option<string[]> FailOn()
    {
        var option = new Option<string[]>("--fail-on") { Description = $"Exit 4 when a verdict is found: {string.Join(", ", RunOptions.FailOnValues)} (any-oom: any GPU OOM; host-oom: a process OOM-killed; spin: a suspect epoll window).", AllowMultipleArgumentsPerToken = true };
        option.Validators.Add(result =>
        {
            foreach (var token in result.Tokens.Where(t => !RunOptions.FailOnValues.Contains(t.Value)))
                result.AddError($"--fail-on '{token.Value}': not a verdict (use {string.Join(", ", RunOptions.FailOnValues)})");
        });
        return option;
    }

    private static int ExecuteShard(string planPath, string[] archives, int? shardOption, string outDir, RunOptions options, string? cache)
    {
        if (archives.Length > 0) return Common.Usage("run", "--plan takes its archives from the plan; give no archive with it");
        if (options.FailOn.Count > 0) return Common.Usage("run", "--fail-on gates the merged result: give it to memtrace merge, not to a shard");
        var shard = shardOption ?? ShardFromEnvironment();
        if (shard is null) return Common.Usage("run", "--plan needs --shard, $SLURM_ARRAY_TASK_ID or $JOB_COMPLETION_INDEX");
        if (Common.OutIsAFile("run", outDir) is { } usage) return usage;
        var outcome = Common.WithProgress($"run shard {shard}", progress => FleetRun.RunShard(planPath, shard.Value, outDir, options, cache, progress));
        foreach (var refused in outcome.Refused) Console.Error.WriteLine(refused);
        if (outcome.Exit == ExitCode.Usage)
        {
            Console.Error.WriteLine($"memtrace run: {outcome.Message}");
            return (int)outcome.Exit;
        }
        (outcome.Exit == ExitCode.Success ? Console.Out : Console.Error).WriteLine(outcome.Message);
        return (int)outcome.Exit;
    }

    /// <summary>The array index a scheduler gives the task: Slurm's job arrays, then Kubernetes' Indexed Jobs.</summary>
    private static int? ShardFromEnvironment()
    {
        foreach (var name in new[] { "SLURM_ARRAY_TASK_ID", "JOB_COMPLETION_INDEX" })
            if (int.TryParse(Environment.GetEnvironmentVariable(name), out var k)) return k;
        return null;
    }

    internal static int Execute(string archive, string outDir, RunOptions options)
    {
        if (Common.OutIsAFile("run", outDir) is { } usage) return usage;
        return Report("run", Common.WithProgress("run", progress => RunPipeline.Run(archive, outDir, options, progress)));
    }

    /// <summary>Refusals, then the findings worst first, then where the rest was written; the exit code is the outcome's.</summary>
    internal static int Report(string command, RunOutcome outcome)
    {
        foreach (var refused in outcome.Refused) Console.Error.WriteLine(refused);
        // The answer first: the findings, worst first, then where the rest was written. A refusal with nothing
        // analysed (a whole archive refused, a merge refused) has no findings to print.
        if (outcome.Exit != ExitCode.InputRefused || outcome.Findings.Count > 0)
            foreach (var line in Findings.Lines(outcome.Findings)) Console.WriteLine(line);
        (outcome.Exit == ExitCode.Success ? Console.Out : Console.Error).WriteLine(outcome.Message);
        return (int)outcome.Exit;
    }
}
