using Llmc.Runtime;
using Llmc.Runtime.Generation;
using Llmc.Runtime.Plan;

namespace Llmc.EndToEnd.Tests;

/// <summary>
/// Batching on a real engine, the same checks for every target: concurrent requests share steps and each gets the ids
/// it gets alone (greedy), a KV pool of a few blocks still completes every request through preemption, and a shared
/// prefix is prefilled once. Afterwards no KV block is held.
/// </summary>
public static class BatchingChecks
{
    private static readonly string[] Prompts =
    [
        "Once upon a time",
        "Tom and Lily went to the park to play with a big red ball",
        "The cat",
        "One day, a little bird saw a shiny stone near the river. It wanted",
        "Sam was sad",
        "There was a dog named Max who loved to run and jump in the green grass every morning",
        "Mom said",
        "A small boat sailed",
    ];

    public static void ConcurrentRequestsGetTheirSoloIds(string enginePath)
    {
        using var engine = Engine.Load(enginePath, new EngineOptions { KvPool = new KvPoolOptions { MaxSequences = 8 } });
        var requests = Requests(engine, Prompts.Length, maxTokens: i => 12 + i * 9 % 40);
        var alone = requests.Select(r => engine.Generate(r.Prompt, r.Options).Tokens).ToList();
        var results = Task.WhenAll(requests.Select(r => engine.GenerateTokensAsync(r.Prompt, r.Options))).GetAwaiter().GetResult();
        for (var i = 0; i < requests.Count; i++)
            Assert.True(alone[i].SequenceEqual(results[i].Tokens), $"request {i}: alone [{string.Join(", ", alone[i])}], batched [{string.Join(", ", results[i].Tokens)}]");
        var snapshot = engine.Scheduler;
        Assert.True(snapshot.Steps < requests.Sum(r => r.Prompt.Length + r.Options.MaxTokens) * 2, "steps are shared");
        Assert.Equal(0, snapshot.BlocksInUse);
    }

    public static void AFewBlocksCompleteSixteenRequests(string enginePath)
    {
        List<int[]> alone;
        List<(int[] Prompt, GenerationOptions Options)> requests;
        using (var solo = Engine.Load(enginePath))
        {
            requests = Requests(solo, 16, maxTokens: i => 30 + i % 3 * 10);
            alone = [.. requests.Select(r => solo.Generate(r.Prompt, r.Options).Tokens)];
        }
        var blockBytes = 0L;
        using (var probe = Engine.Load(enginePath)) blockBytes = PlanShapes.KvBytesPerPosition(probe.Manifest.Plan) * probe.KvPool.BlockSize;
        // Eight blocks of 16 positions: about two of these requests at a time, and each grows past what it first got.
        using var engine = Engine.Load(enginePath, new EngineOptions { KvPool = new KvPoolOptions { BlockSize = 16, MaxSequences = 16, KvMemoryBytes = 8 * blockBytes } });
        Assert.Equal(8, engine.KvPool.Blocks);
        var results = Task.WhenAll(requests.Select(r => engine.GenerateTokensAsync(r.Prompt, r.Options))).GetAwaiter().GetResult();
        for (var i = 0; i < requests.Count; i++)
            Assert.True(alone[i].SequenceEqual(results[i].Tokens), $"request {i}: alone [{string.Join(", ", alone[i])}], batched [{string.Join(", ", results[i].Tokens)}]");
        var snapshot = engine.Scheduler;
        Assert.True(snapshot.Preemptions > 0, "eight blocks are too few for sixteen requests not to preempt");
        Assert.True(snapshot.PeakBlocksInUse <= 8);
        Assert.Equal(0, snapshot.BlocksInUse);
    }

