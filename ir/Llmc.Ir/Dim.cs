namespace Llmc.Ir;

/// <summary>
/// One tensor dimension: a constant size, or a symbol bound at run time.
/// Symbols: <see cref="Seq"/> (tokens in this step), <see cref="Out"/> (rows whose logits are wanted),
/// <see cref="KvTable"/> (entries of the step's block tables), and the KV block pool's <see cref="KvBlocks"/> (blocks)
/// and <see cref="KvBlock"/> (positions per block), which the runtime binds once when it loads an engine.
/// </summary>
public readonly record struct Dim
{
    public static readonly Dim Seq = new("seq");
    public static readonly Dim Out = new("out");
    public static readonly Dim KvTable = new("kv_table");
    public static readonly Dim KvBlocks = new("kv_blocks");
    public static readonly Dim KvBlock = new("kv_block");

    private Dim(int size, string? symbol)
    {
        Size = size;
        Symbol = symbol;
    }

    public Dim(int size) : this(size, null)
    {
        if (size < 0) throw new IrException($"negative dimension {size}");
    }

    public Dim(string symbol) : this(-1, symbol)
    {
        if (string.IsNullOrEmpty(symbol) || !char.IsLetter(symbol[0]))
            throw new IrException($"bad symbolic dimension '{symbol}'");
    }

    /// <summary>The constant size, or -1 for a symbol.</summary>
    public int Size { get; }

    public string? Symbol { get; }

    public bool IsSymbolic => Symbol is not null;

    public static implicit operator Dim(int size) => new(size);

    /// <summary>The size once symbols are bound.</summary>
    public int Resolve(IReadOnlyDictionary<string, int> symbols) =>
        Symbol is null ? Size
        : symbols.TryGetValue(Symbol, out var v) ? v
        : throw new IrException($"symbolic dimension '{Symbol}' is not bound");

    public override string ToString() => Symbol ?? Size.ToString(System.Globalization.CultureInfo.InvariantCulture);
}
