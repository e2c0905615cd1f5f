using Llmc.Runtime.Format;
using Llmc.Runtime.Plan;

namespace Llmc.Runtime.Benchmarking;

/// <summary>
/// The bytes one batch-1 decode step must read from memory: every weight once (a gathered table one row), plus the KV cache rows up to the current
/// position. Divided by the memory bandwidth this is the floor on the time per token.
/// </summary>
public sealed record DecodeTraffic(long WeightBytes, long KvBytesPerPosition)
{
    // The kernel template of the embedding op: one table row per token.
    private const string GatherTemplate = "embedding";

    public static DecodeTraffic Of(EngineManifest manifest)
    {
        var sections = manifest.Sections.ToDictionary(s => s.Name, s => s.Length, StringComparer.Ordinal);
        var tensors = manifest.Tensors.ToDictionary(t => t.Name, StringComparer.Ordinal);
        var templates = manifest.Kernels.DistinctBy(k => k.Name).ToDictionary(k => k.Name, k => k.Template, StringComparer.Ordinal);
        var readers = manifest.Plan.Steps.SelectMany(s => s.Args.Select(a => (Buffer: a, Template: templates[s.Kernel])))
            .ToLookup(r => r.Buffer, r => r.Template);
        // Tied weights appear in several buffers but are one tensor, read once per step from the same memory. A table
        // only gathered from (an embedding not shared with the LM head) gives one row per decoded token.
        var weightBytes = manifest.Plan.Buffers
            .Where(b => b.Kind == BufferKind.Weight && b.Tensor is not null)
            .GroupBy(b => b.Tensor!, StringComparer.Ordinal)
            .Sum(g =>
            {
                var bytes = sections[tensors[g.Key].Section];
                var gatheredOnly = g.SelectMany(b => readers[b.Id]).All(t => t == GatherTemplate);
                return gatheredOnly ? bytes / tensors[g.Key].Shape[0] : bytes;
            });
        return new DecodeTraffic(weightBytes, PlanShapes.KvBytesPerPosition(manifest.Plan));
    }

    /// <summary>Bytes read by a decode step attending over <paramref name="position"/> cached positions.</summary>
    public double BytesPerToken(double position) => WeightBytes + KvBytesPerPosition * position;
}
