using Llmc.Runtime.Devices;
using Llmc.Runtime.Generation;
using Llmc.Runtime.Plan;
using Llmc.Runtime.Scheduling;
using Llmc.Runtime.Tests.Tokenization;

namespace Llmc.Runtime.Tests.Scheduling;

/// <summary>
/// The scheduler over <see cref="PagedFakeExecutor"/>, whose logits depend on every token a sequence holds through its
/// block table: batching, chunked prefill, preemption and prefix reuse must give each request the tokens it gets alone.
/// </summary>
public sealed class BatchSchedulerTests
{
    private const int Context = 256;

    private static readonly GenerationOptions Sampled = new()
    {
        MaxTokens = 30,
        StopOnEos = false,
        Sampling = new SamplingOptions { Temperature = 1.1f, TopK = 20, TopP = 0.9f, RepetitionPenalty = 1.2f, Seed = 7 },
    };

    private static readonly int[] Prompt = [1, 5, 9, 13, 17, 21, 25];

    [Fact]
    public void Tokens_come_from_the_device_and_equal_the_host_samplers()
    {
        var host = Alone(new PagedFakeExecutor(3, Context, new KvPoolSize(16, 16)), Prompt, Sampled);
        var device = new PagedFakeExecutor(3, Context, new KvPoolSize(16, 16), deviceSampling: true);
        var onDevice = Alone(device, Prompt, Sampled);
        Assert.Equal(host, onDevice);
        // The prompt's 7 tokens run in chunks of 3: the first two chunks are plain forwards (nothing is sampled from
        // them), the last chunk and every decode step but the one after the last token sample on the device.
        Assert.Equal(2, device.Forwards);
        Assert.Equal(30, device.DeviceSamples);
        Assert.True(host.Distinct().Count() > 5, "the run samples");
    }

    [Fact]
    public async Task Every_sequence_of_a_step_is_sampled_in_one_device_launch_and_gets_its_host_tokens()
    {
        var requests = Requests(8);
        var alone = requests.Select(r => Alone(new PagedFakeExecutor(16, Context, new KvPoolSize(64, 16)), r.Prompt, r.Options)).ToList();
        var device = new PagedFakeExecutor(16, Context, new KvPoolSize(64, 16), deviceSampling: true);
        using var scheduler = Scheduler(device, maxSequences: 8);
        var results = await Task.WhenAll(requests.Select(r => scheduler.Submit(r.Prompt, r.Options, null, default)));
        for (var i = 0; i < requests.Count; i++) Assert.Equal(alone[i], results[i].Tokens);
        // Every token but each request's last is sampled on the device (the last ends the request before its row runs).
        Assert.Equal(requests.Sum(r => r.Options.MaxTokens), device.DeviceSamples);
        Assert.True(device.DeviceLaunches * 2 < device.DeviceSamples, $"{device.DeviceSamples} rows in {device.DeviceLaunches} launches");
    }

    [Fact]
    public async Task A_kernel_of_one_row_samples_steps_of_many_rows_on_the_host()
    {
        var requests = Requests(4);
        var alone = requests.Select(r => Alone(new PagedFakeExecutor(16, Context, new KvPoolSize(64, 16)), r.Prompt, r.Options)).ToList();
        var device = new PagedFakeExecutor(16, Context, new KvPoolSize(64, 16), deviceSampling: true, maxSampledRows: 1);
        using var scheduler = Scheduler(device, maxSequences: 4);
        var results = await Task.WhenAll(requests.Select(r => scheduler.Submit(r.Prompt, r.Options, null, default)));
        for (var i = 0; i < requests.Count; i++) Assert.Equal(alone[i], results[i].Tokens);
        Assert.Equal(device.DeviceLaunches, device.DeviceSamples);
        Assert.True(device.Forwards > 0 && device.DeviceSamples > 0, $"{device.Forwards} host-sampled steps, {device.DeviceSamples} device-sampled");
    }

    [Theory]
    [InlineData("repetition window")]
    [InlineData("presence penalty")]
    [InlineData("frequency penalty")]
    public void Options_the_device_cannot_follow_are_sampled_on_the_host(string option)
    {
        var executor = new PagedFakeExecutor(3, Context, new KvPoolSize(16, 16), deviceSampling: true);
        var sampling = option switch
        {
            "repetition window" => Sampled.Sampling with { RepetitionWindow = SamplingKernelAbi.MaxHistory + 1 },
            "presence penalty" => Sampled.Sampling with { PresencePenalty = 0.5f },
            _ => Sampled.Sampling with { FrequencyPenalty = -0.5f },
        };
        Alone(executor, Prompt, Sampled with { Sampling = sampling });
        Assert.Equal(0, executor.DeviceSamples);
        Assert.True(executor.Forwards > 30);
    }

