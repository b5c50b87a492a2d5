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
            if (!Directory.Exists(Path.Combine(dir, "tables")))
            {
                Console.Error.WriteLine($"{dir}: refused: no tables/ directory (not a memtrace run output)");
                return (int)ExitCode.InputRefused;
            }
            HtmlReport.Write(dir);
            Console.WriteLine($"wrote {Path.Combine(dir, "report.html")}");
            return (int)ExitCode.Success;
        });
        return cmd;
    }
}
