using Memtrace.Schemas.Model;
using static Memtrace.Schemas.Model.Col;

namespace Memtrace.Schemas.Tables;

/// <summary>One read of a memory cgroup (v1 or v2): usage, limit, memory.stat, events and PSI.</summary>
public static class CgroupSamples
{
    private static I64Key Stat(string name, string doc) => I64(name, "bytes", doc, nullable: true);

    public static readonly I64Key TsNs = I64("ts_ns", "ns", "CLOCK_REALTIME of the read, UTC.");
    public static readonly I64Key MonoNs = I64("mono_ns", "ns", "CLOCK_MONOTONIC of the same read, when recorded.", nullable: true);
    public static readonly StrKey Host = Str("host", "Host name, or empty.");
    public static readonly StrKey CgroupPath = Str("cgroup_path", "Cgroup path relative to the memory controller's mount, e.g. /kubepods/burstable/pod…/…");
    public static readonly I64Key CgroupVersion = I64("cgroup_version", "", "1 or 2.");
    public static readonly I64Key Usage = I64("usage", "bytes", "v2 memory.current, v1 memory.usage_in_bytes.", nullable: true);
    public static readonly I64Key Limit = I64("limit", "bytes", "v2 memory.max, v1 memory.limit_in_bytes (or hierarchical_memory_limit); null when unlimited.", nullable: true);
    public static readonly I64Key MaxUsage = I64("max_usage", "bytes", "v1 memory.max_usage_in_bytes, v2 memory.peak.", nullable: true);
    public static readonly I64Key Anon = Stat("anon", "memory.stat anon (v2) or rss (v1).");
    public static readonly I64Key File = Stat("file", "memory.stat file (v2) or cache (v1).");
    public static readonly I64Key ActiveAnon = Stat("active_anon", "memory.stat active_anon.");
    public static readonly I64Key InactiveAnon = Stat("inactive_anon", "memory.stat inactive_anon.");
    public static readonly I64Key ActiveFile = Stat("active_file", "memory.stat active_file.");
    public static readonly I64Key InactiveFile = Stat("inactive_file", "memory.stat inactive_file.");
    public static readonly I64Key FileMapped = Stat("file_mapped", "memory.stat file_mapped (v2) or mapped_file (v1).");
    public static readonly I64Key Shmem = Stat("shmem", "memory.stat shmem.");
    public static readonly I64Key Slab = Stat("slab", "memory.stat slab (v2).");
    public static readonly I64Key KernelStack = Stat("kernel_stack", "memory.stat kernel_stack (v2).");
    public static readonly I64Key Pagetables = Stat("pagetables", "memory.stat pagetables (v2).");
    public static readonly I64Key Percpu = Stat("percpu", "memory.stat percpu (v2).");
    public static readonly I64Key Sock = Stat("sock", "memory.stat sock (v2).");
    public static readonly I64Key Vmalloc = Stat("vmalloc", "memory.stat vmalloc (v2).");
    public static readonly I64Key Kmem = Stat("kmem", "v1 memory.kmem.usage_in_bytes.");
    public static readonly StrListKey StatExtra = StrList("stat_extra", "Every other memory.stat field as 'key=value', in file order.");
    public static readonly I64Key Oom = I64("oom", "", "memory.events oom (v2) or under_oom (v1).", nullable: true);
    public static readonly I64Key OomKill = I64("oom_kill", "", "memory.events oom_kill (v2) or memory.oom_control oom_kill (v1).", nullable: true);
    public static readonly I64Key Failcnt = I64("failcnt", "", "v1 memory.failcnt; v2 memory.events max.", nullable: true);
    public static readonly F64Key PsiSomeAvg10 = F64("psi_some_avg10", "%", "memory.pressure some avg10.", nullable: true);
    public static readonly F64Key PsiSomeAvg60 = F64("psi_some_avg60", "%", "memory.pressure some avg60.", nullable: true);
    public static readonly F64Key PsiSomeAvg300 = F64("psi_some_avg300", "%", "memory.pressure some avg300.", nullable: true);
    public static readonly I64Key PsiSomeTotal = I64("psi_some_total", "us", "memory.pressure some total stall time.", nullable: true);
    public static readonly F64Key PsiFullAvg10 = F64("psi_full_avg10", "%", "memory.pressure full avg10.", nullable: true);
    public static readonly F64Key PsiFullAvg60 = F64("psi_full_avg60", "%", "memory.pressure full avg60.", nullable: true);
    public static readonly F64Key PsiFullAvg300 = F64("psi_full_avg300", "%", "memory.pressure full avg300.", nullable: true);
    public static readonly I64Key PsiFullTotal = I64("psi_full_total", "us", "memory.pressure full total stall time.", nullable: true);

    public static readonly TableDef Def = new(
        "cgroup_samples", 1, TableKind.Raw,
        "One row per memory-cgroup sampler tick (see 'Ticks and split captures'); a tick that lacked a file leaves its columns null. Known memory.stat fields are columns; the rest are kept as 'key=value' strings.",
        [Host, CgroupPath, TsNs],
        [
            SourceId,
            TsNs,
            MonoNs,
            Host,
            CgroupPath,
            CgroupVersion,
            Usage,
            Limit,
            MaxUsage,
            Anon,
            File,
            ActiveAnon,
            InactiveAnon,
            ActiveFile,
            InactiveFile,
            FileMapped,
            Shmem,
            Slab,
            KernelStack,
            Pagetables,
            Percpu,
            Sock,
            Vmalloc,
            Kmem,
            StatExtra,
            Oom,
            OomKill,
            Failcnt,
            PsiSomeAvg10,
            PsiSomeAvg60,
            PsiSomeAvg300,
            PsiSomeTotal,
            PsiFullAvg10,
            PsiFullAvg60,
            PsiFullAvg300,
            PsiFullTotal,
        ]);
}
