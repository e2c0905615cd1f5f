using BenchmarkDotNet.Running;

// dotnet run -c Release --project tools/Llmc.Benchmarks -- --filter '*'   (kernels only, quickly: --filter '*KernelBenchmarks*' --job short)
BenchmarkSwitcher.FromAssembly(typeof(Llmc.Benchmarks.TokenizerBenchmarks).Assembly).Run(args);
