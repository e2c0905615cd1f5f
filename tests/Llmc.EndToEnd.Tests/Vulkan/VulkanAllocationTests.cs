using Llmc.Runtime.Devices.Vulkan;
using Llmc.Runtime.Format;

namespace Llmc.EndToEnd.Tests.Vulkan;

/// <summary>A Vulkan forward step (staging, recording, submission, fence wait, readback) allocates nothing on the managed heap.</summary>
[Collection(AllocationCollection.Name)]
public sealed class VulkanAllocationTests
{
    [VulkanFact]
    public void Decode_steps_allocate_nothing()
    {
        var path = Path.Combine(Path.GetTempPath(), $"llmc-vk-alloc-{Guid.NewGuid():N}.llmc");
        try
        {
            Llmc.Compiler.Build.EngineBuilder.Build(new Llmc.Compiler.Build.BuildOptions { Source = StoriesEngines.Source, Target = VulkanExecutor.Target, Output = path });
            using var file = EngineFile.Open(path);
            using var executor = new VulkanExecutor(file);
            var sequence = new OneSequence(executor);
            var token = new int[] { 1 };
            var position = new int[1];
            int[] row = [0];

            void Step(int i)
            {
                position[0] = i;
                var logits = executor.Forward(sequence.Step(token, position, row));
                token[0] = ArgMax(logits);
            }

            for (var i = 0; i < 8; i++) Step(i); // warm up: tiered JIT, the driver's threads started
            // All managed work of a Vulkan step happens on the calling thread (the device's own threads are native), so that
            // thread's count is the step's; the test host's other threads allocate now and then over the run's second or so.
            var before = GC.GetAllocatedBytesForCurrentThread();
            for (var i = 8; i < 40; i++) Step(i);
            Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        }
        finally
        {
            File.Delete(path);
        }
    }

    private static int ArgMax(ReadOnlySpan<float> values)
    {
        var best = 0;
        for (var i = 1; i < values.Length; i++)
            if (values[i] > values[best]) best = i;
        return best;
    }
}
