using System.Text.Json;

namespace Llmc.Runtime.Format;

/// <summary>
/// An engine file opened for use: memory-mapped read-only, header, manifest and every section checked on open.
/// Sections are handed out as views into the mapping (no copies), valid until <see cref="Dispose"/>.
/// </summary>
public sealed unsafe class EngineFile : IDisposable
{
    // Sections are checksummed in chunks of this many bytes, so one large section keeps every core busy.
    private const int ChecksumChunk = 4 << 20;

    private readonly ReadOnlyMappedFile _file;
    private readonly Dictionary<string, SectionEntry> _sectionsByName;

    private EngineFile(string path, ReadOnlyMappedFile file)
    {
        Path = path;
        _file = file;
        var header = ReadHeader();
        Manifest = ReadManifest(header);
        _sectionsByName = IndexSections(header);
        VerifyChecksums();
    }

    public string Path { get; }

    /// <summary>File size in bytes.</summary>
    public long Length => _file.Length;

    public EngineManifest Manifest { get; }

    public IReadOnlyList<SectionEntry> Sections => Manifest.Sections;

    public static EngineFile Open(string path)
    {
        var info = new FileInfo(path);
        if (!info.Exists)
            throw new ModelFileException(path, "not found");
        // Checked before mapping: an empty file cannot be mapped at all.
        if (info.Length < EngineLayout.HeaderSize)
            throw new ModelFileException(path, $"truncated: {info.Length} bytes, shorter than the {EngineLayout.HeaderSize}-byte engine header");

        var file = ReadOnlyMappedFile.Open(path);
        try
        {
            return new EngineFile(path, file);
        }
        catch
        {
            file.Dispose();
            throw;
        }
    }

    public bool HasSection(string name) => _sectionsByName.ContainsKey(name);

    public long SectionLength(string name) => Find(name).Length;

    /// <summary>The section's bytes in place. Sections over 2 GiB do not fit a span; use <see cref="SectionPointer"/>.</summary>
    public ReadOnlySpan<byte> Section(string name)
    {
        var section = Find(name);
        if (section.Length > int.MaxValue)
            throw new ModelFileException(Path, $"section '{name}' is {section.Length} bytes, too large for a span; read it through SectionPointer");
        return _file.Span(section.Offset, (int)section.Length);
    }

    /// <summary>A pointer to the section's first byte inside the mapping; valid until this file is disposed.</summary>
    public byte* SectionPointer(string name) => _file.Pointer + Find(name).Offset;

    /// <summary>The tokenizer the engine carries (its manifest names the section).</summary>
    public Tokenization.TokenizerModel ReadTokenizer() =>
        Tokenization.TokenizerModel.FromJson(System.Text.Encoding.UTF8.GetString(Section(Manifest.TokenizerSection)));

    public void Dispose() => _file.Dispose();

    private SectionEntry Find(string name) =>
        _sectionsByName.TryGetValue(name, out var section)
            ? section
            : throw new ModelFileException(Path, $"has no section '{name}'");

    private EngineHeader ReadHeader()
    {
        // Checked again on the mapping itself, in case the file shrank after the size check in Open.
        if (Length < EngineLayout.HeaderSize)
            throw new ModelFileException(Path, $"truncated: {Length} bytes, shorter than the {EngineLayout.HeaderSize}-byte engine header");
        var bytes = _file.Span(0, EngineLayout.HeaderSize);
        if (!bytes[..EngineHeader.Magic.Length].SequenceEqual(EngineHeader.Magic))
            throw new ModelFileException(Path, "not an llmc engine (the file does not start with LLMCENG)");
        var header = EngineHeader.Read(bytes);
        if (header.Version != EngineHeader.CurrentVersion)
            throw new ModelFileException(Path, $"engine format version {header.Version}, this llmc reads {EngineHeader.CurrentVersion}");
        if (header.Flags != 0)
            throw new ModelFileException(Path, $"unknown header flags 0x{header.Flags:x8}; format version {EngineHeader.CurrentVersion} defines none");
        if (!IsRangeInFile(header.ManifestOffset, header.ManifestLength) || header.ManifestOffset < EngineLayout.HeaderSize)
            throw new ModelFileException(Path, $"truncated or corrupt: the header puts the manifest at bytes {header.ManifestOffset} (+{header.ManifestLength}) but the file has {Length}");
        if (header.ManifestLength > int.MaxValue)
            throw new ModelFileException(Path, $"manifest length {header.ManifestLength} is absurd");
        return header;
    }

    private EngineManifest ReadManifest(EngineHeader header)
    {
        var json = _file.Span(header.ManifestOffset, (int)header.ManifestLength);
        if (Crc32C.Compute(json) != header.ManifestCrc32C)
            throw new ModelFileException(Path, "the manifest is corrupt (checksum mismatch)");
        try
        {
            return JsonSerializer.Deserialize<EngineManifest>(json, EngineJson.Options)
                ?? throw new ModelFileException(Path, "the manifest is null");
        }
        catch (JsonException e)
        {
            throw new ModelFileException(Path, $"the manifest is not valid: {e.Message}", e);
        }
    }

    private Dictionary<string, SectionEntry> IndexSections(EngineHeader header)
    {
        var byName = new Dictionary<string, SectionEntry>(StringComparer.Ordinal);
        foreach (var section in Manifest.Sections)
        {
            if (!byName.TryAdd(section.Name, section))
                throw new ModelFileException(Path, $"the manifest lists section '{section.Name}' twice");
            if (section.Offset < 0 || section.Length < 0)
                throw new ModelFileException(Path, $"section '{section.Name}' has a negative offset or length");
            if (!IsRangeInFile(section.Offset, section.Length))
                throw new ModelFileException(Path, $"truncated: section '{section.Name}' ends at byte {(ulong)section.Offset + (ulong)section.Length} but the file has only {Length}");
            var end = section.Offset + section.Length;
            if (section.Offset < EngineLayout.HeaderSize || (section.Offset < header.ManifestOffset + header.ManifestLength && end > header.ManifestOffset))
                throw new ModelFileException(Path, $"section '{section.Name}' overlaps the header or the manifest");
        }
        return byName;
    }

    /// <summary>
    /// Checks every section's CRC-32C. The sections are cut into chunks checksummed on all cores and joined per section
    /// (<see cref="Crc32C.Combine"/>); the first section in manifest order that does not match is named.
    /// </summary>
    private void VerifyChecksums()
    {
        var chunks = new List<(int Section, long Offset, int Length)>();
        for (var i = 0; i < Sections.Count; i++)
        {
            var section = Sections[i];
            for (long done = 0; done < section.Length; done += ChecksumChunk)
                chunks.Add((i, section.Offset + done, (int)Math.Min(ChecksumChunk, section.Length - done)));
        }
        var crcs = new uint[chunks.Count];
        Parallel.For(0, chunks.Count, c => crcs[c] = Crc32C.Compute(_file.Span(chunks[c].Offset, chunks[c].Length)));
        var joined = new uint[Sections.Count];
        for (var c = 0; c < chunks.Count; c++)
            joined[chunks[c].Section] = Crc32C.Combine(joined[chunks[c].Section], crcs[c], chunks[c].Length);
        for (var i = 0; i < Sections.Count; i++)
            if (joined[i] != Sections[i].Crc32C)
                throw new ModelFileException(Path, $"section '{Sections[i].Name}' is corrupt (checksum mismatch)");
    }

    private bool IsRangeInFile(long offset, long length) =>
        offset >= 0 && length >= 0 && offset <= Length && length <= Length - offset;
}
