using System.Buffers.Binary;
using Llmc.Ir;
using Llmc.Targets.Gpu;
using Llmc.Targets.Conformance;
using Llmc.Targets.Vulkan;
using Llmc.Targets.Vulkan.ShaderCompilers;

namespace Llmc.Targets.Tests.VulkanCodegen;

/// <summary>The Vulkan target renders GLSL from the shared GPU templates and compiles it to SPIR-V (glslc, one batch).</summary>
public sealed class VulkanCodegenTests(SpirvBatch batch) : IClassFixture<SpirvBatch>
{
    private const uint SpirvMagic = 0x07230203;

    [Fact]
    public void Every_conformance_op_has_a_gpu_template()
    {
        var missing = ConformanceCases.All.Select(c => c.Kernel.Template).Distinct().Where(t => !batch.Target.Supports(t)).ToList();
        Assert.True(missing.Count == 0, "no GPU template for: " + string.Join(", ", missing));
    }

    [Fact]
    public void Every_kernel_compiles_to_spirv_in_one_glslc_run_per_batch()
    {
        // Each kernel's code for any step and its many-rows code where it has one, in each variant.
        var distinct = batch.Cases.Select(c => c.Kernel).Distinct().ToList();
        var codes = distinct.Count + distinct.Count(k => batch.Target.RenderManyRows(k, GlslDialect.Instance) is not null);
        Assert.True(codes > distinct.Count, "some conformance kernels have a many-rows code");
        Assert.Equal(codes * VulkanTarget.Variants.Count, batch.Compiled.Sections.Count);
        Assert.Equal((batch.Compiled.Sections.Count + GlslcCompiler.BatchSize - 1) / GlslcCompiler.BatchSize, batch.Glslc.Invocations);
        foreach (var (name, spirv) in batch.Compiled.Sections)
        {
            Assert.StartsWith(VulkanTarget.SectionPrefix, name);
            Assert.True(spirv.Length > 20 && spirv.Length % 4 == 0, $"{name}: {spirv.Length} bytes is not a SPIR-V module");
            Assert.Equal(SpirvMagic, BinaryPrimitives.ReadUInt32LittleEndian(spirv));
        }
    }

    [Fact]
    public void Compiled_kernels_name_their_section_entry_format_and_launch()
    {
        // One entry per kernel, code and variant: every plain one, then every subgroup one; a kernel's many-rows code
        // follows its code for any step.
        var variants = VulkanTarget.Variants.SelectMany(v => batch.Cases.SelectMany(c =>
            batch.Target.RenderManyRows(c.Kernel, v) is null ? new[] { (Variant: v, Case: c, ManyRows: false) } : [(v, c, false), (v, c, true)])).ToList();
        Assert.Equal(variants.Count, batch.Compiled.Kernels.Count);
        foreach (var (kernel, (variant, c, manyRows)) in batch.Compiled.Kernels.Zip(variants))
        {
            Assert.Same(c.Kernel, kernel.Instance);
            Assert.Equal((variant.Subgroups ? "kernels.vulkan.subgroup." : "kernels.vulkan.") + (manyRows ? "rows." : "") + c.Kernel.Name, kernel.Section);
            Assert.Equal(manyRows, Runtime.Format.StepCode.IsManyRows(kernel.Launch));
            Assert.Equal("main", kernel.Entry);
            Assert.Equal("spirv", kernel.Format);
            var launch = Assert.IsType<Runtime.Format.KernelLaunch>(kernel.Launch);
            Assert.True(launch.LocalSize is > 0 and <= 1024 && launch.GroupsX > 0, $"{c.Name}: launch {launch}");
            Runtime.Format.LaunchExtent.Parse(c.Name, launch.GroupsY);
        }
    }

