using System.CommandLine;
using Memtrace.Pipeline.Run;

namespace Memtrace.Cli.Commands;

/// <summary>Options holding a byte size: "256MiB", "24GiB", "1.5GB" or a bare number of bytes (see <see cref="ByteSize"/>).</summary>
public static class SizeOption
{
    public static Option<long?> Create(string name, string description) => new(name)
    {
        Description = $"{description} A size such as 256MiB, 24GiB or 1.5GB; a bare number is bytes.",
        CustomParser = result =>
        {
            var token = result.Tokens.Count > 0 ? result.Tokens[^1].Value : "";
            if (ByteSize.TryParse(token, out var bytes, out var error)) return bytes;
            result.AddError($"{name} '{token}': {error}");
            return null;
        },
    };
}
