using System.Text;

namespace Llmc.Runtime.Tokenization;

/// <summary>
/// Turns a stream of token ids into text as it becomes complete: bytes of a multi-byte character split over
/// several byte-fallback tokens are held back until the character is whole. Not thread-safe; one per stream.
/// </summary>
public sealed class TokenStreamDecoder
{
    private readonly Tokenizer _tokenizer;
    private readonly bool _skipSpecial;
    private readonly Decoder _utf8 = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: false).GetDecoder();
    private bool _atStart;

    internal TokenStreamDecoder(Tokenizer tokenizer, bool skipSpecial, bool continuesText)
    {
        _tokenizer = tokenizer;
        _skipSpecial = skipSpecial;
        _atStart = !continuesText;
    }

    /// <summary>Adds one token and returns the text it completes (possibly empty).</summary>
    public string Append(int id)
    {
        if (_skipSpecial && _tokenizer.IsSpecial(id))
            return "";
        return Emit(_tokenizer.BytesOf(id), flush: false);
    }

    /// <summary>Ends the stream: bytes still waiting for the rest of a character come out as U+FFFD.</summary>
    public string Flush() => Emit([], flush: true);

    private string Emit(ReadOnlySpan<byte> bytes, bool flush)
    {
        var chars = new char[_utf8.GetCharCount(bytes, flush)];
        var count = _utf8.GetChars(bytes, chars, flush);
        var text = new string(chars, 0, count);
        if (!_atStart || text.Length == 0)
            return text;
        // The whole-text decode strips one leading space; only the stream's first text can carry it.
        _atStart = false;
        return _tokenizer.Model.StripLeadingSpace && text[0] == ' ' ? text[1..] : text;
    }
}
