// Matrix-matrix (prefill) without workgroup memory: y[t, n] (+)= Σ_k x[t, k]·W[n, k].
// Each invocation owns 8 rows × a tile of TILE tokens: per 32-column block it dequantizes its
// 8 rows' blocks once (kept in registers or spilled to the stack, both cheap) and runs them
// against each token's x block (the same for every invocation of the workgroup; shared across
// the subgroup with SG4/SG8, common/x_block.wgsl). The more tokens per dequantized block,
// the fewer weight gathers and dequantizations per FMA: 32 tokens against 4 measured 1.1–1.6× on
// lavapipe, 2.1–2.5× on SwiftShader, and 64 against 32 1.05–1.15× on lavapipe, 1.1–1.2× on
// SwiftShader (128 no better; 64 keeps a 128-token prefill at two tiles for two cores). Tokens
// written out in passes of 4, 8 or 16 (accumulators not indexed by a variable, but the blocks
// dequantized once a pass) ran 0.4–0.75× as fast on both. The more rows per invocation, the
// more FMAs per broadcast x value: 8 rows (workgroups of 8) against 4 (workgroups of 64) ran
// Q4_1 1.2–1.5× faster on lavapipe and 1.3–1.9× on SwiftShader, F16 1.4–1.5× on lavapipe.
// With ROWS16 an invocation owns 16 rows, two 8-row units (`GpuContext::wide_matmul_rows`: on
// lavapipe Q4_1 ran 1.04–1.22× as fast at 128 and 512 tokens, BF16 0.99–1.24×; on SwiftShader
// 0.86–1.08×, so there not: it also compiles longer).
// No barriers (each costs a fiber switch per subgroup on SwiftShader). The last tile stops at
// the last token; rows past the end repeat row W_N-1 (valid memory) and are not written. With
// `mat.swiglu` an 8-row unit u owns act rows 4u .. 4u+3: gate rows 4u .. 4u+3 and their up rows
// F later (common/output.wgsl `owned_rows`).
// With X_LEN and Y_LEN (`GpuContext::sized_bindings`) x and y are arrays of the bound buffers'
// lengths: browsers then clamp their indices with a constant instead of `arrayLength`, which
// SwiftShader divides out at every load.
// Bindings: 1 step · 2 x[T, W_K] · 3 y[T, W_N] · 4/5 W and 7 its shape (common/weights.wgsl) · 6 bias.
// Dispatch: (ceil(W_N / 64), ceil(T / TILE)) (ROWS16: W_N / 128), workgroup 8.  CPU reference: cpu::matmul.
#include "common/step.wgsl"
#include "common/weights.wgsl"
#ifdef X_LEN
@group(0) @binding(2) var<storage, read> x: array<vec4<f32>, X_LEN>;
#else
@group(0) @binding(2) var<storage, read> x: array<vec4<f32>>;
#endif
#include "common/output.wgsl"
#include "common/x_block.wgsl"

const TILE: u32 = 64u;

fn bdot(w: array<vec4<f32>, 8>, a: array<vec4<f32>, 8>) -> f32 {
    return dot(w[0], a[0]) + dot(w[1], a[1]) + dot(w[2], a[2]) + dot(w[3], a[3])
         + dot(w[4], a[4]) + dot(w[5], a[5]) + dot(w[6], a[6]) + dot(w[7], a[7]);
}

