namespace Llmc.Runtime.Tokenization;

/// <summary>What a vocabulary entry is; the numbers are GGUF's <c>tokenizer.ggml.token_type</c> codes.</summary>
public enum TokenType
{
    Normal = 1,
    Unknown = 2,
    Control = 3,
    UserDefined = 4,
    Unused = 5,
    Byte = 6,
}
