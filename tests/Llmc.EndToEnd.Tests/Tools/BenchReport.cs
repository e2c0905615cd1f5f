using System.Text.Json;

namespace Llmc.EndToEnd.Tests.Tools;

/// <summary>Checks shared by every engine's <c>llmc bench --json</c> report.</summary>
internal static class BenchReport
{
    /// <summary>
    /// The bandwidth is positive, its best trial is the peak roofline (the median and minimum below it), and the
    /// fraction of the peak is decode tokens/s × bytes per token over that bandwidth; the fraction of the bandwidth
    /// measured around each run is positive and within its own range.
    /// </summary>
    public static void AssertRooflineFromBestTrial(JsonElement root)
    {
        var best = root.GetProperty("bandwidth_gb_per_s").GetDouble();
        Assert.True(best > 0, $"{best} GB/s");
        Assert.True(root.GetProperty("bandwidth_gb_per_s_min").GetDouble() <= root.GetProperty("bandwidth_gb_per_s_median").GetDouble());
        Assert.True(root.GetProperty("bandwidth_gb_per_s_median").GetDouble() <= best);
        var expected = root.GetProperty("decode_tokens_per_s").GetDouble() * root.GetProperty("bytes_per_token").GetDouble() / (best * 1e9);
        // The report rounds the fraction to 4 decimals, which dominates for tiny models (lavapipe: ~0.002).
        Assert.InRange(root.GetProperty("roofline_fraction_of_peak").GetDouble(), expected * 0.99 - 5e-5, expected * 1.01 + 5e-5);
        var paired = root.GetProperty("roofline_fraction").GetDouble();
        Assert.True(paired > 0, $"roofline fraction {paired}");
        Assert.InRange(paired, root.GetProperty("roofline_fraction_min").GetDouble(), root.GetProperty("roofline_fraction_max").GetDouble());
    }
}
