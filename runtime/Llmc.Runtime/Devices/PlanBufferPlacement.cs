using Llmc.Runtime.Format;
using Llmc.Runtime.Plan;

namespace Llmc.Runtime.Devices;

/// <summary>
/// Where a GPU executor puts each plan buffer: activations at their offset in the one arena, each weight section once
/// however many buffers name it (a tied embedding and LM head share one), inputs and states (KV caches) in their own
/// allocations sized for the plan's largest step and the loaded KV pool. The executor says how each is made on its device.
/// </summary>
public static class PlanBufferPlacement
{
    /// <summary>The device handle of every plan buffer, by buffer id.</summary>
    /// <param name="file">The engine whose plan and weight sections are placed.</param>
    /// <param name="bounds">The largest value of each plan symbol: sizes inputs and states.</param>
    /// <param name="activation">A buffer inside the executor's arena, at <see cref="PlanBuffer.Offset"/>.</param>
    /// <param name="weight">Uploads a weight section (its name, and the first buffer naming it); called once per section.</param>
    /// <param name="own">A zeroed allocation of the given bytes for an input or state buffer.</param>
    public static T[] Place<T>(EngineFile file, SymbolBounds bounds, Func<PlanBuffer, T> activation, Func<string, PlanBuffer, T> weight, Func<PlanBuffer, long, T> own)
    {
        var plan = file.Manifest.Plan;
        var tensors = file.Manifest.Tensors.ToDictionary(t => t.Name, StringComparer.Ordinal);
        var weights = new Dictionary<string, T>(StringComparer.Ordinal);
        var placed = new T[plan.Buffers.Count];
        foreach (var b in plan.Buffers)
        {
            placed[b.Id] = b.Kind switch
            {
                BufferKind.Activation => activation(b),
                BufferKind.Weight => Weight(tensors[b.Tensor!].Section, b),
                _ => own(b, PlanShapes.Bytes(b, bounds)),
            };
        }
        return placed;

        T Weight(string section, PlanBuffer b) => weights.TryGetValue(section, out var uploaded) ? uploaded : weights[section] = weight(section, b);
    }
}
