using Llmc.Compiler.Weights;
using Llmc.Ir;
using Llmc.Ir.Quantization;

namespace Llmc.Compiler.Passes.Fusion;

/// <summary>
/// Several [N_i, K] float weights as one matrix, or [N_i] vectors as one vector (rows of one element), read lazily when
/// the engine is written: stacked one after another (Q, K, V → one projection, their biases → one bias) or, with
/// <paramref name="interleaveRows"/>, row by row in turn (gate, up → rows gate 0, up 0, gate 1, ... so a kernel finds
/// each pair side by side).
/// </summary>
public sealed class StackedWeight(IReadOnlyList<IWeightSource> parts, bool interleaveRows) : IWeightSource
{
    public TensorType Type { get; } = new(DType.F32, (Dim[])[new Dim(parts.Sum(p => p.Type[0].Size)), .. parts[0].Type.Shape.Skip(1)]);

    /// <summary>The parts' carried format when they all have the same one.</summary>
    public QuantFormat? CarriedFormat =>
        parts.Select(p => p.CarriedFormat).Distinct().ToList() is [{ } format] && Type.Rank == 2 ? format : null;

    public byte[] ReadCarried()
    {
        var format = CarriedFormat ?? throw new NotSupportedException("the stacked parts hold no common quantized format");
        var sources = parts.Select(p => (p.ReadCarried(), p.Type[0].Size)).ToList();
        var rows = interleaveRows
            ? Enumerable.Range(0, parts[0].Type[0].Size).SelectMany(row => Enumerable.Range(0, parts.Count).Select(part => (part, row)))
            : parts.SelectMany((p, part) => Enumerable.Range(0, p.Type[0].Size).Select(row => (part, row)));
        return PackedRows.Gather(format, Type[1].Size, sources, [.. rows]);
    }

    public bool ReadsRows => Type.Rank == 2 && parts.All(p => p.ReadsRows);

    /// <summary>Each row from the part that holds it (a run of one part's rows at once when stacked).</summary>
    public void ReadRows(int first, Span<float> destination)
    {
        var k = Type[1].Size;
        for (var done = 0; done < destination.Length;)
        {
            var row = first + done / k;
            var (part, partRow, run) = interleaveRows
                ? (row % parts.Count, row / parts.Count, 1)
                : PartOf(row);
            var count = Math.Min(run, (destination.Length - done) / k) * k;
            parts[part].ReadRows(partRow, destination.Slice(done, count));
            done += count;
        }
    }

    /// <summary>The part holding stacked row <paramref name="row"/>, the row within it, and how many rows of it follow from there.</summary>
    private (int Part, int Row, int Run) PartOf(int row)
    {
        for (var part = 0; ; part++)
        {
            var rows = parts[part].Type[0].Size;
            if (row < rows) return (part, row, rows - row);
            row -= rows;
        }
    }

    public float[] ReadFloat32()
    {
        var k = Type.Rank == 1 ? 1 : Type[1].Size;
        var values = new float[(long)Type[0].Size * k];
        var matrices = parts.Select(p => p.ReadFloat32()).ToList();
        if (!interleaveRows)
        {
            var offset = 0L;
            foreach (var m in matrices)
            {
                m.CopyTo(values, offset);
                offset += m.Length;
            }
            return values;
        }
        var rows = parts[0].Type[0].Size;
        for (var row = 0; row < rows; row++)
            for (var part = 0; part < matrices.Count; part++)
                Array.Copy(matrices[part], (long)row * k, values, ((long)row * matrices.Count + part) * k, k);
        return values;
    }
}
