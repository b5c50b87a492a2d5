using System.Text.Json.Serialization;

namespace Memtrace.Pipeline.Run;

/// <summary>
/// Serializers generated at build time for what a run writes as JSON (run.json's options, timings and counters;
/// a fleet merge's counters). Reflection-built ones were jitted on every run; see Schemas' SchemasJson. Written
/// only: the fleet's plan and part files, which are read back, keep the reflection serializer, which leaves an
/// init-only property that the file lacks at its default.
/// </summary>
[JsonSerializable(typeof(Fragmentation.FragmentationOptions))]
[JsonSerializable(typeof(Host.HostOptions))]
[JsonSerializable(typeof(Allocators.WhatIfOptions))]
[JsonSerializable(typeof(SortedDictionary<string, double>))]
[JsonSerializable(typeof(SortedDictionary<string, long>))]
internal sealed partial class PipelineJson : JsonSerializerContext;
