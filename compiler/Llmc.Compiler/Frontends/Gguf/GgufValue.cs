namespace Llmc.Compiler.Frontends.Gguf;

/// <summary>
/// One metadata value. Scalars are boxed .NET values of the matching type (byte, sbyte, ushort, short, uint, int,
/// float, bool, string, ulong, long, double); arrays are typed .NET arrays of those, or <see cref="GgufValue"/>[]
/// for arrays of arrays.
/// </summary>
public sealed record GgufValue(GgufValueType Type, object Value, GgufValueType? ElementType = null)
{
    public override string ToString() => Type == GgufValueType.Array
        ? $"array of {((Array)Value).Length} {ElementType}"
        : $"{Type} {Value}";
}
