using System.Text.Json;
using Memtrace.Collectors.Importers;
using Memtrace.Pipeline.Fragmentation;
using Memtrace.Pipeline.Host;
using Memtrace.Schemas.Archive;
using Memtrace.Schemas.Model;
using Memtrace.Schemas.Tables;
using Memtrace.Tests;

namespace Memtrace.Pipeline.Tests.Host;

public sealed class OomsvcCapture() : GoCapture("oomsvc", ("procfs.jsonl", "capture-jsonl"), ("expvar.jsonl", "go-expvar"), ("gctrace.log", "gctrace"), ("dmesg.txt", "dmesg"));
