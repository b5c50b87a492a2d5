using System.CommandLine;
using Spectre.Console;

namespace Memtrace.Cli.Commands;

/// <summary>Options and helpers shared by several commands.</summary>
internal static class Common
{
    public static Option<string> Format()
    {
        var option = new Option<string>("--format") { Description = "Output format: text or json.", DefaultValueFactory = _ => "text" };
        option.AcceptOnlyFromAmong("text", "json");
        return option;
    }

    /// <summary>Runs work with a Spectre progress bar on a terminal, and plain lines when redirected (CI, nightly jobs).</summary>
    public static T WithProgress<T>(string title, Func<Action<string, double>, T> work)
    {
        if (Console.IsErrorRedirected || Console.IsOutputRedirected || !AnsiConsole.Profile.Capabilities.Interactive)
        {
            var last = "";
            return work((stage, _) =>
            {
                if (stage == last) return;
                last = stage;
                Console.Error.WriteLine($"{title}: {stage}");
            });
        }
        T result = default!;
        AnsiConsole.Progress().Start(ctx =>
        {
            var tasks = new Dictionary<string, ProgressTask>();
            result = work((stage, fraction) =>
            {
                if (!tasks.TryGetValue(stage, out var task)) tasks[stage] = task = ctx.AddTask(Markup.Escape(stage), maxValue: 1.0);
                task.Value = Math.Clamp(fraction, 0, 1);
            });
            foreach (var t in tasks.Values) t.Value = 1.0;
        });
        return result;
    }

    /// <summary>--out names a file, not a directory: one line and the usage exit code, before any work (null when it is fine).</summary>
    public static int? OutIsAFile(string command, string outDir)
    {
        if (!File.Exists(outDir)) return null;
        Console.Error.WriteLine($"memtrace {command}: --out {outDir} is a file; give a directory (it is created if missing)");
        return (int)Pipeline.Run.ExitCode.Usage;
    }

    /// <summary>A usage mistake found after parsing: one line, exit 1.</summary>
    public static int Usage(string command, string message)
    {
        Console.Error.WriteLine($"memtrace {command}: {message} (see memtrace {command} --help)");
        return (int)Pipeline.Run.ExitCode.Usage;
    }

    /// <summary>The bundled sample archive, found next to the binary or by walking up to the repository root.</summary>
    public static string? FindSampleArchive()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null)
        {
            var candidate = Path.Combine(dir.FullName, "samples", "demo-archive");
            if (File.Exists(Path.Combine(candidate, "manifest.json"))) return candidate;
            dir = dir.Parent;
        }
        return null;
    }
}
