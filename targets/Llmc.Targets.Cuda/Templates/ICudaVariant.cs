using Llmc.Targets.Gpu;

namespace Llmc.Targets.Cuda.Templates;

/// <summary>
/// A CUDA-only kernel body for some steps of an op whose shared template serves the others (see <see cref="SeqSwitchTemplate"/>):
/// the tensor-core GEMM for prefill.
/// </summary>
public interface ICudaVariant
{
    /// <summary>Whether the variant has a body for this instance (e.g. only f16/bf16 weights).</summary>
    bool AppliesTo(KernelInstance instance);

    /// <summary>The C condition on the plan symbols under which the variant runs, e.g. <c>seq &gt; 1</c>.</summary>
    string Condition { get; }

    /// <summary>
    /// The workgroups along x and the shared arrays the variant needs, given the block size it must use (the shared
    /// template's). Its body must work for any grid at least this wide, with y the shared template's rows.
    /// </summary>
    (int GroupsX, IReadOnlyList<SharedArray> Shared) Shape(KernelInstance instance, int localSize);

    void Render(GpuKernelSource kernel);
}
