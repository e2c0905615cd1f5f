namespace Llmc.Targets.Gpu;

/// <summary>An array in workgroup-shared memory of <paramref name="Count"/> elements of <paramref name="Type"/> (<c>float</c>, <c>int</c>, <c>uint</c>).</summary>
public sealed record SharedArray(string Type, string Name, int Count)
{
    public int Bytes => 4 * Count;
}