    [Fact]
    public async Task Logprobs_are_the_log_softmax_of_each_sampled_row_and_stream_with_the_text()
    {
        var executor = new PagedFakeExecutor(3, Context, new KvPoolSize(16, 16), deviceSampling: true);
        using var scheduler = Scheduler(executor, maxSequences: 2);
        var updates = new List<GenerationUpdate>();
        var result = await scheduler.Submit(Prompt, Sampled with { Logprobs = 3 }, updates.Add, default);
        // Log-probabilities need the logits on the host: nothing is sampled on the device, and the tokens do not change.
        Assert.Equal(0, executor.DeviceSamples);
        Assert.Equal(Alone(new PagedFakeExecutor(3, Context, new KvPoolSize(16, 16)), Prompt, Sampled), result.Tokens);
        var logprobs = result.Logprobs!;
        Assert.Equal(result.Tokens.Length, logprobs.Count);
        var logits = await scheduler.Logits([.. Prompt, .. result.Tokens[..^1]]);
        const int v = PagedFakeExecutor.Vocab;
        for (var i = 0; i < logprobs.Count; i++)
        {
            var row = logits.AsSpan((Prompt.Length - 1 + i) * v, v).ToArray();
            var logZ = Math.Log(row.Sum(x => Math.Exp(x)));
            Assert.Equal(result.Tokens[i], logprobs[i].Token);
            Assert.Equal(row[result.Tokens[i]] - logZ, logprobs[i].Logprob, 1e-4);
            var best = Enumerable.Range(0, v).OrderByDescending(t => row[t]).ThenBy(t => t).Take(3).ToArray();
            Assert.Equal(best, logprobs[i].Top.Select(a => a.Token));
            foreach (var alternative in logprobs[i].Top) Assert.Equal(row[alternative.Token] - logZ, alternative.Logprob, 1e-4);
        }
        Assert.Equal(logprobs, updates.SelectMany(u => u.Logprobs ?? []));
        Assert.Equal(result.Text, string.Concat(updates.Select(u => u.Piece)));
    }

    [Fact]
    public async Task Concurrent_requests_share_steps_and_each_gets_what_it_gets_alone()
    {
        var requests = Requests(8);
        var alone = requests.Select(r => Alone(new PagedFakeExecutor(16, Context, new KvPoolSize(64, 16)), r.Prompt, r.Options)).ToList();
        var executor = new PagedFakeExecutor(16, Context, new KvPoolSize(64, 16));
        using var scheduler = Scheduler(executor, maxSequences: 8);
        var results = await Task.WhenAll(requests.Select(r => scheduler.Submit(r.Prompt, r.Options, null, default)));
        for (var i = 0; i < requests.Count; i++) Assert.Equal(alone[i], results[i].Tokens);
        Assert.True(executor.MostSequencesInStep >= 4, $"steps carried at most {executor.MostSequencesInStep} sequences");
        Assert.Equal(0, scheduler.Snapshot().BlocksInUse);
    }

    [Fact]
    public async Task A_pool_of_a_few_blocks_completes_every_request_through_preemption()
    {
        var requests = Requests(16, longestPrompt: 8).Select(r => (r.Prompt, Options: r.Options with { MaxTokens = 12 })).ToList();
        var alone = requests.Select(r => Alone(new PagedFakeExecutor(16, Context, new KvPoolSize(64, 4)), r.Prompt, r.Options)).ToList();
        // Six blocks of four positions: two or three sequences fit at once, and each grows past what it first got.
        var executor = new PagedFakeExecutor(16, Context, new KvPoolSize(6, 4));
        using var scheduler = Scheduler(executor, maxSequences: 16);
        var results = await Task.WhenAll(requests.Select(r => scheduler.Submit(r.Prompt, r.Options, null, default)));
        for (var i = 0; i < requests.Count; i++) Assert.Equal(alone[i], results[i].Tokens);
        var snapshot = scheduler.Snapshot();
        Assert.True(snapshot.Preemptions > 0, "the pool was too small not to preempt");
        Assert.True(snapshot.PeakBlocksInUse <= 6);
        Assert.Equal(0, snapshot.BlocksInUse);
    }

    [Fact]
    public async Task A_shared_prefix_is_computed_once_and_reused()
    {
        var prefix = Enumerable.Range(0, 40).Select(i => 1 + i * 7 % 500).ToArray();
        int[] first = [.. prefix, 3, 4], second = [.. prefix, 8];
        var executor = new PagedFakeExecutor(64, Context, new KvPoolSize(32, 16));
        using var scheduler = Scheduler(executor, maxSequences: 4);
        var a = await scheduler.Submit(first, Sampled, null, default);
        var b = await scheduler.Submit(second, Sampled, null, default);
        Assert.Equal(0, a.Stats.CachedPromptTokens);
        // Two full blocks of the 40-token prefix are cached; the third is partial.
        Assert.Equal(32, b.Stats.CachedPromptTokens);
        Assert.Equal(Alone(new PagedFakeExecutor(64, Context, new KvPoolSize(32, 16)), second, Sampled), b.Tokens);
        Assert.Equal(2, scheduler.Snapshot().PrefixHits);
        Assert.Equal(0, scheduler.Snapshot().BlocksInUse);
        Assert.True(scheduler.Snapshot().BlocksCached > 0, "finished sequences leave their full blocks in the prefix cache");
    }

