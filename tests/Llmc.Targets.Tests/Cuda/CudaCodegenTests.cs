using System.Text;
using Llmc.Ir;
using Llmc.Ir.Ops;
using Llmc.Runtime.Devices.Cuda;
using Llmc.Runtime.Format;
using Llmc.Targets.Cuda;
using Llmc.Targets.Conformance;
using Llmc.Targets.Gpu.Templates;

namespace Llmc.Targets.Tests.Cuda;

/// <summary>
/// Without a GPU: every conformance kernel compiles with NVRTC for sm_80, sm_89 and sm_90, and the PTX holds the
/// instructions each kernel is meant to use.
/// </summary>
public sealed class CudaCodegenTests
{
    private static readonly byte[] ElfMagic = [0x7f, (byte)'E', (byte)'L', (byte)'F'];

    [NvrtcFact]
    public void EveryKernelCompilesToPtxAndACubinPerArchitecture()
    {
        var compiled = CudaConformanceBuild.Get();
        var ptx = CudaConformanceBuild.Ptx;
        Assert.Contains(".target sm_80", ptx);
        foreach (var arch in CudaConformanceBuild.Architectures)
        {
            var cubin = compiled.Sections[CudaKernelAbi.CubinSection(arch)];
            Assert.True(cubin.AsSpan().StartsWith(ElfMagic), $"the sm_{arch} section is not an ELF cubin");
        }
        Assert.Equal(CudaConformanceBuild.Architectures.Count + 1, compiled.Sections.Count);
        foreach (var kernel in CudaConformanceBuild.Kernels)
        {
            // The code for any step, and the many-rows code where the kernel has one, each in every section.
            var entries = compiled.Kernels.Where(k => k.Instance.Name == kernel.Name).ToList();
            Assert.All(entries, e => Assert.NotNull(e.Launch));
            foreach (var code in entries.GroupBy(e => e.Entry))
            {
                Assert.True(PtxText.HasEntry(ptx, code.Key), $"the PTX has no entry {code.Key}");
                Assert.Equal([.. compiled.Sections.Keys.Order()], code.Select(e => e.Section).Order());
                Assert.All(code, e => Assert.Equal(StepCode.IsManyRows(e.Launch) ? kernel.Name + "_rows" : kernel.Name, e.Entry));
            }
            Assert.Contains(entries, e => e.Entry == kernel.Name);
        }
    }

    [NvrtcFact]
    public void PrefillLinearFamilyOnHalfWeightsUsesTensorCoresAndF32WeightsDoNot()
    {
        var ptx = CudaConformanceBuild.Ptx;
        foreach (var c in CudaOnlyCases.All.Where(c => FusedLinearOp.IsLinearFamily(c.Op)))
        {
            var type = c.Kernel.Operands[1].DType == DType.BF16 ? "bf16" : "f16";
            Assert.Contains($"mma.sync.aligned.m16n8k16.row.col.f32.{type}.{type}.f32", PtxText.Entry(ptx, c.Kernel.Name + "_rows"));
            Assert.DoesNotContain("mma.sync", PtxText.Entry(ptx, c.Kernel.Name));
        }
        Assert.Contains(CudaOnlyCases.All, c => c.Kernel.Template == "rms_norm_linear_swiglu");
        foreach (var f32 in ConformanceCases.All.Where(c => c.Kernel.Template.Contains("linear") && c.Kernel.Operands[1].DType == DType.F32))
        {
            Assert.DoesNotContain("mma.sync", PtxText.Entry(ptx, f32.Kernel.Name));
            if (PtxText.HasEntry(ptx, f32.Kernel.Name + "_rows"))
                Assert.DoesNotContain("mma.sync", PtxText.Entry(ptx, f32.Kernel.Name + "_rows"));
        }
    }

