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
        return Render(dialect, template, kernel, kernel.Name);
    }

    /// <summary>
    /// The kernel's many-rows code (entry <c>&lt;kernel&gt;_rows</c>, launch with its <c>MinRows</c>): the first of the
    /// op's many-rows templates that applies to the instance; null when none does. The executor chooses the code by the
    /// step's rows (<c>seq</c>), so only kernels whose rows are the step's have one (not the LM head's <c>out</c> rows).
    /// </summary>
    public static GpuKernelText? RenderManyRows(GpuDialect dialect, IReadOnlyDictionary<string, IReadOnlyList<IManyRowsTemplate>> templates, KernelInstance kernel)
    {
        if (kernel.Result.Rank == 0 || kernel.Result[0] != Dim.Seq) return null;
        if (!templates.TryGetValue(kernel.Template, out var candidates) || candidates.FirstOrDefault(t => t.AppliesTo(kernel)) is not { } template) return null;
        var text = Render(dialect, template, kernel, kernel.Name + "_rows");
        return text with { Launch = text.Launch with { MinRows = template.MinRows(kernel), SameRounding = template.SameRounding } };
    }

    private static GpuKernelText Render(GpuDialect dialect, IGpuKernelTemplate template, KernelInstance kernel, string entry)
    {
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
            dialect.WriteKernel(w, new GpuKernelSignature(entry, writes, shape), () => template.Render(new GpuKernelSource(w, dialect, kernel, shape)));
            return new GpuKernelText(kernel, entry, w.ToString(), shape.Launch);
        }
        catch (Exception e) when (e is TargetException or IrException)
        {
            throw new TargetException($"{dialect.Target}: kernel {entry} cannot be rendered: {e.Message}");
        }
    }

    /// <summary>Workgroups of <paramref name="size"/> threads enough to cover <paramref name="count"/> items.</summary>
    public static int GroupsFor(long count, int size) => checked((int)Math.Max(1, (count + size - 1) / size));
}
