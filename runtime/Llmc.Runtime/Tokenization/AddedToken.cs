namespace Llmc.Runtime.Tokenization;

/// <summary>
/// A vocabulary entry matched literally in the input before BPE runs (special tokens such as &lt;|im_start|&gt;, and
/// user-defined tokens). Whether it is special (skipped when decoding) is its <see cref="TokenType"/>.
/// </summary>
/// <param name="LStrip">The match also swallows whitespace directly before it.</param>
/// <param name="RStrip">The match also swallows whitespace directly after it.</param>
public sealed record AddedToken(int Id, string Content, bool LStrip = false, bool RStrip = false);
