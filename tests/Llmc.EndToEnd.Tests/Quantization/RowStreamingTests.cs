using Llmc.Compiler.Frontends;
using Llmc.Compiler.Models;
using Llmc.Compiler.Passes;
using Llmc.Compiler.Passes.Fusion;
using Llmc.Compiler.Weights;
using Llmc.Ir;
using Llmc.Ir.Quantization;
using Llmc.Targets.Cpu;
using Llmc.Tests;

namespace Llmc.EndToEnd.Tests.Quantization;

/// <summary>Weights read a block of rows at a time (as a build packs them) hold what the whole tensor holds.</summary>
public sealed class RowStreamingTests
{
    /// <summary>A matrix in memory that reads rows, as a safetensors tensor does from its mapping.</summary>
    private sealed class RowReadingMatrix(float[] values, int n, int k) : IWeightSource
    {
        public TensorType Type { get; } = new(DType.F32, n, k);

        public float[] ReadFloat32() => (float[])values.Clone();

        public bool ReadsRows => true;

        public void ReadRows(int first, Span<float> destination) => values.AsSpan(first * k, destination.Length).CopyTo(destination);
    }

    private static float[] Random(int count, int seed)
    {
        var random = new Random(seed);
        return [.. Enumerable.Range(0, count).Select(_ => (float)(random.NextDouble() * 2 - 1))];
    }

    private static RowReadingMatrix Matrix(int n, int k, int seed) => new(Random(n * k, seed), n, k);

    [Fact]
    public void Stacked_and_sliced_weights_read_any_rows_as_their_whole_tensor_holds_them()
    {
        const int k = 12;
        var stacked = new StackedWeight([Matrix(3, k, 1), Matrix(7, k, 2), Matrix(2, k, 3)], interleaveRows: false);
        var weights = new IWeightSource[]
        {
            stacked,
            new StackedWeight([Matrix(5, k, 4), Matrix(5, k, 5)], interleaveRows: true),
            new RowSliceWeight(stacked, 2, 9),
        };
        foreach (var weight in weights)
        {
            Assert.True(weight.ReadsRows);
            var whole = weight.ReadFloat32();
            var n = weight.Type[0].Size;
            for (var first = 0; first < n; first++)
                for (var rows = 1; first + rows <= n; rows++)
                {
                    var read = new float[rows * k];
                    Array.Fill(read, float.NaN);
                    weight.ReadRows(first, read);
                    Assert.Equal(whole.AsSpan(first * k, rows * k).ToArray(), read);
                }
        }
        Assert.False(new StackedWeight([Matrix(2, k, 6), new ComputedWeight(Random(2 * k, 7), new TensorType(DType.F32, 2, k))], interleaveRows: false).ReadsRows);
    }

    [Theory]
    [InlineData("stories260k-hf")]
    [InlineData("arch-goldens/llama3/model-f32.gguf")]
    public void Every_matrix_of_a_fused_model_that_reads_rows_reads_them_as_its_whole_tensor_holds_them(string source)
    {
        // The GGUF's q and k projections have their rows put back in Hugging Face order, and fusion stacks them with v
        // and interleaves gate with up: every kind of row-reading source a build meets.
        using var model = IModelSource.Open(TestPaths.Model(source.Split('/')));
        var (graph, weights) = ModelImport.Import(model, context: 64);
        PassManager.Run(graph, Pipeline.Default, new PassContext(weights, new CpuTarget("cpu-avx2")), verify: true);
        var matrices = graph.Weights.Where(w => w.Type.Rank == 2).Select(w => weights[w.Name]).ToList();
        Assert.Contains(matrices, m => m is StackedWeight);
        foreach (var matrix in matrices)
        {
            Assert.True(matrix.ReadsRows, $"{matrix.GetType().Name} {matrix.Type}");
            var (whole, n, k) = (matrix.ReadFloat32(), matrix.Type[0].Size, matrix.Type[1].Size);
            var read = new float[whole.Length];
            for (var first = 0; first < n; first += 7) matrix.ReadRows(first, read.AsSpan(first * k, Math.Min(7, n - first) * k));
            Assert.Equal(whole, read);
        }
    }

    [Theory]
    [InlineData(DType.Q4G32)]
    [InlineData(DType.Q6G32)]
    [InlineData(DType.Q8G64)]
    [InlineData(DType.Q4AG32)]
    public void A_matrix_packed_from_blocks_of_rows_holds_each_row_as_packed_alone(DType dtype)
    {
        // 21 rows: two whole blocks of eight and a short one; K = 72 leaves a short last group.
        const int n = 21, k = 72;
        var format = QuantFormat.Of(dtype);
        var values = Random(n * k, 8);
        var packed = format.View(new QuantizedWeight(new RowReadingMatrix(values, n, k), format, "w").ReadStored(), n, k);
        for (var row = 0; row < n; row++)
        {
            var alone = format.View(GroupQuantizer.Pack(values.AsSpan(row * k, k).ToArray(), 1, k, format), 1, k);
            for (var j = 0; j < k; j++) Assert.Equal(alone.Value(0, j), packed.Value(row, j));
        }
    }

    [Theory]
    [InlineData(DType.F16)]
    [InlineData(DType.BF16)]
    public void A_half_weight_rounded_a_block_of_rows_at_a_time_is_the_whole_matrix_rounded(DType half)
    {
        // 300 rows: two blocks of 128 and a short one.
        const int n = 300, k = 9;
        var values = Random(n * k, 9);
        var whole = new HalfWeight(new ComputedWeight(values, new TensorType(DType.F32, n, k)), half, "w").ReadStored();
        Assert.Equal(whole, new HalfWeight(new RowReadingMatrix(values, n, k), half, "w").ReadStored());
    }

    [Fact]
    public void A_value_beyond_f16_in_a_later_block_of_rows_is_refused_by_name()
    {
        const int n = 300, k = 9;
        var values = Random(n * k, 10);
        values[290 * k + 4] = 70000f;
        var error = Assert.Throws<Runtime.LlmcException>(() => new HalfWeight(new RowReadingMatrix(values, n, k), DType.F16, "model.big").ReadStored());
        Assert.Equal("weight 'model.big' holds 70000, outside the range of f16", error.Message);
    }
}
