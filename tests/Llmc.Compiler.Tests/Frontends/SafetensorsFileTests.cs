using System.Runtime.InteropServices;
using System.Text;
using Llmc.Compiler.Frontends.Safetensors;
using Llmc.Ir;
using Llmc.Runtime;
using Llmc.Tests;

namespace Llmc.Compiler.Tests.Frontends;

public sealed class SafetensorsFileTests : IDisposable
{
    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void A_range_of_elements_widens_as_the_whole_tensor_does()
    {
        using var file = SafetensorsFile.Open(TestPaths.Model("stories260k-hf", "model.safetensors"));
        var tensor = file.Tensors["model.layers.1.mlp.gate_proj.weight"];
        var whole = tensor.ToFloat32();
        foreach (var (first, count) in new[] { (0L, 64), (64L * 100, 64 * 3), (whole.Length - 5L, 5) })
        {
            var part = new float[count];
            tensor.CopyToFloat32(first, part);
            Assert.Equal(whole.AsSpan((int)first, count).ToArray(), part);
        }
        Assert.Throws<ArgumentOutOfRangeException>(() => tensor.CopyToFloat32(whole.Length - 4L, new float[5]));
    }

    [Fact]
    public void Stories260kHasItsFortySevenF32Tensors()
    {
        using var file = SafetensorsFile.Open(TestPaths.Model("stories260k-hf", "model.safetensors"));
        Assert.Equal(47, file.Tensors.Count);
        Assert.All(file.Tensors.Values, t => Assert.Equal(DType.F32, t.DType));
        Assert.Equal("pt", file.Metadata["format"]);
        Assert.False(file.Tensors.ContainsKey("lm_head.weight"));

        Assert.Equal([512L, 64], file.Tensors["model.embed_tokens.weight"].Shape);
        Assert.Equal([64L], file.Tensors["model.norm.weight"].Shape);
        for (var layer = 0; layer < 5; layer++)
        {
            var prefix = $"model.layers.{layer}.";
            Assert.Equal([64L], file.Tensors[prefix + "input_layernorm.weight"].Shape);
            Assert.Equal([64L], file.Tensors[prefix + "post_attention_layernorm.weight"].Shape);
            Assert.Equal([64L, 64], file.Tensors[prefix + "self_attn.q_proj.weight"].Shape);
            Assert.Equal([32L, 64], file.Tensors[prefix + "self_attn.k_proj.weight"].Shape);
            Assert.Equal([32L, 64], file.Tensors[prefix + "self_attn.v_proj.weight"].Shape);
            Assert.Equal([64L, 64], file.Tensors[prefix + "self_attn.o_proj.weight"].Shape);
            Assert.Equal([172L, 64], file.Tensors[prefix + "mlp.gate_proj.weight"].Shape);
            Assert.Equal([172L, 64], file.Tensors[prefix + "mlp.up_proj.weight"].Shape);
            Assert.Equal([64L, 172], file.Tensors[prefix + "mlp.down_proj.weight"].Shape);
        }
        Assert.Equal(260_032, file.Tensors.Values.Sum(t => t.ElementCount));
    }

    [Fact]
    public void F32ValuesAreTheStoredBytes()
    {
        using var file = SafetensorsFile.Open(TestPaths.Model("stories260k-hf", "model.safetensors"));
        var norm = file.Tensors["model.norm.weight"];
        var values = norm.ToFloat32();
        Assert.Equal(64, values.Length);
        Assert.Equal(MemoryMarshal.Cast<byte, float>(norm.Bytes).ToArray(), values);
        Assert.All(values, v => Assert.True(float.IsFinite(v)));
    }

    [Fact]
    public void TensorBytesAreRefusedAfterTheFileIsClosed()
    {
        var file = SafetensorsFile.Open(TestPaths.Model("stories260k-hf", "model.safetensors"));
        var tensor = file.Tensors["model.norm.weight"];
        file.Dispose();
        Assert.Throws<ObjectDisposedException>(() => tensor.ToFloat32());
    }

    [Fact]
    public void F16IsWidenedExactly()
    {
        Half[] halves = [(Half)1, (Half)(-2), (Half)0.5f, Half.MaxValue, Half.Epsilon, Half.NegativeInfinity, (Half)0.333f];
        var path = Write(new SafetensorsBuilder().Add("h", "F16", [7], MemoryMarshal.AsBytes(halves.AsSpan())).Build());

        using var file = SafetensorsFile.Open(path);
        var tensor = file.Tensors["h"];
        Assert.Equal(DType.F16, tensor.DType);
        Assert.Equal(halves.Select(h => (float)h).ToArray(), tensor.ToFloat32());
        Assert.Equal(65504f, tensor.ToFloat32()[3]);
        Assert.Equal(5.96046448e-8f, tensor.ToFloat32()[4]);
    }

