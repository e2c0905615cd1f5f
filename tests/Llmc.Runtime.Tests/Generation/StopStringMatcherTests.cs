using Llmc.Runtime.Generation;

namespace Llmc.Runtime.Tests.Generation;

public sealed class StopStringMatcherTests
{
    [Fact]
    public void Without_stop_strings_text_passes_through()
    {
        var m = new StopStringMatcher([]);
        Assert.Equal("abc", m.Push("abc"));
        Assert.False(m.Stopped);
    }

    [Fact]
    public void A_stop_string_split_over_pieces_is_found_and_not_emitted()
    {
        var m = new StopStringMatcher(["<end>"]);
        var emitted = m.Push("Hello <e") + m.Push("n") + m.Push("d> world");
        Assert.True(m.Stopped);
        Assert.Equal("Hello ", emitted + m.Flush());
    }

    [Fact]
    public void A_false_start_is_released_once_it_cannot_match()
    {
        var m = new StopStringMatcher(["<end>"]);
        Assert.Equal("a", m.Push("a<e"));
        Assert.Equal("<ex", m.Push("x"));
        Assert.False(m.Stopped);
    }

    [Fact]
    public void Held_text_is_flushed_at_the_end()
    {
        var m = new StopStringMatcher(["STOP"]);
        Assert.Equal("go ", m.Push("go ST"));
        Assert.Equal("ST", m.Flush());
    }

    [Fact]
    public void The_earliest_of_several_stop_strings_wins()
    {
        var m = new StopStringMatcher(["xyz", "b"]);
        Assert.Equal("a", m.Push("abxyz"));
        Assert.True(m.Stopped);
    }
}
