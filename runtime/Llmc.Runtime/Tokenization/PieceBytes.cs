using System.Text;

namespace Llmc.Runtime.Tokenization;

/// <summary>The bytes each token contributes to decoded text, worked out once per vocabulary.</summary>
internal static class PieceBytes
{
    public static byte[][] Build(TokenizerModel model)
    {
        var table = new byte[model.Pieces.Length][];
        for (var id = 0; id < table.Length; id++)
        {
            table[id] = model.Kind == TokenizerKind.Spm
                ? SpmBytes(model.Pieces[id], model.TokenTypes[id], model.EscapeSpaces)
                : ByteLevelBytes(model.Pieces[id], model.TokenTypes[id]);
        }
        return table;
    }

    private static byte[] SpmBytes(string piece, TokenType type, bool escapeSpaces)
    {
        if (type == TokenType.Byte && TryParseBytePiece(piece, out var value))
            return [value];
        return Encoding.UTF8.GetBytes(escapeSpaces ? piece.Replace('\u2581', ' ') : piece);
    }

    /// <summary>Ordinary pieces are spelled in the GPT-2 byte alphabet; added tokens are plain text.</summary>
    private static byte[] ByteLevelBytes(string piece, TokenType type)
    {
        if (type is TokenType.Normal or TokenType.Byte or TokenType.Unused)
        {
            var bytes = new byte[piece.Length];
            var allMapped = true;
            for (var i = 0; i < piece.Length && allMapped; i++)
                allMapped = ByteLevelAlphabet.TryGetByte(piece[i], out bytes[i]);
            if (allMapped)
                return bytes;
        }
        return Encoding.UTF8.GetBytes(piece);
    }

    /// <summary>Reads the SentencePiece byte piece spelling &lt;0xNN&gt;.</summary>
    public static bool TryParseBytePiece(string piece, out byte value)
    {
        value = 0;
        return piece.Length == 6 && piece.StartsWith("<0x", StringComparison.Ordinal) && piece[5] == '>'
            && byte.TryParse(piece.AsSpan(3, 2), System.Globalization.NumberStyles.HexNumber, null, out value);
    }
}
