using System.Text.Json.Serialization;
using Memtrace.Schemas.Archive;

namespace Memtrace.Schemas.IO;

/// <summary>
/// Serializers generated at build time for what the schemas read and write as JSON: manifest.json and the
/// string-list cells of Parquet files. Reflection-built ones were jitted on every run, about a third of the
/// methods a small run compiles before its first result.
/// </summary>
[JsonSerializable(typeof(Manifest))]
[JsonSerializable(typeof(string[]))]
[JsonSerializable(typeof(IReadOnlyList<string>))]
internal sealed partial class SchemasJson : JsonSerializerContext;
