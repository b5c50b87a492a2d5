using System.Globalization;
using Memtrace.Collectors.Importers.Common;
using Memtrace.Schemas.Model;

namespace Memtrace.Collectors.Importers.CudaHook;

/// <summary>
/// Turns the hook's raw return addresses into stacks rows. Each address is placed in the loaded
/// object whose range holds it (the MODULE records are dl_iterate_phdr's list at record time) and
/// named from that object's ELF symbols when the file is readable here: "train_step at
/// /usr/lib/libfoo.so+0x1a2b", else "?? at /usr/lib/libfoo.so+0x1a2b", else the bare address.
/// </summary>
public sealed class HookStackSymbolizer
{
    private readonly MtcuLog _log;
    private readonly StackInterner _interner;
    private readonly (ulong Base, ulong End, string Path)[] _modules;
    private readonly Dictionary<string, ElfSymbols> _symbols = new(StringComparer.Ordinal);
    private readonly Dictionary<ulong, string> _names = [];
    private readonly Dictionary<(int Start, int Count), long?> _ids;

    public HookStackSymbolizer(MtcuLog log, string sourceId)
    {
        _log = log;
        _interner = new StackInterner(sourceId);
        _ids = new Dictionary<(int, int), long?>(new FrameRangeComparer(log.Frames));
        // Later listings win for an address range that was reused after dlclose.
        _modules = log.Modules.Select(m => (m.Base, m.Base + m.Span, m.Path)).Reverse().ToArray();
    }

    public Table Table => _interner.Table;
    public int DistinctPcs => _names.Count;
    public int Symbolized { get; private set; }

    public long? StackId(int start, int count)
    {
        if (count == 0) return null;
        if (_ids.TryGetValue((start, count), out var id)) return id;
        var frames = new string[count];
        for (var i = 0; i < count; i++) frames[i] = Name(_log.Frames[start + i]);
        id = _interner.Intern(frames);
        _ids[(start, count)] = id;
        return id;
    }

    private string Name(ulong pc)
    {
        if (_names.TryGetValue(pc, out var name)) return name;
        name = $"0x{pc:x}";
        foreach (var (lo, hi, path) in _modules)
        {
            if (pc < lo || pc >= hi) continue;
            if (!_symbols.TryGetValue(path, out var symbols)) _symbols[path] = symbols = ElfSymbols.Load(path);
            var offset = pc - lo;
            // A return address points after the call; pc - 1 is inside the calling function.
            var function = symbols.Lookup(offset - 1);
            if (function is not null) Symbolized++;
            name = $"{function ?? "??"} at {path}+0x{offset.ToString("x", CultureInfo.InvariantCulture)}";
            break;
        }
        _names[pc] = name;
        return name;
    }

    /// <summary>Compares two stacks by their frames in the flat array, without copying them out.</summary>
    private sealed class FrameRangeComparer(List<ulong> frames) : IEqualityComparer<(int Start, int Count)>
    {
        public bool Equals((int Start, int Count) a, (int Start, int Count) b)
        {
            if (a.Count != b.Count) return false;
            for (var i = 0; i < a.Count; i++)
            {
                if (frames[a.Start + i] != frames[b.Start + i]) return false;
            }
            return true;
        }

        public int GetHashCode((int Start, int Count) r)
        {
            var h = new HashCode();
            for (var i = 0; i < r.Count; i++) h.Add(frames[r.Start + i]);
            return h.ToHashCode();
        }
    }
}
