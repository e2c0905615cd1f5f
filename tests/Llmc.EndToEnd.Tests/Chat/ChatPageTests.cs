using Llmc.Runtime.Generation;
using Llmc.Runtime.Templates;
using Llmc.Server;
using Microsoft.Playwright;

namespace Llmc.EndToEnd.Tests.Chat;

/// <summary>
/// The chat page at <c>/</c> in headless Chromium (Debian's, driven by Playwright by path; tools/install-native.sh
/// installs it): type a message, see the reply stream in, equal to the engine's greedy reply to the same conversation.
/// </summary>
[Collection(ChatEngineCollection.Name)]
public sealed class ChatPageTests(ChatEngine chat)
{
    private const string Chromium = "/usr/bin/chromium";

    [Fact]
    public async Task A_typed_message_gets_a_streamed_reply_in_the_browser()
    {
        Assert.True(File.Exists(Chromium), $"{Chromium} is missing: tools/install-native.sh installs Debian's chromium for this test");
        // Paced, so that the page receives the reply's events one by one even on a loaded machine.
        await using var server = await LoopbackServer.Start([new ServedModel("chat", chat.Engine)], eventPace: TimeSpan.FromMilliseconds(15));
        using var playwright = await Playwright.CreateAsync();
        await using var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions { ExecutablePath = Chromium, Headless = true });
        var page = await browser.NewPageAsync();
        await page.GotoAsync(server.Url + "/");
        await page.FillAsync("#key", LoopbackServer.Key);
        await page.DispatchEventAsync("#key", "change");
        // The model list loads once the page has the key; without it the server answers 401 and the page says so.
        await page.ReloadAsync();
        await page.WaitForSelectorAsync("#model option[value=chat]", new PageWaitForSelectorOptions { State = WaitForSelectorState.Attached });
        await page.FillAsync("#temperature", "0");

        // Count the reply's changes as they happen: a streamed reply changes many times, a whole one once.
        await page.EvaluateAsync("""
            () => {
              window.replyChanges = 0;
              new MutationObserver(() => {
                if (document.querySelector(".message.assistant")) window.replyChanges++;
              }).observe(document.getElementById("log"), { childList: true, subtree: true, characterData: true });
            }
            """);
        await page.FillAsync("#prompt", "Tell me a story.");
        await page.ClickAsync("#send");
        await page.WaitForFunctionAsync("() => !document.getElementById('send').disabled && document.querySelector('.message.assistant')");

        var prompt = new ChatPrompt(chat.Engine).Encode([("user", "Tell me a story.")], []);
        var expected = chat.Engine.Generate(prompt, new GenerationOptions { Sampling = SamplingOptions.Greedy }).Text;
        Assert.Equal(expected, await page.TextContentAsync(".message.assistant"));
        Assert.Equal("Tell me a story.", await page.TextContentAsync(".message.user"));
        Assert.True(await page.EvaluateAsync<int>("() => window.replyChanges") > 3, "the reply arrived in pieces");
        Assert.Equal(0, await page.Locator(".message.error").CountAsync());
    }
}
