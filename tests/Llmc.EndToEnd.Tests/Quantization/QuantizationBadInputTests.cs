using Llmc.Runtime.Devices.Cpu;

namespace Llmc.EndToEnd.Tests.Quantization;

/// <summary>Bad <c>--quant</c> and <c>--group-size</c> values through the CLI: one line on stderr, exit 1, no engine left.</summary>
public sealed class QuantizationBadInputTests
{
    [Theory]
    [InlineData("q3", "32", "error: unknown --quant 'q3' (choose one of f32, f16, bf16, q8, q6, q4, q4a)")]
    [InlineData("q4", "0", "error: --group-size 0 is not supported (choose one of 32, 64, 128)")]
    [InlineData("q8", "48", "error: --group-size 48 is not supported (choose one of 32, 64, 128)")]
    [InlineData("q4a", "256", "error: --group-size 256 is not supported (choose one of 32, 64, 128)")]
    public void A_bad_quantization_option_is_one_line_and_writes_nothing(string quant, string groupSize, string message)
    {
        var folder = Directory.CreateTempSubdirectory("llmc-badquant-").FullName;
        try
        {
            var output = Path.Combine(folder, "x.llmc");
            var result = LlmcCli.Run("build", StoriesEngines.Source, "--target", CpuIsa.Avx2Target, "--quant", quant, "--group-size", groupSize, "-o", output);
            Assert.Equal(1, result.ExitCode);
            Assert.Equal(message, Assert.Single(result.StderrLines));
            Assert.Empty(Directory.EnumerateFileSystemEntries(folder));
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }
}
