using Memtrace.Collectors.Importers;
using Memtrace.Schemas.Archive;
using Memtrace.Schemas.Stats;
using Memtrace.Schemas.Tables;
using Memtrace.Tests;
using Xunit;

namespace Memtrace.Collectors.Tests;

public sealed class TorchSnapshotImporterTests
{
    /// <summary>Counts computed independently with CPython: pickle.load + collections.Counter over the same files.</summary>
    [Theory]
    [InlineData("magma27_memory_snapshot.pickle", 216, 455, 229, 1721, 1721, 1721, 2)]
    [InlineData("bcrafton_memory_snapshot.pickle", 96, 550, 447, 2162, 2162, 2162, 222)]
    [InlineData("mosaic_output.pickle", 5, 17, 17, 520, 0, 520, 0)]
    public void Real_snapshots_import_with_the_counts_python_sees(string file, int segments, int blocks, int activeBlocks, int allocs, int freeRequested, int freeCompleted, int freesBeforeWindow)
    {
        var dir = Repo.TempDir();
        var archive = TraceArchive.OpenOrCreate(dir);
        var report = new ImportRunner(archive, new ImportOptions()).ImportOne(Repo.Torch(file), "torch-snapshot");
        Assert.Equal(ImportOutcome.Imported, report.Outcome);
        var ev = archive.ReadTable(GpuAllocEvents.Def);
        var ops = Enumerable.Range(0, ev.RowCount).GroupBy(i => ev[GpuAllocEvents.Op][i]!).ToDictionary(g => g.Key, g => g.Count());
        Assert.Equal(allocs, ops.GetValueOrDefault("alloc"));
        Assert.Equal(freeRequested, ops.GetValueOrDefault("free_requested"));
        Assert.Equal(freeCompleted, ops.GetValueOrDefault("free_completed"));
        var snap = archive.ReadTable(GpuSegmentsSnapshot.Def);
        Assert.Equal(blocks, snap.RowCount);
        Assert.Equal(segments, Enumerable.Range(0, snap.RowCount).Select(i => snap[GpuSegmentsSnapshot.SegmentAddress][i]).Distinct().Count());
        Assert.Equal(activeBlocks, Enumerable.Range(0, snap.RowCount).Count(i => snap[GpuSegmentsSnapshot.BlockState][i] != "inactive"));
        Assert.Equal(freesBeforeWindow, archive.Manifest.Sources[0].Stats.GetValueOrDefault(StatsCatalog.TorchFreeBeforeWindow.Key));
    }

    /// <summary>magma27's allocator_settings as CPython prints them: {'PYTORCH_CUDA_ALLOC_CONF': '', 'max_split_size': -1,
    /// 'garbage_collection_threshold': 0.0, 'expandable_segments': False, 'pinned_num_register_threads': 1, 'release_lock_on_cudamalloc': False,
    /// 'pinned_use_cuda_host_register': False, 'graph_capture_record_stream_reuse': False, 'roundup_power2_divisions': {'1': 0, …, '32768': 0}}.</summary>
    [Fact]
    public void Allocator_settings_are_kept_one_row_per_setting()
    {
        var dir = Repo.TempDir();
        var archive = TraceArchive.OpenOrCreate(dir);
        Assert.Equal(ImportOutcome.Imported, new ImportRunner(archive, new ImportOptions()).ImportOne(Repo.Torch("magma27_memory_snapshot.pickle"), "torch-snapshot").Outcome);
        var t = archive.ReadTable(GpuAllocatorSettings.Def);
        var rows = Enumerable.Range(0, t.RowCount).ToDictionary(i => t[GpuAllocatorSettings.Setting][i]!, i => t[GpuAllocatorSettings.Value][i]);
        Assert.Equal(9, rows.Count);
        Assert.Equal("", rows["PYTORCH_CUDA_ALLOC_CONF"]);
        Assert.Equal("-1", rows["max_split_size"]);
        Assert.Equal("0", rows["garbage_collection_threshold"]);
        Assert.Equal("False", rows["expandable_segments"]);
        Assert.Equal("1:0,2:0,4:0,8:0,16:0,32:0,64:0,128:0,256:0,512:0,1024:0,2048:0,4096:0,8192:0,16384:0,32768:0", rows["roundup_power2_divisions"]);
        Assert.All(Enumerable.Range(0, t.RowCount), i => Assert.Equal(0, t[GpuAllocatorSettings.Device][i]));

        // mosaic's file has no allocator_settings (written before PyTorch 2.1 recorded them): no rows.
        var other = TraceArchive.OpenOrCreate(Repo.TempDir());
        Assert.Equal(ImportOutcome.Imported, new ImportRunner(other, new ImportOptions()).ImportOne(Repo.Torch("mosaic_output.pickle"), "torch-snapshot").Outcome);
        Assert.Equal(0, other.ReadTable(GpuAllocatorSettings.Def).RowCount);
    }

