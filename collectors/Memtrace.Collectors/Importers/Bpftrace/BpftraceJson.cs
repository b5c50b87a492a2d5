using System.Text.Json;

namespace Memtrace.Collectors.Importers.Bpftrace;

/// <summary>
/// bpftrace -f json: one event per line, e.g.
/// {"type": "map", "data": {"@calls": {"spinsvc,25978,1": 421, "spinsvc,25978,0": 1115}}}
/// {"type": "hist", "data": {"@timeout": [{"min": 1, "max": 1, "count": 961}, {"min": 2, "max": 3, "count": 179}]}}
/// {"type": "stats", "data": {"@ret": {"count": 1536, "average": 0, "total": 421}}}
/// {"type": "time", "data": "03:02:54\n"}   {"type": "lost_events", "data": {"events": 12}}
/// Keyed histograms and stats nest one level deeper ({"@h": {"key": [...]}}); tuple keys are joined by ','.
/// </summary>
public static class BpftraceJson
{
    public enum Kind { Rows, Time, Lost, Ignored }

    public static Kind Parse(JsonElement root, List<BpftraceRow> rows, out string time, out long lost)
    {
        time = "";
        lost = 0;
        var type = root.GetProperty("type").GetString();
        var data = root.GetProperty("data");
        switch (type)
        {
            case "time":
                time = data.GetString()?.Trim() ?? "";
                return Kind.Time;
            case "lost_events":
                lost = data.GetProperty("events").GetInt64();
                return Kind.Lost;
            case "map" or "hist" or "stats":
                foreach (var map in data.EnumerateObject()) Values(map.Name, [], map.Value, type, rows);
                return Kind.Rows;
            default:
                return Kind.Ignored;
        }
    }

    private static void Values(string map, string[] keys, JsonElement v, string type, List<BpftraceRow> rows)
    {
        switch (v.ValueKind)
        {
            case JsonValueKind.Number:
                rows.Add(new BpftraceRow(map, "map", keys, v.GetInt64()));
                break;
            case JsonValueKind.Array when type == "hist":
                foreach (var b in v.EnumerateArray())
                {
                    long? min = b.TryGetProperty("min", out var mn) ? mn.GetInt64() : null;
                    long? max = b.TryGetProperty("max", out var mx) ? mx.GetInt64() : null;
                    rows.Add(new BpftraceRow(map, "hist", keys, b.GetProperty("count").GetInt64(), min, max));
                }
                break;
            case JsonValueKind.Object when type == "stats" && v.TryGetProperty("count", out var c) && c.ValueKind == JsonValueKind.Number:
                rows.Add(new BpftraceRow(map, "stats", keys, c.GetInt64(), Total: v.GetProperty("total").GetInt64(), Average: v.GetProperty("average").GetInt64()));
                break;
            case JsonValueKind.Object when keys.Length == 0:
                foreach (var e in v.EnumerateObject()) Values(map, e.Name.Split(','), e.Value, type, rows);
                break;
            default:
                throw new FormatException($"unexpected {v.ValueKind} value in a {type} event for {map}");
        }
    }
}
