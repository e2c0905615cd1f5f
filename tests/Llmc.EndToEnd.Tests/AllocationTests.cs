using Llmc.Compiler.Build;
using Llmc.Runtime.Devices.Cpu;
using Llmc.Runtime.Format;
using Llmc.Runtime.Generation;

namespace Llmc.EndToEnd.Tests;

[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class AllocationCollection
{
    public const string Name = "allocation (runs alone: it counts every thread's allocations)";
}

/// <summary>The decode hot path (forward step + sampling) allocates nothing on any thread.</summary>
[Collection(AllocationCollection.Name)]
public sealed class AllocationTests
{
    [Fact]
    public void Decode_steps_allocate_nothing()
    {
        var path = Path.Combine(Path.GetTempPath(), $"llmc-alloc-{Guid.NewGuid():N}.llmc");
        try
        {
            EngineBuilder.Build(new BuildOptions { Source = StoriesEngines.Source, Target = "cpu-avx2", Output = path });
            using var file = EngineFile.Open(path);
            using var executor = new CpuExecutor(file, Environment.ProcessorCount);
            var sampler = new Sampler(executor.VocabSize, new SamplingOptions { Temperature = 0.9f, TopK = 40, TopP = 0.9f, RepetitionPenalty = 1.1f, Seed = 1 });
            var history = new int[64];
            var token = new int[1];
            var position = new int[1];
            int[] row = [0];
            history[0] = token[0] = 1;

            void Step(int i)
            {
                position[0] = i;
                var logits = executor.Forward(token, position, row);
                history[i + 1] = token[0] = sampler.Sample(logits, history.AsSpan(0, i + 1));
            }

            for (var i = 0; i < 8; i++) Step(i); // warm up: tiered JIT, worker threads started
            var before = GC.GetTotalAllocatedBytes(precise: true);
            for (var i = 8; i < 40; i++) Step(i);
            var allocated = GC.GetTotalAllocatedBytes(precise: true) - before;
            Assert.Equal(0, allocated);
        }
        finally
        {
            File.Delete(path);
        }
    }
}
