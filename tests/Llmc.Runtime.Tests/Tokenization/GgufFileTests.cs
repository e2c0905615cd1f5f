using Llmc.Compiler.Frontends.Gguf;
using Llmc.Runtime.Tokenization;

namespace Llmc.Runtime.Tests.Tokenization;

public class GgufFileTests
{
    private static string StoriesV1 => Llmc.Tests.TestPaths.Model("stories260k-gguf", "tinyllamas-stories-260k-f32.gguf");

    private static string StoriesV3 => Llmc.Tests.TestPaths.Model("stories260k-gguf", "stories260K-f32.v3.gguf");

    [Fact]
    public void Version_1_and_3_files_hold_the_same_metadata_and_tensors()
    {
        using var v1 = GgufFile.Open(StoriesV1);
        using var v3 = GgufFile.Open(StoriesV3);
        Assert.Equal((1u, 3u), (v1.Version, v3.Version));

        Assert.Equal(v1.Metadata.Keys, v3.Metadata.Keys);
        foreach (var (key, value) in v1.Metadata)
        {
            Assert.Equal(value.Type, v3.Metadata[key].Type);
            Assert.Equal(value.ElementType, v3.Metadata[key].ElementType);
            if (value.Value is Array array)
                Assert.Equal(array.Cast<object>(), ((Array)v3.Metadata[key].Value).Cast<object>());
            else
                Assert.Equal(value.Value, v3.Metadata[key].Value);
        }

        Assert.Equal(48, v1.Tensors.Count);
        foreach (var tensor in v1.Tensors)
        {
            var other = v3.GetTensor(tensor.Name);
            Assert.Equal(tensor.Dimensions, other.Dimensions);
            Assert.Equal(tensor.Type, other.Type);
            Assert.True(v1.GetTensorData(tensor).SequenceEqual(v3.GetTensorData(other)), tensor.Name);
        }
    }

    [Fact]
    public void Typed_metadata_accessors_read_the_llama_header()
    {
        using var file = GgufFile.Open(StoriesV3);
        Assert.Equal("llama", file.GetString("general.architecture"));
        Assert.Equal(64, file.GetInt64("llama.embedding_length"));
        Assert.Equal(4, file.GetInt64("llama.attention.head_count_kv"));
        Assert.Equal(1e-5, file.GetFloat64("llama.attention.layer_norm_rms_epsilon"), 1e-9);
        Assert.Equal(512, file.GetStringArray("tokenizer.ggml.tokens").Length);
        Assert.Equal(512, file.GetFloat32Array("tokenizer.ggml.scores").Length);
        Assert.Equal(512, file.GetInt32Array("tokenizer.ggml.token_type").Length);
        Assert.Equal(7, file.GetInt64("no.such.key", 7));
        Assert.Equal(32u, file.Alignment);
        Assert.Equal(0, file.DataOffset % 32);

        var missing = Assert.Throws<ModelFileException>(() => file.GetString("no.such.key"));
        Assert.Contains("no.such.key", missing.Message);
        var wrongType = Assert.Throws<ModelFileException>(() => file.GetString("llama.embedding_length"));
        Assert.Contains("llama.embedding_length", wrongType.Message);
    }

    [Fact]
    public void Tensor_infos_have_ggml_shapes_and_sizes()
    {
        using var file = GgufFile.Open(StoriesV3);
        var embedding = file.GetTensor("token_embd.weight");
        Assert.Equal([64L, 512L], embedding.Dimensions);
        Assert.Equal(GgmlType.F32, embedding.Type);
        Assert.Equal(64 * 512 * 4, embedding.ByteSize);
        Assert.Equal(embedding.ByteSize, file.GetTensorData(embedding).Length);
        Assert.False(file.TryGetTensor("no.such.tensor", out _));
    }

    [Fact]
    public void Stories_gguf_tokenizer_matches_the_hugging_face_one()
    {
        using var file = GgufFile.Open(StoriesV1);
        var tokenizer = new Tokenizer(GgufTokenizerImport.Load(file));
        Assert.Equal([1, 403, 407, 261, 378], tokenizer.Encode("Once upon a time"));
        foreach (var text in LlamaCppVocabCases.Inputs(LlamaCppVocabCases.SpmVocab))
            Assert.Equal(TestTokenizers.Stories260K.Encode(text), tokenizer.Encode(text));
    }

    [Fact]
    public void Llama_cpp_vocab_files_import_their_special_ids()
    {
        var spm = TestTokenizers.GgufSpm.Model;
        Assert.Equal((TokenizerKind.Spm, 32000, 1, 2, 0, true), (spm.Kind, spm.Pieces.Length, spm.BosId, spm.EosId, spm.UnknownId, spm.AddBos));
        var gpt2 = TestTokenizers.GgufGpt2.Model;
        Assert.Equal((TokenizerKind.ByteLevel, PreTokenizerKind.Gpt2, 50257, 50256, 50256, 50000),
            (gpt2.Kind, gpt2.PreTokenizer, gpt2.Pieces.Length, gpt2.BosId, gpt2.EosId, gpt2.Merges.Length / 3));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(10)]
    [InlineData(100)]
    [InlineData(5_000)]
    [InlineData(600_000)]
    [InlineData(1_185_000)]
    public void Truncated_file_is_reported_with_its_path(int keptBytes)
    {
        var path = Path.Combine(Path.GetTempPath(), $"llmc-truncated-{Guid.NewGuid():N}.gguf");
        using (var source = File.OpenRead(StoriesV3))
        using (var target = File.Create(path))
        {
            var buffer = new byte[keptBytes];
            source.ReadExactly(buffer);
            target.Write(buffer);
        }
        try
        {
            var error = Assert.Throws<ModelFileException>(() => GgufFile.Open(path).Dispose());
            Assert.Equal(path, error.Path);
            Assert.StartsWith(path, error.Message);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Corrupt_header_is_reported_with_its_path()
    {
        var bytes = File.ReadAllBytes(StoriesV3);
        var cases = new (string What, Action<byte[]> Damage)[]
        {
            ("magic", b => b[0] = (byte)'X'),
            ("version", b => b[4] = 9),
            ("tensor count", b => b.AsSpan(8, 8).Fill(0xFF)),
            ("first key length", b => BitConverter.TryWriteBytes(b.AsSpan(24), long.MaxValue)),
        };
        foreach (var (what, damage) in cases)
        {
            var path = Path.Combine(Path.GetTempPath(), $"llmc-corrupt-{Guid.NewGuid():N}.gguf");
            var copy = (byte[])bytes.Clone();
            damage(copy);
            File.WriteAllBytes(path, copy);
            try
            {
                var error = Assert.Throws<ModelFileException>(() => GgufFile.Open(path).Dispose());
                Assert.True(error.Message.StartsWith(path, StringComparison.Ordinal), what);
            }
            finally
            {
                File.Delete(path);
            }
        }
    }
}
