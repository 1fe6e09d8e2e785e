//! Launchers of the matrix kernels, y[t, n] (+)= Σ_k x[t, k]·W[n, k] (+ bias[n]), in two
//! families chosen per adapter (`GpuContext::emulated`, measured with `hearth bench-kernels`):
//! - real GPUs: `shaders/matvec.wgsl` (decode: lanes split K, coalesced loads, shared-memory
//!   reduction) and `shaders/matmul.wgsl` (prefill: workgroup-shared tiles);
//! - CPU emulations (lavapipe, SwiftShader): `shaders/matvec_rows.wgsl` and
//!   `shaders/matmul_rows.wgsl` (whole rows per invocation, no workgroup memory or barriers:
//!   there SIMD runs across invocations and barriers are fiber switches; activations are loaded
//!   once per subgroup and broadcast, `common/x_block.wgsl`). Before the broadcast they were
//!   1.3–1.5× (matvec) and 1.6–2.2× (Q4_1 matmul) faster than the GPU family on lavapipe, on
//!   SwiftShader 2.4–3.2× and 1.3–2.2×; with it, Q4_1 matmul is 2.1–2.4× faster again on lavapipe.
//! The rows kernels also fuse SwiGLU (`matvec_swiglu`, `matmul_swiglu`): one launch for
//! act = silu(x·Gᵀ)·(x·Uᵀ) over a stacked gate|up matrix; and in decode the RMSNorm in front
//! (`matvec_norm`, `matvec_swiglu_norm`): each launch sums x² from the x it loads anyway.
//! Reference: `cpu::matmul`.

use crate::error::Result;
use crate::gpu::{Defines, Dispatch, GpuContext, GpuMatrix, Grid};

/// RMSNorm fused in front of a decode matrix launch (`matvec_norm`, `matvec_swiglu_norm`).
#[derive(Clone, Copy)]
pub struct Norm<'a> {
    /// The norm's weights, W_K values.
    pub gamma: &'a wgpu::Buffer,
    pub eps: f32,
}

/// A matrix launch: `shader` with w's format (+ BIAS, + NORM), bound to `head` (step, x, y), w,
/// its shape uniform, the bias and the norm's weights. Pipelines depend on the format only, so
/// every matrix of a model in one format shares them.
#[allow(clippy::too_many_arguments)]
fn launch(ctx: &GpuContext, shader: &str, head: &[(u32, &wgpu::Buffer)], w: &GpuMatrix, bias: Option<&wgpu::Buffer>, accumulate: bool, swiglu: bool, grid: Grid, norm: Option<Norm>) -> Result<Dispatch> {
    launch_with(ctx, shader, head, w, bias, accumulate, swiglu, grid, norm, Defines::default())
}

/// `launch` with `extra` defines (GELU; X_SPLIT, X_HD4).
#[allow(clippy::too_many_arguments)]
fn launch_with(ctx: &GpuContext, shader: &str, head: &[(u32, &wgpu::Buffer)], w: &GpuMatrix, bias: Option<&wgpu::Buffer>, accumulate: bool, swiglu: bool, grid: Grid, norm: Option<Norm>, extra: Defines) -> Result<Dispatch> {
    let mut defines = w.defines().flag_if(bias.is_some(), "BIAS");
    if let Some(n) = norm {
        defines = defines.flag("NORM").f32("EPS", n.eps);
    }
    defines.0.extend(extra.0);
    if shader.ends_with("_rows.wgsl") {
        defines = ctx.subgroup_defines(defines);
    }
    let p = ctx.pipeline_handle(shader, defines)?;
    let shape = w.shape(accumulate, swiglu).buffer(ctx);
    let mut entries = head.to_vec();
    entries.extend(w.bindings(&shape));
    entries.extend(bias.map(|b| (6, b)));
    entries.extend(norm.map(|n| (8, n.gamma)));
    let label = if shader.starts_with("matvec") { "matvec" } else { "matmul" };
    Ok(Dispatch::new(ctx, label, p, &entries, grid))
}

