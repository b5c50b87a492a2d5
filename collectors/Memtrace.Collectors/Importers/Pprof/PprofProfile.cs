using Google.Protobuf;

namespace Memtrace.Collectors.Importers.Pprof;

/// <summary>
/// The parts of pprof's profile.proto (github.com/google/pprof/proto/profile.proto) memtrace uses, read
/// at the wire level with Google.Protobuf's CodedInputStream, so no generated code is needed:
/// Profile { 1 sample_type: ValueType*, 2 sample: Sample*, 4 location: Location*, 5 function: Function*,
/// 6 string_table: string*, 9 time_nanos, 10 duration_nanos, 11 period_type, 12 period }.
/// Unknown fields are skipped, as protobuf requires.
/// </summary>
public sealed class PprofProfile
{
    public sealed record ValueType(long Type, long Unit);
    public sealed record Sample(ulong[] LocationIds, long[] Values);
    public sealed record Line(ulong FunctionId, long LineNo);
    public sealed record Location(ulong Id, ulong Address, Line[] Lines);
    public sealed record Function(ulong Id, long Name, long Filename);

    public List<ValueType> SampleTypes { get; } = [];
    public List<Sample> Samples { get; } = [];
    public Dictionary<ulong, Location> Locations { get; } = [];
    public Dictionary<ulong, Function> Functions { get; } = [];
    public List<string> Strings { get; } = [];
    public long TimeNanos { get; private set; }
    public long Period { get; private set; }
    public ValueType? PeriodType { get; private set; }

    public string Str(long index) => index >= 0 && index < Strings.Count ? Strings[(int)index] : "";

    /// <exception cref="InvalidProtocolBufferException">The bytes are not a well-formed message.</exception>
    /// <exception cref="InvalidDataException">The message is not a profile.</exception>
    public static PprofProfile Parse(byte[] bytes)
    {
        var p = new PprofProfile();
        var input = new CodedInputStream(bytes);
        uint tag;
        while ((tag = input.ReadTag()) != 0)
        {
            switch (WireFormat.GetTagFieldNumber(tag))
            {
                case 1: p.SampleTypes.Add(ReadValueType(input.ReadBytes())); break;
                case 2: p.Samples.Add(ReadSample(input.ReadBytes())); break;
                case 4: var loc = ReadLocation(input.ReadBytes()); p.Locations[loc.Id] = loc; break;
                case 5: var fn = ReadFunction(input.ReadBytes()); p.Functions[fn.Id] = fn; break;
                case 6: p.Strings.Add(input.ReadString()); break;
                case 9: p.TimeNanos = input.ReadInt64(); break;
                case 11: p.PeriodType = ReadValueType(input.ReadBytes()); break;
                case 12: p.Period = input.ReadInt64(); break;
                default: input.SkipLastField(); break;
            }
        }
        if (p.Strings.Count == 0 || p.Strings[0] != "") throw new InvalidDataException("string_table must start with the empty string");
        return p;
    }

    /// <summary>Reads one message's fields; <paramref name="field"/> consumes a field it knows and returns false for the rest, which are skipped.</summary>
    private static void Fields(ByteString b, Func<uint, CodedInputStream, bool> field)
    {
        var input = b.CreateCodedInput();
        uint tag;
        while ((tag = input.ReadTag()) != 0)
        {
            if (!field(tag, input)) input.SkipLastField();
        }
    }

    private static ValueType ReadValueType(ByteString b)
    {
        long type = 0, unit = 0;
        Fields(b, (tag, i) => WireFormat.GetTagFieldNumber(tag) switch
        {
            1 => Set(ref type, i.ReadInt64()),
            2 => Set(ref unit, i.ReadInt64()),
            _ => false,
        });
        return new ValueType(type, unit);
    }

    private static bool Set<T>(ref T target, T value)
    {
        target = value;
        return true;
    }

