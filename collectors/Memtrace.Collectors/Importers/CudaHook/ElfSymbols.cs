using System.Buffers.Binary;
using System.Text;

namespace Memtrace.Collectors.Importers.CudaHook;

/// <summary>
/// Function symbols of one ELF64 little-endian object, from .symtab when present and .dynsym
/// otherwise, to name the return addresses the hook captured. Symbolizing here, at import, keeps
/// it out of the application's hot path. A file that is missing, not ELF64 or malformed yields no
/// symbols (frames then read "libfoo.so+0x1234"); it never throws.
/// </summary>
public sealed class ElfSymbols
{
    private readonly ulong[] _starts;
    private readonly ulong[] _ends;
    private readonly string[] _names;

    private ElfSymbols(List<(ulong Start, ulong End, string Name)> symbols)
    {
        symbols.Sort((a, b) => a.Start.CompareTo(b.Start));
        _starts = symbols.Select(s => s.Start).ToArray();
        _ends = symbols.Select(s => s.End).ToArray();
        _names = symbols.Select(s => s.Name).ToArray();
    }

    public int Count => _names.Length;

    public static readonly ElfSymbols Empty = new([]);

    /// <summary>The function containing a link-time address (offset from the load bias), or null.</summary>
    public string? Lookup(ulong address)
    {
        // Last symbol starting at or before the address. A zero size (hand-written assembly) is taken as
        // reaching up to the next symbol.
        int lo = 0, hi = _starts.Length;
        while (lo < hi)
        {
            var mid = (lo + hi) >>> 1;
            if (_starts[mid] <= address) lo = mid + 1; else hi = mid;
        }
        var i = lo - 1;
        if (i < 0) return null;
        return address < _ends[i] || _ends[i] == _starts[i] ? _names[i] : null;
    }

    public static ElfSymbols Load(string path)
    {
        try
        {
            if (!File.Exists(path)) return Empty;
            var info = new FileInfo(path);
            if (info.Length is < 64 or > 2L << 30) return Empty;
            return Parse(File.ReadAllBytes(path));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return Empty;
        }
    }

    /// <summary>Elf64_Ehdr: e_shoff at 0x28, e_shentsize at 0x3A, e_shnum at 0x3C. Elf64_Shdr: sh_type at 4,
    /// sh_offset at 0x18, sh_size at 0x20, sh_link at 0x28, sh_entsize at 0x38. Elf64_Sym is 24 bytes:
    /// st_name u32, st_info u8, st_other u8, st_shndx u16, st_value u64, st_size u64.</summary>
    public static ElfSymbols Parse(ReadOnlySpan<byte> f)
    {
        if (f.Length < 64 || !f.StartsWith("\u007fELF"u8) || f[4] != 2 /* ELFCLASS64 */ || f[5] != 1 /* little-endian */) return Empty;
        var shoff = BinaryPrimitives.ReadUInt64LittleEndian(f[0x28..]);
        int shentsize = BinaryPrimitives.ReadUInt16LittleEndian(f[0x3A..]), shnum = BinaryPrimitives.ReadUInt16LittleEndian(f[0x3C..]);
        if (shentsize < 64 || shoff == 0 || shoff + (ulong)shentsize * (ulong)shnum > (ulong)f.Length) return Empty;
        List<(ulong, ulong, string)>? best = null;
        foreach (var wanted in new uint[] { 2 /* SHT_SYMTAB */, 11 /* SHT_DYNSYM */ })
        {
            for (var s = 0; s < shnum && best is null; s++)
            {
                var sh = f.Slice((int)shoff + s * shentsize, shentsize);
                if (BinaryPrimitives.ReadUInt32LittleEndian(sh[4..]) != wanted) continue;
                var symbols = ReadSymbols(f, sh, shoff, shentsize, shnum);
                if (symbols.Count > 0) best = symbols;
            }
        }
        return best is null ? Empty : new ElfSymbols(best);
    }

    private static List<(ulong, ulong, string)> ReadSymbols(ReadOnlySpan<byte> f, ReadOnlySpan<byte> sh, ulong shoff, int shentsize, int shnum)
    {
        var result = new List<(ulong, ulong, string)>();
        ulong off = BinaryPrimitives.ReadUInt64LittleEndian(sh[0x18..]), size = BinaryPrimitives.ReadUInt64LittleEndian(sh[0x20..]);
        var link = BinaryPrimitives.ReadUInt32LittleEndian(sh[0x28..]);
        var entsize = BinaryPrimitives.ReadUInt64LittleEndian(sh[0x38..]);
        if (entsize < 24 || link >= shnum || off + size > (ulong)f.Length) return result;
        var strSh = f.Slice((int)shoff + (int)link * shentsize, shentsize);
        ulong strOff = BinaryPrimitives.ReadUInt64LittleEndian(strSh[0x18..]), strSize = BinaryPrimitives.ReadUInt64LittleEndian(strSh[0x20..]);
        if (strOff + strSize > (ulong)f.Length) return result;
        var strings = f.Slice((int)strOff, (int)strSize);
        for (ulong p = off; p + 24 <= off + size; p += entsize)
        {
            var sym = f.Slice((int)p, 24);
            var type = sym[4] & 0xF;
            var shndx = BinaryPrimitives.ReadUInt16LittleEndian(sym[6..]);
            var value = BinaryPrimitives.ReadUInt64LittleEndian(sym[8..]);
            var length = BinaryPrimitives.ReadUInt64LittleEndian(sym[16..]);
            var nameAt = BinaryPrimitives.ReadUInt32LittleEndian(sym);
            if (type != 2 /* STT_FUNC */ || shndx == 0 || value == 0 || nameAt >= strings.Length) continue;
            var name = strings[(int)nameAt..];
            var nul = name.IndexOf((byte)0);
            result.Add((value, value + length, Encoding.UTF8.GetString(nul < 0 ? name : name[..nul])));
        }
        return result;
    }
}
