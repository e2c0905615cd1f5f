namespace Llmc.Ir;

/// <summary>
/// Runs a graph on the host with each op's reference implementation: the oracle every target is checked against.
/// Symbolic dimensions are bound from the concrete shapes of the inputs and states (the KV pool's <c>kv_blocks</c> and
/// <c>kv_block</c> from <c>pool</c> where a state is created here); states are updated in place, so a caller that keeps
/// the same <c>states</c> dictionary across steps keeps its KV cache.
/// </summary>
public static class ReferenceInterpreter
{
    /// <param name="inputs">One tensor per graph input, by value name.</param>
    /// <param name="weights">Returns the tensor of a weight key; called once per weight per run.</param>
    /// <param name="states">State tensors by value name; a missing state is created zero-filled and added.</param>
    /// <param name="pool">Sizes of the symbols a missing state's shape names (<c>kv_blocks</c>, <c>kv_block</c>).</param>
    /// <returns>The graph outputs by value name.</returns>
    public static IReadOnlyDictionary<string, HostTensor> Run(
        Graph g,
        IReadOnlyDictionary<string, HostTensor> inputs,
        Func<string, HostTensor> weights,
        IDictionary<string, HostTensor> states,
        IReadOnlyDictionary<string, int>? pool = null)
    {
        Verifier.Verify(g);
        var symbols = new Dictionary<string, int>(pool ?? new Dictionary<string, int>(), StringComparer.Ordinal);
        var tensors = new Dictionary<Value, HostTensor>();
        foreach (var v in g.Inputs)
        {
            var t = inputs.TryGetValue(v.Name, out var given) ? given : throw new IrException($"missing input {v}");
            tensors[v] = Bind(v, t, symbols);
        }
        foreach (var v in g.Weights) tensors[v] = Bind(v, weights(v.Name), symbols);
        foreach (var v in g.States)
        {
            if (!states.TryGetValue(v.Name, out var t))
                states[v.Name] = t = new HostTensor(v.Type.DType, [.. v.Type.Shape.Select(d => d.Resolve(symbols))]);
            tensors[v] = Bind(v, t, symbols);
        }
        foreach (var node in g.Nodes)
        {
            var type = node.Output.Type;
            var output = new HostTensor(type.DType, [.. type.Shape.Select(d => d.Resolve(symbols))]);
            node.Op.Evaluate(node.Attrs, [.. node.Inputs.Select(v => tensors[v])], output);
            tensors[node.Output] = output;
        }
        return g.Outputs.ToDictionary(v => v.Name, v => tensors[v], StringComparer.Ordinal);
    }

    /// <summary>Checks that a tensor fits its value's type, binding each symbol the first time it is seen.</summary>
    private static HostTensor Bind(Value v, HostTensor t, Dictionary<string, int> symbols)
    {
        var type = v.Type;
        var shape = $"[{string.Join(", ", t.Shape)}]";
        // Every float dtype is held as f32 on the host, so only the float/integer class must agree.
        if (t.DType.IsFloat() != type.DType.IsFloat() || (type.DType.IsPacked() && t.DType != type.DType))
            throw new IrException($"{v} is {type} but was given a {t.DType.Name()} tensor");
        if (t.Shape.Length != type.Rank)
            throw new IrException($"{v} is {type} but was given shape {shape}");
        for (var axis = 0; axis < type.Rank; axis++)
        {
            var dim = type[axis];
            var size = t.Shape[axis];
            if (dim.Symbol is { } symbol)
            {
                if (!symbols.TryAdd(symbol, size) && symbols[symbol] != size)
                    throw new IrException($"{v} binds {symbol} = {size} but an earlier value bound {symbol} = {symbols[symbol]}");
            }
            else if (dim.Size != size)
            {
                throw new IrException($"{v} is {type} but was given shape {shape}");
            }
        }
        return t;
    }
}
