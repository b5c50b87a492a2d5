using System.CommandLine;
using Memtrace.Pipeline.Report;
using Memtrace.Pipeline.Run;

namespace Memtrace.Cli.Commands;

internal static class ReportCommand
{
    public static Command Create()
    {
        var outDir = new Argument<string>("out") { Description = "Output directory of a previous 'memtrace run'." };
        var cmd = new Command("report", """
            Re-render report.html from the tables of a previous run (it displays tables; it recomputes nothing).

            Example:
              memtrace report results/ && xdg-open results/report.html
            """) { outDir };
        cmd.SetAction(r =>
        {
            var dir = r.GetValue(outDir)!;
            if (!Directory.Exists(dir))
            {
                Console.Error.WriteLine($"{dir}: refused: no such directory");
                return (int)ExitCode.InputRefused;
            }
            // An archive has tables/ too (Parquet); a run output has tables/*.arrow and no manifest.json.
            if (File.Exists(Path.Combine(dir, "manifest.json")))
            {
                Console.Error.WriteLine($"{dir}: refused: a trace archive, not a run output (run `memtrace run {dir} --out DIR` first, then `memtrace report DIR`)");
                return (int)ExitCode.InputRefused;
            }
            if (!Directory.Exists(Path.Combine(dir, "tables")) || !Directory.EnumerateFiles(Path.Combine(dir, "tables"), "*.arrow").Any())
            {
                Console.Error.WriteLine($"{dir}: refused: no tables/*.arrow (not a memtrace run output)");
                return (int)ExitCode.InputRefused;
            }
            HtmlReport.Write(dir);
            Console.WriteLine($"wrote {Path.Combine(dir, "report.html")}");
            return (int)ExitCode.Success;
        });
        return cmd;
    }
}
