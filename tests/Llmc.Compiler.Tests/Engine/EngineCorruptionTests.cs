using System.Buffers.Binary;
using Llmc.Compiler.Tests.Frontends;
using Llmc.Runtime;
using Llmc.Runtime.Format;

namespace Llmc.Compiler.Tests.Engine;

/// <summary>Every damaged engine is refused on open with a message that starts with the path and says what is wrong.</summary>
public sealed class EngineCorruptionTests : IDisposable
{
    private readonly TempFolder _temp = new();
    private readonly byte[] _good;
    private readonly SectionEntry _weights;

    public EngineCorruptionTests()
    {
        var path = _temp.File("good.llmc");
        using (var writer = EngineWriter.Create(path))
        {
            writer.AddSection("tokenizer", "{}"u8);
            _weights = writer.AddSection("tensor.w", Enumerable.Range(0, 4096).Select(i => (byte)i).ToArray());
            writer.Commit(SampleManifest.Create());
        }
        _good = File.ReadAllBytes(path);
    }

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void TheUndamagedEngineOpens()
    {
        using var engine = EngineFile.Open(Write(_good));
        Assert.Equal(2, engine.Sections.Count);
    }

    [Fact]
    public void FileShorterThanTheHeader() =>
        AssertRefused(_good[..10], "truncated: 10 bytes, shorter than the 64-byte engine header");

    [Fact]
    public void TruncatedEngineLosesItsManifest()
    {
        var cut = _good[..(_good.Length - 5)];
        var message = Refusal(cut);
        Assert.Contains("truncated", message);
        Assert.Contains($"the file has {cut.Length}", message);
    }

    [Fact]
    public void OneBitFlippedInASection()
    {
        var bad = (byte[])_good.Clone();
        bad[_weights.Offset + 1000] ^= 0x10;
        AssertRefused(bad, "section 'tensor.w' is corrupt (checksum mismatch)");
    }

    [Fact]
    public void OneBitFlippedInTheManifest()
    {
        var bad = (byte[])_good.Clone();
        bad[EngineBytes.ManifestOffset(bad) + 20] ^= 0x01;
        AssertRefused(bad, "the manifest is corrupt (checksum mismatch)");
    }

    [Fact]
    public void WrongMagic()
    {
        var bad = (byte[])_good.Clone();
        "GGUF"u8.CopyTo(bad);
        AssertRefused(bad, "not an llmc engine (the file does not start with LLMCENG)");
    }

    [Fact]
    public void FutureFormatVersion()
    {
        var bad = (byte[])_good.Clone();
        BinaryPrimitives.WriteUInt32LittleEndian(bad.AsSpan(8), 4);
        AssertRefused(bad, "engine format version 4, this llmc reads 3");
    }

    [Fact]
    public void SectionRangeBeyondTheFile()
    {
        // Moving the manifest to the end and growing the file keeps the header valid while a section now points past it.
        var bad = (byte[])_good.Clone();
        var manifest = System.Text.Encoding.UTF8.GetString(EngineBytes.Manifest(bad));
        var tampered = System.Text.Encoding.UTF8.GetBytes(manifest.Replace($"\"offset\":{_weights.Offset}", "\"offset\":999999"));
        var rebuilt = bad[..(int)EngineBytes.ManifestOffset(bad)].Concat(tampered).ToArray();
        BinaryPrimitives.WriteInt64LittleEndian(rebuilt.AsSpan(24), tampered.Length);
        BinaryPrimitives.WriteUInt32LittleEndian(rebuilt.AsSpan(32), Crc32C.Compute(tampered));
        var message = Refusal(rebuilt);
        Assert.Contains("truncated: section 'tensor.w' ends at byte 1004095", message);
    }

    [Fact]
    public void MissingFile()
    {
        var path = _temp.File("absent.llmc");
        var error = Assert.Throws<ModelFileException>(() => EngineFile.Open(path));
        Assert.Equal($"{path}: not found", error.Message);
    }

    private string Write(byte[] bytes)
    {
        var path = _temp.File($"case-{Guid.NewGuid():N}.llmc");
        File.WriteAllBytes(path, bytes);
        return path;
    }

    private string Refusal(byte[] bytes)
    {
        var path = Write(bytes);
        var error = Assert.Throws<ModelFileException>(() => EngineFile.Open(path));
        Assert.Equal(path, error.Path);
        Assert.StartsWith(path + ": ", error.Message);
        return error.Problem;
    }

    private void AssertRefused(byte[] bytes, string problem) => Assert.Equal(problem, Refusal(bytes));
}
