using System.IO.MemoryMappedFiles;

namespace Llmc.Runtime.Format;

/// <summary>
/// A whole file mapped read-only with its base pointer held, for readers that hand out views instead of copies
/// (engine files, safetensors, GGUF). The pointer and every span taken from it are valid until <see cref="Dispose"/>.
/// </summary>
public sealed unsafe class ReadOnlyMappedFile : IDisposable
{
    private readonly MemoryMappedFile _map;
    private readonly MemoryMappedViewAccessor _view;
    private readonly byte* _base;
    private bool _disposed;

    private ReadOnlyMappedFile(MemoryMappedFile map, MemoryMappedViewAccessor view, byte* basePointer, long length)
    {
        _map = map;
        _view = view;
        _base = basePointer;
        Length = length;
    }

    public long Length { get; }

    public byte* Pointer
    {
        get
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            return _base;
        }
    }

    /// <summary>Maps <paramref name="path"/>, which must exist and be non-empty (an empty file cannot be mapped).</summary>
    public static ReadOnlyMappedFile Open(string path)
    {
        // FileShare.Delete lets a rebuild rename a new file over this one while it is still mapped.
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read | FileShare.Delete);
        var length = stream.Length;
        var map = MemoryMappedFile.CreateFromFile(stream, null, 0, MemoryMappedFileAccess.Read, HandleInheritability.None, leaveOpen: false);
        MemoryMappedViewAccessor? view = null;
        var acquired = false;
        try
        {
            view = map.CreateViewAccessor(0, 0, MemoryMappedFileAccess.Read);
            byte* pointer = null;
            view.SafeMemoryMappedViewHandle.AcquirePointer(ref pointer);
            acquired = true;
            return new ReadOnlyMappedFile(map, view, pointer + view.PointerOffset, length);
        }
        catch
        {
            if (acquired)
                view!.SafeMemoryMappedViewHandle.ReleasePointer();
            view?.Dispose();
            map.Dispose();
            throw;
        }
    }

    /// <summary>A view of bytes the caller has already checked lie inside the file.</summary>
    public ReadOnlySpan<byte> Span(long offset, int length) => new(Pointer + offset, length);

    public void Dispose()
    {
        if (_disposed)
            return;
        _disposed = true;
        _view.SafeMemoryMappedViewHandle.ReleasePointer();
        _view.Dispose();
        _map.Dispose();
    }
}
