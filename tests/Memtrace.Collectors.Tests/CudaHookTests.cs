using System.Diagnostics;
using Memtrace.Collectors.Importers;
using Memtrace.Collectors.Importers.CudaHook;
using Memtrace.Schemas.Model;
using Memtrace.Schemas.Stats;
using Memtrace.Schemas.Tables;
using Memtrace.Tests;
using Xunit;

namespace Memtrace.Collectors.Tests;

/// <summary>
/// The real hook, preloaded into a real multi-threaded program over the fake libcudart/libcuda
/// (collectors/cuda-hook/tests). The program logs what it called; the importer's events must
/// match that log call for call, in order, on every thread.
/// </summary>
public sealed class CudaHookTests
{
    private static void AssertSameCalls(List<TruthCall> truth, Table events)
    {
        var imported = ImportedCall.ByThread(events);
        var expected = truth.GroupBy(t => t.Tid).ToDictionary(g => g.Key, g => g.ToList());
        Assert.Equal(expected.Keys.Order(), imported.Keys.Order());
        foreach (var (tid, calls) in expected)
        {
            var got = imported[tid];
            Assert.Equal(calls.Count, got.Count);
            for (var i = 0; i < calls.Count; i++)
                Assert.True(got[i].Matches(calls[i]), $"tid {tid} call {i}: expected {calls[i]}, imported {got[i]}");
        }
    }

    [Fact]
    public void Eight_threads_of_100k_calls_each_arrive_once_and_in_order()
    {
        var dir = Repo.TempDir();
        var truthPath = Path.Combine(dir, "truth.tsv");
        var (code, output) = CudaHookRun.Run(CudaHookRun.Driver, dir, hooked: true, "mix", "8", "100000", truthPath);
        Assert.True(code == 0, output);
        var log = Assert.Single(CudaHookRun.Logs(dir));
        var (result, stats) = CudaHookRun.Import(log);
        var events = result.Tables.Single(t => t.Def == GpuAllocEvents.Def);
        var truth = TruthCall.Read(truthPath);
        Assert.Equal(8, truth.Select(t => t.Tid).Distinct().Count());
        Assert.Equal(truth.Count, events.RowCount);
        AssertSameCalls(truth, events);
        foreach (var stat in new[] { StatsCatalog.CudaHookDropped, StatsCatalog.CudaHookThreadGap, StatsCatalog.CudaHookBadRecord, StatsCatalog.CudaHookTruncated, StatsCatalog.CudaHookNoEnd })
            Assert.Equal(0, stats[stat]);

        // Sizes of frees come from the allocation they release: check against the program's own pairing,
        // walked per thread (host memory from malloc reuses addresses across threads).
        var imported = ImportedCall.ByThread(events);
        var frees = 0;
        foreach (var calls in truth.GroupBy(t => t.Tid))
        {
            var live = new Dictionary<(long, long), long>();
            var got = imported[calls.Key];
            var i = 0;
            foreach (var call in calls)
            {
                var kind = HookOps.Kind(call.Op);
                if (kind == HookOpKind.Alloc && call.Rc == 0) live[(call.Device, call.Address)] = call.Size;
                if (kind == HookOpKind.Free && live.Remove((call.Device, call.Address), out var size))
                {
                    Assert.Equal(size, got[i].Size);
                    frees++;
                }
                i++;
            }
        }
        Assert.True(frees > 100_000);
        // OOMs are the 1 PiB requests; they carry the last meminfo sample when one preceded them.
        var ooms = Enumerable.Range(0, events.RowCount).Where(i => events[GpuAllocEvents.Op][i] == "oom").ToList();
        Assert.Equal(truth.Count(t => t.Rc == HookOps.OutOfMemory && (HookOps.Kind(t.Op) == HookOpKind.Alloc || t.Op == MtcuOp.cuMemCreate)), ooms.Count);
        Assert.All(ooms, i => Assert.Equal(1L << 50, events[GpuAllocEvents.RequestedSize][i]));
        Assert.Contains(ooms, i => events[GpuAllocEvents.DeviceFree].Get(i) is > 0);
        var info = result.Tables.Single(t => t.Def == GpuMemInfo.Def);
        Assert.Equal([0L, 1L], Enumerable.Range(0, info.RowCount).Select(i => info[GpuMemInfo.Device][i]).Distinct().Order());
        Assert.All(Enumerable.Range(0, info.RowCount), i => Assert.Equal(8L << 30, info[GpuMemInfo.Total][i]));

        // Stacks are symbolized at import from the program's own ELF symbols.
        var stacks = result.Tables.Single(t => t.Def == Stacks.Def);
        Assert.All(Enumerable.Range(0, events.RowCount).Take(1000), i => Assert.NotNull(events[GpuAllocEvents.StackId].Get(i)));
        var innermost = Enumerable.Range(0, stacks.RowCount).Select(i => stacks[Stacks.Frames][i]![0]).ToList();
        Assert.Contains(innermost, f => f.StartsWith("work at ", StringComparison.Ordinal) && f.Contains("hookdriver+0x", StringComparison.Ordinal));
        Assert.Contains(innermost, f => f.StartsWith("release_one at ", StringComparison.Ordinal));
    }