    [Fact]
    public void Subgroup_variant_reduces_with_subgroup_arithmetic_and_the_plain_one_with_a_shared_memory_tree()
    {
        var c = batch.Cases.First(k => k.Kernel.Template == "rms_norm");
        var plain = batch.Target.Render(c.Kernel, GlslDialect.Instance).Text;
        var subgroup = batch.Target.Render(c.Kernel, GlslDialect.WithSubgroups).Text;
        Assert.Contains("#extension GL_KHR_shader_subgroup_arithmetic : require", subgroup);
        Assert.Contains("subgroupAdd(", subgroup);
        Assert.DoesNotContain("stride", subgroup);
        Assert.DoesNotContain("subgroup", plain);
        Assert.Contains("stride >>= 1", plain);
    }

    [Fact]
    public void Glsl_follows_the_gpu_abi()
    {
        var c = batch.Cases.First(k => k.Kernel.Template == "rms_norm");
        var text = batch.Target.Render(c.Kernel).Text;
        Assert.Contains("layout(std430, set = 0, binding = 0) readonly buffer", text);
        Assert.Contains("layout(std430, set = 0, binding = 2) buffer", text);
        Assert.Contains("layout(push_constant) uniform Symbols { int seq; int outRows; int kv_table; int kv_blocks; int kv_block; } pc;", text);
        Assert.Contains("void main()", text);
    }

    [Fact]
    public void A_shader_error_names_the_kernel_the_generated_line_and_the_message()
    {
        var broken = new ShaderSource("broken_kernel", "#version 450\nlayout(local_size_x = 1) in;\nvoid main()\n{\n    float x = undefined_name + 1.0;\n}\n");
        var good = new ShaderSource("good_kernel", "#version 450\nlayout(local_size_x = 1) in;\nvoid main()\n{\n}\n");
        var e = Assert.Throws<TargetException>(() => new GlslcCompiler().Compile([good, broken]));
        Assert.Contains("kernel broken_kernel", e.Message);
        Assert.Contains("line 5 `float x = undefined_name + 1.0;`", e.Message);
        Assert.Contains("undefined_name", e.Message[(e.Message.IndexOf('`', e.Message.IndexOf('`') + 1) + 1)..]);
        Assert.DoesNotContain('\n', e.Message);
    }

    [Fact]
    public void A_missing_glslc_is_a_clear_error()
    {
        var e = Assert.Throws<TargetException>(() => new GlslcCompiler("/nonexistent/glslc").Compile([new ShaderSource("k", "#version 450\nvoid main() {}\n")]));
        Assert.Contains("/nonexistent/glslc", e.Message);
    }

    [Fact]
    public void Shaders_beyond_one_batch_take_more_glslc_runs()
    {
        var shaders = Enumerable.Range(0, GlslcCompiler.BatchSize + 1)
            .Select(i => new ShaderSource($"k{i}", $"#version 450\nlayout(local_size_x = {i % 1024 + 1}, local_size_y = {i / 1024 + 1}) in;\nvoid main()\n{{\n}}\n")).ToList();
        var glslc = new GlslcCompiler();
        var spirv = glslc.Compile(shaders);
        Assert.Equal(2, glslc.Invocations);
        Assert.Equal(shaders.Count, spirv.Count);
        // Outputs come back in input order: the modules differ by their local size, so no two are equal.
        Assert.Equal(spirv.Count, spirv.Select(Convert.ToBase64String).Distinct().Count());
    }

    [Fact]
    public void Libshaderc_is_used_in_process_or_refused_with_a_reason()
    {
        var compiler = LibShadercCompiler.TryCreate(out var problem);
        if (compiler is null)
        {
            Assert.Contains("libshaderc", problem);
            Assert.IsType<GlslcCompiler>(ShaderCompiler.Default());
            return;
        }
        var c = batch.Cases[0];
        var spirv = compiler.Compile([new ShaderSource(c.Kernel.Name, batch.Target.Render(c.Kernel).Text)]);
        Assert.Equal(SpirvMagic, BinaryPrimitives.ReadUInt32LittleEndian(spirv[0]));
    }

    [Fact]
    public void An_op_without_a_template_is_refused_by_name()
    {
        var kernel = new KernelInstance("no_such_op", [new TensorType(DType.F32, 4)], new TensorType(DType.F32, 4), new Attributes());
        var e = Assert.Throws<TargetException>(() => batch.Target.Render(kernel));
        Assert.Contains("no_such_op", e.Message);
    }
}
