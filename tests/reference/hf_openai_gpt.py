"""A minimal HuggingFace openai-gpt in plain PyTorch, for the weight-interop tests.

It mirrors the layout of transformers' modeling_openai.py (OpenAIGPTModel and
OpenAIGPTLMHeadModel) as that file builds it: HF's Conv1D (addmm, weight (in, out)), q/k/v
split by `split`, keys transposed by `split_heads(k=True)`, the causal mask as a tril buffer
applied as `w * b - 1e4 * (1 - b)`, scores divided by sqrt(head size) (`scale=True`), the
"gelu" of openai-gpt being gelu_new (tanh), post-LN blocks, no final LN, and an lm_head Linear
without bias tied to tokens_embed. Written from that layout, not imported: transformers is not
installed here. It shares no code with gpt1_reference.py or the C# model.

Also `original_logits`: GPT-1's forward as openai/finetune-transformer-lm's TF code computes it,
from the release's flat list of arrays (params_shapes.json order) without renaming anything.
"""
import json
import math

import torch
import torch.nn as nn


class HfConfig:
    """The fields of config.json the model reads, under HF's names."""

    def __init__(self, d):
        self.vocab_size = d["vocab_size"]
        self.n_positions = d["n_positions"]
        self.n_embd = d["n_embd"]
        self.n_layer = d["n_layer"]
        self.n_head = d["n_head"]
        self.afn = d.get("afn", "gelu")
        self.layer_norm_epsilon = d.get("layer_norm_epsilon", 1e-5)
        assert self.afn == "gelu", f"afn {self.afn}: only gelu (gelu_new) is mirrored"

    @staticmethod
    def load(path):
        with open(path) as f:
            return HfConfig(json.load(f))


def gelu_new(x):
    return 0.5 * x * (1.0 + torch.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * torch.pow(x, 3.0))))


class Conv1D(nn.Module):
    def __init__(self, nf, nx):
        super().__init__()
        self.nf = nf
        self.weight = nn.Parameter(torch.empty(nx, nf).normal_(std=0.02))
        self.bias = nn.Parameter(torch.zeros(nf))

    def forward(self, x):
        size_out = x.size()[:-1] + (self.nf,)
        x = torch.addmm(self.bias, x.view(-1, x.size(-1)), self.weight)
        return x.view(size_out)


