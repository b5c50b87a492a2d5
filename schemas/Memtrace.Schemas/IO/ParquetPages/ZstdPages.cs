using System.Runtime.InteropServices;

namespace Memtrace.Schemas.IO.ParquetPages;

/// <summary>
/// Zstd page decompression: the system's libzstd when it loads (Debian's dpkg depends on libzstd1, so it is on
/// every machine this runs on), else ZstdSharp, the managed port Parquet.Net itself uses. Measured here on 8 MB
/// of device addresses: ZstdSharp 0.34 GB/s, libzstd 0.63 GB/s; Zstd decompression was a third of an archive read.
/// One decompression context per thread: a context owns its window tables.
/// </summary>
internal static class ZstdPages
{
    private const string Library = "libzstd.so.1";

    private static readonly bool NativeAvailable = ProbeNative();
    private static readonly ThreadLocal<NativeContext?> Native = new(() => NativeAvailable ? new NativeContext() : null);
    private static readonly ThreadLocal<ZstdSharp.Decompressor> Managed = new(() => new ZstdSharp.Decompressor());

    /// <summary>For the run's provenance and the bench: which implementation decompresses.</summary>
    public static string Implementation => NativeAvailable ? "libzstd" : "ZstdSharp";

    /// <summary>Decompresses one frame into <paramref name="destination"/>; returns the bytes written.</summary>
    public static int Decompress(ReadOnlySpan<byte> source, Span<byte> destination)
    {
        if (Native.Value is not { } ctx) return Managed.Value!.Unwrap(source, destination);
        if (source.IsEmpty) throw new InvalidDataException("empty Zstd frame");
        var n = ZSTD_decompressDCtx(ctx.Handle, ref MemoryMarshal.GetReference(destination), (nuint)destination.Length, in MemoryMarshal.GetReference(source), (nuint)source.Length);
        if (ZSTD_isError(n) != 0) throw new InvalidDataException("Zstd: " + Marshal.PtrToStringAnsi(ZSTD_getErrorName(n)));
        return checked((int)n);
    }

    /// <summary>
    /// The page writer's compression, always ZstdSharp at level 3 (zstd's default): libzstd's output differs between its
    /// versions, and an archive file's bytes (its manifest's table_sha256, a fleet unit's id) must not depend on the
    /// machine that wrote it. Writes spread over the cores one column chunk each, so the managed speed (~170 MB/s here on
    /// 40 MB of timestamps, which compress to 8 MB) is not alone on the critical path.
    /// </summary>
    public static int Compress(ReadOnlySpan<byte> source, Span<byte> destination) => Compressors.Value!.Wrap(source, destination);

    public static int CompressBound(int length) => ZstdSharp.Compressor.GetCompressBound(length);

    private static readonly ThreadLocal<ZstdSharp.Compressor> Compressors = new(() => new ZstdSharp.Compressor(3));

    private static bool ProbeNative()
    {
        if (Environment.GetEnvironmentVariable("MEMTRACE_ZSTD") == "managed") return false;
        try
        {
            ZSTD_freeDCtx(ZSTD_createDCtx());
            return true;
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException or BadImageFormatException)
        {
            return false;
        }
    }

    private sealed class NativeContext
    {
        public readonly nint Handle = ZSTD_createDCtx() is var h && h != 0 ? h : throw new OutOfMemoryException("ZSTD_createDCtx");

        ~NativeContext() => ZSTD_freeDCtx(Handle);
    }

    [DllImport(Library)] private static extern nint ZSTD_createDCtx();
    [DllImport(Library)] private static extern nuint ZSTD_freeDCtx(nint dctx);
    [DllImport(Library)] private static extern nuint ZSTD_decompressDCtx(nint dctx, ref byte dst, nuint dstCapacity, in byte src, nuint srcSize);
    [DllImport(Library)] private static extern uint ZSTD_isError(nuint code);
    [DllImport(Library)] private static extern nint ZSTD_getErrorName(nuint code);
}
