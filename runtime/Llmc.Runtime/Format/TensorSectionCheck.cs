using Llmc.Ir;

namespace Llmc.Runtime.Format;

/// <summary>
/// Each tensor of the manifest must name a section holding exactly the bytes its dtype and shape need: a kernel reads
/// a tensor by its shape alone, so a short section would be read past its end.
/// </summary>
public static class TensorSectionCheck
{
    public static void Verify(EngineFile file)
    {
        foreach (var tensor in file.Manifest.Tensors)
        {
            if (!DTypes.TryParse(tensor.DType, out var dtype))
                throw new ModelFileException(file.Path, $"tensor '{tensor.Name}' has unknown dtype '{tensor.DType}'");
            if (tensor.Shape.Any(d => d <= 0 || d > int.MaxValue))
                throw new ModelFileException(file.Path, $"tensor '{tensor.Name}' has an invalid shape [{string.Join(", ", tensor.Shape)}]");
            var shape = tensor.Shape.Select(d => (int)d).ToArray();
            if (dtype.IsQuantized() && shape.Length != 2)
                throw new ModelFileException(file.Path, $"tensor '{tensor.Name}' is {tensor.DType} but not a matrix");
            var expected = dtype.IsPacked() ? dtype.PackedBytes(shape) : shape.Aggregate(1L, (n, d) => n * d) * dtype.SizeOf();
            if (!file.HasSection(tensor.Section))
                throw new ModelFileException(file.Path, $"tensor '{tensor.Name}' names section '{tensor.Section}', which the file lacks");
            var actual = file.SectionLength(tensor.Section);
            if (actual != expected)
                throw new ModelFileException(file.Path,
                    $"tensor '{tensor.Name}' ({tensor.DType}[{string.Join(", ", tensor.Shape)}]) needs {expected} bytes but its section '{tensor.Section}' has {actual}");
        }
    }
}
