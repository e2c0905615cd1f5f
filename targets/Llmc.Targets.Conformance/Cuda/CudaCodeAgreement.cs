using Llmc.Ir;
using Llmc.Targets.Cuda;

namespace Llmc.Targets.Conformance;

/// <summary>
/// Runs each step short enough for a kernel's code for any step with that code and with its many-rows code (CUDA's
/// split and whole-row attention), and returns the first's result after checking that the second gave the same result
/// and states bit for bit: the runtime picks the code by the step's rows, so a row must not change with the code, or
/// batching would change a request's tokens. A difference is thrown, which <see cref="ConformanceChecker"/> reports as
/// the case's failure. Longer steps run the many-rows code alone, as the runtime does (the split code keeps scratch
/// for so many rows only), so the states the next steps read are the same.
/// </summary>
public sealed class CudaCodeAgreement(CudaKernelExecutor executor) : IKernelExecutor
{
    /// <summary>The kernels it checks: those with both codes whose rows must agree (the attention ops).</summary>
    public bool Runs(KernelInstance kernel) =>
        CudaTemplates.AttentionOps.Contains(kernel.Template) && executor.ManyRowsFrom(kernel) is not null;

    public HostTensor Run(KernelInstance kernel, IReadOnlyList<HostTensor> operands, IReadOnlyDictionary<string, int> symbols, int tasks)
    {
        if (symbols["seq"] >= executor.ManyRowsFrom(kernel)) return executor.Run(kernel, operands, symbols, manyRows: true);
        var states = OpRegistry.Get(kernel.Template).StateOperands;
        var copies = operands.Select((t, i) => states.Contains(i) ? ConformanceChecker.Clone(t) : t).ToList();
        var any = executor.Run(kernel, operands, symbols, manyRows: false);
        var many = executor.Run(kernel, copies, symbols, manyRows: true);
        Agree(any, many, "the result");
        foreach (var state in states) Agree(operands[state], copies[state], $"state operand {state}");
        return any;
    }

    private static void Agree(HostTensor any, HostTensor many, string what)
    {
        var (a, m) = (KernelOperandBytes.Of(any), KernelOperandBytes.Of(many));
        var at = a.AsSpan().CommonPrefixLength(m);
        if (at < a.Length || a.Length != m.Length)
            throw new TargetException($"{what} differs between the code for any step and the many-rows code from byte {at} on");
    }
}
