using System.CommandLine;
using Llmc.Runtime;
using Llmc.Server;
using Microsoft.Extensions.Hosting;

namespace Llmc.Cli.Commands;

/// <summary><c>llmc serve &lt;engine&gt;...</c>: the OpenAI-compatible HTTP server over one or more engines, each served under its file name.</summary>
public static class ServeCommand
{
    public static Command Create()
    {
        var engines = new Argument<string[]>("engine") { Description = "Engine files to serve; each is the model named after its file (chat.llmc is 'chat')", Arity = ArgumentArity.OneOrMore };
        var host = new Option<string>("--host") { Description = "Address to listen on", DefaultValueFactory = _ => "127.0.0.1" };
        var port = new Option<int>("--port") { Description = "Port to listen on", DefaultValueFactory = _ => 8080 };
        var apiKey = new Option<string?>("--api-key") { Description = "Bearer token every /v1 request must carry (default: LLMC_API_KEY, else none)" };
        var threads = new Option<int?>("--threads") { Description = "CPU threads per engine (default: all cores)" };
        var device = new Option<int?>("--device") { Description = "GPU to run on, by its index in llmc devices" };
        var maxQueue = new Option<int>("--max-queue") { Description = "Sequences per model that may wait for a free slot; more are refused with 429", DefaultValueFactory = _ => ServedModel.DefaultMaxQueue };
        var shutdown = new Option<double>("--shutdown-timeout") { Description = "Seconds shutdown lets running requests finish before it cancels them", DefaultValueFactory = _ => 30 };
        var batchInvariant = BatchInvariantOption.Create();
        var pool = new KvPoolCliOptions();
        var command = new Command("serve", "Serve engines over an OpenAI-compatible HTTP API, with a chat page at /")
        {
            engines, host, port, apiKey, threads, device, maxQueue, shutdown, batchInvariant,
        };
        pool.AddTo(command);
        command.SetAction(parse => CliErrors.Run(() =>
        {
            var paths = parse.GetRequiredValue(engines);
            var duplicate = paths.GroupBy(ServedModel.NameOf).FirstOrDefault(g => g.Count() > 1);
            if (duplicate is not null) throw new LlmcException($"two engines would both be served as model '{duplicate.Key}': {string.Join(", ", duplicate)}");
            if (parse.GetValue(port) is < 0 or > 65535) throw new LlmcException($"--port must be 0 to 65535, not {parse.GetValue(port)}");
            if (parse.GetValue(maxQueue) < 0) throw new LlmcException($"--max-queue must be >= 0, not {parse.GetValue(maxQueue)}");
            if (parse.GetValue(shutdown) is var seconds && !(seconds >= 0 && seconds <= 3600)) throw new LlmcException($"--shutdown-timeout must be 0 to 3600 seconds, not {seconds}");
            var options = new EngineOptions
            {
                Threads = parse.GetValue(threads),
                Device = parse.GetValue(device),
                KvPool = pool.Read(parse),
                BatchInvariant = parse.GetValue(batchInvariant),
            };
            var loaded = new List<Engine>();
            try
            {
                foreach (var path in paths) loaded.Add(Engine.Load(path, options));
                var models = loaded.Select((e, i) => new ServedModel(ServedModel.NameOf(paths[i]), e, parse.GetValue(maxQueue))).ToList();
                var key = parse.GetValue(apiKey) ?? Environment.GetEnvironmentVariable("LLMC_API_KEY");
                var app = LlmcServer.Create(models, new ServerOptions
                {
                    Urls = $"http://{parse.GetValue(host)}:{parse.GetValue(port)}",
                    ApiKey = string.IsNullOrEmpty(key) ? null : key,
                    ShutdownTimeout = TimeSpan.FromSeconds(parse.GetValue(shutdown)),
                });
                app.Start();
                Console.Error.WriteLine($"serving {string.Join(", ", models.Select(m => m.Name))} at {string.Join(", ", app.Urls)} (chat page at /; Ctrl+C drains and stops)");
                app.WaitForShutdown();
                return 0;
            }
            finally
            {
                foreach (var engine in loaded) engine.Dispose();
            }
        }));
        return command;
    }
}
