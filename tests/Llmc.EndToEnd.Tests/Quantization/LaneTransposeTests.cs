using System.Runtime.Intrinsics;
using Llmc.Compiler.Weights;

namespace Llmc.EndToEnd.Tests.Quantization;

public sealed class LaneTransposeTests
{
    [Fact]
    public void The_shuffled_transpose_moves_every_element_as_the_one_by_one_transpose_does()
    {
        // Distinct values (NaN payloads and negative zero included: codes travel as float bits), poisoned outputs.
        var random = new Random(5);
        for (var trial = 0; trial < 100; trial++)
        {
            var rows = new Vector256<float>[8];
            for (var i = 0; i < 8; i++)
                rows[i] = Vector256.Create(Enumerable.Range(0, 8).Select(j => trial == 0 ? BitConverter.Int32BitsToSingle(0x7FC00000 + i * 8 + j)
                    : j == trial % 8 ? -0f : (float)random.NextDouble()).ToArray());
            var (shuffled, oneByOne) = (Enumerable.Repeat(Vector256.Create(float.NaN), 8).ToArray(), Enumerable.Repeat(Vector256.Create(1e30f), 8).ToArray());
            LaneTranspose.Transpose(rows, shuffled);
            LaneTranspose.TransposeOneByOne(rows, oneByOne);
            for (var i = 0; i < 8; i++)
                for (var j = 0; j < 8; j++)
                {
                    Assert.Equal(BitConverter.SingleToInt32Bits(rows[i][j]), BitConverter.SingleToInt32Bits(oneByOne[j][i]));
                    Assert.Equal(BitConverter.SingleToInt32Bits(rows[i][j]), BitConverter.SingleToInt32Bits(shuffled[j][i]));
                }
        }
    }
}
