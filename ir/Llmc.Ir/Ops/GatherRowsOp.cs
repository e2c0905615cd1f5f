namespace Llmc.Ir.Ops;

/// <summary><c>gather_rows(x[r, D], rows: i32[out]) -> f32[out, D]</c>: picks the rows whose logits are wanted.</summary>
public sealed class GatherRowsOp : OpDef
{
    public override string Name => "gather_rows";

    public override int Arity => 2;

    public override TensorType InferType(IReadOnlyList<TensorType> inputs, Attributes attrs)
    {
        var (x, rows) = (inputs[0], inputs[1]);
        RequireRank(x, 2, "x");
        RequireFloat(x, "x");
        RequireRank(rows, 1, "rows");
        RequireDType(rows, DType.I32, "rows");
        return new TensorType(DType.F32, rows[0], x[1]);
    }

    public override void Evaluate(Attributes attrs, IReadOnlyList<HostTensor> inputs, HostTensor output)
    {
        var (x, rows) = (inputs[0], inputs[1].Ints);
        int d = x.Dim(1), n = x.Dim(0);
        for (var i = 0; i < rows.Length; i++)
        {
            Require((uint)rows[i] < (uint)n, $"row {rows[i]} outside {n} rows");
            Array.Copy(x.Floats, rows[i] * d, output.Floats, i * d, d);
        }
    }
}
