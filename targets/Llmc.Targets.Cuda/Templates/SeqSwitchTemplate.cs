using System.Globalization;
using Llmc.Targets.Gpu;

namespace Llmc.Targets.Cuda.Templates;

/// <summary>
/// One kernel entry that picks its body at run time from the step's symbols: the CUDA-only <paramref name="variant"/>
/// when its condition holds, the shared template otherwise. The plan keeps one kernel per node and the decode graph
/// captures the decode body, so neither the plan format nor the runtime knows about variants. The grid is the wider of
/// the two; the shared body runs in the first workgroups it asked for, seeing its own workgroup count.
/// </summary>
public sealed class SeqSwitchTemplate(IGpuKernelTemplate shared, ICudaVariant variant) : IGpuKernelTemplate
{
    public GpuKernelShape Shape(KernelInstance instance)
    {
        var sharedShape = shared.Shape(instance);
        if (!variant.AppliesTo(instance)) return sharedShape;
        var (groupsX, arrays) = variant.Shape(instance, sharedShape.LocalSize);
        return sharedShape with
        {
            GroupsX = Math.Max(groupsX, sharedShape.GroupsX),
            Shared = [.. sharedShape.Shared, .. arrays],
        };
    }

    public void Render(GpuKernelSource kernel)
    {
        if (!variant.AppliesTo(kernel.Instance))
        {
            shared.Render(kernel);
            return;
        }
        var w = kernel.Writer;
        var sharedShape = shared.Shape(kernel.Instance);
        var cuda = (CudaDialect)kernel.Dialect;
        var groups = sharedShape.GroupsX.ToString(CultureInfo.InvariantCulture);
        using (w.Block($"if ({variant.Condition})"))
            variant.Render(kernel);
        using (w.Block($"else if ({cuda.GroupX} < {groups})"))
            shared.Render(new GpuKernelSource(w, cuda with { GroupCountOverride = groups }, kernel.Instance, sharedShape));
    }
}
