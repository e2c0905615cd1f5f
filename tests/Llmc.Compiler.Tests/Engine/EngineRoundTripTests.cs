using System.Text;
using Llmc.Compiler.Tests.Frontends;
using Llmc.Runtime;
using Llmc.Runtime.Format;

namespace Llmc.Compiler.Tests.Engine;

public sealed class EngineRoundTripTests : IDisposable
{
    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void SectionsComeBackAlignedChecksummedAndInPlace()
    {
        var small = Encoding.UTF8.GetBytes("{\"tokens\":[]}");
        var odd = Enumerable.Range(0, 100).Select(i => (byte)i).ToArray();
        var large = new byte[(1 << 20) + 3];
        new Random(7).NextBytes(large);
        var path = _temp.File("model.llmc");

        using (var writer = EngineWriter.Create(path))
        {
            writer.AddSection("tokenizer", small);
            writer.AddSection("odd", odd);
            writer.AddSection("empty", []);
            writer.AddSection("tensor.big", large.Length, stream =>
            {
                // Written in uneven pieces, as a streaming converter would.
                stream.Write(large, 0, 1000);
                stream.Write(large.AsSpan(1000));
            });
            writer.Commit(SampleManifest.Create());
        }

        using var engine = EngineFile.Open(path);
        Assert.Equal(["tokenizer", "odd", "empty", "tensor.big"], engine.Sections.Select(s => s.Name));
        foreach (var section in engine.Sections)
        {
            Assert.Equal(0, section.Offset % EngineLayout.SectionAlignment);
            Assert.Equal(Crc32C.Compute(engine.Section(section.Name)), section.Crc32C);
        }
        Assert.Equal(0, engine.Sections.Single(s => s.Name == "tensor.big").Offset % EngineLayout.LargeSectionAlignment);

        Assert.Equal(small, engine.Section("tokenizer").ToArray());
        Assert.Equal(odd, engine.Section("odd").ToArray());
        Assert.Equal(0, engine.Section("empty").Length);
        Assert.Equal(large.LongLength, engine.SectionLength("tensor.big"));
        Assert.True(engine.Section("tensor.big").SequenceEqual(large));
        unsafe
        {
            var pointer = engine.SectionPointer("odd");
            Assert.Equal(odd, new ReadOnlySpan<byte>(pointer, odd.Length).ToArray());
        }
    }

    [Fact]
    public void ManifestRoundTripsWithSectionsFilledIn()
    {
        var path = _temp.File("model.llmc");
        EngineManifest written;
        using (var writer = EngineWriter.Create(path))
        {
            writer.AddSection("tensor.w", new byte[24]);
            written = writer.Commit(SampleManifest.Create());
        }

        using var engine = EngineFile.Open(path);
        var read = engine.Manifest;
        Assert.Equal("tensor.w", Assert.Single(written.Sections).Name);
        Assert.Equal(written.Sections, read.Sections);
        Assert.Equal(written.Model.Architecture, read.Model.Architecture);
        Assert.Equal(64, (int)read.Model.Config["hidden_size"]!);
        Assert.Equal(written.Build.CreatedUtc, read.Build.CreatedUtc);
        Assert.Equal(written.Build.Sources, read.Build.Sources);
        Assert.Equal("cpu", read.Build.Options["target"]);
        Assert.Equal([2], read.Generation.EosIds);
        Assert.Equal([2L, 3L], read.Tensors[0].Shape);
        Assert.Equal(written.Plan.Buffers, read.Plan.Buffers, (a, b) => a.Name == b.Name && a.Kind == b.Kind && a.Shape.SequenceEqual(b.Shape));
        Assert.Equal(0, read.Plan.Outputs["logits"]);
    }

    [Fact]
    public void ManifestJsonUsesSnakeCaseNames()
    {
        var path = _temp.File("model.llmc");
        using (var writer = EngineWriter.Create(path))
        {
            writer.AddSection("tensor.w", new byte[24]);
            writer.Commit(SampleManifest.Create());
        }

        var json = Encoding.UTF8.GetString(EngineBytes.Manifest(File.ReadAllBytes(path)));
        Assert.Contains("\"tokenizer_section\":\"tokenizer\"", json);
        Assert.Contains("\"max_seq\":16", json);
        Assert.Contains("\"crc32c\":", json);
    }

    [Fact]
    public void CommitReplacesAnExistingEngine()
    {
        var path = _temp.File("model.llmc");
        File.WriteAllText(path, "old contents");
        using (var writer = EngineWriter.Create(path))
        {
            writer.AddSection("a", [1, 2, 3]);
            writer.Commit(SampleManifest.Create());
        }

        using var engine = EngineFile.Open(path);
        Assert.Equal([1, 2, 3], engine.Section("a").ToArray());
        Assert.Equal([path], Directory.GetFiles(_temp.Path));
    }

    [Fact]
    public void DisposeWithoutCommitLeavesNothingBehind()
    {
        var path = _temp.File("model.llmc");
        using (var writer = EngineWriter.Create(path))
        {
            writer.AddSection("a", new byte[1000]);
            Assert.Single(Directory.GetFiles(_temp.Path));
        }
        Assert.Empty(Directory.GetFiles(_temp.Path));
    }

    [Fact]
    public void DuplicateSectionNamesAreRefused()
    {
        using var writer = EngineWriter.Create(_temp.File("model.llmc"));
        writer.AddSection("a", [1]);
        var error = Assert.Throws<ArgumentException>(() => writer.AddSection("a", [2]));
        Assert.Contains("'a'", error.Message);
    }

    [Fact]
    public void StreamedSectionMustMatchItsDeclaredLength()
    {
        using var writer = EngineWriter.Create(_temp.File("model.llmc"));
        var error = Assert.Throws<InvalidOperationException>(() => writer.AddSection("a", 10, stream => stream.Write(new byte[9])));
        Assert.Contains("wrote 9", error.Message);
    }

    [Fact]
    public void UnknownSectionIsAModelFileError()
    {
        var path = _temp.File("model.llmc");
        using (var writer = EngineWriter.Create(path))
            writer.Commit(SampleManifest.Create());

        using var engine = EngineFile.Open(path);
        var error = Assert.Throws<ModelFileException>(() => engine.Section("weights"));
        Assert.Equal($"{path}: has no section 'weights'", error.Message);
    }
}
