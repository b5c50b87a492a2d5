using Memtrace.Schemas.Model;
using static Memtrace.Schemas.Model.Col;

namespace Memtrace.Schemas.Results;

/// <summary>GPU pool peaks and the device size that would have avoided each OOM, from the fragmentation replay.</summary>
public static class GpuCapacity
{
    public static readonly I64Key PeakAllocated = I64("peak_allocated", "bytes", "Largest live (allocated) bytes.");
    public static readonly I64Key PeakReserved = I64("peak_reserved", "bytes", "Largest reserved bytes.");
    public static readonly I64Key Ooms = I64("ooms", "", "OOMs diagnosed in the pool.");
    public static readonly I64Key FragmentationOoms = I64("fragmentation_ooms", "", "Of those, fragmentation verdicts.");
    public static readonly I64Key DeviceTotal = I64("device_total", "bytes", "Device size (cudaMemGetInfo total), when known.", nullable: true);
    public static readonly I64Key DeviceNeeded = I64("device_needed", "bytes", "max over OOMs of (bytes in use on the device at the OOM + request): a fresh contiguous region of the request's size past everything in use. Null without OOMs.", nullable: true);
    public static readonly I64Key DeviceNeededIfCompacted = I64("device_needed_if_compacted", "bytes", "max over OOMs of (allocated + request): the floor if the pool could be compacted (capacity demand alone).", nullable: true);

    public static readonly TableDef Def = new(
        "gpu_capacity", 1, TableKind.Result,
        "One row per GPU pool: peak live and reserved bytes, OOMs, and the smallest device that would have served every failed request given the fragmentation at the time.",
        [.. PoolKeyColumns.All],
        [
            .. PoolKeyColumns.All,
            PeakAllocated,
            PeakReserved,
            Ooms,
            FragmentationOoms,
            DeviceTotal,
            DeviceNeeded,
            DeviceNeededIfCompacted,
        ]);
}
