namespace Llmc.Ir.Tests;

public sealed class RoundTripTests
{
    [Theory]
    [MemberData(nameof(Fixtures.Names), MemberType = typeof(Fixtures))]
    public void Fixture_prints_back_to_its_exact_text(string name)
    {
        var text = Fixtures.Text(name);
        var printed = Printer.Print(Parser.Parse(text, name));
        Assert.Equal(text, printed);
        Assert.Equal(printed, Printer.Print(Parser.Parse(printed)));
    }

    [Theory]
    [MemberData(nameof(Fixtures.Names), MemberType = typeof(Fixtures))]
    public void Fixture_is_well_formed(string name)
    {
        var g = Fixtures.Load(name);
        Assert.Empty(Verifier.Check(g));
        Assert.Empty(Verifier.Warnings(g));
    }

    [Fact]
    public void There_are_fixtures()
    {
        Assert.True(Directory.GetFiles(Fixtures.Directory, "*.ir").Length >= 4);
    }

    [Fact]
    public void Llama_and_fused_fixtures_use_every_op()
    {
        var used = new[] { "llama_two_layer_gqa.ir", "fused_ops.ir" }.SelectMany(f => Fixtures.Load(f).Nodes).Select(n => n.Op.Name).ToHashSet();
        Assert.All(OpRegistry.All, op => Assert.Contains(op.Name, used));
    }

    [Fact]
    public void Attribute_values_keep_their_kind_and_value()
    {
        var attrs = Fixtures.Load("attributes.ir").Find("tagged").Producer!.Attrs;
        Assert.Equal(-3L, attrs["count"]);
        Assert.Equal(30000000000L, attrs["huge"]);
        Assert.Equal(4.0, attrs["whole"]);
        Assert.Equal(2.5, attrs["ratio"]);
        Assert.Equal(1e-300, attrs["tiny"]);
        Assert.Equal(double.NegativeInfinity, attrs["inf"]);
        Assert.True(double.IsNaN((double)attrs["nan"]));
        Assert.True(double.IsNegative((double)attrs["neg_zero"]));
        Assert.Equal(new long[] { 1, -2, 30000000000 }, attrs["list"]);
        Assert.Equal(Array.Empty<long>(), attrs["empty"]);
        Assert.Equal("say \"hi\" \\ # not a comment", attrs["text"]);
    }

    [Fact]
    public void Built_graph_round_trips()
    {
        var b = new GraphBuilder("built");
        var tokens = b.Input("tokens", new TensorType(DType.I32, Dim.Seq));
        var rows = b.Input("rows", new TensorType(DType.I32, Dim.Out));
        var table = b.Weight("embed.weight", new TensorType(DType.F32, 20, 6));
        var norm = b.Weight("norm.weight", new TensorType(DType.F32, 6));
        var x = b.Op("embedding", [table, tokens]);
        var n = b.Op("rms_norm", [x, norm], new Attributes().Set("eps", 1e-6));
        var act = b.Op("silu", [n], name: "act");
        var sum = b.Op("add", [act, x], new Attributes().Set("tag", "residual").Set("ids", new[] { 3, 1 }));
        var picked = b.Op("gather_rows", [sum, rows], name: "act");
        b.Output(picked);
        var g = b.Build();

        var printed = Printer.Print(g);
        var parsed = Parser.Parse(printed);

        Assert.Equal(printed, Printer.Print(parsed));
        Assert.Equal(g.Values.Select(v => (v.Name, v.Kind, v.Type)), parsed.Values.Select(v => (v.Name, v.Kind, v.Type)));
        Assert.Contains("  %act.1: f32[out, 6] = gather_rows(%2, %rows)\n", printed);
        Assert.Contains("{ids = [3, 1], tag = \"residual\"}", printed);
    }

    [Fact]
    public void Comments_and_free_layout_parse_to_the_canonical_text()
    {
        const string text = """
            # a leading comment
            graph   g{input %a:f32[2,  seq]   # trailing comment
              %b : f32[2, seq] = silu( %a )
            output %b }
            """;
        var expected = "graph g {\n  input %a: f32[2, seq]\n  %b: f32[2, seq] = silu(%a)\n  output %b\n}\n";
        Assert.Equal(expected, Printer.Print(Parser.Parse(text)));
    }

    [Fact]
    public void Graph_to_string_is_its_text()
    {
        var g = Fixtures.Load("mixed_dims.ir");
        Assert.Equal(Fixtures.Text("mixed_dims.ir"), g.ToString());
    }
}
