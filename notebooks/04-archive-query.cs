// memtrace notebook 04 — querying a trace archive. Runnable twin of 04-archive-query.ipynb (same cells).
// Run: dotnet run notebooks/04-archive-query.cs -- out/demo
// Charts go to $MEMTRACE_FIGURES (default out/notebooks/<notebook>/).
#:project ../pipeline/Memtrace.Notebooks
#:property PublishAot=false
using Memtrace.Notebooks;
using Microsoft.Data.Analysis;

string[] outDirs = args.Length > 0 ? args : ["out/demo"];
var outDir = outDirs[0];
var figures = Environment.GetEnvironmentVariable("MEMTRACE_FIGURES") ?? Path.Combine("out", "notebooks", "04-archive-query");
var twin = new TwinOutput(figures);
void Show(object? value, string? title = null) => twin.Show(value, title);

// %% [markdown]
// # The raw tables of an archive
// A trace archive is a manifest plus one Parquet file per canonical table and imported source. Here we
// open the archive a run read, list what it holds, and query the raw rows as DataFrames.

// %%
var archive = ArchiveTables.Open(RunResults.Open(outDir).ArchiveDir);
Show(Frames.Select(archive.Sources(), "source_id", "importer", "path"), "sources");
Show(archive.TableCounts(), "rows per raw table");

// %% [markdown]
// ## GPU allocator events by operation

// %%
var events = archive.Frame("gpu_alloc_events");
Show(Frames.CountBy(events, "op"), "events per op");

// %% [markdown]
// ## One process's resident memory, from /proc samples

// %%
var proc = archive.Frame("proc_samples");
var pids = Frames.Longs(proc, "pid").Distinct().Order().ToList();
var pid = pids[0]!.Value;
var mine = new Slice(Pid: pid).Apply(proc);
var rss = Frames.Longs(mine, "vm_rss");
Show($"pid {pid}: {mine.Rows.Count} samples, {rss.Count(v => v.HasValue)} with VmRSS (the rest after the process was gone), VmRSS from {Display.Bytes(rss.Min() ?? 0)} to {Display.Bytes(rss.Max() ?? 0)}");
Show(Charts.Lines($"pid {pid}: VmRSS and RssAnon", Frames.Longs(mine, "ts_ns"),
    [("vm_rss", Frames.Doubles(mine, "vm_rss")), ("rss_anon", Frames.Doubles(mine, "rss_anon"))], "bytes"));

// %% [markdown]
// ## The busiest syscalls in the perf capture

// %%
var syscalls = archive.Frame("syscall_events");
Show(Frames.CountBy(syscalls, "syscall", top: 5), "top syscalls");
