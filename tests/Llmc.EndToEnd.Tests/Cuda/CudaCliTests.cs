using System.Text.Json.Nodes;
using Llmc.Runtime;
using Llmc.Runtime.Generation;

namespace Llmc.EndToEnd.Tests.Cuda;

/// <summary>
/// CUDA engines built on a machine without a GPU: the build needs only NVRTC, inspect shows the PTX and cubins, and
/// running says plainly that no GPU is there. Where a GPU is, the engine reproduces the reference greedy output.
/// </summary>
[Collection(StoriesCollection.Name)]
public sealed class CudaCliTests(StoriesEngines engines) : IDisposable
{
    private const string FatTarget = "cuda-sm80,cuda-sm89,cuda-sm90";

    private readonly string _dir = Directory.CreateTempSubdirectory("llmc-cuda-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void Build_for_sm89_succeeds_and_inspect_lists_its_ptx_and_cubin()
    {
        var engine = Build("cuda-sm89");
        var report = Inspect(engine);
        Assert.Equal("cuda-sm89", report["target"]!.GetValue<string>());
        AssertEveryKernelIn(report, ("ptx", "kernels.cuda.compute_89"), ("cubin", "kernels.cuda.sm_89"));

        var text = LlmcCli.Run("inspect", engine);
        Assert.Equal(0, text.ExitCode);
        Assert.Contains("kernels.cuda.compute_89", text.Stdout);
        Assert.Contains("kernels.cuda.sm_89", text.Stdout);
    }

    [Fact]
    public void Fat_engine_carries_ptx_and_a_cubin_for_each_architecture()
    {
        var report = Inspect(Build("cuda-sm90,cuda-sm80,cuda-sm89"));
        Assert.Equal(FatTarget, report["target"]!.GetValue<string>());
        AssertEveryKernelIn(report,
            ("ptx", "kernels.cuda.compute_80"), ("cubin", "kernels.cuda.sm_80"), ("cubin", "kernels.cuda.sm_89"), ("cubin", "kernels.cuda.sm_90"));
    }

    [NoCudaDeviceFact]
    public void Run_without_a_gpu_is_one_line_saying_no_cuda_device_is_available()
    {
        var run = LlmcCli.Run("run", engines.For("cuda-sm89"), "--prompt", "hi");
        Assert.NotEqual(0, run.ExitCode);
        Assert.StartsWith("error: no CUDA device is available: ", Assert.Single(run.StderrLines));
        Assert.Equal("", run.Stdout);
    }

    [Fact]
    public void Build_without_nvrtc_is_one_line_naming_it_and_writes_nothing()
    {
        var output = Path.Combine(_dir, "none.llmc");
        var build = LlmcCli.RunWith(new Dictionary<string, string> { ["LLMC_NVRTC_PATH"] = Path.Combine(_dir, "libnvrtc-missing.so") },
            "build", StoriesEngines.Source, "--target", "cuda-sm89", "-o", output);
        Assert.Equal(1, build.ExitCode);
        var line = Assert.Single(build.StderrLines);
        Assert.StartsWith("error: NVRTC cannot be loaded from LLMC_NVRTC_PATH=", line);
        Assert.Empty(Directory.GetFiles(_dir));
    }

    [Fact]
    public void Half_weight_engine_marks_its_tensor_core_code_as_rounding_rows_apart()
    {
        var engine = Build("cuda-sm90", "--quant", "f16");
        var kernels = Inspect(engine)["kernels"]!.AsArray().Select(k => k!.AsObject()).Where(k => k["min_rows"]!.GetValue<int>() > 0).ToList();
        bool SameRounding(JsonObject k) => k["same_rounding"]!.GetValue<bool>();
        // Tensor cores for the linear family; the whole-row attention rounds as the split one.
        Assert.Contains(kernels, k => k["template"]!.GetValue<string>().Contains("linear", StringComparison.Ordinal) && !SameRounding(k));
        Assert.Contains(kernels, k => k["template"]!.GetValue<string>().StartsWith("attention", StringComparison.Ordinal) && SameRounding(k));
        Assert.All(kernels.Where(k => k["template"]!.GetValue<string>().StartsWith("attention", StringComparison.Ordinal)), k => Assert.True(SameRounding(k)));
    }

    /// <summary>Loaded batch-invariant, a half-weight engine prefills without tensor cores, so batching changes no logit.</summary>
    [CudaDeviceFact]
    public void Half_weight_engine_loaded_batch_invariant_gives_the_logits_alone() =>
        BatchingChecks.ConcurrentLogitsAreBitwiseTheLogitsAlone(Build("cuda-sm90", "--quant", "f16"), batchInvariant: true);

    [CudaDeviceFact]
    public void Greedy_continuation_on_the_gpu_matches_reference()
    {
        var (promptIds, expected) = ReferenceOutputs.Case("Once upon a time");
        using var engine = Engine.Load(engines.For("cuda-sm80,cuda-sm86,cuda-sm89,cuda-sm90"));
        var result = engine.Generate("Once upon a time", new GenerationOptions { MaxTokens = expected.Length, Sampling = SamplingOptions.Greedy });
        Assert.Equal(promptIds, result.PromptTokens);
        Assert.Equal(expected, result.Tokens);
    }

    private string Build(string target, params string[] options)
    {
        var output = Path.Combine(_dir, target.Replace(',', '+') + string.Concat(options) + ".llmc");
        var build = LlmcCli.Run(["build", StoriesEngines.Source, "--target", target, "-o", output, .. options]);
        Assert.True(build.ExitCode == 0, build.Stderr);
        return output;
    }

    private static JsonObject Inspect(string engine)
    {
        var inspect = LlmcCli.Run("inspect", engine, "--json");
        Assert.True(inspect.ExitCode == 0, inspect.Stderr);
        return JsonNode.Parse(inspect.Stdout)!.AsObject();
    }

    /// <summary>Each kernel is listed once per code (format, section), and each code section is listed with its bytes.</summary>
    private static void AssertEveryKernelIn(JsonObject report, params (string Format, string Section)[] codes)
    {
        var kernels = report["kernels"]!.AsArray().Select(k => k!.AsObject()).ToList();
        Assert.NotEmpty(kernels);
        // Each kernel's code for any step, and its many-rows code where it has one, in every section.
        foreach (var group in kernels.GroupBy(k => (k["name"]!.GetValue<string>(), k["min_rows"]!.GetValue<int>())))
            Assert.Equal(codes.Order(), group.Select(k => (k["format"]!.GetValue<string>(), k["section"]!.GetValue<string>())).Order());
        Assert.Contains(kernels, k => k["min_rows"]!.GetValue<int>() > 0);
        var sections = report["code_sections"]!.AsArray().Select(s => s!.AsObject()).ToList();
        Assert.Equal(codes.Select(c => c.Section).Order(), sections.Select(s => s["name"]!.GetValue<string>()).Order());
        Assert.All(sections, s => Assert.True(s["bytes"]!.GetValue<long>() > 0));
    }
}
