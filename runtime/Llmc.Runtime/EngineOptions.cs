using Llmc.Runtime.Plan;
using Llmc.Runtime.Scheduling;

namespace Llmc.Runtime;

/// <summary>How an engine is loaded: the device, its KV pool and how steps are filled.</summary>
public sealed record EngineOptions
{
    /// <summary>CPU worker threads; null uses all cores.</summary>
    public int? Threads { get; init; }

    /// <summary>GPU index (as <c>llmc devices</c> lists them) for GPU engines; null picks the best one.</summary>
    public int? Device { get; init; }

    /// <summary>The KV pool: block size, the most sequences at once, the KV memory.</summary>
    public KvPoolOptions KvPool { get; init; } = new();

    public SchedulerOptions Scheduler { get; init; } = new();

    /// <summary>
    /// Run no kernel code that rounds a row differently by the length of its step (<see cref="Format.KernelLaunch.SameRounding"/>),
    /// so greedy and seeded output is the same token for token batched or alone on every target. Only CUDA engines with
    /// f16 or bf16 weights have such code (tensor-core prefill); they then run the matrix-vector kernels for every step,
    /// at a cost in prefill speed. The CPU and Vulkan kernels are batch-invariant either way.
    /// </summary>
    public bool BatchInvariant { get; init; }
}
