using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using Memtrace.Pipeline.Run;
using Memtrace.Schemas.IO;

namespace Memtrace.Pipeline.Fleet;

/// <summary>
/// The fleet's three steps. Map: a run over several archives, or one shard of a plan, runs each unit
/// (<see cref="UnitRunner"/>). Merge: parts become one result (<see cref="ResultCombiner"/>). Every output
/// directory is published whole (<see cref="AtomicDirectory"/>).
/// </summary>
public static class FleetRun
{
    /// <summary>`memtrace run A B …`: every archive's units, then their merge, in one directory.</summary>
    public static RunOutcome RunMany(IReadOnlyList<string> inputs, string outDir, RunOptions options, string? cacheDir, Action<string, double>? progress)
    {
        var clock = Stopwatch.StartNew();
        var refused = new List<string>();
        var units = FleetInputs.Open(inputs, refused);
        if (units.Count == 0) return Refusal(refused, "no archive to run");
        var tmp = AtomicDirectory.Begin(outDir);
        try
        {
            var records = RunUnits(units, Path.Combine(tmp, "units"), options, cacheDir, null, refused, progress);
            var part = new PartInfo { OptionsSha256 = RunPipeline.OptionsSha256(options), Units = records, Refused = refused, ShardSeconds = { [0] = clock.Elapsed.TotalSeconds } };
            return Publish(tmp, outDir, part, options, clock, progress);
        }
        catch
        {
            AtomicDirectory.Abandon(tmp);
            throw;
        }
    }

    /// <summary>`memtrace run --plan P --shard K`: shard K's units, in a part directory naming the plan and K. Exit 0 once the part is written.</summary>
    public static RunOutcome RunShard(string planPath, int shard, string outDir, RunOptions options, string? cacheDir, Action<string, double>? progress)
    {
        var clock = Stopwatch.StartNew();
        FleetPlan plan;
        try
        {
            plan = FleetPlan.Read(planPath);
        }
        catch (PlanException e)
        {
            return Refusal([e.Message], "");
        }
        if (shard < 0 || shard >= plan.Shards) return new RunOutcome(ExitCode.Usage, $"shard {shard} is outside the plan's 0..{plan.Shards - 1}", new Dictionary<string, long>());
        var refused = new List<string>();
        var units = new List<ArchiveUnit>();
        foreach (var planned in plan.UnitsOf(shard))
        {
            try
            {
                var unit = ArchiveUnit.Open(planned.Archive);
                if (unit.ManifestSha256 != planned.ManifestSha256 || unit.Id != planned.Id)
                    refused.Add($"{planned.Archive}: refused: the archive changed since the plan was made (manifest SHA-256 {unit.ManifestSha256[..12]}…, the plan has {planned.ManifestSha256[..12]}…)");
                else units.Add(unit);
            }
            catch (Exception e) when (e is Schemas.Archive.ArchiveException or IOException or UnauthorizedAccessException)
            {
                refused.Add($"{planned.Archive}: refused: {FleetInputs.OneLine(e.Message)}");
            }
        }
        var tmp = AtomicDirectory.Begin(outDir);
        try
        {
            var records = RunUnits(units, Path.Combine(tmp, "units"), options, cacheDir, shard, refused, progress);
            var part = new PartInfo
            {
                PlanSha256 = plan.Sha256, ShardCount = plan.Shards, Shards = [shard], OptionsSha256 = RunPipeline.OptionsSha256(options),
                Units = records, Refused = refused, ShardSeconds = { [shard] = clock.Elapsed.TotalSeconds },
            };
            part.Write(tmp);
            AtomicDirectory.Commit(tmp, outDir);
        }
        catch
        {
            AtomicDirectory.Abandon(tmp);
            throw;
        }
        var refusedNote = refused.Count > 0 ? $"; {refused.Count} archive(s) refused, the merge will report them" : "";
        return new RunOutcome(ExitCode.Success, $"wrote part {shard} of {plan.Shards} (plan {plan.Sha256[..12]}): {units.Count} unit(s) to {outDir}{refusedNote}", new Dictionary<string, long>()) { Refused = refused };
    }

