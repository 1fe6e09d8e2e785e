//! Launcher of `shaders/attention.wgsl`.  Reference: `cpu::attention`.

use crate::error::{HearthError, Result};
use super::rope::{RopeMode, RopeShape};
use crate::gpu::{Defines, Dispatch, GpuContext, Grid};

#[derive(Clone, Copy, Debug)]
pub struct AttentionShape {
    pub heads: u32,
    pub kv_heads: u32,
    pub head_dim: u32,
    pub scale: f32,
}

/// Causal attention over the KV cache, the variant measured fastest (`hearth bench-kernels`).
/// On CPU emulations: prefill `attention_rows` (lavapipe 7.6 vs 48 ms, SwiftShader 32 vs
/// 104 ms for 128 tokens against the tiled kernel), decode `attention_split` (one query row
/// leaves the rows variant's lanes idle; at 512 cached tokens 0.8 vs 1.8–3.7 ms on lavapipe,
/// 4.8 vs 7.3 ms on SwiftShader). On GPUs `attention_tiled` (shared-memory tiles).
pub fn attention(ctx: &GpuContext, step: &wgpu::Buffer, q: &wgpu::Buffer, out: &wgpu::Buffer, k_cache: &wgpu::Buffer, v_cache: &wgpu::Buffer, s: AttentionShape, decode: bool) -> Result<Dispatch> {
    match (ctx.emulated(), decode) {
        (true, false) => attention_rows(ctx, step, q, out, k_cache, v_cache, s),
        (true, true) => attention_split(ctx, step, q, out, k_cache, v_cache, s),
        (false, _) => attention_tiled(ctx, step, q, out, k_cache, v_cache, s),
    }
}

/// One query row per invocation, no workgroup memory (`shaders/attention_rows.wgsl`), with the
/// most query heads per invocation that `rows_heads` allows.
pub fn attention_rows(ctx: &GpuContext, step: &wgpu::Buffer, q: &wgpu::Buffer, out: &wgpu::Buffer, k_cache: &wgpu::Buffer, v_cache: &wgpu::Buffer, s: AttentionShape) -> Result<Dispatch> {
    attention_rows_heads(ctx, step, q, out, k_cache, v_cache, s, rows_heads(ctx, s))
}

/// Query heads per `attention_rows` invocation: with shared K and V rows (64-wide heads and
/// subgroups of 4 or 8) the largest of 4, 3, 2 dividing the KV group (heads that share one K
/// and V row), else 1. Measured with `hearth bench-kernels` (SmolLM2's 3 heads per group, a
/// 128-token prefill), 1 → 3 heads: SwiftShader 8.7–9.3 → 5.8–7.1 ms (3 runs), lavapipe
/// 0.75 → 0.69–0.70 ms.
pub fn rows_heads(ctx: &GpuContext, s: AttentionShape) -> u32 {
    let group = s.heads / s.kv_heads.max(1);
    if !shared_rows(ctx, s) {
        return 1;
    }
    [4, 3, 2].into_iter().find(|&n| group % n == 0).unwrap_or(1)
}

/// Whether `attention_rows` shares K and V rows across the subgroup here: heads 64 or 32 wide
/// (their steps written out: common/row16.wgsl, row8.wgsl) and subgroups of 4 or 8. For
/// MiniLM's 32-wide heads (with the encoder's tiles kept within a sequence, which also skipped
/// the then padded batch's padding keys) its encoder attention natively went 59 → 14 ms for the 32-sentence batch
/// (`hearth bench` profile), 1.8 → 0.6 ms for one sentence.
fn shared_rows(ctx: &GpuContext, s: AttentionShape) -> bool {
    (s.head_dim == 64 || s.head_dim == 32) && ctx.simd_subgroup().is_some()
}

/// The defines of `attention_rows.wgsl` for `s` with `qpw` heads per invocation.
fn rows_defines(ctx: &GpuContext, s: AttentionShape, qpw: u32) -> Defines {
    let defines = Defines::default().u32("H", s.heads).u32("KVH", s.kv_heads).u32("HD", s.head_dim).f32("SCALE", s.scale).u32("QPW", qpw);
    let defines = defines.flag_if(qpw >= 2, "QH1").flag_if(qpw >= 3, "QH2").flag_if(qpw >= 4, "QH3");
    if shared_rows(ctx, s) { ctx.subgroup_defines(defines.flag_if(s.head_dim == 32, "HD32")) } else { defines }
}

