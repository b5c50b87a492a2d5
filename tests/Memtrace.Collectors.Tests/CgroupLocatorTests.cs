using System.Diagnostics;
using Memtrace.Collectors.Samplers;
using Xunit;

namespace Memtrace.Collectors.Tests;

public sealed class CgroupLocatorTests
{
    // Copied from this build machine: memcg on cgroup v1, cgroup2 at /sys/fs/cgroup/unified.
    private const string HybridCgroup = "9:name=systemd:/\n4:memory:/process_api/ab5c3de02470dfddea56485ebd6cddee\n1:cpu:/\n0::/\n";
    private const string HybridMounts = "30 22 0:27 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755\n34 30 0:31 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory\n40 30 0:37 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw\n";

    [Fact]
    public void Hybrid_host_takes_the_v1_memory_controller() =>
        Assert.Equal("/sys/fs/cgroup/memory/process_api/ab5c3de02470dfddea56485ebd6cddee", CgroupLocator.MemoryCgroupDir(HybridCgroup, HybridMounts));

    [Fact]
    public void Pure_v2_host_uses_the_cgroup2_mount() =>
        Assert.Equal("/sys/fs/cgroup/system.slice/app.service",
            CgroupLocator.MemoryCgroupDir("0::/system.slice/app.service\n", "25 20 0:22 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw,nsdelegate\n"));

    [Fact]
    public void Namespaced_root_is_stripped_and_missing_mounts_give_null()
    {
        Assert.Equal("/sys/fs/cgroup/memory/pod1",
            CgroupLocator.MemoryCgroupDir("4:memory:/kubepods/pod1\n", "34 30 0:31 /kubepods /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory\n"));
        Assert.Null(CgroupLocator.MemoryCgroupDir("4:memory:/x\n", ""));
    }
}
