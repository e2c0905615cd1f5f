namespace Llmc.Runtime.Plan;

/// <summary>
/// The run-time symbols every kernel receives, in this order, as its <c>int* dims</c> argument: per step <c>seq</c>
/// (rows), <c>out</c> (logit rows) and <c>kv_table</c> (block table entries); per loaded engine <c>kv_blocks</c> and
/// <c>kv_block</c>, the KV pool's blocks and positions per block.
/// </summary>
public static class PlanSymbols
{
    public const int Seq = 0;
    public const int Out = 1;
    public const int KvTable = 2;
    public const int KvBlocks = 3;
    public const int KvBlock = 4;
    public const int Count = 5;

    public static readonly string[] Names = ["seq", "out", "kv_table", "kv_blocks", "kv_block"];

    public static int IndexOf(string symbol) =>
        Array.IndexOf(Names, symbol) is var i and >= 0 ? i : throw new ArgumentException($"unknown symbol '{symbol}'");
}
