using Memtrace.Schemas.Model;
using static Memtrace.Schemas.Model.Col;

namespace Memtrace.Schemas.Results;

/// <summary>GPU pool peaks and the device size that would have avoided each OOM, from the fragmentation replay.</summary>
public static class GpuCapacity
{
    public static readonly TableDef Def = new(
        "gpu_capacity", 1, TableKind.Result,
        "One row per GPU pool: peak live and reserved bytes, OOMs, and the smallest device that would have served every failed request given the fragmentation at the time.",
        ["host", "pid", "device", "pool", "source_id"],
        [
            .. PoolKey(),
            I64("peak_allocated", "bytes", "Largest live (allocated) bytes."),
            I64("peak_reserved", "bytes", "Largest reserved bytes."),
            I64("ooms", "", "OOMs diagnosed in the pool."),
            I64("fragmentation_ooms", "", "Of those, fragmentation verdicts."),
            I64("device_total", "bytes", "Device size (cudaMemGetInfo total), when known.", nullable: true),
            I64("device_needed", "bytes", "max over OOMs of (bytes in use on the device at the OOM + request): a fresh contiguous region of the request's size past everything in use. Null without OOMs.", nullable: true),
            I64("device_needed_if_compacted", "bytes", "max over OOMs of (allocated + request): the floor if the pool could be compacted (capacity demand alone).", nullable: true),
        ]);
}
