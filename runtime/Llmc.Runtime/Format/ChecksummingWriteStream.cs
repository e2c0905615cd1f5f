namespace Llmc.Runtime.Format;

/// <summary>
/// A write-only view of the engine file handed to section producers: it checksums and counts what
/// passes through, so a large tensor is written once and never buffered whole.
/// </summary>
internal sealed class ChecksummingWriteStream(Stream target) : Stream
{
    public uint Crc32C { get; private set; }

    public long BytesWritten { get; private set; }

    public override bool CanRead => false;

    public override bool CanSeek => false;

    public override bool CanWrite => true;

    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => BytesWritten;
        set => throw new NotSupportedException();
    }

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        target.Write(buffer);
        Crc32C = global::Llmc.Runtime.Format.Crc32C.Append(Crc32C, buffer);
        BytesWritten += buffer.Length;
    }

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public override void WriteByte(byte value) => Write([value]);

    // The producer must not flush the real file piecemeal; the writer flushes once on commit.
    public override void Flush()
    {
    }

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();
}
