"""The Python half of the weight-interop tests (tests/Model.Tests/WeightsInteropTests.cs).

    read-hf DIR IDS OUT            load an exported HF directory into hf_openai_gpt's
                                   OpenAIGPTLMHeadModel (pytorch_model.bin, strictly) and into
                                   gpt1_reference.GPT1, check model.safetensors holds the same
                                   tensors, and write the logits for IDS
    write-hf DIR IDS OUT VOCAB     write a randomly initialized OpenAIGPTLMHeadModel as an HF
                                   directory the way save_pretrained does (transformer.* keys,
                                   lm_head.weight, plus the attn.bias mask buffers older HF saved)
                                   and write its logits for IDS
    write-release DIR IDS OUT VOCAB  write random weights as GPT-1's release did: one flat float32
                                   vector in params_shapes.json order cut into params_0..9.npy, and
                                   the logits the TF code's forward gives from those arrays

IDS is a JSON file {"ids": [[...], ...], "config": {HF config fields}}; OUT gets the logits
(B, T, V) as raw little-endian float32. Needs Debian's python3-torch and python3-numpy.
"""
import json
import os
import shutil
import sys
import zipfile

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gpt1_reference  # noqa: E402
from hf_openai_gpt import HfConfig, OpenAIGPTLMHeadModel, load_pretrained, original_logits  # noqa: E402

SAFETENSORS_DTYPES = {"F32": np.float32}


def read_safetensors(path):
    """The format by its spec (8-byte length, JSON header, raw data): no safetensors package here."""
    with open(path, "rb") as f:
        n = int.from_bytes(f.read(8), "little")
        header = json.loads(f.read(n))
        data = f.read()
    assert header.get("__metadata__", {}).get("format") == "pt", "HF's from_pretrained needs __metadata__.format = pt"
    out = {}
    for name, e in header.items():
        if name == "__metadata__":
            continue
        a, b = e["data_offsets"]
        out[name] = torch.from_numpy(np.frombuffer(data[a:b], dtype=SAFETENSORS_DTYPES[e["dtype"]]).reshape(e["shape"]).copy())
    return out


def randomize(params):
    """Every value matters: weights wider than the paper's init, biases and LN gains not 0 and 1,
    so a swapped, transposed or dropped tensor changes the logits."""
    g = torch.Generator().manual_seed(20181)
    with torch.no_grad():
        for name, p in params:
            if p.dim() >= 2:
                p.copy_(torch.randn(p.shape, generator=g) * 0.1)
            elif name.endswith("ln_1.weight") or name.endswith("ln_2.weight"):
                p.copy_(1 + torch.randn(p.shape, generator=g) * 0.1)
            else:
                p.copy_(torch.randn(p.shape, generator=g) * 0.1)


def read_request(path):
    with open(path) as f:
        req = json.load(f)
    return torch.tensor(req["ids"], dtype=torch.int64), req.get("config")


def write_logits(path, logits):
    with open(path, "wb") as f:
        f.write(logits.detach().to(torch.float32).contiguous().numpy().astype("<f4").tobytes())


def read_hf(directory, ids_path, out_path):
    ids, _ = read_request(ids_path)
    with open(os.path.join(directory, "config.json")) as f:
        config = json.load(f)
    assert config["model_type"] == "openai-gpt" and config["afn"] == "gelu", config
    assert config["architectures"] == ["OpenAIGPTLMHeadModel"], config
    cfg = HfConfig(config)
    with zipfile.ZipFile(os.path.join(directory, "pytorch_model.bin")) as z:  # as torch.save writes it; torch.load(mmap=True) needs it
        assert all(i.compress_type == zipfile.ZIP_STORED for i in z.infolist()), "pytorch_model.bin has compressed entries"
    # weights_only: the restricted unpickler recent transformers use in from_pretrained
    state = torch.load(os.path.join(directory, "pytorch_model.bin"), map_location="cpu", weights_only=True)
    safe = read_safetensors(os.path.join(directory, "model.safetensors"))
    assert sorted(state) == sorted(safe), (sorted(state), sorted(safe))
    for k in state:
        assert state[k].dtype == torch.float32 and torch.equal(state[k], safe[k]), f"{k}: pytorch_model.bin and model.safetensors differ"

    with open(os.path.join(directory, "vocab.json"), encoding="utf-8") as f:
        vocab = json.load(f)
    with open(os.path.join(directory, "merges.txt"), encoding="utf-8") as f:
        merges = f.read().split("\n")[1:-1]  # as OpenAIGPTTokenizer reads it
    assert len(vocab) == cfg.vocab_size, (len(vocab), cfg.vocab_size)
    assert all(len(m.split()) == 2 for m in merges), "merges.txt: every line after the header is one pair"

    hf = OpenAIGPTLMHeadModel(cfg).eval()
    load_pretrained(hf, state)
    ref = gpt1_reference.GPT1(gpt1_reference.GPT1Config(
        vocab_size=cfg.vocab_size, n_positions=cfg.n_positions, n_embd=cfg.n_embd, n_layer=cfg.n_layer, n_head=cfg.n_head,
        resid_pdrop=0.0, embd_pdrop=0.0, attn_pdrop=0.0, layer_norm_epsilon=cfg.layer_norm_epsilon)).eval()
    ref.load_state_dict(state, strict=True)
    with torch.no_grad():
        logits = hf(ids)
        d = (logits - ref(ids)).abs().max().item()
    assert d < 1e-5, f"the HF mirror and gpt1_reference disagree on the exported weights by {d}"
    write_logits(out_path, logits)
    print(f"read-hf: {len(state)} tensors, HF mirror vs reference max |diff| {d:.1e}")


