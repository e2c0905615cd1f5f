using BenchmarkDotNet.Running;

// dotnet run -c Release --project tools/Llmc.Benchmarks -- --filter '*'
BenchmarkSwitcher.FromAssembly(typeof(Llmc.Benchmarks.TokenizerBenchmarks).Assembly).Run(args);