    [Fact]
    public void Bf16IsTheUpperHalfOfFloat32()
    {
        float[] expected = [1f, -3.5f, 0.15625f, 3.3895314e38f, float.NegativeInfinity, 0f];
        var upperHalves = expected.Select(f => (ushort)(BitConverter.SingleToUInt32Bits(f) >> 16)).ToArray();
        var path = Write(new SafetensorsBuilder().Add("b", "BF16", [2, 3], MemoryMarshal.AsBytes(upperHalves.AsSpan())).Build());

        using var file = SafetensorsFile.Open(path);
        var tensor = file.Tensors["b"];
        Assert.Equal(DType.BF16, tensor.DType);
        Assert.Equal([2L, 3], tensor.Shape);
        var values = new float[6];
        tensor.CopyToFloat32(values);
        Assert.Equal(expected, values);
    }

    [Fact]
    public void FileShorterThanTheLengthPrefix() =>
        AssertRefused([1, 2, 3], "truncated: 3 bytes, shorter than the 8-byte header length");

    [Fact]
    public void HeaderLongerThanTheFile() =>
        AssertRefused([.. SafetensorsBuilder.LengthPrefix(1000), .. "{}"u8], "truncated: header says 1000 bytes, file has 10");

    [Fact]
    public void AbsurdHeaderLength() =>
        AssertRefused([.. SafetensorsBuilder.LengthPrefix(long.MaxValue), .. "{}"u8], $"header length {long.MaxValue} is absurd (limit 100000000); is this a safetensors file?");

    [Fact]
    public void TruncatedData()
    {
        var whole = File.ReadAllBytes(TestPaths.Model("stories260k-hf", "model.safetensors"));
        var message = Refusal(whole[..(whole.Length - 100)]);
        Assert.Matches($"^tensor '.+' data ends at byte {whole.Length} but the file has only {whole.Length - 100}$", message);
    }

    [Fact]
    public void OffsetsPastTheEnd() =>
        AssertRefused(
            new SafetensorsBuilder().Add("x", "F32", [2], new byte[8]).Edit("x", e => e["data_offsets"] = new System.Text.Json.Nodes.JsonArray(0, 4000)).Build(),
            $"tensor 'x' data ends at byte {8 + HeaderLengthOf("x", 0, 4000) + 4000} but the file has only {8 + HeaderLengthOf("x", 0, 4000) + 8}");

    [Fact]
    public void UnsupportedDType() =>
        AssertRefused(new SafetensorsBuilder().Add("q", "I8", [4], new byte[4]).Build(), "tensor 'q' has unsupported dtype I8 (supported: F32, F16, BF16)");

    [Fact]
    public void SizeDisagreesWithShape() =>
        AssertRefused(new SafetensorsBuilder().Add("x", "F32", [3], new byte[8]).Build(), "tensor 'x' has 8 bytes but shape [3] of F32 needs 12");

    [Fact]
    public void OverlappingTensors() =>
        AssertRefused(
            new SafetensorsBuilder().Add("a", "F32", [2], new byte[8]).Add("b", "F32", [2], new byte[8])
                .Edit("b", e => e["data_offsets"] = new System.Text.Json.Nodes.JsonArray(4, 12)).Build(),
            "tensors 'a' and 'b' overlap");

    [Fact]
    public void HeaderIsNotJson()
    {
        var message = Refusal([.. SafetensorsBuilder.LengthPrefix(5), .. "{oops"u8]);
        Assert.StartsWith("header is not valid JSON", message);
    }

    /// <summary>The header length the builder produces for one tensor "x" F32 [2] with the given offsets.</summary>
    private static int HeaderLengthOf(string name, long begin, long end) =>
        Encoding.UTF8.GetByteCount($"{{\"{name}\":{{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[{begin},{end}]}}}}");

    private string Write(byte[] bytes)
    {
        var path = _temp.File($"case-{Guid.NewGuid():N}.safetensors");
        File.WriteAllBytes(path, bytes);
        return path;
    }

    private string Refusal(byte[] bytes)
    {
        var path = Write(bytes);
        var error = Assert.Throws<ModelFileException>(() => SafetensorsFile.Open(path));
        Assert.StartsWith(path + ": ", error.Message);
        return error.Problem;
    }

    private void AssertRefused(byte[] bytes, string problem) => Assert.Equal(problem, Refusal(bytes));
}
