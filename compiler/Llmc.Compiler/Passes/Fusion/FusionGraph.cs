using Llmc.Ir;
using Llmc.Targets;

namespace Llmc.Compiler.Passes.Fusion;

/// <summary>The pattern questions and edits the fusion passes share.</summary>
internal sealed class FusionGraph(Graph graph, PassContext context)
{
    private readonly Dictionary<Value, List<Node>> _users = graph.Users();
    private readonly HashSet<Value> _outputs = [.. graph.Outputs];

    public GraphEditor Editor { get; } = new(graph);

    public ITarget Target => context.Target;

    /// <summary>The node defining <paramref name="value"/> when it is op <paramref name="op"/> and <paramref name="user"/> is its only reader.</summary>
    public Node? SoleProducer(Value value, Node user, Func<OpDef, bool> op) =>
        value.Producer is { } p && op(p.Op) && IsOnlyUser(value, user) ? p : null;

    /// <summary>Whether <paramref name="user"/> is the one node that reads <paramref name="value"/> (and it is no graph output).</summary>
    public bool IsOnlyUser(Value value, Node user) =>
        !_outputs.Contains(value) && _users.TryGetValue(value, out var users) && users.Count == 1 && users[0] == user;

    public IReadOnlyList<Node> UsersOf(Value value) => _users.TryGetValue(value, out var users) ? users : [];

    public bool IsOutput(Value value) => _outputs.Contains(value);

    /// <summary>Whether each weight is an f32 graph weight (quantization comes later).</summary>
    public static bool AreFloatWeights(params Value[] weights) =>
        weights.All(w => w.Kind == ValueKind.Weight && w.Type.DType == DType.F32);

    /// <summary>
    /// Whether <paramref name="parts"/> may be stacked into one weight: f32 graph weights that, in a build that carries
    /// quantized sources over (no <c>--quant</c>, no half precision), hold the same format or none. Parts in different
    /// formats (llama.cpp's Q4_K_M mixes Q4_K and Q6_K within a layer) stay apart, each in its own, rather than be
    /// stacked as f32.
    /// </summary>
    public bool CanStack(params Value[] parts) =>
        AreFloatWeights(parts)
        && (context.Quantization is not null || context.HalfWeights is not null
            || parts.Select(p => context.Weights[p.Name].CarriedFormat).Distinct().Count() == 1);

    /// <summary>Declares a weight stacking <paramref name="parts"/> (see <see cref="StackedWeight"/>), named after the first.</summary>
    public Value Stack(IReadOnlyList<Value> parts, bool interleaveRows, string name)
    {
        var source = new StackedWeight([.. parts.Select(p => context.Weights[p.Name])], interleaveRows);
        var weight = Editor.AddWeight(name, source.Type);
        context.Weights.Add(name, source);
        return weight;
    }

    /// <summary><paramref name="name"/> with <paramref name="part"/> replaced by <paramref name="fused"/>, or a suffix when it has none.</summary>
    public static string FusedName(string name, string part, string fused) =>
        name.Contains(part, StringComparison.Ordinal) ? name.Replace(part, fused, StringComparison.Ordinal) : $"{name}.{fused}";
}