    public static void ASharedPrefixIsPrefilledOnce(string enginePath)
    {
        using var engine = Engine.Load(enginePath);
        var system = string.Concat(Enumerable.Repeat("Once upon a time there was a girl who liked to read books. ", 3));
        var options = new GenerationOptions { MaxTokens = 20, Sampling = SamplingOptions.Greedy };
        var first = engine.Generate(system + "One day", options);
        var second = engine.Generate(system + "The end", options);
        Assert.Equal(0, first.Stats.CachedPromptTokens);
        var shared = engine.Encode(system).Length / engine.KvPool.BlockSize * engine.KvPool.BlockSize;
        Assert.True(second.Stats.CachedPromptTokens >= shared - engine.KvPool.BlockSize && second.Stats.CachedPromptTokens > 0,
            $"{second.Stats.CachedPromptTokens} cached prompt tokens of a {engine.Encode(system).Length}-token shared prefix");
        using var cold = Engine.Load(enginePath, new EngineOptions { Scheduler = new Runtime.Scheduling.SchedulerOptions { PrefixCaching = false } });
        Assert.Equal(cold.Generate(system + "The end", options).Tokens, second.Tokens);
        Assert.True(engine.Scheduler.PrefixHits > 0);
    }

    /// <summary>
    /// Every position's logits of three prompts run at once equal, bit for bit, their logits run alone. With a step
    /// budget of 48 rows the prompts are cut into chunks at other places when they share steps than alone, so a row's
    /// keys are sometimes read back from the cache and sometimes from the step being computed: both must round alike.
    /// Ids alone would hide an ulp; logits do not.
    /// </summary>
    /// <param name="batchInvariant">Load the engine with <see cref="EngineOptions.BatchInvariant"/>.</param>
    public static void ConcurrentLogitsAreBitwiseTheLogitsAlone(string enginePath, bool batchInvariant = false)
    {
        using var engine = Engine.Load(enginePath, new EngineOptions
        {
            Scheduler = new Runtime.Scheduling.SchedulerOptions { MaxBatchTokens = 48 },
            BatchInvariant = batchInvariant,
        });
        int[][] prompts = [.. Prompts.Take(3).Select(p => engine.Encode(string.Concat(Enumerable.Repeat(p + ". ", 30))).Take(200).ToArray())];
        var alone = prompts.Select(p => engine.Logits(p)).ToList();
        var aloneSteps = engine.Scheduler.Steps;
        // Whether the three arrive together is up to the threads; every attempt must match, and one must share steps.
        var shared = false;
        for (var attempt = 0; attempt < 5 && !shared; attempt++)
        {
            var before = engine.Scheduler.Steps;
            var together = Task.WhenAll(prompts.Select(p => Task.Run(() => engine.Logits(p)))).GetAwaiter().GetResult();
            for (var i = 0; i < prompts.Length; i++)
            {
                var first = Enumerable.Range(0, alone[i].Length).FirstOrDefault(j => BitConverter.SingleToInt32Bits(alone[i][j]) != BitConverter.SingleToInt32Bits(together[i][j]), -1);
                Assert.True(first < 0, $"prompt {i} ({prompts[i].Length} tokens): logit {first} is {(first < 0 ? 0 : together[i][first]):R} batched, {(first < 0 ? 0 : alone[i][first]):R} alone");
            }
            // Sharing steps, the prompts fill the partial chunks they leave alone.
            shared = engine.Scheduler.Steps - before < aloneSteps;
        }
        Assert.True(shared, "in five attempts the prompts never shared a step");
    }

    /// <summary>Greedy requests over <see cref="Prompts"/>, each with its own token limit.</summary>
    private static List<(int[] Prompt, GenerationOptions Options)> Requests(Engine engine, int count, Func<int, int> maxTokens) =>
        [.. Enumerable.Range(0, count).Select(i => (
            engine.Encode(Prompts[i % Prompts.Length] + (i >= Prompts.Length ? " again" : "")),
            new GenerationOptions { MaxTokens = maxTokens(i), Sampling = SamplingOptions.Greedy, StopOnEos = false }))];
}
