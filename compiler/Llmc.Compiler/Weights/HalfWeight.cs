using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using Llmc.Compiler.Synth;
using Llmc.Ir;
using Llmc.Runtime;

namespace Llmc.Compiler.Weights;

/// <summary>
/// A weight stored in f16 or bf16 from an f32 source (round to nearest even). Its f32 values are the rounded ones, so
/// the reference interpreter computes with exactly what the kernels read. Nothing is cached: the rounding is
/// vectorized and cheap to redo, and keeping every matrix's f32 copy held 5 GB of a 1B model's build.
/// </summary>
public sealed class HalfWeight : IWeightSource
{
    private readonly IWeightSource _source;
    private readonly string _name;

    public HalfWeight(IWeightSource source, DType half, string name)
    {
        if (half is not (DType.F16 or DType.BF16)) throw new ArgumentOutOfRangeException(nameof(half), half, "f16 or bf16");
        (_source, _name) = (source, name);
        Type = source.Type with { DType = half };
    }

    public TensorType Type { get; }

    public float[] ReadFloat32()
    {
        var stored = ReadStored();
        var values = new float[stored.Length / sizeof(ushort)];
        FloatWidening.Widen(Type.DType, stored, values);
        return values;
    }

    /// <summary>A source that reads rows is rounded a block of rows at a time, with no f32 copy of the whole matrix.</summary>
    public byte[] ReadStored()
    {
        if (!_source.ReadsRows)
        {
            var values = _source.ReadFloat32();
            var all = new byte[values.Length * sizeof(ushort)];
            Round(values, MemoryMarshal.Cast<byte, ushort>(all.AsSpan()));
            return all;
        }
        var (n, k) = (Type[0].Size, Type[1].Size);
        var bytes = new byte[(long)n * k * sizeof(ushort)];
        var halves = MemoryMarshal.Cast<byte, ushort>(bytes.AsSpan());
        var buffer = new float[Math.Min(n, RowsPerBlock) * k];
        for (var first = 0; first < n; first += RowsPerBlock)
        {
            var rows = buffer.AsSpan(0, Math.Min(RowsPerBlock, n - first) * k);
            _source.ReadRows(first, rows);
            Round(rows, halves.Slice(first * k, rows.Length));
        }
        return bytes;
    }

    /// <summary>Rows rounded at a time from a source that reads rows: 1 MB of f32 at a 2,048-wide matrix.</summary>
    private const int RowsPerBlock = 128;

    private void Round(ReadOnlySpan<float> values, Span<ushort> halves)
    {
        WeightEncoding.WriteHalves(Type.DType, values, halves);
        // f16 tops out at 65504; a weight beyond it would silently become infinite.
        if (FirstOverflow(values, halves) is var i and >= 0)
            throw new LlmcException($"weight '{_name}' holds {values[i]}, outside the range of {Type.DType.Name()}");
    }

    /// <summary>The first value that is finite but whose half is infinite; −1 when there is none.</summary>
    private int FirstOverflow(ReadOnlySpan<float> values, ReadOnlySpan<ushort> halves)
    {
        var infinity = Vector256.Create((ushort)(Type.DType == DType.F16 ? 0x7C00 : 0x7F80));
        var magnitude = Vector256.Create((ushort)0x7FFF);
        var chunk = Vector256<ushort>.Count;
        for (var start = 0; start < halves.Length; start += chunk)
        {
            var count = Math.Min(chunk, halves.Length - start);
            // Whole vectors are checked at once; a chunk with an infinite half (or the short last one) value by value.
            if (count == chunk && !Vector256.EqualsAny(Vector256.Create<ushort>(halves.Slice(start, chunk)) & magnitude, infinity)) continue;
            for (var i = start; i < start + count; i++)
                if ((halves[i] & 0x7FFF) == infinity[0] && float.IsFinite(values[i])) return i;
        }
        return -1;
    }
}
