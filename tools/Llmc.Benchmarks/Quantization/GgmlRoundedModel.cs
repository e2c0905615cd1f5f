using System.Runtime.InteropServices;
using Llmc.Compiler.Frontends.Safetensors;
using Llmc.Compiler.Synth;
using Llmc.Ir;

namespace Llmc.Benchmarks.Quantization;

/// <summary>
/// A copy of a Hugging Face model folder whose matrices hold the values of their llama.cpp rounding
/// (<see cref="GgmlReferenceRounding"/>), stored as f32 in one <c>model.safetensors</c>; other tensors are widened to
/// f32 unchanged and every other file is copied. Q8_0 rounds every rank-2 tensor (as <c>llama-quantize --pure</c>);
/// Q4_0 leaves the embedding table and LM head as they are, since a q4 build stores those at q6 (and llama.cpp its
/// output at Q6_K), so both engines then hold the same table. Building the copy with <c>--quant q8</c> or
/// <c>--quant q4</c> stores exactly those codes and scales: llmc's max-abs (q8) and its search (q4, whose candidates
/// near divisor 8 reproduce a Q4_0 block with no error) find them again, and GPTQ's feedback then has no error to
/// spread. So llmc's runtime measures the two roundings of the same weights side by side (<c>llmc eval kld</c>).
/// </summary>
public static class GgmlRoundedModel
{
    private const int RowsPerBlock = 64;

    public static void Write(GgmlReferenceType type, string source, string target)
    {
        if (Directory.Exists(target) && Directory.EnumerateFileSystemEntries(target).Any())
            throw new IOException($"{target} is not empty: the {type}-rounded copy is written to a new folder");
        Directory.CreateDirectory(target);
        try
        {
            using var model = SafetensorsModel.Open(source);
            var tensors = model.Tensors.Values.OrderBy(t => t.Name, StringComparer.Ordinal).ToList();
            var entries = tensors.Select(t => new SafetensorsEntry(t.Name, DType.F32, t.Shape)).ToList();
            var byName = tensors.ToDictionary(t => t.Name);
            SafetensorsWriter.Write(Path.Combine(target, SafetensorsModel.SingleFileName), entries, (entry, stream) =>
            {
                var tensor = byName[entry.Name];
                WriteTensor(tensor, Rounds(type, tensor) ? type : null, stream);
            });
            foreach (var file in Directory.EnumerateFiles(source).Where(f => !IsWeightsFile(f)))
                File.Copy(file, Path.Combine(target, Path.GetFileName(file)));
        }
        catch
        {
            Directory.Delete(target, recursive: true);
            throw;
        }
    }

    private static bool Rounds(GgmlReferenceType type, SafetensorsTensor tensor) =>
        tensor.Shape.Length == 2 && (type == GgmlReferenceType.Q8_0 || !IsTableOrHead(tensor.Name));

    private static bool IsTableOrHead(string name) =>
        name.EndsWith("embed_tokens.weight", StringComparison.Ordinal) || name == "lm_head.weight";

    private static bool IsWeightsFile(string path) =>
        path.EndsWith(".safetensors", StringComparison.Ordinal) || Path.GetFileName(path) == SafetensorsModel.IndexFileName;

    /// <summary>A block of rows at a time, so a 1B model's embedding is never held whole.</summary>
    private static void WriteTensor(SafetensorsTensor tensor, GgmlReferenceType? rounding, Stream stream)
    {
        var (rows, k) = tensor.Shape.Length == 2 ? (tensor.Shape[0], (int)tensor.Shape[1]) : (1L, checked((int)tensor.ElementCount));
        var buffer = new float[Math.Min(rows, RowsPerBlock) * k];
        for (long first = 0; first < rows; first += RowsPerBlock)
        {
            var values = buffer.AsSpan(0, (int)Math.Min(RowsPerBlock, rows - first) * k);
            tensor.CopyToFloat32(first * k, values);
            if (rounding is { } type)
                for (var r = 0; r < values.Length / k; r++) GgmlReferenceRounding.RoundRow(type, values.Slice(r * k, k));
            stream.Write(MemoryMarshal.AsBytes(values));
        }
    }
}
