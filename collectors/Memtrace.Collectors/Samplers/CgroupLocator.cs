namespace Memtrace.Collectors.Samplers;

/// <summary>
/// Finds a process's memory cgroup directory from /proc/&lt;pid&gt;/cgroup and /proc/&lt;pid&gt;/mountinfo.
/// A v1 memory line ("4:memory:/process_api/ab5c…") wins; otherwise the v2 line ("0::/system.slice/x")
/// under the cgroup2 mount. Hybrid hosts (memcg on v1, cgroup2 at /sys/fs/cgroup/unified) take v1.
/// </summary>
public static class CgroupLocator
{
    public static string? MemoryCgroupDir(string cgroupFile, string mountinfo) => Locate(cgroupFile, mountinfo, allowV1: true);

    /// <summary>
    /// The process's cgroup2 directory, for PSI on a hybrid host: memory.pressure exists only in cgroup2,
    /// so a v1 memory cgroup's pressure is read from the same process's unified-hierarchy directory.
    /// </summary>
    public static string? UnifiedDir(string cgroupFile, string mountinfo) => Locate(cgroupFile, mountinfo, allowV1: false);

    private static string? Locate(string cgroupFile, string mountinfo, bool allowV1)
    {
        string? v1Path = null, v2Path = null;
        foreach (var line in cgroupFile.Split('\n'))
        {
            var parts = line.Split(':', 3);
            if (parts.Length != 3) continue;
            if (allowV1 && parts[1].Split(',').Contains("memory")) v1Path = parts[2];
            else if (parts[0] == "0" && parts[1].Length == 0) v2Path = parts[2];
        }
        foreach (var (path, v1) in new[] { (v1Path, true), (v2Path, false) })
        {
            if (path is null) continue;
            foreach (var line in mountinfo.Split('\n'))
            {
                // "34 30 0:31 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory"
                var sep = line.IndexOf(" - ", StringComparison.Ordinal);
                if (sep < 0) continue;
                var left = line[..sep].Split(' ');
                var right = line[(sep + 3)..].Split(' ');
                if (left.Length < 5 || right.Length < 3) continue;
                var (root, mount, fstype, super) = (left[3], left[4], right[0], right[2]);
                var match = v1 ? fstype == "cgroup" && super.Split(',').Contains("memory") : fstype == "cgroup2";
                if (!match) continue;
                var rel = root != "/" && path.StartsWith(root, StringComparison.Ordinal) ? path[root.Length..] : path;
                return mount.TrimEnd('/') + "/" + rel.TrimStart('/');
            }
        }
        return null;
    }
}
