namespace Llmc.Runtime.Tokenization;

/// <summary>A piece of input text: either ordinary text to encode, or an added token found literally in it.</summary>
internal readonly record struct TextSegment(string Text, int? AddedTokenId);
