using Llmc.Ir.Ops;

namespace Llmc.Ir;

/// <summary>All ops by name. Adding an op is one file in Ops/ plus one row here.</summary>
public static class OpRegistry
{
    private static readonly Dictionary<string, OpDef> ByName = new OpDef[]
    {
        new EmbeddingOp(),
        new RmsNormOp(),
        new LinearOp(),
        new RopeOp(),
        new AttentionOp(),
        new SiluOp(),
        new GeluTanhOp(),
        new MulOp(),
        new AddOp(),
        new GatherRowsOp(),
        new SoftCapOp(),
    }.Concat<OpDef>(AttentionRopeOp.All).Concat(FusedLinearOp.All).Concat(ElementwiseChainOp.All).ToDictionary(op => op.Name, StringComparer.Ordinal);

    public static IEnumerable<OpDef> All => ByName.Values;

    public static OpDef Get(string name) =>
        ByName.TryGetValue(name, out var op) ? op : throw new IrException($"unknown op '{name}'");

    public static bool TryGet(string name, out OpDef op) => ByName.TryGetValue(name, out op!);

    public static T Get<T>() where T : OpDef => ByName.Values.OfType<T>().Single();
}
