using System.CommandLine;
using Memtrace.Schemas;
using Memtrace.Schemas.IO;

namespace Memtrace.Cli.Commands;

internal static class SchemaDocsCommand
{
    public static Command Create()
    {
        var output = new Option<string?>("--output") { Description = "Write to this file instead of standard output." };
        var cmd = new Command("schema-docs", """
            Print the table reference (schemas/README.md) generated from the table definitions.

            Example:
              memtrace schema-docs --output schemas/README.md
            """) { output };
        cmd.SetAction(r =>
        {
            var text = SchemaDocs.Render();
            if (r.GetValue(output) is { } path) AtomicFile.WriteAllText(path, text);
            else Console.Write(text);
            return 0;
        });
        return cmd;
    }
}
