namespace Llmc.Runtime.Tokenization;

/// <summary>Encodes one stretch of ordinary text (no added tokens in it) with a tokenizer family's algorithm.</summary>
internal interface ISegmentEncoder
{
    void Encode(string text, List<int> output);
}
