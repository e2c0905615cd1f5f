using System.Text.Json.Serialization;

namespace Llmc.Runtime.Format;

/// <summary>
/// How a GPU kernel is launched (CUDA, Vulkan): workgroups of <see cref="LocalSize"/> threads in a grid of
/// <see cref="GroupsX"/> × <c>GroupsY</c>, where <see cref="GroupsY"/> is a <see cref="LaunchExtent"/> text (a number, a
/// plan symbol such as <c>seq</c> bound at each step, or <c>ceil(seq/4)</c>). CPU kernels have none.
/// </summary>
public sealed record KernelLaunch
{
    public required int LocalSize { get; init; }

    public required int GroupsX { get; init; }

    public required string GroupsY { get; init; }

    /// <summary>
    /// 0 for the code every step of the kernel can run; otherwise the code of the kernel's many-rows variant, which the
    /// executor runs instead for steps of at least this many rows (prefill, large batches), a second entry of the same
    /// kernel name (<see cref="StepCode{T}"/>). Absent from the manifest when 0.
    /// </summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)]
    public int MinRows { get; init; }

    /// <summary>
    /// On a many-rows code: it gives every row the same bits as the code for any step, so which one a step runs does not
    /// change a row and batching cannot change a request's tokens. False where it rounds otherwise (CUDA's tensor cores
    /// round activations to 16 bits) and in engines built before the mark existed; an engine loaded batch-invariant
    /// (<see cref="EngineOptions.BatchInvariant"/>) runs only many-rows codes that carry it. Absent from the manifest when false.
    /// </summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)]
    public bool SameRounding { get; init; }
}
