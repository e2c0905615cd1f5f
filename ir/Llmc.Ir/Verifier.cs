namespace Llmc.Ir;

// Invariants of a well-formed graph (checked in this order; every pass must preserve them):
//  1. The graph name and every value name are printable: [A-Za-z0-9_.]+ (a graph name starts with a letter or '_').
//  2. Value names are unique across inputs, weights, states and node outputs.
//  3. Inputs, Weights and States hold values of their own kind; each node's output is a Node value whose Producer is that node.
//  4. Each node's op is the registered op of its name (so the text form can name it).
//  5. Each node has exactly Arity operands.
//  6. Every operand is a value of this graph, defined before the node that reads it (nodes are in execution order).
//  7. Operands in an op's StateOperands positions are State values, and State values appear nowhere else.
//  8. Each state is written at most once per step: by one node, in one operand position.
//  9. Each node's stored output type equals the type its op infers from the operand types and attributes.
// 10. Attribute names are identifiers; attribute values are long, double, string or long[].
// 11. Inputs are i32 or float tensors; weights have static shapes; states are static but for the KV pool's symbols
//     `kv_blocks` and `kv_block` (the runtime sizes the pool when it loads an engine).
// 12. Symbolic dimensions are only the known symbols `seq`, `out`, `kv_table`, `kv_blocks` and `kv_block`.
// 13. There is at least one output; outputs are distinct values of this graph.
// Warning, not an error (a dead-code pass removes these): a node whose value is never used and which writes no state.

/// <summary>Checks the invariants listed at the top of this file.</summary>
public static class Verifier
{
    /// <summary>The symbols a dimension may name; the runtime binds each from the inputs of a step.</summary>
    public static IReadOnlyList<string> KnownSymbols { get; } =
        [Dim.Seq.Symbol!, Dim.Out.Symbol!, Dim.KvTable.Symbol!, Dim.KvBlocks.Symbol!, Dim.KvBlock.Symbol!];

    /// <summary>The symbols a state may use: the KV block pool's size, bound once per loaded engine.</summary>
    public static IReadOnlyList<string> PoolSymbols { get; } = [Dim.KvBlocks.Symbol!, Dim.KvBlock.Symbol!];

    /// <summary>Throws an <see cref="IrException"/> naming the first violation, if any.</summary>
    public static void Verify(Graph graph)
    {
        var errors = Check(graph);
        if (errors.Count == 0) return;
        var more = errors.Count > 1 ? $" (and {errors.Count - 1} more)" : "";
        throw new IrException($"graph {graph.Name} is malformed: {errors[0]}{more}");
    }

    /// <summary>Every violation, in the order of the invariants; empty for a well-formed graph.</summary>
    public static IReadOnlyList<string> Check(Graph graph)
    {
        var errors = new List<string>();
        CheckNames(graph, errors);
        CheckKinds(graph, errors);
        CheckNodes(graph, errors);
        CheckDeclarations(graph, errors);
        CheckSymbols(graph, errors);
        CheckOutputs(graph, errors);
        return errors;
    }

    /// <summary>Suspicious but legal: nodes whose value nobody reads and which write no state.</summary>
    public static IReadOnlyList<string> Warnings(Graph graph)
    {
        var used = graph.Nodes.SelectMany(n => n.Inputs).Concat(graph.Outputs).ToHashSet();
        return graph.Nodes
            .Where(n => !used.Contains(n.Output) && n.Op.StateOperands.Count == 0)
            .Select(n => $"{n.Output} = {n.Op.Name}(...) is never used")
            .ToList();
    }

