using System.Text.Json.Serialization;

namespace Llmc.Runtime.Plan;

/// <summary>
/// What the runtime executes for one forward step: buffers and an ordered list of kernel launches.
/// Written by the compiler's lowering into the engine manifest; read by every device backend.
/// </summary>
public sealed record ExecutionPlan
{
    /// <summary>The most tokens one step may carry (prefill is chunked to this); sizes activation buffers.</summary>
    public required int MaxSeq { get; init; }

    /// <summary>KV cache length in positions.</summary>
    public required int Context { get; init; }

    public required List<PlanBuffer> Buffers { get; init; }

    /// <summary>
    /// Bytes of the one activation arena every device allocates; each activation buffer lives at its
    /// <see cref="PlanBuffer.Offset"/> in it, and buffers whose lifetimes do not overlap may share bytes.
    /// </summary>
    public long ActivationBytes { get; init; }

    public required List<PlanStep> Steps { get; init; }

    /// <summary>Buffer ids of the runtime inputs, by role: <c>tokens</c>, <c>positions</c>, <c>logit_rows</c>.</summary>
    public required Dictionary<string, int> Inputs { get; init; }

    /// <summary>Buffer ids of the outputs, by role: <c>logits</c>.</summary>
    public required Dictionary<string, int> Outputs { get; init; }
}

public enum BufferKind
{
    Input,
    Weight,
    State,
    Activation,
}

/// <summary>One buffer of the plan. Shapes use the IR's dimension text: numbers or the symbols <c>seq</c>, <c>out</c>.</summary>
public sealed record PlanBuffer
{
    public required int Id { get; init; }

    public required string Name { get; init; }

    [JsonConverter(typeof(JsonStringEnumConverter<BufferKind>))]
    public required BufferKind Kind { get; init; }

    public required string DType { get; init; }

    public required List<string> Shape { get; init; }

    /// <summary>For weights: the tensor's name in the engine's tensor table.</summary>
    public string? Tensor { get; init; }

    /// <summary>For activations: the byte offset in the activation arena (a multiple of <see cref="ActivationArena.Alignment"/>).</summary>
    public long Offset { get; init; }
}

/// <summary>One kernel launch: the kernel's name in the kernel table and its buffer arguments in order.</summary>
public sealed record PlanStep
{
    public required string Kernel { get; init; }

    public required List<int> Args { get; init; }

    /// <summary>The IR node this step computes (for profiles and error messages).</summary>
    public required string Node { get; init; }
}
