using Llmc.Ir.Quantization;

namespace Llmc.Compiler.Weights;

/// <summary>
/// Rows of packed quantized matrices of one format and width gathered into a new one, scales, offsets and codes as
/// they are: how stacked (q/k/v), interleaved (gate/up) and sliced (Phi-3's fused tensors) weights stay carried over
/// from a quantized source without being rounded again.
/// </summary>
public static class PackedRows
{
    /// <param name="sources">Each source's packed bytes and row count.</param>
    /// <param name="rows">The new matrix's rows in order: which source, which of its rows.</param>
    public static byte[] Gather(QuantFormat format, int k, IReadOnlyList<(byte[] Packed, int Rows)> sources, IReadOnlyList<(int Source, int Row)> rows)
    {
        var target = new PackedMatrix(format, rows.Count, k);
        for (var r = 0; r < rows.Count; r++)
        {
            var (packed, n) = sources[rows[r].Source];
            var view = format.View(packed, n, k);
            var row = rows[r].Row;
            if (format.IsSuperBlocked)
            {
                for (var s = 0; s < format.Supers(k); s++)
                    target.SetSuperBlock(r, s, view.SuperScale(row, s), format.HasOffsets ? view.SuperOffset(row, s) : default);
                for (var g = 0; g < target.Groups; g++)
                    target.SetGroupFactors(r, g, view.ScaleFactor(row, g), format.HasOffsets ? view.OffsetFactor(row, g) : default);
            }
            else
            {
                for (var g = 0; g < target.Groups; g++) target.SetGroup(r, g, view.Scale(row, g), view.Offset(row, g));
            }
            for (var j = 0; j < k; j++) target.SetCode(r, j, view.Code(row, j));
        }
        return target.Bytes;
    }
}
