namespace Llmc.Runtime.Devices.Vulkan;

/// <summary>Optional device features a SPIR-V module can need beyond a plain Vulkan 1.0 compute shader.</summary>
[Flags]
public enum ShaderFeatures
{
    None = 0,
    Int16 = 1 << 0,
    Int64 = 1 << 1,
    Float64 = 1 << 2,
    Float16 = 1 << 3,
    Int8 = 1 << 4,
    Storage16Bit = 1 << 5,
    Storage8Bit = 1 << 6,
    SubgroupBasic = 1 << 7,
    SubgroupVote = 1 << 8,
    SubgroupArithmetic = 1 << 9,
    SubgroupBallot = 1 << 10,
    SubgroupShuffle = 1 << 11,
    SubgroupShuffleRelative = 1 << 12,
    SubgroupClustered = 1 << 13,
    SubgroupQuad = 1 << 14,
    CooperativeMatrix = 1 << 15,
}

public static class ShaderFeaturesText
{
    /// <summary>Readable names of the set flags, e.g. <c>16-bit storage, subgroup arithmetic</c>.</summary>
    public static string Describe(this ShaderFeatures features) =>
        features == ShaderFeatures.None ? "none" : string.Join(", ", Enum.GetValues<ShaderFeatures>()
            .Where(f => f != ShaderFeatures.None && features.HasFlag(f)).Select(Name));

    private static string Name(ShaderFeatures f) => f switch
    {
        ShaderFeatures.Int16 => "16-bit integers",
        ShaderFeatures.Int64 => "64-bit integers",
        ShaderFeatures.Float64 => "64-bit floats",
        ShaderFeatures.Float16 => "16-bit floats",
        ShaderFeatures.Int8 => "8-bit integers",
        ShaderFeatures.Storage16Bit => "16-bit storage",
        ShaderFeatures.Storage8Bit => "8-bit storage",
        ShaderFeatures.SubgroupBasic => "subgroups",
        ShaderFeatures.SubgroupVote => "subgroup vote",
        ShaderFeatures.SubgroupArithmetic => "subgroup arithmetic",
        ShaderFeatures.SubgroupBallot => "subgroup ballot",
        ShaderFeatures.SubgroupShuffle => "subgroup shuffle",
        ShaderFeatures.SubgroupShuffleRelative => "subgroup relative shuffle",
        ShaderFeatures.SubgroupClustered => "subgroup clustered ops",
        ShaderFeatures.SubgroupQuad => "subgroup quad ops",
        ShaderFeatures.CooperativeMatrix => "cooperative matrices",
        _ => f.ToString(),
    };
}
