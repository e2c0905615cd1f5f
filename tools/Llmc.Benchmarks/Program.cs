using BenchmarkDotNet.Running;

// dotnet run -c Release --project tools/Llmc.Benchmarks -- --filter '*'   (kernels only, quickly: --filter '*KernelBenchmarks*' --job short)
// dotnet run -c Release --project tools/Llmc.Benchmarks -- compare-tokenizers   (llmc against Microsoft.ML.Tokenizers)
// dotnet run -c Release --project tools/Llmc.Benchmarks -- q8-reference <hf-folder> <new-folder>   (the model rounded as llama.cpp's Q8_0, for llmc eval kld)
if (args is ["compare-tokenizers"])
    Llmc.Benchmarks.TokenizerComparison.Run();
else if (args is ["q8-reference", var source, var target])
    Llmc.Benchmarks.Quantization.Q8_0RoundedModel.Write(source, target);
else
    BenchmarkSwitcher.FromAssembly(typeof(Llmc.Benchmarks.TokenizerBenchmarks).Assembly).Run(args);
