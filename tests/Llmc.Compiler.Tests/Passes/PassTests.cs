using Llmc.Compiler.Passes;
using Llmc.Compiler.Weights;
using Llmc.Ir;
using Llmc.Targets.Cpu;
using Llmc.Tests;

namespace Llmc.Compiler.Tests.Passes;

[Collection(PassManagerCollection.Name)]
public sealed class PassTests
{
    private static readonly PassContext Context = new(new WeightStore(), new CpuTarget("cpu-avx2"));

    private static Graph Before() =>
        Parser.Parse(File.ReadAllText(Path.Combine(TestPaths.RepoRoot, "tests/Llmc.Compiler.Tests/Golden/dce.before.ir")), "dce.before.ir");

    [Fact]
    public void Dead_code_elimination_matches_its_golden_output()
    {
        var graph = Before();
        Assert.True(new DeadCodeElimination().Run(graph, Context));
        Verifier.Verify(graph);
        Golden.AssertMatches(Printer.Print(graph), "tests/Llmc.Compiler.Tests/Golden/dce.after.ir");
    }

    [Fact]
    public void Dead_code_elimination_reports_no_change_the_second_time()
    {
        var graph = Before();
        new DeadCodeElimination().Run(graph, Context);
        var text = Printer.Print(graph);
        Assert.False(new DeadCodeElimination().Run(graph, Context));
        Assert.Equal(text, Printer.Print(graph));
    }

    [Fact]
    public void Dead_code_elimination_keeps_nodes_that_write_state()
    {
        var graph = Parser.Parse("""
            graph keep {
              input %positions: i32[seq]
              input %tables: i32[kv_table]
              input %q: f32[seq, 8]
              state %kc: f32[kv_blocks, kv_block, 8]
              state %vc: f32[kv_blocks, kv_block, 8]
              output %positions
            }
            """, "keep.ir");
        var editor = new GraphEditor(graph);
        var attrs = new Attributes().Set("n_heads", 1).Set("n_kv_heads", 1).Set("head_dim", 8).Set("scale", 0.35).Set("context", 16);
        var (q, positions) = (graph.Find("q"), graph.Find("positions"));
        editor.InsertBefore(null, "attention", [q, q, q, positions, graph.Find("tables"), positions, graph.Find("kc"), graph.Find("vc")], attrs, "attn");
        Assert.False(new DeadCodeElimination().Run(graph, Context));
        Assert.Single(graph.Nodes);
    }

    [Fact]
    public void The_manager_verifies_after_each_pass_and_names_the_culprit()
    {
        var graph = Before();
        var error = Assert.Throws<IrException>(() => PassManager.Run(graph, [new BreaksTheGraph()], Context, verify: true));
        Assert.Contains("after pass 'breaks'", error.Message);
    }

    [Fact]
    public void The_manager_dumps_numbered_ir_after_each_pass()
    {
        var dir = Directory.CreateTempSubdirectory("llmc-dump-").FullName;
        var previous = Environment.GetEnvironmentVariable(IrDump.EnvironmentVariable);
        try
        {
            Environment.SetEnvironmentVariable(IrDump.EnvironmentVariable, dir);
            var graph = Before();
            var changed = PassManager.Run(graph, new Pipeline("test", ["dce", "dce"]), Context, verify: true);
            Assert.Equal(["dce"], changed);
            Assert.Equal(["01-dce.ir", "02-dce.ir"], Directory.EnumerateFiles(dir).Select(Path.GetFileName).Order());
            Assert.Equal(Printer.Print(graph), File.ReadAllText(Path.Combine(dir, "02-dce.ir")));
        }
        finally
        {
            Environment.SetEnvironmentVariable(IrDump.EnvironmentVariable, previous);
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void Pipelines_can_drop_passes_and_unknown_names_are_refused()
    {
        Assert.Empty(Pipeline.Default.WithoutFusion().Without(["dce"]).Passes);
        Assert.Throws<Runtime.LlmcException>(() => PassRegistry.Get("no-such-pass"));
    }

    /// <summary>A deliberately wrong pass: it points a node at a value defined after it.</summary>
    private sealed class BreaksTheGraph : IPass
    {
        public string Name => "breaks";

        public string Description => "test only";

        public bool Run(Graph graph, PassContext context)
        {
            graph.Nodes[0].Inputs[1] = graph.Nodes[^1].Output;
            return true;
        }
    }
}
