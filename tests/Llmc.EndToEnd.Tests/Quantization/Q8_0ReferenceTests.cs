using System.Text.Json;
using Llmc.Benchmarks.Quantization;
using Llmc.Compiler.Build;
using Llmc.Compiler.Weights;
using Llmc.Ir;
using Llmc.Ir.Quantization;
using Llmc.Tests;

namespace Llmc.EndToEnd.Tests.Quantization;

/// <summary>
/// llmc's q8 against llama.cpp's Q8_0 rounding of the same weights (<see cref="GgmlQ8_0Rounding"/>): a model rounded
/// the Q8_0 way is stored by a q8 build exactly as those blocks, so both roundings run on llmc's runtime, and llmc's
/// diverges from f32 no more than Q8_0's.
/// </summary>
[Collection(StoriesCollection.Name)]
public sealed class Q8_0ReferenceTests(StoriesEngines engines)
{
    private static readonly QuantFormat Q8G32 = QuantFormat.Of(DType.Q8G32);

    [Fact]
    public void A_q8_build_stores_a_Q8_0_rounded_matrix_as_its_blocks_with_or_without_error_feedback()
    {
        const int n = 6, k = 72; // K = 72: two whole blocks and a short one
        var random = new Random(5);
        var values = new float[n * k];
        for (var i = 0; i < values.Length; i++) values[i] = (float)((random.NextDouble() * 2 - 1) * Math.Pow(10, i / k - 3));
        var blocks = new PackedMatrix(Q8G32, n, k);
        var codes = new sbyte[GgmlQ8_0Rounding.BlockSize];
        for (var row = 0; row < n; row++)
            for (var start = 0; start < k; start += GgmlQ8_0Rounding.BlockSize)
            {
                var length = Math.Min(GgmlQ8_0Rounding.BlockSize, k - start);
                var d = GgmlQ8_0Rounding.RoundBlock(values.AsSpan(row * k + start, length), codes);
                blocks.SetGroup(row, start / GgmlQ8_0Rounding.BlockSize, (float)d, 0);
                blocks.SetCodes(row, start, [.. codes[..length].Select(q => q + Q8G32.ZeroCode)]);
            }
        var rounded = (float[])values.Clone();
        for (var row = 0; row < n; row++) GgmlQ8_0Rounding.RoundRow(rounded.AsSpan(row * k, k));

        Assert.Equal(blocks.Bytes, GroupQuantizer.Pack(rounded, n, k, Q8G32));
        Assert.Equal(blocks.Bytes, GptqQuantizer.Pack(rounded, n, k, Q8G32, InputGram(random, k)));
        // The two roundings differ on the unrounded values (llmc picks codes for the f16 scale it stores), so the
        // equalities above are not those of one rounding with itself.
        Assert.NotEqual(blocks.Bytes, GroupQuantizer.Pack(values, n, k, Q8G32));
    }

    [Fact]
    public void Llmc_q8_diverges_from_f32_no_more_than_a_Q8_0_rounding_of_the_same_weights()
    {
        var reference = Path.Combine(engines.Directory, "stories-q8_0-rounded");
        Q8_0RoundedModel.Write(StoriesEngines.Source, reference);
        var q8 = Path.Combine(engines.Directory, "stories-q8-vs-q8_0.llmc");
        var q8_0 = Path.Combine(engines.Directory, "stories-q8_0.llmc");
        EngineBuilder.Build(new BuildOptions { Source = StoriesEngines.Source, Target = "cpu-avx2", Output = q8, Quant = "q8" });
        EngineBuilder.Build(new BuildOptions { Source = reference, Target = "cpu-avx2", Output = q8_0, Quant = "q8" });

        var (llmc, ggml) = (KldMean(q8), KldMean(q8_0));
        Assert.True(ggml > 0, "the Q8_0-rounded engine should differ from f32");
        Assert.True(llmc <= ggml, $"llmc q8 KLD {llmc:E3} from f32, Q8_0 rounding {ggml:E3}");
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
