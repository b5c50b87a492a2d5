namespace Memtrace.Collectors.Importers.Bpftrace;

/// <summary>One value of one print of one map, before the print's window is known.</summary>
public sealed record BpftraceRow(string Map, string Kind, string[] Keys, long Count, long? Min = null, long? Max = null, long? Total = null, long? Average = null);