/// `extra` with the lengths of a rows kernel's buffers (`GpuContext::sized_bindings`), in
/// elements (`GpuContext::binding_elements`): x (binding 2) and W (4) in vec4s, y (3) and the
/// bias in f32s.
fn sized_lengths(ctx: &GpuContext, mut extra: Defines, head: &[(u32, &wgpu::Buffer)], w: &GpuMatrix, bias: Option<&wgpu::Buffer>) -> Defines {
    let mut len = |name: &str, buffer: &wgpu::Buffer, element: u64| {
        if let Some(n) = ctx.binding_elements(buffer, element) {
            extra = std::mem::take(&mut extra).u32(name, n);
        }
    };
    for (binding, buffer) in head {
        match binding {
            2 => len("X_LEN", buffer, 16),
            3 => len("Y_LEN", buffer, 4),
            _ => {}
        }
    }
    len("W_LEN", &w.data, 16);
    if let Some(bias) = bias {
        len("B_LEN", bias, 4);
    }
    extra
}

/// Decode (one token per row of x; grid 32 rows per workgroup). `accumulate`: y += x·Wᵀ (the
/// fused residual add); `bias`: + bias[n].
pub fn matvec(ctx: &GpuContext, x: &wgpu::Buffer, y: &wgpu::Buffer, w: &GpuMatrix, bias: Option<&wgpu::Buffer>, accumulate: bool) -> Result<Dispatch> {
    if ctx.emulated() { matvec_rows(ctx, x, y, w, bias, accumulate) } else { matvec_lanes(ctx, x, y, w, bias, accumulate) }
}

/// Prefill: T tokens at once.
pub fn matmul(ctx: &GpuContext, step: &wgpu::Buffer, x: &wgpu::Buffer, y: &wgpu::Buffer, w: &GpuMatrix, bias: Option<&wgpu::Buffer>, accumulate: bool) -> Result<Dispatch> {
    if ctx.emulated() { matmul_rows(ctx, step, x, y, w, bias, accumulate) } else { matmul_tiled(ctx, step, x, y, w, bias, accumulate) }
}

pub fn matvec_lanes(ctx: &GpuContext, x: &wgpu::Buffer, y: &wgpu::Buffer, w: &GpuMatrix, bias: Option<&wgpu::Buffer>, accumulate: bool) -> Result<Dispatch> {
    launch(ctx, "matvec.wgsl", &[(2, x), (3, y)], w, bias, accumulate, false, Grid::PerToken(w.rows.div_ceil(32)), None)
}

pub fn matvec_rows(ctx: &GpuContext, x: &wgpu::Buffer, y: &wgpu::Buffer, w: &GpuMatrix, bias: Option<&wgpu::Buffer>, accumulate: bool) -> Result<Dispatch> {
    launch(ctx, "matvec_rows.wgsl", &[(2, x), (3, y)], w, bias, accumulate, false, Grid::PerToken(w.rows.div_ceil(64)), None)
}

pub fn matmul_tiled(ctx: &GpuContext, step: &wgpu::Buffer, x: &wgpu::Buffer, y: &wgpu::Buffer, w: &GpuMatrix, bias: Option<&wgpu::Buffer>, accumulate: bool) -> Result<Dispatch> {
    launch(ctx, "matmul.wgsl", &[(1, step), (2, x), (3, y)], w, bias, accumulate, false, tiled_grid(w), None)
}

pub fn matmul_rows(ctx: &GpuContext, step: &wgpu::Buffer, x: &wgpu::Buffer, y: &wgpu::Buffer, w: &GpuMatrix, bias: Option<&wgpu::Buffer>, accumulate: bool) -> Result<Dispatch> {
    launch_rows(ctx, &[(1, step), (2, x), (3, y)], w, bias, accumulate, false, Defines::default(), ctx.wide_matmul_rows, false)
}

