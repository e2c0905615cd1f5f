using Llmc.Runtime.Plan;
using Llmc.Targets.Emit;
using Llmc.Targets.Gpu;

namespace Llmc.Targets.Vulkan;

/// <summary>
/// GLSL 4.50 compute shaders for Vulkan: one module per kernel with entry <c>main</c>; argument i is the std430
/// storage buffer at set 0, binding i, an array of <c>uint</c>; the plan symbols are push constants, one int each in
/// <see cref="PlanSymbols"/> order at offset 0, named as the symbols (but <c>out</c>, a GLSL keyword, is <c>outRows</c>).
/// With <paramref name="Subgroups"/>, workgroup reductions use <c>GL_KHR_shader_subgroup_arithmetic</c> within each
/// subgroup; such modules run only on devices reporting subgroup arithmetic in compute shaders.
/// </summary>
public sealed record GlslDialect(bool Subgroups = false) : GpuDialect(VulkanTarget.TargetName)
{
    /// <summary>The plain dialect: reductions in shared memory only, for any Vulkan 1.1 device.</summary>
    public static GlslDialect Instance { get; } = new();

    /// <summary>The dialect whose reductions use subgroup arithmetic.</summary>
    public static GlslDialect WithSubgroups { get; } = new(Subgroups: true);

    public override string LocalId => "int(gl_LocalInvocationID.x)";

    public override string GroupX => "int(gl_WorkGroupID.x)";

    public override string GroupY => "int(gl_WorkGroupID.y)";

    public override string GroupCountX => "int(gl_NumWorkGroups.x)";

    public override string LocalCount => "int(gl_WorkGroupSize.x)";

    public override string Barrier => "barrier();";

    public override string PreciseFloat => "precise float";

    public override string Word(int argument, string index) => $"a{argument}.w[{index}]";

    public override string Symbol(string name) => PlanSymbols.Names.Contains(name)
        ? $"pc.{Member(name)}"
        : throw new TargetException($"unknown plan symbol '{name}'");

    private static string Member(string symbol) => symbol == "out" ? "outRows" : symbol;

    public override string BitsToFloat(string bits) => $"uintBitsToFloat({bits})";

    public override string FloatToBits(string value) => $"floatBitsToUint({value})";

    public override string HalfToFloat(string bits) => $"unpackHalf2x16({bits}).x";

    public override string Fma(string a, string b, string c) => $"fma({a}, {b}, {c})";

    public override string Max(string a, string b) => $"max({a}, {b})";

    public override string Min(string a, string b) => $"min({a}, {b})";

    public override string Abs(string value) => $"abs({value})";

    public override string RoundEven(string value) => $"roundEven({value})";

    public override string AtomicOr(string word, string value) => $"atomicOr({word}, {value});";

    public override string AtomicAnd(string word, string value) => $"atomicAnd({word}, {value});";

    public override string? SubgroupReduce(string value, Func<string, string, string> combine)
    {
        if (!Subgroups) return null;
        var combined = combine("a", "b");
        if (combined == "a + b") return $"subgroupAdd({value})";
        return combined == Max("a", "b") ? $"subgroupMax({value})" : null;
    }

    public override (string Id, string Lane, string Count) Subgroup =>
        ("int(gl_SubgroupID)", "gl_SubgroupInvocationID", "int(gl_NumSubgroups)");

    // No hint: lavapipe's LLVM, asked to unroll the many-rows tiles whole ([[unroll]]), took several times as long
    // to compile them (the Vulkan conformance suite ran past 20 minutes instead of 3.5), and the Vulkan drivers choose
    // for themselves.
    public override string? UnrollHint => null;

    public override string Call(MathFunction function, string argument) => $"{function.ToString().ToLowerInvariant()}({argument})";

    public override void WriteKernel(SourceWriter writer, GpuKernelSignature signature, Action body)
    {
        var w = writer;
        w.Line("#version 450");
        if (Subgroups) w.Line("#extension GL_KHR_shader_subgroup_arithmetic : require");
        w.Line($"// llmc kernel {signature.Entry}");
        w.Line($"layout(local_size_x = {signature.Shape.LocalSize}, local_size_y = 1, local_size_z = 1) in;");
        for (var i = 0; i < signature.ArgumentCount; i++)
        {
            var access = signature.Writes[i] ? "" : "readonly ";
            w.Line($"layout(std430, set = 0, binding = {i}) {access}buffer Argument{i} {{ uint w[]; }} a{i};");
        }
        w.Line($"layout(push_constant) uniform Symbols {{ {string.Concat(PlanSymbols.Names.Select(n => $"int {Member(n)}; "))}}} pc;");
        foreach (var array in signature.Shape.Shared) w.Line($"shared {array.Type} {array.Name}[{array.Count}];");
        w.Line();
        using (w.Block("void main()")) body();
    }
}
