namespace Llmc.Ir.Ops;

/// <summary>
/// <c>soft_cap(x[r, n]) {cap} -> f32[r, n]</c>: cap · tanh(x / cap), squashing values smoothly into (−cap, cap): Gemma 2's
/// final-logit soft-capping (its attention-logit capping is the <c>softcap</c> attribute of <c>attention</c>).
/// </summary>
public sealed class SoftCapOp : OpDef
{
    public override string Name => "soft_cap";

    public override int Arity => 1;

    public override TensorType InferType(IReadOnlyList<TensorType> inputs, Attributes attrs)
    {
        RequireRank(inputs[0], 2, "x");
        RequireDType(inputs[0], DType.F32, "x");
        Require(attrs.GetDouble("cap") > 0, "cap must be positive");
        return inputs[0];
    }

    public override void Evaluate(Attributes attrs, IReadOnlyList<HostTensor> inputs, HostTensor output)
    {
        var cap = attrs.GetDouble("cap");
        var (x, y) = (inputs[0].Floats, output.Floats);
        for (var i = 0; i < y.Length; i++) y[i] = (float)(cap * Math.Tanh(x[i] / cap));
    }
}
