using Llmc.Compiler.Weights;
using Llmc.Ir;
using Llmc.Ir.Quantization;
using Llmc.Runtime;

namespace Llmc.Compiler.Frontends.Gguf;

/// <summary>
/// A tensor of a GGUF file (F32, F16, BF16, or a quantized type an llmc format holds exactly:
/// <see cref="GgmlQuantizedRows"/>) as the Hugging Face weight it was converted from: ggml lists dimensions fastest
/// first, so the shape is reversed; q and k projections, whose rows llama.cpp's converter interleaves for its RoPE
/// (each head's two halves, row by row), get their rows back in Hugging Face order. A quantized matrix is carried in
/// its llmc format (<see cref="IWeightSource.CarriedFormat"/>); read as floats, it is those codes dequantized.
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

    public QuantFormat? CarriedFormat => Type.Rank == 2 ? GgmlQuantizedRows.FormatOf(_tensor.Type) : null;

    /// <summary>
    /// The narrowest float type holding a GGUF tensor's values exactly: its own for float types, f32 for the quantized
    /// types llmc has a format for; other types are refused by name.
    /// </summary>
    public static DType StoredType(GgufFile file, GgufTensorInfo tensor) => tensor.Type switch
    {
        GgmlType.F32 => DType.F32,
        GgmlType.F16 => DType.F16,
        GgmlType.BF16 => DType.BF16,
        var quantized when GgmlQuantizedRows.FormatOf(quantized) is not null && tensor.Dimensions.Length == 2 => DType.F32,
        _ => throw new ModelFileException(file.Path,
            $"tensor '{tensor.Name}' is {tensor.Type}; llmc imports F32, F16, BF16, Q8_0, Q4_0, Q4_1, Q4_K, Q5_K and Q6_K GGUF weights"),
    };

    public byte[] ReadCarried()
    {
        var format = CarriedFormat ?? throw new NotSupportedException($"tensor '{_tensor.Name}' is {_tensor.Type}");
        int n = Type[0].Size, k = Type[1].Size;
        if (!GgmlTypeLayout.TryGet(_tensor.Type, out var blockElements, out var blockBytes) || k % blockElements != 0)
            throw new ModelFileException(_file.Path, $"tensor '{_tensor.Name}' has rows of {k} values, not whole {_tensor.Type} blocks");
        var rowBytes = k / blockElements * blockBytes;
        var data = _file.GetTensorData(_tensor);
        var packed = new PackedMatrix(format, n, k);
        try
        {
            for (var row = 0; row < n; row++)
                GgmlQuantizedRows.Decode(_tensor.Type, data.Slice(row * rowBytes, rowBytes), k, packed, HfRow(row));
        }
        catch (ArgumentException ex)
        {
            throw new ModelFileException(_file.Path, $"tensor '{_tensor.Name}': {ex.Message}");
        }
        return packed.Bytes;
    }

    public float[] ReadFloat32()
    {
        if (CarriedFormat is { } format) return format.Dequantize(ReadCarried(), Type[0].Size, Type[1].Size);
        var values = new float[_tensor.ElementCount];
        FloatWidening.Widen(_stored, _file.GetTensorData(_tensor), values);
        return _ropeHeads is not null ? Unpermute(values) : values;
    }

    public bool ReadsRows => CarriedFormat is null && Type.Rank == 2;

    /// <summary>Rows in Hugging Face order, each widened from its place in the file (<see cref="FileRow"/>).</summary>
    public void ReadRows(int first, Span<float> destination)
    {
        var (k, size) = (Type[1].Size, _stored.SizeOf());
        var data = _file.GetTensorData(_tensor);
        for (var r = 0; r < destination.Length / k; r++)
            FloatWidening.Widen(_stored, data.Slice(FileRow(first + r) * k * size, k * size), destination.Slice(r * k, k));
    }

    /// <summary>The file row holding Hugging Face row <paramref name="row"/>: <see cref="HfRow"/> undone.</summary>
    private int FileRow(int row)
    {
        if (_ropeHeads is not { } heads) return row;
        var perHead = Type[0].Size / heads;
        var (h, within) = (row / perHead, row % perHead);
        return h * perHead + within % (perHead / 2) * 2 + within / (perHead / 2);
    }

    /// <summary>Row h·d + 2j + t of the file is row h·d + t·d/2 + j of the Hugging Face weight (d: rows per head).</summary>
    private int HfRow(int row)
    {
        if (_ropeHeads is not { } heads) return row;
        var perHead = Type[0].Size / heads;
        var (h, within) = (row / perHead, row % perHead);
        return h * perHead + within % 2 * (perHead / 2) + within / 2;
    }

    /// <summary>The file's rows moved to their Hugging Face places (<see cref="HfRow"/>).</summary>
    private float[] Unpermute(float[] values)
    {
        var columns = Type[1].Size;
        var result = new float[values.Length];
        for (var row = 0; row < Type[0].Size; row++)
            values.AsSpan(row * columns, columns).CopyTo(result.AsSpan(HfRow(row) * columns, columns));
        return result;
    }
}