def copy_vocab(vocab_dir, directory, names):
    for src, dst in names:
        shutil.copyfile(os.path.join(vocab_dir, src), os.path.join(directory, dst))


def write_hf(directory, ids_path, out_path, vocab_dir):
    ids, config = read_request(ids_path)
    config = dict(config, model_type="openai-gpt", afn="gelu", architectures=["OpenAIGPTLMHeadModel"])
    cfg = HfConfig(config)
    model = OpenAIGPTLMHeadModel(cfg).eval()
    randomize(list(model.named_parameters()))
    os.makedirs(directory)
    with open(os.path.join(directory, "config.json"), "w") as f:
        json.dump(config, f, indent=2)
    state = model.state_dict()  # transformer.* and lm_head.weight, sharing one storage
    for i in range(cfg.n_layer):  # the mask buffer transformers < 4.31 saved
        state[f"transformer.h.{i}.attn.bias"] = model.transformer.h[i].attn.bias
    torch.save(state, os.path.join(directory, "pytorch_model.bin"))
    copy_vocab(vocab_dir, directory, [("encoder_bpe_40000.json", "vocab.json"), ("vocab_40000.bpe", "merges.txt")])
    with torch.no_grad():
        write_logits(out_path, model(ids))
    print(f"write-hf: {len(state)} tensors")


def write_release(directory, ids_path, out_path, vocab_dir):
    ids, config = read_request(ids_path)
    C, L, V, P = config["n_embd"], config["n_layer"], config["vocab_size"], config["n_positions"]
    shapes = [[P, C], [V, C]]
    for _ in range(L):
        shapes += [[1, C, 3 * C], [3 * C], [1, C, C], [C], [C], [C], [1, C, 4 * C], [4 * C], [1, 4 * C, C], [C], [C], [C]]
    rng = np.random.default_rng(1806)
    params = []
    for i, s in enumerate(shapes):
        is_gain = i >= 2 and (i - 2) % 12 in (4, 10)
        a = rng.standard_normal(s).astype(np.float32) * np.float32(0.1)
        params.append(a + np.float32(1) if is_gain else a)
    os.makedirs(directory)
    with open(os.path.join(directory, "params_shapes.json"), "w") as f:
        json.dump(shapes, f)
    flat = np.concatenate([p.reshape(-1) for p in params])
    for n, piece in enumerate(np.array_split(flat, 10)):  # as the release: ten 1-D pieces
        np.save(os.path.join(directory, f"params_{n}.npy"), piece)
    copy_vocab(vocab_dir, directory, [("encoder_bpe_40000.json", "encoder_bpe_40000.json"), ("vocab_40000.bpe", "vocab_40000.bpe")])
    with torch.no_grad():
        write_logits(out_path, original_logits(params, ids, config["n_head"]))
    print(f"write-release: {len(shapes)} arrays, {flat.size} values in 10 files")


if __name__ == "__main__":
    torch.set_num_threads(1)
    command, args = sys.argv[1], sys.argv[2:]
    {"read-hf": read_hf, "write-hf": write_hf, "write-release": write_release}[command](*args)
