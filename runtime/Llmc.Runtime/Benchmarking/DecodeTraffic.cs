using Llmc.Runtime.Format;
using Llmc.Runtime.Plan;

namespace Llmc.Runtime.Benchmarking;

/// <summary>
/// The bytes one batch-1 decode step must read from memory: every weight once, plus the KV cache rows up to the current
/// position. Divided by the memory bandwidth this is the floor on the time per token.
/// </summary>
public sealed record DecodeTraffic(long WeightBytes, long KvBytesPerPosition)
{
    public static DecodeTraffic Of(EngineManifest manifest)
    {
        var sections = manifest.Sections.ToDictionary(s => s.Name, s => s.Length, StringComparer.Ordinal);
        var tensors = manifest.Tensors.ToDictionary(t => t.Name, t => t.Section, StringComparer.Ordinal);
        // Tied weights appear in several buffers but are one tensor, read once per step from the same memory.
        var weightBytes = manifest.Plan.Buffers
            .Where(b => b.Kind == BufferKind.Weight && b.Tensor is not null)
            .Select(b => tensors[b.Tensor!])
            .Distinct(StringComparer.Ordinal)
            .Sum(section => sections[section]);
        // State buffers are the K and V caches, [context, kv_width] per layer; one position is one row of each.
        var kvBytesPerPosition = manifest.Plan.Buffers
            .Where(b => b.Kind == BufferKind.State)
            .Sum(b => PlanShapes.Bytes(b, manifest.Plan.MaxSeq) / manifest.Plan.Context);
        return new DecodeTraffic(weightBytes, kvBytesPerPosition);
    }

    /// <summary>Bytes read by a decode step attending over <paramref name="position"/> cached positions.</summary>
    public double BytesPerToken(double position) => WeightBytes + KvBytesPerPosition * position;
}
