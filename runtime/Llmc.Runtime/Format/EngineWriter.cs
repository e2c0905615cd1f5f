using System.Text.Json;

namespace Llmc.Runtime.Format;

/// <summary>
/// Writes an engine file: header placeholder, aligned sections, then the manifest, then the real header.
/// Everything goes to a temporary file beside the target that is renamed over it only on
/// <see cref="Commit"/>, so a crash or an error never leaves a half-written engine under the real name.
/// </summary>
public sealed class EngineWriter : IDisposable
{
    private readonly string _path;
    private readonly string _tempPath;
    private readonly FileStream _stream;
    private readonly List<SectionEntry> _sections = [];
    private readonly HashSet<string> _names = new(StringComparer.Ordinal);
    private bool _committed;
    private bool _disposed;

    private EngineWriter(string path, string tempPath, FileStream stream)
    {
        _path = path;
        _tempPath = tempPath;
        _stream = stream;
    }

    public static EngineWriter Create(string path)
    {
        var fullPath = Path.GetFullPath(path);
        var tempPath = fullPath + ".tmp-" + Path.GetRandomFileName().Replace(".", "", StringComparison.Ordinal);
        var stream = new FileStream(tempPath, FileMode.CreateNew, FileAccess.Write, FileShare.None);
        stream.Write(new byte[EngineLayout.HeaderSize]);
        return new EngineWriter(fullPath, tempPath, stream);
    }

    public SectionEntry AddSection(string name, ReadOnlySpan<byte> data)
    {
        var offset = BeginSection(name, data.Length);
        _stream.Write(data);
        return RecordSection(name, offset, data.Length, Crc32C.Compute(data));
    }

    /// <summary>
    /// Adds a section whose bytes <paramref name="writeContent"/> streams out, for tensors too large to hold twice.
    /// The producer must write exactly <paramref name="length"/> bytes (known up front because it decides alignment).
    /// </summary>
    public SectionEntry AddSection(string name, long length, Action<Stream> writeContent)
    {
        var offset = BeginSection(name, length);
        var sink = new ChecksummingWriteStream(_stream);
        writeContent(sink);
        if (sink.BytesWritten != length)
            throw new InvalidOperationException($"section '{name}' was declared as {length} bytes but its producer wrote {sink.BytesWritten}");
        return RecordSection(name, offset, length, sink.Crc32C);
    }

    /// <summary>
    /// Writes the manifest (with <see cref="EngineManifest.Sections"/> replaced by the sections added here),
    /// the header, flushes to disk and renames the file into place. Returns the manifest as written.
    /// </summary>
    public EngineManifest Commit(EngineManifest manifest)
    {
        ThrowIfFinished();
        var written = manifest with { Sections = [.. _sections] };
        var json = JsonSerializer.SerializeToUtf8Bytes(written, EngineJson.Options);
        var manifestOffset = PadTo(EngineLayout.SectionAlignment);
        _stream.Write(json);

        var header = new byte[EngineLayout.HeaderSize];
        new EngineHeader(EngineHeader.CurrentVersion, 0, manifestOffset, json.Length, Crc32C.Compute(json)).WriteTo(header);
        _stream.Position = 0;
        _stream.Write(header);
        _stream.Flush(flushToDisk: true);
        _stream.Dispose();

        // rename(2) within one directory is atomic: readers see the old engine or the new one, never a mix.
        File.Move(_tempPath, _path, overwrite: true);
        _committed = true;
        return written;
    }

    /// <summary>Without a commit, discards the temporary file.</summary>
    public void Dispose()
    {
        if (_disposed)
            return;
        _disposed = true;
        _stream.Dispose();
        if (!_committed)
            File.Delete(_tempPath);
    }

    private long BeginSection(string name, long length)
    {
        ThrowIfFinished();
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        if (!_names.Add(name))
            throw new ArgumentException($"section '{name}' was already added", nameof(name));
        return PadTo(EngineLayout.AlignmentFor(length));
    }

    private SectionEntry RecordSection(string name, long offset, long length, uint crc)
    {
        var entry = new SectionEntry { Name = name, Offset = offset, Length = length, Crc32C = crc };
        _sections.Add(entry);
        return entry;
    }

    private long PadTo(int alignment)
    {
        var position = _stream.Position;
        var aligned = EngineLayout.AlignUp(position, alignment);
        if (aligned > position)
            _stream.Write(new byte[aligned - position]);
        return aligned;
    }

    private void ThrowIfFinished()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_committed)
            throw new InvalidOperationException("the engine was already committed");
    }
}
