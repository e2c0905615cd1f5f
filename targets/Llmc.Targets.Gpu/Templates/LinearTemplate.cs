using Llmc.Ir;

namespace Llmc.Targets.Gpu.Templates;

/// <summary>
/// <c>linear(x[r, K], w[N, K])</c> with f32, f16 or bf16 weights (<see cref="MatVecLayout"/>). f16/bf16 rows of even
/// length are read a word (two weights) at a time; odd rows start mid-word, so they are read per element.
/// </summary>
public sealed class LinearTemplate : IGpuKernelTemplate
{
    public GpuKernelShape Shape(KernelInstance instance) => Layout(instance).Shape(instance, []);

    public void Render(GpuKernelSource kernel)
    {
        var w = kernel.Writer;
        var d = kernel.Dialect;
        var weights = kernel.Instance.Operands[1];
        int k = weights[1].Size, n = weights[0].Size;
        var layout = Layout(kernel.Instance);
        kernel.Constant("K", k);
        kernel.Constant("N", n);
        layout.Begin(kernel);
        w.Line("float acc = 0.0f;");
        using (w.Block("if (c < N)"))
        {
            if (Paired(weights))
            {
                using (w.Block($"for (int p = lane; p < K / 2; p += {layout.Lanes})"))
                {
                    w.Line($"{d.Uint} word = {d.Word(1, "c * (K / 2) + p")};");
                    var (low, high) = kernel.Unpack(1, "word");
                    w.Line($"acc = {d.Fma(kernel.Load(0, "r * K + 2 * p"), low, "acc")};");
                    w.Line($"acc = {d.Fma(kernel.Load(0, "r * K + 2 * p + 1"), high, "acc")};");
                }
            }
            else
            {
                using (w.Block($"for (int i = lane; i < K; i += {layout.Lanes})"))
                    w.Line($"acc = {d.Fma(kernel.Load(0, "r * K + i"), kernel.Load(1, "c * K + i"), "acc")};");
            }
        }
        layout.End(kernel);
    }

    private static bool Paired(TensorType weights) => weights.DType is DType.F16 or DType.BF16 && weights[1].Size % 2 == 0;

    private static MatVecLayout Layout(KernelInstance instance)
    {
        var weights = instance.Operands[1];
        return MatVecLayout.For(Paired(weights) ? weights[1].Size / 2 : weights[1].Size);
    }
}
