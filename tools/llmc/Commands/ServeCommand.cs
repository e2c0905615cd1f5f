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
        var command = new Command("serve", "Serve engines over an OpenAI-compatible HTTP API") { engines, host, port, apiKey, threads, device };
        command.SetAction(parse => CliErrors.Run(() =>
        {
            var paths = parse.GetRequiredValue(engines);
            var duplicate = paths.GroupBy(ServedModel.NameOf).FirstOrDefault(g => g.Count() > 1);
            if (duplicate is not null) throw new LlmcException($"two engines would both be served as model '{duplicate.Key}': {string.Join(", ", duplicate)}");
            if (parse.GetValue(port) is < 0 or > 65535) throw new LlmcException($"--port must be 0 to 65535, not {parse.GetValue(port)}");
            var loaded = new List<Engine>();
            try
            {
                foreach (var path in paths) loaded.Add(Engine.Load(path, parse.GetValue(threads), parse.GetValue(device)));
                var models = loaded.Select((e, i) => new ServedModel(ServedModel.NameOf(paths[i]), e)).ToList();
                var key = parse.GetValue(apiKey) ?? Environment.GetEnvironmentVariable("LLMC_API_KEY");
                var url = $"http://{parse.GetValue(host)}:{parse.GetValue(port)}";
                var app = LlmcServer.Create(models, url, string.IsNullOrEmpty(key) ? null : key);
                app.Start();
                Console.Error.WriteLine($"serving {string.Join(", ", models.Select(m => m.Name))} at {string.Join(", ", app.Urls)} (Ctrl+C stops)");
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
