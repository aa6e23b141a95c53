"""The PyTorch half of the GPU benchmark: HF transformers' RobertaForSequenceClassification
with the forged weights read straight out of the engine's model.onnx, so both sides run
the same numbers.

    python3 bench/gpu/hf_bench.py --work DIR [--quick] [--dry-run]

Writes DIR/hf.json: parity logits (fp32 without TF32, and fp16) for pairs.json's parity
pairs, fp16 eager throughput on length-sorted batches cut like the engine's (at most 64
rows and 16384 padded tokens, lengths padded to a multiple of 8), and single-pair latency.
--dry-run checks the weight mapping and tokenization on CPU and exits before any GPU call.
"""
import argparse
import json
import os
import statistics
import time

import numpy as np


def onnx_weights(model_path):
    """HF state-dict names -> arrays. Linear weights are stored transposed as NAME_t;
    the token-type table is stored as its only row."""
    import onnx
    from onnx import numpy_helper

    model = onnx.load(model_path, load_external_data=True)
    inits = {t.name: numpy_helper.to_array(t) for t in model.graph.initializer}
    return inits


def to_state_dict(inits, hf_keys):
    import torch

    state = {}
    for key in hf_keys:
        if key in inits:
            value = inits[key]
        elif key + "_t" in inits:
            value = inits[key + "_t"].T
        elif key == "roberta.embeddings.token_type_embeddings.weight":
            value = inits["roberta.embeddings.token_type_row0"][None, :]
        else:
            continue
        state[key] = torch.from_numpy(np.ascontiguousarray(value, dtype=np.float32))
    return state


def build_model(model_dir):
    from transformers import RobertaConfig, RobertaForSequenceClassification

    try:
        config = RobertaConfig.from_pretrained(model_dir, attn_implementation="eager")
    except TypeError:
        config = RobertaConfig.from_pretrained(model_dir)
    config._attn_implementation = "eager"
    config.num_labels = 1
    model = RobertaForSequenceClassification(config)
    inits = onnx_weights(os.path.join(model_dir, "onnx", "model.onnx"))
    params = [name for name, _ in model.named_parameters()]
    state = to_state_dict(inits, params)
    missing = [k for k in params if k not in state]
    if missing:
        raise SystemExit(f"weights missing from the ONNX model: {missing[:5]} (+{max(0, len(missing) - 5)})")
    model.load_state_dict(state, strict=False)
    return model.eval()


def tokenizer_for(model_dir, max_length):
    from tokenizers import Tokenizer

    tok = Tokenizer.from_file(os.path.join(model_dir, "tokenizer.json"))
    tok.enable_truncation(max_length=max_length, strategy="longest_first")
    tok.no_padding()
    return tok


def encode(tok, pairs):
    return [e.ids for e in tok.encode_batch([tuple(p) for p in pairs])]


def plan(lengths, max_rows=64, max_tokens=16384, multiple=8):
    """Length-sorted batches under the engine's default budget."""
    order = sorted(range(len(lengths)), key=lambda i: lengths[i])
    batches, cur = [], []
    for i in order:
        padded = -(-lengths[i] // multiple) * multiple
        if cur and (len(cur) + 1 > max_rows or padded * (len(cur) + 1) > max_tokens):
            batches.append(cur)
            cur = []
        cur.append(i)
    if cur:
        batches.append(cur)
    return batches


def run_batches(model, ids, batches, device, multiple=8):
    import torch

    out = torch.empty(len(ids), dtype=torch.float32)
    with torch.inference_mode():
        for batch in batches:
            width = -(-max(len(ids[i]) for i in batch) // multiple) * multiple
            x = torch.full((len(batch), width), 1, dtype=torch.long)  # <pad> = 1
            m = torch.zeros((len(batch), width), dtype=torch.long)
            for r, i in enumerate(batch):
                x[r, : len(ids[i])] = torch.tensor(ids[i])
                m[r, : len(ids[i])] = 1
            logits = model(input_ids=x.to(device, non_blocking=True), attention_mask=m.to(device, non_blocking=True)).logits
            out[torch.tensor(batch)] = logits[:, 0].float().cpu()
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--work", required=True)
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--dry-run", action="store_true")
    args = ap.parse_args()
    model_dir = os.path.join(args.work, "fp32")
    pairs = json.load(open(os.path.join(args.work, "pairs.json")))
    import torch

    result = {"torch": torch.__version__}
    model = build_model(model_dir)
    tok512 = tokenizer_for(model_dir, 512)
    parity_ids = encode(tok512, pairs["parity"])
    if args.dry_run or not torch.cuda.is_available():
        # Everything up to the GPU: weights mapped, a CPU forward on two pairs.
        cpu = run_batches(model, parity_ids[:2], [[0, 1]], "cpu")
        result["dryRun"] = {"cpuLogits": cpu.tolist(), "parityPairs": len(parity_ids)}
        json.dump(result, open(os.path.join(args.work, "hf.json"), "w"), indent=2)
        print(f"hf dry run: weights mapped, CPU logits {cpu.tolist()}")
        return

    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    dev = "cuda"
    result["gpu"] = torch.cuda.get_device_name(0)
    model = model.to(dev)
    batches = plan([len(x) for x in parity_ids])
    result["parity"] = {"fp32": run_batches(model, parity_ids, batches, dev).tolist()}
    model = model.half()
    result["parity"]["fp16"] = run_batches(model, parity_ids, batches, dev).tolist()

    repeats = 1 if args.quick else 3
    sets = []
    for s in pairs["sets"]:
        plist = s["pairs"][:64] if args.quick else s["pairs"]
        tok = tokenizer_for(model_dir, s["maxLength"])
        run_batches(model, encode(tok, plist[:256]), plan([len(x) for x in encode(tok, plist[:256])]), dev)  # warm-up
        times, compute = [], []
        for _ in range(repeats):
            torch.cuda.synchronize()
            t0 = time.perf_counter()
            ids = encode(tok, plist)
            lengths = [len(x) for x in ids]
            b = plan(lengths)
            t1 = time.perf_counter()
            run_batches(model, ids, b, dev)
            torch.cuda.synchronize()
            t2 = time.perf_counter()
            times.append(t2 - t0)
            compute.append(t2 - t1)
        sec = statistics.median(times)
        real = sum(lengths)
        sets.append({
            "name": s["name"], "pairs": len(plist), "seconds": sec, "computeSeconds": statistics.median(compute),
            "pairsPerSec": len(plist) / sec, "tokensPerSec": real / sec,
        })
        print(f"hf fp16 eager {s['name']}: {len(plist) / sec:.0f} pairs/s, {real / sec:.0f} tokens/s")
    result["throughput"] = sets

    tok64 = tokenizer_for(model_dir, pairs["latency"]["maxLength"])
    ids = encode(tok64, [pairs["latency"]["pair"]])
    for _ in range(20):
        run_batches(model, ids, [[0]], dev)
    ms = []
    for _ in range(20 if args.quick else 300):
        torch.cuda.synchronize()
        t0 = time.perf_counter()
        run_batches(model, encode(tok64, [pairs["latency"]["pair"]]), [[0]], dev)
        ms.append((time.perf_counter() - t0) * 1000)
    ms.sort()
    result["latency"] = {"tokens": len(ids[0]), "p50Ms": ms[len(ms) // 2], "p99Ms": ms[min(len(ms) - 1, int(0.99 * len(ms)))]}
    json.dump(result, open(os.path.join(args.work, "hf.json"), "w"), indent=2)


if __name__ == "__main__":
    main()