    [NvrtcTheory]
    [InlineData(80)]
    [InlineData(86)]
    [InlineData(89)]
    [InlineData(90)]
    public void TensorCoreLinearAndWarpShufflesCompileForEachArchitecture(int arch)
    {
        var kernels = CudaOnlyCases.All.Select(c => c.Kernel).Take(2).ToList();
        var compiled = new CudaTarget([arch]).Compile(kernels);
        var ptx = Encoding.UTF8.GetString(compiled.Sections[CudaKernelAbi.PtxSection(arch)]);
        Assert.Contains($".target sm_{arch}", ptx);
        foreach (var kernel in kernels)
        {
            // The tensor-core prefill, and the shared decode kernel's warp-shuffle sums.
            Assert.Contains("mma.sync.aligned.m16n8k16", PtxText.Entry(ptx, kernel.Name + "_rows"));
            Assert.Contains("shfl.sync.bfly.b32", PtxText.Entry(ptx, kernel.Name));
        }
        Assert.True(compiled.Sections[CudaKernelAbi.CubinSection(arch)].Length > 0);
    }

    [NvrtcFact]
    public void MatVecKernelsReadWeightsThroughTheReadOnlyPath()
    {
        var ptx = CudaConformanceBuild.Ptx;
        foreach (var c in ConformanceCases.All.Where(c => OpRegistry.Get(c.Kernel.Template) is var op && FusedLinearOp.IsLinearFamily(op)))
            Assert.Contains("ld.global.nc", PtxText.Entry(ptx, c.Kernel.Name));
    }

    [NvrtcFact]
    public void ManyRowsLinearKeepsItsAccumulatorsInRegisters()
    {
        // A tile of 64 rows (32 for a gated pair) indexes its accumulators in loops NVRTC must unroll whole; rolled, the
        // 64 accumulators of the SwiGLU pair lived in 256 bytes of local memory. Only the row norms (RMSNorm prologue,
        // read at a run-time row by the activation rounding) may stay there: 4 bytes a tile row.
        var ptx = CudaConformanceBuild.Ptx;
        var many = ConformanceCases.All.Where(c => OpRegistry.Get(c.Kernel.Template) is var op && FusedLinearOp.IsLinearFamily(op)
            && PtxText.HasEntry(ptx, c.Kernel.Name + "_rows")).ToList();
        Assert.Contains(many, c => c.Kernel.Template == "rms_norm_linear_swiglu" && c.Kernel.Operands[1].DType.IsQuantized());
        foreach (var c in many)
        {
            var fusion = LinearFusion.Of(OpRegistry.Get(c.Kernel.Template));
            var normBytes = fusion.Prologue == LinearPrologue.RmsNorm ? 4 * MatVecLayout.ManyRowsAccumulators / fusion.Rows.Count : 0;
            var depot = System.Text.RegularExpressions.Regex.Match(PtxText.Entry(ptx, c.Kernel.Name + "_rows"), @"__local_depot\d+\[(\d+)\]");
            Assert.True((depot.Success ? int.Parse(depot.Groups[1].Value) : 0) <= normBytes, $"{c.Name}: {depot.Value} of local memory, more than its {normBytes} bytes of row norms");
        }
    }

    [NvrtcFact]
    public void QuantizedLinearUsesByteDotProducts()
    {
        var ptx = CudaConformanceBuild.Ptx;
        var quantized = ConformanceCases.All.Where(c => c.Kernel.Template == "linear" && c.Kernel.Operands[1].DType.IsQuantized()).ToList();
        Assert.NotEmpty(quantized);
        foreach (var c in quantized) Assert.Contains("dp4a.u32.s32", PtxText.Entry(ptx, c.Kernel.Name));
    }

    [NvrtcFact]
    public void ReductionKernelsShuffleWithinWarps()
    {
        var ptx = CudaConformanceBuild.Ptx;
        var reducing = ConformanceCases.All.Where(c => c.Kernel.Template is "rms_norm" or "rms_norm_linear" or "linear" or "attention").ToList();
        Assert.Contains(reducing, c => c.Kernel.Template == "rms_norm");
        foreach (var c in reducing) Assert.Contains("shfl.sync.bfly.b32", PtxText.Entry(ptx, c.Kernel.Name));
    }
}
