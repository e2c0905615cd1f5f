using System.Runtime.InteropServices;

namespace Llmc.Ir.Quantization;

/// <summary>
/// A KV cache operand as attention's reference writes and reads it: one row of kv_heads·head_dim values per pool row
/// (<see cref="KvBlockTable"/>), stored as f32 or as kv8 (<see cref="KvCacheFormat"/>). Writing a kv8 row quantizes each head's part with
/// <see cref="ActivationQuantization.QuantizeGroup"/>; reading gives scale · code.
/// </summary>
public abstract class KvCacheView
{
    public static KvCacheView Of(HostTensor cache, int kvHeads, int headDim) => cache.DType switch
    {
        DType.F32 => new F32Cache(cache.Floats, kvHeads * headDim),
        DType.KV8 => new Int8Cache(cache, kvHeads, headDim),
        _ => throw new IrException($"a KV cache is f32 or kv8, not {cache.DType.Name()}"),
    };

    /// <summary>Stores the kv_heads·head_dim values of <paramref name="row"/> at pool row <paramref name="position"/>.</summary>
    public abstract void Write(int position, ReadOnlySpan<float> row);

    /// <summary>Value <paramref name="index"/> (of kv_heads·head_dim) of the row at pool row <paramref name="position"/>.</summary>
    public abstract double this[int position, int index] { get; }

    private sealed class F32Cache(float[] values, int width) : KvCacheView
    {
        public override void Write(int position, ReadOnlySpan<float> row) => row.CopyTo(values.AsSpan(position * width, width));

        public override double this[int position, int index] => values[position * width + index];
    }

    private sealed class Int8Cache(HostTensor cache, int kvHeads, int headDim) : KvCacheView
    {
        private readonly long _codes = KvCacheFormat.CodesOffset((long)cache.Dim(0) * cache.Dim(1), kvHeads);

        private Span<float> Scales => MemoryMarshal.Cast<byte, float>(cache.Packed.AsSpan(0, (int)_codes));

        public override void Write(int position, ReadOnlySpan<float> row)
        {
            Span<int> codes = stackalloc int[headDim];
            for (var h = 0; h < kvHeads; h++)
            {
                var (scale, _) = ActivationQuantization.QuantizeGroup(row.Slice(h * headDim, headDim), codes);
                Scales[position * kvHeads + h] = scale;
                var to = cache.Packed.AsSpan((int)(_codes + ((long)position * kvHeads + h) * headDim), headDim);
                for (var i = 0; i < headDim; i++) to[i] = (byte)(sbyte)codes[i];
            }
        }

        public override double this[int position, int index]
        {
            get
            {
                var head = position * kvHeads + index / headDim;
                var code = (sbyte)cache.Packed[_codes + (long)position * kvHeads * headDim + index];
                return (double)Scales[head] * code;
            }
        }
    }
}
