// Matrix-matrix (prefill) without workgroup memory: y[t, n] (+)= Σ_k x[t, k]·W[n, k].
// Each invocation owns 4 rows × 4 tokens: per 32-column block it loads the 4 tokens' x blocks
// (the same for every invocation of the workgroup; shared across the subgroup with SG_X8,
// common/x_block.wgsl), then dequantizes each of its rows' blocks once, in registers, and
// uses it for all 4 tokens. No barriers (each costs a fiber switch per subgroup on SwiftShader).
// Tokens past the end repeat the last one and rows past the end repeat row W_N-1 (valid
// memory); neither is written. With `mat.swiglu` an invocation owns act rows i, i+1: gate rows
// i, i+1 and up rows F+i, F+i+1 (common/output.wgsl).
// Bindings: 1 step · 2 x[T, W_K] · 3 y[T, W_N] · 4/5 W and 7 its shape (common/weights.wgsl) · 6 bias.
// Dispatch: (ceil(W_N / 256), ceil(T / 4)), workgroup 64.  CPU reference: cpu::matmul.
#include "common/step.wgsl"
#include "common/weights.wgsl"
@group(0) @binding(2) var<storage, read> x: array<vec4<f32>>;
#include "common/output.wgsl"
#include "common/x_block.wgsl"

fn bdot(w: array<vec4<f32>, 8>, a: array<vec4<f32>, 8>) -> f32 {
    return dot(w[0], a[0]) + dot(w[1], a[1]) + dot(w[2], a[2]) + dot(w[3], a[3])
         + dot(w[4], a[4]) + dot(w[5], a[5]) + dot(w[6], a[6]) + dot(w[7], a[7]);
}

// One row's block against the 4 tokens' blocks: (y[t0], y[t0+1], y[t0+2], y[t0+3]) increments.
fn row4(w: array<vec4<f32>, 8>, a0: array<vec4<f32>, 8>, a1: array<vec4<f32>, 8>, a2: array<vec4<f32>, 8>, a3: array<vec4<f32>, 8>) -> vec4<f32> {
    return vec4<f32>(bdot(w, a0), bdot(w, a1), bdot(w, a2), bdot(w, a3));
}

fn quads4(row: u32, q: u32, x0: vec4<f32>, x1: vec4<f32>, x2: vec4<f32>, x3: vec4<f32>) -> vec4<f32> {
    let w = w_quad(row, q);
    return vec4<f32>(dot(w, x0), dot(w, x1), dot(w, x2), dot(w, x3));
}

@compute @workgroup_size(64)
fn main(inv: Invocation) {
    let gid = inv.gid;
    let t0 = inv.wid.y * 4u;
    let last_t = step.n_tokens - 1u;
    let t1 = min(t0 + 1u, last_t);
    let t2 = min(t0 + 2u, last_t);
    let t3 = min(t0 + 3u, last_t);
    let r = owned_rows(gid.x);
    // acc_i[j]: owned row i (r[i]), token t0 + j
    var acc0 = vec4<f32>(0.0);
    var acc1 = vec4<f32>(0.0);
    var acc2 = vec4<f32>(0.0);
    var acc3 = vec4<f32>(0.0);
    for (var b = 0u; b < mat.blocks; b++) {
        let a0 = x_block(inv, t0 * mat.k4 + 8u * b);
        let a1 = x_block(inv, t1 * mat.k4 + 8u * b);
        let a2 = x_block(inv, t2 * mat.k4 + 8u * b);
        let a3 = x_block(inv, t3 * mat.k4 + 8u * b);
        acc0 += row4(w_block(r.x, b), a0, a1, a2, a3);
        acc1 += row4(w_block(r.y, b), a0, a1, a2, a3);
        acc2 += row4(w_block(r.z, b), a0, a1, a2, a3);
        acc3 += row4(w_block(r.w, b), a0, a1, a2, a3);
    }
    // Quads past the last whole block (unquantized rows only: block formats are whole blocks;
    // leaving the loop out of those variants saves a quarter of their compile in browsers).
#ifndef W_QUANTIZED
    for (var q = 8u * mat.blocks; q < mat.k4; q++) {
        let x0 = x[t0 * mat.k4 + q];
        let x1 = x[t1 * mat.k4 + q];
        let x2 = x[t2 * mat.k4 + q];
        let x3 = x[t3 * mat.k4 + q];
        acc0 += quads4(r.x, q, x0, x1, x2, x3);
        acc1 += quads4(r.y, q, x0, x1, x2, x3);
        acc2 += quads4(r.z, q, x0, x1, x2, x3);
        acc3 += quads4(r.w, q, x0, x1, x2, x3);
    }
#endif
    for (var j = 0u; j < 4u; j++) {
        if t0 + j < step.n_tokens {
            store_owned(t0 + j, gid.x, vec4<f32>(acc0[j], acc1[j], acc2[j], acc3[j]));
        }
    }
}
