using System.Text.Json;

namespace Memtrace.Collectors.Importers.Common;

/// <summary>How capture files (raw reads kept as JSONL) are serialised.</summary>
public static class CaptureJson
{
    /// <summary>Quotes stay \" rather than \u0022: the files are JSONL for tools, never embedded in HTML.</summary>
    public static readonly JsonSerializerOptions Options = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
}
