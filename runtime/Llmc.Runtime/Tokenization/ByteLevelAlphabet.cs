namespace Llmc.Runtime.Tokenization;

/// <summary>
/// GPT-2's reversible byte ↔ character mapping: printable Latin-1 bytes stand for themselves, the other 68 bytes
/// are shifted to U+0100 and up, so every byte has a visible character that BPE vocabularies can spell.
/// </summary>
public static class ByteLevelAlphabet
{
    private static readonly char[] ByteToCharTable = BuildByteToChar();
    private static readonly Dictionary<char, byte> CharToByteTable = BuildCharToByte();

    public static char CharOf(byte value) => ByteToCharTable[value];

    public static bool TryGetByte(char c, out byte value) => CharToByteTable.TryGetValue(c, out value);

    private static char[] BuildByteToChar()
    {
        var table = new char[256];
        var shifted = 0;
        for (var b = 0; b < 256; b++)
        {
            var printable = b is >= '!' and <= '~' or >= 0xA1 and <= 0xAC or >= 0xAE and <= 0xFF;
            table[b] = printable ? (char)b : (char)(256 + shifted++);
        }
        return table;
    }

    private static Dictionary<char, byte> BuildCharToByte()
    {
        var map = new Dictionary<char, byte>(256);
        for (var b = 0; b < 256; b++)
            map[ByteToCharTable[b]] = (byte)b;
        return map;
    }
}
