// memtrace notebook 01 — GPU fragmentation. Runnable twin of 01-gpu-fragmentation.ipynb (same cells).
// Run: dotnet run notebooks/01-gpu-fragmentation.cs -- out/demo
// Charts go to $MEMTRACE_FIGURES (default out/notebooks/<notebook>/).
#:project ../pipeline/Memtrace.Notebooks
#:property PublishAot=false
using Memtrace.Notebooks;
using Microsoft.Data.Analysis;

string[] outDirs = args.Length > 0 ? args : ["out/demo"];
var outDir = outDirs[0];
var figures = Environment.GetEnvironmentVariable("MEMTRACE_FIGURES") ?? Path.Combine("out", "notebooks", "01-gpu-fragmentation");
var twin = new TwinOutput(figures);
void Show(object? value, string? title = null) => twin.Show(value, title);

// %% [markdown]
// # GPU fragmentation: was the OOM fragmentation or real demand?
// Loads a `memtrace run` out directory, shows the OOM diagnoses, plots frag_rate and
// effective_contiguous_ratio of the pool that failed, lists the stacks that broke its address space,
// and replays the pool again from the archive at another reference request size.

// %%
var run = RunResults.Open(outDir);
Show(run.Summary["gpu"]?["verdict"]?.GetValue<string>(), "GPU verdict");

// %% [markdown]
// ## OOM diagnoses
// `fragmentation`: the request fit in the total free space F but not in the largest free block L.
// `capacity`: the request was larger than F. `extra_contiguous_needed` is the smallest extra
// contiguous free space that would have served the request.

// %%
var ooms = run.Frame("oom_diagnoses");
Show(Frames.Select(ooms, "ts_ns", "source_id", "request", "free_bytes", "largest_free", "verdict", "extra_contiguous_needed"), "OOM diagnoses");
for (var i = 0; i < ooms.Rows.Count; i++)
    Show($"OOM {i + 1}: request {Display.Bytes((long)ooms["request"][i]!)}, free {Display.Bytes((long)ooms["free_bytes"][i]!)}, " +
         $"largest free block {Display.Bytes((long)ooms["largest_free"][i]!)} -> {ooms["verdict"][i]}");

// %% [markdown]
// ## The pool that failed, over time
// The dashed red line is the seed's 35 % threshold for effective_contiguous_ratio.

// %%
var source = ooms.Rows.Count > 0 ? (string)ooms["source_id"][0]! : Frames.Strings(run.Frame("fragmentation_timeline"), "source_id")[0]!;
var timeline = run.Frame("fragmentation_timeline", new Slice(SourceId: source));
Show(Charts.Lines($"pool {source}", Frames.Longs(timeline, "ts_ns"),
    [("frag_rate", Frames.Doubles(timeline, "frag_rate")), ("effective_contiguous_ratio", Frames.Doubles(timeline, "effective_contiguous_ratio"))],
    "ratio", redLine: Memtrace.Schemas.Results.FragmentationTimeline.ContiguousRedLine, yMax: 1));
Show($"timeline rows: {timeline.Rows.Count}, max frag_rate {Frames.Doubles(timeline, "frag_rate_max").Max():0.0000}, " +
     $"min effective_contiguous_ratio {Frames.Doubles(timeline, "effective_contiguous_ratio").Min():0.0000}");

// %% [markdown]
// ## Who broke the address space
// The stacks of live allocations that border small free fragments, ranked by the fragmented bytes they isolate.

// %%
var blame = run.Frame("fragmentation_blame", new Slice(SourceId: source));
Show(Frames.Select(blame, "instant", "rank", "fragmented_bytes", "fragments", "top_frame"), "blame");

// %% [markdown]
// ## Replay again at another request size
// The archive is replayed from the first event (the allocator state depends on all that came before);
// `unusable_user` is unusable_index at the new size.

// %%
var requestSize = 64L << 20;
var again = Reanalysis.Fragmentation(run.ArchiveDir, new Slice(SourceId: source), requestSize: requestSize);
var unusable = Frames.Doubles(again.Timeline, "unusable_user");
Show($"re-analysis at {Display.Bytes(requestSize)}: {again.Timeline.Rows.Count} timeline rows, {again.Ooms.Rows.Count} OOM(s), " +
     $"unusable_index at the end {unusable[^1]:0.0000}, max {unusable.Max():0.0000}");
Show(Charts.Lines($"unusable_index at {Display.Bytes(requestSize)} vs p50 / p99", Frames.Longs(again.Timeline, "ts_ns"),
    [("user size", unusable), ("p50", Frames.Doubles(again.Timeline, "unusable_p50")), ("p99", Frames.Doubles(again.Timeline, "unusable_p99"))], "unusable_index", yMax: 1));
