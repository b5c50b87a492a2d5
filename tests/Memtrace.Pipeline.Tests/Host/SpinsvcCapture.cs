using System.Text.Json;

namespace Memtrace.Pipeline.Tests.Host;

public sealed class SpinsvcCapture() : GoCapture("spinsvc", ("procfs.jsonl", "capture-jsonl"), ("expvar.jsonl", "go-expvar"), ("perf-script.txt.gz", "perf-script"));
