using System.Text.Json;
using System.Text.Json.Nodes;
using Memtrace.Collectors.Importers;
using Memtrace.Pipeline.Fragmentation;
using Memtrace.Pipeline.Host;
using Memtrace.Schemas.Archive;
using Memtrace.Schemas.Model;
using Memtrace.Tests;

namespace Memtrace.Pipeline.Tests.Host;

/// <summary>
/// The capture a plain Python sidecar wrote (tests/data/go/sidecar): per-read stamps, one file per path, and one
/// file with a seq counter. Each shape is imported into its own archive and analysed once.
/// </summary>
public sealed class SidecarCapture
{
    public SidecarCapture()
    {
        Dir = Repo.Data("go", "sidecar", "capture");
        var driver = JsonDocument.Parse(File.ReadAllText(Path.Combine(Dir, "driver.json"))).RootElement;
        Pid = driver.GetProperty("pid").GetInt64();
        ExitTs = driver.GetProperty("exit_ts_ns").GetInt64();
        IntervalNs = (long)(driver.GetProperty("interval_ms").GetDouble() * 1e6);
        Records = File.ReadAllLines(Path.Combine(Dir, "all.jsonl")).Select(l => JsonNode.Parse(l)!.AsObject()).ToList();
    }

    public string Dir { get; }
    public long Pid { get; }
    /// <summary>When the sidecar's wait() returned for its SIGKILLed child.</summary>
    public long ExitTs { get; }
    public long IntervalNs { get; }
    /// <summary>all.jsonl, parsed; tests rewrite copies of these into other shapes.</summary>
    public List<JsonObject> Records { get; }

    private readonly Dictionary<string, HostOutput> _cache = new();

    public string[] SplitFiles => Directory.GetFiles(Path.Combine(Dir, "split"), "*.jsonl").Order(StringComparer.Ordinal).ToArray();

    /// <summary>The host analysis of these files imported into one fresh archive (cached per shape name).</summary>
    public HostOutput Analyze(string shape, params string[] files)
    {
        lock (_cache)
        {
            if (_cache.TryGetValue(shape, out var done)) return done;
            var archive = TraceArchive.OpenOrCreate(Repo.TempDir());
            var runner = new ImportRunner(archive, new ImportOptions());
            foreach (var f in files)
            {
                var report = runner.ImportOne(f, "capture-jsonl");
                if (report.Outcome != ImportOutcome.Imported) throw new InvalidOperationException(report.Message);
            }
            return _cache[shape] = HostAnalysis.Run(def => archive.ReadTable(def), FragmentationOutput.Empty(), new HostOptions());
        }
    }

    /// <summary>Records rewritten, then written to a temporary JSONL file.</summary>
    public static string Write(IEnumerable<JsonObject> records)
    {
        var path = Path.Combine(Repo.TempDir(), "capture.jsonl");
        File.WriteAllLines(path, records.Select(r => r.ToJsonString()));
        return path;
    }

    public static JsonObject Copy(JsonObject r) => JsonNode.Parse(r.ToJsonString())!.AsObject();

    /// <summary>The same reads without the seq counter.</summary>
    public IEnumerable<JsonObject> WithoutSeq() => Records.Select(r => { var c = Copy(r); c.Remove("seq"); return c; });

    /// <summary>The reference shape: a tick's reads all carry its first read's stamps (what memtrace's own sampler writes).</summary>
    public IEnumerable<JsonObject> StampedPerTick()
    {
        var first = new Dictionary<long, (long Ts, long Mono)>();
        foreach (var r in Records) first.TryAdd((long)r["seq"]!, ((long)r["ts_ns"]!, (long)r["mono_ns"]!));
        return Records.Select(r =>
        {
            var c = Copy(r);
            (c["ts_ns"], c["mono_ns"]) = (first[(long)r["seq"]!].Ts, first[(long)r["seq"]!].Mono);
            c.Remove("seq");
            return c;
        });
    }

    public static Table Result(HostOutput o, string name) => o.Tables.Single(t => t.Def.Name == name);
}
