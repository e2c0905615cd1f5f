using Llmc.Compiler.Weights;
using Llmc.Ir;
using Llmc.Ir.Quantization;

namespace Llmc.EndToEnd.Tests.Quantization;

public sealed class GptqQuantizerTests
{
    [Theory]
    [InlineData(DType.Q4G32, 96)]
    [InlineData(DType.Q4G32, 172)]
    [InlineData(DType.Q4AG64, 96)]
    [InlineData(DType.Q8G32, 65)]
    public void Error_feedback_lowers_the_output_error_on_correlated_inputs(DType dtype, int k)
    {
        var format = QuantFormat.Of(dtype);
        const int n = 24, samples = 400;
        var random = new Random(k);
        var w = Gaussian(random, n * k);
        var x = CorrelatedInputs(random, samples, k);
        var gram = new double[k, k];
        for (var s = 0; s < samples; s++)
            for (var i = 0; i < k; i++)
                for (var j = 0; j < k; j++) gram[i, j] += (double)x[s, i] * x[s, j];
        var plain = OutputError(format.View(GroupQuantizer.Pack(w, n, k, format), n, k), w, x, n, k);
        var gptq = OutputError(format.View(GptqQuantizer.Pack(w, n, k, format, gram), n, k), w, x, n, k);
        Assert.True(gptq < 0.8 * plain, $"{format.Name}: GPTQ output error {gptq:E3} vs per-group search {plain:E3}");
    }

    [Fact]
    public void The_inverse_cholesky_factor_reproduces_the_inverse()
    {
        const int k = 9;
        var random = new Random(3);
        var x = CorrelatedInputs(random, 40, k);
        var a = new double[k, k];
        for (var s = 0; s < 40; s++)
            for (var i = 0; i < k; i++)
                for (var j = 0; j < k; j++) a[i, j] += (double)x[s, i] * x[s, j];
        var u = SpdMatrix.InverseCholeskyUpper(a);
        for (var i = 0; i < k; i++)
        {
            for (var j = 0; j < k; j++)
            {
                // (Uᵀ·U)·a = I
                double sum = 0;
                for (var p = 0; p < k; p++)
                {
                    double inverse = 0;
                    for (var q = 0; q < k; q++) inverse += u[q, i] * u[q, p];
                    sum += inverse * a[p, j];
                }
                Assert.True(Math.Abs(sum - (i == j ? 1 : 0)) < 1e-8, $"({i}, {j}) = {sum}");
                if (j < i) Assert.Equal(0, u[i, j]);
            }
        }
    }

    /// <summary>Σ over samples and outputs of (x·(w − ŵ))²: the layer's output error.</summary>
    private static double OutputError(QuantView view, float[] w, float[,] x, int n, int k)
    {
        double error = 0;
        for (var s = 0; s < x.GetLength(0); s++)
        {
            for (var row = 0; row < n; row++)
            {
                double d = 0;
                for (var j = 0; j < k; j++) d += (double)x[s, j] * (w[row * k + j] - view.Value(row, j));
                error += d * d;
            }
        }
        return error;
    }

    /// <summary>Inputs whose neighbouring features are strongly correlated, as a layer's activations are.</summary>
    private static float[,] CorrelatedInputs(Random random, int samples, int k)
    {
        var x = new float[samples, k];
        for (var s = 0; s < samples; s++)
        {
            double previous = 0;
            for (var j = 0; j < k; j++) x[s, j] = (float)(previous = 0.9 * previous + Gaussian(random));
        }
        return x;
    }

    private static float[] Gaussian(Random random, int count) => [.. Enumerable.Range(0, count).Select(_ => (float)Gaussian(random))];

    private static double Gaussian(Random random) => Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());
}
