using System.Diagnostics;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace Llmc.Cli.Serving;

/// <summary>
/// One streamed <c>/v1/completions</c> request of a serving benchmark, timed as it arrives: when each piece of text
/// came, and how many tokens the final usage chunk counts.
/// </summary>
public sealed class StreamedRequest
{
    public double TimeToFirstTokenMs { get; private set; }

    public double EndToEndMs { get; private set; }

    public List<double> InterTokenLatenciesMs { get; } = [];

    public int OutputTokens { get; private set; }

    /// <summary>Why the request failed (status and error, a broken stream, a short answer); null when it completed.</summary>
    public string? Error { get; private set; }

    /// <summary>Sends <paramref name="prompt"/> (token ids) for exactly <paramref name="genTokens"/> greedy tokens (EOS ignored) and times the stream.</summary>
    public static async Task<StreamedRequest> Send(HttpClient http, Uri completions, string model, int[] prompt, int genTokens, string? apiKey, CancellationToken cancel)
    {
        var timed = new StreamedRequest();
        var body = JsonSerializer.Serialize(new
        {
            model,
            prompt,
            max_tokens = genTokens,
            temperature = 0,
            ignore_eos = true,
            stream = true,
            stream_options = new { include_usage = true },
        });
        using var request = new HttpRequestMessage(HttpMethod.Post, completions) { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        if (apiKey is not null) request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", apiKey);
        var start = Stopwatch.GetTimestamp();
        long last = 0;
        var done = false;
        try
        {
            using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancel);
            if (!response.IsSuccessStatusCode)
            {
                timed.Error = $"{(int)response.StatusCode}: {await response.Content.ReadAsStringAsync(cancel)}";
                return timed;
            }
            using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(cancel));
            while (await reader.ReadLineAsync(cancel) is { } line)
            {
                if (!line.StartsWith("data: ", StringComparison.Ordinal)) continue;
                var data = line.AsSpan("data: ".Length);
                if (data.SequenceEqual("[DONE]")) { done = true; break; }
                using var chunk = JsonDocument.Parse(data.ToString());
                if (chunk.RootElement.TryGetProperty("usage", out var usage) && usage.ValueKind == JsonValueKind.Object)
                    timed.OutputTokens = usage.GetProperty("completion_tokens").GetInt32();
                var pieces = chunk.RootElement.GetProperty("choices").EnumerateArray().Any(c => c.GetProperty("text").GetString() is { Length: > 0 });
                if (!pieces) continue;
                var now = Stopwatch.GetTimestamp();
                if (last == 0) timed.TimeToFirstTokenMs = Stopwatch.GetElapsedTime(start, now).TotalMilliseconds;
                else timed.InterTokenLatenciesMs.Add(Stopwatch.GetElapsedTime(last, now).TotalMilliseconds);
                last = now;
            }
        }
        catch (Exception e) when (e is HttpRequestException or IOException or JsonException or KeyNotFoundException or InvalidOperationException)
        {
            timed.Error = e.Message;
            return timed;
        }
        timed.EndToEndMs = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
        if (!done) timed.Error = "the stream ended without [DONE]";
        else if (timed.OutputTokens != genTokens) timed.Error = $"{timed.OutputTokens} tokens came back of {genTokens} asked for";
        else if (last == 0) timed.Error = "no text came back";
        return timed;
    }
}
