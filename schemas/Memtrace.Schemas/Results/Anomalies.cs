using Memtrace.Schemas.Model;
using static Memtrace.Schemas.Model.Col;

namespace Memtrace.Schemas.Results;

/// <summary>Replay anomalies: counted, logged, never fatal.</summary>
public static class Anomalies
{
    public static readonly TableDef Def = new(
        "anomalies", 1, TableKind.Result,
        "Events the replay could not apply cleanly: frees of unknown addresses, double frees, overlapping allocations, allocations after an OOM.",
        ["host", "pid", "device", "pool", "source_id", "seq"],
        [
            .. PoolKey(),
            I64("seq", "", "Event index in the pool's stream."),
            I64("ts_ns", "ns", "Event time."),
            Str("kind", "Stats catalogue key of the anomaly."),
            I64("address", "bytes", "Address involved.", nullable: true),
            I64("size", "bytes", "Size involved.", nullable: true),
            Str("message", "What happened and what the replay did."),
        ]);
}
