using System.Diagnostics;
using Llmc.Runtime.Tokenization;

namespace Llmc.Runtime.Tests.Tokenization;

/// <summary>
/// Each pre-tokenizer regex cuts "a 123" differently, which a tiny byte-level vocabulary makes visible: merges can
/// only join bytes inside one pre-token.
/// </summary>
public class PreTokenizerKindTests
{
    [Theory]
    [InlineData(PreTokenizerKind.Gpt2, new[] { "a", "Ġ1", "2", "3" })]
    [InlineData(PreTokenizerKind.Llama3, new[] { "a", "Ġ", "123" })]
    [InlineData(PreTokenizerKind.Qwen2, new[] { "a", "Ġ", "1", "2", "3" })]
    [InlineData(PreTokenizerKind.IndividualDigitsThenGpt2, new[] { "a", "Ġ", "1", "2", "3" })]
    public void Digits_and_spaces_split_as_each_regex_says(PreTokenizerKind kind, string[] expectedPieces)
    {
        var tokenizer = new Tokenizer(TinyByteLevelModel(kind));
        Assert.Equal(expectedPieces, tokenizer.Encode("a 123").Select(tokenizer.PieceOf));
        Assert.Equal("a 123", tokenizer.Decode(tokenizer.Encode("a 123")));
    }

    [Fact]
    public void Llama3_contractions_ignore_case()
    {
        var model = TinyByteLevelModel(PreTokenizerKind.Llama3);
        var tokenizer = new Tokenizer(model with { Merges = TokenizerModel.MergeTriples([["'", "S"]], model.Pieces, "test") });
        Assert.Equal(["H", "E", "'S"], tokenizer.Encode("HE'S").Select(tokenizer.PieceOf));
    }

    /// <summary>All 256 byte pieces, plus merges that join a space to a digit and digits to each other.</summary>
    private static TokenizerModel TinyByteLevelModel(PreTokenizerKind kind)
    {
        var bytePieces = Enumerable.Range(0, 256).Select(b => CharOfByte((byte)b).ToString());
        string[] pieces = [.. bytePieces, "Ġ1", "12", "123", "'S"];
        return new TokenizerModel
        {
            Kind = TokenizerKind.ByteLevel,
            Pieces = pieces,
            TokenTypes = [.. pieces.Select(_ => TokenType.Normal)],
            Merges = TokenizerModel.MergeTriples([["Ġ", "1"], ["1", "2"], ["12", "3"]], pieces, "test"),
            PreTokenizer = kind,
        };
    }

    /// <summary>GPT-2's byte alphabet, as the vocabulary files spell it (space is Ġ).</summary>
    private static char CharOfByte(byte value)
    {
        var shifted = 0;
        for (var b = 0; b < 256; b++)
        {
            var printable = b is >= '!' and <= '~' or >= 0xA1 and <= 0xAC or >= 0xAE and <= 0xFF;
            if (b == value)
                return printable ? (char)b : (char)(256 + shifted);
            if (!printable)
                shifted++;
        }
        throw new UnreachableException();
    }
}
