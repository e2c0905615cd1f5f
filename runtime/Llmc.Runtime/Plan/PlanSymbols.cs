namespace Llmc.Runtime.Plan;

/// <summary>
/// The run-time symbols every kernel receives, in this order, as its <c>int* dims</c> argument.
/// </summary>
public static class PlanSymbols
{
    public const int Seq = 0;
    public const int Out = 1;
    public const int Count = 2;

    public static readonly string[] Names = ["seq", "out"];

    public static int IndexOf(string symbol) =>
        Array.IndexOf(Names, symbol) is var i and >= 0 ? i : throw new ArgumentException($"unknown symbol '{symbol}'");
}