class Attention(nn.Module):
    def __init__(self, nx, n_positions, cfg):
        super().__init__()
        mask = torch.tril(torch.ones(n_positions, n_positions)).view(1, 1, n_positions, n_positions)
        self.register_buffer("bias", mask, persistent=False)
        self.n_head = cfg.n_head
        self.split_size = nx
        self.c_attn = Conv1D(nx * 3, nx)
        self.c_proj = Conv1D(nx, nx)

    def _attn(self, q, k, v):
        w = torch.matmul(q, k)  # (B, nh, T, T)
        w = w / math.sqrt(v.size(-1))
        b = self.bias[:, :, : w.size(-2), : w.size(-1)]
        w = w * b + -1e4 * (1 - b)
        return torch.matmul(nn.functional.softmax(w, dim=-1), v)  # (B, nh, T, hs)

    def merge_heads(self, x):
        x = x.permute(0, 2, 1, 3).contiguous()
        return x.view(*x.size()[:-2], x.size(-2) * x.size(-1))

    def split_heads(self, x, k=False):
        x = x.view(*x.size()[:-1], self.n_head, x.size(-1) // self.n_head)
        return x.permute(0, 2, 3, 1) if k else x.permute(0, 2, 1, 3)

    def forward(self, x):
        query, key, value = self.c_attn(x).split(self.split_size, dim=2)
        a = self._attn(self.split_heads(query), self.split_heads(key, k=True), self.split_heads(value))
        return self.c_proj(self.merge_heads(a))


class MLP(nn.Module):
    def __init__(self, n_state, cfg):
        super().__init__()
        nx = cfg.n_embd
        self.c_fc = Conv1D(n_state, nx)
        self.c_proj = Conv1D(nx, n_state)

    def forward(self, x):
        return self.c_proj(gelu_new(self.c_fc(x)))


class Block(nn.Module):
    def __init__(self, n_positions, cfg):
        super().__init__()
        nx = cfg.n_embd
        self.attn = Attention(nx, n_positions, cfg)
        self.ln_1 = nn.LayerNorm(nx, eps=cfg.layer_norm_epsilon)
        self.mlp = MLP(4 * nx, cfg)
        self.ln_2 = nn.LayerNorm(nx, eps=cfg.layer_norm_epsilon)

    def forward(self, x):
        n = self.ln_1(x + self.attn(x))
        return self.ln_2(n + self.mlp(n))


class OpenAIGPTModel(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.tokens_embed = nn.Embedding(cfg.vocab_size, cfg.n_embd)
        self.positions_embed = nn.Embedding(cfg.n_positions, cfg.n_embd)
        self.h = nn.ModuleList([Block(cfg.n_positions, cfg) for _ in range(cfg.n_layer)])
        self.register_buffer("position_ids", torch.arange(cfg.n_positions), persistent=False)

    def forward(self, input_ids):
        position_ids = self.position_ids[None, : input_ids.size(-1)]
        hidden = self.tokens_embed(input_ids) + self.positions_embed(position_ids)  # (B, T, C)
        for block in self.h:
            hidden = block(hidden)
        return hidden


class OpenAIGPTLMHeadModel(nn.Module):
    """State-dict keys: transformer.* and lm_head.weight (the same tensor as transformer.tokens_embed.weight)."""

    def __init__(self, cfg):
        super().__init__()
        self.transformer = OpenAIGPTModel(cfg)
        self.lm_head = nn.Linear(cfg.n_embd, cfg.vocab_size, bias=False)
        self.lm_head.weight = self.transformer.tokens_embed.weight

    def forward(self, input_ids):
        return self.lm_head(self.transformer(input_ids))  # (B, T, V)


def load_pretrained(model, state_dict):
    """What from_pretrained does with a base-model checkpoint (no "transformer." prefix) in a
    head model: load it into model.transformer, strictly; lm_head stays tied."""
    if any(k.startswith("transformer.") for k in state_dict):
        state_dict = {k[len("transformer."):]: v for k, v in state_dict.items() if k.startswith("transformer.")}
    model.transformer.load_state_dict(state_dict, strict=True)


def original_logits(params, ids, n_head, eps=1e-5):
    """GPT-1 as the TF code computes it, from the release's list of arrays (numpy or torch):
    params[0] positions (n_ctx, C), params[1] tokens (V, C), then 12 tensors per block, conv
    weights (1, in, out), LayerNorm g then b. `we` stacks tokens over positions; each input is a
    (token, n_vocab + position) pair whose two rows are summed. The TF code's logits ran over all
    rows of `we`; here, as in HF, over the V token rows only."""
    p = [torch.as_tensor(a) for a in params]
    pos, tok = p[0], p[1]
    n_vocab, C = tok.shape
    we = torch.cat([tok, pos], 0)  # (V + n_ctx, C), n_special = 0
    B, T = ids.shape
    X = torch.stack([ids, n_vocab + torch.arange(T).expand(B, T)], -1)  # (B, T, 2)
    h = we[X].sum(2)  # (B, T, C)

    def conv1d(x, w, b):
        nf = w.shape[-1]
        return (x.reshape(-1, x.shape[-1]) @ w.reshape(-1, nf) + b).reshape(*x.shape[:-1], nf)

    def norm(x, g, b):
        u = x.mean(-1, keepdim=True)
        s = ((x - u) ** 2).mean(-1, keepdim=True)
        return (x - u) * torch.rsqrt(s + eps) * g + b

    causal = torch.tril(torch.ones(T, T))
    for i in range(2, len(p), 12):
        aw, ab, pw, pb, g1, b1, fw, fb, mw, mb, g2, b2 = p[i:i + 12]
        q, k, v = conv1d(h, aw, ab).split(C, 2)
        q = q.reshape(B, T, n_head, -1).permute(0, 2, 1, 3)  # (B, nh, T, hs)
        k = k.reshape(B, T, n_head, -1).permute(0, 2, 3, 1)  # (B, nh, hs, T)
        v = v.reshape(B, T, n_head, -1).permute(0, 2, 1, 3)
        w = (q @ k) * torch.rsqrt(torch.tensor(float(v.shape[-1])))
        w = w * causal + -1e9 * (1 - causal)
        a = (w.softmax(-1) @ v).permute(0, 2, 1, 3).reshape(B, T, C)
        n = norm(h + conv1d(a, pw, pb), g1, b1)
        m = conv1d(gelu_new(conv1d(n, fw, fb)), mw, mb)
        h = norm(n + m, g2, b2)
    return h @ tok.t()  # (B, T, V)