/// `attention_rows` with `qpw` query heads per invocation (1..=4, dividing H / KVH; more than 1
/// only where K and V rows are shared across the subgroup).
#[allow(clippy::too_many_arguments)]
pub fn attention_rows_heads(ctx: &GpuContext, step: &wgpu::Buffer, q: &wgpu::Buffer, out: &wgpu::Buffer, k_cache: &wgpu::Buffer, v_cache: &wgpu::Buffer, s: AttentionShape, qpw: u32) -> Result<Dispatch> {
    check(&s)?;
    if !(1..=4).contains(&qpw) || (s.heads / s.kv_heads) % qpw != 0 || (qpw > 1 && !shared_rows(ctx, s)) {
        return Err(HearthError::Gpu(format!("attention_rows: {qpw} heads per invocation must be 1..=4, divide the {} heads of a KV group, and be 1 unless heads are 64 or 32 wide and subgroups of 4 or 8 share the rows", s.heads / s.kv_heads)));
    }
    let p = ctx.pipeline_handle("attention_rows.wgsl", rows_defines(ctx, s, qpw))?;
    Ok(Dispatch::new(ctx, "attention", p, &[(1, step), (2, q), (3, out), (6, k_cache), (7, v_cache)], Grid::TokenTilesY { y: s.heads / qpw, tile: 8 }))
}

/// A workgroup per query row, its keys split across the invocations (`shaders/attention_split.wgsl`).
pub fn attention_split(ctx: &GpuContext, step: &wgpu::Buffer, q: &wgpu::Buffer, out: &wgpu::Buffer, k_cache: &wgpu::Buffer, v_cache: &wgpu::Buffer, s: AttentionShape) -> Result<Dispatch> {
    // One SIMD vector of the emulator: 8 invocations on lavapipe, 4 on SwiftShader (its subgroup
    // size). Measured with `hearth bench-kernels` at 128 / 512 cached keys:
    // - lavapipe, 32 → 8: 0.17 → 0.13 / 0.55 → 0.47 ms (4 is slower again: 0.145 / 0.41 vs
    //   0.13 / 0.34 ms in one run);
    // - SwiftShader, 32 → 8 → 4: 2.1 → 1.1 → 0.60 / 3.6 → 2.6 → 1.9 ms (8 vs 4 in one run:
    //   0.70–0.77 vs 0.59–0.61 and 1.9–2.2 vs 1.86–1.89 ms);
    // and SwiftShader compiles it in 0.1 s at 4, 0.19–0.33 s at 8, 1.1 s at 32 (its barrier
    // code grows with the subgroups per workgroup).
    attention_split_wg(ctx, step, q, out, k_cache, v_cache, s, split_wg(ctx))
}

/// `attention_split` with `wg` invocations per workgroup and the most query heads per workgroup
/// that `heads_per_workgroup` allows.
#[allow(clippy::too_many_arguments)]
pub fn attention_split_wg(ctx: &GpuContext, step: &wgpu::Buffer, q: &wgpu::Buffer, out: &wgpu::Buffer, k_cache: &wgpu::Buffer, v_cache: &wgpu::Buffer, s: AttentionShape, wg: u32) -> Result<Dispatch> {
    let qpw = heads_per_workgroup(s, wg, ctx.limits.max_compute_workgroup_storage_size);
    attention_split_heads(ctx, step, q, out, k_cache, v_cache, s, wg, qpw)
}

