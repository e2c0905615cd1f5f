using BenchmarkDotNet.Running;
using Llmc.Benchmarks.Quantization;

// dotnet run -c Release --project tools/Llmc.Benchmarks -- --filter '*'   (kernels only, quickly: --filter '*KernelBenchmarks*' --job short)
// dotnet run -c Release --project tools/Llmc.Benchmarks -- compare-tokenizers   (llmc against Microsoft.ML.Tokenizers)
// dotnet run -c Release --project tools/Llmc.Benchmarks -- ggml-reference q8_0|q4_0 <hf-folder> <new-folder>   (the model rounded as llama.cpp would, for llmc eval kld)
if (args is ["compare-tokenizers"])
    Llmc.Benchmarks.TokenizerComparison.Run();
else if (args is ["ggml-reference", var type, var source, var target])
    GgmlRoundedModel.Write(Enum.Parse<GgmlReferenceType>(type, ignoreCase: true), source, target);
else
    BenchmarkSwitcher.FromAssembly(typeof(Llmc.Benchmarks.TokenizerBenchmarks).Assembly).Run(args);