    [Fact]
    public async Task A_cancelled_request_ends_at_once_and_frees_its_blocks_while_others_finish()
    {
        var executor = new PagedFakeExecutor(16, Context, new KvPoolSize(64, 16));
        using var scheduler = Scheduler(executor, maxSequences: 4);
        using var cancel = new CancellationTokenSource();
        var long_ = Sampled with { MaxTokens = 200 };
        var cancelled = scheduler.Submit(Prompt, long_, piece => cancel.Cancel(), cancel.Token);
        var other = scheduler.Submit([1, 2, 3], Sampled, null, default);
        var result = await cancelled;
        Assert.Equal(FinishReason.Cancelled, result.FinishReason);
        Assert.True(result.Tokens.Length < 200);
        Assert.Equal(Alone(new PagedFakeExecutor(16, Context, new KvPoolSize(64, 16)), [1, 2, 3], Sampled), (await other).Tokens);
        Assert.Equal(0, scheduler.Snapshot().BlocksInUse);
    }

    [Fact]
    public async Task Logits_of_a_prompt_longer_than_a_step_come_from_every_chunk()
    {
        var tokens = Enumerable.Range(0, 11).Select(t => 1 + t * 13 % 500).ToArray();
        using var chunked = Scheduler(new PagedFakeExecutor(3, Context, new KvPoolSize(8, 4)), maxSequences: 2);
        using var whole = Scheduler(new PagedFakeExecutor(16, Context, new KvPoolSize(8, 4)), maxSequences: 2);
        var expected = await whole.Logits(tokens);
        Assert.Equal(expected, await chunked.Logits(tokens));
        Assert.DoesNotContain(Enumerable.Range(0, tokens.Length), r => expected.AsSpan(r * PagedFakeExecutor.Vocab, PagedFakeExecutor.Vocab).IndexOfAnyExcept(0f) < 0);
    }

    [Fact]
    public void Bad_requests_are_refused_before_they_queue()
    {
        using var scheduler = Scheduler(new PagedFakeExecutor(16, Context, new KvPoolSize(4, 16)), maxSequences: 4);
        Assert.Contains("context holds 256", Refused(() => scheduler.Submit(new int[300], Sampled, null, default)).Message);
        Assert.Contains("needs 5 KV blocks of 16 positions; the KV pool holds 4",
            Refused(() => scheduler.Submit(new int[70], Sampled, null, default)).Message);
        Assert.Contains("prompt is empty", Refused(() => scheduler.Submit([], Sampled, null, default)).Message);
        Assert.Contains("max tokens must be >= 0", Refused(() => scheduler.Submit(Prompt, Sampled with { MaxTokens = -1 }, null, default)).Message);
        Assert.Contains("outside the vocabulary", Refused(() => scheduler.Submit([1, 9999], Sampled, null, default)).Message);
        Assert.Equal(0, scheduler.Snapshot().Running + scheduler.Snapshot().Waiting);
    }

    [Fact]
    public async Task A_lone_sequence_that_fills_the_whole_pool_ends_with_length()
    {
        using var scheduler = Scheduler(new PagedFakeExecutor(16, Context, new KvPoolSize(2, 16)), maxSequences: 2);
        var result = await scheduler.Submit(Prompt, Sampled with { MaxTokens = 100 }, null, default);
        Assert.Equal(FinishReason.Length, result.FinishReason);
        Assert.Equal(32, result.PromptTokens.Length + result.Tokens.Length);
    }

    // Submit refuses a bad request synchronously, before anything is queued.
    private static LlmcException Refused(Action submit) => Assert.Throws<LlmcException>(submit);

    private static BatchScheduler Scheduler(PagedFakeExecutor executor, int maxSequences) =>
        new(executor, TestTokenizers.Stories260K, [], [], maxSequences, new SchedulerOptions());

    private static int[] Alone(PagedFakeExecutor executor, int[] prompt, GenerationOptions options)
    {
        using var scheduler = Scheduler(executor, maxSequences: 1);
        return scheduler.Submit(prompt, options, null, default).Result.Tokens;
    }

    /// <summary>Requests of different prompt and output lengths, greedy and seeded.</summary>
    private static List<(int[] Prompt, GenerationOptions Options)> Requests(int count, int longestPrompt = 25) =>
        [.. Enumerable.Range(0, count).Select(i => (
            Enumerable.Range(0, 3 + i * 5 % (longestPrompt - 2)).Select(t => 1 + (t * 37 + i * 11) % 500).ToArray(),
            Sampled with
            {
                MaxTokens = 10 + i * 7 % 25,
                Sampling = i % 2 == 0 ? SamplingOptions.Greedy : Sampled.Sampling with { Seed = i },
            }))];
}
