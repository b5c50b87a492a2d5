using Memtrace.Schemas.Model;
using Memtrace.Schemas.Results;
using Memtrace.Schemas.Tables;

namespace Memtrace.Schemas;

/// <summary>The one list of every table memtrace reads or writes.</summary>
public static class TableCatalog
{
    public static readonly IReadOnlyList<TableDef> Raw =
    [
        GpuAllocEvents.Def, GpuSegmentsSnapshot.Def, GpuMemInfo.Def, GpuAllocatorSettings.Def, Stacks.Def,
        ProcSamples.Def, CgroupSamples.Def, GoRuntimeSamples.Def, GoGcEvents.Def,
        HeapProfileSamples.Def, SyscallEvents.Def, SyscallCounts.Def, KernelLog.Def, ImportLog.Def,
    ];

    public static readonly IReadOnlyList<TableDef> Results =
    [
        FragmentationTimeline.Def, FreeBlockHistogram.Def, OomDiagnoses.Def, FragmentationBlame.Def,
        Heatmap.Def, StackFramesTable.Def, Anomalies.Def, ClockAlignment.Def, MemoryTimeline.Def, RssGapAttribution.Def, RssGapWide.Def,
        Flags.Def, CapacityPlan.Def, AlertBacktest.Def, GpuCapacity.Def, SpinWindows.Def, WhatIf.Def, AllocatorModelCheck.Def, StatsTable.Def,
    ];

    public static IEnumerable<TableDef> All => Raw.Concat(Results);

    public static TableDef? Find(string name) => All.FirstOrDefault(t => t.Name == name);
}
