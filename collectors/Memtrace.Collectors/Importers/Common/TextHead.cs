using System.IO.Compression;
using System.Text;
using Memtrace.Schemas.Stats;

namespace Memtrace.Collectors.Importers.Common;

/// <summary>Text inputs that may arrive gzip-compressed (perf script | gzip, archived dmesg).</summary>
public static class TextHead
{
    /// <summary>A decompressed file may be at most this many times its compressed size: past that it is a gzip bomb, not a log.</summary>
    public const long MaxExpansion = ImportLimits.MaxTextExpansion;

    public static bool IsGzip(ReadOnlySpan<byte> head) => head.Length >= 2 && head[0] == 0x1f && head[1] == 0x8b;

    /// <summary>The first bytes as text, decompressing a gzip head as far as the bytes go (a cut stream is expected).</summary>
    public static string Decode(ReadOnlySpan<byte> head) => Encoding.UTF8.GetString(Inflate(head));

    /// <summary>The first bytes, inflated when they are the start of a gzip stream.</summary>
    public static byte[] Inflate(ReadOnlySpan<byte> head)
    {
        if (!IsGzip(head)) return head.ToArray();
        var buffer = new byte[64 * 1024];
        var n = 0;
        try
        {
            using var gz = new GZipStream(new MemoryStream(head.ToArray()), CompressionMode.Decompress);
            int read;
            while (n < buffer.Length && (read = gz.Read(buffer, n, buffer.Length - n)) > 0) n += read;
        }
        catch (Exception e) when (e is InvalidDataException or EndOfStreamException or IOException)
        {
            // The head ends mid-stream; what was inflated so far is enough to sniff.
        }
        return buffer[..n];
    }

    /// <summary>Opens a file for reading, inflating it when it is gzip, with the bomb guard.</summary>
    public static Stream OpenMaybeGzip(string path)
    {
        var file = File.OpenRead(path);
        Span<byte> magic = stackalloc byte[2];
        var got = file.Read(magic);
        file.Position = 0;
        if (!IsGzip(magic[..got])) return file;
        return new BoundedStream(new GZipStream(file, CompressionMode.Decompress), Math.Max(1, file.Length) * MaxExpansion, path);
    }

    /// <summary>What went wrong inflating, if anything: set when the stream is cut or corrupt (then it reads as ended).</summary>
    public static string? InflateError(Stream s) => s is BoundedStream b ? b.Error : null;

    private sealed class BoundedStream(Stream inner, long limit, string path) : Stream
    {
        private long _read;
        public string? Error { get; private set; }
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => _read; set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override int Read(byte[] buffer, int offset, int count)
        {
            if (Error is not null) return 0;
            int n;
            try
            {
                n = inner.Read(buffer, offset, count);
            }
            catch (Exception e) when (e is InvalidDataException or EndOfStreamException)
            {
                // A cut or corrupt stream: keep every line inflated so far, and say where it stopped.
                Error = $"gzip stream corrupt or cut after {_read} inflated bytes: {e.Message}";
                return 0;
            }
            if (n == 0 && count > 0) CheckTrailer();
            _read += n;
            if (_read > limit) throw new ImportRefusedException($"{Path.GetFileName(path)}: inflates past {MaxExpansion}× its compressed size (gzip bomb?)", Memtrace.Schemas.Stats.StatsCatalog.LimitInflatedBytes);
            return n;
        }

        /// <summary>
        /// .NET's GZipStream reads a file cut before its trailer as a clean end, so compare the trailer's
        /// ISIZE (inflated length mod 2³²) with what was inflated: a cut file's last four bytes are
        /// deflate data, not its length. (A multi-member file is checked against its last member only.)
        /// </summary>
        private void CheckTrailer()
        {
            if (Error is not null) return;
            using var f = File.OpenRead(path);
            if (f.Length < 18) { Error = "gzip file shorter than its header and trailer"; return; }
            f.Seek(-4, SeekOrigin.End);
            Span<byte> isize = stackalloc byte[4];
            f.ReadExactly(isize);
            if (System.Buffers.Binary.BinaryPrimitives.ReadUInt32LittleEndian(isize) != (uint)_read)
                Error = $"gzip stream ends after {_read} inflated bytes without a matching trailer (the file was cut)";
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing) inner.Dispose();
            base.Dispose(disposing);
        }
    }
}
