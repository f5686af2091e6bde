"""GPT-1 (Radford et al. 2018) and its pretraining step in plain PyTorch.

An independent reference for the C# model: written from the paper, the original
openai/finetune-transformer-lm code and the HF openai-gpt checkpoint layout, not
from transformers. Parameter names, shapes and order match HF `openai-gpt`, so the
goldens made from this file line up one-to-one with a PyBridge-loaded checkpoint.
"""
import math
from dataclasses import dataclass

import torch
import torch.nn as nn
import torch.nn.functional as F


@dataclass
class GPT1Config:
    # Field names are HF openai-gpt config.json's, so a manifest can carry them verbatim.
    vocab_size: int = 40478  # 40,000 merges + 478 base symbols (with and without </w>)
    n_positions: int = 512  # learned positions, so this is a hard context limit
    n_embd: int = 768
    n_layer: int = 12
    n_head: int = 12  # head size 64
    resid_pdrop: float = 0.1
    embd_pdrop: float = 0.1
    attn_pdrop: float = 0.1
    layer_norm_epsilon: float = 1e-5
    initializer_range: float = 0.02


class Conv1D(nn.Module):
    """A linear layer stored the way the original TF code and HF store it: weight (in, out)."""

    def __init__(self, n_in, n_out, device=None):
        super().__init__()
        self.weight = nn.Parameter(torch.empty(n_in, n_out, device=device))
        self.bias = nn.Parameter(torch.empty(n_out, device=device))

    def forward(self, x):
        return x @ self.weight + self.bias


def gelu(x):
    # The tanh approximation the original code used; written out so it cannot silently
    # become the erf GELU.
    return 0.5 * x * (1.0 + torch.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * x.pow(3))))


class Attention(nn.Module):
    def __init__(self, cfg, device=None):
        super().__init__()
        assert cfg.n_embd % cfg.n_head == 0
        self.n_head = cfg.n_head
        # Declaration order is state-dict order: c_attn, c_proj.
        self.c_attn = Conv1D(cfg.n_embd, 3 * cfg.n_embd, device)
        self.c_proj = Conv1D(cfg.n_embd, cfg.n_embd, device)
        self.attn_dropout = nn.Dropout(cfg.attn_pdrop)
        self.resid_dropout = nn.Dropout(cfg.resid_pdrop)

    def forward(self, x):
        B, T, C = x.shape
        hs = C // self.n_head
        q, k, v = self.c_attn(x).split(C, dim=2)  # each (B, T, C), in that order
        q = q.view(B, T, self.n_head, hs).transpose(1, 2)  # (B, nh, T, hs)
        k = k.view(B, T, self.n_head, hs).transpose(1, 2)  # (B, nh, T, hs)
        v = v.view(B, T, self.n_head, hs).transpose(1, 2)  # (B, nh, T, hs)
        att = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(hs))  # (B, nh, T, T)
        causal = torch.ones(T, T, dtype=torch.bool, device=x.device).tril()
        att = att.masked_fill(~causal, float("-inf"))
        att = self.attn_dropout(F.softmax(att, dim=-1))
        y = att @ v  # (B, nh, T, hs)
        y = y.transpose(1, 2).contiguous().view(B, T, C)  # heads side by side again
        return self.resid_dropout(self.c_proj(y))


class MLP(nn.Module):
    def __init__(self, cfg, device=None):
        super().__init__()
        self.c_fc = Conv1D(cfg.n_embd, 4 * cfg.n_embd, device)
        self.c_proj = Conv1D(4 * cfg.n_embd, cfg.n_embd, device)
        self.dropout = nn.Dropout(cfg.resid_pdrop)

    def forward(self, x):
        return self.dropout(self.c_proj(gelu(self.c_fc(x))))


class Block(nn.Module):
    def __init__(self, cfg, device=None):
        super().__init__()
        # HF order: attn, ln_1, mlp, ln_2.
        self.attn = Attention(cfg, device)
        self.ln_1 = nn.LayerNorm(cfg.n_embd, eps=cfg.layer_norm_epsilon, device=device)
        self.mlp = MLP(cfg, device)
        self.ln_2 = nn.LayerNorm(cfg.n_embd, eps=cfg.layer_norm_epsilon, device=device)

    def forward(self, x):
        # Post-LN, as published (not the pre-LN of GPT-2).
        n = self.ln_1(x + self.attn(x))
        return self.ln_2(n + self.mlp(n))


class GPT1(nn.Module):
    def __init__(self, cfg, device=None):
        super().__init__()
        self.cfg = cfg
        self.tokens_embed = nn.Embedding(cfg.vocab_size, cfg.n_embd, device=device)
        self.positions_embed = nn.Embedding(cfg.n_positions, cfg.n_embd, device=device)
        self.drop = nn.Dropout(cfg.embd_pdrop)
        self.h = nn.ModuleList([Block(cfg, device) for _ in range(cfg.n_layer)])
        init_weights(self)

    def forward(self, ids):
        """ids (B, T) int64 -> logits (B, T, V). No final LayerNorm in GPT-1."""
        B, T = ids.shape
        assert T <= self.cfg.n_positions, f"sequence length {T} > n_positions {self.cfg.n_positions}"
        pos = torch.arange(T, device=ids.device)  # (T,)
        x = self.drop(self.tokens_embed(ids) + self.positions_embed(pos))  # (B, T, C)
        for block in self.h:
            x = block(x)
        return x @ self.tokens_embed.weight.t()  # (B, T, V), tied, no bias


