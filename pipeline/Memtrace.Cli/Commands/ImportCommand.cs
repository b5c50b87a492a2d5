using System.CommandLine;
using System.Text.Json;
using Memtrace.Collectors.Importers;
using Memtrace.Pipeline.Run;
using Memtrace.Schemas.Archive;

namespace Memtrace.Cli.Commands;

internal static class ImportCommand
{
    public static Command Create()
    {
        var format = new Argument<string>("format") { Description = $"Input format: auto (sniff each file), or one of: {string.Join(", ", ImporterRegistry.All.Select(i => i.Format))}." };
        var paths = new Argument<string[]>("paths") { Description = "Files to import.", Arity = ArgumentArity.OneOrMore };
        var archive = new Option<string>("--archive") { Description = "Archive directory (created if missing).", Required = true };
        var host = new Option<string>("--host") { Description = "Host name to record for sources that do not carry one.", DefaultValueFactory = _ => "" };
        var pid = new Option<long?>("--pid") { Description = "Process id to record for sources that do not carry one (torch snapshots)." };
        var date = new Option<string?>("--date") { Description = "rmm-csv: date (yyyy-MM-dd) of the first row; default: the file's mtime dates the last row." };
        var device = new Option<long?>("--device") { Description = "rmm-csv: CUDA device when the file name has no .devN.csv suffix." };
        var fmt = Common.Format();
        var cmd = new Command("import", """
            Import trace files into a trace archive (manifest.json + tables/<table>/<source_id>.parquet).
            Importing the same file twice does nothing the second time. A file that cannot be read is refused
            with a one-line reason; the other files still land.

            Example:
              memtrace import torch-snapshot run1.pickle --archive trace/
              memtrace import auto *.pickle --archive trace/ --format json
              memtrace import rmm-csv rmm_log.dev0.csv --date 2026-11-20 --archive trace/
            """) { format, paths, archive, host, pid, date, device, fmt };
        cmd.SetAction(r =>
        {
            var archiveDir = r.GetValue(archive)!;
            var existed = Directory.Exists(archiveDir);
            var a = TraceArchive.OpenOrCreate(archiveDir);
            DateOnly? day = null;
            if (r.GetValue(date) is { } text)
            {
                if (!DateOnly.TryParseExact(text, "yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.None, out var parsed))
                {
                    Console.Error.WriteLine($"import: --date '{text}' is not yyyy-MM-dd");
                    return (int)ExitCode.Usage;
                }
                day = parsed;
            }
            var runner = new ImportRunner(a, new ImportOptions { Host = r.GetValue(host) ?? "", Pid = r.GetValue(pid), Date = day, Device = r.GetValue(device) });
            var reports = Common.WithProgress("import", progress =>
                r.GetValue(paths)!.Select(p => runner.ImportOne(p, r.GetValue(format)!, f => progress(Path.GetFileName(p), f))).ToList());
            if (r.GetValue(fmt) == "json")
            {
                Console.WriteLine(JsonSerializer.Serialize(reports.Select(x => new { path = x.Path, outcome = x.Outcome.ToString().ToLowerInvariant(), format = x.Format, source_id = x.SourceId, message = x.Message, rows = x.Rows }), new JsonSerializerOptions { WriteIndented = true }));
            }
            else
            {
                foreach (var x in reports) (x.Outcome == ImportOutcome.Refused ? Console.Error : Console.Out).WriteLine(x.Message);
                // Refused files leave no source in the archive, so this line is where their counters (file_refused, limit_*) show.
                if (runner.Totals.Counts.Count > 0)
                    Console.WriteLine("counters: " + string.Join(" ", runner.Totals.Counts.OrderBy(c => c.Key, StringComparer.Ordinal).Select(c => $"{c.Key}={c.Value}")));
            }
            // A run that imported nothing leaves no new, empty archive behind.
            if (!existed && reports.All(x => x.Outcome == ImportOutcome.Refused)) DeleteNewArchive(archiveDir);
            if (reports.Any(x => x.Outcome == ImportOutcome.Refused)) return (int)ExitCode.InputRefused;
            return (int)ExitCode.Success;
        });
        return cmd;
    }

    /// <summary>Removes an archive directory this command created, if nothing but an empty manifest and folders ended up in it.</summary>
    private static void DeleteNewArchive(string dir)
    {
        try
        {
            if (Directory.EnumerateFiles(dir, "*", SearchOption.AllDirectories).All(f => Path.GetFileName(f) == "manifest.json")) Directory.Delete(dir, recursive: true);
        }
        catch (IOException)
        {
            // Left as it is: an empty archive is harmless, and the refusal was already reported.
        }
    }
}