@compute @workgroup_size(8)
fn main(inv: Invocation, @builtin(workgroup_id) wid: vec3<u32>) {
    let t0 = wid.y * TILE;
    let tokens = min(TILE, step.n_tokens - t0);
    // The 8-row unit(s) this invocation owns (common/output.wgsl `owned_rows`): x, or with
    // ROWS16 2x and 2x + 1.
#ifdef ROWS16
    let unit = 2u * inv.gid.x;
#else
    let unit = inv.gid.x;
#endif
    let ra = owned_rows(unit, 0u);
    let rb = owned_rows(unit, 1u);
    // acc[j], acc2[j]: the owned rows' sums for token t0 + j (rows ra, rb; with ROWS16 acc3,
    // acc4 for rows rc, rd)
    var acc = array<vec4<f32>, TILE>();
    var acc2 = array<vec4<f32>, TILE>();
#ifdef ROWS16
    let rc = owned_rows(unit + 1u, 0u);
    let rd = owned_rows(unit + 1u, 1u);
    var acc3 = array<vec4<f32>, TILE>();
    var acc4 = array<vec4<f32>, TILE>();
#endif
    for (var b = 0u; b < mat.blocks; b++) {
        let w0 = w_block(ra.x, b);
        let w1 = w_block(ra.y, b);
        let w2 = w_block(ra.z, b);
        let w3 = w_block(ra.w, b);
        let w4 = w_block(rb.x, b);
        let w5 = w_block(rb.y, b);
        let w6 = w_block(rb.z, b);
        let w7 = w_block(rb.w, b);
#ifdef ROWS16
        let w8 = w_block(rc.x, b);
        let w9 = w_block(rc.y, b);
        let w10 = w_block(rc.z, b);
        let w11 = w_block(rc.w, b);
        let w12 = w_block(rd.x, b);
        let w13 = w_block(rd.y, b);
        let w14 = w_block(rd.z, b);
        let w15 = w_block(rd.w, b);
#endif
        for (var j = 0u; j < tokens; j++) {
            let a = x_block(inv, (t0 + j) * mat.k4 + 8u * b);
            acc[j] += vec4<f32>(bdot(w0, a), bdot(w1, a), bdot(w2, a), bdot(w3, a));
            acc2[j] += vec4<f32>(bdot(w4, a), bdot(w5, a), bdot(w6, a), bdot(w7, a));
#ifdef ROWS16
            acc3[j] += vec4<f32>(bdot(w8, a), bdot(w9, a), bdot(w10, a), bdot(w11, a));
            acc4[j] += vec4<f32>(bdot(w12, a), bdot(w13, a), bdot(w14, a), bdot(w15, a));
#endif
        }
    }
    // Quads past the last whole block (unquantized rows only: block formats are whole blocks;
    // leaving the loop out of those variants saves a quarter of their compile in browsers).
#ifndef W_QUANTIZED
    for (var q = 8u * mat.blocks; q < mat.k4; q++) {
        let w0 = w_quad(ra.x, q);
        let w1 = w_quad(ra.y, q);
        let w2 = w_quad(ra.z, q);
        let w3 = w_quad(ra.w, q);
        let w4 = w_quad(rb.x, q);
        let w5 = w_quad(rb.y, q);
        let w6 = w_quad(rb.z, q);
        let w7 = w_quad(rb.w, q);
#ifdef ROWS16
        let w8 = w_quad(rc.x, q);
        let w9 = w_quad(rc.y, q);
        let w10 = w_quad(rc.z, q);
        let w11 = w_quad(rc.w, q);
        let w12 = w_quad(rd.x, q);
        let w13 = w_quad(rd.y, q);
        let w14 = w_quad(rd.z, q);
        let w15 = w_quad(rd.w, q);
#endif
        for (var j = 0u; j < tokens; j++) {
            let xq = x[(t0 + j) * mat.k4 + q];
            acc[j] += vec4<f32>(dot(w0, xq), dot(w1, xq), dot(w2, xq), dot(w3, xq));
            acc2[j] += vec4<f32>(dot(w4, xq), dot(w5, xq), dot(w6, xq), dot(w7, xq));
#ifdef ROWS16
            acc3[j] += vec4<f32>(dot(w8, xq), dot(w9, xq), dot(w10, xq), dot(w11, xq));
            acc4[j] += vec4<f32>(dot(w12, xq), dot(w13, xq), dot(w14, xq), dot(w15, xq));
#endif
        }
    }
#endif
    for (var j = 0u; j < tokens; j++) {
        store_owned(t0 + j, unit, acc[j], acc2[j]);
#ifdef ROWS16
        store_owned(t0 + j, unit + 1u, acc3[j], acc4[j]);
#endif
    }
}
