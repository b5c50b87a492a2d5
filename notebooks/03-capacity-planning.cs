// memtrace notebook 03 — capacity planning. Runnable twin of 03-capacity-planning.ipynb (same cells).
// Run: dotnet run notebooks/03-capacity-planning.cs -- out/demo [more out dirs…]
// Charts and the CSV go to $MEMTRACE_FIGURES (default out/notebooks/<notebook>/).
#:project ../pipeline/Memtrace.Notebooks
#:property PublishAot=false
using Memtrace.Notebooks;
using Microsoft.Data.Analysis;

string[] outDirs = args.Length > 0 ? args : ["out/demo"];
var outDir = outDirs[0];
var figures = Environment.GetEnvironmentVariable("MEMTRACE_FIGURES") ?? Path.Combine("out", "notebooks", "03-capacity-planning");
var twin = new TwinOutput(figures);
void Show(object? value, string? title = null) => twin.Show(value, title);

// %% [markdown]
// # Capacity planning across runs
// What should the memory limit, GOMEMLIMIT and the RSS alerts be? Each run's `capacity_plan` holds the
// peaks and the recommendations (limit = headroom × peak working set; GOMEMLIMIT and the two RSS alert
// thresholds from seed 004), and `alert_backtest` replays those alerts over the trace to show how long
// before the OOM they would have fired. This notebook puts every run side by side and exports a CSV for
// the planning spreadsheet.

// %%
var runs = outDirs.Select(RunResults.Open).ToList();
Show($"{runs.Count} run(s): {string.Join(", ", runs.Select(r => r.Dir))}");
var plan = RunResults.Concat(runs, "capacity_plan");
var table = Frames.Select(plan, "run", "pid", "cgroup_path", "peak_working_set", "limit", "headroom_factor", "recommended_limit",
    "recommended_gomemlimit", "alert_rss_a", "alert_rss_b", "ooms");
Show(table, "capacity plan");

// %% [markdown]
// ## Alerts replayed over the trace: lead time before the OOM

// %%
var alerts = RunResults.Concat(runs, "alert_backtest");
Show(Frames.Select(alerts, "run", "pid", "alert", "threshold_min", "first_fire_ts_ns", "oom_ts_ns", "fired_before_oom", "lead_time_ns", "false_alarms"), "alert back-test");
for (var i = 0; i < alerts.Rows.Count; i++)
    if (alerts["lead_time_ns"][i] is long lead)
        Show($"{alerts["run"][i]} pid {alerts["pid"][i]}: alert {alerts["alert"][i]} fired {lead / 1e9:0.0} s before the OOM kill");

// %% [markdown]
// ## GPU pools: the device memory each would need

// %%
var gpu = RunResults.Concat(runs, "gpu_capacity");
Show(Frames.Select(gpu, "run", "source_id", "pool", "peak_reserved", "ooms", "fragmentation_ooms", "device_needed", "device_needed_if_compacted"), "GPU capacity");

// %% [markdown]
// ## Export for the planning spreadsheet

// %%
var csvPath = Path.Combine(figures, "capacity-plan.csv");
Display.WriteCsv(table, csvPath);
Show($"wrote {table.Rows.Count} rows to {csvPath}");
