// Matrix-vector (decode) without workgroup memory: y[t, n] (+)= Σ_k x[t, k]·W[n, k].
// Each invocation owns 8 whole rows (`owned_rows`: 8x .. 8x+7, full K): per 32-column block it
// loads the x block once (the same for every invocation; shared across the subgroup with SG4/SG8,
// common/x_block.wgsl) and each row's block once (dequantized in registers). 8 rows rather than
// 4 (two FMAs per broadcast x value): 13–19% less time for a forward's matrix launches on
// SwiftShader, decode 1.1× on lavapipe.
// No barriers, no reduction. Rows past the end read row W_N-1 and are not written.
// With `mat.swiglu` an invocation owns act rows 4x .. 4x+3: those gate rows and their up rows.
// With NORM, RMSNorm is fused in front: y = W·(x∘gamma) / sqrt(mean(x²) + EPS), Σx² summed from
// the same x loads (common/x_block.wgsl `x_block_norm`): no separate norm launch.
// With X_SPLIT (decode's o projection), x is attention_split.wgsl's SPLIT partials, merged as
// they load (common/x_block.wgsl `x_quad`).
// Bindings: 2 x[T, W_K] · 3 y[T, W_N] · 4/5 W and 7 its shape (common/weights.wgsl) · 6 bias
// · 8 gamma[W_K] (NORM).
// Dispatch: (ceil(W_N / 64), T), workgroup 8.  CPU reference: cpu::matmul (with NORM after cpu::rms_norm).
#include "common/weights.wgsl"
@group(0) @binding(2) var<storage, read> x: array<vec4<f32>>;
#ifdef NORM
@group(0) @binding(8) var<storage, read> gamma: array<vec4<f32>>;
#endif
#include "common/output.wgsl"
#include "common/x_block.wgsl"

@compute @workgroup_size(8)
fn main(inv: Invocation, @builtin(workgroup_id) wid: vec3<u32>) {
    let gid = inv.gid;
    let t = wid.y;
    let ra = owned_rows(gid.x, 0u);
    let rb = owned_rows(gid.x, 1u);
    let xrow = t * mat.k4;
    var acc = vec4<f32>(0.0);
    var acc2 = vec4<f32>(0.0);
#ifdef NORM
    var ss = 0.0;
#endif
    for (var b = 0u; b < mat.blocks; b++) {
#ifdef NORM
        let xq = x_block_norm(inv, xrow + 8u * b, 8u * b, &ss);
#else
        let xq = x_block(inv, xrow + 8u * b);
#endif
        let xs = block_sum(xq);
        acc += vec4<f32>(w_block_dot(ra.x, b, xq, xs), w_block_dot(ra.y, b, xq, xs), w_block_dot(ra.z, b, xq, xs), w_block_dot(ra.w, b, xq, xs));
        acc2 += vec4<f32>(w_block_dot(rb.x, b, xq, xs), w_block_dot(rb.y, b, xq, xs), w_block_dot(rb.z, b, xq, xs), w_block_dot(rb.w, b, xq, xs));
    }
#ifdef NORM
    ss = row_sum_squares(ss);
#endif
    // Quads past the last whole block (unquantized rows only: block formats are whole blocks;
    // leaving the loop out of those variants saves a quarter of their compile in browsers).
#ifndef W_QUANTIZED
    for (var q = 8u * mat.blocks; q < mat.k4; q++) {
        var xv = x_quad(xrow + q);
#ifdef NORM
        ss += dot(xv, xv);
        xv *= gamma[q];
#endif
        acc += vec4<f32>(dot(xv, w_quad(ra.x, q)), dot(xv, w_quad(ra.y, q)), dot(xv, w_quad(ra.z, q)), dot(xv, w_quad(ra.w, q)));
        acc2 += vec4<f32>(dot(xv, w_quad(rb.x, q)), dot(xv, w_quad(rb.y, q)), dot(xv, w_quad(rb.z, q)), dot(xv, w_quad(rb.w, q)));
    }
#endif
#ifdef NORM
    let inv_rms = 1.0 / sqrt(ss / f32(4u * mat.k4) + EPS);
    acc *= inv_rms;
    acc2 *= inv_rms;
#endif
    store_owned(t, gid.x, acc, acc2);
}
