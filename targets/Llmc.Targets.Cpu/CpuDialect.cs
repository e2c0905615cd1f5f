using Llmc.Runtime.Devices.Cpu;
using Llmc.Targets.Emit;

namespace Llmc.Targets.Cpu;

/// <summary>
/// C# with <c>System.Runtime.Intrinsics</c> for one x86 vector ISA. Templates spell every vector operation
/// through this record, so one template renders both the AVX2 and the AVX-512 kernel.
/// </summary>
/// <param name="VectorClass">The static vector class, e.g. <c>Vector256</c>.</param>
/// <param name="Lanes">f32 lanes per vector.</param>
/// <param name="IsaGuard">A C# condition that holds on a CPU able to run the kernels.</param>
/// <param name="IsaName">The extensions the guard checks, for messages.</param>
/// <param name="FmaFunction">The fused multiply-add intrinsic computing <c>a·b + c</c>.</param>
public sealed record CpuDialect(string Target, string VectorClass, int Lanes, string IsaGuard, string IsaName, string FmaFunction)
    : Dialect(Target)
{
    public static CpuDialect Avx2 { get; } =
        new(CpuIsa.Avx2Target, "Vector256", 8, "Avx2.IsSupported && Fma.IsSupported", "AVX2 and FMA", "Fma.MultiplyAdd")
        {
            MultiplyAddAdjacent = "Avx2.MultiplyAddAdjacent",
            ByteDotClass = "AvxVnni",
            PermuteLanes = "Avx2.PermuteVar8x32",
            WidenBytes = "Avx2.ConvertToVector256Int16",
            WidenBytesAt = "Avx2.ConvertToVector256Int32({0})",
            WidenShortsAt = "Avx2.ConvertToVector256Int32({0})",
            // vshufps picks lanes 0, 2 (or 1, 3) of each operand per 128-bit half; vpermq puts the halves' pieces in order.
            EvenLanesOfPair = "Avx2.Permute4x64(Avx.Shuffle({0}, {1}, 0x88).AsDouble(), 0xD8).AsSingle()",
            OddLanesOfPair = "Avx2.Permute4x64(Avx.Shuffle({0}, {1}, 0xDD).AsDouble(), 0xD8).AsSingle()",
        };

    // .NET 10 has no 512-bit u8·s8 VNNI intrinsic (only AVX10.2's AvxVnniInt8.V512), so 512-bit byte dot
    // products take the widening path.
    public static CpuDialect Avx512 { get; } =
        new(CpuIsa.Avx512Target, "Vector512", 16, "Avx512F.IsSupported && Avx512BW.IsSupported", "AVX-512F and AVX-512BW", "Avx512F.FusedMultiplyAdd")
        {
            MultiplyAddAdjacent = "Avx512BW.MultiplyAddAdjacent",
            ByteDotClass = null,
            PermuteLanes = "Avx512F.PermuteVar16x32",
            WidenBytes = "Avx512BW.ConvertToVector512Int16",
            WidenBytesAt = "Avx512F.ConvertToVector512Int32(Vector128.Load({0}))",
            WidenShortsAt = "Avx512F.ConvertToVector512Int32(Vector256.Load({0}))",
            EvenLanesOfPair = "Avx512F.PermuteVar16x32x2({0}, Vector512.Create(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30), {1})",
            OddLanesOfPair = "Avx512F.PermuteVar16x32x2({0}, Vector512.Create(1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31), {1})",
        };

    public static IReadOnlyList<CpuDialect> All { get; } = [Avx2, Avx512];

    public static CpuDialect For(string target) =>
        All.FirstOrDefault(d => d.Target == target)
        ?? throw new TargetException($"'{target}' is not a CPU target (known: {string.Join(", ", All.Select(d => d.Target))})");

    public override string TaskIndex => "task";

    public override string TaskCount => "tasks";

    public override string Call(MathFunction function, string argument) => $"Math.{function}({argument})";

    /// <summary>The f32 vector type.</summary>
    public string Vector => VectorClass + "<float>";

    public string Zero => Vector + ".Zero";

    public string Load(string address) => $"{VectorClass}.Load({address})";

    public string Store(string value, string address) => $"{VectorClass}.Store({value}, {address});";

    public string Splat(string scalar) => $"{VectorClass}.Create({scalar})";

    /// <summary><c>a·b + c</c>, fused.</summary>
    public string Fma(string a, string b, string c) => $"{FmaFunction}({a}, {b}, {c})";

    public string Sum(string vector) => $"{VectorClass}.Sum({vector})";

    public string Exp(string vector) => $"{VectorClass}.Exp({vector})";

    /// <summary>The i16·i16 → i32 pairwise multiply-add (pmaddwd) of this width.</summary>
    public required string MultiplyAddAdjacent { get; init; }

    /// <summary>The class whose <c>MultiplyWideningAndAdd</c> is the u8·s8 → i32 dot product (VNNI) of this width, if .NET has one.</summary>
    public required string? ByteDotClass { get; init; }

    /// <summary>f32 lanes picked across the whole vector by an i32 index vector (vpermps).</summary>
    public required string PermuteLanes { get; init; }

    /// <summary>Sign-extends a half-width vector of s8 to a full vector of i16 (vpmovsxbw).</summary>
    public required string WidenBytes { get; init; }

    /// <summary>Format of the i32 vector of the Lanes s8 values at address {0}, sign-extended (vpmovsxbd).</summary>
    public required string WidenBytesAt { get; init; }

    /// <summary>Format of the i32 vector of the Lanes u16 values at address {0}, zero-extended (vpmovzxwd).</summary>
    public required string WidenShortsAt { get; init; }

    /// <summary>Format of the f32 vector of the even lanes of vectors {0} then {1} (elements 0, 2, .. of the pair).</summary>
    public required string EvenLanesOfPair { get; init; }

    /// <summary>Format of the f32 vector of the odd lanes of vectors {0} then {1}.</summary>
    public required string OddLanesOfPair { get; init; }

    /// <summary>The even (or odd) f32 lanes of the pair of vectors <paramref name="low"/>, <paramref name="high"/>, in order.</summary>
    public string LanesOfPair(string low, string high, bool odd) =>
        string.Format(System.Globalization.CultureInfo.InvariantCulture, odd ? OddLanesOfPair : EvenLanesOfPair, low, high);

    /// <summary>The vector class half as wide as <see cref="VectorClass"/>.</summary>
    public string HalfClass => $"Vector{Lanes * 16}";

    /// <summary>Bytes per vector: four per f32 lane.</summary>
    public int ByteLanes => Lanes * 4;
}
