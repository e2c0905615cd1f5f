using BenchmarkDotNet.Running;

// dotnet run -c Release --project tools/Llmc.Benchmarks -- --filter '*'   (kernels only, quickly: --filter '*KernelBenchmarks*' --job short)
// dotnet run -c Release --project tools/Llmc.Benchmarks -- compare-tokenizers   (llmc against Microsoft.ML.Tokenizers)
if (args is ["compare-tokenizers"])
    Llmc.Benchmarks.TokenizerComparison.Run();
else
    BenchmarkSwitcher.FromAssembly(typeof(Llmc.Benchmarks.TokenizerBenchmarks).Assembly).Run(args);
