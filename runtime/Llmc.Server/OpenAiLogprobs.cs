using System.Text;
using Llmc.Runtime.Generation;
using Llmc.Runtime.Tokenization;

namespace Llmc.Server;

/// <summary>
/// Log-probabilities in OpenAI's two shapes: chat's <c>{"content": [{token, logprob, bytes, top_logprobs}]}</c> and the
/// legacy completions' <c>{tokens, token_logprobs, top_logprobs, text_offset}</c>. A token's text is its bytes as UTF-8
/// (a byte token that is part of a character shows as U+FFFD, its <c>bytes</c> give it exactly).
/// </summary>
public static class OpenAiLogprobs
{
    public static Dictionary<string, object?> Chat(IReadOnlyList<TokenLogprob> logprobs, Tokenizer tokenizer) => new()
    {
        ["content"] = logprobs.Select(l => new Dictionary<string, object?>
        {
            ["token"] = Text(tokenizer, l.Token),
            ["logprob"] = l.Logprob,
            ["bytes"] = Bytes(tokenizer, l.Token),
            ["top_logprobs"] = l.Top.Select(a => new Dictionary<string, object?>
            {
                ["token"] = Text(tokenizer, a.Token),
                ["logprob"] = a.Logprob,
                ["bytes"] = Bytes(tokenizer, a.Token),
            }).ToArray(),
        }).ToArray(),
        ["refusal"] = null,
    };

    /// <param name="textOffset">Where the first token's text starts in the completion (vLLM's offsets, from 0 without echo); advanced past the last.</param>
    public static Dictionary<string, object?> Completion(IReadOnlyList<TokenLogprob> logprobs, Tokenizer tokenizer, ref int textOffset)
    {
        var offsets = new int[logprobs.Count];
        for (var i = 0; i < logprobs.Count; i++)
        {
            offsets[i] = textOffset;
            textOffset += Text(tokenizer, logprobs[i].Token).Length;
        }
        return new Dictionary<string, object?>
        {
            ["tokens"] = logprobs.Select(l => Text(tokenizer, l.Token)).ToArray(),
            ["token_logprobs"] = logprobs.Select(l => l.Logprob).ToArray(),
            // Tokens that read the same keep the likelier one's entry, as a JSON object has one value per key.
            ["top_logprobs"] = logprobs.Select(l => l.Top.DistinctBy(a => Text(tokenizer, a.Token)).ToDictionary(a => Text(tokenizer, a.Token), a => a.Logprob)).ToArray(),
            ["text_offset"] = offsets,
        };
    }

    private static string Text(Tokenizer tokenizer, int id) => Encoding.UTF8.GetString(tokenizer.BytesOf(id));

    private static int[] Bytes(Tokenizer tokenizer, int id)
    {
        var bytes = tokenizer.BytesOf(id);
        var values = new int[bytes.Length];
        for (var i = 0; i < bytes.Length; i++) values[i] = bytes[i];
        return values;
    }
}
