using Llmc.Ir;
using Llmc.Targets.Emit;

namespace Llmc.Targets.Gpu;

/// <summary>Renders kernel instances in a <see cref="GpuDialect"/> with the shared templates.</summary>
public static class GpuKernels
{
    /// <summary>Workgroup-shared bytes every Vulkan device and CUDA GPU offers (Vulkan's required minimum).</summary>
    public const int SharedBytesLimit = 16384;

    public static GpuKernelText Render(GpuDialect dialect, IReadOnlyDictionary<string, IGpuKernelTemplate> templates, KernelInstance kernel)
    {
        if (!templates.TryGetValue(kernel.Template, out var template))
            throw new TargetException($"{dialect.Target}: kernel {kernel.Name}: no GPU template for op '{kernel.Template}'");
        var w = new SourceWriter();
        try
        {
            var shape = template.Shape(kernel);
            var shared = shape.Shared.Sum(a => a.Bytes);
            if (shared > SharedBytesLimit)
                throw new TargetException($"needs {shared} bytes of shared memory, more than the {SharedBytesLimit} every device has");
            // The sampling kernel is no IR op and has no state operands.
            var states = OpRegistry.TryGet(kernel.Template, out var op) ? op.StateOperands : [];
            var writes = Enumerable.Range(0, kernel.Operands.Count + 1).Select(i => i == kernel.Operands.Count || states.Contains(i)).ToList();
            w.Line($"// {kernel.Template}({string.Join(", ", kernel.Operands)}) -> {kernel.Result}" +
                   string.Concat(kernel.Attrs.Select(a => $" {a.Key}={Attributes.Format(a.Value)}")));
            dialect.WriteKernel(w, new GpuKernelSignature(kernel.Name, writes, shape), () => template.Render(new GpuKernelSource(w, dialect, kernel, shape)));
            return new GpuKernelText(kernel, w.ToString(), shape.Launch);
        }
        catch (Exception e) when (e is TargetException or IrException)
        {
            throw new TargetException($"{dialect.Target}: kernel {kernel.Name} cannot be rendered: {e.Message}");
        }
    }

    /// <summary>Workgroups of <paramref name="size"/> threads enough to cover <paramref name="count"/> items.</summary>
    public static int GroupsFor(long count, int size) => checked((int)Math.Max(1, (count + size - 1) / size));
}
