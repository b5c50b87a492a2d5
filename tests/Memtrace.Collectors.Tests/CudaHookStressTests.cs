using System.Diagnostics;
using Memtrace.Collectors.Importers.CudaHook;
using Memtrace.Schemas.Stats;
using Memtrace.Tests;
using Xunit;

namespace Memtrace.Collectors.Tests;

/// <summary>
/// The hook in the worst run we can stage without a GPU: 8 threads over the fake CUDA libraries, SIGUSR1
/// every 200 µs whose handler calls cudaMalloc, a 256 KiB RLIMIT_FSIZE (a full disk) for the whole run and,
/// in the uninstrumented run, a fork once half the calls are made. Then the same under AddressSanitizer
/// (+UBSan, LeakSanitizer) and ThreadSanitizer, without the fork: gcc 12's sanitizer runtimes do not lock
/// their own allocator across fork, so a child of a multi-threaded parent deadlocks inside ASan's malloc
/// (seen 3 times in 45 runs, with the hook idle in the child) and TSan segfaults there silently. The
/// program's own results must equal an unhooked run's, the sanitizers must report nothing, and every log
/// file must import without a corrupt record.
/// </summary>
public sealed class CudaHookStressTests
{
    private const int Threads = 8;
    private const int Iterations = 3000;
    private const long HandlerRequest = 1L << 50; // the signal handler's cudaMalloc, which always answers OOM

    private static (int Code, string Out, string Err) Run(string program, string dir, string truth, string? hook, string sanitizer, bool fork)
    {
        var psi = new ProcessStartInfo(program, ["stress", Threads.ToString(), Iterations.ToString(), truth, fork ? "fork" : "nofork"])
        { RedirectStandardOutput = true, RedirectStandardError = true };
        if (hook is not null) psi.Environment["LD_PRELOAD"] = hook;
        psi.Environment["MEMTRACE_OUT"] = dir;
        psi.Environment["MEMTRACE_MEMINFO_MS"] = "10";
        // The program links the sanitizer runtime but the preloaded hook comes first in the link order: that
        // is how the hook is used, so the order check is off. halt_on_error + exitcode make any report fail the run.
        psi.Environment["ASAN_OPTIONS"] = "verify_asan_link_order=0:detect_leaks=1:halt_on_error=1:exitcode=66";
        psi.Environment["UBSAN_OPTIONS"] = "halt_on_error=1:print_stacktrace=1";
        psi.Environment["TSAN_OPTIONS"] = "halt_on_error=1:exitcode=66:die_after_fork=0";
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(120_000))
        {
            p.Kill(entireProcessTree: true);
            Assert.Fail($"{sanitizer} stress run hung (deadlock?)");
        }
        return (p.ExitCode, stdout.Result, stderr.Result);
    }

    [Theory]
    [InlineData("plain", true)]
    [InlineData("asan", false)]
    [InlineData("tsan", false)]
    public void Threads_signals_and_a_full_disk_leave_the_program_alone_and_the_log_whole(string build, bool fork)
    {
        var dir = Repo.TempDir();
        var plain = Run(CudaHookBuild.Fake("hookdriver"), Path.Combine(dir, "unused"), Path.Combine(dir, "plain.tsv"), null, "unhooked", fork);
        Assert.True(plain.Code == 0, plain.Err);

        var (program, hook) = build == "plain"
            ? (CudaHookBuild.Fake("hookdriver"), CudaHookBuild.Library)
            : (Path.Combine(CudaHookBuild.SanitizerDir(build), "hookdriver"), Path.Combine(CudaHookBuild.SanitizerDir(build), "libmemtrace_cuda.so"));
        var truth = Path.Combine(dir, "truth.tsv");
        var hooked = Run(program, dir, truth, hook, build, fork);
        Assert.True(hooked.Code == 0, $"exit {hooked.Code}: {hooked.Err}");
        Assert.DoesNotContain("Sanitizer", hooked.Err);
        Assert.DoesNotContain("runtime error", hooked.Err);
        // The program's own results (calls and return codes per thread, the child's, the handler's) are untouched.
        Assert.Equal(plain.Out, hooked.Out);
        Assert.Contains("handler calls>0=1 failures=0 child_exit=0", hooked.Out);

        var logs = CudaHookRun.Logs(dir).Select(CudaHookRun.Import).ToList();
        Assert.Equal(fork ? 2 : 1, logs.Count);
        foreach (var (_, stats) in logs)
        {
            Assert.Equal(0, stats[StatsCatalog.CudaHookBadRecord]);
            Assert.Equal(0, stats[StatsCatalog.CudaHookTruncated]);
        }
        var parent = Assert.Single(logs, l => l.Result.Notes["fork_child"] == "false");
        Assert.Equal(0, parent.Stats[StatsCatalog.CudaHookNoEnd]); // the limit is lifted before exit, so END lands
        Assert.True(parent.Stats[StatsCatalog.CudaHookWriteFailed] > 0, "the 256 KiB limit was met");
        AssertSubsequence(TruthCall.Read(truth), parent);
        if (!fork) return;
        var child = Assert.Single(logs, l => l.Result.Notes["fork_child"] == "true");
        Assert.Equal(1, child.Stats[StatsCatalog.CudaHookNoEnd]); // the child leaves by _exit: no destructor, and the importer says so
        AssertSubsequence(TruthCall.Read(truth + ".child"), child);
    }

    /// <summary>Per thread, what landed is the program's own calls in order, some lost to the full disk; the handler's extra OOMs aside.</summary>
    private static void AssertSubsequence(List<TruthCall> truth, (Importers.ImportResult Result, StatsSink Stats) log)
    {
        var byThread = truth.Where(t => t.Size != HandlerRequest).GroupBy(t => t.Tid).ToDictionary(g => g.Key, g => g.ToList());
        var landed = 0;
        foreach (var (tid, calls) in ImportedCall.ByThread(log.Result.Tables[0]))
        {
            var own = calls.Where(c => c.Requested != HandlerRequest).ToList();
            if (own.Count == 0) continue; // the signalling thread: only handler calls
            Assert.True(byThread.TryGetValue(tid, out var expected), $"thread {tid} is not one of the program's");
            var j = 0;
            foreach (var call in own)
            {
                while (j < expected.Count && !MatchesAllowingLostDevice(call, expected[j])) j++;
                Assert.True(j < expected.Count, $"tid {tid}: imported {call} is not next in the program's log");
                j++;
            }
            landed += own.Count;
        }
        // Nothing may land only from a log the importer marks unterminated: the forked child leaves by _exit,
        // with no destructor to flush its last buffer, so whatever it had not yet handed to the writer is lost
        // (CI saw a child log with no call at all). What did land must still be in the program's order.
        Assert.True(landed > 0 || log.Stats[StatsCatalog.CudaHookNoEnd] > 0, "no call landed from a log that ended cleanly");
    }

    /// <summary>A cuCtxDestroy's device comes from its cuCtxCreate; when the full disk lost that record it is unknown (-1).</summary>
    private static bool MatchesAllowingLostDevice(ImportedCall call, TruthCall truth) =>
        (call.Device == -1 && call.Op == MtcuOp.cuCtxDestroy ? call with { Device = truth.Device } : call).Matches(truth);
}
