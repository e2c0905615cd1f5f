using System.Text.Json;
using Llmc.Benchmarks.Quantization;
using Llmc.Compiler.Build;
using Llmc.Compiler.Weights;
using Llmc.Ir;
using Llmc.Ir.Quantization;
using Llmc.Tests;

namespace Llmc.EndToEnd.Tests.Quantization;

/// <summary>
/// llmc's q8 and q4 against llama.cpp's Q8_0 and Q4_0 roundings of the same weights (<see cref="GgmlReferenceRounding"/>):
/// a model rounded the llama.cpp way is stored by an llmc build exactly as those blocks, so both roundings run on
/// llmc's runtime, and llmc's diverges from f32 no more than llama.cpp's.
/// </summary>
[Collection(StoriesCollection.Name)]
public sealed class GgmlReferenceTests(StoriesEngines engines)
{
    [Theory]
    [InlineData(GgmlReferenceType.Q8_0, DType.Q8G32)]
    [InlineData(GgmlReferenceType.Q4_0, DType.Q4G32)]
    public void An_llmc_build_stores_a_llama_cpp_rounded_matrix_as_its_blocks_with_or_without_error_feedback(GgmlReferenceType type, DType dtype)
    {
        const int n = 6, k = 72; // K = 72: two whole blocks and a short one
        var format = QuantFormat.Of(dtype);
        var random = new Random(5);
        var values = new float[n * k];
        for (var i = 0; i < values.Length; i++) values[i] = (float)((random.NextDouble() * 2 - 1) * Math.Pow(10, i / k - 3));
        var blocks = new PackedMatrix(format, n, k);
        var codes = new sbyte[GgmlReferenceRounding.BlockSize];
        for (var row = 0; row < n; row++)
            for (var start = 0; start < k; start += GgmlReferenceRounding.BlockSize)
            {
                var length = Math.Min(GgmlReferenceRounding.BlockSize, k - start);
                var d = GgmlReferenceRounding.RoundBlock(type, values.AsSpan(row * k + start, length), codes);
                blocks.SetGroup(row, start / GgmlReferenceRounding.BlockSize, (float)d, 0);
                blocks.SetCodes(row, start, [.. codes[..length].Select(q => q + format.ZeroCode)]);
            }
        var rounded = (float[])values.Clone();
        for (var row = 0; row < n; row++) GgmlReferenceRounding.RoundRow(type, rounded.AsSpan(row * k, k));

        Assert.Equal(blocks.Bytes, GroupQuantizer.Pack(rounded, n, k, format));
        Assert.Equal(blocks.Bytes, GptqQuantizer.Pack(rounded, n, k, format, InputGram(random, k)));
        // The roundings differ on the unrounded values (q8 picks codes for the f16 scale it stores, q4 searches), so
        // the equalities above are not those of one rounding with itself.
        Assert.NotEqual(blocks.Bytes, GroupQuantizer.Pack(values, n, k, format));
    }

    [Theory]
    [InlineData(GgmlReferenceType.Q8_0, "q8")]
    [InlineData(GgmlReferenceType.Q4_0, "q4")]
    public void Llmc_diverges_from_f32_no_more_than_llama_cpp_rounding_of_the_same_weights(GgmlReferenceType type, string quant)
    {
        var reference = Path.Combine(engines.Directory, $"stories-{type}-rounded");
        GgmlRoundedModel.Write(type, StoriesEngines.Source, reference);
        var own = Path.Combine(engines.Directory, $"stories-{quant}-vs-{type}.llmc");
        var ggml = Path.Combine(engines.Directory, $"stories-{type}.llmc");
        EngineBuilder.Build(new BuildOptions { Source = StoriesEngines.Source, Target = "cpu-avx2", Output = own, Quant = quant });
        EngineBuilder.Build(new BuildOptions { Source = reference, Target = "cpu-avx2", Output = ggml, Quant = quant });

        var (llmcKld, ggmlKld) = (KldMean(own), KldMean(ggml));
        Assert.True(ggmlKld > 0, $"the {type}-rounded engine should differ from f32");
        Assert.True(llmcKld <= ggmlKld, $"llmc {quant} KLD {llmcKld:E3} from f32, {type} rounding {ggmlKld:E3}");
    }

    private double KldMean(string other)
    {
        var text = Path.Combine(TestPaths.Shared, "data", "tinystories-eval.txt");
        var result = LlmcCli.Run("eval", "kld", engines.For("cpu-avx2"), other, "--file", text, "--ctx", "128", "--json");
        Assert.True(result.ExitCode == 0, result.Stderr);
        return JsonDocument.Parse(result.Stdout).RootElement.GetProperty("kld_mean").GetDouble();
    }

    /// <summary>Σ x·xᵀ over inputs whose neighbouring features share a component, as a layer's inputs do.</summary>
    private static double[,] InputGram(Random random, int k)
    {
        var gram = new double[k, k];
        var x = new double[k];
        for (var s = 0; s < 200; s++)
        {
            var shared = random.NextDouble() - 0.5;
            for (var i = 0; i < k; i++) x[i] = shared + random.NextDouble() - 0.5;
            for (var i = 0; i < k; i++)
                for (var j = 0; j < k; j++) gram[i, j] += x[i] * x[j];
        }
        return gram;
    }
}
