using Llmc.Ir;

namespace Llmc.Targets.Gpu.Templates;

/// <summary>
/// The linear family (<c>linear</c> and its <see cref="LinearFusion"/> variants) with f32, f16 or bf16 weights
/// (<see cref="MatVecLayout"/>). f16/bf16 rows of even length are read a word (two weights) at a time; odd rows start
/// mid-word, so they are read per element.
/// </summary>
public sealed class LinearTemplate(LinearFusion fusion, int maxRows) : IGpuKernelTemplate
{
    public GpuKernelShape Shape(KernelInstance instance) => Layout(instance).Shape(instance, []);

    public void Render(GpuKernelSource kernel)
    {
        var (w, d) = (kernel.Writer, kernel.Dialect);
        var weights = kernel.Instance.Operands[1];
        var layout = Layout(kernel.Instance);
        var rows = fusion.Rows;
        kernel.Constant("K", weights[1].Size);
        kernel.Constant("N", kernel.Instance.Result[1].Size);
        layout.Begin(kernel);
        fusion.RenderPrologue(kernel, layout);
        using (w.Block("if (c < N)"))
        {
            if (Paired(weights))
            {
                using (w.Block($"for (int p = lane; p < K / 2; p += {layout.Lanes})"))
                {
                    for (var j = 0; j < rows.Count; j++) w.Line($"{d.Uint} word{j} = {d.Word(1, $"({rows[j]}) * (K / 2) + p")};");
                    layout.ForRows(kernel, () =>
                    {
                        w.Line($"float x0 = {fusion.Activation(kernel, "2 * p")}, x1 = {fusion.Activation(kernel, "2 * p + 1")};");
                        for (var j = 0; j < rows.Count; j++)
                        {
                            var (low, high) = kernel.Unpack(1, $"word{j}");
                            var acc = $"acc[m * {rows.Count} + {j}]";
                            w.Line($"{acc} = {d.Fma("x1", high, d.Fma("x0", low, acc))};");
                        }
                    });
                }
            }
            else
            {
                using (w.Block($"for (int i = lane; i < K; i += {layout.Lanes})"))
                {
                    for (var j = 0; j < rows.Count; j++) w.Line($"float w{j} = {kernel.Load(1, $"({rows[j]}) * K + i")};");
                    layout.ForRows(kernel, () =>
                    {
                        w.Line($"float x = {fusion.Activation(kernel, "i")};");
                        for (var j = 0; j < rows.Count; j++)
                            w.Line($"acc[m * {rows.Count} + {j}] = {d.Fma("x", $"w{j}", $"acc[m * {rows.Count} + {j}]")};");
                    });
                }
            }
        }
        fusion.RenderStore(kernel, layout);
    }

    private static bool Paired(TensorType weights) => weights.DType is DType.F16 or DType.BF16 && weights[1].Size % 2 == 0;

    private MatVecLayout Layout(KernelInstance instance)
    {
        var weights = instance.Operands[1];
        return MatVecLayout.For(Paired(weights) ? weights[1].Size / 2 : weights[1].Size, 0, maxRows);
    }
}
