using System.Runtime.InteropServices;
using Llmc.Ir;
using Llmc.Targets.Tests.Conformance;

namespace Llmc.Targets.Tests.VulkanCodegen;

/// <summary>
/// Hands operands to an executor that moves host tensors as f32 words (uploading their values byte for byte and
/// copying state operands back into their floats) in their storage form instead: an f16/bf16 tensor (held on the
/// host as floats) as its packed 16-bit storage, a packed tensor (kv8 caches) as its bytes, each viewed as f32 words,
/// which is what the GPU kernels read. Packed state operands are copied back into their bytes after the run.
/// </summary>
public sealed class StorageOperands(IKernelExecutor inner) : IKernelExecutor
{
    public HostTensor Run(KernelInstance kernel, IReadOnlyList<HostTensor> operands, IReadOnlyDictionary<string, int> symbols, int tasks)
    {
        var words = operands.Select(AsWords).ToList();
        var result = inner.Run(kernel, words, symbols, tasks);
        for (var i = 0; i < operands.Count; i++)
        {
            if (operands[i].P is { } packed)
                MemoryMarshal.AsBytes(words[i].Floats.AsSpan())[..packed.Length].CopyTo(packed);
        }
        return result;
    }

    private static HostTensor AsWords(HostTensor tensor)
    {
        if (tensor.P is { } packed) return Words(packed);
        if (tensor.DType is not (DType.F16 or DType.BF16)) return tensor;
        var bits = tensor.Floats.Select(v => tensor.DType == DType.F16
            ? BitConverter.HalfToUInt16Bits((Half)v)
            : (ushort)(BitConverter.SingleToUInt32Bits(v) >> 16)).ToArray();
        return Words(MemoryMarshal.AsBytes(bits.AsSpan()));
    }

    /// <summary>Bytes as f32 words, zero-padded to a whole word.</summary>
    private static HostTensor Words(ReadOnlySpan<byte> bytes)
    {
        var words = new float[(bytes.Length + 3) / 4];
        bytes.CopyTo(MemoryMarshal.AsBytes(words.AsSpan()));
        return new HostTensor([words.Length], words);
    }
}
