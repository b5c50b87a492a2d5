using System.CommandLine;
using Memtrace.Pipeline.Run;

namespace Memtrace.Cli.Commands;

internal static class DemoCommand
{
    public static Command Create()
    {
        var outDir = new Option<string>("--out") { Description = "Output directory.", DefaultValueFactory = _ => Path.Combine("out", "demo") };
        var archive = new Option<string?>("--archive") { Description = "Archive to use instead of the bundled samples/demo-archive." };
        var cmd = new Command("demo", """
            Run the whole pipeline on the bundled sample archive (a real PyTorch snapshot) and write tables and a report.

            Example:
              memtrace demo --out out/demo && memtrace inspect out/demo
            """) { outDir, archive };
        cmd.SetAction(r =>
        {
            var a = r.GetValue(archive) ?? Common.FindSampleArchive();
            if (a is null)
            {
                Console.Error.WriteLine("demo: refused: samples/demo-archive not found next to the binary or above it; pass --archive");
                return (int)ExitCode.InputRefused;
            }
            return RunCommand.Execute(a, r.GetValue(outDir)!, new RunOptions());
        });
        return cmd;
    }
}