    [Fact]
    public void Frame_pointer_unwinding_names_the_same_call_sites()
    {
        var dir = Repo.TempDir();
        var truthPath = Path.Combine(dir, "truth.tsv");
        using (var p = Process.Start(CudaHookRun.Start(CudaHookRun.Driver, dir, hooked: true, ["mix", "2", "2000", truthPath], new Dictionary<string, string> { ["MEMTRACE_UNWIND"] = "fp" }))!)
            p.WaitForExit();
        var (result, _) = CudaHookRun.Import(Assert.Single(CudaHookRun.Logs(dir)));
        AssertSameCalls(TruthCall.Read(truthPath), result.Tables[0]);
        var stacks = result.Tables.Single(t => t.Def == Stacks.Def);
        var frames = Enumerable.Range(0, stacks.RowCount).Select(i => stacks[Stacks.Frames][i]!).ToList();
        Assert.All(frames, f => Assert.Matches("^(work|release_one) at ", f[0]));
    }

    [Fact]
    public void Fork_child_gets_its_own_file_and_the_parent_file_is_unaffected()
    {
        var dir = Repo.TempDir();
        var truthPath = Path.Combine(dir, "truth.tsv");
        var (code, output) = CudaHookRun.Run(CudaHookRun.Driver, dir, hooked: true, "fork", "2000", truthPath);
        Assert.True(code == 0, output);
        var logs = CudaHookRun.Logs(dir);
        Assert.Equal(2, logs.Length);
        var imported = logs.Select(CudaHookRun.Import).ToList();
        var child = Assert.Single(imported, r => r.Result.Notes["fork_child"] == "true");
        var parent = Assert.Single(imported, r => r.Result.Notes["fork_child"] == "false");
        Assert.Equal(parent.Result.Notes["pid"], child.Result.Notes["ppid"]);
        AssertSameCalls(TruthCall.Read(truthPath + ".child"), child.Result.Tables[0]);
        AssertSameCalls(TruthCall.Read(truthPath), parent.Result.Tables[0]);
    }

    [Fact]
    public void Kill_9_mid_run_leaves_a_readable_prefix_of_every_thread()
    {
        var dir = Repo.TempDir();
        var truthPath = Path.Combine(dir, "truth.tsv");
        using var p = Process.Start(CudaHookRun.Start(CudaHookRun.Driver, dir, hooked: true, ["kill", "4", truthPath]))!;
        Thread.Sleep(700);
        p.Kill(); // SIGKILL: no handler, no destructor, no final flush
        p.WaitForExit();
        var (result, stats) = CudaHookRun.Import(Assert.Single(CudaHookRun.Logs(dir)));
        Assert.Equal(1, stats[StatsCatalog.CudaHookNoEnd]);
        Assert.Equal(0, stats[StatsCatalog.CudaHookThreadGap]);
        Assert.Equal("false", result.Notes["clean_end"]);
        var imported = ImportedCall.ByThread(result.Tables[0]);
        var truth = TruthCall.Read(truthPath).GroupBy(t => t.Tid).ToDictionary(g => g.Key, g => g.ToList());
        Assert.True(imported.Values.Sum(v => v.Count) > 1000, "the hook had flushed events before the kill");
        foreach (var (tid, got) in imported)
        {
            // The truth line is written after the call returns, so the log may lead it by one call.
            var calls = truth.GetValueOrDefault(tid) ?? [];
            Assert.InRange(got.Count, 1, calls.Count + 1);
            for (var i = 0; i < Math.Min(got.Count, calls.Count); i++) Assert.True(got[i].Matches(calls[i]), $"tid {tid} call {i}");
        }
    }

