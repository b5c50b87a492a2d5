using System.CommandLine;
using Memtrace.Pipeline.Fleet;
using Memtrace.Pipeline.Run;

namespace Memtrace.Cli.Commands;

internal static class MergeCommand
{
    public static Command Create()
    {
        var parts = new Argument<string[]>("part") { Description = "Part directories (memtrace run --plan … --out PART), or earlier merges' outputs.", Arity = ArgumentArity.OneOrMore };
        var outDir = new Option<string>("--out") { Description = "Output directory: tables/*.arrow, summary.json, run.json, report.html, and units/ (so it merges again).", Required = true };
        var partial = new Option<bool>("--partial") { Description = "Merge a subset of a plan's shards (one node of a tree of merges); without it every shard must be given." };
        var (_, _, _, tolerate, failOn) = RunCommand.Options();
        var cmd = new Command("merge", """
            Merge the parts of a fleet run into one result, the same in every table as one memtrace run over
            all the plan's archives. Refuses, writing nothing, a part that is missing, given twice,
            half-written, from another plan or run with other options.

            Example:
              memtrace merge parts/* --out night/
              memtrace merge parts/0 parts/1 --partial --out half-a/
            """) { parts, outDir, partial, tolerate, failOn };
        cmd.SetAction(r =>
        {
            var output = r.GetValue(outDir)!;
            if (Common.OutIsAFile("merge", output) is { } usage) return usage;
            var gates = new RunOptions { TolerateErrors = r.GetValue(tolerate), FailOn = r.GetValue(failOn) ?? [] };
            var inputs = r.GetValue(parts)!;
            if (inputs.Select(Path.GetFullPath).Contains(Path.GetFullPath(output))) return Common.Usage("merge", $"--out {output} is one of the parts");
            return RunCommand.Report("merge", Common.WithProgress("merge", progress => FleetRun.Merge(inputs, output, gates, r.GetValue(partial), progress)));
        });
        return cmd;
    }
}
