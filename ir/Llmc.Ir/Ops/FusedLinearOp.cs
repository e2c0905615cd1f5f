namespace Llmc.Ir.Ops;

/// <summary>What a fused linear does to its activation before the product.</summary>
public enum LinearPrologue
{
    None,

    /// <summary><c>rms_norm(x, norm_weight) {eps}</c> first; the norm weight stays an operand (see docs/ir.md).</summary>
    RmsNorm,
}

/// <summary>What a fused linear does to the product before storing it.</summary>
public enum LinearEpilogue
{
    None,

    /// <summary><c>add(y, residual)</c>.</summary>
    Residual,

    /// <summary>
    /// <c>y + bias</c>, a bias vector of one value per output column (<c>bias[N]</c>): the q/k/v projections of Qwen2.
    /// Builders emit <c>linear_bias</c> directly, since it is the linear itself; its reference is the product, then the add.
    /// </summary>
    Bias,

    /// <summary>
    /// The weight holds gate and up rows interleaved (row 2f is gate f, row 2f + 1 is up f);
    /// the result is <c>mul(silu(gate), up)</c>, half as wide as the product.
    /// </summary>
    SwiGlu,

    /// <summary>As <see cref="SwiGlu"/> with <c>gelu_tanh</c> for <c>silu</c>: <c>mul(gelu_tanh(gate), up)</c> (Gemma's GeGLU).</summary>
    GeGlu,
}

/// <summary>
/// The fused linear family: <c>linear(x, w)</c> with an optional RMSNorm prologue and a residual, bias or SwiGLU
/// epilogue, one kernel launch instead of two or three. Operands are <c>(x, w, [norm_weight], [residual | bias])</c>: the matrix is
/// always operand 1, as in <c>linear</c>, so weight quantization treats every member alike. The reference is the
/// composition of the unfused ops' references, so a fused kernel is checked against exactly what it replaces.
/// </summary>
public sealed class FusedLinearOp(LinearPrologue prologue, LinearEpilogue epilogue) : OpDef
{
    /// <summary>Every fused member, one op name each.</summary>
    public static IReadOnlyList<FusedLinearOp> All { get; } =
    [
        new(LinearPrologue.None, LinearEpilogue.Residual),
        new(LinearPrologue.None, LinearEpilogue.SwiGlu),
        new(LinearPrologue.None, LinearEpilogue.Bias),
        new(LinearPrologue.None, LinearEpilogue.GeGlu),
        new(LinearPrologue.RmsNorm, LinearEpilogue.None),
        new(LinearPrologue.RmsNorm, LinearEpilogue.Residual),
        new(LinearPrologue.RmsNorm, LinearEpilogue.SwiGlu),
        new(LinearPrologue.RmsNorm, LinearEpilogue.Bias),
        new(LinearPrologue.RmsNorm, LinearEpilogue.GeGlu),
    ];

    public const int WeightOperand = 1;

    public LinearPrologue Prologue => prologue;

    public LinearEpilogue Epilogue => epilogue;

    public override string Name => NameOf(prologue, epilogue);

    public override int Arity => 2 + (prologue == LinearPrologue.RmsNorm ? 1 : 0) + (epilogue is LinearEpilogue.Residual or LinearEpilogue.Bias ? 1 : 0);

    /// <summary>Operand index of the norm weight (with the RMSNorm prologue).</summary>
    public int NormOperand => 2;

    /// <summary>Operand index of the residual or the bias (with those epilogues): the one after x, w and the norm weight.</summary>
    public int EpilogueOperand => EpilogueOperandOf(prologue);

    /// <summary><see cref="EpilogueOperand"/> of a linear-family op with <paramref name="prologue"/>.</summary>
    public static int EpilogueOperandOf(LinearPrologue prologue) => prologue == LinearPrologue.RmsNorm ? 3 : 2;

    /// <summary><c>linear</c>, <c>rms_norm_linear</c>, <c>linear_swiglu</c>, <c>rms_norm_linear_residual</c>, ...</summary>
    public static string NameOf(LinearPrologue prologue, LinearEpilogue epilogue) =>
        (prologue == LinearPrologue.RmsNorm ? "rms_norm_" : "") + "linear" + epilogue switch
        {
            LinearEpilogue.Residual => "_residual",
            LinearEpilogue.SwiGlu => "_swiglu",
            LinearEpilogue.Bias => "_bias",
            LinearEpilogue.GeGlu => "_geglu",
            _ => "",
        };

