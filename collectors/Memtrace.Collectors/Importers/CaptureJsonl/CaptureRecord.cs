using System.Text.Json;

namespace Memtrace.Collectors.Importers.CaptureJsonl;

/// <summary>
/// One raw read of a file, as the sampler (or any capture tool) records it, one JSON object a line:
/// {"ts_ns": 1795479748098713456, "mono_ns": 88123456789, "path": "/proc/4242/status", "content": "Name:\tchurn\n…"}
/// or "error" in place of "content" when the read failed (the process had exited, say). "seq", when a
/// sampler writes it, numbers its ticks ({"seq": 17, "ts_ns": …}); reads with the same seq are one tick.
/// </summary>
public sealed record CaptureRecord(long TsNs, long? MonoNs, string Path, string? Content, string? Error, long? Seq = null)
{
    public static bool TryParse(string line, out CaptureRecord? record, out string error)
    {
        record = null;
        error = "";
        try
        {
            using var doc = JsonDocument.Parse(line);
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object) { error = "not a JSON object"; return false; }
            if (!root.TryGetProperty("ts_ns", out var ts) || ts.ValueKind != JsonValueKind.Number || !ts.TryGetInt64(out var tsNs)) { error = "no integer ts_ns"; return false; }
            if (!root.TryGetProperty("path", out var p) || p.ValueKind != JsonValueKind.String) { error = "no string path"; return false; }
            long? mono = root.TryGetProperty("mono_ns", out var m) && m.ValueKind == JsonValueKind.Number && m.TryGetInt64(out var mv) ? mv : null;
            string? content = root.TryGetProperty("content", out var c) && c.ValueKind == JsonValueKind.String ? c.GetString() : null;
            string? err = root.TryGetProperty("error", out var e) && e.ValueKind == JsonValueKind.String ? e.GetString() : null;
            if (content is null && err is null) { error = "neither content nor error"; return false; }
            long? seq = root.TryGetProperty("seq", out var q) && q.ValueKind == JsonValueKind.Number && q.TryGetInt64(out var qv) ? qv : null;
            record = new CaptureRecord(tsNs, mono, p.GetString()!, content, err, seq);
            return true;
        }
        catch (JsonException ex)
        {
            error = $"invalid JSON: {ex.Message}";
            return false;
        }
    }

    public string ToJson() => JsonSerializer.Serialize(new Dictionary<string, object?>
    {
        ["ts_ns"] = TsNs,
        ["mono_ns"] = MonoNs,
        ["path"] = Path,
        [Content is null ? "error" : "content"] = Content ?? Error,
    }, Common.CaptureJson.Options);
}
