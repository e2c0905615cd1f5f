using Llmc.Ir;
using Llmc.Targets;

namespace Llmc.Targets.Conformance;

/// <summary>
/// One kernel checked against its op's reference over one or more steps. State operands (the KV caches) carry
/// over from step to step, so a multi-step case exercises a cache filled across calls. Results and states must be
/// within <see cref="Tolerance"/> relative L2 of the reference: <see cref="ConformanceChecker.F32Tolerance"/> unless
/// the case states why not.
/// </summary>
public sealed record ConformanceCase(string Name, KernelInstance Kernel, IReadOnlyList<ConformanceStep> Steps, double Tolerance = ConformanceChecker.F32Tolerance)
{
    public OpDef Op => OpRegistry.Get(Kernel.Template);

    public override string ToString() => Name;
}

/// <summary>
/// The operands of one step with the symbol values they imply. The tensors of state operands are the initial
/// state and are read only from the first step; later steps continue from the state the previous step left.
/// </summary>
public sealed record ConformanceStep(IReadOnlyList<HostTensor> Operands, IReadOnlyDictionary<string, int> Symbols);