    [Fact]
    public void Abort_drains_every_recorded_call_before_the_process_dies()
    {
        // With a 1 s writer period nothing after start-up would reach the file unless the SIGABRT
        // handler woke the writer for a last drain.
        var dir = Repo.TempDir();
        var truthPath = Path.Combine(dir, "truth.tsv");
        using (var p = Process.Start(CudaHookRun.Start(CudaHookRun.Driver, dir, hooked: true, ["abort", "5000", truthPath], new Dictionary<string, string> { ["MEMTRACE_FLUSH_MS"] = "1000" }))!)
        {
            p.WaitForExit();
            Assert.Equal(134, p.ExitCode); // 128 + SIGABRT: the default action still happened
        }
        var (result, stats) = CudaHookRun.Import(Assert.Single(CudaHookRun.Logs(dir)));
        Assert.Equal(1, stats[StatsCatalog.CudaHookNoEnd]);
        AssertSameCalls(TruthCall.Read(truthPath), result.Tables[0]);
    }

    [Fact]
    public void Full_disk_drops_and_counts_but_keeps_the_file_whole()
    {
        var dir = Repo.TempDir();
        var truthPath = Path.Combine(dir, "truth.tsv");
        var (code, output) = CudaHookRun.Run(CudaHookRun.Driver, dir, hooked: true, "fsize", "20000", truthPath);
        Assert.True(code == 0, output);
        var (result, stats) = CudaHookRun.Import(Assert.Single(CudaHookRun.Logs(dir)));
        Assert.True(stats[StatsCatalog.CudaHookWriteFailed] > 0);
        Assert.Equal(0, stats[StatsCatalog.CudaHookBadRecord]);
        Assert.Equal(0, stats[StatsCatalog.CudaHookTruncated]);
        Assert.Equal(0, stats[StatsCatalog.CudaHookNoEnd]); // the limit was lifted before exit: END landed
        var truth = TruthCall.Read(truthPath);
        var got = ImportedCall.ByThread(result.Tables[0]).Values.Single();
        Assert.InRange(got.Count, 1, truth.Count - 1);
        // Whatever landed is a subsequence of what was called.
        var j = 0;
        foreach (var call in got)
        {
            while (j < truth.Count && !call.Matches(truth[j])) j++;
            Assert.True(j < truth.Count, $"imported call {call} is not in the program's log");
            j++;
        }
    }

    [Fact]
    public void Dynamic_lookups_hand_out_the_hook_and_keep_the_callers_identity()
    {
        var dir = Repo.TempDir();
        var (code, output) = CudaHookRun.Run(CudaHookRun.Driver, dir, hooked: true, "lookup");
        Assert.True(code == 0, output);
        Assert.Contains("rtld_next_is_global=1 entry_is_global=1 handle_is_global=1", output);
    }

    [Fact]
    public void Without_any_CUDA_library_the_hook_answers_not_initialized_and_writes_nothing()
    {
        var dir = Repo.TempDir();
        var (code, output) = CudaHookRun.Run(Path.Combine(CudaHookRun.Dir, "fake", "nocuda"), dir, hooked: true);
        Assert.Equal(0, code);
        Assert.Contains("cudaMalloc=3 cuMemAlloc_v2=3", output);
        Assert.Empty(CudaHookRun.Logs(dir));
    }
}
