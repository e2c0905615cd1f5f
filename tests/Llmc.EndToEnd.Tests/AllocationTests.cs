using Llmc.Compiler.Build;
using Llmc.Runtime.Devices;
using Llmc.Runtime.Devices.Cpu;
using Llmc.Runtime.Format;
using Llmc.Runtime.Generation;
using Llmc.Runtime.Plan;

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
            using var executor = new CpuExecutor(file, Environment.ProcessorCount, new KvPoolOptions());
            var sampler = new Sampler(executor.VocabSize, new SamplingOptions { Temperature = 0.9f, TopK = 40, TopP = 0.9f, RepetitionPenalty = 1.1f, Seed = 1 });
            const int warmUp = 8, window = 32, windows = 3;
            var history = new int[warmUp + window * windows + 1];
            var token = new int[1];
            var position = new int[1];
            int[] row = [0], rowBlocks = [0];
            var table = Enumerable.Range(0, executor.Context / executor.Pool.BlockSize).ToArray();
            history[0] = token[0] = 1;

            void Step(int i)
            {
                position[0] = i;
                var logits = executor.Forward(new StepBatch(token, position, rowBlocks, table, row));
                history[i + 1] = token[0] = sampler.Sample(logits, history.AsSpan(0, i + 1), 1);
            }

            for (var i = 0; i < warmUp; i++) Step(i); // warm up: tiered JIT, worker threads started
            // The count covers every thread of the process, so the runtime's own background work (tier-1 recompiles
            // finishing late on a loaded machine) can land in one window; an allocating hot path shows in every window.
            var perWindow = new long[windows];
            for (var w = 0; w < windows; w++)
            {
                var before = GC.GetTotalAllocatedBytes(precise: true);
                for (var i = warmUp + w * window; i < warmUp + (w + 1) * window; i++) Step(i);
                perWindow[w] = GC.GetTotalAllocatedBytes(precise: true) - before;
            }
            Assert.True(perWindow.Min() == 0, $"bytes allocated per window of {window} decode steps: {string.Join(", ", perWindow)}");
        }
        finally
        {
            File.Delete(path);
        }
    }
}
