namespace Memtrace.Schemas.Model;

public static class KeyLog
{
    private static readonly string? Path = Environment.GetEnvironmentVariable("MEMTRACE_KEYLOG");
    private static readonly HashSet<string> Seen = [];

    public static void Note(string file, int line, string table, string column, string kind)
    {
        if (Path is null) return;
        var s = $"{file}\t{line}\t{table}\t{column}\t{kind}";
        lock (Seen)
        {
            if (!Seen.Add(s)) return;
            File.AppendAllText(Path + "." + Environment.ProcessId, s + "\n");
        }
    }
}
