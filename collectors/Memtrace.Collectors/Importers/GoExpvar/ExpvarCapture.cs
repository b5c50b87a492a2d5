using System.Text.Json;

namespace Memtrace.Collectors.Importers.GoExpvar;

/// <summary>
/// One poll of a Go service's expvar endpoint as `memtrace collect go` records it, one JSON object a line:
/// {"ts_ns": 1795480000000000000, "mono_ns": 123, "url": "http://127.0.0.1:6060/debug/vars", "body": "{\"cmdline\": …, \"memstats\": {…}}"}
/// </summary>
public sealed record ExpvarCapture(long TsNs, long? MonoNs, string Url, string Body)
{
    public string ToJson() => JsonSerializer.Serialize(new Dictionary<string, object?> { ["ts_ns"] = TsNs, ["mono_ns"] = MonoNs, ["url"] = Url, ["body"] = Body }, Common.CaptureJson.Options);

    public static bool TryParse(string line, out ExpvarCapture? capture, out string error)
    {
        capture = null;
        error = "";
        try
        {
            using var doc = JsonDocument.Parse(line);
            var r = doc.RootElement;
            if (r.ValueKind != JsonValueKind.Object || !r.TryGetProperty("ts_ns", out var ts) || ts.ValueKind != JsonValueKind.Number || !ts.TryGetInt64(out var tsNs))
            {
                error = "no integer ts_ns";
                return false;
            }
            if (!r.TryGetProperty("body", out var body) || body.ValueKind != JsonValueKind.String)
            {
                error = "no string body";
                return false;
            }
            long? mono = r.TryGetProperty("mono_ns", out var m) && m.ValueKind == JsonValueKind.Number && m.TryGetInt64(out var mv) ? mv : null;
            var url = r.TryGetProperty("url", out var u) && u.ValueKind == JsonValueKind.String ? u.GetString()! : "";
            capture = new ExpvarCapture(tsNs, mono, url, body.GetString()!);
            return true;
        }
        catch (JsonException e)
        {
            error = $"invalid JSON: {e.Message}";
            return false;
        }
    }
}
