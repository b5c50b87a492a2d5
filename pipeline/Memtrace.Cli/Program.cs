using System.CommandLine;
using Memtrace.Cli.Commands;
using Memtrace.Pipeline.Run;

namespace Memtrace.Cli;

public static class Program
{
    public static int Main(string[] args)
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
        root.Subcommands.Add(WhatIfCommand.Create());
        root.Subcommands.Add(ReportCommand.Create());
        root.Subcommands.Add(InspectCommand.Create());
        root.Subcommands.Add(DemoCommand.Create());
        root.Subcommands.Add(GenCommand.Create());
        root.Subcommands.Add(SchemaDocsCommand.Create());
        try
        {
            return root.Parse(args).Invoke();
        }
        catch (Exception e)
        {
            Console.Error.WriteLine($"memtrace: internal error: {e.GetType().Name}: {e.Message}");
            return (int)ExitCode.Internal;
        }
    }
}