@torch.no_grad()
def init_weights(model):
    """Paper init: every matrix N(0, initializer_range), biases 0, LayerNorm gain 1."""
    std = model.cfg.initializer_range
    for name, p in model.named_parameters():
        if p.dim() >= 2:
            p.normal_(0.0, std)
        elif name.endswith(("ln_1.weight", "ln_2.weight")):
            p.fill_(1.0)
        else:
            p.zero_()


def hf_param_names(cfg):
    """The HF openai-gpt state-dict keys in order; written out from the spec, not from the model."""
    names = ["tokens_embed.weight", "positions_embed.weight"]
    for i in range(cfg.n_layer):
        for leaf in ("attn.c_attn", "attn.c_proj", "ln_1", "mlp.c_fc", "mlp.c_proj", "ln_2"):
            names += [f"h.{i}.{leaf}.weight", f"h.{i}.{leaf}.bias"]
    return names


def count_params_analytic(cfg):
    C, V, P = cfg.n_embd, cfg.vocab_size, cfg.n_positions
    per_block = (C * 3 * C + 3 * C) + (C * C + C) + 2 * C + (C * 4 * C + 4 * C) + (4 * C * C + C) + 2 * C
    return V * C + P * C + cfg.n_layer * per_block


# ---- the training step ----------------------------------------------------------------------

def lm_loss(model, ids):
    """Mean next-token cross-entropy; ids (B, T+1) -> scalar."""
    logits = model(ids[:, :-1])  # (B, T, V)
    targets = ids[:, 1:]  # (B, T)
    return F.cross_entropy(logits.reshape(-1, logits.size(-1)), targets.reshape(-1))


def lr_at(s, lr_max, warmup, total):
    """lr for update s (1-based): linear warmup to lr_max, then cosine to exactly 0 at s = total."""
    if s <= warmup:
        return lr_max * s / warmup
    return lr_max * 0.5 * (1.0 + math.cos(math.pi * (s - warmup) / (total - warmup)))


@torch.no_grad()
def clip_grad_norm(params, max_norm):
    """torch.nn.utils.clip_grad_norm_ (2-norm) step by step; returns the pre-clip global norm."""
    grads = [p.grad for p in params]
    # Norm of per-tensor norms, the same reduction order torch uses.
    total = torch.norm(torch.stack([torch.norm(g, 2.0) for g in grads]), 2.0)
    coef = torch.clamp(max_norm / (total + 1e-6), max=1.0)
    for g in grads:
        g.mul_(coef)  # always multiplied, like torch; by 1.0 when under the limit
    return total


class AdamW:
    """torch.optim.AdamW (single-tensor path) written out; decay only tensors with dim >= 2."""

    def __init__(self, params, beta1, beta2, eps, weight_decay):
        self.params = list(params)
        self.beta1, self.beta2, self.eps, self.wd = beta1, beta2, eps, weight_decay
        self.m = [torch.zeros_like(p) for p in self.params]
        self.v = [torch.zeros_like(p) for p in self.params]
        self.t = 0

    @torch.no_grad()
    def step(self, lr):
        self.t += 1
        b1, b2, t = self.beta1, self.beta2, self.t
        step_size = lr / (1 - b1 ** t)
        bc2_sqrt = math.sqrt(1 - b2 ** t)
        for p, m, v in zip(self.params, self.m, self.v):
            g = p.grad
            if p.dim() >= 2:
                p.mul_(1 - lr * self.wd)  # decoupled decay, before the moment update
            m.mul_(b1).add_(g, alpha=1 - b1)
            v.mul_(b2).addcmul_(g, g, value=1 - b2)
            denom = (v.sqrt() / bc2_sqrt).add_(self.eps)
            p.addcdiv_(m, denom, value=-step_size)


def backward(model, ids):
    """Forward and backward on one batch ids (B, T+1); grads land on the parameters. Returns loss."""
    for p in model.parameters():
        p.grad = None
    loss = lm_loss(model, ids)
    loss.backward()
    return loss


def update(model, opt, s, lr_max, warmup, total, grad_clip):
    """Clip the gradients in place, then AdamW update s (1-based). Returns (pre-clip norm, lr)."""
    norm = clip_grad_norm(list(model.parameters()), grad_clip)
    lr = lr_at(s, lr_max, warmup, total)
    opt.step(lr)
    return norm, lr


def train_step(model, opt, ids, s, lr_max, warmup, total, grad_clip):
    """One full update s; returns (loss, pre-clip grad norm, lr) as Python floats."""
    loss = backward(model, ids)
    norm, lr = update(model, opt, s, lr_max, warmup, total, grad_clip)
    return loss.item(), norm.item(), lr
