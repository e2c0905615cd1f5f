using System.Text.Json.Serialization;

namespace Llmc.Runtime.Tokenization;

/// <summary>Which regex split a byte-level tokenizer applies before BPE (see <see cref="PreTokenizer"/> for the patterns).</summary>
[JsonConverter(typeof(JsonStringEnumConverter<PreTokenizerKind>))]
public enum PreTokenizerKind
{
    /// <summary>No split: the whole text segment is one BPE word (SentencePiece style).</summary>
    [JsonStringEnumMemberName("none")]
    None,

    [JsonStringEnumMemberName("gpt2")]
    Gpt2,

    [JsonStringEnumMemberName("llama3")]
    Llama3,

    [JsonStringEnumMemberName("qwen2")]
    Qwen2,

    /// <summary>Every digit on its own, then the GPT-2 split (SmolLM2, StarCoder: HF Digits(individual_digits) + ByteLevel).</summary>
    [JsonStringEnumMemberName("digits_gpt2")]
    IndividualDigitsThenGpt2,
}
