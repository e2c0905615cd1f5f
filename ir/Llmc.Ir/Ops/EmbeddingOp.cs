using Llmc.Ir.Quantization;

namespace Llmc.Ir.Ops;

/// <summary>
/// <c>embedding(table[V, D], ids: i32[r]) [{scale}] -> f32[r, D]</c>: row lookup, each value times <c>scale</c> (an
/// f32 multiply) where given: Gemma scales its embeddings by √hidden, while its tied LM head reads the table unscaled.
/// A table in a quantized format gives each row's values as <see cref="QuantView.Value"/> dequantizes them, so a GGUF's
/// quantized table (and the tied head reading it) stays in one packed copy.
/// </summary>
public sealed class EmbeddingOp : OpDef
{
    public override string Name => "embedding";

    public override int Arity => 2;

    public override TensorType InferType(IReadOnlyList<TensorType> inputs, Attributes attrs)
    {
        var (table, ids) = (inputs[0], inputs[1]);
        RequireRank(table, 2, "table");
        Require(table.DType.IsFloat() || table.DType.IsQuantized(), $"table must be a float or quantized tensor, got {table}");
        RequireRank(ids, 1, "ids");
        RequireDType(ids, DType.I32, "ids");
        Require(!attrs.ContainsKey("scale") || attrs.GetDouble("scale") > 0, "scale must be positive");
        return new TensorType(DType.F32, ids[0], table[1]);
    }

    public override void Evaluate(Attributes attrs, IReadOnlyList<HostTensor> inputs, HostTensor output)
    {
        var (table, ids) = (inputs[0], inputs[1].Ints);
        int vocab = table.Dim(0), dim = table.Dim(1);
        for (var r = 0; r < ids.Length; r++)
        {
            Require((uint)ids[r] < (uint)vocab, $"token id {ids[r]} outside the vocabulary of {vocab}");
            if (table.DType.IsQuantized())
            {
                var view = QuantFormat.Of(table.DType).View(table.Packed, vocab, dim);
                for (var i = 0; i < dim; i++) output.Floats[(long)r * dim + i] = view.Value(ids[r], i);
            }
            else
                Array.Copy(table.Floats, (long)ids[r] * dim, output.Floats, (long)r * dim, dim);
            if (attrs.ContainsKey("scale"))
            {
                var scale = (float)attrs.GetDouble("scale");
                for (var i = 0; i < dim; i++) output.Floats[(long)r * dim + i] *= scale;
            }
        }
    }
}