/// `matmul` with x, y, W and the bias declared as arrays of their buffers' own lengths where the adapter
/// wants them (`GpuContext::sized_bindings`; the rows kernel). Each combination of lengths is a
/// pipeline of its own, so this is for models whose matrices share few: BERT's (3 pipelines
/// instead of 2). The decoder's prefill keeps `matmul`: there one pipeline serves every matrix
/// of a format, and sized it would be four, compiled before the first token (SmolLM2's load in
/// Chromium went 526–580 → 776–919 ms with x and y alone sized).
pub fn matmul_sized(ctx: &GpuContext, step: &wgpu::Buffer, x: &wgpu::Buffer, y: &wgpu::Buffer, w: &GpuMatrix, bias: Option<&wgpu::Buffer>, accumulate: bool) -> Result<Dispatch> {
    if ctx.emulated() {
        launch_rows(ctx, &[(1, step), (2, x), (3, y)], w, bias, accumulate, false, Defines::default(), ctx.wide_matmul_rows, ctx.sized_bindings)
    } else {
        matmul_tiled(ctx, step, x, y, w, bias, accumulate)
    }
}

/// `matmul_rows` with 16 rows per invocation (`wide`) or 8, whichever the adapter would choose
/// (`GpuContext::wide_matmul_rows`): the two side by side in `hearth bench-kernels`.
pub fn matmul_rows_width(ctx: &GpuContext, step: &wgpu::Buffer, x: &wgpu::Buffer, y: &wgpu::Buffer, w: &GpuMatrix, wide: bool) -> Result<Dispatch> {
    launch_rows(ctx, &[(1, step), (2, x), (3, y)], w, None, false, false, Defines::default(), wide, false)
}

/// matmul_rows.wgsl with 16 rows per invocation (`wide`, define ROWS16) or 8, and its grid:
/// 8 invocations per workgroup, TILE = 64 tokens; with `sized`, x, y, W and the bias declared
/// with their buffers' lengths (defines X_LEN, Y_LEN, W_LEN, B_LEN; `GpuContext::sized_bindings`).
#[allow(clippy::too_many_arguments)]
fn launch_rows(ctx: &GpuContext, head: &[(u32, &wgpu::Buffer)], w: &GpuMatrix, bias: Option<&wgpu::Buffer>, accumulate: bool, swiglu: bool, extra: Defines, wide: bool, sized: bool) -> Result<Dispatch> {
    let rows = if wide { 16 } else { 8 };
    let grid = Grid::TokenTiles { x: w.rows.div_ceil(8 * rows), tile: 64 };
    let mut extra = extra.flag_if(wide, "ROWS16");
    if sized {
        extra = sized_lengths(ctx, extra, head, w, bias);
    }
    launch_with(ctx, "matmul_rows.wgsl", head, w, bias, accumulate, swiglu, grid, None, extra)
}

/// matmul.wgsl's grid: 32 rows × 32 tokens per workgroup.
fn tiled_grid(w: &GpuMatrix) -> Grid {
    Grid::TokenTiles { x: w.rows.div_ceil(32), tile: 32 }
}

fn check_swiglu(w: &GpuMatrix) -> Result<()> {
    if w.rows % 2 != 0 || w.out_columns.is_some() {
        return Err(crate::error::HearthError::Gpu(format!("{}: SwiGLU needs one stacked gate|up matrix", w.name)));
    }
    Ok(())
}

/// Decode, fused: act[t, i] = silu(gate)·up with `w` = gate rows then up rows (2F × K), rows
/// kernel (CPU-emulated adapters).
pub fn matvec_swiglu(ctx: &GpuContext, x: &wgpu::Buffer, act: &wgpu::Buffer, w: &GpuMatrix) -> Result<Dispatch> {
    check_swiglu(w)?;
    launch(ctx, "matvec_rows.wgsl", &[(2, x), (3, act)], w, None, false, true, Grid::PerToken(w.rows.div_ceil(64)), None)
}

