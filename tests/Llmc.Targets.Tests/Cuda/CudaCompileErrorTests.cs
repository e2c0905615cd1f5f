using Llmc.Ir;
using Llmc.Targets.Cuda;
using Llmc.Targets.Gpu;

namespace Llmc.Targets.Tests.Cuda;

/// <summary>A kernel NVRTC rejects: the error names that kernel, its line and the offending source, and NVRTC's message.</summary>
public sealed class CudaCompileErrorTests
{
    [NvrtcFact]
    public void CompileErrorNamesTheKernelItsLineAndNvrtcsMessage()
    {
        var type = new TensorType(DType.F32, Dim.Seq, 8);
        var good = new KernelInstance("add", [type, type], type, new Attributes());
        var bad = new KernelInstance("mul", [type, type], type, new Attributes());
        var templates = new Dictionary<string, IGpuKernelTemplate>(GpuTemplates.Default) { ["mul"] = new BrokenTemplate() };
        var target = new CudaTarget([89], templates, CudaTemplates.ManyRows);

        var error = Assert.Throws<TargetException>(() => target.Compile([good, bad]));

        var source = target.Render([good, bad]);
        var line = source.Text.Split('\n').ToList().FindIndex(l => l.Contains("not_declared_anywhere", StringComparison.Ordinal)) + 1;
        Assert.Equal(bad.Name, source.KernelAt(line)?.Kernel.Instance.Name);
        var local = source.KernelAt(line)!.Value.Line;
        Assert.StartsWith($"cuda-sm89: NVRTC could not compile kernel {bad.Name} for ", error.Message);
        Assert.Contains($"llmc_kernels.cu({line})", error.Message);
        Assert.Contains($"[kernel {bad.Name}, line {local}: float y = not_declared_anywhere + 1.0f;]", error.Message);
        Assert.Contains("identifier \"not_declared_anywhere\" is undefined", error.Message);
        Assert.DoesNotContain(good.Name, error.Message);
    }

    /// <summary>Renders the elementwise shape with a body that uses an undeclared name.</summary>
    private sealed class BrokenTemplate : IGpuKernelTemplate
    {
        public GpuKernelShape Shape(KernelInstance instance) => new(32, 1, instance.Result[0], []);

        public void Render(GpuKernelSource kernel)
        {
            kernel.Writer.Line("int i = 0;");
            kernel.Writer.Line("float y = not_declared_anywhere + 1.0f;");
            kernel.Writer.Line(kernel.StoreResult("i", "y"));
        }
    }
}
