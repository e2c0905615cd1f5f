using System.Buffers.Binary;

namespace Llmc.Runtime.Devices.Vulkan;

/// <summary>
/// What a SPIR-V module asks of the device: the Vulkan version its SPIR-V version needs and the optional features its
/// <c>OpCapability</c> instructions declare. Read from the module itself, so an engine needs no separate feature list.
/// </summary>
public sealed record SpirvRequirements(uint MinApiVersion, ShaderFeatures Features)
{
    private const uint Magic = 0x07230203;
    private const int OpCapability = 17;
    private const int OpMemoryModel = 14;

    // SPIR-V capability numbers (from the SPIR-V specification) that a compute kernel may use, and what each needs.
    private static readonly Dictionary<uint, ShaderFeatures> Capabilities = new()
    {
        [1] = ShaderFeatures.None, // Shader
        [9] = ShaderFeatures.Float16,
        [10] = ShaderFeatures.Float64,
        [11] = ShaderFeatures.Int64,
        [22] = ShaderFeatures.Int16,
        [39] = ShaderFeatures.Int8,
        [61] = ShaderFeatures.SubgroupBasic,
        [62] = ShaderFeatures.SubgroupVote,
        [63] = ShaderFeatures.SubgroupArithmetic,
        [64] = ShaderFeatures.SubgroupBallot,
        [65] = ShaderFeatures.SubgroupShuffle,
        [66] = ShaderFeatures.SubgroupShuffleRelative,
        [67] = ShaderFeatures.SubgroupClustered,
        [68] = ShaderFeatures.SubgroupQuad,
        [4433] = ShaderFeatures.Storage16Bit, // StorageBuffer16BitAccess
        [4448] = ShaderFeatures.Storage8Bit, // StorageBuffer8BitAccess
        [5357] = ShaderFeatures.CooperativeMatrix, // CooperativeMatrixNV
        [6022] = ShaderFeatures.CooperativeMatrix, // CooperativeMatrixKHR
    };

    /// <summary>Reads a module's header and capabilities; throws naming <paramref name="kernel"/> if it is not SPIR-V we can run.</summary>
    public static SpirvRequirements Of(ReadOnlySpan<byte> module, string kernel)
    {
        if (module.Length < 20 || module.Length % 4 != 0 || BinaryPrimitives.ReadUInt32LittleEndian(module) != Magic)
            throw new LlmcException($"kernel '{kernel}': not a SPIR-V module ({module.Length} bytes)");
        var version = BinaryPrimitives.ReadUInt32LittleEndian(module[4..]);
        var features = ShaderFeatures.None;
        for (var at = 20; at + 4 <= module.Length;)
        {
            var word = BinaryPrimitives.ReadUInt32LittleEndian(module[at..]);
            int opcode = (int)(word & 0xffff), words = (int)(word >> 16);
            if (words == 0 || at + words * 4 > module.Length)
                throw new LlmcException($"kernel '{kernel}': malformed SPIR-V instruction at byte {at}");
            if (opcode == OpMemoryModel) break;
            if (opcode == OpCapability)
            {
                var capability = BinaryPrimitives.ReadUInt32LittleEndian(module[(at + 4)..]);
                features |= Capabilities.TryGetValue(capability, out var needed) ? needed
                    : throw new LlmcException($"kernel '{kernel}' uses SPIR-V capability {capability}, which this runtime cannot enable");
            }
            at += words * 4;
        }
        return new SpirvRequirements(ApiVersionFor(version, kernel), features);
    }

    // Vulkan 1.0 consumes SPIR-V 1.0; 1.1 up to SPIR-V 1.3; 1.2 up to 1.5; 1.3 up to 1.6.
    private static uint ApiVersionFor(uint spirvVersion, string kernel)
    {
        var minor = (spirvVersion >> 8) & 0xff;
        if ((spirvVersion >> 16) != 1) throw new LlmcException($"kernel '{kernel}': unknown SPIR-V version 0x{spirvVersion:x8}");
        var vulkanMinor = minor switch { 0 => 0u, <= 3 => 1u, <= 5 => 2u, _ => 3u };
        return (1u << 22) | (vulkanMinor << 12);
    }
}
