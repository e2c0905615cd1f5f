namespace Llmc.Ir;

/// <summary>
/// A tensor in host memory with a concrete shape, as the reference interpreter sees it:
/// floats of every float dtype are held as f32, integers as i32, packed types (quantized weights, kv8) as their bytes.
/// </summary>
public sealed class HostTensor
{
    public HostTensor(DType dtype, int[] shape)
    {
        DType = dtype;
        Shape = shape;
        var n = checked((int)shape.Aggregate(1L, (a, b) => a * b));
        if (dtype.IsFloat()) F = new float[n];
        else if (dtype.IsPacked()) P = new byte[dtype.PackedBytes(shape)];
        else I = new int[n];
    }

    /// <summary>A packed tensor (a quantized [N, K] weight, a kv8 cache) in its layout.</summary>
    public HostTensor(DType dtype, int[] shape, byte[] packed) : this(dtype, shape, null, null)
    {
        if (!dtype.IsPacked() || packed.Length != dtype.PackedBytes(shape))
            throw new IrException($"{packed.Length} bytes are not a packed {dtype.Name()}[{string.Join(", ", shape)}] tensor");
        P = packed;
    }

    public HostTensor(int[] shape, float[] data) : this(DType.F32, shape, data, null)
    {
    }

    public HostTensor(int[] shape, int[] data) : this(DType.I32, shape, null, data)
    {
    }

    private HostTensor(DType dtype, int[] shape, float[]? f, int[]? i)
    {
        DType = dtype;
        Shape = shape;
        F = f;
        I = i;
        if ((f?.Length ?? i?.Length) is { } length && shape.Aggregate(1L, (a, b) => a * b) != length)
            throw new IrException($"data of {length} elements does not fill shape [{string.Join(", ", shape)}]");
    }

    public DType DType { get; }

    public int[] Shape { get; }

    public float[]? F { get; }

    public int[]? I { get; }

    /// <summary>The bytes of a packed tensor.</summary>
    public byte[]? P { get; }

    public int Length => checked((int)Shape.Aggregate(1L, (a, b) => a * b));

    /// <summary>The float data; throws for an integer tensor.</summary>
    public float[] Floats => F ?? throw new IrException("expected a float tensor");

    /// <summary>The integer data; throws for a float tensor.</summary>
    public int[] Ints => I ?? throw new IrException("expected an integer tensor");

    /// <summary>The packed bytes; throws unless the tensor is packed.</summary>
    public byte[] Packed => P ?? throw new IrException("expected a packed tensor");

    public int Dim(int axis) => Shape[axis < 0 ? Shape.Length + axis : axis];

    /// <summary>Product of all dimensions but the last: the row count of a row-major matrix view.</summary>
    public int Rows => Shape.Length == 0 ? 1 : Length / Math.Max(1, Shape[^1]);
}
