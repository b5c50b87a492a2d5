using System.Diagnostics;
using System.Text.Json;
using Memtrace.Pipeline.Synthetic;
using Memtrace.Schemas.Archive;
using Memtrace.Schemas.Tables;

namespace Memtrace.Bench;

/// <summary>
/// The fleet's overhead, side by side: the e2e bench's 10^8-event night (a day of 2 Hz host samples for 24 Go
/// workloads, GPU traces with sizes, gaps and lifetimes from the real snapshot) split into 8 host archives of 2
/// GPUs and 3 workloads each, as a fleet collects it. One `memtrace run` over the 8 archives against `plan` +
/// 4 shards run one after another + `merge`, all as processes of the published CLI. Checked: the merge's tables,
/// summary.json and report are byte-identical to the single run's, and every event was replayed.
/// </summary>
public static class FleetBench
{
    public static IEnumerable<Figure> Run(string work, long events, int hosts = 8, int shards = 4)
    {
        var bin = Path.Combine(Memtrace.Tests.Repo.Root, "out", "bin", "memtrace");
        var demo = Path.Combine(Memtrace.Tests.Repo.Root, "samples", "demo-archive");
        var gpu = GpuDistributions.FromEvents(TraceArchive.Open(demo).ReadTable(GpuAllocEvents.Def));
        var archives = Path.Combine(work, "night");
        var genS = Program.Time(() =>
        {
            for (var h = 0; h < hosts; h++)
                FleetArchiveGenerator.Write(Path.Combine(archives, $"host{h:00}"), new FleetSpec
                {
                    GpuEvents = events / hosts, Devices = 2, Workloads = 3, HostDuration = TimeSpan.FromHours(24), Seed = 100 + h, Host = $"host{h:00}",
                }, gpu);
        });
        Console.WriteLine($"fleet gen: {events:N0} GPU events in {hosts} host archives (2 GPUs, 3 workloads × 24 h at 2 Hz each) in {genS:0.0} s");

        var single = Path.Combine(work, "fleet-single");
        var singleS = Program.Time(() => RealShapeBench.Process(bin, ["run", archives, "--out", single, "--tolerate-errors"]));
        var plan = Path.Combine(work, "fleet-plan.json");
        var planS = Program.Time(() => RealShapeBench.Process(bin, ["plan", archives, "--shards", $"{shards}", "--out", plan]));
        var shardS = new double[shards];
        for (var k = 0; k < shards; k++)
            shardS[k] = Program.Time(() => RealShapeBench.Process(bin, ["run", "--plan", plan, "--shard", $"{k}", "--out", Path.Combine(work, "fleet-parts", $"{k}")]));
        var merged = Path.Combine(work, "fleet-merged");
        var parts = Enumerable.Range(0, shards).Select(k => Path.Combine(work, "fleet-parts", $"{k}")).ToArray();
        var mergeS = Program.Time(() => RealShapeBench.Process(bin, ["merge", .. parts, "--out", merged, "--tolerate-errors"]));

        foreach (var f in Directory.GetFiles(Path.Combine(single, "tables")).Select(Path.GetFileName).Select(n => Path.Combine("tables", n!)).Append("summary.json").Append("report.html"))
            if (!File.ReadAllBytes(Path.Combine(single, f)).AsSpan().SequenceEqual(File.ReadAllBytes(Path.Combine(merged, f))))
                throw new InvalidOperationException($"fleet: {f} of the merge differs from the single run's");
        using var summary = JsonDocument.Parse(File.ReadAllText(Path.Combine(merged, "summary.json")));
        var replayed = summary.RootElement.GetProperty("gpu").GetProperty("pools").EnumerateArray().Sum(p => p.GetProperty("events").GetInt64());
        if (replayed != events / hosts * hosts) throw new InvalidOperationException($"fleet: the merge holds {replayed} events of {events}");

        var sharded = planS + shardS.Sum() + mergeS;
        Console.WriteLine($"fleet: single run {singleS:0.0} s; plan {planS:0.00} s + shards {string.Join(" + ", shardS.Select(s => s.ToString("0.0")))} s + merge {mergeS:0.00} s = {sharded:0.0} s");
        var name = $"fleet_{events:0e0}_events_{hosts}_hosts".Replace("+", "");
        yield return new Figure($"{name}_sharded_{shards}_s", sharded, "s", "one run over the archives", singleS, sharded / singleS);
        yield return new Figure($"{name}_merge_s", mergeS, "s", "one run over the archives", singleS, mergeS / singleS);
        yield return new Figure($"{name}_plan_s", planS, "s", "one run over the archives", singleS, planS / singleS);
    }
}
