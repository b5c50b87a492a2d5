using System.CommandLine;
using System.Text.Json;
using Memtrace.Pipeline.Run;
using Memtrace.Schemas.Archive;

namespace Memtrace.Cli.Commands;

internal static class InspectCommand
{
    public static Command Create()
    {
        var path = new Argument<string>("path") { Description = "A trace archive or a run's output directory." };
        var fmt = Common.Format();
        var cmd = new Command("inspect", """
            Print every table's schema, row count and time range.

            Example:
              memtrace inspect out/demo
              memtrace inspect trace/ --format json | jq '.[] | select(.rows > 0) | .name'
            """) { path, fmt };
        cmd.SetAction(r =>
        {
            IReadOnlyList<TableInfo> infos;
            try
            {
                infos = Inspector.Inspect(r.GetValue(path)!);
            }
            catch (ArchiveException e)
            {
                Console.Error.WriteLine($"inspect: refused: {e.Message}");
                return (int)ExitCode.InputRefused;
            }
            if (r.GetValue(fmt) == "json")
            {
                Console.WriteLine(JsonSerializer.Serialize(infos.Select(i => new { name = i.Name, kind = i.Kind, rows = i.Rows, ts_min_ns = i.TsMin, ts_max_ns = i.TsMax, columns = i.Columns }), new JsonSerializerOptions { WriteIndented = true }));
                return 0;
            }
            foreach (var i in infos)
            {
                var range = i.TsMin is { } lo && i.TsMax is { } hi
                    ? $"{Pipeline.Run.UtcTime.Millis(lo)} .. {Pipeline.Run.UtcTime.Millis(hi)} UTC"
                    : "no time column";
                Console.WriteLine($"{i.Name,-24} {i.Kind,-6} {i.Rows,10} rows  {range}");
                Console.WriteLine($"    {string.Join(", ", i.Columns)}");
            }
            return 0;
        });
        return cmd;
    }
}
