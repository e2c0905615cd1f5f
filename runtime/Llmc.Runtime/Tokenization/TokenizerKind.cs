using System.Text.Json.Serialization;

namespace Llmc.Runtime.Tokenization;

/// <summary>The tokenization algorithm family a <see cref="TokenizerModel"/> uses.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<TokenizerKind>))]
public enum TokenizerKind
{
    /// <summary>SentencePiece-style BPE over characters, spaces written as ▁, unknown characters as &lt;0xNN&gt; byte pieces.</summary>
    [JsonStringEnumMemberName("spm")]
    Spm,

    /// <summary>GPT-2 style BPE over UTF-8 bytes mapped to printable characters, after a regex pre-tokenizer.</summary>
    [JsonStringEnumMemberName("byte_level")]
    ByteLevel,
}
