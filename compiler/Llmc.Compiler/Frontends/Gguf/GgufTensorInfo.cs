namespace Llmc.Compiler.Frontends.Gguf;

/// <summary>A tensor's entry in the GGUF header.</summary>
/// <param name="Dimensions">ggml order: Dimensions[0] is the innermost (contiguous) one.</param>
/// <param name="Offset">Start of the tensor's bytes, relative to <see cref="GgufFile.DataOffset"/>.</param>
/// <param name="ByteSize">Bytes the tensor occupies, from its type's block layout.</param>
public sealed record GgufTensorInfo(string Name, long[] Dimensions, GgmlType Type, long Offset, long ByteSize)
{
    public long ElementCount => Dimensions.Aggregate(1L, (product, dimension) => product * dimension);
}
