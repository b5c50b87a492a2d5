using System.CommandLine;
using Memtrace.Cli.Commands;
using Memtrace.Pipeline.Run;

namespace Memtrace.Cli;

public static class Program
{
    private static readonly (string Type, string Words)[] TypeWords =
    [
        ("System.Nullable`1[System.Int64]", "a whole number"), ("System.Nullable`1[System.Int32]", "a whole number"), ("System.Nullable`1[System.Double]", "a number"),
        ("System.Int64", "a whole number"), ("System.Int32", "a whole number"), ("System.Double", "a number"), ("System.Boolean", "true or false"), ("System.String", "text"),
    ];

    /// <summary>The parser's message with .NET type names in words: "Cannot parse argument 'abc' for option '--max-instants' as a whole number."</summary>
    public static string Plain(string message)
    {
        foreach (var (type, words) in TypeWords) message = message.Replace($"as expected type '{type}'", $"as {words}").Replace($"'{type}'", words).Replace(type, words);
        return System.Text.RegularExpressions.Regex.Replace(message.ReplaceLineEndings(" "), @"\s+", " ").Trim();
    }

    /// <summary>The whole exception, for a bug report, in a file under the temp folder; null when that cannot be written either.</summary>
    private static string? CrashLog(Exception e, string[] args)
    {
        try
        {
            var path = Path.Combine(Path.GetTempPath(), $"memtrace-crash-{DateTime.UtcNow:yyyyMMddTHHmmss}-{Environment.ProcessId}.log");
            File.WriteAllText(path, $"memtrace {RunPipeline.Version}\nargs: {string.Join(' ', args)}\n\n{e}\n");
            return path;
        }
        catch (Exception e2) when (e2 is IOException or UnauthorizedAccessException or NotSupportedException)
        {
            return null;
        }
    }

    public static int Main(string[] args) => Invoke(Root(), args);

    /// <summary>Every command, as the binary parses them (tests parse documented command lines with it).</summary>
    public static RootCommand Root()
    {
        var root = new RootCommand("""
            memtrace explains memory trouble after the fact: GPU OOMs (fragmentation or real demand, and which
            stacks broke the address space), container OOM kills, and the limits to set.

            Example:
              memtrace import auto snapshot.pickle --archive trace/
              memtrace run trace/ --out results/
              memtrace inspect results/
            """);
        root.Subcommands.Add(ImportCommand.Create());
        root.Subcommands.Add(CollectCommand.Create());
        root.Subcommands.Add(RunCommand.Create());
        root.Subcommands.Add(PlanCommand.Create());
        root.Subcommands.Add(MergeCommand.Create());
        root.Subcommands.Add(WhatIfCommand.Create());
        root.Subcommands.Add(ReportCommand.Create());
        root.Subcommands.Add(InspectCommand.Create());
        root.Subcommands.Add(DemoCommand.Create());
        root.Subcommands.Add(GenCommand.Create());
        root.Subcommands.Add(SchemaDocsCommand.Create());
        return root;
    }

    /// <summary>Parses and runs: usage mistakes are one line each and exit 1; an exception is a bug, one line, a crash log, exit 70.</summary>
    public static int Invoke(RootCommand root, string[] args)
    {
        var parsed = root.Parse(args);
        if (parsed.Errors.Count > 0 && !args.Any(a => a is "-h" or "--help" or "-?"))
        {
            // One line per mistake, in words: the parser's own text names .NET types ('System.Int32').
            var command = parsed.CommandResult.Command.Name;
            var name = command == root.Name ? "memtrace" : $"memtrace {command}";
            foreach (var error in parsed.Errors) Console.Error.WriteLine($"{name}: {Plain(error.Message)} (see {name} --help)");
            return (int)ExitCode.Usage;
        }
        try
        {
            // Exceptions come here, not to the parser's handler (which prints a stack trace and exits 1).
            return parsed.Invoke(new InvocationConfiguration { EnableDefaultExceptionHandler = false });
        }
        catch (Exception e)
        {
            var log = CrashLog(e, args);
            Console.Error.WriteLine($"memtrace: internal error (a bug; please report it with {log ?? "the command line"}): {e.GetType().Name}: {e.Message.ReplaceLineEndings(" ")}");
            return (int)ExitCode.Internal;
        }
    }
}
