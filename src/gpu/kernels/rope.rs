//! Launcher of `shaders/rope.wgsl`, and the (cos, sin) table it reads.  Reference: `cpu::rope`.

use crate::error::Result;
use crate::gpu::{Defines, Dispatch, GpuContext, Grid};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RopeMode {
    /// llama.cpp's normal mode: adjacent pairs (2i, 2i+1).
    Normal,
    /// GPT-NeoX / HF rotate-half: pairs (i, i + n_rot/2).
    Neox,
}

/// Rotation geometry shared by the GPU table and the CPU reference.
#[derive(Clone, Copy, Debug)]
pub struct RopeShape {
    pub heads: u32,
    pub head_dim: u32,
    pub n_rot: u32,
    pub mode: RopeMode,
}

/// (cos θ, sin θ) for θ = pos · freq_scale · base^(−2p / n_rot), positions 0..ctx, pairs 0..n_rot/2.
/// Computed in f64 and rounded once, so the table is as exact as f32 allows.
pub fn rope_table(ctx_len: u32, n_rot: u32, base: f64, freq_scale: f64) -> Vec<[f32; 2]> {
    let half = n_rot / 2;
    let mut t = Vec::with_capacity((ctx_len * half) as usize);
    for pos in 0..ctx_len {
        for p in 0..half {
            let theta = pos as f64 * freq_scale * base.powf(-2.0 * p as f64 / n_rot as f64);
            t.push([theta.cos() as f32, theta.sin() as f32]);
        }
    }
    t
}

/// From rows qkv[t] = (q, k, v): q_rot = rope(q), K cache rows pos0.. = rope(k), V cache rows
/// pos0.. = v, in one launch (`shaders/rope_qkv.wgsl`); `shape` is the query heads',
/// `kv_heads` the key/value heads.
#[allow(clippy::too_many_arguments)]
pub fn rope_qkv(ctx: &GpuContext, step: &wgpu::Buffer, qkv: &wgpu::Buffer, q_rot: &wgpu::Buffer, k_cache: &wgpu::Buffer, v_cache: &wgpu::Buffer, table: &wgpu::Buffer, shape: RopeShape, kv_heads: u32) -> Result<Dispatch> {
    let defines = Defines::default()
        .u32("H", shape.heads)
        .u32("KVH", kv_heads)
        .u32("HD", shape.head_dim)
        .u32("N_ROT", shape.n_rot)
        .flag_if(shape.mode == RopeMode::Neox, "NEOX");
    let p = ctx.pipeline_handle("rope_qkv.wgsl", defines)?;
    let x = ((shape.heads + 2 * kv_heads) * shape.head_dim / 2).div_ceil(64);
    let entries = [(1, step), (2, qkv), (3, q_rot), (5, k_cache), (6, table), (8, v_cache)];
    Ok(Dispatch::new(ctx, "rope_qkv", p, &entries, Grid::PerToken(x)))
}

pub fn rope(ctx: &GpuContext, step: &wgpu::Buffer, src: &wgpu::Buffer, dst: &wgpu::Buffer, table: &wgpu::Buffer, shape: RopeShape, to_cache: bool) -> Result<Dispatch> {
    let defines = Defines::default()
        .u32("H", shape.heads)
        .u32("HD", shape.head_dim)
        .u32("N_ROT", shape.n_rot)
        .flag_if(shape.mode == RopeMode::Neox, "NEOX")
        .flag_if(to_cache, "TO_CACHE");
    let p = ctx.pipeline_handle("rope.wgsl", defines)?;
    let x = (shape.heads * shape.head_dim / 2).div_ceil(64);
    Ok(Dispatch::new(ctx, "rope", p, &[(1, step), (2, src), (3, dst), (6, table)], Grid::PerToken(x)))
}
