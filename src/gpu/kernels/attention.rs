//! Launcher of `shaders/attention.wgsl`.  Reference: `cpu::attention`.

use crate::error::{HearthError, Result};
use crate::gpu::{Defines, Dispatch, GpuContext, Grid};

#[derive(Clone, Copy, Debug)]
pub struct AttentionShape {
    pub heads: u32,
    pub kv_heads: u32,
    pub head_dim: u32,
    pub scale: f32,
}

/// Causal attention over the KV cache, the variant measured fastest (`hearth bench-kernels`):
/// `attention_rows` for prefill on CPU emulations (3–6× faster there: lavapipe 7.6 vs 48 ms,
/// SwiftShader 32 vs 104 ms for 128 tokens), `attention_tiled` for decode (one query row
/// leaves the rows variant's lanes idle) and on GPUs.
pub fn attention(ctx: &GpuContext, step: &wgpu::Buffer, q: &wgpu::Buffer, out: &wgpu::Buffer, k_cache: &wgpu::Buffer, v_cache: &wgpu::Buffer, s: AttentionShape, decode: bool) -> Result<Dispatch> {
    if ctx.emulated() && !decode {
        attention_rows(ctx, step, q, out, k_cache, v_cache, s)
    } else {
        attention_tiled(ctx, step, q, out, k_cache, v_cache, s)
    }
}

/// One query row per invocation, no workgroup memory (`shaders/attention_rows.wgsl`).
pub fn attention_rows(ctx: &GpuContext, step: &wgpu::Buffer, q: &wgpu::Buffer, out: &wgpu::Buffer, k_cache: &wgpu::Buffer, v_cache: &wgpu::Buffer, s: AttentionShape) -> Result<Dispatch> {
    check(&s)?;
    let defines = Defines::default().u32("H", s.heads).u32("KVH", s.kv_heads).u32("HD", s.head_dim).f32("SCALE", s.scale);
    let p = ctx.pipeline("attention_rows.wgsl", defines)?;
    Ok(Dispatch::new(ctx, "attention", p, &[(1, step), (2, q), (3, out), (6, k_cache), (7, v_cache)], Grid::TokenTilesY { y: s.heads, tile: 8 }))
}

/// A workgroup per query row, keys in shared-memory tiles (`shaders/attention.wgsl`).
pub fn attention_tiled(ctx: &GpuContext, step: &wgpu::Buffer, q: &wgpu::Buffer, out: &wgpu::Buffer, k_cache: &wgpu::Buffer, v_cache: &wgpu::Buffer, s: AttentionShape) -> Result<Dispatch> {
    check(&s)?;
    let defines = Defines::default().u32("H", s.heads).u32("KVH", s.kv_heads).u32("HD", s.head_dim).f32("SCALE", s.scale);
    let p = ctx.pipeline("attention.wgsl", defines)?;
    Ok(Dispatch::new(ctx, "attention", p, &[(1, step), (2, q), (3, out), (6, k_cache), (7, v_cache)], Grid::PerToken(s.heads)))
}

/// Bidirectional attention over a padded encoder batch: `k`, `v` are activations [T, KVH·HD],
/// `lens[b]` the valid tokens of sequence b (the rest is padding, masked out).
#[allow(clippy::too_many_arguments)]
pub fn encoder_attention(ctx: &GpuContext, step: &wgpu::Buffer, q: &wgpu::Buffer, out: &wgpu::Buffer, k: &wgpu::Buffer, v: &wgpu::Buffer, lens: &wgpu::Buffer, s: AttentionShape) -> Result<Dispatch> {
    check(&s)?;
    let defines = Defines::default().u32("H", s.heads).u32("KVH", s.kv_heads).u32("HD", s.head_dim).f32("SCALE", s.scale).flag("ENCODER");
    let p = ctx.pipeline("attention.wgsl", defines)?;
    Ok(Dispatch::new(ctx, "attention", p, &[(1, step), (2, q), (3, out), (6, k), (7, v), (8, lens)], Grid::PerToken(s.heads)))
}

fn check(s: &AttentionShape) -> Result<()> {
    if s.kv_heads == 0 || s.heads % s.kv_heads != 0 || s.head_dim == 0 || s.head_dim % 4 != 0 || s.head_dim > 256 {
        return Err(HearthError::UnsupportedModel(format!("attention with {} heads, {} KV heads, head dim {}", s.heads, s.kv_heads, s.head_dim)));
    }
    Ok(())
}