    /// <summary>`memtrace merge PART…`: refuses the whole merge, writing nothing, when a part is missing, duplicated, half-written or from another plan.</summary>
    public static RunOutcome Merge(IReadOnlyList<string> inputs, string outDir, RunOptions gates, bool partial, Action<string, double>? progress)
    {
        var clock = Stopwatch.StartNew();
        var parts = new List<(string Dir, PartInfo Part)>();
        foreach (var dir in inputs)
        {
            var (part, refusal) = PartInfo.Read(dir);
            if (refusal is not null) return Refusal([refusal], "");
            parts.Add((dir, part!));
        }
        if (Check(parts, partial) is { } problem) return Refusal([problem], "");
        var tmp = AtomicDirectory.Begin(outDir);
        try
        {
            foreach (var (dir, part) in parts)
                foreach (var u in part.Units) UnitRunner.CopyTree(Path.Combine(dir, "units", u.Id), Path.Combine(tmp, "units", u.Id));
            var first = parts[0].Part;
            var merged = new PartInfo
            {
                PlanSha256 = first.PlanSha256, ShardCount = first.ShardCount, OptionsSha256 = first.OptionsSha256,
                Shards = parts.SelectMany(p => p.Part.Shards).Order().ToList(),
                Units = parts.SelectMany(p => p.Part.Units).OrderBy(u => u.Id, StringComparer.Ordinal).ToList(),
                Refused = parts.SelectMany(p => p.Part.Refused).ToList(),
            };
            foreach (var (k, s) in parts.SelectMany(p => p.Part.ShardSeconds)) merged.ShardSeconds[k] = s;
            return Publish(tmp, outDir, merged, gates, clock, progress);
        }
        catch
        {
            AtomicDirectory.Abandon(tmp);
            throw;
        }
    }

