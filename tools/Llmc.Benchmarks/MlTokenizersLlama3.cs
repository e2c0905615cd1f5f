using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.ML.Tokenizers;

namespace Llmc.Benchmarks;

/// <summary>
/// Microsoft.ML.Tokenizers' <see cref="TiktokenTokenizer"/> loaded from a Llama 3 tokenizer.json, for comparison with
/// llmc's own tokenizer (<see cref="TokenizerComparison"/>). Llama 3's byte-level BPE is tiktoken's: each vocabulary
/// string maps back to its bytes through GPT-2's byte-to-character table and its id is its rank; the pre-tokenizer is
/// the file's split regex; added tokens are the special tokens.
/// </summary>
public static class MlTokenizersLlama3
{
    public static TiktokenTokenizer Load(string folder)
    {
        using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(folder, "tokenizer.json")));
        var root = json.RootElement;
        var bytesOf = ByteLevelCharacters();
        var ranks = new StringBuilder();
        foreach (var entry in root.GetProperty("model").GetProperty("vocab").EnumerateObject())
        {
            var bytes = entry.Name.Select(c => bytesOf[c]).ToArray();
            ranks.Append(Convert.ToBase64String(bytes)).Append(' ').Append(entry.Value.GetInt32()).Append('\n');
        }
        var special = root.GetProperty("added_tokens").EnumerateArray()
            .ToDictionary(t => t.GetProperty("content").GetString()!, t => t.GetProperty("id").GetInt32());
        var pattern = root.GetProperty("pre_tokenizer").GetProperty("pretokenizers")[0].GetProperty("pattern").GetProperty("Regex").GetString()!;
        var preTokenizer = new RegexPreTokenizer(new Regex(pattern, RegexOptions.Compiled), special);
        using var stream = new MemoryStream(Encoding.UTF8.GetBytes(ranks.ToString()));
        return TiktokenTokenizer.Create(stream, preTokenizer, normalizer: null, special);
    }

    /// <summary>GPT-2's table from the characters byte-level vocabularies are written in back to the bytes they stand for.</summary>
    private static Dictionary<char, byte> ByteLevelCharacters()
    {
        var map = new Dictionary<char, byte>();
        var shifted = 0;
        for (var b = 0; b < 256; b++)
        {
            var printable = b is >= '!' and <= '~' or >= 0xA1 and <= 0xAC or >= 0xAE and <= 0xFF;
            map[printable ? (char)b : (char)(256 + shifted++)] = (byte)b;
        }
        return map;
    }
}
