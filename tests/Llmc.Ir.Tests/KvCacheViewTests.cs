using Llmc.Ir.Quantization;

namespace Llmc.Ir.Tests;

/// <summary>The kv8 cache as attention's reference writes and reads it.</summary>
public sealed class KvCacheViewTests
{
    // A pool of five blocks of one position each: pool row = block.
    private const int Positions = 5, KvHeads = 3, HeadDim = 7;

    [Fact]
    public void A_written_row_reads_back_within_half_a_code_step_per_head()
    {
        var cache = new HostTensor(DType.KV8, [Positions, 1, KvHeads, HeadDim]);
        var view = KvCacheView.Of(cache, KvHeads, HeadDim);
        var random = new Random(3);
        var row = Enumerable.Range(0, KvHeads * HeadDim).Select(i => (float)((random.NextDouble() * 2 - 1) * (i / HeadDim + 1))).ToArray();
        view.Write(2, row);
        for (var h = 0; h < KvHeads; h++)
        {
            var part = row.AsSpan(h * HeadDim, HeadDim);
            var step = part.ToArray().Max(MathF.Abs) / 127.0;
            for (var i = 0; i < HeadDim; i++)
                Assert.InRange(view[2, h * HeadDim + i], part[i] - step / 2 - 1e-7, part[i] + step / 2 + 1e-7);
        }
    }

    [Fact]
    public void Codes_and_scales_are_the_activation_rounding_in_the_documented_layout()
    {
        var cache = new HostTensor(DType.KV8, [Positions, 1, KvHeads, HeadDim]);
        var row = Enumerable.Range(0, KvHeads * HeadDim).Select(i => MathF.Sin(i * 0.7f) * (i + 1)).ToArray();
        KvCacheView.Of(cache, KvHeads, HeadDim).Write(4, row);
        var scales = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(cache.Packed.AsSpan(0, (int)KvCacheFormat.CodesOffset(Positions, KvHeads)));
        var codes = new int[HeadDim];
        for (var h = 0; h < KvHeads; h++)
        {
            var (scale, _) = ActivationQuantization.QuantizeGroup(row.AsSpan(h * HeadDim, HeadDim), codes);
            Assert.Equal(scale, scales[4 * KvHeads + h]);
            var stored = cache.Packed.AsSpan((int)KvCacheFormat.CodesOffset(Positions, KvHeads) + (4 * KvHeads + h) * HeadDim, HeadDim);
            Assert.Equal(codes, stored.ToArray().Select(b => (int)(sbyte)b));
        }
        // Only position 4 was written.
        Assert.Equal(KvHeads, scales.ToArray().Count(s => s != 0));
    }

    [Fact]
    public void A_zero_row_overwrites_with_zero_codes_and_scale()
    {
        var cache = new HostTensor(DType.KV8, [Positions, 1, KvHeads, HeadDim]);
        var view = KvCacheView.Of(cache, KvHeads, HeadDim);
        view.Write(0, [.. Enumerable.Range(1, KvHeads * HeadDim).Select(i => (float)i)]);
        Assert.NotEqual(0.0, view[0, 0]);
        view.Write(0, new float[KvHeads * HeadDim]);
        Assert.All(Enumerable.Range(0, KvHeads * HeadDim), i => Assert.Equal(0.0, view[0, i]));
    }

    [Fact]
    public void Kv8_is_a_packed_type_of_codes_and_scales()
    {
        Assert.Equal(Positions * KvHeads * (HeadDim + 4L), DType.KV8.PackedBytes([Positions, 1, KvHeads, HeadDim]));
        Assert.Equal(DType.KV8, DTypes.Parse("kv8"));
        Assert.Throws<IrException>(() => DType.KV8.PackedBytes([Positions, KvHeads * HeadDim]));
        Assert.Equal(new TensorType(DType.KV8, Positions, 1, KvHeads, HeadDim), KvCacheFormat.CacheType(DType.KV8, Positions, 1, KvHeads, HeadDim));
    }
}
