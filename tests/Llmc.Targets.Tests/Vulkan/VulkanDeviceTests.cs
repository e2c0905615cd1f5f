using System.Runtime.InteropServices;
using Llmc.Runtime;
using Llmc.Runtime.Devices.Vulkan;
using Llmc.Runtime.Format;
using Llmc.Targets.Conformance;
using Llmc.Targets.Vulkan.ShaderCompilers;

namespace Llmc.Targets.Tests.Vulkan;

/// <summary>The Vulkan runtime's own pieces on a real device, with small shaders of the tests' own (compiled by glslc).</summary>
[Collection(VulkanCollection.Name)]
public sealed class VulkanDeviceTests
{
    // out[row * width + i] = a[row * width + i] * 2 + b[i] + seq, over groups of 64 along x and one group per row along y.
    private const string ScaleAddShader = """
        #version 450
        layout(local_size_x = 64) in;
        layout(std430, set = 0, binding = 0) readonly buffer A { float a[]; };
        layout(std430, set = 0, binding = 1) readonly buffer B { float b[]; };
        layout(std430, set = 0, binding = 2) writeonly buffer O { float o[]; };
        layout(push_constant) uniform Symbols { int seq; int out_rows; };
        const uint width = 100;
        void main() {
            uint i = gl_GlobalInvocationID.x, row = gl_WorkGroupID.y;
            if (i < width && row < uint(seq)) o[row * width + i] = a[row * width + i] * 2.0 + b[i] + float(seq);
        }
        """;

    private static VulkanDevice Device => VulkanTestDevice.Device;

    [VulkanFact]
    public void The_selected_device_reports_a_compute_queue_limits_and_memory()
    {
        var physical = Device.Physical;
        Assert.True(physical.ComputeQueueFamily >= 0);
        Assert.True(physical.DeviceLocalBytes > 0);
        Assert.InRange(physical.MinStorageBufferOffsetAlignment, 1UL, 256UL);
        Assert.True(physical.MaxWorkGroupInvocations >= 128, $"{physical.MaxWorkGroupInvocations} invocations");
        Assert.True(physical.MaxPushConstantsSize >= 128);
        Assert.False(string.IsNullOrWhiteSpace(physical.Name));
    }

    [VulkanFact(needsGlslc: true)]
    public void A_kernel_reads_and_writes_buffers_at_arena_offsets_with_push_constants_and_rows_along_y()
    {
        const int width = 100, rows = 3;
        var random = new Random(5);
        var a = Enumerable.Range(0, rows * width).Select(_ => random.NextSingle() * 2 - 1).ToArray();
        var b = Enumerable.Range(0, width).Select(_ => random.NextSingle() * 2 - 1).ToArray();
        using var kernel = Compile("scale_add", ScaleAddShader, new KernelLaunch { LocalSize = 64, GroupsX = 2, GroupsY = "seq" }, 3);

        var after = VulkanKernelRunner.Run(Device, kernel, [(Bytes(a), a.Length * 4), (Bytes(b), b.Length * 4), (null, rows * width * 4)], SymbolValues.Of(new Dictionary<string, int> { ["seq"] = rows, ["out"] = 1 }));

        var o = MemoryMarshal.Cast<byte, float>(after[2]);
        for (var r = 0; r < rows; r++)
            for (var i = 0; i < width; i++)
                Assert.Equal(a[r * width + i] * 2 + b[i] + rows, o[r * width + i]);
    }

    [VulkanFact(needsGlslc: true)]
    public void Rows_beyond_the_bound_symbol_are_left_alone()
    {
        using var kernel = Compile("scale_add", ScaleAddShader, new KernelLaunch { LocalSize = 64, GroupsX = 2, GroupsY = "seq" }, 3);
        var ones = Enumerable.Repeat(1f, 200).ToArray();

        var after = VulkanKernelRunner.Run(Device, kernel, [(Bytes(ones), 800), (Bytes(ones), 400), (null, 800)], SymbolValues.Of(new Dictionary<string, int> { ["seq"] = 1 }));

        var o = MemoryMarshal.Cast<byte, float>(after[2]);
        Assert.All(o[..100].ToArray(), v => Assert.Equal(4f, v));
        Assert.All(o[100..].ToArray(), v => Assert.True(float.IsNaN(v)));
    }

