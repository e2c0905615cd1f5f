using Llmc.Runtime;
using Llmc.Runtime.Format;
using Llmc.Runtime.Plan;

namespace Llmc.Runtime.Tests.Format;

public sealed class LaunchExtentTests
{
    [Theory]
    [InlineData("7", 3, 7u)]
    [InlineData("seq", 1, 1u)]
    [InlineData("seq", 5, 5u)]
    [InlineData("ceil(seq/4)", 1, 1u)]
    [InlineData("ceil(seq/4)", 4, 1u)]
    [InlineData("ceil(seq/4)", 5, 2u)]
    [InlineData("ceil(seq/4)", 512, 128u)]
    [InlineData("ceil(out/2)", 0, 0u)]
    public void Evaluates_each_form_for_the_steps_rows(string text, int rows, uint expected)
    {
        Span<int> dims = stackalloc int[PlanSymbols.Count];
        dims[PlanSymbols.Seq] = rows;
        dims[PlanSymbols.Out] = rows;
        Assert.Equal(expected, LaunchExtent.Parse("k", text).Of(dims));
    }

    [Fact]
    public void Format_writes_what_parse_reads()
    {
        Assert.Equal("seq", LaunchExtent.Format("seq", 1));
        Assert.Equal("ceil(seq/4)", LaunchExtent.Format("seq", 4));
    }

    [Theory]
    [InlineData("0")]
    [InlineData("rows")]
    [InlineData("ceil(seq/0)")]
    [InlineData("ceil(seq)")]
    [InlineData("ceil(rows/4)")]
    [InlineData("ceil(seq/4")]
    [InlineData("seq/4")]
    public void Refuses_other_text_naming_the_kernel(string text)
    {
        var e = Assert.Throws<LlmcException>(() => LaunchExtent.Parse("linear_3", text));
        Assert.Contains("linear_3", e.Message);
        Assert.Contains($"'{text}'", e.Message);
    }
}