/// Decode's attention output projection, y (+)= W·attnᵀ, where decode attention left `split`
/// chunk partials per head in `parts` (`attention_split_parts`): the rows kernel merges them as
/// it loads x (`common/x_block.wgsl` X_SPLIT), so the split costs no launch of its own. Needs
/// W's columns = whole heads of `head_dim` (a multiple of 32).
pub fn matvec_merge(ctx: &GpuContext, parts: &wgpu::Buffer, y: &wgpu::Buffer, w: &GpuMatrix, split: u32, head_dim: u32, accumulate: bool) -> Result<Dispatch> {
    if split < 2 || head_dim % 32 != 0 || w.cols % head_dim != 0 {
        return Err(crate::error::HearthError::Gpu(format!("{}: merging {split} attention chunks needs 2 or more chunks and {}-column rows of whole {head_dim}-wide heads (a multiple of 32)", w.name, w.cols)));
    }
    let merge = Defines::default().u32("X_SPLIT", split).u32("X_HD4", head_dim / 4);
    launch_with(ctx, "matvec_rows.wgsl", &[(2, parts), (3, y)], w, None, accumulate, false, Grid::PerToken(w.rows.div_ceil(64)), None, merge)
}

/// Decode with RMSNorm fused in (rows kernel, CPU-emulated adapters): y (+)= W·norm(x)ᵀ where
/// norm(x) = x∘γ / sqrt(mean(x²) + eps), without writing norm(x) out (one launch fewer).
pub fn matvec_norm(ctx: &GpuContext, x: &wgpu::Buffer, y: &wgpu::Buffer, w: &GpuMatrix, norm: Norm, accumulate: bool) -> Result<Dispatch> {
    launch(ctx, "matvec_rows.wgsl", &[(2, x), (3, y)], w, None, accumulate, false, Grid::PerToken(w.rows.div_ceil(64)), Some(norm))
}

/// `matvec_swiglu` of norm(x) (`matvec_norm`): the feed-forward's first launch in decode.
pub fn matvec_swiglu_norm(ctx: &GpuContext, x: &wgpu::Buffer, act: &wgpu::Buffer, w: &GpuMatrix, norm: Norm) -> Result<Dispatch> {
    check_swiglu(w)?;
    launch(ctx, "matvec_rows.wgsl", &[(2, x), (3, act)], w, None, false, true, Grid::PerToken(w.rows.div_ceil(64)), Some(norm))
}

/// Prefill with GELU fused into the output: y = gelu(x·Wᵀ + bias) (exact erf form,
/// common/gelu.wgsl), one launch instead of two (BERT's intermediate projection), on every
/// adapter; sized as `matmul_sized`.
pub fn matmul_gelu(ctx: &GpuContext, step: &wgpu::Buffer, x: &wgpu::Buffer, y: &wgpu::Buffer, w: &GpuMatrix, bias: Option<&wgpu::Buffer>) -> Result<Dispatch> {
    let gelu = Defines::default().flag("GELU");
    if ctx.emulated() {
        launch_rows(ctx, &[(1, step), (2, x), (3, y)], w, bias, false, false, gelu, ctx.wide_matmul_rows, ctx.sized_bindings)
    } else {
        launch_with(ctx, "matmul.wgsl", &[(1, step), (2, x), (3, y)], w, bias, false, false, tiled_grid(w), None, gelu)
    }
}

/// Prefill, fused: `matvec_swiglu` for T tokens.
pub fn matmul_swiglu(ctx: &GpuContext, step: &wgpu::Buffer, x: &wgpu::Buffer, act: &wgpu::Buffer, w: &GpuMatrix) -> Result<Dispatch> {
    check_swiglu(w)?;
    launch_rows(ctx, &[(1, step), (2, x), (3, act)], w, None, false, true, Defines::default(), ctx.wide_matmul_rows, false)
}
