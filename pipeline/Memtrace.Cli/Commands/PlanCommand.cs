using System.CommandLine;
using Memtrace.Pipeline.Fleet;
using Memtrace.Pipeline.Run;

namespace Memtrace.Cli.Commands;

internal static class PlanCommand
{
    public static Command Create()
    {
        var archives = new Argument<string[]>("archive") { Description = "Trace archive directories, directories of archives, or files listing archives (one path a line).", Arity = ArgumentArity.OneOrMore };
        var shards = new Option<int>("--shards") { Description = "How many shards (array tasks) to spread the archives over.", Required = true };
        shards.Validators.Add(r =>
        {
            if (r.GetValueOrDefault<int>() < 1) r.AddError("--shards must be at least 1");
        });
        var outFile = new Option<string>("--out") { Description = "The plan file to write (JSON).", Required = true };
        var cmd = new Command("plan", """
            Plan a fleet run: one unit of work per archive (its GPU pools and its hosts, analysed together),
            sized by its rows, assigned to N shards largest first. Each shard then runs with `run --plan`,
            and `merge` joins the parts. The plan records every archive's manifest hash; a shard refuses an
            archive that changed since.

            Example:
              memtrace plan archives/ --shards 8 --out plan.json
              memtrace plan night.txt --shards 64 --out /shared/night/plan.json
            """) { archives, shards, outFile };
        cmd.SetAction(r =>
        {
            var outPath = r.GetValue(outFile)!;
            if (Directory.Exists(outPath)) return Common.Usage("plan", $"--out {outPath} is a directory; give the plan file's path");
            var refused = new List<string>();
            var units = FleetInputs.Open(r.GetValue(archives)!, refused);
            foreach (var line in refused) Console.Error.WriteLine(line);
            if (units.Count == 0)
            {
                Console.Error.WriteLine("memtrace plan: no archive to plan; nothing written");
                return (int)ExitCode.InputRefused;
            }
            var plan = FleetPlan.Build(units, r.GetValue(shards));
            plan.Write(outPath);
            for (var k = 0; k < plan.Shards; k++)
            {
                var mine = plan.UnitsOf(k).ToList();
                Console.WriteLine($"shard {k}: {mine.Count} unit(s), {mine.Sum(u => u.Rows):N0} rows");
            }
            Console.WriteLine($"wrote {outPath}: {units.Count} archive(s) on {plan.Shards} shard(s), plan {plan.Sha256[..12]}");
            return (int)(refused.Count > 0 ? ExitCode.InputRefused : ExitCode.Success);
        });
        return cmd;
    }
}
