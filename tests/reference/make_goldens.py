"""Write tests/reference/golden/tiny/{manifest.json,tensors.bin} from gpt1_reference.py.

Run: /usr/bin/python3 tests/reference/make_goldens.py
The C# tests read these files; CI has no Python, so the output is committed.
"""
import json
import os
import sys
from dataclasses import asdict

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gpt1_reference import GPT1, GPT1Config, AdamW, backward, update  # noqa: E402

OUT_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "golden", "tiny")
SEED = 1234

# Small enough that every tensor fits in a few hundred KB, large enough to have 2 heads and
# 2 blocks, so head splitting and block stacking are both exercised.
CONFIG = GPT1Config(vocab_size=101, n_positions=16, n_embd=32, n_layer=2, n_head=2,
                    resid_pdrop=0.0, embd_pdrop=0.0, attn_pdrop=0.0,  # deterministic
                    layer_norm_epsilon=1e-5, initializer_range=0.02)
OPTIMIZER = dict(lr=1e-2, warmup_steps=2, total_steps=4, beta1=0.9, beta2=0.999,
                 eps=1e-8, weight_decay=0.01, grad_clip=1.0)
BATCH, CTX, STEPS = 2, 16, 3

NP_DTYPE = {torch.float32: "<f4", torch.int64: "<i8"}
DTYPE_NAME = {torch.float32: "float32", torch.int64: "int64"}


def generate():
    """Returns (ordered dict name -> tensor, scalars). Deterministic for a given torch build."""
    torch.manual_seed(SEED)
    torch.set_num_threads(1)  # one reduction order for the matmuls
    model = GPT1(CONFIG)  # draws the init from the seeded generator
    ids = torch.randint(0, CONFIG.vocab_size, (STEPS, BATCH, CTX + 1))  # (S, B, T+1)
    o = OPTIMIZER

    tensors = {"input_ids": ids}
    for name, p in model.named_parameters():
        tensors[f"init.{name}"] = p.detach().clone()
    with torch.no_grad():
        tensors["logits"] = model(ids[0][:, :-1]).clone()  # (B, T, V)

    opt = AdamW(model.parameters(), o["beta1"], o["beta2"], o["eps"], o["weight_decay"])
    losses, norms, lrs = [], [], []
    for s in range(1, STEPS + 1):
        loss = backward(model, ids[s - 1])
        if s == 1:
            for name, p in model.named_parameters():
                tensors[f"grad.{name}"] = p.grad.detach().clone()  # before clipping
        norm, lr = update(model, opt, s, o["lr"], o["warmup_steps"], o["total_steps"], o["grad_clip"])
        losses.append(loss.item())
        norms.append(norm.item())
        lrs.append(lr)
    for name, p in model.named_parameters():
        tensors[f"final.{name}"] = p.detach().clone()

    scalars = {"loss": losses[0], "grad_norm": norms[0],
               "step_losses": losses, "step_grad_norms": norms, "step_lrs": lrs}
    return tensors, scalars


def write_atomic(path, data):
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def save(tensors, scalars, out_dir):
    entries, blobs, offset = [], [], 0
    for name, t in tensors.items():
        blob = t.contiguous().numpy().astype(NP_DTYPE[t.dtype]).tobytes()
        entries.append({"name": name, "dtype": DTYPE_NAME[t.dtype], "shape": list(t.shape), "offset": offset})
        blobs.append(blob)
        offset += len(blob)
    manifest = {"config": {**asdict(CONFIG), "afn": "gelu"}, "optimizer": OPTIMIZER,
                "batch": BATCH, "ctx": CTX, "steps": STEPS,
                "tensors": entries, "scalars": scalars}
    os.makedirs(out_dir, exist_ok=True)
    # tensors.bin first: the manifest is what readers open, so it appears only once its data is there.
    write_atomic(os.path.join(out_dir, "tensors.bin"), b"".join(blobs))
    write_atomic(os.path.join(out_dir, "manifest.json"), (json.dumps(manifest, indent=1) + "\n").encode())


def load(out_dir):
    """Reads a golden directory back: (manifest, name -> tensor)."""
    with open(os.path.join(out_dir, "manifest.json")) as f:
        manifest = json.load(f)
    with open(os.path.join(out_dir, "tensors.bin"), "rb") as f:
        raw = f.read()
    np_dtype = {"float32": "<f4", "int64": "<i8"}
    tensors = {}
    for e in manifest["tensors"]:
        dt = np.dtype(np_dtype[e["dtype"]])
        count = int(np.prod(e["shape"], dtype=np.int64))
        arr = np.frombuffer(raw, dtype=dt, count=count, offset=e["offset"]).reshape(e["shape"])
        tensors[e["name"]] = torch.from_numpy(arr.copy())
    return manifest, tensors


def main():
    tensors, scalars = generate()
    again, again_scalars = generate()
    for name, t in tensors.items():
        assert torch.equal(t, again[name]), f"{name} differs between two runs: generation is not deterministic"
    assert scalars == again_scalars, "scalars differ between two runs"

    save(tensors, scalars, OUT_DIR)
    manifest, back = load(OUT_DIR)
    assert list(back) == list(tensors), "tensor names or order changed on the way to disk"
    for name, t in tensors.items():
        assert back[name].dtype == t.dtype and torch.equal(back[name], t), f"{name} did not round-trip"
    assert manifest["scalars"] == scalars, "scalars did not round-trip through JSON"

    size = sum(os.path.getsize(os.path.join(OUT_DIR, f)) for f in ("manifest.json", "tensors.bin"))
    print(f"wrote {len(tensors)} tensors, {size} bytes to {OUT_DIR}")
    print(json.dumps(scalars, indent=1))


if __name__ == "__main__":
    main()