/// Query heads one `attention_split` workgroup takes: for 64-wide heads the largest of 4, 3, 2
/// that divides the KV group (H / KVH heads share one K and V row) and whose partials fit in
/// `shared_bytes` of workgroup memory; else 1. Measured with `hearth bench-kernels` (SmolLM2's
/// 3 heads per group, 1 → 3 heads per workgroup, merged with subgroup operations) at 128 / 512
/// cached keys: lavapipe (WG 8) 0.132 → 0.086 / 0.313 → 0.185 ms, SwiftShader in Chromium
/// (WG 4) 0.487 → 0.325 / 1.06 → 0.713 ms. Chromium compiles the 3-head variant in 0.33–0.41 s,
/// the 1-head one in 0.15 s (both were 0.32 and 0.79 s with the barrier merge).
pub fn heads_per_workgroup(s: AttentionShape, wg: u32, shared_bytes: u32) -> u32 {
    if s.head_dim != 64 {
        return 1;
    }
    let group = s.heads / s.kv_heads.max(1);
    let fits = |n: u32| wg * n * (s.head_dim * 4 + 8) <= shared_bytes;
    [4, 3, 2].into_iter().find(|&n| group % n == 0 && fits(n)).unwrap_or(1)
}

/// `attention_split` with `qpw` query heads per workgroup (1..=4, dividing H / KVH).
#[allow(clippy::too_many_arguments)]
pub fn attention_split_heads(ctx: &GpuContext, step: &wgpu::Buffer, q: &wgpu::Buffer, out: &wgpu::Buffer, k_cache: &wgpu::Buffer, v_cache: &wgpu::Buffer, s: AttentionShape, wg: u32, qpw: u32) -> Result<Dispatch> {
    split_launch(ctx, step, q, out, k_cache, v_cache, s, wg, qpw, None, 1)
}

/// Chunks of the keys decode attention splits across workgroups on this adapter (1 = none):
/// 2 on CPU emulations where a workgroup is one subgroup (`attention_split.wgsl` SPLIT), for
/// heads a multiple of 32 wide. There the KV groups are few (SmolLM2: 3 workgroups for 2 cores,
/// the second round half idle); the partials are merged by the o projection's x loads
/// (`matvec_merge`). Measured (alternated runs, 64 greedy tokens after a 512-token prompt):
/// lavapipe 22.0–24.7 → 21.8–26.3 tok/s (medians 22.3 → 25.5; the attention launches of a step
/// 10.6–13.3 → 8.7–9.5 ms in `hearth bench`'s profile); after a 128-token prompt, where chunks
/// of SPLIT_MIN keys leave one chunk, within noise; SwiftShader in Chromium within noise at
/// 512 (5.9–6.4 vs 6.1–6.2 tok/s), so `Llama` splits natively only.
pub fn decode_key_split(ctx: &GpuContext, s: AttentionShape) -> u32 {
    let subgroup_merge = ctx.simd_subgroup() == Some(split_wg(ctx));
    if ctx.emulated() && subgroup_merge && s.head_dim % 32 == 0 { 2 } else { 1 }
}

/// Bytes of the partial results `attention_split_parts` writes for `split` chunks.
pub fn split_parts_bytes(s: AttentionShape, split: u32) -> u64 {
    split as u64 * s.heads as u64 * (s.head_dim as u64 + 4) * 4
}

/// Decode attention (T = 1) with the keys in `split` chunks (≥ 2), a workgroup each, writing
/// each chunk's unnormalized partial results to `parts` (`split_parts_bytes`) for
/// `matvec_merge`; `rope_table` folds rope in as `attention_split_rope` (q is then the q|k|v
/// row). Needs a workgroup of one subgroup (`decode_key_split` > 1).
#[allow(clippy::too_many_arguments)]
pub fn attention_split_parts(ctx: &GpuContext, step: &wgpu::Buffer, q: &wgpu::Buffer, parts: &wgpu::Buffer, k_cache: &wgpu::Buffer, v_cache: &wgpu::Buffer, rope_table: Option<(&wgpu::Buffer, RopeShape)>, s: AttentionShape, split: u32) -> Result<Dispatch> {
    if split < 2 || ctx.simd_subgroup() != Some(split_wg(ctx)) || s.head_dim % 32 != 0 {
        return Err(HearthError::Gpu(format!("attention_split: {split} key chunks need 2 or more, heads a multiple of 32 wide ({} here) and a workgroup of one subgroup of 4 or 8 lanes", s.head_dim)));
    }
    match rope_table {
        Some((table, rope)) => {
            if !rope_foldable(ctx, s, rope) {
                return Err(HearthError::Gpu(format!("attention_split: rope can't be folded in for {s:?} and {rope:?}")));
            }
            split_launch(ctx, step, q, parts, k_cache, v_cache, s, split_wg(ctx), s.heads / s.kv_heads, Some(table), split)
        }
        None => {
            let qpw = heads_per_workgroup(s, split_wg(ctx), ctx.limits.max_compute_workgroup_storage_size);
            split_launch(ctx, step, q, parts, k_cache, v_cache, s, split_wg(ctx), qpw, None, split)
        }
    }
}

