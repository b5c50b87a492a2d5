namespace Memtrace.Schemas.IO;

/// <summary>
/// A whole output directory published at once: it is written under a hidden sibling name and renamed into place,
/// so a reader (a merge job, a requeued shard) sees the old directory or the complete new one, never half of one.
/// The sibling names carry the writer's pid, so a later writer removes what a killed one left.
/// </summary>
public static class AtomicDirectory
{
    /// <summary>A fresh, empty hidden sibling of <paramref name="finalDir"/> to write into.</summary>
    public static string Begin(string finalDir)
    {
        var full = Path.GetFullPath(finalDir.TrimEnd('/', Path.DirectorySeparatorChar));
        var parent = Path.GetDirectoryName(full)!;
        Directory.CreateDirectory(parent);
        SweepStale(parent, Path.GetFileName(full));
        var tmp = Path.Combine(parent, $".tmp-{Path.GetFileName(full)}-{Environment.ProcessId}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(tmp);
        return tmp;
    }

    /// <summary>Renames the finished <paramref name="tmp"/> to <paramref name="finalDir"/>, replacing what was there.</summary>
    public static void Commit(string tmp, string finalDir)
    {
        var full = Path.GetFullPath(finalDir.TrimEnd('/', Path.DirectorySeparatorChar));
        if (!Directory.Exists(full))
        {
            Directory.Move(tmp, full);
            return;
        }
        // rename(2) cannot replace a non-empty directory: the old one steps aside first, under a name a sweep removes.
        var old = Path.Combine(Path.GetDirectoryName(full)!, $".tmp-{Path.GetFileName(full)}-{Environment.ProcessId}-{Guid.NewGuid():N}");
        Directory.Move(full, old);
        Directory.Move(tmp, full);
        Directory.Delete(old, recursive: true);
    }

    /// <summary>Removes a temporary directory after a failure (best effort: the next Begin sweeps it otherwise).</summary>
    public static void Abandon(string tmp)
    {
        try
        {
            if (Directory.Exists(tmp)) Directory.Delete(tmp, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private static void SweepStale(string parent, string name)
    {
        foreach (var d in Directory.EnumerateDirectories(parent, $".tmp-{name}-*"))
        {
            var parts = Path.GetFileName(d)[$".tmp-{name}-".Length..].Split('-');
            if (parts.Length == 2 && int.TryParse(parts[0], out var pid) && pid != Environment.ProcessId && AtomicFile.IsAlive(pid)) continue;
            Abandon(d);
        }
    }
}