    /// <summary>The plain <c>linear</c> op or a fused member: an op whose operand 1 is a matrix weight read as y = x·wᵀ.</summary>
    public static bool IsLinearFamily(OpDef op) => op is LinearOp or FusedLinearOp;

    /// <summary>The prologue and epilogue of a linear-family op (none for plain <c>linear</c>).</summary>
    public static (LinearPrologue Prologue, LinearEpilogue Epilogue) PartsOf(OpDef op) =>
        op is FusedLinearOp f ? (f.Prologue, f.Epilogue) : (LinearPrologue.None, LinearEpilogue.None);

    public override TensorType InferType(IReadOnlyList<TensorType> inputs, Attributes attrs)
    {
        var x = inputs[0];
        if (prologue == LinearPrologue.RmsNorm) x = OpRegistry.Get<RmsNormOp>().InferType([x, inputs[NormOperand]], attrs);
        var y = OpRegistry.Get<LinearOp>().InferType([x, inputs[WeightOperand]], attrs);
        switch (epilogue)
        {
            case LinearEpilogue.Residual:
                return OpRegistry.Get<AddOp>().InferType([y, inputs[EpilogueOperand]], attrs);
            case LinearEpilogue.Bias:
                var bias = inputs[EpilogueOperand];
                RequireRank(bias, 1, "bias");
                RequireDType(bias, DType.F32, "bias");
                RequireSameDim(bias[0], y[1], "bias length and w rows");
                return y;
            case LinearEpilogue.SwiGlu:
            case LinearEpilogue.GeGlu:
                Require(!y[1].IsSymbolic && y[1].Size % 2 == 0, $"w must have an even number of rows (gate and up interleaved), got {inputs[WeightOperand]}");
                return new TensorType(DType.F32, y[0], new Dim(y[1].Size / 2));
            default:
                return y;
        }
    }

    public override void Evaluate(Attributes attrs, IReadOnlyList<HostTensor> inputs, HostTensor output)
    {
        var x = inputs[0];
        if (prologue == LinearPrologue.RmsNorm)
        {
            var normed = new HostTensor(DType.F32, [.. x.Shape]);
            OpRegistry.Get<RmsNormOp>().Evaluate(attrs, [x, inputs[NormOperand]], normed);
            x = normed;
        }
        var linear = OpRegistry.Get<LinearOp>();
        if (epilogue == LinearEpilogue.None)
        {
            linear.Evaluate(attrs, [x, inputs[WeightOperand]], output);
            return;
        }
        var product = new HostTensor(DType.F32, [x.Rows, inputs[WeightOperand].Dim(0)]);
        linear.Evaluate(attrs, [x, inputs[WeightOperand]], product);
        if (epilogue == LinearEpilogue.Residual)
        {
            OpRegistry.Get<AddOp>().Evaluate(attrs, [product, inputs[EpilogueOperand]], output);
            return;
        }
        if (epilogue == LinearEpilogue.Bias)
        {
            var (bias, columns) = (inputs[EpilogueOperand].Floats, product.Dim(1));
            for (var i = 0; i < product.Floats.Length; i++) output.Floats[i] = product.Floats[i] + bias[i % columns];
            return;
        }
        var (gate, up) = Deinterleave(product);
        var activated = new HostTensor(DType.F32, [.. gate.Shape]);
        OpRegistry.Get(epilogue == LinearEpilogue.GeGlu ? "gelu_tanh" : "silu").Evaluate(attrs, [gate], activated);
        OpRegistry.Get<MulOp>().Evaluate(attrs, [activated, up], output);
    }

    /// <summary>Splits a [r, 2F] product into its even (gate) and odd (up) columns.</summary>
    private static (HostTensor Gate, HostTensor Up) Deinterleave(HostTensor product)
    {
        int rows = product.Dim(0), half = product.Dim(1) / 2;
        var (gate, up) = (new HostTensor(DType.F32, [rows, half]), new HostTensor(DType.F32, [rows, half]));
        for (var r = 0; r < rows; r++)
        {
            for (var f = 0; f < half; f++)
            {
                gate.Floats[r * half + f] = product.Floats[r * 2 * half + 2 * f];
                up.Floats[r * half + f] = product.Floats[r * 2 * half + 2 * f + 1];
            }
        }
        return (gate, up);
    }
}