    /// <summary>One line naming the part that makes a merge impossible, or null.</summary>
    private static string? Check(List<(string Dir, PartInfo Part)> parts, bool partial)
    {
        if (parts.Count == 0) return "nothing to merge";
        var (firstDir, first) = parts[0];
        var shardOwner = new Dictionary<int, string>();
        var unitOwner = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (dir, p) in parts)
        {
            if (p.PlanSha256 != first.PlanSha256)
                return $"{dir}: refused: from plan {Short(p.PlanSha256)}, but {firstDir} is from plan {Short(first.PlanSha256)}";
            if (p.OptionsSha256 != first.OptionsSha256)
                return $"{dir}: refused: run with other options than {firstDir} (options {p.OptionsSha256[..12]}… against {first.OptionsSha256[..12]}…)";
            if (p.Version != first.Version) return $"{dir}: refused: written by memtrace {p.Version}, {firstDir} by {first.Version}";
            foreach (var k in p.Shards)
                if (!shardOwner.TryAdd(k, dir)) return $"{dir}: refused: shard {k} is also in {shardOwner[k]} (a part given twice?)";
            foreach (var u in p.Units)
                if (!unitOwner.TryAdd(u.Id, dir)) return $"{dir}: refused: unit {u.Id} ({u.Archive}) is also in {unitOwner[u.Id]}";
        }
        if (first.PlanSha256 is not null && !partial && first.ShardCount is { } n)
        {
            var missing = Enumerable.Range(0, n).Where(k => !shardOwner.ContainsKey(k)).ToList();
            if (missing.Count > 0)
                return $"shard{(missing.Count > 1 ? "s" : "")} {string.Join(", ", missing.Take(10))}{(missing.Count > 10 ? ", …" : "")} of {n} missing: no part given covers {(missing.Count > 1 ? "them" : "it")} (--partial merges a subset)";
        }
        return null;
    }

    private static string Short(string? sha) => sha is null ? "(none: a run without a plan)" : sha[..12] + "…";

    private static List<UnitRecord> RunUnits(List<ArchiveUnit> units, string unitsDir, RunOptions options, string? cacheDir, int? shard,
        List<string> refused, Action<string, double>? progress)
    {
        var records = new List<UnitRecord>();
        for (var i = 0; i < units.Count; i++)
        {
            var label = $"unit {i + 1}/{units.Count} ({Path.GetFileName(units[i].Path)})";
            progress?.Invoke(label, 0);
            var r = UnitRunner.Run(units[i], unitsDir, options, cacheDir, shard, refused, (stage, f) => progress?.Invoke($"{label}: {stage}", f));
            if (r is not null) records.Add(r);
        }
        return records;
    }

    /// <summary>Combines the units in <paramref name="tmp"/>, writes run.json and part.json, and publishes the directory.</summary>
    private static RunOutcome Publish(string tmp, string outDir, PartInfo part, RunOptions gates, Stopwatch clock, Action<string, double>? progress)
    {
        var unitDirs = part.Units.Select(u => Path.Combine(tmp, "units", u.Id)).ToList();
        var mergeStart = clock.Elapsed.TotalSeconds;
        var combined = ResultCombiner.Combine(unitDirs, tmp, progress);
        var run = RunJson(part, combined, clock.Elapsed.TotalSeconds - mergeStart, clock.Elapsed.TotalSeconds);
        AtomicFile.WriteAllText(Path.Combine(tmp, "run.json"), run.ToJsonString(RunPipeline.Indented) + "\n");
        part.Write(tmp);
        AtomicDirectory.Commit(tmp, outDir);
        var (exit, gateMessage) = RunPipeline.Gates(Summary.FailOnHit(combined.Summary, gates.FailOn), combined.Counts, gates);
        if (part.Refused.Count > 0 && exit == ExitCode.Success) exit = ExitCode.InputRefused;
        var message = $"wrote {combined.Tables} tables of {part.Units.Count} unit(s), summary.json, run.json and report.html to {outDir}{gateMessage}";
        return new RunOutcome(exit, message, combined.Counts) { Refused = part.Refused, Findings = combined.Findings };
    }

    private static JsonObject RunJson(PartInfo part, CombinedResult combined, double mergeSeconds, double totalSeconds)
    {
        var unitRuns = combined.UnitRuns;
        var first = unitRuns.FirstOrDefault();
        return new JsonObject
        {
            ["tool"] = "memtrace",
            ["version"] = RunPipeline.Version,
            ["plan_sha256"] = part.PlanSha256,
            ["shard_count"] = part.ShardCount,
            ["shards"] = new JsonArray(part.ShardSeconds.Select(kv => (JsonNode)new JsonObject
            {
                ["shard"] = kv.Key, ["seconds"] = Math.Round(kv.Value, 3),
                ["units"] = new JsonArray(part.Units.Where(u => (u.Shard ?? 0) == kv.Key).Select(u => (JsonNode)JsonValue.Create(u.Id)!).ToArray()),
            }).ToArray()),
            ["units"] = new JsonArray(part.Units.Select(u => (JsonNode)new JsonObject
            {
                ["unit"] = u.Id, ["archive"] = u.Archive, ["shard"] = u.Shard, ["reused"] = u.Reused, ["seconds"] = Math.Round(u.Seconds, 3),
            }).ToArray()),
            ["units_reused"] = part.Units.Count(u => u.Reused),
            ["units_computed"] = part.Units.Count(u => !u.Reused),
            ["inputs"] = new JsonArray(unitRuns.SelectMany(r => r["inputs"]!.AsArray()).Select(n => n!.DeepClone()).ToArray()),
            ["options"] = first?["options"]?.DeepClone(),
            ["host_options"] = first?["host_options"]?.DeepClone(),
            ["options_sha256"] = part.OptionsSha256,
            ["timings"] = new JsonObject { ["units_s"] = Math.Round(part.Units.Sum(u => u.Seconds), 3), ["merge_s"] = Math.Round(mergeSeconds, 3), ["total_s"] = Math.Round(totalSeconds, 3) },
            ["peak_rss_bytes"] = PeakMemory.PeakRssBytes(),
            ["counters"] = JsonSerializer.SerializeToNode(new SortedDictionary<string, long>(combined.Counts.ToDictionary(), StringComparer.Ordinal), Run.PipelineJson.Default.SortedDictionaryStringInt64),
            ["unreadable_tables"] = new JsonArray(unitRuns.SelectMany(r => r["unreadable_tables"]!.AsArray()).Select(n => n!.DeepClone()).ToArray()),
            ["refused"] = new JsonArray(part.Refused.Select(r => (JsonNode)JsonValue.Create(r)!).ToArray()),
        };
    }

    private static RunOutcome Refusal(List<string> lines, string fallback) =>
        new(ExitCode.InputRefused, lines.Count > 0 ? lines[^1] : fallback, new Dictionary<string, long>()) { Refused = lines.Count > 1 ? lines.SkipLast(1).ToList() : [] };
}
