using System.Text.Json;

namespace Memtrace.Pipeline.Tests.Host;

public sealed class OomsvcCapture() : GoCapture("oomsvc", ("procfs.jsonl", "capture-jsonl"), ("expvar.jsonl", "go-expvar"), ("gctrace.log", "gctrace"), ("dmesg.txt", "dmesg"));
