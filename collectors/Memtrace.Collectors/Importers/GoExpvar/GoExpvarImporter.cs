using System.Text.Json;
using Memtrace.Schemas.Model;
using Memtrace.Schemas.Stats;
using Memtrace.Schemas.Tables;

namespace Memtrace.Collectors.Importers.GoExpvar;

/// <summary>
/// Go expvar /debug/vars reads → go_runtime_samples: either the JSONL that `memtrace collect go` writes
/// (one poll a line, with both clocks), or one raw /debug/vars document (timed by the file's mtime, so
/// flagged not aligned). "memstats" is runtime.MemStats as encoding/json prints it; a published
/// "goroutines" (or "NumGoroutine") var fills num_goroutine.
/// </summary>
public sealed class GoExpvarImporter : IImporter
{
    public string Format => "go-expvar";
    public int Version => 1;
    public string Description => "Go expvar /debug/vars snapshots (memstats)";

    public bool Sniff(ReadOnlySpan<byte> head, string path) =>
        head.StartsWith("{"u8) && (head.IndexOf("\"memstats\""u8) >= 0 || head.IndexOf("\\\"memstats\\\""u8) >= 0 || head.IndexOf("\\u0022memstats\\u0022"u8) >= 0);

    public ImportResult Import(ImportContext ctx)
    {
        var text = File.ReadAllText(ctx.Path);
        var t = new Table(GoRuntimeSamples.Def);
        var aligned = true;
        if (text.TrimStart().StartsWith("{\"ts_ns\"", StringComparison.Ordinal) || text.Contains("\"body\"", StringComparison.Ordinal))
        {
            long lineNo = 0;
            foreach (var line in text.Split('\n'))
            {
                lineNo++;
                if (line.Trim().Length == 0) continue;
                if (!ExpvarCapture.TryParse(line, out var cap, out var error))
                {
                    ctx.Stats.Log(StatsCatalog.ExpvarBadRecord, $"line {lineNo}", line, error);
                    continue;
                }
                AddSample(ctx, t, cap!.Body, cap.TsNs, cap.MonoNs, $"line {lineNo}");
            }
        }
        else
        {
            aligned = false;
            AddSample(ctx, t, text, new DateTimeOffset(File.GetLastWriteTimeUtc(ctx.Path)).ToUnixTimeMilliseconds() * 1_000_000, null, "document");
        }
        if (t.RowCount == 0) throw new ImportRefusedException("no /debug/vars document with memstats");
        return new ImportResult { Tables = [t], ClockDomain = aligned ? "realtime" : "file-mtime", ClockAligned = aligned };
    }

    internal static void AddSample(ImportContext ctx, Table t, string body, long ts, long? mono, string location)
    {
        JsonElement memstats;
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(body);
        }
        catch (JsonException e)
        {
            ctx.Stats.Log(StatsCatalog.ExpvarBadRecord, location, body, $"body is not JSON: {e.Message}");
            return;
        }
        using (doc)
        {
            if (doc.RootElement.ValueKind != JsonValueKind.Object || !doc.RootElement.TryGetProperty("memstats", out memstats) || memstats.ValueKind != JsonValueKind.Object)
            {
                ctx.Stats.Log(StatsCatalog.ExpvarBadRecord, location, body, "no memstats object");
                return;
            }
            t[Col.SourceId].Append(ctx.SourceId);
            t[GoRuntimeSamples.TsNs].Append(ts);
            t[GoRuntimeSamples.MonoNs].Append(mono);
            t[GoRuntimeSamples.Host].Append(ctx.Options.Host);
            t[GoRuntimeSamples.Pid].Append(ctx.Options.Pid ?? 0);
            foreach (var (column, field) in GoRuntimeSamples.MemStatsIntegers)
            {
                t[column].Append(memstats.TryGetProperty(field, out var v) && v.ValueKind == JsonValueKind.Number && v.TryGetUInt64(out var u) && u <= long.MaxValue ? (long)u : null);
            }
            t[GoRuntimeSamples.GcCpuFraction].Append(memstats.TryGetProperty("GCCPUFraction", out var f) && f.ValueKind == JsonValueKind.Number ? f.GetDouble() : null);
            long? goroutines = null;
            foreach (var name in new[] { "goroutines", "NumGoroutine", "num_goroutine" })
            {
                if (doc.RootElement.TryGetProperty(name, out var g) && g.ValueKind == JsonValueKind.Number && g.TryGetInt64(out var gv)) goroutines = gv;
            }
            t[GoRuntimeSamples.NumGoroutine].Append(goroutines);
            // Published by the service itself, e.g. expvar.Publish("gomemlimit", … debug.SetMemoryLimit(-1)).
            t[GoRuntimeSamples.Gogc].Append(Var(doc.RootElement, "gogc", "GOGC"));
            t[GoRuntimeSamples.Gomemlimit].Append(Var(doc.RootElement, "gomemlimit", "GOMEMLIMIT"));
            t.CommitRow();
        }
    }

    private static long? Var(JsonElement root, params string[] names)
    {
        foreach (var name in names)
        {
            if (root.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number && v.TryGetInt64(out var n)) return n;
        }
        return null;
    }
}