    [VulkanFact]
    public void Uploads_larger_than_the_staging_buffer_arrive_whole()
    {
        var data = new byte[10_000];
        new Random(3).NextBytes(data);
        using var buffer = VulkanBuffer.Create(Device, data.Length, BufferPlacement.Device, "the test buffer");
        using var readback = VulkanBuffer.Create(Device, data.Length, BufferPlacement.Readback, "the test readback");
        using (var uploader = new VulkanUploader(Device, largestUpload: 1024))
        {
            uploader.Upload(data, buffer);
            uploader.Flush();
        }
        using var commands = Device.CreateCommandBuffer();
        commands.Begin();
        commands.Copy(buffer, 0, readback, 0, data.Length);
        commands.ToHost();
        commands.End();
        Device.SubmitAndWait(commands, "the read-back copy");
        unsafe
        {
            Assert.True(new ReadOnlySpan<byte>(readback.Mapped, data.Length).SequenceEqual(data));
        }
    }

    [VulkanFact]
    public void A_buffer_larger_than_device_memory_is_refused_as_out_of_device_memory()
    {
        var e = Assert.Throws<LlmcException>(() => VulkanBuffer.Create(Device, Device.Physical.DeviceLocalBytes * 64, BufferPlacement.Device, "a huge buffer"));
        Assert.Contains("a huge buffer", e.Message);
        Assert.Contains("memory", e.Message);
    }

    [VulkanFact(needsGlslc: true)]
    public void A_kernel_needing_a_feature_the_device_lacks_is_refused_naming_feature_and_kernel()
    {
        const string clusteredSum = """
            #version 450
            #extension GL_KHR_shader_subgroup_clustered : require
            layout(local_size_x = 32) in;
            layout(std430, binding = 0) buffer A { float a[]; };
            void main() { a[gl_GlobalInvocationID.x] = subgroupClusteredAdd(a[gl_GlobalInvocationID.x], 4); }
            """;
        var spirv = new GlslcCompiler().Compile([new ShaderSource("clustered", clusteredSum)])[0];
        Assert.True(SpirvRequirements.Of(spirv, "clustered").Features.HasFlag(ShaderFeatures.SubgroupClustered));
        // lavapipe lacks clustered subgroup operations; a device that has them has nothing to refuse here.
        if (Device.Physical.Features.HasFlag(ShaderFeatures.SubgroupClustered)) return;
        var e = Assert.Throws<LlmcException>(() => VulkanKernel.Create(Device, "clustered", spirv, new KernelLaunch { LocalSize = 32, GroupsX = 1, GroupsY = "1" }, 1));
        Assert.Contains("subgroup clustered ops", e.Message);
        Assert.Contains("'clustered'", e.Message);
    }

    [VulkanFact(needsGlslc: true)]
    public void Subgroup_kernels_declare_their_operations_and_Vulkan_1_1()
    {
        const string subgroupSum = """
            #version 450
            #extension GL_KHR_shader_subgroup_arithmetic : require
            layout(local_size_x = 32) in;
            layout(std430, binding = 0) buffer A { float a[]; };
            void main() { a[gl_GlobalInvocationID.x] = subgroupAdd(a[gl_GlobalInvocationID.x]); }
            """;
        var needs = SpirvRequirements.Of(new GlslcCompiler().Compile([new ShaderSource("sum", subgroupSum)])[0], "sum");
        Assert.Equal(ShaderFeatures.SubgroupBasic | ShaderFeatures.SubgroupArithmetic, needs.Features);
        Assert.True(needs.MinApiVersion >= (1u << 22 | 1u << 12));
    }

    [VulkanFact(needsGlslc: true)]
    public void A_launch_beyond_the_device_workgroup_limit_is_refused_naming_the_kernel()
    {
        var spirv = new GlslcCompiler().Compile([new ShaderSource("scale_add", ScaleAddShader)])[0];
        var tooMany = (int)Device.Physical.MaxWorkGroupInvocations + 1;
        var e = Assert.Throws<LlmcException>(() => VulkanKernel.Create(Device, "scale_add", spirv, new KernelLaunch { LocalSize = tooMany, GroupsX = 1, GroupsY = "1" }, 3));
        Assert.Contains("'scale_add'", e.Message);
    }

    [Fact]
    public void Bytes_that_are_not_SPIR_V_are_refused_naming_the_kernel()
    {
        var e = Assert.Throws<LlmcException>(() => SpirvRequirements.Of(new byte[64], "rms_norm_x"));
        Assert.Contains("rms_norm_x", e.Message);
    }

    private static VulkanKernel Compile(string name, string glsl, KernelLaunch launch, int arguments) =>
        VulkanKernel.Create(Device, name, new GlslcCompiler().Compile([new ShaderSource(name, glsl)])[0], launch, arguments);

    private static byte[] Bytes(float[] values) => MemoryMarshal.AsBytes(values.AsSpan()).ToArray();
}
