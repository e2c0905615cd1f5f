using Llmc.Compiler.Frontends;
using Llmc.Compiler.Models;
using Llmc.Compiler.Weights;
using Llmc.Ir.Ops;

namespace Llmc.EndToEnd.Tests.Quantization;

public sealed class SelfCalibrationTests
{
    [Fact]
    public void Stories_calibration_gives_every_linear_weight_a_gram_matrix_of_its_inputs()
    {
        using var model = HfModelFolder.Open(StoriesEngines.Source);
        var (graph, weights) = ModelImport.Import(model, context: 512);
        var grams = SelfCalibration.Run(graph, weights, bos: 1);
        var linearWeights = graph.Nodes.Where(n => FusedLinearOp.IsLinearFamily(n.Op)).Select(n => n.Inputs[1]).Distinct().ToList();
        Assert.Equal(linearWeights.Select(w => w.Name).Order(), grams.Keys.Order());
        foreach (var weight in linearWeights)
        {
            var gram = grams[weight.Name];
            var k = weight.Type[1].Size;
            Assert.Equal(k, gram.GetLength(0));
            for (var i = 0; i < k; i++)
            {
                // Σ x_i² over 2,048 tokens of real activations: never zero for this model's inputs.
                Assert.True(gram[i, i] > 0, $"{weight.Name}: feature {i} never seen");
                for (var j = 0; j < i; j++)
                {
                    Assert.Equal(gram[i, j], gram[j, i]);
                    Assert.True(gram[i, j] * gram[i, j] <= gram[i, i] * gram[j, j] * (1 + 1e-9), $"{weight.Name}: ({i}, {j}) breaks Cauchy-Schwarz");
                }
            }
        }
    }
}
