using System.Runtime.InteropServices;
using Llmc.Compiler.Frontends.Safetensors;
using Llmc.Compiler.Synth;
using Llmc.Ir;

namespace Llmc.Benchmarks.Quantization;

/// <summary>
/// A copy of a Hugging Face model folder whose matrices (every rank-2 tensor: linear weights and the embedding, which a
/// tied head shares) hold the values of their llama.cpp Q8_0 rounding (<see cref="GgmlQ8_0Rounding"/>), stored as f32
/// in one <c>model.safetensors</c>; other tensors are widened to f32 unchanged and every other file is copied. Building
/// it with <c>--quant q8</c> stores exactly those codes and scales (llmc's q8 finds the same f16 scale and codes again
/// for values already on a Q8_0 grid, with or without GPTQ's feedback, whose errors are then zero), so llmc's runtime
/// measures the two roundings of the same weights side by side (<c>llmc eval kld</c>).
/// </summary>
public static class Q8_0RoundedModel
{
    private const int RowsPerBlock = 64;

    public static void Write(string source, string target)
    {
        if (Directory.Exists(target) && Directory.EnumerateFileSystemEntries(target).Any())
            throw new IOException($"{target} is not empty: the Q8_0-rounded copy is written to a new folder");
        Directory.CreateDirectory(target);
        try
        {
            using var model = SafetensorsModel.Open(source);
            var tensors = model.Tensors.Values.OrderBy(t => t.Name, StringComparer.Ordinal).ToList();
            var entries = tensors.Select(t => new SafetensorsEntry(t.Name, DType.F32, t.Shape)).ToList();
            var byName = tensors.ToDictionary(t => t.Name);
            SafetensorsWriter.Write(Path.Combine(target, SafetensorsModel.SingleFileName), entries, (entry, stream) => WriteTensor(byName[entry.Name], stream));
            foreach (var file in Directory.EnumerateFiles(source).Where(f => !IsWeightsFile(f)))
                File.Copy(file, Path.Combine(target, Path.GetFileName(file)));
        }
        catch
        {
            Directory.Delete(target, recursive: true);
            throw;
        }
    }

    private static bool IsWeightsFile(string path) =>
        path.EndsWith(".safetensors", StringComparison.Ordinal) || Path.GetFileName(path) == SafetensorsModel.IndexFileName;

    /// <summary>A block of rows at a time, so a 1B model's embedding is never held whole.</summary>
    private static void WriteTensor(SafetensorsTensor tensor, Stream stream)
    {
        var (rows, k) = tensor.Shape.Length == 2 ? (tensor.Shape[0], (int)tensor.Shape[1]) : (1L, checked((int)tensor.ElementCount));
        var buffer = new float[Math.Min(rows, RowsPerBlock) * k];
        for (long first = 0; first < rows; first += RowsPerBlock)
        {
            var values = buffer.AsSpan(0, (int)Math.Min(RowsPerBlock, rows - first) * k);
            tensor.CopyToFloat32(first * k, values);
            if (tensor.Shape.Length == 2)
                for (var r = 0; r < values.Length / k; r++) GgmlQ8_0Rounding.RoundRow(values.Slice(r * k, k));
            stream.Write(MemoryMarshal.AsBytes(values));
        }
    }
}
