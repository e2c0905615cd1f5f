#!/usr/bin/env python3
"""Issue 13's command-line acceptance, for every architecture in ../shared/models/arch-goldens:

    ./llmc build ../shared/models/arch-goldens/<arch>[/model-f32.gguf] --target T -o x.llmc
    ./llmc run x.llmc --prompt <the golden's prompt as text> --max-tokens 32 --temperature 0 --json

The prompt ids llmc reports must be the golden's input_ids and the 32 generated ids its greedy_ids (a Mistral GGUF,
which has no window key, its greedy_ids_no_window). Run from the repository root:

    python3 tools/check-arch-goldens.py [--target cpu-avx2]

The golden models' tokenizers are SentencePiece-style pieces (▁ for a space, <0xNN> bytes), decoded here from
tokenizer.json to give the prompt text. Exits 1 when any case differs.
"""
import argparse, json, os, subprocess, sys, tempfile

ARCHS = ["llama3", "mistral", "qwen2", "qwen3", "phi3", "gemma2", "gemma3"]


def prompt_text(folder, ids):
    vocab = json.load(open(os.path.join(folder, "tokenizer.json"), encoding="utf-8"))["model"]["vocab"]
    piece = {i: p for p, i in vocab.items()}
    out = b""
    for i in ids:
        p = piece[i]
        out += bytes([int(p[3:5], 16)]) if len(p) == 6 and p.startswith("<0x") and p.endswith(">") else p.replace("\u2581", " ").encode()
    text = out.decode("utf-8")
    return text[1:] if text.startswith(" ") else text  # the tokenizer adds the prefix space back


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--target", default="cpu-avx2")
    args = parser.parse_args()
    goldens = os.path.join("..", "shared", "models", "arch-goldens")
    all_equal = True
    with tempfile.TemporaryDirectory() as work:
        for arch in ARCHS:
            folder = os.path.join(goldens, arch)
            golden = json.load(open(os.path.join(folder, "golden.json")))
            ids = golden["input_ids"]
            prompt = prompt_text(folder, ids[1:] if ids[0] == golden.get("bos_token_id", 1) else ids)
            for source in [folder, os.path.join(folder, "model-f32.gguf")]:
                engine = os.path.join(work, "x.llmc")
                build = subprocess.run(["./llmc", "build", source, "--target", args.target, "-o", engine], capture_output=True, text=True)
                if build.returncode != 0:
                    print(f"{source}: build failed: {build.stderr.strip()}")
                    all_equal = False
                    continue
                run = subprocess.run(["./llmc", "run", engine, "--prompt", prompt, "--max-tokens", "32", "--temperature", "0", "--json"],
                                     capture_output=True, text=True)
                if run.returncode != 0:
                    print(f"{source}: run failed: {run.stderr.strip()}")
                    all_equal = False
                    continue
                result = json.loads(run.stdout)
                gguf = source.endswith(".gguf")
                expected = golden["greedy_ids_no_window"] if gguf and "greedy_ids_no_window" in golden else golden["greedy_ids"]
                same_prompt, same_ids = result["prompt_tokens"] == ids, result["tokens"] == expected
                print(f"{arch:8} {'gguf' if gguf else 'folder':6} prompt ids {'equal' if same_prompt else 'DIFFER'}, "
                      f"{sum(a == b for a, b in zip(result['tokens'], expected))} of {len(expected)} greedy ids equal")
                all_equal &= same_prompt and same_ids
    print("every architecture matches its golden" if all_equal else "MISMATCH")
    sys.exit(0 if all_equal else 1)


if __name__ == "__main__":
    main()
