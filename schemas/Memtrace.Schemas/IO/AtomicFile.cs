namespace Memtrace.Schemas.IO;

/// <summary>
/// Every output goes to a temporary name in the same directory and is renamed into place, so a
/// reader (or a crash) never sees half a file: rename(2) within one filesystem is atomic.
/// </summary>
public static class AtomicFile
{
    public static void Write(string path, Action<Stream> write)
    {
        var dir = Path.GetDirectoryName(Path.GetFullPath(path))!;
        Directory.CreateDirectory(dir);
        var tmp = Path.Combine(dir, $".tmp-{Path.GetFileName(path)}-{Environment.ProcessId}-{Guid.NewGuid():N}");
        try
        {
            using (var fs = new FileStream(tmp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16))
            {
                write(fs);
                fs.Flush(flushToDisk: true);
            }
            File.Move(tmp, path, overwrite: true);
        }
        finally
        {
            if (File.Exists(tmp)) File.Delete(tmp);
        }
    }

    public static void WriteAllText(string path, string text) =>
        Write(path, s => { var b = new System.Text.UTF8Encoding(false).GetBytes(text); s.Write(b); });

    public static void WriteAllBytes(string path, byte[] bytes) => Write(path, s => s.Write(bytes));

    /// <summary>
    /// Removes temporary files that a killed writer left behind (".tmp-&lt;name&gt;-&lt;pid&gt;-&lt;guid&gt;" whose
    /// process is gone). A SIGKILL cannot run finally blocks, so the next run sweeps instead.
    /// </summary>
    public static int SweepStale(string dir)
    {
        if (!Directory.Exists(dir)) return 0;
        var removed = 0;
        foreach (var f in Directory.EnumerateFiles(dir, ".tmp-*", SearchOption.AllDirectories))
        {
            var parts = Path.GetFileName(f).Split('-');
            if (parts.Length >= 4 && int.TryParse(parts[^2], out var pid) && pid != Environment.ProcessId && IsAlive(pid)) continue;
            try
            {
                File.Delete(f);
                removed++;
            }
            catch (IOException)
            {
            }
        }
        return removed;
    }

    internal static bool IsAlive(int pid)
    {
        try
        {
            using var p = System.Diagnostics.Process.GetProcessById(pid);
            return !p.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }
}
