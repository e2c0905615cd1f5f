namespace Llmc.Ir.Tests;

public sealed class ParserErrorTests
{
    private const string Header = "graph g {\n  input %a: f32[seq, 4]\n  weight %w: f32[3, 4]\n";

    private static string ErrorOf(string text) =>
        Assert.Throws<IrException>(() => Parser.Parse(text, "test.ir")).Message;

    [Fact]
    public void Unknown_op_is_located()
    {
        var message = ErrorOf(Header + "  %b: f32[seq, 4] = frobnicate(%a)\n  output %b\n}\n");
        Assert.StartsWith("test.ir:4:21: unknown op 'frobnicate'", message);
    }

    [Fact]
    public void Undefined_operand_is_located()
    {
        var message = ErrorOf(Header + "  %b: f32[seq, 3] = linear(%a, %v)\n  output %b\n}\n");
        Assert.StartsWith("test.ir:4:32: %v is not defined before this use", message);
    }

    [Fact]
    public void Written_type_must_equal_the_inferred_type()
    {
        var message = ErrorOf(Header + "  %b: f32[seq, 4] = linear(%a, %w)\n  output %b\n}\n");
        Assert.StartsWith("test.ir:4:7: %b is written as f32[seq, 4] but linear infers f32[seq, 3]", message);
    }

    [Fact]
    public void Type_inference_failures_are_located_at_the_op()
    {
        var message = ErrorOf(Header + "  %b: f32[seq, 4] = rms_norm(%a, %w) {eps = 1E-05}\n  output %b\n}\n");
        Assert.StartsWith("test.ir:4:21: rms_norm: weight must have rank 1", message);
    }

    [Fact]
    public void Operand_of_an_unexpected_rank_is_a_located_type_error()
    {
        const string text = "graph g {\n  input %x: f32[1, 4]\n  input %p: i32[]\n  state %c: f32[1, 2, 4]\n"
            + "  %y: f32[1, 4] = attention(%x, %x, %x, %p, %p, %p, %c, %c) {context = 2, head_dim = 4, n_heads = 1, n_kv_heads = 1, scale = 0.5}\n  output %y\n}\n";
        var message = ErrorOf(text);
        Assert.StartsWith("test.ir:5:19: attention: operands of types f32[1, 4], f32[1, 4], f32[1, 4], i32[], i32[], i32[], f32[1, 2, 4], f32[1, 2, 4] do not fit", message);
    }

    [Fact]
    public void Wrong_operand_count_is_located()
    {
        var message = ErrorOf(Header + "  %b: f32[seq, 4] = silu(%a, %a)\n  output %b\n}\n");
        Assert.StartsWith("test.ir:4:21: silu takes 1 operands, got 2", message);
    }

    [Fact]
    public void Duplicate_name_is_located()
    {
        var message = ErrorOf(Header + "  %a: f32[seq, 4] = silu(%a)\n  output %a\n}\n");
        Assert.StartsWith("test.ir:4:3: %a is defined twice", message);
    }

    [Fact]
    public void Unknown_dtype_is_located()
    {
        var message = ErrorOf("graph g {\n  input %a: f64[4]\n}\n");
        Assert.StartsWith("test.ir:2:13: unknown dtype 'f64'", message);
    }

    [Fact]
    public void Unterminated_string_points_at_its_start()
    {
        var message = ErrorOf(Header + "  %b: f32[seq, 4] = silu(%a) {s = \"open\n  output %b\n}\n");
        Assert.StartsWith("test.ir:4:35: unterminated string", message);
    }

    [Fact]
    public void Lines_count_after_comments()
    {
        var message = ErrorOf("# one\n# two\ngraph g {\n  input %a: f32[4] ?\n}\n");
        Assert.StartsWith("test.ir:4:20: unexpected character '?'", message);
    }

    [Fact]
    public void Missing_closing_brace_reports_end_of_text()
    {
        var message = ErrorOf(Header);
        Assert.StartsWith("test.ir:4:1: expected 'input', 'weight', 'state', 'output', a node or '}', got end of text", message);
    }

    [Fact]
    public void Text_after_the_graph_is_an_error()
    {
        var message = ErrorOf("graph g {\n  input %a: f32[4]\n  output %a\n}\ngraph h {\n}\n");
        Assert.StartsWith("test.ir:5:1: expected end of text after the graph, got 'graph'", message);
    }

    [Fact]
    public void Integer_overflow_in_an_attribute_is_an_error()
    {
        var message = ErrorOf(Header + "  %b: f32[seq, 4] = silu(%a) {n = 99999999999999999999}\n  output %b\n}\n");
        Assert.StartsWith("test.ir:4:35: integer 99999999999999999999 does not fit in 64 bits", message);
    }

    [Fact]
    public void Unnamed_source_uses_a_placeholder()
    {
        var e = Assert.Throws<IrException>(() => Parser.Parse("graph"));
        Assert.StartsWith("<ir>:1:6: expected a graph name", e.Message);
    }
}
