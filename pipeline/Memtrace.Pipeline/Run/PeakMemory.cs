namespace Memtrace.Pipeline.Run;

/// <summary>The process's peak resident set, for run.json: what a batch job must budget for.</summary>
public static class PeakMemory
{
    /// <summary>VmHWM from /proc/self/status ("VmHWM:\t 14810600 kB"), in bytes; null where there is no procfs.</summary>
    public static long? PeakRssBytes()
    {
        try
        {
            foreach (var line in File.ReadLines("/proc/self/status"))
            {
                if (!line.StartsWith("VmHWM:", StringComparison.Ordinal)) continue;
                var parts = line[6..].Trim().Split(' ', StringSplitOptions.RemoveEmptyEntries);
                return parts.Length == 2 && parts[1] == "kB" && long.TryParse(parts[0], out var kb) ? kb * 1024 : null;
            }
        }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
        return null;
    }
}
