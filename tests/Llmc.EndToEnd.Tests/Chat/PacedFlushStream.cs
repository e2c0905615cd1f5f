namespace Llmc.EndToEnd.Tests.Chat;

/// <summary>
/// A response body that waits <paramref name="pace"/> before each flush, so every server-sent event reaches the client
/// on its own however fast the model writes them. The stories model writes a whole reply in milliseconds; on a loaded
/// machine a browser then reads it in one piece, and a test of streaming could not tell a streamed reply from a whole one.
/// </summary>
public sealed class PacedFlushStream(Stream inner, TimeSpan pace) : Stream
{
    public override bool CanRead => false;

    public override bool CanSeek => false;

    public override bool CanWrite => true;

    public override long Length => throw new NotSupportedException();

    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override void Write(byte[] buffer, int offset, int count) => inner.Write(buffer, offset, count);

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancel) => inner.WriteAsync(buffer, offset, count, cancel);

    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancel = default) => inner.WriteAsync(buffer, cancel);

    public override void Flush() => inner.Flush();

    public override async Task FlushAsync(CancellationToken cancel)
    {
        await Task.Delay(pace, cancel);
        await inner.FlushAsync(cancel);
    }

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();
}
