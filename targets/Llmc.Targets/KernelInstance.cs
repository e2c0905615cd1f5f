using Llmc.Ir;

namespace Llmc.Targets;

/// <summary>
/// A kernel template (named after the IR op it implements) with everything static baked in:
/// operand and result types (symbolic dims stay symbolic) and the node's attributes.
/// Two nodes that lower to equal instances share one compiled kernel.
/// </summary>
public sealed record KernelInstance(string Template, IReadOnlyList<TensorType> Operands, TensorType Result, Attributes Attrs)
{
    /// <summary>A readable, unique, deterministic name, e.g. <c>linear_f32_seq_64__f32_172_64</c>.</summary>
    public string Name => Template + "_" + Signature();

    public string Signature()
    {
        var raw = Key;
        var safe = new string(raw.Select(c => char.IsLetterOrDigit(c) || c == '_' ? c : 'x').ToArray());
        // Long signatures are shortened with a stable hash so names stay valid identifiers everywhere.
        return safe.Length <= 80 ? safe : safe[..48] + "_" + StableHash(raw);
    }

    /// <summary>Everything that makes two instances the same kernel, as text.</summary>
    public string Key =>
        string.Join("__", Operands.Append(Result).Select(t => t.DType.Name() + "_" + string.Join("_", t.Shape.Select(d => d.ToString()))))
        + string.Concat(Attrs.Select(a => "__" + a.Key + "_" + Attributes.Format(a.Value)));

    public bool Equals(KernelInstance? other) => other is not null && Template == other.Template && Key == other.Key;

    public override int GetHashCode() => HashCode.Combine(Template, Key);

    public static KernelInstance FromNode(Node node) =>
        new(node.Op.Name, node.Inputs.Select(v => v.Type).ToList(), node.Output.Type, node.Attrs);

    private static string StableHash(string s)
    {
        var hash = System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(s));
        return Convert.ToHexString(hash, 0, 6).ToLowerInvariant();
    }
}
