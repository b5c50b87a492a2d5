using Memtrace.Schemas.Model;
using static Memtrace.Schemas.Model.Col;

namespace Memtrace.Schemas.Tables;

/// <summary>One read of a memory cgroup (v1 or v2): usage, limit, memory.stat, events and PSI.</summary>
public static class CgroupSamples
{
    private static ColumnDef Stat(string name, string doc) => I64(name, "bytes", doc, nullable: true);

    public static readonly TableDef Def = new(
        "cgroup_samples", 1, TableKind.Raw,
        "One row per memory-cgroup sampler tick (see 'Ticks and split captures'); a tick that lacked a file leaves its columns null. Known memory.stat fields are columns; the rest are kept as 'key=value' strings.",
        ["host", "cgroup_path", "ts_ns"],
        [
            SourceId(),
            I64("ts_ns", "ns", "CLOCK_REALTIME of the read, UTC."),
            I64("mono_ns", "ns", "CLOCK_MONOTONIC of the same read, when recorded.", nullable: true),
            Str("host", "Host name, or empty."),
            Str("cgroup_path", "Cgroup path relative to the memory controller's mount, e.g. /kubepods/burstable/pod…/…"),
            I64("cgroup_version", "", "1 or 2."),
            I64("usage", "bytes", "v2 memory.current, v1 memory.usage_in_bytes.", nullable: true),
            I64("limit", "bytes", "v2 memory.max, v1 memory.limit_in_bytes (or hierarchical_memory_limit); null when unlimited.", nullable: true),
            I64("max_usage", "bytes", "v1 memory.max_usage_in_bytes, v2 memory.peak.", nullable: true),
            Stat("anon", "memory.stat anon (v2) or rss (v1)."),
            Stat("file", "memory.stat file (v2) or cache (v1)."),
            Stat("active_anon", "memory.stat active_anon."),
            Stat("inactive_anon", "memory.stat inactive_anon."),
            Stat("active_file", "memory.stat active_file."),
            Stat("inactive_file", "memory.stat inactive_file."),
            Stat("file_mapped", "memory.stat file_mapped (v2) or mapped_file (v1)."),
            Stat("shmem", "memory.stat shmem."),
            Stat("slab", "memory.stat slab (v2)."),
            Stat("kernel_stack", "memory.stat kernel_stack (v2)."),
            Stat("pagetables", "memory.stat pagetables (v2)."),
            Stat("percpu", "memory.stat percpu (v2)."),
            Stat("sock", "memory.stat sock (v2)."),
            Stat("vmalloc", "memory.stat vmalloc (v2)."),
            Stat("kmem", "v1 memory.kmem.usage_in_bytes."),
            StrList("stat_extra", "Every other memory.stat field as 'key=value', in file order."),
            I64("oom", "", "memory.events oom (v2) or under_oom (v1).", nullable: true),
            I64("oom_kill", "", "memory.events oom_kill (v2) or memory.oom_control oom_kill (v1).", nullable: true),
            I64("failcnt", "", "v1 memory.failcnt; v2 memory.events max.", nullable: true),
            F64("psi_some_avg10", "%", "memory.pressure some avg10.", nullable: true),
            F64("psi_some_avg60", "%", "memory.pressure some avg60.", nullable: true),
            F64("psi_some_avg300", "%", "memory.pressure some avg300.", nullable: true),
            I64("psi_some_total", "us", "memory.pressure some total stall time.", nullable: true),
            F64("psi_full_avg10", "%", "memory.pressure full avg10.", nullable: true),
            F64("psi_full_avg60", "%", "memory.pressure full avg60.", nullable: true),
            F64("psi_full_avg300", "%", "memory.pressure full avg300.", nullable: true),
            I64("psi_full_total", "us", "memory.pressure full total stall time.", nullable: true),
        ]);
}