    private static Sample ReadSample(ByteString b)
    {
        var locs = new List<ulong>();
        var values = new List<long>();
        Fields(b, (tag, input) =>
        {
            var field = WireFormat.GetTagFieldNumber(tag);
            if (field is not (1 or 2)) return false;
            // Repeated scalars arrive packed (one length-delimited run) or one varint per tag.
            if (WireFormat.GetTagWireType(tag) == WireFormat.WireType.LengthDelimited)
            {
                var run = input.ReadBytes().CreateCodedInput();
                while (!run.IsAtEnd)
                {
                    if (field == 1) locs.Add(run.ReadUInt64()); else values.Add(run.ReadInt64());
                }
            }
            else if (field == 1) locs.Add(input.ReadUInt64());
            else values.Add(input.ReadInt64());
            return true;
        });
        return new Sample([.. locs], [.. values]);
    }

    private static Location ReadLocation(ByteString b)
    {
        ulong id = 0, address = 0;
        var lines = new List<Line>();
        Fields(b, (tag, i) => WireFormat.GetTagFieldNumber(tag) switch
        {
            1 => Set(ref id, i.ReadUInt64()),
            3 => Set(ref address, i.ReadUInt64()),
            4 => Add(lines, ReadLine(i.ReadBytes())),
            _ => false,
        });
        return new Location(id, address, [.. lines]);
    }

    private static bool Add<T>(List<T> list, T item)
    {
        list.Add(item);
        return true;
    }

    private static Line ReadLine(ByteString b)
    {
        ulong fn = 0;
        long line = 0;
        Fields(b, (tag, i) => WireFormat.GetTagFieldNumber(tag) switch
        {
            1 => Set(ref fn, i.ReadUInt64()),
            2 => Set(ref line, i.ReadInt64()),
            _ => false,
        });
        return new Line(fn, line);
    }

    private static Function ReadFunction(ByteString b)
    {
        ulong id = 0;
        long name = 0, file = 0;
        Fields(b, (tag, i) => WireFormat.GetTagFieldNumber(tag) switch
        {
            1 => Set(ref id, i.ReadUInt64()),
            2 => Set(ref name, i.ReadInt64()),
            4 => Set(ref file, i.ReadInt64()),
            _ => false,
        });
        return new Function(id, name, file);
    }

    /// <summary>
    /// Whether the bytes open like a Profile message: every tag names a Profile field with that field's
    /// wire type. Go writes period_type (11) and period (12) before sample_type (1), so no fixed first
    /// byte works. A head cut inside a field is fine; three well-formed tags are enough.
    /// </summary>
    public static bool LooksLike(ReadOnlySpan<byte> b)
    {
        var pos = 0;
        var tags = 0;
        while (pos < b.Length && tags < 16)
        {
            if (!Varint(b, ref pos, out var tag)) break;
            var field = tag >> 3;
            var wire = tag & 7;
            var lengthDelimited = field is 1 or 2 or 3 or 4 or 5 or 6 or 11 || (field == 13 && wire == 2);
            var varint = field is 7 or 8 or 9 or 10 or 12 or 14 || (field == 13 && wire == 0);
            if (lengthDelimited && wire == 2)
            {
                if (!Varint(b, ref pos, out var length)) break;
                pos += (int)Math.Min(length, int.MaxValue - (ulong)pos);
            }
            else if (varint && wire == 0)
            {
                if (!Varint(b, ref pos, out _)) break;
            }
            else return false;
            tags++;
        }
        return tags >= 3 || (tags >= 1 && pos == b.Length);
    }

    private static bool Varint(ReadOnlySpan<byte> b, ref int pos, out ulong value)
    {
        value = 0;
        for (var shift = 0; shift < 64 && pos < b.Length; shift += 7)
        {
            var x = b[pos++];
            value |= (ulong)(x & 0x7f) << shift;
            if (x < 0x80) return true;
        }
        return false;
    }

    /// <summary>Frames of a sample, innermost first: "func file:line" per line of each location (inlined calls first), or the address.</summary>
    public List<string> Frames(Sample s)
    {
        var frames = new List<string>();
        foreach (var id in s.LocationIds)
        {
            if (!Locations.TryGetValue(id, out var loc) || loc.Lines.Length == 0)
            {
                frames.Add(loc is null ? $"location {id}" : $"0x{loc.Address:x}");
                continue;
            }
            foreach (var line in loc.Lines)
            {
                var fn = Functions.GetValueOrDefault(line.FunctionId);
                frames.Add(fn is null ? $"0x{loc.Address:x}" : $"{Str(fn.Name)} {Str(fn.Filename)}:{line.LineNo}");
            }
        }
        return frames;
    }
}
