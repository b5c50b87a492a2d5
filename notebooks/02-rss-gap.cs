// memtrace notebook 02 — RSS gap. Runnable twin of 02-rss-gap.ipynb (same cells).
// Run: dotnet run notebooks/02-rss-gap.cs -- out/demo
// Charts go to $MEMTRACE_FIGURES (default out/notebooks/<notebook>/).
#:project ../pipeline/Memtrace.Notebooks
#:property PublishAot=false
using Memtrace.Notebooks;
using Microsoft.Data.Analysis;

string[] outDirs = args.Length > 0 ? args : ["out/demo"];
var outDir = outDirs[0];
var figures = Environment.GetEnvironmentVariable("MEMTRACE_FIGURES") ?? Path.Combine("out", "notebooks", "02-rss-gap");
var twin = new TwinOutput(figures);
void Show(object? value, string? title = null) => twin.Show(value, title);

// %% [markdown]
// # Why was the container OOM-killed when its Go heap was small?
// `rss_gap_attribution` splits the container's memory (cgroup usage, or the process RSS where there is
// no cgroup) into layers: live Go heap, unused spans, free-but-unreturned heap, goroutine stacks,
// runtime metadata, off-heap anonymous memory, files and shmem, other processes, page cache, kernel and
// the residual. This notebook shows the layers at the peak and at the OOM kill, and walks through the flags.

// %%
var run = RunResults.Open(outDir);
var plan = run.Frame("capacity_plan");
Show(Frames.Select(plan, "pid", "cgroup_path", "peak_working_set", "limit", "ooms", "first_oom_ts_ns"), "workloads");
var worst = Enumerable.Range(0, (int)plan.Rows.Count).OrderByDescending(i => (long)plan["ooms"][i]!).ThenBy(i => (long)plan["pid"][i]!).First();
var pid = (long)plan["pid"][worst]!;
var oomNs = (long?)plan["first_oom_ts_ns"][worst];
Show($"looking at pid {pid} ({plan["cgroup_path"][worst]}), OOM-killed {plan["ooms"][worst]} time(s)");

// %% [markdown]
// ## The layers at the peak and just before the OOM kill
// The peak is the instant with the largest total; "at the OOM" is the last attributed instant before
// the kill (the process is gone after it).

// %%
var wide = run.Frame("rss_gap_attribution_wide", new Slice(Pid: pid));
var totals = Frames.Longs(wide, "total");
var times = Frames.Longs(wide, "ts_ns");
var peakNs = times[Enumerable.Range(0, totals.Length).MaxBy(i => totals[i])];
var layers = run.Frame("rss_gap_attribution", new Slice(Pid: pid));
var layerTimes = Frames.Longs(layers, "ts_ns");
var beforeOom = layerTimes.Where(t => oomNs is null || t < oomNs).Max();
var instants = peakNs == beforeOom ? new[] { ("peak, which is also the last instant before the OOM", peakNs) } : [("peak", peakNs), ("at the OOM", beforeOom)];
foreach (var (label, at) in instants)
{
    var rows = layers.Filter(new PrimitiveDataFrameColumn<bool>("at", layerTimes.Select(t => t == at)));
    Show(Frames.Select(rows, "layer", "bytes", "cause"), $"{label}: {Display.Time(at!.Value)} UTC, {Display.Bytes(Frames.Longs(rows, "bytes").Sum(b => b ?? 0))} in all");
}

// %% [markdown]
// ## The layers over time

// %%
Show(Charts.Lines($"pid {pid}: memory by layer", times,
    [("total", Frames.Doubles(wide, "total")), ("go_live_heap", Frames.Doubles(wide, "go_live_heap")),
     ("off_heap_anon", Frames.Doubles(wide, "off_heap_anon")), ("goroutine_stacks", Frames.Doubles(wide, "goroutine_stacks")),
     ("page_cache_active", Frames.Doubles(wide, "page_cache_active"))], "bytes"));

// %% [markdown]
// ## Flags, one by one
// Each flag has a window, the value against its threshold, and the evidence it was raised on.

// %%
var flags = run.Frame("flags", new Slice(Pid: pid));
for (var i = 0; i < flags.Rows.Count; i++)
    Show($"[{flags["severity"][i]}] {flags["kind"][i]} from {Display.Time((long)flags["start_ts_ns"][i]!)} to {Display.Time((long)flags["end_ts_ns"][i]!)}: {flags["evidence"][i]}");