/// The adapter's `attention_split` workgroup: one SIMD vector of the emulator.
fn split_wg(ctx: &GpuContext) -> u32 {
    if ctx.adapter_info.subgroup_max_size == 4 { 4 } else { 8 }
}

/// Whether `attention_split_rope` can take `rope`'s work on this adapter: 64-wide heads, all of
/// a KV group's query heads in one workgroup, llama's pairing with every pair rotated.
pub fn rope_foldable(ctx: &GpuContext, s: AttentionShape, rope: RopeShape) -> bool {
    let group = s.heads / s.kv_heads.max(1);
    s.head_dim == 64 && rope.mode == RopeMode::Normal && rope.n_rot == s.head_dim && rope.head_dim == s.head_dim
        && heads_per_workgroup(s, split_wg(ctx), ctx.limits.max_compute_workgroup_storage_size) == group
}

/// Decode (one token per forward) with `rope_qkv` folded in (`attention_split.wgsl` ROPE_IN):
/// reads the q|k|v projection's row, ropes the query heads and the new key, writes the new key
/// and value into the caches and attends; one launch instead of two. Needs `rope_foldable`.
#[allow(clippy::too_many_arguments)]
pub fn attention_split_rope(ctx: &GpuContext, step: &wgpu::Buffer, qkv: &wgpu::Buffer, out: &wgpu::Buffer, k_cache: &wgpu::Buffer, v_cache: &wgpu::Buffer, table: &wgpu::Buffer, s: AttentionShape, rope: RopeShape) -> Result<Dispatch> {
    if !rope_foldable(ctx, s, rope) {
        return Err(HearthError::Gpu(format!("attention_split: rope can't be folded in for {s:?} and {rope:?}")));
    }
    split_launch(ctx, step, qkv, out, k_cache, v_cache, s, split_wg(ctx), s.heads / s.kv_heads, Some(table), 1)
}

#[allow(clippy::too_many_arguments)]
fn split_launch(ctx: &GpuContext, step: &wgpu::Buffer, q: &wgpu::Buffer, out: &wgpu::Buffer, k_cache: &wgpu::Buffer, v_cache: &wgpu::Buffer, s: AttentionShape, wg: u32, qpw: u32, rope_table: Option<&wgpu::Buffer>, split: u32) -> Result<Dispatch> {
    check(&s)?;
    if !(1..=4).contains(&qpw) || (s.heads / s.kv_heads) % qpw != 0 || (qpw > 1 && s.head_dim != 64) {
        return Err(HearthError::Gpu(format!("attention_split: {qpw} heads per workgroup must be 1..=4, divide the {} heads of a KV group, and be 1 unless heads are 64 wide", s.heads / s.kv_heads)));
    }
    let defines = Defines::default().u32("H", s.heads).u32("KVH", s.kv_heads).u32("HD", s.head_dim).f32("SCALE", s.scale).u32("WG", wg).u32("QPW", qpw);
    let defines = defines.flag_if(s.head_dim == 64, "HD64").flag_if(qpw >= 2, "QH1").flag_if(qpw >= 3, "QH2").flag_if(qpw >= 4, "QH3");
    // A workgroup of one subgroup merges its partial results with subgroup operations.
    let defines = if ctx.simd_subgroup() == Some(wg) { ctx.subgroup_defines(defines) } else { defines };
    let defines = if split > 1 { defines.u32("SPLIT", split) } else { defines };
    let p = ctx.pipeline_handle("attention_split.wgsl", defines.flag_if(rope_table.is_some(), "ROPE_IN"))?;
    let mut entries = vec![(1, step), (2, q), (3, out), (6, k_cache), (7, v_cache)];
    entries.extend(rope_table.map(|t| (8, t)));
    let grid = if split > 1 { Grid::Fixed2(s.heads / qpw, split) } else { Grid::PerToken(s.heads / qpw) };
    Ok(Dispatch::new(ctx, "attention", p, &entries, grid))
}

