namespace Llmc.EndToEnd.Tests.Vulkan;

/// <summary><see cref="BatchingChecks"/> on Vulkan (lavapipe where no GPU is present).</summary>
[Collection(StoriesCollection.Name)]
public sealed class VulkanBatchingTests(StoriesEngines engines)
{
    [VulkanFact]
    public void Concurrent_greedy_requests_get_the_ids_they_get_alone() =>
        BatchingChecks.ConcurrentRequestsGetTheirSoloIds(engines.For("vulkan"));

    [VulkanFact]
    public void A_kv_pool_of_a_few_blocks_completes_sixteen_requests_through_preemption() =>
        BatchingChecks.AFewBlocksCompleteSixteenRequests(engines.For("vulkan"));

    [VulkanFact]
    public void Concurrent_logits_are_bitwise_the_logits_alone() =>
        BatchingChecks.ConcurrentLogitsAreBitwiseTheLogitsAlone(engines.For("vulkan"));

    /// <summary>Vulkan's many-rows codes round as the kernels of any step, so loading batch-invariant keeps them, and agrees.</summary>
    [VulkanFact]
    public void Loaded_batch_invariant_concurrent_logits_are_bitwise_the_logits_alone()
    {
        var engine = engines.For("vulkan");
        using (var file = Runtime.Format.EngineFile.Open(engine))
        {
            var manyRows = file.Manifest.Kernels.Where(k => Runtime.Format.StepCode.IsManyRows(k.Launch)).ToList();
            Assert.NotEmpty(manyRows);
            Assert.All(manyRows, k => Assert.True(k.Launch!.SameRounding, $"{k.Name} ({k.Section}) rounds apart"));
        }
        BatchingChecks.ConcurrentLogitsAreBitwiseTheLogitsAlone(engine, batchInvariant: true);
    }
}
