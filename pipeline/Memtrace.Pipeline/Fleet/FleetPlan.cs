using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Serialization;
using Memtrace.Schemas.IO;

namespace Memtrace.Pipeline.Fleet;

/// <param name="Shard">The shard that runs this unit.</param>
public sealed record PlannedUnit(string Id, string Archive, long Rows, string ManifestSha256, int Shard);

/// <summary>
/// plan.json: the night's units of work (one per archive, <see cref="ArchiveUnit"/>) assigned to N shards. The
/// assignment is longest-processing-time first: units by rows, largest first (ties by id), each to the least
/// loaded shard (ties to the lowest K). Deterministic: the same archives and N give the same bytes. A shard and a
/// merge know the plan by the SHA-256 of those bytes.
/// </summary>
public sealed class FleetPlan
{
    public const int CurrentFormat = 1;

    public int Format { get; init; } = CurrentFormat;
    public string Tool { get; init; } = "memtrace";
    public string Version { get; init; } = Run.RunPipeline.Version;
    public int Shards { get; init; }
    public List<PlannedUnit> Units { get; init; } = [];

    [JsonIgnore]
    public string Sha256 { get; private set; } = "";

    public static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
    };

    public static FleetPlan Build(IReadOnlyList<ArchiveUnit> units, int shards)
    {
        if (shards < 1) throw new ArgumentOutOfRangeException(nameof(shards), "a plan needs at least one shard");
        var load = new long[shards];
        var assigned = new List<PlannedUnit>();
        foreach (var u in units.OrderByDescending(u => u.Rows).ThenBy(u => u.Id, StringComparer.Ordinal))
        {
            var k = 0;
            for (var i = 1; i < shards; i++) if (load[i] < load[k]) k = i;
            // A unit costs at least one: empty archives still spread over the shards instead of piling on shard 0.
            load[k] += Math.Max(1, u.Rows);
            assigned.Add(new PlannedUnit(u.Id, u.Path, u.Rows, u.ManifestSha256, k));
        }
        assigned.Sort((a, b) => string.CompareOrdinal(a.Id, b.Id));
        return new FleetPlan { Shards = shards, Units = assigned };
    }

    public IEnumerable<PlannedUnit> UnitsOf(int shard) => Units.Where(u => u.Shard == shard);

    public byte[] ToBytes() => JsonSerializer.SerializeToUtf8Bytes(this, Json);

    public void Write(string path)
    {
        var bytes = ToBytes();
        AtomicFile.WriteAllBytes(path, bytes);
        Sha256 = ArchiveUnit.Hex(SHA256.HashData(bytes));
    }

    /// <summary>Reads and checks a plan; a problem is a <see cref="PlanException"/> with one line naming the file.</summary>
    public static FleetPlan Read(string path)
    {
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new PlanException($"{path}: refused: {FleetInputs.OneLine(e.Message)}");
        }
        FleetPlan? plan;
        try
        {
            plan = JsonSerializer.Deserialize<FleetPlan>(bytes, Json);
        }
        catch (JsonException e)
        {
            throw new PlanException($"{path}: refused: not a memtrace plan ({FleetInputs.OneLine(e.Message)})");
        }
        if (plan is null || plan.Tool != "memtrace" || plan.Shards < 1) throw new PlanException($"{path}: refused: not a memtrace plan");
        if (plan.Format > CurrentFormat) throw new PlanException($"{path}: refused: plan format {plan.Format} is newer than this memtrace ({CurrentFormat})");
        if (plan.Units.FirstOrDefault(u => u.Shard < 0 || u.Shard >= plan.Shards) is { } bad)
            throw new PlanException($"{path}: refused: unit {bad.Id} is on shard {bad.Shard}, outside 0..{plan.Shards - 1}");
        plan.Sha256 = ArchiveUnit.Hex(SHA256.HashData(bytes));
        return plan;
    }
}

public sealed class PlanException(string message) : Exception(message);
