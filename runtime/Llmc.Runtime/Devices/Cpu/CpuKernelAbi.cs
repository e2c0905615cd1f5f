namespace Llmc.Runtime.Devices.Cpu;

/// <summary>
/// The calling convention of CPU kernels, shared by the code generator and the runtime:
/// <code>public static unsafe void Entry(int task, int tasks, nint* args, int* dims)</code>
/// inside <c>public static class <see cref="ClassName"/></c> of the engine's kernel assembly.
/// <list type="bullet">
/// <item><c>args</c>: one pointer per plan-step argument, operands in IR order then the result.</item>
/// <item><c>dims</c>: run-time symbols in <see cref="Plan.PlanSymbols"/> order (<c>seq</c>, <c>out</c>).</item>
/// <item>The runtime calls the entry once for each <c>task</c> in 0..tasks-1, concurrently and in any order (tasks are
/// shares of the work, more than there are threads: <see cref="WorkerPool"/>); the kernel takes its own share of the
/// work, so each task must write a disjoint part of the result.</item>
/// </list>
/// </summary>
public static class CpuKernelAbi
{
    public const string Namespace = "Llmc.Kernels";

    public const string ClassName = "CpuKernels";

    public const string Format = "dotnet-il";

    public const string Section = "kernels.cpu";
}
