using Llmc.Compiler.Passes;
using Llmc.Compiler.Weights;
using Llmc.Ir;
using Llmc.Targets.Cpu;
using Llmc.Tests;

namespace Llmc.EndToEnd.Tests.Quantization;

public sealed class HalfWeightsPassTests
{
    [Theory]
    [InlineData(DType.F16)]
    [InlineData(DType.BF16)]
    public void Half_storage_converts_the_matrices_and_keeps_the_norm_weights_f32(DType half)
    {
        var graph = Parser.Parse(File.ReadAllText(Path.Combine(TestPaths.RepoRoot, "tests/Llmc.EndToEnd.Tests/Quantization/Golden/quantize.before.ir")));
        var weights = new WeightStore();
        var random = new Random(5);
        var originals = new Dictionary<string, float[]>();
        foreach (var w in graph.Weights)
        {
            originals[w.Name] = [.. Enumerable.Range(0, (int)w.Type.StaticElementCount).Select(_ => (float)(random.NextDouble() - 0.5) * 3)];
            weights.Add(w.Name, new ComputedWeight(originals[w.Name], w.Type));
        }
        var context = new PassContext(weights, new CpuTarget("cpu-avx2")) { HalfWeights = half };
        Assert.True(new QuantizeWeights().Run(graph, context));
        Verifier.Verify(graph);
        Assert.Equal(DType.F32, graph.Find("norm").Type.DType);
        foreach (var name in new[] { "embed", "down" })
        {
            var stored = graph.Find($"{name}.{half.Name()}");
            Assert.Equal(half, stored.Type.DType);
            var values = weights[stored.Name].ReadFloat32();
            // Round to nearest: within half a unit in the last place of the type (2^-11 or 2^-8 relative).
            var ulp = half == DType.F16 ? 1.0 / 1024 : 1.0 / 128;
            for (var i = 0; i < values.Length; i++)
            {
                Assert.True(Math.Abs(values[i] - originals[name][i]) <= Math.Abs(originals[name][i]) * ulp / 2, $"{name}[{i}]");
                Assert.Equal(values[i], half == DType.F16 ? (float)(Half)values[i] : BitConverter.Int32BitsToSingle(BitConverter.SingleToInt32Bits(values[i]) & ~0xFFFF));
            }
        }
        // The embedding and the tied head read the same half table.
        Assert.All(graph.Nodes.Where(n => n.Op.Name is "embedding" or "linear"), n => Assert.Equal(half, n.Inputs[n.Op.Name == "embedding" ? 0 : 1].Type.DType));
    }

    [Theory]
    [InlineData(2, 1)]
    [InlineData(100, 37)]
    public void A_weight_beyond_the_f16_range_is_refused_by_name(int count, int at)
    {
        var values = Enumerable.Range(0, count).Select(i => i * 0.5f).ToArray();
        values[at] = 70000f;
        var source = new ComputedWeight(values, new TensorType(DType.F32, 1, count));
        var error = Assert.Throws<Runtime.LlmcException>(() => new HalfWeight(source, DType.F16, "model.big").ReadFloat32());
        Assert.Equal("weight 'model.big' holds 70000, outside the range of f16", error.Message);
    }

    [Theory]
    [InlineData(DType.F16)]
    [InlineData(DType.BF16)]
    public void Halves_are_written_as_each_value_rounds_alone(DType half)
    {
        // Random bit patterns within the type's range (ties included: low bits of zero with the rounding bit set), and
        // a length that leaves a remainder after the vectors.
        var random = new Random(3);
        var values = Enumerable.Range(0, 1003).Select(i =>
        {
            var bits = random.Next() & (half == DType.F16 ? 0x477F_FFFF : 0x7F7F_FFFF);
            if (i % 5 == 0) bits &= half == DType.F16 ? ~0x0FFF : ~0x7FFF;
            return BitConverter.Int32BitsToSingle(i % 2 == 0 ? bits : bits | int.MinValue);
        }).ToArray();
        var halves = new ushort[values.Length];
        Llmc.Compiler.Synth.WeightEncoding.WriteHalves(half, values, halves);
        var one = new byte[2];
        for (var i = 0; i < values.Length; i++)
        {
            Llmc.Compiler.Synth.WeightEncoding.Write(half, values[i], one);
            Assert.True(BitConverter.ToUInt16(one) == halves[i], $"{values[i]:R}: {halves[i]:X4}, expected {BitConverter.ToUInt16(one):X4}");
        }
    }
}
