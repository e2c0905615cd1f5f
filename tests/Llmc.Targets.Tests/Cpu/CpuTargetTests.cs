using Llmc.Ir;
using Llmc.Runtime;
using Llmc.Runtime.Devices.Cpu;
using Llmc.Targets.Cpu;
using Llmc.Targets.Conformance;

namespace Llmc.Targets.Tests.Cpu;

[Collection(CpuCompileCollection.Name)]
public sealed class CpuTargetTests
{
    private static readonly KernelInstance Add = Instance("add", new TensorType(DType.F32, Dim.Seq, 65), new TensorType(DType.F32, Dim.Seq, 65));

    private static readonly KernelInstance Linear = Instance("linear", new TensorType(DType.F32, Dim.Seq, 64), new TensorType(DType.F32, 172, 64));

    /// <summary>Renders a statement that cannot compile, as a template with a bug would.</summary>
    private sealed class BrokenTemplate : ICpuKernelTemplate
    {
        public void Render(KernelSource kernel) => kernel.Writer.Line("int broken = undefinedSymbol;");
    }

    [Fact]
    public void A_kernel_that_does_not_compile_is_named_with_its_line_and_the_compiler_message()
    {
        var templates = new Dictionary<string, ICpuKernelTemplate>(CpuTemplates.Default) { ["mul"] = new BrokenTemplate() };
        var broken = Instance("mul", Add.Operands[0], Add.Operands[1]);
        var target = new CpuTarget(CpuDialect.Avx2, templates);

        var error = Assert.Throws<TargetException>(() => target.Compile([Add, broken, Linear]));

        Assert.Contains("kernel " + broken.Name, error.Message);
        Assert.Contains("int broken = undefinedSymbol;", error.Message);
        Assert.Contains("CS0103", error.Message);
        Assert.Contains("undefinedSymbol", error.Message);
        Assert.DoesNotContain("kernel " + Add.Name, error.Message);
    }

    [Fact]
    public void An_op_without_a_template_is_refused_naming_the_kernel()
    {
        var templates = new Dictionary<string, ICpuKernelTemplate>(CpuTemplates.Default);
        templates.Remove("add");
        var target = new CpuTarget(CpuDialect.Avx2, templates);

        Assert.False(target.Supports("add"));
        var error = Assert.Throws<TargetException>(() => target.Render([Add]));
        Assert.Contains(Add.Name, error.Message);
    }

    [Fact]
    public void Weights_of_a_dtype_without_kernels_are_refused_naming_the_kernel()
    {
        // Every weight dtype the IR accepts now has CPU kernels, so the instance is made by hand, past type inference:
        // an integer matrix must still be refused by the target itself, naming the kernel, not miscompiled.
        var intLinear = new KernelInstance("linear", [new TensorType(DType.F32, Dim.Seq, 64), new TensorType(DType.I32, 172, 64)],
            new TensorType(DType.F32, Dim.Seq, 172), new Attributes());
        var error = Assert.Throws<TargetException>(() => new CpuTarget(CpuIsa.Avx2Target).Render([intLinear]));
        Assert.Contains(intLinear.Name, error.Message);
        Assert.Contains("i32", error.Message);
    }

    [Theory]
    [InlineData(CpuIsa.Avx2Target, "Vector256<float>", "Vector512")]
    [InlineData(CpuIsa.Avx512Target, "Vector512<float>", "Vector256")]
    public void Each_dialect_renders_its_own_vectors_and_bakes_the_shapes_in(string name, string vector, string otherVector)
    {
        var source = new CpuTarget(name).Render([Add, Linear]);

        Assert.Contains(vector, source);
        Assert.DoesNotContain(otherVector, source);
        Assert.Contains($"public static void {Linear.Name}(int task, int tasks, nint* args, int* dims)", source);
        Assert.Contains("const int K = 64;", source);
        Assert.Contains("const int N = 172;", source);
        Assert.Contains("int rows = dims[0];", source);
    }

    [Fact]
    public void Compile_returns_one_assembly_section_and_an_entry_per_kernel()
    {
        var compiled = new CpuTarget(CpuIsa.Avx2Target).Compile([Add, Linear, Add]);

        Assert.Equal([CpuKernelAbi.Section], compiled.Sections.Keys);
        Assert.Equal(3, compiled.Kernels.Count);
        Assert.All(compiled.Kernels, k =>
        {
            Assert.Equal(k.Instance.Name, k.Entry);
            Assert.Equal(CpuKernelAbi.Section, k.Section);
            Assert.Equal(CpuKernelAbi.Format, k.Format);
        });

        using var library = CpuKernelLibrary.Load(compiled.Sections[CpuKernelAbi.Section], compiled.Kernels.Select(k => (k.Instance.Name, k.Entry)));
        Assert.NotEqual(0, library[Linear.Name]);
        Assert.Throws<LlmcException>(() => library["no_such_kernel"]);
        var missing = Assert.Throws<LlmcException>(() => CpuKernelLibrary.Load(compiled.Sections[CpuKernelAbi.Section], [("x", "NoSuchEntry")]));
        Assert.Contains("NoSuchEntry", missing.Message);
    }

    [CpuFact(CpuIsa.Avx2Target)]
    public void A_position_outside_the_context_throws_to_the_caller()
    {
        var c = ConformanceCases.All.First(x => x.Kernel.Template == "attention");
        var step = c.Steps[0];
        var context = c.Kernel.Attrs.GetInt("context");
        var positions = new HostTensor([step.Operands[3].Length], [.. Enumerable.Repeat(context, step.Operands[3].Length)]);
        // Fresh caches: the case's own are its initial state for every other run.
        var operands = step.Operands.Select((t, i) => i switch
        {
            3 => positions,
            6 or 7 => new HostTensor([.. t.Shape], (float[])t.Floats.Clone()),
            _ => t,
        }).ToList();

        var error = Assert.Throws<IndexOutOfRangeException>(() =>
            ConformanceExecutors.Cpu(CpuIsa.Avx2Target).Run(c.Kernel, operands, step.Symbols, 2));
        Assert.Contains($"position {context} outside the context of {context}", error.Message);
    }

    internal static KernelInstance Instance(string op, params TensorType[] operands) =>
        new(op, operands, OpRegistry.Get(op).InferType(operands, new Attributes()), new Attributes());
}
