namespace Llmc.Ir.Tests;

public sealed class VerifierTests
{
    private const string Small = """
        graph small {
          input %tokens: i32[seq]
          input %positions: i32[seq]
          input %block_tables: i32[kv_table]
          input %row_blocks: i32[seq]
          weight %embed: f32[16, 8]
          weight %w: f32[8, 8]
          weight %w_narrow: f32[4, 8]
          state %k_cache: f32[1, 6, 8]
          state %v_cache: f32[1, 6, 8]
          %x: f32[seq, 8] = embedding(%embed, %tokens)
          %q: f32[seq, 8] = linear(%x, %w)
          %a: f32[seq, 8] = attention(%q, %q, %q, %positions, %block_tables, %row_blocks, %k_cache, %v_cache) {context = 6, head_dim = 4, n_heads = 2, n_kv_heads = 2, scale = 0.5}
          %y: f32[seq, 8] = add(%a, %x)
          output %y
        }
        """;

    private static Graph SmallGraph() => Parser.Parse(Small);

    private static Node NodeOf(Graph g, string name) => g.Find(name).Producer!;

    /// <summary>Asserts that the graph breaks an invariant, and that Verify reports it first.</summary>
    private static void AssertViolation(Graph g, string expected)
    {
        var errors = Verifier.Check(g);
        Assert.NotEmpty(errors);
        Assert.Contains(expected, errors[0]);
        var e = Assert.Throws<IrException>(() => Verifier.Verify(g));
        Assert.Contains(expected, e.Message);
    }

    [Fact]
    public void Small_graph_is_well_formed()
    {
        Verifier.Verify(SmallGraph());
    }

    [Fact]
    public void Use_before_definition()
    {
        var g = SmallGraph();
        g.Nodes.Reverse();
        AssertViolation(g, "%y = add: operand %a is used before its definition");
    }

    [Fact]
    public void Duplicate_name()
    {
        var g = SmallGraph();
        g.Inputs.Add(SmallGraph().Find("tokens"));
        AssertViolation(g, "%tokens is defined twice");
    }

    [Fact]
    public void Wrong_arity()
    {
        var g = SmallGraph();
        NodeOf(g, "y").Inputs.Add(g.Find("x"));
        AssertViolation(g, "%y = add: takes 2 operands, got 3");
    }

    [Fact]
    public void Stored_type_differs_from_inferred_type()
    {
        var g = SmallGraph();
        NodeOf(g, "q").Inputs[1] = g.Find("w_narrow");
        AssertViolation(g, "%q = linear: stored type f32[seq, 8] but the op infers f32[seq, 4]");
    }

    [Fact]
    public void Operand_types_that_do_not_fit_the_op()
    {
        var g = SmallGraph();
        NodeOf(g, "x").Inputs[1] = g.Find("embed");
        AssertViolation(g, "%x = embedding: embedding: ids must have rank 1");
    }

    [Fact]
    public void Non_state_value_in_a_state_operand()
    {
        var g = SmallGraph();
        NodeOf(g, "a").Inputs[7] = g.Find("w");
        AssertViolation(g, "%a = attention: operand 7 (%w) is updated in place and must be a state value");
    }

    [Fact]
    public void State_value_in_an_ordinary_operand()
    {
        var b = new GraphBuilder("g");
        var cache = b.State("cache", new TensorType(DType.F32, 4, 4));
        b.Output(b.Op("silu", [cache], name: "y"));
        AssertViolation(b.Build(), "%y = silu: state %cache is used as operand 0, which is not a state operand");
    }

    [Fact]
    public void State_written_by_two_nodes()
    {
        var g = SmallGraph();
        var attention = NodeOf(g, "a");
        var b = new GraphBuilder("other");
        var copy = b.Op(attention.Op, attention.Inputs, attention.Attrs, "a2");
        g.Nodes.Insert(g.Nodes.IndexOf(attention) + 1, copy.Producer!);
        NodeOf(g, "y").Inputs[1] = copy;
        AssertViolation(g, "%a2 = attention: state %k_cache is already written by %a");
    }

