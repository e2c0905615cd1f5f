using Llmc.Ir;

namespace Llmc.Compiler.Weights;

/// <summary>Weight sources by the name their graph gives them; checks that each graph weight has a source of its type.</summary>
public sealed class WeightStore
{
    private readonly Dictionary<string, IWeightSource> _sources = new(StringComparer.Ordinal);

    public void Add(string name, IWeightSource source)
    {
        if (!_sources.TryAdd(name, source)) throw new InvalidOperationException($"weight '{name}' added twice");
    }

    public IWeightSource this[string name] =>
        _sources.TryGetValue(name, out var s) ? s : throw new IrException($"no weight named '{name}'");

    public bool Contains(string name) => _sources.ContainsKey(name);

    public IEnumerable<string> Names => _sources.Keys;

    /// <summary>Takes a weight out (a fused checkpoint tensor once its parts are in, so a fusion may reuse its name).</summary>
    public IWeightSource Remove(string name) =>
        _sources.Remove(name, out var source) ? source : throw new IrException($"no weight named '{name}'");

    /// <summary>A host tensor of a weight, for the reference interpreter.</summary>
    public HostTensor ReadHost(string name)
    {
        var source = this[name];
        var shape = source.Type.Shape.Select(d => d.Size).ToArray();
        return source.Type.DType.IsQuantized()
            ? new HostTensor(source.Type.DType, shape, source.ReadStored())
            : new HostTensor(shape, source.ReadFloat32());
    }
}
