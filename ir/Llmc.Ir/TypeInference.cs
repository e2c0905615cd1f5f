namespace Llmc.Ir;

/// <summary>Runs an op's type inference for the parser and the verifier, always failing with an <see cref="IrException"/>.</summary>
internal static class TypeInference
{
    public static TensorType Infer(OpDef op, IReadOnlyList<Value> operands, Attributes attrs)
    {
        var types = operands.Select(v => v.Type).ToList();
        try
        {
            return op.InferType(types, attrs);
        }
        // An operand of an unexpected rank can be indexed before the op's own rank check runs.
        catch (Exception e) when (e is IndexOutOfRangeException or ArgumentOutOfRangeException)
        {
            throw new IrException($"{op.Name}: operands of types {string.Join(", ", types)} do not fit");
        }
    }
}