    [Fact]
    public void Unknown_op()
    {
        var b = new GraphBuilder("g");
        var x = b.Input("x", new TensorType(DType.F32, 4));
        b.Output(b.Op(new UnregisteredOp(), [x], name: "y"));
        AssertViolation(b.Build(), "%y = mystery: op 'mystery' is not registered");
    }

    [Fact]
    public void Op_that_shadows_a_registered_name()
    {
        var b = new GraphBuilder("g");
        var x = b.Input("x", new TensorType(DType.F32, 4));
        b.Output(b.Op(new UnregisteredOp("silu"), [x], name: "y"));
        AssertViolation(b.Build(), "%y = silu: op 'silu' is not registered");
    }

    [Fact]
    public void Unknown_symbol()
    {
        var g = Parser.Parse("graph g {\n  input %x: f32[batch, 4]\n  %y: f32[batch, 4] = silu(%x)\n  output %y\n}\n");
        AssertViolation(g, "%x: f32[batch, 4] uses unknown symbol 'batch' (known: seq, out, kv_table, kv_blocks, kv_block)");
    }

    [Fact]
    public void Output_from_another_graph()
    {
        var g = SmallGraph();
        g.Outputs[0] = SmallGraph().Find("y");
        AssertViolation(g, "output %y is not a value of this graph");
    }

    [Fact]
    public void Operand_from_another_graph()
    {
        var g = SmallGraph();
        NodeOf(g, "y").Inputs[1] = SmallGraph().Find("x");
        AssertViolation(g, "%y = add: operand %x is not a value of this graph");
    }

    [Fact]
    public void Graph_without_outputs()
    {
        var g = SmallGraph();
        g.Outputs.Clear();
        AssertViolation(g, "the graph has no outputs");
    }

    [Fact]
    public void Symbolic_weight()
    {
        var g = Parser.Parse("graph g {\n  weight %w: f32[seq]\n  %y: f32[seq] = silu(%w)\n  output %y\n}\n");
        AssertViolation(g, "weight %w has type f32[seq]; weights need static shapes");
    }

    [Fact]
    public void Value_in_the_wrong_list()
    {
        var g = SmallGraph();
        g.Weights.Add(g.Inputs[0]);
        var errors = Verifier.Check(g);
        Assert.Contains("%tokens is listed among the Weight values but its kind is Input", errors);
    }

    [Fact]
    public void Unprintable_attribute_value()
    {
        var g = SmallGraph();
        NodeOf(g, "y").Attrs["bad"] = 1.5f;
        AssertViolation(g, "%y = add: attribute 'bad' holds a Single, not long, double, string or long[]");
    }

    [Fact]
    public void Dead_node_is_a_warning_not_an_error()
    {
        var g = SmallGraph();
        var b = new GraphBuilder("other");
        var dead = b.Op("silu", [g.Find("x")], name: "dead");
        g.Nodes.Add(dead.Producer!);
        Assert.Empty(Verifier.Check(g));
        Assert.Equal(["%dead = silu(...) is never used"], Verifier.Warnings(g));
    }

    [Fact]
    public void All_violations_are_listed_and_verify_counts_the_rest()
    {
        var g = SmallGraph();
        g.Outputs.Clear();
        NodeOf(g, "y").Inputs.Add(g.Find("x"));
        Assert.Equal(2, Verifier.Check(g).Count);
        var e = Assert.Throws<IrException>(() => Verifier.Verify(g));
        Assert.EndsWith("(and 1 more)", e.Message);
    }

    /// <summary>An op the registry does not know, standing in for one a pass made up.</summary>
    private sealed class UnregisteredOp(string name = "mystery") : OpDef
    {
        public override string Name => name;

        public override int Arity => 1;

        public override TensorType InferType(IReadOnlyList<TensorType> inputs, Attributes attrs) => inputs[0];

        public override void Evaluate(Attributes attrs, IReadOnlyList<HostTensor> inputs, HostTensor output) =>
            Array.Copy(inputs[0].Floats, output.Floats, output.Length);
    }
}