/// A workgroup per query row, keys in shared-memory tiles (`shaders/attention.wgsl`).
pub fn attention_tiled(ctx: &GpuContext, step: &wgpu::Buffer, q: &wgpu::Buffer, out: &wgpu::Buffer, k_cache: &wgpu::Buffer, v_cache: &wgpu::Buffer, s: AttentionShape) -> Result<Dispatch> {
    check(&s)?;
    let defines = Defines::default().u32("H", s.heads).u32("KVH", s.kv_heads).u32("HD", s.head_dim).f32("SCALE", s.scale);
    let p = ctx.pipeline_handle("attention.wgsl", defines)?;
    Ok(Dispatch::new(ctx, "attention", p, &[(1, step), (2, q), (3, out), (6, k_cache), (7, v_cache)], Grid::PerToken(s.heads)))
}

/// Bidirectional attention over a packed encoder batch: `k`, `v` are activations [T, KVH·HD],
/// `spans[b]` = (first token, tokens) of sequence b. On CPU emulations one query row per
/// invocation (`attention_rows.wgsl`), else shared-memory tiles.
#[allow(clippy::too_many_arguments)]
pub fn encoder_attention(ctx: &GpuContext, step: &wgpu::Buffer, q: &wgpu::Buffer, out: &wgpu::Buffer, k: &wgpu::Buffer, v: &wgpu::Buffer, spans: &wgpu::Buffer, s: AttentionShape) -> Result<Dispatch> {
    if ctx.emulated() { encoder_attention_rows(ctx, step, q, out, k, v, spans, s) } else { encoder_attention_tiled(ctx, step, q, out, k, v, spans, s) }
}

#[allow(clippy::too_many_arguments)]
pub fn encoder_attention_tiled(ctx: &GpuContext, step: &wgpu::Buffer, q: &wgpu::Buffer, out: &wgpu::Buffer, k: &wgpu::Buffer, v: &wgpu::Buffer, spans: &wgpu::Buffer, s: AttentionShape) -> Result<Dispatch> {
    check(&s)?;
    let defines = Defines::default().u32("H", s.heads).u32("KVH", s.kv_heads).u32("HD", s.head_dim).f32("SCALE", s.scale).flag("ENCODER");
    let p = ctx.pipeline_handle("attention.wgsl", defines)?;
    Ok(Dispatch::new(ctx, "attention", p, &[(1, step), (2, q), (3, out), (6, k), (7, v), (8, spans)], Grid::PerSequenceToken(s.heads)))
}

#[allow(clippy::too_many_arguments)]
pub fn encoder_attention_rows(ctx: &GpuContext, step: &wgpu::Buffer, q: &wgpu::Buffer, out: &wgpu::Buffer, k: &wgpu::Buffer, v: &wgpu::Buffer, spans: &wgpu::Buffer, s: AttentionShape) -> Result<Dispatch> {
    check(&s)?;
    let defines = ctx.sized_activations(rows_defines(ctx, s, 1).flag("ENCODER"), &[q, out, k, v], 16);
    let p = ctx.pipeline_handle("attention_rows.wgsl", defines)?;
    Ok(Dispatch::new(ctx, "attention", p, &[(1, step), (2, q), (3, out), (6, k), (7, v), (8, spans)], Grid::SequenceTilesY { y: s.heads, tile: 8 }))
}

fn check(s: &AttentionShape) -> Result<()> {
    if s.kv_heads == 0 || s.heads % s.kv_heads != 0 || s.head_dim == 0 || s.head_dim % 4 != 0 || s.head_dim > 256 {
        return Err(HearthError::UnsupportedModel(format!("attention with {} heads, {} KV heads, head dim {}", s.heads, s.kv_heads, s.head_dim)));
    }
    Ok(())
}
