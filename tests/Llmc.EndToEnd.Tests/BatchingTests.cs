namespace Llmc.EndToEnd.Tests;

/// <summary><see cref="BatchingChecks"/> on the CPU targets.</summary>
[Collection(StoriesCollection.Name)]
public sealed class BatchingTests(StoriesEngines engines)
{
    [Theory]
    [CpuTarget("cpu-avx2")]
    [CpuTarget("cpu-avx512")]
    public void Concurrent_greedy_requests_get_the_ids_they_get_alone(string target) =>
        BatchingChecks.ConcurrentRequestsGetTheirSoloIds(engines.For(target));

    [Theory]
    [CpuTarget("cpu-avx2")]
    public void A_kv_pool_of_a_few_blocks_completes_sixteen_requests_through_preemption(string target) =>
        BatchingChecks.AFewBlocksCompleteSixteenRequests(engines.For(target));

    [Theory]
    [CpuTarget("cpu-avx2")]
    public void A_shared_prefix_is_prefilled_once(string target) =>
        BatchingChecks.ASharedPrefixIsPrefilledOnce(engines.For(target));

    [Theory]
    [CpuTarget("cpu-avx2")]
    [CpuTarget("cpu-avx512")]
    public void Concurrent_logits_are_bitwise_the_logits_alone(string target) =>
        BatchingChecks.ConcurrentLogitsAreBitwiseTheLogitsAlone(engines.For(target));
}
