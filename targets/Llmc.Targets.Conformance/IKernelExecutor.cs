using Llmc.Ir;
using Llmc.Targets;

namespace Llmc.Targets.Conformance;

/// <summary>
/// Runs compiled kernels of one target on host tensors: what a target must provide to be checked by
/// <see cref="ConformanceChecker"/>. Inputs are copied to the device, the result is poisoned with NaN before the
/// launch, and state operands are copied back into their host tensors afterwards.
/// </summary>
public interface IKernelExecutor
{
    /// <summary>Runs <paramref name="kernel"/> split into <paramref name="tasks"/> parallel tasks and returns its result.</summary>
    HostTensor Run(KernelInstance kernel, IReadOnlyList<HostTensor> operands, IReadOnlyDictionary<string, int> symbols, int tasks);
}