    private static void CheckNames(Graph graph, List<string> errors)
    {
        if (!IsIdentifier(graph.Name)) errors.Add($"graph name '{graph.Name}' is not an identifier");
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var v in graph.Values)
        {
            if (v.Name.Length == 0 || !v.Name.All(IrLexer.IsNameChar)) errors.Add($"value name '{v.Name}' is not [A-Za-z0-9_.]+");
            if (!seen.Add(v.Name)) errors.Add($"{v} is defined twice");
        }
    }

    private static void CheckKinds(Graph graph, List<string> errors)
    {
        foreach (var (list, kind) in new[] { (graph.Inputs, ValueKind.Input), (graph.Weights, ValueKind.Weight), (graph.States, ValueKind.State) })
            foreach (var v in list.Where(v => v.Kind != kind))
                errors.Add($"{v} is listed among the {kind} values but its kind is {v.Kind}");
        foreach (var node in graph.Nodes)
        {
            if (node.Output.Kind != ValueKind.Node || node.Output.Producer != node)
                errors.Add($"{node.Output} is the output of a {node.Op.Name} node but is not a node value produced by it");
        }
    }

    private static void CheckNodes(Graph graph, List<string> errors)
    {
        var defined = graph.Inputs.Concat(graph.Weights).Concat(graph.States).ToHashSet();
        var later = graph.Nodes.Select(n => n.Output).ToHashSet();
        var writers = new Dictionary<Value, Node>();
        foreach (var node in graph.Nodes)
        {
            var op = node.Op;
            var where = $"{node.Output} = {op.Name}";
            if (!OpRegistry.TryGet(op.Name, out var registered) || registered != op) errors.Add($"{where}: op '{op.Name}' is not registered");
            var sound = node.Inputs.Count == op.Arity;
            if (!sound) errors.Add($"{where}: takes {op.Arity} operands, got {node.Inputs.Count}");
            for (var i = 0; i < node.Inputs.Count; i++)
            {
                var operand = node.Inputs[i];
                if (!defined.Contains(operand))
                {
                    sound = false;
                    errors.Add(later.Contains(operand)
                        ? $"{where}: operand {operand} is used before its definition"
                        : $"{where}: operand {operand} is not a value of this graph");
                }
                var statePosition = op.StateOperands.Contains(i);
                if (statePosition && operand.Kind != ValueKind.State)
                    errors.Add($"{where}: operand {i} ({operand}) is updated in place and must be a state value");
                else if (!statePosition && operand.Kind == ValueKind.State)
                    errors.Add($"{where}: state {operand} is used as operand {i}, which is not a state operand");
                else if (statePosition && !writers.TryAdd(operand, node))
                    errors.Add($"{where}: state {operand} is already written by {writers[operand].Output}");
            }
            if (sound) CheckType(node, where, errors);
            CheckAttributes(node, where, errors);
            defined.Add(node.Output);
        }
    }

    private static void CheckType(Node node, string where, List<string> errors)
    {
        try
        {
            var inferred = TypeInference.Infer(node.Op, node.Inputs, node.Attrs);
            if (inferred != node.Output.Type) errors.Add($"{where}: stored type {node.Output.Type} but the op infers {inferred}");
        }
        catch (IrException e)
        {
            errors.Add($"{where}: {e.Message}");
        }
    }

    private static void CheckAttributes(Node node, string where, List<string> errors)
    {
        foreach (var (name, value) in node.Attrs)
        {
            if (!IsIdentifier(name)) errors.Add($"{where}: attribute name '{name}' is not an identifier");
            if (value is not (long or double or string or long[]))
                errors.Add($"{where}: attribute '{name}' holds a {value.GetType().Name}, not long, double, string or long[]");
        }
    }

    private static void CheckDeclarations(Graph graph, List<string> errors)
    {
        foreach (var v in graph.Inputs.Where(v => v.Type.DType != DType.I32 && !v.Type.DType.IsFloat()))
            errors.Add($"input {v} has type {v.Type}; inputs are i32 or float");
        foreach (var v in graph.Weights.Where(v => !v.Type.IsStatic))
            errors.Add($"weight {v} has type {v.Type}; weights need static shapes");
        foreach (var v in graph.States.Where(v => v.Type.Shape.Any(d => d.IsSymbolic && !PoolSymbols.Contains(d.Symbol!))))
            errors.Add($"state {v} has type {v.Type}; a state's dimensions are sizes or the KV pool's {string.Join(" and ", PoolSymbols)}");
    }

    private static void CheckSymbols(Graph graph, List<string> errors)
    {
        foreach (var v in graph.Values)
            foreach (var symbol in v.Type.Shape.Where(d => d.IsSymbolic).Select(d => d.Symbol!).Distinct())
                if (!KnownSymbols.Contains(symbol))
                    errors.Add($"{v}: {v.Type} uses unknown symbol '{symbol}' (known: {string.Join(", ", KnownSymbols)})");
    }

    private static void CheckOutputs(Graph graph, List<string> errors)
    {
        if (graph.Outputs.Count == 0) errors.Add("the graph has no outputs");
        var values = graph.Values.ToHashSet();
        var seen = new HashSet<Value>();
        foreach (var output in graph.Outputs)
        {
            if (!values.Contains(output)) errors.Add($"output {output} is not a value of this graph");
            if (!seen.Add(output)) errors.Add($"output {output} is listed twice");
        }
    }

    private static bool IsIdentifier(string name) =>
        name.Length > 0 && (char.IsAsciiLetter(name[0]) || name[0] == '_') && name.All(IrLexer.IsNameChar);
}
