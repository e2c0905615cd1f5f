namespace Llmc.Ir;

/// <summary>
/// A tensor in host memory with a concrete shape, as the reference interpreter sees it:
/// floats of every float dtype are held as f32, integers as i32.
/// </summary>
public sealed class HostTensor
{
    public HostTensor(DType dtype, int[] shape)
    {
        DType = dtype;
        Shape = shape;
        var n = checked((int)shape.Aggregate(1L, (a, b) => a * b));
        if (dtype.IsFloat()) F = new float[n];
        else I = new int[n];
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
        if (shape.Aggregate(1L, (a, b) => a * b) != Length)
            throw new IrException($"data of {Length} elements does not fill shape [{string.Join(", ", shape)}]");
    }

    public DType DType { get; }

    public int[] Shape { get; }

    public float[]? F { get; }

    public int[]? I { get; }

    public int Length => F?.Length ?? I!.Length;

    /// <summary>The float data; throws for an integer tensor.</summary>
    public float[] Floats => F ?? throw new IrException("expected a float tensor");

    /// <summary>The integer data; throws for a float tensor.</summary>
    public int[] Ints => I ?? throw new IrException("expected an integer tensor");

    public int Dim(int axis) => Shape[axis < 0 ? Shape.Length + axis : axis];

    /// <summary>Product of all dimensions but the last: the row count of a row-major matrix view.</summary>
    public int Rows => Shape.Length == 0 ? 1 : Length / Math.Max(1, Shape[^1]);
}