    [Fact]
    public void First_magma27_event_matches_a_hand_check_of_the_bytes()
    {
        // pickletools on the file shows the first trace entry: action 'alloc', addr 47294971904, size 25165824, time_us 1776479641085368.
        var dir = Repo.TempDir();
        var archive = TraceArchive.OpenOrCreate(dir);
        new ImportRunner(archive, new ImportOptions()).ImportOne(Repo.Torch("magma27_memory_snapshot.pickle"), "auto");
        var ev = archive.ReadTable(GpuAllocEvents.Def);
        var first = Enumerable.Range(0, ev.RowCount).First(i => ev[GpuAllocEvents.Seq][i] == 0);
        Assert.Equal("alloc", ev[GpuAllocEvents.Op][first]);
        Assert.Equal(47294971904L, ev[GpuAllocEvents.Address][first]);
        Assert.Equal(25165824L, ev[GpuAllocEvents.Size][first]);
        Assert.Equal(1776479641085368000L, ev[GpuAllocEvents.TsNs][first]);
        var stacks = archive.ReadTable(Stacks.Def);
        var sid = ev[GpuAllocEvents.StackId][first];
        var frames = Enumerable.Range(0, stacks.RowCount).Where(i => stacks[Stacks.StackId][i] == sid).Select(i => stacks[Stacks.Frames][i]).Single();
        Assert.StartsWith("forward at D:\\Dev\\assignment2-systems\\cs336-basics\\cs336_basics\\model.py:54", frames[0]);
    }

    [Fact]
    public void Truncated_snapshot_keeps_earlier_records_and_counts_the_cut()
    {
        var bytes = File.ReadAllBytes(Repo.Torch("bcrafton_memory_snapshot.pickle"));
        var dir = Repo.TempDir();
        var path = Path.Combine(dir, "cut.pickle");
        File.WriteAllBytes(path, bytes[..(int)(bytes.Length * 0.9)]);
        var archive = TraceArchive.OpenOrCreate(Path.Combine(dir, "a"));
        var report = new ImportRunner(archive, new ImportOptions()).ImportOne(path, "torch-snapshot");
        Assert.Equal(ImportOutcome.Imported, report.Outcome);
        var src = archive.Manifest.Sources.Single();
        Assert.Equal(1, src.Stats[StatsCatalog.PickleTruncated.Key]);
        Assert.Equal(550, src.Rows["gpu_segments_snapshot"]);
        var kept = src.Rows["gpu_alloc_events"];
        Assert.InRange(kept, 1000, 6485);
        var log = archive.ReadTable(ImportLog.Def);
        Assert.Contains(Enumerable.Range(0, log.RowCount), i => log[ImportLog.StatKey][i] == StatsCatalog.PickleTruncated.Key && log[ImportLog.Location][i]!.StartsWith("byte ", StringComparison.Ordinal));
    }

    [Fact]
    public void A_pickle_asking_for_a_global_is_refused_naming_the_file()
    {
        var dir = Repo.TempDir();
        var path = Path.Combine(dir, "evil.pickle");
        File.WriteAllBytes(path, new PickleBuilder().Proto(4).Str("segments").Op('c').Op('.').Build());
        var archive = TraceArchive.OpenOrCreate(Path.Combine(dir, "a"));
        var report = new ImportRunner(archive, new ImportOptions()).ImportOne(path, "torch-snapshot");
        Assert.Equal(ImportOutcome.Refused, report.Outcome);
        Assert.Contains("evil.pickle", report.Message);
        Assert.Contains("GLOBAL", report.Message);
        Assert.DoesNotContain('\n', report.Message);
    }

    [Fact]
    public void Wrong_types_and_unknown_actions_are_counted_and_logged()
    {
        // {'segments': [], 'device_traces': [[{'action': 'teleport', ...}, {'action': 'alloc', 'addr': 'oops', ...}]]}
        var p = new PickleBuilder().Proto(4).Op('}').Op('(')
            .Str("segments").Op(']')
            .Str("device_traces").Op(']').Op(']').Op('(')
            .Op('}').Op('(').Str("action").Str("teleport").Str("size").Int(1).Str("time_us").Int(5).Op('u')
            .Op('}').Op('(').Str("action").Str("alloc").Str("addr").Str("oops").Str("size").Int(1).Str("time_us").Int(5).Op('u')
            .Op('}').Op('(').Str("action").Str("alloc").Str("addr").Int(4096).Str("size").Int(512).Str("time_us").Int(6).Op('u')
            .Op('e').Op('a').Op('u').Op('.').Build();
        var dir = Repo.TempDir();
        var path = Path.Combine(dir, "odd.pickle");
        File.WriteAllBytes(path, p);
        var archive = TraceArchive.OpenOrCreate(Path.Combine(dir, "a"));
        var report = new ImportRunner(archive, new ImportOptions()).ImportOne(path, "auto");
        Assert.Equal(ImportOutcome.Imported, report.Outcome);
        var src = archive.Manifest.Sources.Single();
        Assert.Equal(1, src.Stats[StatsCatalog.TorchUnknownAction.Key]);
        Assert.Equal(1, src.Stats[StatsCatalog.TorchBadField.Key]);
        Assert.Equal(1, src.Rows["gpu_alloc_events"]);
        var log = archive.ReadTable(ImportLog.Def);
        Assert.Contains(Enumerable.Range(0, log.RowCount), i => log[ImportLog.Location][i] == "device_traces[0][0]" && log[ImportLog.Excerpt][i] == "teleport");
    }
}
