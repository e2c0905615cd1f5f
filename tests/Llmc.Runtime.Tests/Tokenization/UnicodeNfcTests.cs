using Llmc.Runtime.Tokenization;

namespace Llmc.Runtime.Tests.Tokenization;

/// <summary>
/// <see cref="UnicodeNfc"/> against Python's unicodedata.normalize("NFC", ...) on the cases UAX #15 singles out:
/// composition, canonical reordering, blocking, exclusions, singletons, Hangul, astral code points.
/// </summary>
public sealed class UnicodeNfcTests
{
    [Theory]
    [InlineData("e\u0301", "\u00e9")]                          // composes
    [InlineData("\u1100\u1161\u11a8", "\uac01")]               // Hangul L + V + T
    [InlineData("a\u0323\u0302", "\u1ead")]                    // two marks, already in order
    [InlineData("a\u0302\u0323", "\u1ead")]                    // reordered by combining class first
    [InlineData("\u0958", "\u0915\u093c")]                     // a composition exclusion stays decomposed
    [InlineData("\u212b", "\u00c5")]                           // a singleton (Angstrom sign) maps to its target
    [InlineData("\u1e0b\u0323", "\u1e0d\u0307")]               // decomposes, reorders, recomposes differently
    [InlineData("q\u0307\u0323", "q\u0323\u0307")]             // no composite: only reordered
    [InlineData("\u0b47\u0b3e", "\u0b4b")]                     // two starters compose
    [InlineData("A\u030a\u0301", "\u01fa")]                    // composes twice
    [InlineData("e\u0301\u0301", "\u00e9\u0301")]              // the second mark is blocked by the first's class
    [InlineData("x\u0300\u0315\u0301", "x\u0300\u0301\u0315")] // stable reordering of unequal classes
    [InlineData("\U0001d15e", "\U0001d157\U0001d165")]         // astral: a composition exclusion
    [InlineData("\u0344", "\u0308\u0301")]                     // a non-starter decomposition
    [InlineData("\u00e9\u0300", "\u00e9\u0300")]               // already NFC
    [InlineData("plain ASCII text, caf\u00e9", "plain ASCII text, caf\u00e9")]
    public void Normalizes_as_the_unicode_character_database_says(string text, string expected) =>
        Assert.Equal(expected, UnicodeNfc.Normalize(text));

    [Fact]
    public void The_data_is_a_whole_unicode_version() => Assert.Equal("14.0.0", UnicodeNfc.UnicodeVersion);
}
