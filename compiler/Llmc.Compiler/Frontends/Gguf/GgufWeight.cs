using Llmc.Compiler.Weights;
using Llmc.Ir;
using Llmc.Runtime;

namespace Llmc.Compiler.Frontends.Gguf;

/// <summary>
/// A float tensor of a GGUF file (F32, F16 or BF16) as the Hugging Face weight it was converted from: ggml lists
/// dimensions fastest first, so the shape is reversed; q and k projections, whose rows llama.cpp's converter
/// interleaves for its RoPE (each head's two halves, row by row), get their rows back in Hugging Face order.
/// </summary>
public sealed class GgufWeight : IWeightSource
{
    private readonly GgufFile _file;
    private readonly GgufTensorInfo _tensor;
    private readonly DType _stored;
    private readonly int? _ropeHeads;

    /// <param name="ropeHeads">For a q or k projection: its heads, whose rows are put back in Hugging Face order.</param>
    public GgufWeight(GgufFile file, GgufTensorInfo tensor, int? ropeHeads = null)
    {
        _file = file;
        _tensor = tensor;
        _stored = StoredType(file, tensor);
        _ropeHeads = ropeHeads;
        Type = new TensorType(DType.F32, tensor.Dimensions.Reverse().Select(d => new Dim(checked((int)d))).ToArray());
        if (ropeHeads is { } heads && (Type.Rank != 2 || Type[0].Size % (2 * heads) != 0))
            throw new ModelFileException(file.Path, $"tensor '{tensor.Name}' has shape {Type}, which does not split into {heads} heads of two halves");
    }

    public TensorType Type { get; }

    public DType ExactPrecision => _stored;

    /// <summary>The float types GGUF weights are imported from; quantized ones are refused by name until their formats exist.</summary>
    public static DType StoredType(GgufFile file, GgufTensorInfo tensor) => tensor.Type switch
    {
        GgmlType.F32 => DType.F32,
        GgmlType.F16 => DType.F16,
        GgmlType.BF16 => DType.BF16,
        _ => throw new ModelFileException(file.Path, $"tensor '{tensor.Name}' is {tensor.Type}; llmc imports F32, F16 and BF16 GGUF weights so far"),
    };

    public float[] ReadFloat32()
    {
        var values = new float[_tensor.ElementCount];
        FloatWidening.Widen(_stored, _file.GetTensorData(_tensor), values);
        return _ropeHeads is { } heads ? Unpermute(values, heads) : values;
    }

    /// <summary>Row h·d + 2j + t of the file is row h·d + t·d/2 + j of the Hugging Face weight (d: rows per head).</summary>
    private float[] Unpermute(float[] values, int heads)
    {
        var columns = Type[1].Size;
        var perHead = Type[0].Size / heads;
        var half = perHead / 2;
        var result = new float[values.Length];
        for (var h = 0; h < heads; h++)
            for (var j = 0; j < half; j++)
                for (var t = 0; t < 2; t++)
                    values.AsSpan((h * perHead + 2 * j + t) * columns, columns).CopyTo(result.AsSpan((h * perHead + t * half + j) * columns, columns));
        return result;
    }
}
